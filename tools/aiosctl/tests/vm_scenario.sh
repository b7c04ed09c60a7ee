#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# aiosctl against the real module, run as root inside the VM:
#   tools/vm/run -- tools/aiosctl/tests/vm_scenario.sh
# Prints every command with its output; ends with "scenario: OK (N steps)"
# or names the failed steps and exits 1.
set -u

TOP=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BUILD:-$TOP/build}
# AIOSCTL / AGENT_HOLD select other builds (e.g. the SAN=1 ones under build/san)
A=${AIOSCTL:-$BUILD/bin/aiosctl}
HOLD=${AGENT_HOLD:-$BUILD/aiosctl/tests/agent_hold}
steps=0
failed=()
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

# expect RC GREP DESCRIPTION -- CMD...: run CMD, check its exit code and
# that its combined output matches the extended regex GREP ("" = any).
expect() {
	local rc=$1 re=$2 what=$3 out got
	shift 4
	steps=$((steps + 1))
	echo "\$ ${*#"${A%aiosctl}"}"
	out=$("$@" 2>&1 </dev/null)
	got=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
	if [ "$got" != "$rc" ]; then
		failed+=("$what (exit $got, expected $rc)")
	elif [ -n "$re" ] && ! grep -Eq -- "$re" <<<"$out"; then
		failed+=("$what (output does not match /$re/)")
	fi
}

start_agent() {	# NAME [CAPS_TO_CHECK] -> sets agent_id, agent_pid
	local fifo
	fifo=$(mktemp -u /tmp/aiosctl-scn.XXXXXX)
	mkfifo "$fifo"
	"$HOLD" "$@" >"$fifo" 2>/dev/null &
	agent_pid=$!
	pids+=("$agent_pid")
	if ! read -r -t 20 agent_id <"$fifo" || [ -z "$agent_id" ]; then
		echo "scenario: $HOLD $* did not start an agent" >&2
		exit 1
	fi
	rm -f "$fifo"
}

for f in "$A" "$HOLD"; do
	[ -x "$f" ] || { echo "scenario: $f is missing (make -C tools/aiosctl)" >&2; exit 1; }
done

expect 0 'api version +1' "status" -- "$A" status
expect 0 '"api_version":1' "status json" -- "$A" -j status

start_agent worker-a
a=$agent_id
start_agent worker-b ACCESS_NET	# produces a denial
b=$agent_id

expect 0 "^$a +- +worker-a +normal +live" "agents table" -- "$A" agents
expect 0 "\"name\": \"worker-b\"" "agents show json" -- "$A" -j -p ag sh "$b"
# grammar against the module: abbreviations, ambiguity, -p alone, ls alias
expect 0 "^$a +- +worker-a " "ag l" -- "$A" ag l
expect 0 "^$b +- +worker-b " "agents ls" -- "$A" agents ls
expect 2 "ambiguous: agents, audit" "ambiguous object" -- "$A" a
expect 0 '^\{$' "-p alone is pretty JSON" -- "$A" st -p
# ipc policy (admin; audited)
expect 0 "agent $a may send only to $b" "ipc policy --allow" -- "$A" ipc pol "$a" --allow "$b"
expect 0 '"op":"msg_policy","object":'"$a"',"result":0' "ipc policy audited" -- "$A" -j audit --limit 16
expect 1 "" "ipc policy as user" -- setpriv --reuid=1000 --regid=1000 --clear-groups "$A" ipc policy "$a" --clear
expect 0 "agent $a may send to anyone" "ipc policy --clear" -- "$A" ipc policy "$a" --clear
expect 0 "agent $a: SPAWN_AGENT,ALLOC_MEMORY" "caps show" -- "$A" caps show "$a"
expect 0 "agent $a: SPAWN_AGENT,ALLOC_MEMORY,ACCESS_FS,ACCESS_NET" "caps grant" \
	-- "$A" caps grant "$a" access_net,ACCESS_FS
expect 2 "pass --yes" "revoke refused without --yes" -- "$A" caps revoke "$a" ACCESS_FS
expect 0 "agent $a: SPAWN_AGENT,ALLOC_MEMORY,ACCESS_NET" "caps revoke --yes" \
	-- "$A" --yes caps revoke "$a" ACCESS_FS
expect 0 '"caps":\["SPAWN_AGENT","ALLOC_MEMORY","ACCESS_NET"\]' "caps show json" \
	-- "$A" -j caps show "$a"
expect 1 "No such process" "caps of unknown agent" -- "$A" caps show 999999
expect 0 "migrated to CPUs 0" "migrate" -- "$A" migrate "$a" 0
expect 0 "^$a .* 0 +SPAWN" "agents shows cpus" -- "$A" agents show "$a"
expect 1 "Invalid argument" "migrate to missing CPU" -- "$A" migrate "$a" 1000
expect 0 "cap_check .*-EPERM +ACCESS_NET" "audit shows the denial" \
	-- "$A" audit --agent "$b"
