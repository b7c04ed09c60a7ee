#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# aiosd without root (in the VM, started as root): aiosd runs as uid 1000
# in a cgroup delegated to that uid, the way systemd's Delegate=yes hands
# a service its subtree.  aiosd must move itself into a "daemon" leaf,
# put the sandbox's run cgroups below "tools", run a tool as uid 1000
# with the cgroup limits, and say in status why the eBPF audit is off.
# Prints kselftest-style results.
set -u
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BUILD:-$TOP/build}
AIOSD=$BUILD/bin/aiosd
AIOSCTL=$BUILD/bin/aiosctl
pass=0 fail=0 skip=0 n=0

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

echo "TAP version 13"
if [ "$(id -u)" != 0 ] || [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
	echo "1..0 # SKIP needs root and cgroup v2 (run it in the VM)"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 0
fi
echo "1..6"
dir=$(mktemp -d /tmp/aiosd-unpriv.XXXXXX)
chmod 755 "$dir"
mkdir "$dir/tools"
cat > "$dir/tools/echo.json" <<'JSON'
{"name": "echo", "type": "exec", "command": ["/bin/echo"], "permission": "READ_ONLY",
 "sandboxed": true, "max_args": 4, "limits": {"pids": 16, "memory_mb": 64}}
JSON
chown -R 1000:1000 "$dir"
cg=/sys/fs/cgroup/aiosd-unpriv-$$
mkdir "$cg"
echo "+memory +pids +cpu" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
chown -R 1000:1000 "$cg"
sock=$dir/aiosd.sock
(
	echo "$BASHPID" > "$cg/cgroup.procs"
	exec setpriv --reuid=1000 --regid=1000 --clear-groups env -i PATH=/usr/bin:/bin \
		AIOS_TOOLS_DIR="$dir/tools" AIOS_DEVICE=/nonexistent "$AIOSD" -s "$sock" \
		--memory-only
) > "$dir/aiosd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
check "aiosd starts as uid 1000" '[ -S "$sock" ] && [ "$(stat -c %u /proc/$pid)" = 1000 ]'
check "aiosd moved itself into the delegated cgroup's daemon leaf" \
	'grep -q "^0::/aiosd-unpriv-$$/daemon$" /proc/$pid/cgroup'
status=$(AIOS_SOCKET=$sock python3 - <<'PY'
import json, os, socket, struct
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["AIOS_SOCKET"])
b = b'{"v":1,"op":"status"}'; s.sendall(struct.pack(">I", len(b)) + b)
h = s.recv(4, socket.MSG_WAITALL); n = struct.unpack(">I", h)[0]
d = b''
while len(d) < n: d += s.recv(n - len(d))
r = json.loads(d); sb = r["sandbox"]; au = r["audit"]
print(sb["available"], sb.get("detail", "-").replace(" ", "_"), au["attached"],
      au.get("detail", "-").replace(" ", "_"))
PY
)
read -r avail sbwhy attached auwhy <<< "$status"
check "the sandbox is available without root" '[ "$avail" = True ]' || echo "# $sbwhy"
check "status says why the eBPF audit is not attached" \
	'[ "$attached" = False ] && [ "$auwhy" != - ]'
out=$(AIOS_SOCKET=$sock setpriv --reuid=1000 --regid=1000 --clear-groups "$AIOSCTL" \
	tools call echo unprivileged 2>&1)
check "a tool runs (as uid 1000)" '[ "$out" = unprivileged ]' || echo "# $out"
check "run cgroups go below the delegated tools cgroup" '[ -d "$cg/tools" ] && \
	grep -qw pids "$cg/tools/cgroup.subtree_control"'
kill -TERM "$pid"; wait "$pid"
[ $fail = 0 ] || { echo "# aiosd log:"; sed 's/^/# /' "$dir/aiosd.log"; }
rmdir "$cg"/tools/* "$cg"/tools "$cg"/daemon "$cg" 2>/dev/null
rm -rf "$dir"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ $fail = 0 ]
