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
admin; finally it prints its own audit trail.  The last line is
"agent: OK (N steps)"; a misbehaving step exits 1, a missing module 2.
"""
import collections
import json
import os
import signal
import socket
import sys
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
        for r in (results if qid else []):  # the task results
            total.update(json.loads(r.result)["counts"])
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

        recs = me.audit(agent_id=my_id)
        trail = collections.Counter(f"{r.op}:{'ok' if r.allowed else 'denied'}" for r in recs)
        step("own audit trail: " + ", ".join(f"{k}={v}" for k, v in sorted(trail.items())))
        if trail["spawn:ok"] != 3:
            fail(f"expected 3 audited spawns, saw {trail['spawn:ok']}")
    print(f"agent: OK ({steps} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