opid=$("$A" -j audit --agent "$b" | grep -Eo '"op_id":[0-9]+' | tail -1 | cut -d: -f2)
expect 0 "\"op_id\":$opid" "audit by op id" -- "$A" -j audit --op "$opid"
expect 0 "" "audit limit" -- "$A" audit --limit 3
n=$("$A" -j audit --limit 3 | grep -o '"seq"' | wc -l)
steps=$((steps + 1)); [ "$n" = 3 ] || failed+=("audit --limit 3 gave $n records")

# live events: start a listener, then cause one agent_new and one agent_del
evout=$(mktemp /tmp/aiosctl-ev.XXXXXX)
"$A" events --count 2 >"$evout" 2>&1 &
evpid=$!
pids+=("$evpid")
sleep 1
start_agent ephemeral
e=$agent_id
kill "$agent_pid"
wait "$evpid"
steps=$((steps + 1))
echo "\$ aiosctl events --count 2"
sed 's/^/    /' "$evout"
grep -q "agent_new id=$e .*name=ephemeral" "$evout" &&
	grep -q "agent_del id=$e .*reason=closed" "$evout" ||
	failed+=("events did not show agent_new/agent_del of $e")
rm -f "$evout"

# the audit group: one record per privileged operation
evout=$(mktemp /tmp/aiosctl-ev.XXXXXX)
"$A" -j events --audit --count 3 >"$evout" 2>&1 &
evpid=$!
pids+=("$evpid")
sleep 1
start_agent auditee ACCESS_IO	# register + denied check
kill "$agent_pid"		# unregister
wait "$evpid"
steps=$((steps + 1))
echo "\$ aiosctl -j events --audit --count 3"
sed 's/^/    /' "$evout"
grep -q '"op":"cap_check".*"error":"EPERM","cap":\["ACCESS_IO"\]' "$evout" ||
	failed+=("events --audit did not show the denied cap_check")
rm -f "$evout"

expect 2 "pass --yes" "kill refused without --yes" -- "$A" kill "$b"
expect 0 "agent $b killed \(SIGTERM\)" "kill --yes" -- "$A" kill "$b" --signal TERM --yes
expect 1 "No such process" "kill again" -- "$A" --yes kill "$b"
expect 0 "^$a " "agents after kill" -- "$A" agents

# unprivileged user: reading is fine, administration is refused with the reason
U=(setpriv --reuid=1000 --regid=1000 --clear-groups)
expect 0 "api version" "status as user" -- "${U[@]}" "$A" status
expect 1 "ADMIN required" "grant as user" -- "${U[@]}" "$A" caps grant "$a" ADMIN
expect 1 "Operation not permitted" "audit as user" -- "${U[@]}" "$A" audit
expect 1 "Operation not permitted" "kill as user" -- "${U[@]}" "$A" --yes kill "$a"

expect 0 "64 entries" "audit config" -- "$A" audit config --ring-size 64
expect 0 "audit ring +64 entries" "status after resize" -- "$A" status
expect 0 "" "audit config restore" -- "$A" audit config --ring-size 4096

# task queues (Documentation/queues.md)
expect 0 'queue [0-9]+ "scn-q" created \(priority\)' "queues create" -- "$A" queues create scn-q --algo priority --concurrent 2 --aging-ms 50
expect 1 "exists" "queues create twice" -- "$A" queues create scn-q --algo fifo
expect 2 "unknown algorithm" "queues create bad algorithm" -- "$A" queues create scn-x --algo lifo
expect 0 "scn-q +priority +2 " "queues table" -- "$A" queues
expect 0 '"name":"scn-q".*"aging_ms":50' "queues show -j" -- "$A" -j queues show scn-q
expect 0 '^\[' "tasks -j" -- "$A" -j tasks --queue scn-q
expect 1 "ADMIN required" "queues create as user" -- "${U[@]}" "$A" queues create scn-u --algo fifo
# tasks cancel (confirmation, abbreviations, a non-submitter user is refused)
start_agent --submit scn-q submitter
read -r sub_id task_id <<<"$agent_id"
expect 0 "^$task_id +[0-9]+ +$sub_id +- +normal +queued" "tasks list" -- "$A" tasks list --queue scn-q
expect 2 "pass --yes" "tasks cancel without --yes" -- "$A" tasks cancel "$task_id"
expect 1 "" "tasks cancel as user" -- "${U[@]}" "$A" --yes tasks cancel "$task_id"
expect 0 "task $task_id cancelled" "tasks cancel" -- "$A" ta ca "$task_id" -y
expect 0 "\"id\":$task_id,.*\"state\":\"cancelled\"" "tasks -j after cancel" -- "$A" tasks -j --queue scn-q
expect 1 "" "tasks cancel unknown" -- "$A" --yes tasks cancel 999999
expect 2 "pass --yes" "queues destroy without --yes" -- "$A" queues destroy scn-q
expect 0 "queue scn-q destroyed" "queues destroy" -- "$A" --yes queues destroy scn-q
expect 1 "no such queue" "queues destroy again" -- "$A" --yes queues destroy scn-q

if [ ${#failed[@]} -gt 0 ]; then
	printf 'scenario: FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo "scenario: OK ($steps steps)"
