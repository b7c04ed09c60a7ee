#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "caps": a capability-checked, audited ioctl
# (AIOS_IOC_CAPS op=CHECK) against the bare ioctl path (AIOS_IOC_NOOP) on
# one registered agent, with getppid() as a plain syscall reference.
# Prints a table and writes BUILD/bench/caps.json; ratio
# checked_ioctl_vs_noop = checked cost / noop cost.
#
# Runs directly when the aios module is loaded here (/sys/module/aios),
# otherwise in the test VM via tools/vm/run.
# AIOS_BENCH_CAPS_ITERS=N changes the iterations per round (default 200000).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
BIN=$BUILD/bench-bin/bench_caps
JSON=$BUILD/bench/caps.json

make -s -C "$TOP/tools/bench" TOP="$TOP" BUILD="$BUILD" all
mkdir -p "$BUILD/bench"
args=(--json "$JSON")
if [ -n "${AIOS_BENCH_CAPS_ITERS:-}" ]; then
	args+=(--iters "$AIOS_BENCH_CAPS_ITERS")
fi

if [ -e /sys/module/aios ]; then
	vm=false
	[ "$(hostname)" = aios-vm ] && vm=true
	exec "$BIN" "${args[@]}" --vm "$vm"
fi
if [ ! -x "$TOP/tools/vm/run" ]; then
	echo "caps.sh: the aios module is not loaded here and tools/vm/run is missing" >&2
	exit 1
fi
if [ ! -e "$TOP/aios.ko" ]; then
	echo "caps.sh: $TOP/aios.ko not built (make module)" >&2
	exit 1
fi
exec "$TOP/tools/vm/run" -q -- "$BIN" "${args[@]}" --vm true
