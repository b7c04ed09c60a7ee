#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark category "http" (issue 12): a run's working set read (GET
# /v1/runs/{id}/ws) and patched (POST /v1/runs/{id}/ws with
# expected_seq) at 64 concurrent connections, in one run, through
#   - aios:    aios-httpd in front of a real aiosd (temp state directory),
#              driven by wrk over TCP on 127.0.0.1 with a bearer token;
#              runs with runs.fsync "none" (ledger written, not synced)
#              and, beside it, "group" (durable group commit);
#   - native:  the same two operations on aiosd's socket, 64 connections
#              driven by 2 epoll threads like wrk's (bench_http_native,
#              libaiosd_client);
#   - fastapi: tools/bench/http_peer/app.py under uvicorn (Debian's
#              python3-fastapi/-uvicorn/-jsonschema): JSON Schema
#              validation and a JSONL ledger flushed but not fsynced;
#   - nginx:   the same working-set JSON as a static file (the machine's
#              HTTP ceiling).
# Everything binds 127.0.0.1 or Unix sockets; state lives in
# BUILD/bench-tmp (a real file system, the same for every server).
# Before measuring, http_peer/schema_check.py checks that the peer
# accepts and rejects exactly the documents aios does.
# Prints a table and writes BUILD/bench/http.json; ratios = aios cost per
# request / peer cost per request (cost = 1 / throughput), below 1.0 =
# aios better.  Documentation/bench-http.md describes the method.
#
# AIOS_BENCH_HTTP_SECS=S seconds per measurement (default 3),
# AIOS_BENCH_HTTP_ROUNDS=N rounds (default 2): every measurement runs
# once per round, the rounds interleave the servers, and for each the
# round with the highest throughput is reported (the machine is shared).
# AIOS_HTTPD=PATH the aios-httpd binary (default BUILD/bin/aios-httpd),
# AIOS_BENCH_HTTPD_ARGS="..." extra aios-httpd options (e.g. --threads 8).
set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
SECS=${AIOS_BENCH_HTTP_SECS:-3}
ROUNDS=${AIOS_BENCH_HTTP_ROUNDS:-2}
CONNS=64
PY=/usr/bin/python3	# Debian's: python3-fastapi, -uvicorn, -jsonschema
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the source tree
HTTPD=${AIOS_HTTPD:-$BUILD/bin/aios-httpd}
BENCHDIR=$TOP/tools/bench
OUTJSON=$BUILD/bench/http.json

die() { echo "http: $*" >&2; exit 1; }

case $SECS in ''|*[!0-9]*|0) die "AIOS_BENCH_HTTP_SECS must be a whole number >= 1, not '$SECS'" ;; esac
case $ROUNDS in ''|*[!0-9]*|0) die "AIOS_BENCH_HTTP_ROUNDS must be a whole number >= 1, not '$ROUNDS'" ;; esac
for t in wrk nginx curl setpriv; do
	command -v "$t" >/dev/null || die "$t is not installed (tools/deps, group hbench)"
done
"$PY" -c 'import fastapi, uvicorn, jsonschema' 2>/dev/null ||
	die "$PY lacks fastapi/uvicorn/jsonschema (apt-get install python3-fastapi python3-uvicorn python3-jsonschema)"

make -s -C "$TOP/userspace/aiosd" TOP="$TOP" BUILD="$BUILD" "$BUILD/bin/aiosd"
make -s -C "$BENCHDIR" TOP="$TOP" BUILD="$BUILD" "$BUILD/bench-bin/bench_http_native"
NATIVE=$BUILD/bench-bin/bench_http_native
AIOSD=$BUILD/bin/aiosd

mkdir -p "$BUILD/bench" "$BUILD/bench-tmp"
rm -f "$OUTJSON"
S=$(mktemp -d "$BUILD/bench-tmp/http.XXXXXX")
[ ${#S} -lt 80 ] || die "$S is too long for Unix socket paths"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$S"
	[ -z "${SHM:-}" ] || rm -rf "$SHM"
}
trap cleanup EXIT

free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL [curl args...]: until the URL answers 2xx (10 s)
wait_http() {
	local url=$1 _ code
	shift
	for _ in $(seq 100); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true)
		case $code in 2*) return 0 ;; esac
		sleep 0.1
	done
	return 1
}

