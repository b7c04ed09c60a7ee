#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "ipc": typed aios messages (AIOS_IOC_MSG_SEND/RECV,
# TEXT and JSON, validated by the kernel) against a Unix datagram socket
# pair and POSIX message queues, 64 B and 4 KiB: one-way latency
# (ping-pong / 2), throughput, and the send + receive cost in one process
# (bench_ipc, in the test VM unless the module is loaded here); plus the
# JSON validator's speed as a host unit benchmark (kmod/tests
# validate_bench, result json_validate_mb_s).  Prints a table and writes
# BUILD/bench/ipc.json; ratios msg64_text_vs_posix_mq and
# msg4k_json_vs_unix_dgram (one-way latency, aios / peer) and more.
#
# AIOS_BENCH_IPC_ITERS=N changes the round trips per round (default 5000;
# 4 KiB runs use half).  Under TCG (no usable KVM) one run takes minutes.
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
BIN=$BUILD/bench-bin/bench_ipc
JSON=$BUILD/bench/ipc.json
VJSON=$BUILD/kmod-tests/validate_bench.json

make -s -C "$TOP/tools/bench" TOP="$TOP" BUILD="$BUILD" all
mkdir -p "$BUILD/bench"

# The validator on the host, where it runs at native speed.
rm -f "$VJSON"
make -s -C "$TOP/kmod/tests" TOP="$TOP" BUILD="$BUILD" SAN= bench BENCH_OUT="$VJSON"
mbs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["json_validate_mb_s"])' "$VJSON")

args=(--json "$JSON" --result "json_validate_mb_s=$mbs:MB/s")
if [ -n "${AIOS_BENCH_IPC_ITERS:-}" ]; then
	args+=(--iters "$AIOS_BENCH_IPC_ITERS")
fi

if [ -e /sys/module/aios ]; then
	vm=false
	[ "$(hostname)" = aios-vm ] && vm=true
	exec "$BIN" "${args[@]}" --vm "$vm"
fi
if [ ! -x "$TOP/tools/vm/run" ]; then
	echo "ipc.sh: the aios module is not loaded here and tools/vm/run is missing" >&2
	exit 1
fi
if [ ! -e "$TOP/aios.ko" ]; then
	echo "ipc.sh: $TOP/aios.ko not built (make module)" >&2
	exit 1
fi
exec "$TOP/tools/vm/run" -q -- "$BIN" "${args[@]}" --vm true
