#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "memory": the aios trie store as a library against
# JudySL, glib GHashTable and GTree and LMDB, in the same run, on
# 1,000,000 keys "agent-%03d:session-%04d:msg-%08d" with 64-byte values;
# durable puts/s of the store with fsync=always and batched; aiosd end to
# end over its socket with 8 clients.  Prints a table and writes
# BUILD/bench/memory.json (ratios = aios cost / peer cost, below 1.0 =
# aios better; each the median of per-round ratios, both sides timed back
# to back).  overhead_bytes_per_key is the store's structural overhead
# (footprint - stored key bytes - values); every structure's footprint
# and net overhead (footprint - raw keys - values) are results too.
#
# The headline figures use the default allocator settings.  A second,
# smaller run (aios, JudySL, GHashTable) repeats them with transparent
# huge pages for the heap (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, what
# userspace/aiosd/aiosd.service sets for the daemon); its ratios carry a
# "_thp" suffix.
#
# AIOS_BENCH_MEMORY_KEYS=N runs with fewer keys (10000..1000000).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}

make -s -C "$TOP/userspace/store" TOP="$TOP" BUILD="$BUILD" bench
make -s -C "$TOP/userspace/aiosd" TOP="$TOP" BUILD="$BUILD" bench
mkdir -p "$BUILD/bench"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/aios-bench-memory.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

if [ "$(hostname)" = aios-vm ]; then
	export AIOS_BENCH_VM=1
fi
bench=$BUILD/bench-bin/memory_bench
args=(-d "$scratch" -o "$BUILD/bench/memory.json")
nargs=()
if [ -n "${AIOS_BENCH_MEMORY_KEYS:-}" ]; then
	nargs=(-n "$AIOS_BENCH_MEMORY_KEYS")
fi
for pol in batched always; do
	out=$("$BUILD/bench-bin/aiosd_socket_bench" -a "$BUILD/bin/aiosd" -c 8 -t 3 \
		-d "$scratch" -f "$pol")
	ops=${out#ops_per_s }
	args+=(-e "aiosd_socket_8_clients_fsync_${pol}=${ops}:ops/s")
done

# huge-page run: lines "NAME insert X hit Y miss Z scan S overhead O ..."
# and "ratio NAME VALUE" (median of the per-round ratios, as in the JSON)
thp=$(GLIBC_TUNABLES=glibc.malloc.hugetlb=1 "$bench" -d "$scratch" \
	-s aios,judysl,ghashtable "${nargs[@]}")
val() { awk -v n="$1" -v f="$2" '$1 == n && $2 == "insert" { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$thp"; }
pratio() { awk -v n="$1" '$1 == "ratio" && $2 == n { print $3 }' <<<"$thp"; }
for s in aios judysl ghashtable; do
	args+=(-e "${s}_lookup_hit_thp=$(val "$s" hit):ns/op")
	args+=(-e "${s}_insert_thp=$(val "$s" insert):ns/op")
done
for r in lookup_vs_ghashtable lookup_vs_judysl insert_vs_judysl; do
	v=$(pratio "$r")
	if [ -z "$v" ]; then
		echo "memory.sh: the huge-page run printed no ratio $r" >&2
		exit 1
	fi
	args+=(-r "${r}_thp=$v")
done

"$bench" "${args[@]}" "${nargs[@]}"
