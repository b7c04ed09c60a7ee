#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "gpu": GPU claim/release round trip (against flock()
# on the device node, the peer), preemption notification latency (CRITICAL
# claim -> the LOW holder's chosen signal) and revoke accuracy (revoke -
# grace deadline).  Prints a table and writes BUILD/bench/gpu.json; ratio
# claim_release_vs_flock = aios pair / flock pair.
#
# Runs directly when the aios module is loaded here (/sys/module/aios),
# otherwise in the test VM via tools/vm/run.  AIOS_BENCH_GPU_ARGS passes
# extra options to bench_gpu (--iters, --preempts, --revokes, --grace-ms).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
BIN=$BUILD/bench-bin/bench_gpu
JSON=$BUILD/bench/gpu.json

make -s -C "$TOP/tools/bench" TOP="$TOP" BUILD="$BUILD" all
mkdir -p "$BUILD/bench"
# shellcheck disable=SC2206
args=(--json "$JSON" ${AIOS_BENCH_GPU_ARGS:-})

if [ -e /sys/module/aios ]; then
	vm=false
	[ "$(hostname)" = aios-vm ] && vm=true
	exec "$BIN" "${args[@]}" --vm "$vm"
fi
if [ ! -x "$TOP/tools/vm/run" ]; then
	echo "gpu.sh: the aios module is not loaded here and tools/vm/run is missing" >&2
	exit 1
fi
if [ ! -e "$TOP/aios.ko" ]; then
	echo "gpu.sh: $TOP/aios.ko not built (make module)" >&2
	exit 1
fi
exec "$TOP/tools/vm/run" -q ${AIOS_BENCH_GPU_MODULE:+--module "$AIOS_BENCH_GPU_MODULE"} \
	-- "$BIN" "${args[@]}" --vm true
