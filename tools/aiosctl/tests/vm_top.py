#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VM test of "aiosctl top" against the real module:

    tools/vm/run -- python3 tools/aiosctl/tests/vm_top.py

Runs as root in the test VM.  Sets up agents, a queue with queued and
running tasks and a held GPU claim through the Python binding
(userspace/python), then checks what top shows: the JSON frames (-j), the
plain frames on a pipe, the redrawn screen on a terminal (script(1)), the
events counted per interval, and the same view for an unprivileged user.
Prints TAP and a kselftest Totals line.
"""
import json
import os
import subprocess
import sys
import time
import unittest
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(TOP / "userspace" / "python"))

import aios  # noqa: E402

BUILD = Path(os.environ.get("BUILD", TOP / "build"))
AIOSCTL = os.environ.get("AIOSCTL", str(BUILD / "bin" / "aiosctl"))
UNPRIV = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"]
GPU_ID = 77
QUEUE = "top-q"


def top(*args, user=False, timeout=30):
    cmd = (UNPRIV if user else []) + [AIOSCTL] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


class Top(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = aios.Aios(open=False)
        cls.qid = cls.admin.queue_create(QUEUE, "fifo", max_concurrent=1)
        cls.admin.gpu_register(GPU_ID, "top-stand-in", "/dev/zero", grace_ms=1000)
        cls.sub = aios.Aios()
        cls.sub_id = cls.sub.register("top-submitter")
        cls.wrk = aios.Aios()
        cls.wrk_id = cls.wrk.register("top-worker")
        cls.admin.grant(cls.wrk_id, "ACCESS_GPU")
        # three tasks: one fetched (running), two queued (max_concurrent 1)
        for i in range(3):
            cls.sub.submit(cls.qid, f"task {i}")
        cls.running = cls.wrk.fetch(cls.qid, timeout=10)
        cls.claim = cls.wrk.claim_gpu(GPU_ID, timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.claim.release()
        cls.wrk.complete(cls.running.task_id, "done")
        cls.wrk.close()
        cls.sub.close()
        cls.admin.queue_destroy(cls.qid, force=True)
        cls.admin.gpu_unregister(GPU_ID)
        cls.admin.close()

    def frames(self, out):
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_json_frames(self):
        r = top("-j", "top", "-n", "2", "-d", "0.3")
        self.assertEqual(r.returncode, 0, r.stderr)
        f = self.frames(r.stdout)
        self.assertEqual(len(f), 2)
        self.assertEqual([x["frame"] for x in f], [1, 2])
        last = f[-1]
        names = {a["id"]: a["name"] for a in last["agents"]}
        self.assertEqual(names.get(self.sub_id), "top-submitter")
        self.assertEqual(names.get(self.wrk_id), "top-worker")
        q = [x for x in last["queues"] if x["name"] == QUEUE]
        self.assertEqual(len(q), 1)
        self.assertEqual((q[0]["depth"], q[0]["running"]), (2, 1))
        self.assertEqual(q[0]["algo"], "fifo")
        g = [x for x in last["gpus"] if x["id"] == GPU_ID]
        self.assertEqual(len(g), 1)
        self.assertEqual(g[0]["state"], "held")
        self.assertEqual(g[0]["owner"], self.wrk_id)
        self.assertIn("per_s", last["events"])
        self.assertGreater(last["interval_s"], 0.25)

    def test_events_per_second(self):
        p = subprocess.Popen([AIOSCTL, "-j", "top", "-n", "1", "-d", "3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
        ids = []
        for i in range(3):
            with aios.Aios() as a:
                ids.append(a.register(f"top-ephemeral-{i}"))
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        f = self.frames(out)
        self.assertEqual(len(f), 1)
        ev = f[0]["events"]
        self.assertGreaterEqual(ev["by_type"].get("agent_new", 0), 3, ev)
        self.assertGreaterEqual(ev["by_type"].get("agent_del", 0), 3, ev)
        self.assertGreater(ev["per_s"], 0)
        self.assertGreaterEqual(ev["count"], 6)
        # gone again: not in the agents of that frame
        self.assertFalse(set(ids) & {a["id"] for a in f[0]["agents"]})

    def test_plain_frames_on_a_pipe(self):
        r = top("top", "-n", "2", "-d", "0.2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\033[", r.stdout)
        self.assertEqual(r.stdout.count("aios top - "), 2)
        self.assertEqual(r.stdout.count("\nAGENTS\n"), 2)
        self.assertIn("refresh 2/2", r.stdout)
        lines = r.stdout.splitlines()
        q = [l for l in lines if l.split()[1:3] == [QUEUE, "fifo"]]
        self.assertTrue(q, r.stdout)
        self.assertEqual(q[-1].split()[3:5], ["2", "1"])	# DEPTH RUNNING
        g = [l for l in lines if l.split()[:2] == [str(GPU_ID), "top-stand-in"]]
        self.assertTrue(g, r.stdout)
        self.assertEqual(g[-1].split()[2:4], ["held", str(self.wrk_id)])

    def test_terminal_redraws(self):
        r = subprocess.run(["script", "-qec", f"{AIOSCTL} top -n 2 -d 0.2", "/dev/null"],
                           capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("\033[H\033[2J"), 2)
        self.assertIn("top-worker", r.stdout)

    def test_unprivileged_user(self):
        r = top("-j", "top", "-n", "1", "-d", "0.2", user=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        f = self.frames(r.stdout)
        self.assertIn(self.wrk_id, [a["id"] for a in f[0]["agents"]])
        self.assertIn(QUEUE, [q["name"] for q in f[0]["queues"]])

    def test_interrupt_ends_cleanly(self):
        p = subprocess.Popen([AIOSCTL, "top", "-d", "0.2"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        p.send_signal(2)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0, err)
        self.assertGreaterEqual(out.count("aios top - "), 1)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Top)
    tests = list(suite)
    print("TAP version 13")
    print(f"1..{len(tests)}")
    passed = failed = 0
    result = unittest.TestResult()
    # setUpClass once, as unittest would
    try:
        Top.setUpClass()
    except Exception as e:  # noqa: BLE001
        print(f"not ok 1 setup: {e!r}")
        print(f"# Totals: pass:0 fail:{len(tests)} xfail:0 xpass:0 skip:0 error:0")
        return 1
    for i, t in enumerate(tests, 1):
        before = len(result.failures) + len(result.errors)
        t.run(result)
        name = t.id().split(".")[-1]
        if len(result.failures) + len(result.errors) > before:
            failed += 1
            print(f"not ok {i} {name}")
            for line in (result.failures + result.errors)[-1][1].splitlines():
                print(f"# {line}")
        else:
            passed += 1
            print(f"ok {i} {name}")
    Top.tearDownClass()
    print(f"# Totals: pass:{passed} fail:{failed} xfail:0 xpass:0 skip:0 error:0")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