# wait_up URL: until anything answers HTTP there (10 s)
wait_up() {
	local _
	for _ in $(seq 100); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

# wait_sock PATH: until the Unix socket exists (10 s)
wait_sock() {
	local _
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wrk_run NAME OP URL THREADS RUNSFILE [TOKEN]: one measurement -> $S/NAME.json
wrk_run() {
	local name=$1 op=$2 url=$3 threads=$4 runs=$5 token=${6:-}
	HB_OP=$op HB_RUNS=$runs HB_DOC=$S/doc.json HB_TOKEN=$token \
		HB_OUT=$S/$name.json \
		wrk -t"$threads" -c"$CONNS" -d"${SECS}s" --timeout 10s --latency \
		-s "$BENCHDIR/http_ws.lua" "$url" >"$S/$name.wrk.txt" 2>&1 ||
		die "wrk $name failed: $(cat "$S/$name.wrk.txt")"
	[ -s "$S/$name.json" ] || die "wrk $name wrote no result: $(cat "$S/$name.wrk.txt")"
	echo "  $name: $(cut -c1-150 "$S/$name.json")"
}

# wrk_warm URL RUNSFILE [TOKEN]: 1 s of GETs, not recorded
wrk_warm() {
	HB_OP=get HB_RUNS=$2 HB_DOC=$S/doc.json HB_TOKEN=${3:-} HB_OUT=$S/warm.json \
		wrk -t2 -c"$CONNS" -d1s -s "$BENCHDIR/http_ws.lua" "$1" >/dev/null 2>&1 || true
}

# native NAME OP FSYNC PREFIX [SOCKET]: one measurement on aiosd's socket
native() {
	"$NATIVE" -s "${5:-$ASOCK}" -D "$S/doc.json" -o "$2" -c $CONNS -t "$SECS" -w 0.5 \
		-f "$3" -p "$4" >"$S/$1.json" 2>"$S/$1.err" ||
		die "bench_http_native $1 failed: $(cat "$S/$1.err")"
	echo "  $1: $(cat "$S/$1.json")"
}

# The working-set document every server stores, reads and patches (about
# 1 KB, a mid-run agent: goal, vars, notes, a sliding context).
"$PY" - "$S/doc.json" <<'PYDOC'
import json, sys
doc = {
    "goal": "Port the ingest service to the new queue API and keep p99 under 50 ms",
    "status": "active", "step": 0,
    "vars": {"repo": "git@example.invalid:ingest.git", "branch": "queue-v2",
             "attempt": 1, "budget": {"tokens": 200000, "used": 41250},
             "files": ["src/queue.c", "src/ingest.c", "tests/queue_test.c"]},
    "notes": ["queue v2 drops the legacy ack path", "CI runs on 2 cores"],
    "context": {"max_items": 16, "max_bytes": 8192, "items": [
        {"id": "sys", "role": "system", "text": "You are the build agent for the ingest service.",
         "pinned": True, "priority": 9},
        {"id": "u1", "role": "user", "text": "Move ingest to queue v2; keep the old API behind a flag."},
        {"id": "a1", "role": "assistant", "text": "Plan: 1) add v2 client 2) flag 3) migrate tests 4) benchmark."},
        {"id": "t1", "role": "tool", "text": "grep: 14 call sites of queue_push in src/", "priority": 3},
        {"id": "o1", "role": "observation", "text": "tests/queue_test.c: 52 passed, 3 failed (ack ordering)",
         "priority": 4}]}}
open(sys.argv[1], "w").write(json.dumps(doc, separators=(",", ":")) + "\n")
PYDOC
# a patch body for curl: {"expected_seq": N, "doc": DOC with step N+1}
patch_body() { sed "s/\"step\":0/\"step\":$(($1 + 1))/; s/^/{\"expected_seq\":$1,\"doc\":/; s/\$/}/" "$S/doc.json"; }

echo "http: $ROUNDS rounds, ${SECS}s per measurement, $CONNS connections, state in $S"
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- nginx: the same working-set JSON as a static file (the ceiling) --------
NGX=$S/nginx
mkdir -p "$NGX/www/v1/runs/static" "$NGX/tmp"
printf '{"seq":1,"doc":%s}\n' "$(sed 's/"step":0/"step":1/' "$S/doc.json")" \
	>"$NGX/www/v1/runs/static/ws"
echo static >"$S/nginx.runs"
nport=$(free_port)
cat >"$NGX/nginx.conf" <<NGINXCONF
worker_processes auto;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $NGX/tmp/body;
	proxy_temp_path $NGX/tmp/proxy;
	fastcgi_temp_path $NGX/tmp/fastcgi;
	uwsgi_temp_path $NGX/tmp/uwsgi;
	scgi_temp_path $NGX/tmp/scgi;
	types { }
	default_type application/json;
	server {
		listen 127.0.0.1:$nport;
		root $NGX/www;
		location / { }
	}
}
NGINXCONF
# never as root: when root, nginx and aios-httpd run as nobody
asuser=()
RUNAS=$(id -un)
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$S"
	chown -R nobody:nogroup "$NGX"
	asuser=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	RUNAS=nobody
fi
"${asuser[@]}" nginx -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" >"$NGX/out.log" 2>&1 &
pids+=($!)
NURL=http://127.0.0.1:$nport
wait_http "$NURL/v1/runs/static/ws" ||
	die "nginx did not start: $(cat "$NGX/out.log" "$NGX/error.log" 2>/dev/null | tail -5)"

# ---- FastAPI + uvicorn ----------------------------------------------------------
mkdir -p "$S/fastapi"
fport=$(free_port)
"$PY" "$BENCHDIR/http_peer/app.py" --state "$S/fastapi" --port "$fport" \
	>"$S/fastapi.log" 2>&1 &
pids+=($!)
FURL=http://127.0.0.1:$fport
wait_up "$FURL/" || die "the FastAPI peer did not start: $(cat "$S/fastapi.log")"
uvi=$("$PY" -c 'import importlib.util as u; print(("httptools" if u.find_spec("httptools") else "h11") + "+" + ("uvloop" if u.find_spec("uvloop") else "asyncio"))')

# ---- aiosd (runs.fsync "none"; the group runs choose "group") --------------------
ASOCK=$S/aiosd.sock
mkdir -p "$S/aios"	# aiosd creates aios/tokens (0600) at the first token
AIOS_DEVICE=/nonexistent AIOS_LOG_LEVEL=warn AIOS_RUNS_FSYNC=none \
	AIOS_RUNS_DIR="$S/aios" AIOS_HTTP_TOKENS="$S/aios/tokens" \
	"$AIOSD" -s "$ASOCK" -d "$S/aios/store" >"$S/aiosd.log" 2>&1 &
pids+=($!)
wait_sock "$ASOCK" || die "aiosd did not start: $(cat "$S/aiosd.log")"
# a second aiosd on tmpfs, for one diagnostic figure: the patch without
# the cost of the disk (fsyncs are free there); not part of the ratios
SHM=
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
	SHM=$(mktemp -d /dev/shm/aios-bench-http.XXXXXX)
	AIOS_DEVICE=/nonexistent AIOS_LOG_LEVEL=warn AIOS_RUNS_FSYNC=none \
		AIOS_RUNS_DIR="$SHM" "$AIOSD" -s "$SHM/aiosd.sock" -d "$SHM/store" \
		>"$S/aiosd-tmpfs.log" 2>&1 &
	pids+=($!)
	wait_sock "$SHM/aiosd.sock" || die "aiosd on tmpfs did not start: $(cat "$S/aiosd-tmpfs.log")"
fi
# the peer must judge documents exactly as aios does, or the comparison is void
"$PY" "$BENCHDIR/http_peer/schema_check.py" "$ASOCK" ||
	die "the FastAPI peer's schema and aios's disagree (see above)"

# ---- aios-httpd in front of that aiosd ---------------------------------------
# Sets AURL, ATOKEN and the run files, or aios_error (and returns 1).
aios_error=
AURL='' ATOKEN=''
read -ra HTTPD_EXTRA <<<"${AIOS_BENCH_HTTPD_ARGS:-}"
# aios_new_runs FSYNC N: POST /v1/runs N times -> "RUN-ID WS-SEQ" lines
aios_new_runs() {
	"$PY" "$BENCHDIR/http_peer/mkruns.py" "$AURL" "$2" --token "$ATOKEN" \
		--body "{\"objective\":\"http benchmark\",\"fsync\":\"$1\"}"
}
aios_start() {
	local line
	# the principal: a non-admin uid's token (nobody's when we are root)
	ATOKEN=$(AIOS_SOCKET=$ASOCK "$BUILD/bin/aiosctl" http token add --uid "$(id -u "$RUNAS")" \
		--note "http benchmark" 2>"$S/token.err") || {
		aios_error="aiosctl http token add failed (needs ADMIN, i.e. root): $(cat "$S/token.err")"
		return 1
	}
	aport=$(free_port)
	"${asuser[@]}" "$HTTPD" --no-socket -l "127.0.0.1:$aport" -a "$ASOCK" \
		--www "$TOP/userspace/httpd/www" --openapi "$TOP/userspace/httpd/openapi.json" \
		--per-ip 256 --per-principal 256 --log-level warn "${HTTPD_EXTRA[@]}" \
		>"$S/httpd.log" 2>&1 &
	pids+=($!)
	AURL=http://127.0.0.1:$aport
	wait_up "$AURL/health/live" || {
		aios_error="aios-httpd did not start: $(tail -5 "$S/httpd.log")"
		return 1
	}
	line=$(aios_new_runs none 1 2>"$S/mkruns.err") || {
		aios_error="$(cat "$S/mkruns.err")"
		return 1
	}
	echo "$line" >"$S/aios.get.runs"
	patch_body "${line#* }" | curl -sf -o /dev/null -X POST -H "Authorization: Bearer $ATOKEN" \
		-H 'Content-Type: application/json' --data-binary @- "$AURL/v1/runs/${line%% *}/ws" || {
		aios_error="POST /v1/runs/${line%% *}/ws (storing the document) failed"
		return 1
	}
	if ! { aios_new_runs none $CONNS >"$S/aios.patch.runs" 2>"$S/mkruns.err" &&
	       aios_new_runs group $CONNS >"$S/aios.group.runs" 2>"$S/mkruns.err"; }; then
		aios_error="creating the patch runs failed: $(cat "$S/mkruns.err")"
		return 1
	fi
}
if [ -z "${AIOS_HTTPD:-}" ] &&
   ! make -s -C "$TOP/userspace/httpd" TOP="$TOP" BUILD="$BUILD" "$HTTPD" >"$S/httpd.make" 2>&1; then
	aios_error="building aios-httpd failed: $(tail -5 "$S/httpd.make")"
elif ! make -s -C "$TOP/tools/aiosctl" TOP="$TOP" BUILD="$BUILD" >"$S/aiosctl.make" 2>&1; then
	aios_error="building aiosctl failed: $(tail -5 "$S/aiosctl.make")"
elif [ ! -x "$HTTPD" ]; then
	aios_error="$HTTPD does not exist (make -C userspace/httpd)"
else
	aios_start || true
fi
[ -z "$aios_error" ] || echo "http: aios-httpd will not be measured: $aios_error" >&2

# ---- runs ---------------------------------------------------------------------
# One run for the GETs (holding the document), and runs for the patches,
# one per connection; before every round the run files are refreshed with
# the current seqs, so a 409 always means a real conflict.
"$PY" "$BENCHDIR/http_peer/mkruns.py" "$FURL" 1 >"$S/fastapi.get.runs"
patch_body 0 | curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
	--data-binary @- "$FURL/v1/runs/$(cut -d' ' -f1 "$S/fastapi.get.runs")/ws" ||
	die "FastAPI peer: storing the document failed"
"$PY" "$BENCHDIR/http_peer/mkruns.py" "$FURL" $CONNS >"$S/fastapi.patch.runs"
# seqs URL RUNSFILE [TOKEN]: rewrite RUNSFILE with the runs' current seqs
seqs() {
	"$PY" "$BENCHDIR/http_peer/mkruns.py" "$1" --seqs "$2" ${3:+--token "$3"} >"$2.new" ||
		die "reading the seqs of the runs in $2 failed"
	mv "$2.new" "$2"
}

# ---- measure: every server in every round -------------------------------------
echo "set up in ${SECONDS}s; nginx: $(nproc) workers; FastAPI: uvicorn, 1 process, $uvi; native: $CONNS connections, 2 threads"
wrk_warm "$NURL" "$S/nginx.runs"
wrk_warm "$FURL" "$S/fastapi.get.runs"
[ -n "$aios_error" ] || wrk_warm "$AURL" "$S/aios.get.runs" "$ATOKEN"
for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS:"
	# what a ratio compares is measured back to back (the load drifts)
	wrk_run "nginx_get.$r" get "$NURL" 2 "$S/nginx.runs"
	wrk_run "fastapi_get.$r" get "$FURL" 2 "$S/fastapi.get.runs"
	native "native_get.$r" get none nget
	[ -n "$aios_error" ] || wrk_run "aios_get.$r" get "$AURL" 2 "$S/aios.get.runs" "$ATOKEN"
	seqs "$FURL" "$S/fastapi.patch.runs"
	wrk_run "fastapi_patch.$r" patch "$FURL" $CONNS "$S/fastapi.patch.runs"
	native "native_patch.$r" patch none npatch
	if [ -z "$aios_error" ]; then
		seqs "$AURL" "$S/aios.patch.runs" "$ATOKEN"
		wrk_run "aios_patch.$r" patch "$AURL" $CONNS "$S/aios.patch.runs" "$ATOKEN"
	fi
	native "native_patch_group.$r" patch group ngroup
	if [ -z "$aios_error" ]; then
		seqs "$AURL" "$S/aios.group.runs" "$ATOKEN"
		wrk_run "aios_patch_group.$r" patch "$AURL" $CONNS "$S/aios.group.runs" "$ATOKEN"
	fi
	# the diagnostic once: it only has to show the order of magnitude
	[ -z "$SHM" ] || [ "$r" != 1 ] || native "native_patch_tmpfs.$r" patch none ntmpfs "$SHM/aiosd.sock"
done

# ---- results ------------------------------------------------------------------
load=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" - "$S" "$OUTJSON" "$SECS" "$CONNS" "$ROUNDS" "$uvi" "$load0" "$load" "$aios_error" <<'PYRES'
import json, os, platform, sys

S, out, secs, conns, rounds, uvi, load0, load, aios_error = sys.argv[1:10]
rounds = int(rounds)

def best(name):
    """The round with the highest throughput (with its own latencies)."""
    got = []
    for r in range(1, rounds + 1):
        p = os.path.join(S, f"{name}.{r}.json")
        if os.path.exists(p):
            got.append(json.load(open(p)))
    if not got:
        return None
    b = max(got, key=lambda x: x["rps"])
    b["rounds_rps"] = [round(x["rps"], 1) for x in got]
    # failures count over all rounds
    for k in ("conflicts", "stale", "other_status", "socket_errors", "errors",
              "unparsed", "timeouts"):
        if k in b:
            b[k] = sum(x.get(k, 0) for x in got)
    return b

rows = [  # (result name, file, what)
    ("nginx_static_get", "nginx_get", "nginx, static file (ceiling)"),
    ("fastapi_get", "fastapi_get", "FastAPI+uvicorn GET"),
    ("fastapi_patch", "fastapi_patch", "FastAPI+uvicorn patch (JSONL flushed)"),
    ("native_get", "native_get", "aiosd socket GET"),
    ("native_patch_none", "native_patch", "aiosd socket patch, runs.fsync none"),
    ("native_patch_group", "native_patch_group", "aiosd socket patch, runs.fsync group"),
    ("native_patch_none_tmpfs", "native_patch_tmpfs", "(diag.) aiosd socket patch, none, tmpfs"),
    ("aios_get", "aios_get", "aios-httpd GET"),
    ("aios_patch_none", "aios_patch", "aios-httpd patch, runs.fsync none"),
    ("aios_patch_group", "aios_patch_group", "aios-httpd patch, runs.fsync group"),
]
results, got, failed = [], {}, []
for name, f, what in rows:
    r = best(f)
    if r is None:
        continue
    got[name] = r
    results.append({"name": name + "_rps", "value": r["rps"], "unit": "req/s"})
    results.append({"name": name + "_p50", "value": r["p50_us"], "unit": "us"})
    results.append({"name": name + "_p99", "value": r["p99_us"], "unit": "us"})
    if r["op"] == "patch":
        # HTTP 409 (wrk) or ESTALE (native), over all rounds
        results.append({"name": name + "_409", "value": r.get("conflicts", r.get("stale", 0)),
                        "unit": "responses"})
    bad = sum(r.get(k, 0) for k in ("other_status", "socket_errors", "errors",
                                     "unparsed", "timeouts"))
    results.append({"name": name + "_failed", "value": bad, "unit": "requests"})
    if bad:
        failed.append(name)
        print(f"http: {name}: {bad} failed requests (last status "
              f"{r.get('last_bad_status')}: {r.get('last_bad_body', '')!r})", file=sys.stderr)

def cost_ratio(a, p):	# aios cost / peer cost, cost = 1 / throughput
    if a in got and p in got and got[a]["rps"] > 0:
        return got[p]["rps"] / got[a]["rps"]
    return None

ratios = {}
for k, a, p in [("ws_get_cost_vs_fastapi", "aios_get", "fastapi_get"),
                ("ws_patch_cost_vs_fastapi", "aios_patch_none", "fastapi_patch"),
                ("ws_get_cost_vs_native", "aios_get", "native_get"),
                ("ws_patch_cost_vs_native", "aios_patch_none", "native_patch_none"),
                ("ws_patch_group_cost_vs_fastapi", "aios_patch_group", "fastapi_patch"),
                ("ws_get_cost_vs_nginx_static", "aios_get", "nginx_static_get"),
                # the native socket against FastAPI: what the HTTP front may spend
                ("native_get_cost_vs_fastapi", "native_get", "fastapi_get"),
                ("native_patch_cost_vs_fastapi", "native_patch_none", "fastapi_patch")]:
    v = cost_ratio(a, p)
    if v is not None:
        ratios[k] = v

env = {
    "kernel": platform.release(),
    "vm": os.uname().nodename == "aios-vm",
    "cpus": os.cpu_count(),
    "loadavg_at_start": load0,
    "loadavg_at_end": load,
    "machine_loaded": "2 cores shared with other jobs (other helpers building and "
                      "testing) and between clients and servers",
    "rounds": rounds,
    "reported_round": "per measurement, the round with the highest req/s",
    "seconds_per_measurement": float(secs),
    "connections": int(conns),
    "client": "wrk 4.1 (GET: 2 threads x 32 connections; patch: 64 threads x 1 "
              "connection, each owning a run and tracking its seq from the replies); "
              "native: bench_http_native, 2 epoll threads x 32 aiosd connections "
              "(libaiosd_client to connect and set up), one request in flight each",
    "document_bytes": os.path.getsize(os.path.join(S, "doc.json")) - 1,
    "fastapi": f"uvicorn 1 process ({uvi}), pydantic body model, jsonschema "
               "Draft 2020-12 validation (same schema, checked by schema_check.py), "
               "JSONL ledger write+flush per patch, no fsync, working sets in memory",
    "aios_httpd": "TCP listener on 127.0.0.1, bearer token of a non-admin uid, "
                  "--per-ip 256 --per-principal 256 (64 are in use), run as nobody; "
                  "extra options: " + (os.environ.get("AIOS_BENCH_HTTPD_ARGS") or
                                       "none (defaults: --threads 32 --io-threads 4)"),
    "aios_durability": "runs.fsync none: ledger records written, not synced "
                       "(the peer's flushed JSONL); group: durable group commit",
    "aios_workset_write": "the workset ledger record carries the document and "
                          "follows runs.fsync; workset.json is an unsynced cache "
                          "swapped in with renameat2(RENAME_EXCHANGE) and rebuilt "
                          "from the ledger at open (userspace/runs/wsledger.c)",
    "state_fs": os.popen(f"stat -f -c %T {S}").read().strip(),
    "native_patch_none_tmpfs": "diagnostic: a second aiosd with its state on tmpfs "
                               "(/dev/shm), where fsync costs nothing; not in the ratios",
}
if aios_error:
    env["aios_error"] = aios_error

doc = {"category": "http", "env": env, "results": results, "ratios": ratios}
with open(out, "w") as f:
    json.dump(doc, f, indent=2, sort_keys=True)
    f.write("\n")

print()
print(f"{'server / operation':<40} {'req/s':>8} {'p50 us':>8} {'p99 us':>8} {'409s':>5}  rounds req/s")
for name, f, what in rows:
    if name not in got:
        print(f"{what:<40} {'-':>8}  not measured")
        continue
    r = got[name]
    c = r.get("conflicts", r.get("stale", "")) if r["op"] == "patch" else ""
    print(f"{what:<40} {r['rps']:>8.0f} {r['p50_us']:>8} {r['p99_us']:>8} {c!s:>5}  "
          + " ".join(f"{x:.0f}" for x in r["rounds_rps"]))
print()
targets = {"ws_get_cost_vs_fastapi": 0.1, "ws_patch_cost_vs_fastapi": 0.1,
           "ws_get_cost_vs_native": 3}
for k, v in ratios.items():
    t = targets.get(k)
    mark = "" if t is None else ("   target <= %g: %s" % (t, "met" if v <= t else "MISSED"))
    print(f"{k:<34} {v:>8.3f}{mark}")
print(f"\nwrote {out}")
if failed:
    print(f"http: failed requests in {', '.join(failed)}", file=sys.stderr)
    sys.exit(1)
PYRES
[ -z "$aios_error" ] || die "aios-httpd not measured: $aios_error (the peers are in $OUTJSON)"
