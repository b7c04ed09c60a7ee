#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Real kernel state for the panel's browser tests (run as root in the VM).

  demo_agents.py hold STATEFILE
      Registers the demo agents planner (critical), coder (normal) and
      tester (low) as uid 1000 in forked processes, creates the queue
      "ui-demo" that coder feeds and tester drains (so depth and latency
      move), registers the stand-in GPU "ui-gpu" (/dev/zero) that tester
      claims and planner preempts every few seconds.  Writes STATEFILE
      ({"agents": {name: id}, "queue": id, "gpu": id}) once everything is
      up, then runs until SIGTERM or stdin closes.

  demo_agents.py deny TARGET_ID
      As uid 1000, registers the agent "intruder" and tries to kill agent
      TARGET_ID, which the kernel refuses.  Prints the denial
      ({"seq", "op_id", "op", "reason", "agent"}) as JSON.
"""
import json
import os
import select
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
import aios  # noqa: E402
import aiosd_call  # noqa: E402

UID = 1000
GPU_ID = 7
# Bytes each agent keeps in aiosd's memory store (AIOS_SOCKET set).
MEMORY = {"planner": 48 << 10, "coder": 160 << 10, "tester": 12 << 10}


def drop():
    os.setresgid(UID, UID, UID)
    os.setgroups([])
    os.setresuid(UID, UID, UID)


def wait_parent(fd, seconds):
    """True when the parent went away (its pipe closed)."""
    r, _, _ = select.select([fd], [], [], seconds)
    return bool(r) and os.read(fd, 1) == b""


def agent_main(name, prio, up, down, queue_id):
    # A revoked GPU claim signals the holder's whole process group: each
    # agent is its own group, so only the agent hears it.
    os.setsid()
    drop()
    a = aios.Aios()
    me = a.register(name, prio=prio)
    sock = os.environ.get("AIOS_SOCKET")
    if sock:
        # Keep some memory in aiosd as this agent (auth with our /dev/aios fd).
        c = aiosd_call.Conn(sock)
        r = c.call({"op": "auth"}, fds=[a.fileno()])
        if not r.get("ok"):
            raise SystemExit(f"demo_agents: {name}: aiosd auth: {r}")
        left, i = MEMORY[name], 0
        while left > 0:
            v = "x" * min(left, 4096)
            r = c.call({"op": "memory.put", "key": f"{name}/notes/{i}", "value": v})
            if not r.get("ok"):
                raise SystemExit(f"demo_agents: {name}: memory.put: {r}")
            left -= len(v)
            i += 1
        c.close()
    os.write(up, f"{me}\n".encode())
    os.close(up)
    n = 0
    claim = None
    held = {"claim": None}
    if name == "tester":
        a.queue_attach(queue_id)

    def preempted(c):
        c.release()
        held["claim"] = None

    def revoked(*_):
        # The grace ran out before the release (a slow VM): the kernel
        # took the GPU back.  Acknowledge it and carry on.
        c = held["claim"]
        held["claim"] = None
        if c is not None:
            try:
                c.release()
            except aios.AiosError:
                pass

    if name == "tester":
        signal.signal(signal.SIGTERM, revoked)

    start = time.monotonic()
    while True:
        if wait_parent(down, 1.0):
            return 0
        n += 1
        t = time.monotonic() - start
        if name == "coder" and n % 15 == 1 and n < 900:
            # A burst of 6 tasks every 15 s: the depth chart saw-tooths.
            for i in range(6):
                a.submit(queue_id, f"task {n}.{i} from coder")
        elif name == "tester":
            if n % 2 == 0:
                f = a.fetch(queue_id, nonblock=True)
                if f is not None:
                    time.sleep(0.2)
                    a.complete(f.task_id, b"done")
            if held["claim"] is None and n % 4 == 0:
                try:
                    held["claim"] = a.claim_gpu(GPU_ID, nonblock=True, on_preempt=preempted)
                except aios.AiosError:
                    pass
        elif name == "planner":
            # Every 12 s: take the GPU from tester for 4 s.
            phase = int(t) % 12
            if phase >= 8 and claim is None:
                try:
                    claim = a.claim_gpu(GPU_ID, grace_ms=2000, timeout=5)
                except aios.AiosError:
                    claim = None
            elif phase < 8 and claim is not None:
                claim.release()
                claim = None


def hold(statefile):
    admin = aios.Aios(open=False)
    try:
        admin.queue_destroy("ui-demo", force=True)
    except aios.AiosError:
        pass
    qid = admin.queue_create("ui-demo", "fifo", max_concurrent=1)
    try:
        admin.gpu_unregister(GPU_ID)
    except aios.AiosError:
        pass
    admin.gpu_register(GPU_ID, "ui-gpu", "/dev/zero", grace_ms=2000)
    kids = {}
    for name, prio in (("planner", "critical"), ("coder", "normal"), ("tester", "low")):
        up_r, up_w = os.pipe()
        down_r, down_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(up_r)
            os.close(down_w)
            try:
                rc = agent_main(name, prio, up_w, down_r, qid)
            except Exception as e:  # reported, then the test fails on it
                print(f"demo_agents: {name}: {e}", file=sys.stderr)
                rc = 1
            os._exit(rc)
        os.close(up_w)
        os.close(down_r)
        line = os.read(up_r, 64).decode().strip()
        os.close(up_r)
        if not line:
            raise SystemExit(f"demo_agents: agent {name} did not start")
        kids[name] = (pid, int(line), down_w)
        if name in ("planner", "tester"):
            admin.grant(int(line), "ACCESS_GPU")
    state = {"agents": {n: k[1] for n, k in kids.items()}, "queue": qid, "gpu": GPU_ID}
    tmp = statefile + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.rename(tmp, statefile)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        for name, (pid, _, _) in kids.items():
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                print(f"demo_agents: agent {name} exited with status {status:#x}", file=sys.stderr)
                stop.append(1)
        time.sleep(0.5)
    for _, (pid, _, fd) in kids.items():
        os.close(fd)
    for _, (pid, _, _) in kids.items():
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    try:
        admin.queue_destroy(qid, force=True)
        admin.gpu_unregister(GPU_ID)
    except aios.AiosError as e:
        print(f"demo_agents: cleanup: {e}", file=sys.stderr)
    return 0


def deny(target):
    drop()
    a = aios.Aios()
    me = a.register("intruder", prio="low")
    try:
        a.kill(target, signal.SIGTERM)
    except aios.PermissionDenied:
        d = a.last_denial()
        print(json.dumps({"seq": d.audit_seq, "op_id": d.op_id, "op": d.op,
                          "reason": d.reason, "agent": me}))
        return 0
    print(f"demo_agents: killing agent {target} was allowed", file=sys.stderr)
    return 1


def main(argv):
    if len(argv) == 3 and argv[1] == "hold":
        return hold(argv[2])
    if len(argv) == 3 and argv[1] == "deny":
        return deny(int(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
