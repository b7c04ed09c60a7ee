#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""VM test of the aios binding: a real Python agent against aios.ko.

    tools/vm/run -- python3 userspace/python/tests/vm_test.py

Runs as root in the test VM (root has CAP_SYS_ADMIN, i.e. is an aios
admin); the unprivileged checks drop to uid 1000 in a child process.
Prints TAP and a kselftest Totals line.
"""
import errno
import os
import signal
import socket
import sys
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import aios  # noqa: E402


def fork_agent_process():
    """Fork a process that waits for an agent fd on a socket, adopts it,
    reports "<id> <parent_id> <caps>" and then sleeps until killed."""
    parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        parent_sock.close()
        code = 1
        try:
            _, fds, _, _ = socket.recv_fds(child_sock, 16, 1)
            with aios.Aios(fd=fds[0]) as me:
                info = me.info()
                child_sock.sendall(f"{info.id} {info.parent_id} {int(info.caps)}\n".encode())
                while True:
                    time.sleep(60)
        except BaseException as e:  # report, never return into the test runner
            try:
                child_sock.sendall(f"ERR {e}\n".encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    child_sock.close()
    return pid, parent_sock


def in_child_as(uid, fn):
    """Run fn() in a child with uid/gid uid; returns what it wrote."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            out = str(fn())
        except BaseException as e:
            out = f"{type(e).__name__} {getattr(e, 'errno', '')} {e}"
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return data.decode()


