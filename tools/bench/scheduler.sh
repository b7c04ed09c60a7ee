#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "scheduler": aios task queues against POSIX message
# queues, a Unix SOCK_SEQPACKET pair and a pipe pair (64-byte round trip
# between the same two processes; throughput with 1 submitter and 2
# workers), plus the kernel memory per queued task and the worst wait of
# LOW tasks under a saturating CRITICAL load.  Prints a table and writes
# BUILD/bench/scheduler.json (ratios = aios cost / peer cost).
#
# Runs directly when the aios module is loaded here (/sys/module/aios),
# otherwise in the test VM via tools/vm/run (extra arguments for it in
# AIOS_BENCH_VM_ARGS, e.g. "--module PATH").
# AIOS_BENCH_SCHED_ITERS=N round trips per mechanism (default 10000),
# AIOS_BENCH_SCHED_TASKS=N tasks for the throughput runs (default 10000),
# AIOS_BENCH_SCHED_RTT_CPU=N CPU of the round-trip processes (default 0,
# -1: not pinned).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
BIN=$BUILD/bench-bin/bench_scheduler
JSON=$BUILD/bench/scheduler.json

make -s -C "$TOP/tools/bench" TOP="$TOP" BUILD="$BUILD" "$BIN"
mkdir -p "$BUILD/bench"
args=(--json "$JSON" --iters "${AIOS_BENCH_SCHED_ITERS:-10000}"
      --tasks "${AIOS_BENCH_SCHED_TASKS:-10000}")
# Round trips with both processes on CPU 0, for every mechanism alike
# (AIOS_BENCH_SCHED_RTT_CPU=-1 lets them float): in a TCG guest a wake-up
# across virtual CPUs costs milliseconds on a loaded host.
args+=(--rtt-cpu "${AIOS_BENCH_SCHED_RTT_CPU:-0}")

if [ -e /sys/module/aios ]; then
	vm=false
	[ "$(hostname)" = aios-vm ] && vm=true
	exec "$BIN" "${args[@]}" --vm "$vm"
fi
if [ ! -x "$TOP/tools/vm/run" ]; then
	echo "scheduler.sh: the aios module is not loaded here and tools/vm/run is missing" >&2
	exit 1
fi
if [ ! -e "$TOP/aios.ko" ]; then
	echo "scheduler.sh: $TOP/aios.ko not built (make module)" >&2
	exit 1
fi
# shellcheck disable=SC2086
exec "$TOP/tools/vm/run" -q ${AIOS_BENCH_VM_ARGS:-} -- "$BIN" "${args[@]}" --vm true
