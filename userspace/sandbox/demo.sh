#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sandbox part of the aios demo (run as root in the test VM, e.g.
# tools/vm/run -- userspace/sandbox/demo.sh): a tool runs in the sandbox,
# a network call of an agent without ACCESS_NET is denied (seccomp inside
# the sandbox; the BPF LSM for an agent process outside one), and the eBPF
# audit shows what the tool did.
set -uo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
SB=$BUILD/sandbox/aios-sandbox
AU=$BUILD/sandbox/aios-audit
log=$(mktemp)
trap 'rm -f "$log"' EXIT

say() { printf '\n== %s\n' "$*"; }

say "protections available on this kernel"
"$SB" --health

say "a tool in the sandbox: what it sees (agent without ACCESS_FS/ACCESS_NET)"
"$SB" --audit "$log" -- /bin/sh -c '
	echo "uid $(id -u), hostname $(hostname), pid $$"
	echo "root: $(ls / | tr "\n" " ")"
	cat /etc/shadow 2>&1
	echo hello > /scratch/note && echo "wrote /scratch/note"
	echo x > /usr/evil 2>&1
	python3 -c "import socket; socket.create_connection((\"127.0.0.1\", 9))" 2>&1 | tail -n1
	exit 0'

say "the audit trail of that tool (eBPF: exec, open, connect, exit)"
grep -v '"type": "open"' "$log"
echo "... and $(grep -c '"type": "open"' "$log") open events, e.g.:"
grep '"type": "open"' "$log" | grep -v '\.so\|ld\.so' | head -n 4

say "an agent process outside any sandbox, without ACCESS_NET: the BPF LSM refuses connect"
"$AU" --deny-net -- /usr/bin/python3 -c '
import socket, errno
s = socket.socket()
rc = s.connect_ex(("127.0.0.1", 9))
print("connect ->", errno.errorcode.get(rc, rc))' 2>&1 | grep -E 'connect ->|connect_denied|aios-audit:'