class TestAgent(unittest.TestCase):
    def setUp(self):
        self.a = aios.Aios()
        self.my_id = self.a.register(f"py-{self._testMethodName[:40]}", prio="high")

    def tearDown(self):
        self.a.close()

    def test_handshake_and_register(self):
        self.assertEqual(self.a.api_version, 1)
        self.assertLessEqual({"agents", "caps", "audit"}, self.a.features)
        self.assertGreater(self.my_id, 0)
        self.assertEqual(self.a.agent_id, self.my_id)
        info = self.a.info()
        self.assertEqual((info.id, info.parent_id, info.pid, info.state, info.prio),
                         (self.my_id, 0, os.getpid(), "live", aios.Prio.HIGH))
        self.assertEqual(info.caps, self.a.status().default_caps)
        with self.assertRaises(aios.AiosError) as cm:
            self.a.register("again")
        self.assertEqual(cm.exception.errno, errno.EALREADY)

    def test_listed_by_netlink(self):
        with aios.Aios(open=False) as nl:
            ids = {ag.id: ag for ag in nl.agents()}
            self.assertIn(self.my_id, ids)
            self.assertEqual(nl.agent(self.my_id).name, ids[self.my_id].name)
            st = nl.status()
            self.assertGreaterEqual(st.agents, 1)
            self.assertGreater(st.next_agent_id, self.my_id)
            with self.assertRaises(aios.NoSuchAgent):
                nl.agent(st.next_agent_id + 1000)

    def test_denial_is_explained_and_audited(self):
        self.assertIsNone(self.a.last_denial())
        self.assertFalse(self.a.has_caps("KILL_AGENT"))
        d = self.a.last_denial()
        self.assertEqual(d.op, "cap_check")
        self.assertIn("KILL_AGENT required", d.reason)
        self.assertEqual(d.error, "EPERM")
        with self.assertRaises(aios.PermissionDenied) as cm:
            self.a.check_caps(aios.Cap.ACCESS_NET)
        self.assertIn("ACCESS_NET", str(cm.exception))
        with aios.Aios(open=False) as nl:
            recs = nl.audit(op_id=d.op_id)
        self.assertEqual(len(recs), 1)
        self.assertEqual((recs[0].agent_id, recs[0].op, recs[0].result),
                         (self.my_id, "cap_check", -errno.EPERM))
        # an agent may read its own records
        own = self.a.audit(agent_id=self.my_id)
        self.assertTrue(any(r.op_id == d.op_id for r in own))

    def test_spawn_kill_on_a_real_process(self):
        pid, sock = fork_agent_process()
        try:
            pidfd = os.pidfd_open(pid)
            with self.assertRaises(aios.PermissionDenied) as cm:
                self.a.spawn("too-strong", pidfd=pidfd, caps="ADMIN")
            self.assertIn("exceed", str(cm.exception))
            child = self.a.spawn("worker", pidfd=pidfd, caps="SPAWN_AGENT")
            socket.send_fds(sock, [b"x"], [child.fileno()])
            line = sock.makefile().readline().split()
            self.assertNotEqual(line[0], "ERR", " ".join(line))
            cid, parent, caps = map(int, line)
            self.assertEqual((cid, parent, caps), (child.agent_id, self.my_id, int(aios.Cap.SPAWN_AGENT)))
            self.assertEqual(self.a.caps(cid), aios.Cap.SPAWN_AGENT)
            self.assertEqual(self.a.agent(cid).pid, pid)
            # no KILL_AGENT yet
            with self.assertRaises(aios.PermissionDenied) as cm:
                self.a.kill(cid)
            self.assertIn("KILL_AGENT required", str(cm.exception))
            # root is admin: grant it to ourselves, then kill the child
            self.assertIn(aios.Cap.KILL_AGENT, self.a.grant(self.my_id, "KILL_AGENT"))
            self.a.kill(cid, signal.SIGTERM)
            _, status = os.waitpid(pid, 0)
            pid = 0
            self.assertTrue(os.WIFSIGNALED(status))
            self.assertEqual(os.WTERMSIG(status), signal.SIGTERM)
            with self.assertRaises(aios.NoSuchAgent):
                self.a.agent(cid)
            # our copy of the child's file is an orphan now
            self.assertEqual(child.info().state, "dead")
            with self.assertRaises(aios.AiosError) as cm:
                child.noop()
            self.assertEqual(cm.exception.errno, errno.ENOLINK)
            child.close()
            os.close(pidfd)
        finally:
            sock.close()
            if pid:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)

    def test_revoke_reaches_descendants(self):
        self.a.grant(self.my_id, "ACCESS_FS,ACCESS_NET")
        child = self.a.spawn("sub", caps="ACCESS_FS,SPAWN_AGENT", cloexec=True)
        try:
            before = self.a.caps()
            self.assertIn(aios.Cap.ACCESS_FS, self.a.caps(child.agent_id))
            after = self.a.revoke(self.my_id, "ACCESS_FS")
            self.assertEqual(after, before & ~aios.Cap.ACCESS_FS)
            self.assertIn(aios.Cap.ACCESS_NET, after)
            self.assertEqual(self.a.caps(child.agent_id), aios.Cap.SPAWN_AGENT)
        finally:
            child.close()

    def test_migrate_self(self):
        before = os.sched_getaffinity(0)
        try:
            self.a.migrate("0")
            self.assertEqual(os.sched_getaffinity(0), {0})
            with self.assertRaises(aios.AiosError) as cm:
                self.a.migrate([1023])
            self.assertEqual(cm.exception.errno, errno.EINVAL)
        finally:
            os.sched_setaffinity(0, before)

    def test_events_follow_an_agent(self):
        with aios.Aios(open=False) as nl, nl.events() as ev:
            other = aios.Aios()
            oid = other.register("ephemeral")
            other.close()
            seen = {}
            deadline = time.monotonic() + 10
            while len(seen) < 2 and time.monotonic() < deadline:
                e = ev.next(timeout=1)
                if e and e.agent and e.agent.id == oid:
                    seen[e.type] = e
            self.assertIn("agent_new", seen)
            self.assertEqual(seen["agent_new"].agent.name, "ephemeral")
            self.assertIn("agent_del", seen)
            self.assertEqual(seen["agent_del"].reason, "closed")

    def test_unprivileged_user_is_not_admin(self):
        my_id = self.my_id

        def grant():
            with aios.Aios(open=False) as nl:
                nl.grant(my_id, "ADMIN")
            return "granted"

        out = in_child_as(1000, grant)
        self.assertTrue(out.startswith("PermissionDenied 1"), out)
        self.assertIn("ADMIN required", out)

        def status():
            with aios.Aios(open=False) as nl:
                return nl.status().api_version

        self.assertEqual(in_child_as(1000, status), "1")


def _features():
    with aios.Aios() as a:
        return a.features


FEATURES = _features()


