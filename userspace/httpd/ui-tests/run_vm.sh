#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# userspace/httpd/ui-tests/run_vm.sh - the panel's browser tests, inside the
# test VM (tools/vm/run, as root, cwd = the repository, aios.ko loaded).
#
# Starts aiosd (state in a private /tmp directory, an HTTP token file), mints
# an admin bearer token, starts the demo agents (demo_agents.py) and
# aios-httpd as uid 1000 with a TCP listener on 127.0.0.1, then runs
# panel_test.cjs in headless chromium.  Screenshots: $AIOS_UI_OUT
# (default BUILD/ui).  Exit status: the tests'.
#
# With AIOS_UI_SERVE=SECONDS (tools/demo/panel, "make panel") it runs no
# tests: it listens on AIOS_UI_LISTEN (default 127.0.0.1:PORT), accepts
# the Origin AIOS_UI_PUBLIC (the panel's address as the browser sees it),
# prints that address and the admin token, and serves for SECONDS (0:
# until killed).
set -euo pipefail

TOP=${AIOS_TOP:-$(pwd)}
BUILD=${AIOS_BUILD:-$TOP/build}
HERE=$TOP/userspace/httpd/ui-tests
BIN=${AIOS_UI_BIN:-$BUILD/bin}
OUT=${AIOS_UI_OUT:-$BUILD/ui}
NODE_MODULES=${AIOS_UI_NODE_MODULES:-$BUILD/ui-tests/node_modules}
PORT=${AIOS_UI_PORT:-8731}
PY=/usr/bin/python3
SERVE=${AIOS_UI_SERVE:-}
LISTEN=${AIOS_UI_LISTEN:-127.0.0.1:$PORT}
PUBLIC=${AIOS_UI_PUBLIC:-http://127.0.0.1:$PORT/}
[ -z "$SERVE" ] || NODE_MODULES=	# serving needs no puppeteer

for f in "$BIN/aiosd" "$BIN/aios-httpd" ${NODE_MODULES:+"$NODE_MODULES/puppeteer-core/package.json"}; do
	if [ ! -e "$f" ]; then
		echo "run_vm: $f is missing (make all; make -C userspace/httpd/ui-tests deps)" >&2
		exit 2
	fi
done
[ -c /dev/aios ] || { echo "run_vm: /dev/aios is missing: run me with tools/vm/run" >&2; exit 2; }

work=$(mktemp -d /tmp/aios-ui.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	local i
	# Newest first: httpd, the agents, aiosd.
	for (( i = ${#pids[@]} - 1; i >= 0; i-- )); do
		kill -TERM "${pids[$i]}" 2>/dev/null || true
		wait "${pids[$i]}" 2>/dev/null || true
	done
	if [ "${keep_logs:-0}" = 1 ]; then
		for l in "$work"/*.log; do
			[ -s "$l" ] && { echo "---- ${l##*/}"; tail -n 30 "$l"; }
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT

wait_for() {	# wait_for WHAT SECONDS COMMAND...
	local what=$1 n=$(( $2 * 5 ))
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		n=$(( n - 1 ))
		if [ $n -le 0 ]; then
			echo "run_vm: $what did not come up" >&2
			keep_logs=1
			exit 1
		fi
		sleep 0.2
	done
}

AIOS_HTTP_TOKENS=$work/tokens AIOS_RUNS_DIR=$work/state \
	"$BIN/aiosd" -s "$work/aiosd.sock" -d "$work/store" > "$work/aiosd.log" 2>&1 &
pids+=($!)
wait_for aiosd 30 test -S "$work/aiosd.sock"

reply=$($PY "$HERE/aiosd_call.py" "$work/aiosd.sock" \
	'{"op": "token.add", "uid": 0, "note": "panel browser tests"}')
token=$(printf '%s' "$reply" | $PY -c 'import json, sys; print(json.load(sys.stdin)["token"])')

AIOS_SOCKET=$work/aiosd.sock $PY "$HERE/demo_agents.py" hold "$work/demo.json" > "$work/agents.log" 2>&1 &
pids+=($!)
wait_for "the demo agents" 60 test -s "$work/demo.json"

# aios-httpd is unprivileged: uid 1000, the token decides what it may see.
# The tests pass no --allow-origin: the panel's own loopback origin is
# accepted by default.  Serving names the forwarded address anyway.
setpriv --reuid=1000 --regid=1000 --clear-groups \
	"$BIN/aios-httpd" --no-socket --listen "$LISTEN" -a "$work/aiosd.sock" \
	--www "$TOP/userspace/httpd/www" --openapi "$TOP/userspace/httpd/openapi.json" \
	${SERVE:+--allow-origin "${PUBLIC%/}"} > "$work/httpd.log" 2>&1 &
pids+=($!)
wait_for aios-httpd 30 curl -sf "http://127.0.0.1:$PORT/health/live"

if [ -n "$SERVE" ]; then
	echo "panel: $PUBLIC  token: $token  (open: xdg-open $PUBLIC)"
	[ "$SERVE" = 0 ] && SERVE=infinity
	sleep "$SERVE" &
	pids+=($!)
	# Until the time is up, or aios-httpd or another piece stops.
	set +e
	wait -n "${pids[@]}"
	set -e
	if kill -0 "${pids[-1]}" 2>/dev/null; then
		echo "run_vm: a part of the panel stopped; its logs:" >&2
		keep_logs=1
		exit 1
	fi
	exit 0
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.png
set +e
HOME=$work NODE_PATH=$NODE_MODULES AIOS_UI_URL="http://127.0.0.1:$PORT/" \
	AIOS_UI_TOKEN="$token" AIOS_UI_OUT="$OUT" AIOS_UI_STATE="$work/demo.json" \
	AIOS_UI_DENY="$PY $HERE/demo_agents.py deny" \
	node "$HERE/panel_test.cjs"
rc=$?
set -e
[ $rc = 0 ] || keep_logs=1
exit $rc
