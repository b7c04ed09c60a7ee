#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Example aios agent: a deterministic word count by a coordinator and
three worker agents (no LLM: the "thinking" is a fixed computation).

    python3 userspace/python/examples/agent.py            # needs aios.ko
    tools/vm/run -- python3 userspace/python/examples/agent.py

Steps: register; read the module status; ask for a capability it lacks
and read why it was denied (an admin then grants it); spawn three workers
as child agents on forked processes (pidfd + the agent file passed over a
Unix socket); hand out the work as tasks on an aios queue (when the module
has queues and we are admin; otherwise over the sockets); each worker
adopts its file, checks its own identity, counts words in its chunk,
completes its task and reports to the coordinator with a typed message
(when the module has IPC); the coordinator merges and verifies the result; it
kills the worker that does not exit by itself (KILL_AGENT, granted when we
are admin; otherwise the denial is shown and the worker is told to exit);
it claims a (stand-in) GPU when the module has GPU claims and we are
admin, and a higher-priority agent preempts it (the preemption callback
saves and releases).  Through aiosd (``$AIOS_SOCKET``; without one the
example starts a private aiosd from the build tree in a temporary
directory) it keeps the job in a run: the working set is updated with
expected_seq, every worker result is a ledger record, the results are in
the memory store, the conversation is a context snapshot checked against a
model window, a milestone commits a long-term memory fact, a sandboxed
``wc`` tool recounts the corpus, and the ledger verifies.  Finally it
prints its own audit trail.  The last line is "agent: OK (N steps)"; a
misbehaving step exits 1, a missing module 2.
"""
import collections
import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import aios  # noqa: E402

CORPUS = """\
agents are processes the kernel gives them identity
capabilities decide what an agent may do and the kernel checks them
every decision is written to the audit ring with the agent that asked
a tool runs in a sandbox and an agent that is killed releases what it held
""".split("\n")

steps = 0
TOP = Path(__file__).resolve().parents[3]
# the sandboxed tool a private aiosd offers: counts words on stdin
WC_TOOL = {"name": "wc", "type": "exec", "description": "count words on stdin",
           "command": ["/usr/bin/wc", "-w"], "permission": "READ_ONLY",
           "sandboxed": True, "max_args": 0}


def step(msg):
    global steps
    steps += 1
    print(f"[{steps}] {msg}", flush=True)


def fail(msg):
    print(f"agent: FAILED at step {steps + 1}: {msg}", file=sys.stderr)
    sys.exit(1)


def count(lines):
    c = collections.Counter()
    for line in lines:
        c.update(line.split())
    return c


def worker(sock, chunk, linger):
    """Child process: adopt the agent file, count, report, maybe linger.

    The coordinator sends the agent file with "QUEUE_ID,IPC": take the
    work from that queue (0: it is our chunk) and report with a typed
    message to the parent agent (IPC 1) or over the socket (0)."""
    try:
        data, fds, _, _ = socket.recv_fds(sock, 16, 1)
        qid, use_ipc = (int(x) for x in data.decode().split(","))
        with aios.Aios(fd=fds[0]) as me:
            info = me.info()
            result = {"id": info.id, "parent": info.parent_id, "pid": info.pid,
                      "caps": str(info.caps)}
            if qid:
                task = me.fetch(qid, timeout=60)
                if task is None:
                    raise RuntimeError("no task within 60 s")
                result["counts"] = count(json.loads(task.payload))
                result["task"] = task.task_id
                me.complete(task.task_id, json.dumps(result))
            else:
                result["counts"] = count(chunk)
            if use_ipc:
                me.send(info.parent_id, "result", result)
            else:
                sock.sendall(json.dumps(result).encode() + b"\n")
            if linger:  # a worker that does not finish on its own
                sock.recv(1)  # until told (or killed)
        os._exit(0)
    except BaseException as e:
        sock.sendall(json.dumps({"error": str(e)}).encode() + b"\n")
        os._exit(1)


@contextlib.contextmanager
def aiosd_socket():
    """$AIOS_SOCKET if aiosd answers there, else a private aiosd ($AIOSD or
    <repo>/build/bin/aiosd) in a temporary directory, with a "wc" tool."""
    env_sock = os.environ.get("AIOS_SOCKET")
    try:
        aios.Session(socket=env_sock).close()
        yield env_sock, "the system's aiosd"
        return
    except aios.DaemonUnavailable:
        pass
    binary = os.environ.get("AIOSD") or str(TOP / "build" / "bin" / "aiosd")
    if not os.access(binary, os.X_OK):
        fail(f"no aiosd answers at {env_sock or '/run/aios/aiosd.sock'} and {binary} "
             "does not exist (make all, or set AIOS_SOCKET)")
    tmp = tempfile.mkdtemp(prefix="aios-example-")
    os.mkdir(os.path.join(tmp, "tools"))
    with open(os.path.join(tmp, "tools", "wc.json"), "w") as f:
        json.dump(WC_TOOL, f)
    sock = os.path.join(tmp, "aiosd.sock")
    env = dict(os.environ, AIOS_TOOLS_DIR=os.path.join(tmp, "tools"), AIOS_LOG_LEVEL="error",
               AIOS_SOCKET_MODE="0600")
    proc = subprocess.Popen([binary, "-s", sock, "-d", os.path.join(tmp, "store")], env=env)
    try:
        deadline = time.monotonic() + 60  # TCG VMs are slow
        while True:
            try:
                aios.Session(socket=sock).close()
                break
            except aios.DaemonUnavailable:
                if proc.poll() is not None or time.monotonic() > deadline:
                    fail(f"the private aiosd did not start (exit {proc.poll()})")
                time.sleep(0.05)
        yield sock, f"a private aiosd (pid {proc.pid}, state in {tmp})"
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def preemption(me, my_id, nl):
    """Hold a stand-in GPU at our priority; a CRITICAL agent claims it and
    our on_preempt callback checkpoints and releases within the grace."""
    gpu_id = 98
    nl.gpu_register(gpu_id, "stand-in-2", "/dev/zero", grace_ms=5000)
    events = []
    try:
        with aios.Aios() as urgent:
            urgent_id = urgent.register("urgent", prio="critical")
            for agent in (my_id, urgent_id):
                nl.grant(agent, "ACCESS_GPU")

            def on_preempt(claim):  # runs in our main thread (SIGUSR2)
                events.append(f"checkpoint of claim {claim.handle} saved")
                claim.release()

            held = me.claim_gpu(gpu_id, grace_ms=5000, on_preempt=on_preempt)
            want = urgent.claim_gpu(gpu_id, nonblock=True)
            deadline = time.monotonic() + 20
            while want.state()[0] != aios.GpuState.HELD and time.monotonic() < deadline:
                time.sleep(0.05)  # the callback runs between these sleeps
            owner = nl.gpu(gpu_id).owner_id
            want.release()
            del held
    finally:
        nl.gpu_unregister(gpu_id)
    if len(events) != 1 or owner != urgent_id:
        fail(f"preemption: callback events {events}, owner {owner} (urgent is {urgent_id})")
    step(f"GPU {gpu_id}: agent {urgent_id} (CRITICAL) preempted us; on_preempt: {events[0]}, "
         "released within the grace")


def keep_the_run(me, sock, where, results, total):
    """The job's persistent side, through aiosd as this agent."""
    with aios.Session(me, sock) as s:
        step(f"session with {where} as agent {s.agent_id}")
        run = s.run_create()
        seq, _ = s.workset_get(run)
        doc = {"goal": "count the words of the corpus", "status": "active", "step": 1,
               "vars": {"workers": len(results)}}
        seq = s.workset_put(run, seq, doc)
        for r in results:
            s.ledger_append(run, "worker_result", {"worker": r["id"], "words": sum(r["counts"].values())})
            s.put(f"wc:{run}:worker-{r['id']}", json.dumps(r["counts"], sort_keys=True))
        try:  # another writer that did not see the update loses
            s.workset_put(run, seq - 1, dict(doc, step=9))
            fail("a stale working-set update was accepted")
        except aios.StaleSeq as e:
            stale_seq = e.current_seq
        seq = s.workset_put(run, seq, dict(doc, step=2, vars={"words": sum(total.values())}))
        keys = s.keys(f"wc:{run}:")
        step(f"run {run}: working set seq {seq} (a stale write with expected_seq {stale_seq - 1} "
             f"was refused: the set was at {stale_seq}); "
             f"{len(results)} results in the ledger and {len(keys)} in the memory store")
        if len(keys) != len(results) or stale_seq != seq - 1:
            fail(f"memory keys {keys}, stale seq {stale_seq}")

        top = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        conv = [{"role": "system", "content": "You count words."},
                {"role": "user", "content": " ".join(CORPUS)},
                {"role": "assistant", "content": "Top words: " + ", ".join(f"{w}={n}" for w, n in top)}]
        sid, tokens = s.context_create(conv, model="llama-3.1-8b")
        chk = s.context_check(conv, model="llama-2")
        cut = s.context_truncate(conv, budget=tokens // 2)
        if s.context_restore(sid)["messages"] != conv or not chk["fits"]:
            fail("the context snapshot did not round-trip")
        step(f"context {sid}: {tokens} tokens, fits llama-2's {chk['budget']}; truncated to "
             f"{cut['tokens_after']} tokens it keeps the system prompt and drops {cut['dropped']}")

        prop = s.ltm_propose(run, [{"text": f"the corpus has {sum(total.values())} words",
                                    "scope": "examples/wordcount", "tags": ["count"]}])
        if s.ltm_search(run, "corpus words"):
            fail("a proposal was searchable before its commit")
        ep = s.episode_create(run, "counted", "all workers merged")
        s.ltm_commit(run, prop, "counted")
        hit = s.ltm_search(run, "corpus words")[0]["text"]
        step(f"milestone 'counted' (episode {ep['sha256'][:12]}...) committed to long-term memory: "
             f"\"{hit}\"")

        if any(t["name"] == "wc" for t in s.tools()["tools"]):
            try:
                r = s.tool_call("wc", stdin="\n".join(CORPUS), run=run)
                n = int(r["stdout"].split()[0])
                if n != sum(total.values()):
                    fail(f"the wc tool counted {n}")
                step(f"sandboxed tool wc counted {n} words too (exit {r['exit_code']}, "
                     f"{r['audit']['events']} audit events, recorded in run {run})")
            except aios.AiosError as e:
                # no sandbox on this host (EOPNOTSUPP), or an unprivileged
                # aiosd that may not set one up (e.g. no delegated cgroup)
                if e.errno != errno.EOPNOTSUPP and not (
                        e.errno == errno.EACCES and "sandbox did not run" in e.strerror):
                    raise
                step(f"tool sandbox not available to this aiosd: {e.strerror}")
        else:
            step("this aiosd offers no wc tool: tool call skipped")

        report = s.ledger_verify(run)
        types = collections.Counter(r["type"] for r in s.ledger(run))
        step(f"ledger verified: {report['records']} records, chain intact "
             f"({', '.join(f'{k}={v}' for k, v in sorted(types.items()))})")


def main():
    try:
        me = aios.Aios()
    except aios.ModuleNotLoaded as e:
        print(f"agent: {e.strerror}", file=sys.stderr)
        return 2
    with me:
        my_id = me.register("coordinator", prio="normal")
        step(f"registered as agent {my_id} with {me.info().caps}")

        with aios.Aios(open=False) as nl:
            st = nl.status()
        step(f"module API {st.api_version}, features {','.join(sorted(st.features))}, "
             f"{st.agents} live agent(s)")

        if me.has_caps("KILL_AGENT"):
            fail("a new agent should not hold KILL_AGENT")
        d = me.last_denial()
        step(f"KILL_AGENT check denied: \"{d.reason}\" (audit op {d.op_id})")
        admin = os.geteuid() == 0
        if admin:
            me.grant(my_id, "KILL_AGENT")
            step(f"granted ourselves KILL_AGENT as root: now {me.caps()}")
        else:
            step("not root: no grant, the lingering worker will be asked to exit")

        chunks = [CORPUS[0:1], CORPUS[1:2], CORPUS[2:4]]
        qid = 0
        use_ipc = "ipc" in me.features
        if admin and "queues" in me.features:
            with aios.Aios(open=False) as nl:
                qid = nl.queue_create(f"wordcount-{os.getpid()}", "fifo", max_concurrent=3)
            step(f"created queue {qid} (FIFO, 3 workers at a time)")
        workers = []
        for i, chunk in enumerate(chunks):
            ours, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                ours.close()
                me_fd = me.fd
                if me_fd is not None:
                    os.close(me_fd)  # the worker holds only its own agent file
                worker(theirs, chunk, linger=(i == 2))
            theirs.close()
            pidfd = os.pidfd_open(pid)
            with me.spawn(f"worker-{i}", pidfd=pidfd, caps="SPAWN_AGENT") as child:
                socket.send_fds(ours, [f"{qid},{int(use_ipc)}".encode()], [child.fileno()])
                workers.append((pid, ours, child.agent_id))
            os.close(pidfd)
        step(f"spawned workers {[w[2] for w in workers]} on processes {[w[0] for w in workers]}")

        tasks, results = [], []
        if qid:
            tasks = [me.submit(qid, json.dumps(chunk), prio="normal") for chunk in chunks]
            results = [me.wait(t, timeout=60) for t in tasks]
            bad = [r for r in results if r.state != aios.TaskState.DONE]
            if bad:
                fail(f"tasks did not complete: {bad}")
            step(f"tasks {tasks} done by workers "
                 f"{sorted(json.loads(r.result)['id'] for r in results)}")
            with aios.Aios(open=False) as nl:
                q = nl.queue(qid)
                nl.queue_destroy(qid)
            step(f"queue {qid}: submitted {q.submitted}, completed {q.completed}; destroyed")

        total = collections.Counter()
        merged_results = []
        for pid, sock, cid in workers:
            if use_ipc:
                m = me.recv(sender=cid, intent="result", timeout=60)
                if m is None:
                    fail(f"no result message from worker {cid} within 60 s")
                r = m.value
            else:
                r = json.loads(sock.makefile().readline())
            if "error" in r:
                fail(f"worker {cid}: {r['error']}")
            if (r["id"], r["parent"], r["pid"]) != (cid, my_id, pid):
                fail(f"worker {cid} sees itself as {r}")
            if not qid:
                total.update(r["counts"])
                merged_results.append(r)
        for r in (results if qid else []):  # the task results
            total.update(json.loads(r.result)["counts"])
            merged_results.append(json.loads(r.result))
        if use_ipc:
            step(f"results of workers {[w[2] for w in workers]} arrived as typed messages "
                 "(sender ids stamped by the kernel)")
        step(f"merged {sum(total.values())} words from {len(workers)} workers"
             f"{' (task results)' if qid else ''}")
        if total != count(CORPUS):
            fail("merged counts differ from a direct count")
        top = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        step("verified; top words: " + ", ".join(f"{w}={n}" for w, n in top))

        for pid, sock, cid in workers[:2]:
            os.waitpid(pid, 0)
            sock.close()
        pid, sock, cid = workers[2]
        if admin:
            me.kill(cid, signal.SIGTERM)
            _, status = os.waitpid(pid, 0)
            if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM):
                fail(f"worker {cid} was not terminated by SIGTERM ({status:#x})")
            step(f"killed lingering worker {cid} through aios (SIGTERM)")
        else:
            try:
                me.kill(cid)
                fail("kill without KILL_AGENT succeeded")
            except aios.PermissionDenied as e:
                sock.sendall(b"q")
                os.waitpid(pid, 0)
                step(f"kill denied (\"{e.strerror}\"); worker {cid} asked to exit")
        sock.close()

        if admin and "gpu" in me.features:
            gpu_id = 99
            with aios.Aios(open=False) as nl:
                # any character device stands in for a GPU (Documentation/gpu.md)
                nl.gpu_register(gpu_id, "stand-in", "/dev/zero")
                try:
                    me.grant(my_id, "ACCESS_GPU")
                    with me.claim_gpu(gpu_id, grace_ms=1000) as claim:
                        g = nl.gpu(gpu_id)
                        if (g.owner_id, g.state) != (my_id, aios.GpuState.HELD):
                            fail(f"GPU {gpu_id} is not ours: {g}")
                    free = nl.gpu(gpu_id).state
                finally:
                    nl.gpu_unregister(gpu_id)
            step(f"claimed GPU {gpu_id} (handle {claim.handle}), released it: now {free}")
            with aios.Aios(open=False) as nl:
                preemption(me, my_id, nl)

        with aiosd_socket() as (sock, where):
            keep_the_run(me, sock, where, merged_results, total)

        recs = me.audit(agent_id=my_id)
        trail = collections.Counter(f"{r.op}:{'ok' if r.allowed else 'denied'}" for r in recs)
        step("own audit trail: " + ", ".join(f"{k}={v}" for k, v in sorted(trail.items())))
        if trail["spawn:ok"] != 3:
            fail(f"expected 3 audited spawns, saw {trail['spawn:ok']}")
    print(f"agent: OK ({steps} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