@unittest.skipUnless("queues" in FEATURES, "the loaded module has no task queues")
class TestQueues(unittest.TestCase):
    def setUp(self):
        self.admin = aios.Aios(open=False)
        self.qids = []

    def tearDown(self):
        for q in self.qids:
            try:
                self.admin.queue_destroy(q, force=True)
            except aios.AiosError:
                pass
        self.admin.close()

    def make_queue(self, algo, **kw):
        qid = self.admin.queue_create(f"py{os.getpid()}-{len(self.qids)}", algo, **kw)
        self.qids.append(qid)
        return qid

    def test_submit_fetch_complete_wait(self):
        qid = self.make_queue("fifo", max_concurrent=1)
        with aios.Aios() as sub, aios.Aios() as wrk:
            sub.register("submitter")
            wrk.register("worker")
            wrk.queue_attach(qid)
            self.assertIsNone(wrk.fetch(qid, nonblock=True))
            tid = sub.submit(qid, b"hello", prio="high")
            t = wrk.fetch(timeout=10)
            self.assertEqual((t.task_id, t.queue_id, t.submitter_id, t.payload, t.prio, t.runs),
                             (tid, qid, sub.agent_id, b"hello", aios.Prio.HIGH, 1))
            self.assertFalse(wrk.progress(tid, 50))
            self.assertEqual([(x.id, x.state, x.worker_id) for x in self.admin.tasks(qid)],
                             [(tid, aios.TaskState.RUNNING, wrk.agent_id)])
            wrk.complete(tid, b"HELLO")
            r = sub.wait(tid, timeout=10)
            self.assertEqual((r.state, r.result, r.error), (aios.TaskState.DONE, b"HELLO", 0))
            q = self.admin.queue(qid)
            self.assertEqual((q.submitted, q.completed, q.depth, q.running), (1, 1, 0, 0))
            with self.assertRaises(aios.AiosError) as cm:
                sub.wait(tid, nonblock=True)
            self.assertEqual(cm.exception.errno, errno.ENOENT)

    def test_yield_then_fail(self):
        qid = self.make_queue("round_robin", slice_ms=1)
        with aios.Aios() as sub, aios.Aios() as wrk:
            sub.register("submitter")
            wrk.register("worker")
            tid = sub.submit(qid, "job")
            t = wrk.fetch(qid, timeout=10)
            self.assertGreater(t.slice_ns, 0)
            time.sleep(0.01)
            self.assertTrue(wrk.progress(tid, 10))  # slice used up: yield
            wrk.yield_task(tid, context_ref=42)
            t2 = wrk.fetch(qid, timeout=10)
            self.assertEqual((t2.task_id, t2.context_ref, t2.runs), (tid, 42, 2))
            wrk.fail(tid, errno.EIO)
            r = sub.wait(tid, timeout=10)
            self.assertEqual((r.state, r.fail, r.error),
                             (aios.TaskState.FAILED, aios.TaskFail.WORKER, -errno.EIO))

    def test_cancel_and_admin_only_create(self):
        qid = self.make_queue("priority")
        with aios.Aios() as sub:
            sub.register("submitter")
            tid = sub.submit(qid, b"x")
            sub.cancel(tid)
            self.assertEqual(sub.wait(tid, timeout=5).state, aios.TaskState.CANCELLED)
        name = f"py{os.getpid()}-denied"

        def create():
            with aios.Aios(open=False) as nl:
                return nl.queue_create(name)

        out = in_child_as(1000, create)
        self.assertTrue(out.startswith("PermissionDenied"), out)


@unittest.skipUnless("gpu" in FEATURES, "the loaded module has no GPU claims")
class TestGpu(unittest.TestCase):
    GPU_ID = 77

    def setUp(self):
        self.admin = aios.Aios(open=False)
        # any character device works as a stand-in (Documentation/gpu.md)
        self.admin.gpu_register(self.GPU_ID, "py-stand-in", "/dev/zero", grace_ms=5000)

    def tearDown(self):
        self.admin.gpu_unregister(self.GPU_ID)
        self.admin.close()

    def test_claim_preempt_callback_release(self):
        low, high = aios.Aios(), aios.Aios()
        try:
            low.register("low-holder", prio="low")
            high.register("urgent", prio="critical")
            with self.assertRaises(aios.PermissionDenied):
                low.claim_gpu(self.GPU_ID)
            for h in (low, high):
                self.admin.grant(h.agent_id, "ACCESS_GPU")
            preempted = []

            def on_preempt(claim):
                preempted.append(claim.handle)
                claim.release()

            with self.admin.events() as ev:
                held = low.claim_gpu(self.GPU_ID, on_preempt=on_preempt, grace_ms=5000)
                self.assertEqual(held.device, self.GPU_ID)
                self.assertEqual(held.state()[0], aios.GpuState.HELD)
                g = self.admin.gpu(self.GPU_ID)
                self.assertEqual((g.owner_id, g.owner_pid, g.state),
                                 (low.agent_id, os.getpid(), aios.GpuState.HELD))
                want = high.claim_gpu(self.GPU_ID, nonblock=True)
                self.assertTrue(want.pending)
                deadline = time.monotonic() + 10
                while want.state()[0] != aios.GpuState.HELD and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertEqual(preempted, [held.handle])
                self.assertEqual(want.state()[0], aios.GpuState.HELD)
                self.assertEqual(self.admin.gpu(self.GPU_ID).owner_id, high.agent_id)
                seen = set()
                while (e := ev.next(timeout=1)) is not None:
                    if e.gpu and e.gpu.id == self.GPU_ID:
                        seen.add(e.type)
                self.assertLessEqual({"gpu_claim", "gpu_preempt", "gpu_release"}, seen)
                want.release()
                self.assertEqual(self.admin.gpu(self.GPU_ID).state, aios.GpuState.FREE)
                self.assertGreaterEqual(self.admin.gpu_usage(low.agent_id).claims, 1)
        finally:
            low.close()
            high.close()


