#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "ledger": durable appends of 256-byte records to the
# aios run ledger (fsync=always with one writer, group commit with 8
# writers) against raw write+fdatasync and SQLite in WAL mode with
# synchronous=FULL (one INSERT per transaction, 1 and 8 writers), in the
# same run, on a real file system (BUILD/bench-tmp, not tmpfs); plus
# ledger verify throughput.  Prints a table and writes
# BUILD/bench/ledger.json (ratios = aios cost / peer cost, below 1.0 =
# aios better).
#
# AIOS_BENCH_LEDGER_SECS=S seconds per configuration and round (default 3),
# AIOS_BENCH_LEDGER_ROUNDS=N rounds (default 3, median reported).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}

make -s -C "$TOP/userspace/runs" TOP="$TOP" BUILD="$BUILD" bench
mkdir -p "$BUILD/bench" "$BUILD/bench-tmp"
scratch=$(mktemp -d "$BUILD/bench-tmp/ledger.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

if [ "$(hostname)" = aios-vm ]; then
	export AIOS_BENCH_VM=1
fi
fstype=$(stat -f -c %T "$scratch")
if [ "$fstype" = tmpfs ]; then
	echo "ledger: warning: $scratch is on tmpfs; durability figures are meaningless" >&2
fi
exec "$BUILD/bench-bin/ledger_bench" -d "$scratch" -o "$BUILD/bench/ledger.json" \
	-t "${AIOS_BENCH_LEDGER_SECS:-3}" -r "${AIOS_BENCH_LEDGER_ROUNDS:-3}"
