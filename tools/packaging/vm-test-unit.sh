#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/packaging/vm-test-unit.sh - check aiosd.service's privilege choices
# against the real tool sandbox, as root in the test VM:
#
#   tools/vm/run -- tools/packaging/vm-test-unit.sh      (make check runs it)
#
# - the sandbox works with exactly the unit's CapabilityBoundingSet= and
#   no_new_privs, and cleans up after a hostile tool;
# - every kept capability but CAP_BPF/CAP_PERFMON is needed (dropping it
#   breaks a run or leaves the run directory behind);
# - the eBPF audit works with the set, also at Debian's default
#   kernel.perf_event_paranoid=3 (it attaches through BPF links);
# - the /proc over-mounts of ProtectKernelTunables=/ProtectKernelLogs=
#   break the sandbox, which is why the unit does not use them.
# Prints TAP and a kselftest Totals line.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
SB=$BUILD/bin/aios-sandbox
UNIT=$BUILD/packaging/aiosd.service

# The VM harness chroots into the host root, and the kernel refuses user
# namespaces to chrooted processes.  Re-run in a private mount namespace
# of pid 1 with the host root moved onto "/" (what switch_root does),
# after dropping the initramfs's own /proc and /sys there: a host has one
# proc mount, and a second, fully visible one would hide what the /proc
# checks below are about (the kernel allows a new proc mount in a user
# namespace when any existing one is fully visible).
if [ -z "${AIOS_UNCHROOTED:-}" ] && [ "$(stat -c %d:%i /)" != "$(stat -c %d:%i /proc/1/root/ 2>/dev/null)" ]; then
	R=$(awk '$8 == "9p" && $9 == "hostroot" { print $5; exit }' /proc/1/mountinfo)
	if [ -z "$R" ]; then
		echo "TAP version 13"
		echo "1..0 # SKIP chrooted, but not in the aios test VM (no 9p host root)"
		echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
		exit 0
	fi
	exec nsenter -t 1 -m -r -w -- /bin/sh -c "unshare -m /bin/sh -c 'mount --make-rprivate / && umount -l /proc /sys && cd $R && mount --move . / && exec chroot . /usr/bin/env AIOS_UNCHROOTED=1 BUILD=$BUILD /bin/bash $TOP/tools/packaging/vm-test-unit.sh'"
fi

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

echo "TAP version 13"
if [ "$(id -u)" != 0 ] || [ ! -x "$SB" ] || [ ! -f "$UNIT" ]; then
	skp "needs root, $SB and $UNIT (make all)"
	finish
fi
# CAP_FOO CAP_BAR -> foo bar
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' | sed 's/cap_//g')
bset() {	# bounding set argument for setpriv: the unit's set minus $1
	local c out=-all
	for c in $caps; do
		[ "$c" = "${1:-}" ] || out="$out,+$c"
	done
	echo "$out"
}
scratch=/tmp/aios-unit-test
mkdir -p $scratch
# A hostile tool: a 0000 directory and a sticky directory with a file of
# its own (uid 65534) in the run's scratch directory.
tool='mkdir /scratch/d && echo x > /scratch/d/f && chmod 1777 /scratch/d && mkdir /scratch/e && touch /scratch/e/g && chmod 0 /scratch/e && echo tool-ran'
# sandbox BOUNDING [ARGS...]: run the tool; sets out, rc, left
sandbox() {
	local b=$1
	shift
	rm -rf $scratch/aios-sb-*
	out=$(setpriv --bounding-set "$b" --no-new-privs -- "$SB" --scratch-base $scratch "$@" \
		-- /bin/sh -c "$tool" 2>&1)
	rc=$?
	left=$(find $scratch -maxdepth 1 -name 'aios-sb-*' | wc -l)
}

echo "# unit bounding set: $caps"
sandbox "$(bset)"
if [ $rc = 0 ] && [[ "$out" == *tool-ran* ]] && [ "$left" = 0 ]; then
	ok "sandbox runs and cleans up with the unit's bounding set and no_new_privs"
else
	nok "sandbox runs and cleans up with the unit's bounding set and no_new_privs" \
		"rc=$rc leftover=$left" "$(echo "$out" | tail -n 2 | tr '\n' '|')"
fi

for c in $caps; do
	case $c in bpf | perfmon) continue ;; esac
	sandbox "$(bset "$c")"
	if [ $rc != 0 ] || [ "$left" != 0 ]; then
		ok "cap_$c is needed (without it: rc=$rc, run directories left: $left)"
	else
		nok "cap_$c is needed" "the sandbox ran and cleaned up without it: drop it from the unit"
	fi
done

paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
for p in 2 3; do	# 3: Debian's default
	echo $p > /proc/sys/kernel/perf_event_paranoid
	rm -f $scratch/audit.jsonl
	sandbox "$(bset)" --audit $scratch/audit.jsonl
	lines=$(cat $scratch/audit.jsonl 2>/dev/null | wc -l)
	if [ $rc = 0 ] && [ "$lines" -gt 0 ]; then
		ok "eBPF audit works with the bounding set at perf_event_paranoid=$p ($lines events)"
	else
		nok "eBPF audit works with the bounding set at perf_event_paranoid=$p" \
			"rc=$rc events=$lines" "$(echo "$out" | tail -n 2 | tr '\n' '|')"
	fi
done
echo "$paranoid" > /proc/sys/kernel/perf_event_paranoid

rm -rf $scratch/aios-sb-*
out=$(unshare -m --propagation private "$SB" --scratch-base $scratch -- /bin/echo hi 2>&1)
if [ $? = 0 ] && [ "$out" = hi ]; then
	ok "sandbox runs in a plain new mount namespace (baseline of the next two)"
else
	nok "sandbox runs in a plain new mount namespace (baseline of the next two)" "$(echo "$out" | tail -n 2 | tr '\n' '|')"
fi
# ProtectKernelTunables= bind-mounts /proc/sys read-only onto itself,
# ProtectKernelLogs= masks /proc/kmsg: emulate each in a mount namespace.
for what in "/proc/sys" "/proc/kmsg"; do
	if [ "$what" = /proc/sys ]; then
		prep="mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys"
		name=ProtectKernelTunables
	else
		prep="mount --bind /dev/null /proc/kmsg"
		name=ProtectKernelLogs
	fi
	rm -rf $scratch/aios-sb-*
	out=$(unshare -m --propagation private /bin/sh -c "$prep && exec $SB --scratch-base $scratch -- /bin/echo hi" 2>&1)
	rc=$?
	if [ $rc != 0 ]; then
		ok "$name's over-mount of $what breaks the sandbox (why the unit does not use it): $(echo "$out" | tail -n 1 | cut -c1-120)"
	else
		nok "$name's over-mount of $what breaks the sandbox" "it ran: consider enabling $name= in the unit"
	fi
done
rm -rf $scratch
finish
