#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "sandbox": latency of a sandboxed /bin/true, aios cold
# (namespaces created per call) and warm (pre-created zygote from the pool)
# against bwrap --unshare-all with a comparable root view and the same
# seccomp filter, and plain fork+exec, in the same run.  Prints a table and
# writes BUILD/bench/sandbox.json; ratios spawn_warm_vs_bwrap and
# spawn_cold_vs_bwrap = aios median / bwrap median (targets 0.5 and 1.0).
#
# Runs in the test VM (root, cgroup v2, Landlock); AIOS_BENCH_SANDBOX_ITERS
# changes the calls per variant (default 50; under TCG emulation each call
# takes some 0.1-0.3 s).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
BIN=$BUILD/sandbox/bench/bench_sandbox
JSON=$BUILD/bench/sandbox.json

make -s -C "$TOP/userspace/sandbox" TOP="$TOP" BUILD="$BUILD" all
mkdir -p "$BUILD/bench"
args=(--json "$JSON" --iters "${AIOS_BENCH_SANDBOX_ITERS:-50}")
if [ "$(hostname)" = aios-vm ]; then
	exec "$BIN" "${args[@]}" --vm true
fi
exec "$TOP/tools/vm/run" -q --no-module --timeout 1800 -- "$BIN" "${args[@]}" --vm true