class TestExample(unittest.TestCase):
    """examples/agent.py must keep working, as root and as a user."""

    def run_example(self, *prefix):
        import subprocess

        ex = HERE.parent / "examples" / "agent.py"
        out = subprocess.run([*prefix, sys.executable, str(ex)], capture_output=True,
                             text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertRegex(out.stdout.splitlines()[-1], r"^agent: OK \(\d+ steps\)$")
        return out.stdout

    def test_example_agent_as_root(self):
        out = self.run_example()
        self.assertIn("killed lingering worker", out)
        self.assertIn("verified; top words: the=4, agent=3, a=2, an=2, and=2", out)
        self.assertRegex(out, r"\(CRITICAL\) preempted us; on_preempt: checkpoint of claim \d+ saved")
        self.assertIn("sandboxed tool wc counted 49 words too (exit 0", out)
        self.assertRegex(out, r"ledger verified: \d+ records, chain intact")

    def test_example_agent_as_user(self):
        out = self.run_example("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups")
        self.assertIn("kill denied", out)
        self.assertIn("committed to long-term memory", out)
        self.assertRegex(out, r"ledger verified: \d+ records, chain intact")


@unittest.skipUnless("ipc" in FEATURES, "the loaded module has no typed IPC")
class TestIpc(unittest.TestCase):
    def setUp(self):
        self.a, self.b = aios.Aios(), aios.Aios()
        self.a_id = self.a.register("sender")
        self.b_id = self.b.register("receiver")

    def tearDown(self):
        self.a.close()
        self.b.close()

    def test_typed_send_and_receive(self):
        self.assertIsNone(self.b.recv(nonblock=True))
        mid = self.a.send(self.b_id, "plan", {"step": 1, "tool": "grep"}, correlation_id=7)
        self.a.send(self.b_id, "note", "hello")
        self.a.send(self.b_id, "score", 0.75)
        m = self.b.recv(intent="plan", timeout=5)
        self.assertEqual((m.id, m.sender, m.correlation_id, m.type, m.intent, m.value),
                         (mid, self.a_id, 7, aios.MsgType.JSON, "plan",
                          {"step": 1, "tool": "grep"}))
        peeked = self.b.recv(peek=True, timeout=5)
        self.assertEqual((peeked.intent, peeked.value), ("note", "hello"))
        self.assertEqual(self.b.recv(timeout=5).value, "hello")
        self.assertEqual(self.b.recv(sender=self.a_id, timeout=5).value, 0.75)
        self.assertIsNone(self.b.recv(timeout=0.1))
        box = self.a.mailbox(self.b_id)
        self.assertEqual((box.count, box.received, box.taken), (0, 3, 3))
        self.assertEqual(self.a.mailbox(self.a_id).sent, 3)

    def test_kernel_rejects_a_payload_that_does_not_match_its_type(self):
        with self.assertRaises(aios.AiosError) as cm:
            self.a.send(self.b_id, "plan", b'{"step": 1,}', type="json")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        self.assertIn("JSON", str(cm.exception))
        with self.assertRaises(aios.AiosError):
            self.a.send(self.b_id, "n", b"12abc", type="number")
        self.assertIsNone(self.b.recv(nonblock=True))
        self.assertGreaterEqual(self.a.mailbox(self.b_id).rejected, 2)

    def test_groups_and_policy(self):
        with aios.Aios() as c:
            c_id = c.register("listener")
            self.b.join("py-team")
            c.join("py-team")
            self.assertEqual(self.a.send_group("py-team", "hello", "all hands"), 2)
            for h in (self.b, c):
                m = h.recv(timeout=5)
                self.assertEqual((m.sender, m.value), (self.a_id, "all hands"))
            c.leave("py-team")
            self.assertEqual(self.a.send_group("py-team", "hello", "again"), 1)
            self.assertEqual(self.b.recv(timeout=5).value, "again")
            with aios.Aios() as admin:  # an ioctl: needs an agent (root: admin)
                admin.register("policy-admin")
                admin.msg_policy(self.a_id, [self.b_id])
                try:
                    self.a.send(self.b_id, "ok", "allowed")
                    with self.assertRaises(aios.PermissionDenied):
                        self.a.send(c_id, "no", "not on the list")
                finally:
                    admin.msg_policy(self.a_id, None)
            self.a.send(c_id, "ok", "allowed again")
            self.assertEqual(c.recv(timeout=5).value, "allowed again")


class TestSession(unittest.TestCase):
    """aiosd sessions of real agents: authentication with the agent file,
    isolation between agents, a run resumed from a pack."""

    def setUp(self):
        from test_session import Daemon

        self.d = Daemon()
        os.chmod(self.d.dir, 0o755)
        self.d.start(device="/dev/aios")
        self.a = aios.Aios()
        self.a_id = self.a.register("py-session")

    def tearDown(self):
        self.a.close()
        self.d.remove()

    def test_session_is_the_agent(self):
        with aios.Session(self.a, self.d.sock) as s:
            self.assertEqual(s.agent_id, self.a_id)
            st = s.status()
            self.assertTrue(st["kernel"])
            self.assertEqual((st["identity"]["kind"], st["identity"]["agent"]), ("agent", self.a_id))
        with aios.Session(None, self.d.sock) as s:  # no agent: the uid
            self.assertEqual(s.agent_id, 0)
            self.assertEqual(s.status()["identity"]["kind"], "uid")
            with self.assertRaises(aios.AiosError) as cm:
                s.call("auth")  # no descriptor attached
            self.assertEqual(cm.exception.errno, errno.EBADF)

    def test_agents_are_isolated_and_runs_resume(self):
        sock = self.d.sock

        def other_agent():
            with aios.Aios() as b:
                b.register("py-snoop")
                with aios.Session(b, sock) as s:
                    try:
                        s.get("plan")
                        return "LEAK memory"
                    except KeyError:
                        pass
                    if s.runs():
                        return "LEAK runs"
                    try:
                        s.call("memory.get", key="plan", agent=self.a_id)
                        return "LEAK admin form"
                    except aios.PermissionDenied:
                        pass
                    return "isolated"

        with aios.Session(self.a, sock) as s:
            s.put("plan", "step 1")
            run = s.run_create("py-run")
            seq = s.workset_put(run, 0, {"goal": "g", "status": "active", "step": 1})
            last = s.ledger_append(run, "step", {"n": 1})
            self.assertEqual(in_child_as(1000, other_agent), "isolated")
            blob, _ = s.pack_export(run)
            new, _ = s.pack_import(blob, as_="py-run-2")
            self.assertEqual(s.ledger_append(new, "step", {"n": 2}), last + 1)
            self.assertEqual(s.workset_get(new)[0], seq)
            self.assertTrue(s.ledger_verify(new)["intact"])

    def test_sandboxed_tool_call_into_a_run(self):
        with aios.Session(self.a, self.d.sock) as s:
            run = s.run_create()
            r = s.tool_call("echo", ["agent", self.a_id], run=run)
            self.assertEqual((r["exit_code"], r["stdout"]), (0, f"agent {self.a_id}\n".encode()))
            self.assertEqual(r["ledger"]["run"], run)
            types = [rec["type"] for rec in s.ledger(run)]
            self.assertTrue(any(t.startswith("tool") for t in types), types)
            with self.assertRaises(aios.PermissionDenied) as cm:  # no ACCESS_FS
                s.tool_call("writer", run=run)
            self.assertIn("ACCESS_FS", str(cm.exception))
            self.assertTrue(s.ledger_verify(run)["intact"])


if __name__ == "__main__":
    from run_host_tests import TapResult

    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(c)
                               for c in (TestAgent, TestQueues, TestGpu, TestIpc, TestSession,
                                         TestExample))
    print("TAP version 13")
    print(f"1..{suite.countTestCases()}")
    r = TapResult()
    suite.run(r)
    print(f"# Totals: pass:{r.passed} fail:{len(r.failures)} xfail:0 xpass:0 "
          f"skip:{len(r.skipped)} error:{len(r.errors)}")
    sys.exit(1 if r.failures or r.errors else 0)
