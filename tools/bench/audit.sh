#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "audit": overhead of the aios eBPF audit (exec, open,
# connect, exit to a ring buffer, consumed by a thread) on 2,000 fork+exec
# of /bin/true plus 100,000 opens, audit on vs off, in interleaved slices.
# Prints a table and writes BUILD/bench/audit.json with the results
# overhead_fraction (target <= 0.05) and lost_events (target 0).
#
# Runs in the test VM (root, BTF, cgroup v2); under TCG emulation this
# takes some 15 minutes.  AIOS_BENCH_AUDIT_EXECS / _OPENS / _SLICES change
# the workload (defaults 2000, 100000, 10).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
BIN=$BUILD/sandbox/bench/bench_audit
JSON=$BUILD/bench/audit.json

make -s -C "$TOP/userspace/sandbox" TOP="$TOP" BUILD="$BUILD" all
mkdir -p "$BUILD/bench"
args=(--json "$JSON" --execs "${AIOS_BENCH_AUDIT_EXECS:-2000}"
	--opens "${AIOS_BENCH_AUDIT_OPENS:-100000}"
	--slices "${AIOS_BENCH_AUDIT_SLICES:-10}")
if [ "$(hostname)" = aios-vm ]; then
	exec "$BIN" "${args[@]}" --vm true
fi
exec "$TOP/tools/vm/run" -q --no-module --timeout 3600 -- "$BIN" "${args[@]}" --vm true
