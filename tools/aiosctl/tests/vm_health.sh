#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# aiosctl health / bootlog / config against the real module and a real
# aiosd, as root in the test VM (make check runs it):
#
#   tools/vm/run --modparams audit_ring_size=64 -- tools/aiosctl/tests/vm_health.sh 64
#
# - "health --live" and "health --full" pass with the module loaded, every
#   module check ok and timed; an unprivileged user's --live passes too;
# - the boot log's kernel events report the module as the kernel does:
#   the audit_ring_size parameter (from /sys/module/aios/parameters) and
#   the ring size, API version and features from netlink STATUS_GET;
# - after rmmod-like loss of aiosd, --live fails (exit 1).
# Argument: the audit_ring_size the module was loaded with (optional).
# Prints TAP and a kselftest Totals line.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BUILD:-$TOP/build}
A=${AIOSCTL:-$BUILD/bin/aiosctl}
D=${AIOSD:-$BUILD/bin/aiosd}
RING=${1:-}

n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skp() { n=$((n + 1)); skip=$((skip + 1)); echo "ok $n # SKIP $1"; }
finish() {
	echo "1..$n"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	[ "$fail" = 0 ]
	exit
}
# check DESCRIPTION COMMAND...: ok when COMMAND exits 0
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else nok "$what" "$(printf '%s' "$out" | tail -5)"; fi
}

echo "TAP version 13"
if [ "$(id -u)" != 0 ] || [ ! -x "$A" ] || [ ! -x "$D" ]; then
	skp "needs root, $A and $D (make all)"
	finish
fi
if [ ! -c /dev/aios ]; then
	skp "the aios module is not loaded (run through tools/vm/run)"
	finish
fi

W=$(mktemp -d /tmp/vm-health.XXXXXX)
chmod 755 "$W"
export AIOS_SOCKET=$W/aiosd.sock
echo '{"log_level":"info","store":{"max_size_mb":16}}' >"$W/aiosd.json"
"$D" -c "$W/aiosd.json" -s "$AIOS_SOCKET" -d "$W/state/store" 2>"$W/aiosd.log" &
dpid=$!
trap 'kill $dpid 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 100); do [ -S "$AIOS_SOCKET" ] && break; sleep 0.1; done
sleep 0.3

out=$("$A" health --live 2>&1); rc=$?
[ $rc = 0 ] && ok "health --live exits 0 with the module loaded" ||
	nok "health --live exits 0 with the module loaded" "exit $rc" "$out"
echo "$out" | sed 's/^/# /'

json=$("$A" -j health --full 2>&1); rc=$?
[ $rc = 0 ] && ok "health --full exits 0" || nok "health --full exits 0" "exit $rc" "$json"
"$A" health --full 2>&1 | sed 's/^/# /'
for c in module.device module.netlink aiosd queues gpu_table store runs audit_ring agents memory bootlog; do
	st=$(jq -r --arg c "$c" '.checks[] | select(.name == $c) | .state' <<<"$json" 2>/dev/null)
	ms=$(jq -r --arg c "$c" '.checks[] | select(.name == $c) | .ms' <<<"$json" 2>/dev/null)
	if [ "$st" = ok ] && [ -n "$ms" ] && [ "$ms" != null ]; then
		ok "health --full: $c ok (${ms} ms)"
	else
		nok "health --full: $c ok" "state '$st', ms '$ms'"
	fi
done
st=$(jq -r '.checks[] | select(.name == "sandbox") | .state' <<<"$json")
case "$st" in
ok|warn) ok "health --full: sandbox protections reported ($st)" ;;
*) nok "health --full: sandbox protections reported" "state '$st'" ;;
esac

# an unprivileged user: liveness needs no privilege
if command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=1000 --regid=1000 --clear-groups "$A" health --live 2>&1); rc=$?
	[ $rc = 0 ] && ok "health --live as uid 1000" || nok "health --live as uid 1000" "exit $rc" "$out"
else
	skp "setpriv missing"
fi

# the boot log: the module as the kernel reports it
bl=$("$A" -j bootlog 2>&1)
mod=$(jq -c '.events[] | select(.event == "module") | .detail' <<<"$bl" 2>/dev/null)
if [ "$(jq -r '.loaded' <<<"$mod" 2>/dev/null)" = true ] &&
   [ "$(jq -r '.status.api_version' <<<"$mod")" != null ]; then
	ok "bootlog: module event with netlink status (API $(jq -r '.status.api_version' <<<"$mod"), features $(jq -r '.status.features' <<<"$mod"))"
else
	nok "bootlog: module event with netlink status" "$bl"
fi
if [ -n "$RING" ]; then
	p=$(jq -r '.parameters.audit_ring_size' <<<"$mod")
	s=$(jq -r '.status.audit_ring_size' <<<"$mod")
	[ "$p" = "$RING" ] && [ "$s" = "$RING" ] &&
		ok "bootlog: audit_ring_size=$RING from sysfs parameters and from STATUS_GET" ||
		nok "bootlog: audit_ring_size=$RING reported" "parameter '$p', status '$s'"
fi
for e in start config store runs gpus serving; do
	jq -e --arg e "$e" '.events[] | select(.event == $e)' <<<"$bl" >/dev/null &&
		ok "bootlog: event $e" || nok "bootlog: event $e" "$bl"
done
"$A" bootlog 2>&1 | sed 's/^/# /'

# a reload through aiosctl: applied and restart keys
echo '{"log_level":"debug","store":{"max_size_mb":8,"key_max":100}}' >"$W/aiosd.json"
out=$("$A" config reload 2>&1)
grep -q "store.max_size_mb" <<<"$out" && grep -q "needs a restart" <<<"$out" &&
	ok "config reload: applied and needs-a-restart keys" || nok "config reload" "$out"

# aiosd gone: not live any more
kill "$dpid"; wait "$dpid" 2>/dev/null
out=$("$A" health --live 2>&1); rc=$?
[ $rc = 1 ] && ok "health --live exits 1 when aiosd is down" ||
	nok "health --live exits 1 when aiosd is down" "exit $rc" "$out"
out=$("$A" bootlog --list --file "$W/state/bootlog.jsonl" 2>&1); rc=$?
[ $rc = 0 ] && grep -q "stopped" <<<"$out" && ok "bootlog --file after the stop" ||
	nok "bootlog --file after the stop" "$out"
finish
