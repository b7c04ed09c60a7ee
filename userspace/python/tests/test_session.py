# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host tests of aios.Session against a real aiosd (no kernel module:
aiosd identifies this process by its uid).  aiosd is $AIOSD, else
<build>/bin/aiosd; each test starts its own in a temporary directory."""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import aios  # noqa: E402

TOP = HERE.parents[2]
AIOSD = os.environ.get("AIOSD") or str(Path(os.environ.get("AIOS_BUILD", TOP / "build")) / "bin" / "aiosd")

DOC = {"goal": "count words", "status": "active", "step": 0}
TOOLS = {
    "echo": {"name": "echo", "type": "exec", "command": ["/bin/echo"], "permission": "READ_ONLY",
             "sandboxed": True, "max_args": 8},
    "writer": {"name": "writer", "type": "exec", "command": ["/usr/bin/touch", "/scratch/w"],
               "permission": "READ_WRITE", "sandboxed": True, "max_args": 0},
}


class Daemon:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="aios-pysession-")
        self.sock = os.path.join(self.dir, "aiosd.sock")
        self.proc = None
        os.mkdir(os.path.join(self.dir, "tools"))
        for name, manifest in TOOLS.items():
            with open(os.path.join(self.dir, "tools", name + ".json"), "w") as f:
                json.dump(manifest, f)

    def start(self, device="/nonexistent/aios"):
        env = dict(os.environ, AIOS_DEVICE=device, AIOS_FSYNC="always",
                   AIOS_LOG_LEVEL="warn", AIOS_SOCKET_MODE="0666",
                   AIOS_TOOLS_DIR=os.path.join(self.dir, "tools"))
        for k in ("AIOS_RUNS_DIR", "AIOS_STORE_DIR", "LD_PRELOAD"):
            env.pop(k, None)
        self.proc = subprocess.Popen([AIOSD, "-s", self.sock, "-d", os.path.join(self.dir, "store")],
                                     env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60  # TCG VMs are slow
        while time.monotonic() < deadline:
            try:
                aios.Session(socket=self.sock).close()
                return
            except aios.AiosError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"aiosd exited with {self.proc.returncode}")
                time.sleep(0.02)
        raise RuntimeError("aiosd did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(os.access(AIOSD, os.X_OK), f"no aiosd at {AIOSD} (make -C userspace/aiosd)")
class TestSession(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()
        self.d.start()
        self.s = aios.Session(socket=self.d.sock)

    def tearDown(self):
        self.s.close()
        self.d.remove()

    def reconnect(self):
        self.s.close()
        self.d.stop()
        self.d.start()
        self.s = aios.Session(socket=self.d.sock)

    def test_missing_daemon_is_a_clear_error(self):
        with self.assertRaises(aios.DaemonUnavailable) as cm:
            aios.Session(socket=os.path.join(self.d.dir, "nothing.sock"))
        self.assertIn("is aiosd running", str(cm.exception))
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.d.stop()
        with self.assertRaises(ConnectionError):  # aiosd went away
            self.s.put("k", "v")

    def test_identity_is_the_uid_without_the_module(self):
        st = self.s.status()
        self.assertEqual(self.s.agent_id, 0)
        self.assertFalse(st["kernel"])
        self.assertEqual(st["identity"]["uid"], os.getuid())

    def test_memory_round_trip_pages_and_restart(self):
        for i in range(30):
            self.s.put(f"chat:{i:03d}", f"turn {i}")
        self.s.put(b"bin\x00key", b"\x00\xff")
        self.assertEqual(self.s.get(b"bin\x00key"), b"\x00\xff")
        self.assertIsNone(self.s.get("chat:999", None))
        with self.assertRaises(KeyError):
            self.s.get("chat:999")
        items = list(self.s.items("chat:", page=7))  # 5 pages
        self.assertEqual([k for k, _ in items], [f"chat:{i:03d}".encode() for i in range(30)])
        self.assertEqual(items[4][1], b"turn 4")
        self.assertEqual(self.s.memory_stats()["items"], 31)
        self.reconnect()
        self.assertEqual(self.s.get("chat:007"), b"turn 7")
        self.assertEqual(self.s.delete_prefix("chat:"), 30)
        self.assertEqual(self.s.keys(), [b"bin\x00key"])
        with self.assertRaises(aios.AiosError) as cm:
            self.s.put("", "empty key")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(TypeError):
            self.s.put(1, "x")

    def test_context_snapshot_check_truncate_budget(self):
        conv = [{"role": "system", "content": "be brief"}] + [
            {"role": "user" if i % 2 else "assistant", "content": "word " * 50} for i in range(6)]
        sid, tokens = self.s.context_create(conv, model="gpt-4o")
        self.reconnect()
        snap = self.s.context_restore(sid)
        self.assertEqual((snap["messages"], snap["tokens"]), (conv, tokens))
        self.assertEqual([x["id"] for x in self.s.context_list()], [sid])
        self.assertTrue(self.s.context_check(conv, model="gpt-4o")["fits"])
        self.assertEqual(self.s.context_check(conv, model="llama-2")["budget"], 4096)
        t = self.s.context_truncate(conv, budget=tokens // 2)
        self.assertEqual(t["messages"][0], conv[0])
        self.assertEqual(t["messages"][-1], conv[-1])
        self.assertLessEqual(t["tokens_after"], tokens // 2)
        self.assertTrue(t["dropped"])
        self.s.budget_set("s1", 100)
        self.assertEqual(self.s.budget_charge("s1", 70), 30)
        with self.assertRaises(aios.AiosError) as cm:
            self.s.budget_charge("s1", 31)
        self.assertEqual(cm.exception.errno, errno.EDQUOT)
        self.assertEqual(self.s.budget_get("s1"), {"limit": 100, "used": 70, "remaining": 30})
        self.s.context_delete(sid)
        with self.assertRaises(aios.AiosError):
            self.s.context_restore(sid)

    def test_run_lifecycle_stale_seq_ledger_episode_ltm(self):
        run = self.s.run_create("wc")
        seq, doc = self.s.workset_get(run)
        self.assertEqual(seq, 0)
        seq = self.s.workset_put(run, seq, dict(DOC, step=1))
        with self.assertRaises(aios.StaleSeq) as cm:
            self.s.workset_put(run, 0, dict(DOC, step=2))
        self.assertEqual(cm.exception.current_seq, seq)
        self.assertEqual(cm.exception.errno, errno.ESTALE)
        self.assertEqual(self.s.error_detail()["current_seq"], seq)
        with self.assertRaises(aios.AiosError) as cm:
            self.s.workset_put(run, seq, dict(DOC, status="bored"))
        self.assertIn("$.status", str(cm.exception))
        first = self.s.ledger_append(run, "step", {"n": 1})
        self.assertEqual(self.s.ledger_append(run, "step", {"n": 2}), first + 1)
        recs = list(self.s.ledger(run))
        self.assertEqual([r["payload"] for r in recs if r["type"] == "step"], [{"n": 1}, {"n": 2}])
        self.assertTrue(self.s.ledger_verify(run)["intact"])
        prop = self.s.ltm_propose(run, [{"text": "the corpus has 40 words",
                                         "scope": "demo/wc", "tags": ["count"]}])
        self.assertEqual(self.s.ltm_search(run, "corpus"), [])
        ep = self.s.episode_create(run, "counted", "first milestone")
        self.assertEqual(ep["workset_seq"], seq)
        self.assertEqual(self.s.ltm_commit(run, prop, "counted"), 1)
        hits = self.s.ltm_search(run, "corpus words", scope="demo")
        self.assertEqual(hits[0]["text"], "the corpus has 40 words")
        self.assertEqual([e["name"] for e in self.s.episodes(run)], ["counted"])
        self.assertIn("episode", self.s.episode_show(run, "counted"))
        self.assertEqual(self.s.run_show(run)["ltm_entries"], 1)

    def test_ledger_damage_raises_with_the_bad_record(self):
        run = self.s.run_create("dmg")
        for i in range(4):
            self.s.ledger_append(run, "step", {"marker": f"rec-{i}"})
        path = Path(self.d.dir, "runs", run, "ledger.log")
        data = bytearray(path.read_bytes())
        at = data.index(b"rec-2")
        data[at] ^= 1
        path.write_bytes(bytes(data))
        with self.assertRaises(aios.LedgerDamaged) as cm:
            self.s.ledger_verify(run)
        self.assertEqual(cm.exception.bad_seq, 3)
        self.assertFalse(cm.exception.report["intact"])

    def test_pack_export_import_resume(self):
        run = self.s.run_create("orig")
        seq = self.s.workset_put(run, 0, dict(DOC, step=3))
        last = self.s.ledger_append(run, "step", {"n": 3})
        blob, man = self.s.pack_export(run)
        self.assertEqual(blob[:2], b"\x1f\x8b")
        self.assertEqual(man["ledger"]["records"], last)
        new, man2 = self.s.pack_import(blob, as_="copy")
        self.assertEqual(new, "copy")
        self.assertEqual(self.s.ledger_verify("copy")["records"], last)
        self.assertEqual(self.s.workset_get("copy")[0], seq)
        self.assertEqual(self.s.ledger_append("copy", "step", {"n": 4}), last + 1)
        bad = bytearray(blob)
        bad[len(bad) // 2] ^= 0xFF
        with self.assertRaises(aios.AiosError):
            self.s.pack_import(bytes(bad), as_="broken")
        self.assertEqual(sorted(r["id"] for r in self.s.runs()), ["copy", "orig"])
        if os.getuid() == 0:  # uid 0 is an admin: aiosd reads and writes files itself
            path = os.path.join(self.d.dir, "orig.pack")
            self.assertEqual(self.s.pack_export_path("orig", path)["ledger"]["records"], last)
            self.assertEqual(self.s.pack_import_path(path, as_="copy2")[0], "copy2")
            self.assertEqual(self.s.context_expire(), 0)
        else:
            with self.assertRaises(aios.PermissionDenied):
                self.s.pack_export_path("orig", os.path.join(self.d.dir, "orig.pack"))

    def test_tools(self):
        t = self.s.tools()
        self.assertEqual(sorted(x["name"] for x in t["tools"]), ["echo", "writer"])
        try:
            r = self.s.tool_call("echo", ["hi", 42])
        except aios.AiosError as e:  # no cgroup v2 etc. on this host
            self.assertEqual(e.errno, errno.EOPNOTSUPP)
            self.assertIn("missing protection", str(e))
            return
        self.assertEqual((r["exit_code"], r["stdout"]), (0, b"hi 42\n"))

    def test_generic_call(self):
        self.assertTrue(self.s.call("status")["ok"])
        with self.assertRaises(aios.AiosError) as cm:
            self.s.call("no.such")
        self.assertEqual(cm.exception.errno, errno.EOPNOTSUPP)
        self.assertEqual(self.s.error_detail()["code"], "EOPNOTSUPP")


if __name__ == "__main__":
    unittest.main()
