# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host tests of the aios binding: no kernel module needed.

Run: python3 -m unittest discover -s userspace/python/tests -p 'test_*.py'
(make -C userspace/python check runs them through run_host_tests.py).
AIOS_LAYOUT_BIN: the compiled tests/layout.c (struct layout check).
"""
import ctypes
import errno
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import aios  # noqa: E402
from aios import _lib  # noqa: E402


class TestLoading(unittest.TestCase):
    def test_library_loads_and_exports_every_prototype(self):
        lib = _lib.load()
        missing = [n for n in _lib.PROTOTYPES if getattr(lib, n, None) is None]
        self.assertEqual(missing, [], "libaios lacks functions the binding declares")

    def test_bad_library_path_names_what_was_tried(self):
        code = ("import aios\n"
                "try:\n    aios.caps_parse('all')\n"
                "except aios.LibraryNotFound as e:\n"
                "    print('ERR', e.errno, e.strerror)\n")
        env = dict(os.environ, AIOS_LIBAIOS="/nonexistent/libaios.so.1",
                   PYTHONPATH=str(HERE.parent))
        out = subprocess.run([sys.executable, "-c", code], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ERR 2", out.stdout)
        self.assertIn("/nonexistent/libaios.so.1", out.stdout)
        self.assertIn("AIOS_LIBAIOS", out.stdout)

    def test_import_does_not_need_the_library(self):
        env = dict(os.environ, AIOS_LIBAIOS="/nonexistent/libaios.so.1",
                   PYTHONPATH=str(HERE.parent))
        out = subprocess.run([sys.executable, "-c", "import aios; print(aios.Cap.ADMIN.name, int(aios.Prio.LOW))"],
                             env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ADMIN", out.stdout)

    def test_struct_layout_matches_c(self):
        binp = os.environ.get("AIOS_LAYOUT_BIN")
        tmp = None
        if not binp:  # plain "python3 -m unittest": compile tests/layout.c here
            cc = shutil.which("cc") or shutil.which("gcc")
            if not cc:
                self.skipTest("no C compiler and no AIOS_LAYOUT_BIN")
            top = HERE.parents[2]
            tmp = tempfile.TemporaryDirectory()
            binp = os.path.join(tmp.name, "layout")
            subprocess.run([cc, "-std=gnu11", "-Wall", "-Wextra", "-Werror",
                            f"-I{top}/uapi", f"-I{top}/userspace/lib", "-o", binp,
                            str(HERE / "layout.c")], check=True, timeout=120)
        try:
            lines = subprocess.run([binp], capture_output=True, text=True, check=True,
                                   timeout=60).stdout.split("\n")
        finally:
            if tmp:
                tmp.cleanup()
        checked = 0
        for line in filter(None, lines):
            key, *vals = line.split()
            if "." in key:
                st, field = key.split(".")
                py = {v: k for k, v in _lib.C_FIELD.items()}.get(field, field)
                desc = getattr(_lib.LAYOUTS[st], py)
                self.assertEqual(desc.offset, int(vals[0]), f"offset of {key}")
                self.assertEqual(desc.size, int(vals[1]), f"size of {key}")
            else:
                cls = _lib.LAYOUTS[key]
                self.assertEqual(ctypes.sizeof(cls), int(vals[0]), f"sizeof {key}")
                self.assertEqual(ctypes.alignment(cls), int(vals[1]), f"alignof {key}")
            checked += 1
        self.assertGreater(checked, 50)
        # every mirrored field is covered by layout.c
        for name, cls in _lib.LAYOUTS.items():
            for f, _ in cls._fields_:
                f = _lib.C_FIELD.get(f, f)
                self.assertTrue(any(l.startswith(f"{name}.{f} ") for l in lines),
                                f"layout.c does not report {name}.{f}")


class TestNames(unittest.TestCase):
    def test_caps_parse_and_format_round_trip(self):
        c = aios.caps_parse("access_fs+ACCESS_NET")
        self.assertEqual(c, aios.Cap.ACCESS_FS | aios.Cap.ACCESS_NET)
        self.assertEqual(aios.caps_format(c), "ACCESS_FS,ACCESS_NET")
        self.assertEqual(aios.caps_parse("none"), 0)
        self.assertEqual(aios.caps_format(0), "none")
        self.assertEqual(aios.caps_parse("all"), aios.Cap.all())
        self.assertEqual(aios.caps_parse("default"), aios.Cap.default())
        self.assertEqual(aios.caps_parse("0x18"), aios.Cap.ACCESS_FS | aios.Cap.ACCESS_NET)
        self.assertEqual(str(aios.Cap.KILL_AGENT | aios.Cap.ADMIN), "KILL_AGENT,ADMIN")

    def test_caps_parse_rejects_unknown_names_and_bits(self):
        with self.assertRaises(aios.AiosError) as cm:
            aios.caps_parse("ACCESS_FS,FLY")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        self.assertIn("FLY", str(cm.exception))
        with self.assertRaises(aios.AiosError) as cm:
            aios.caps_parse("0x100")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(aios.AiosError):
            aios.caps_parse("ACCESS_FS\0ADMIN")

    def test_caps_value_accepts_ints_strings_and_names(self):
        self.assertEqual(aios.caps_value(["ACCESS_FS", "access_net"]),
                         aios.Cap.ACCESS_FS | aios.Cap.ACCESS_NET)
        self.assertEqual(aios.caps_value(0x3), aios.Cap.SPAWN_AGENT | aios.Cap.KILL_AGENT)
        with self.assertRaises(aios.AiosError):
            aios.caps_value(1 << 8)
        with self.assertRaises(aios.AiosError):
            aios.caps_value(-1)
        with self.assertRaises(TypeError):
            aios.caps_value(True)
        with self.assertRaises(TypeError):
            aios.caps_value(1.5)

    def test_cap_bits_match_the_library(self):
        for c in aios.Cap:
            self.assertEqual(aios.cap_name(int(c)), c.name)

    def test_prio(self):
        self.assertEqual(aios.prio_parse("HIGH"), aios.Prio.HIGH)
        self.assertEqual(aios.prio_parse("3"), aios.Prio.LOW)
        self.assertEqual(aios.prio_parse(0), aios.Prio.CRITICAL)
        self.assertEqual(aios.prio_name(2), "normal")
        self.assertIsNone(aios.prio_name(9))
        with self.assertRaises(aios.AiosError) as cm:
            aios.prio_parse("urgent")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(aios.AiosError):
            aios.prio_parse(4)

    def test_ops_states_features_errnos(self):
        self.assertEqual(aios.op_name(0x04), "kill")
        self.assertEqual(aios.op_parse("kill"), 0x04)
        self.assertIsNone(aios.op_name(0xEE))
        with self.assertRaises(aios.AiosError):
            aios.op_parse("fly")
        self.assertEqual(aios.state_name(1), "dead")
        self.assertEqual(aios.exit_reason_name(1), "killed")
        self.assertEqual(aios.feature_name(1), "agents")
        self.assertEqual(aios.errno_name(-1), "EPERM")
        self.assertEqual(aios.errno_name(errno.ESRCH), "ESRCH")
        self.assertEqual(set(aios.FEATURES), {"agents", "caps", "audit", "queues", "gpu", "ipc"})
        for name, bit in aios.FEATURES.items():
            self.assertEqual(aios.feature_name(bit), name)

    def test_cpulist(self):
        self.assertEqual(aios.cpulist_parse("0-3,6"), frozenset({0, 1, 2, 3, 6}))
        self.assertEqual(aios.cpulist_parse("0-7:2"), frozenset({0, 2, 4, 6}))
        self.assertEqual(aios.cpulist_format({6, 0, 1, 2, 3}), "0-3,6")
        self.assertEqual(aios.cpulist_format(aios.cpulist_parse("1023")), "1023")
        with self.assertRaises(aios.AiosError) as cm:
            aios.cpulist_parse("3-1")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(aios.AiosError) as cm:
            aios.cpulist_parse("1024")
        self.assertEqual(cm.exception.errno, errno.ERANGE)
        with self.assertRaises(ValueError):
            aios.cpulist_format([1024])


class TestErrors(unittest.TestCase):
    def test_error_mapping(self):
        e = aios.error_for(-errno.EPERM, "KILL_AGENT required")
        self.assertIsInstance(e, aios.PermissionDenied)
        self.assertIsInstance(e, PermissionError)
        self.assertIsInstance(e, aios.AiosError)
        self.assertEqual((e.errno, e.strerror, e.errno_name), (errno.EPERM, "KILL_AGENT required", "EPERM"))
        self.assertIn("KILL_AGENT required", str(e))
        self.assertIsInstance(aios.error_for(errno.ESRCH), ProcessLookupError)
        self.assertIsInstance(aios.error_for(-errno.ENODEV, "x"), aios.ModuleNotLoaded)
        nl = aios.error_for(-errno.ENOENT, "/dev/aios not found: is the aios module loaded?")
        self.assertIsInstance(nl, aios.ModuleNotLoaded)
        self.assertIsInstance(nl, FileNotFoundError)
        other = aios.error_for(-errno.ENOENT, "no such run")
        self.assertNotIsInstance(other, aios.ModuleNotLoaded)
        self.assertEqual(aios.error_for(-errno.EBADFD).strerror, os.strerror(errno.EBADFD))

    def test_catching_as_oserror(self):
        try:
            raise aios.error_for(-errno.EPERM, "ADMIN required")
        except OSError as e:
            self.assertEqual(e.errno, errno.EPERM)


@unittest.skipIf(os.path.exists("/sys/module/aios"), "the aios module is loaded on this host")
class TestWithoutModule(unittest.TestCase):
    def test_open_says_module_not_loaded(self):
        with self.assertRaises(aios.ModuleNotLoaded) as cm:
            aios.Aios(path="/nonexistent/aios")
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertIn("modprobe aios", str(cm.exception))

    def test_netlink_says_module_not_loaded(self):
        with aios.Aios(open=False) as a:
            with self.assertRaises(aios.ModuleNotLoaded) as cm:
                a.status()
            self.assertIn('family "aios" not found', str(cm.exception))
            with self.assertRaises(aios.ModuleNotLoaded):
                a.events()

    def test_a_non_aios_device_fails_the_handshake(self):
        with self.assertRaises(aios.AiosError) as cm:
            aios.Aios(path="/dev/null")
        self.assertIn(cm.exception.errno, (errno.ENOTTY, errno.EINVAL))
        self.assertIn("/dev/null", str(cm.exception))


class TestHandle(unittest.TestCase):
    def test_agent_calls_without_a_device(self):
        with aios.Aios(open=False) as a:
            self.assertIsNone(a.fd)
            self.assertEqual(a.agent_id, 0)
            with self.assertRaises(aios.AiosError) as cm:
                a.register("planner")
            self.assertEqual(cm.exception.errno, errno.EBADF)
            self.assertIn("aios_open", str(cm.exception))
            with self.assertRaises(aios.AiosError):
                a.info()

    def test_closed_handle(self):
        a = aios.Aios(open=False)
        with a:
            pass
        self.assertTrue(a.closed)
        a.close()  # idempotent
        with self.assertRaises(aios.AiosError) as cm:
            a.agent_id
        self.assertEqual(cm.exception.errno, errno.EBADF)

    def test_argument_checks_before_the_kernel(self):
        with aios.Aios(open=False) as a:
            with self.assertRaises(aios.NoSuchAgent):
                a.kill(0)
            with self.assertRaises(TypeError):
                a.kill("7")
            with self.assertRaises(aios.AiosError):
                a.register("bad\0name")
            with self.assertRaises(ValueError):
                a.set_via("carrier-pigeon")
            with self.assertRaises(ValueError):
                a.events(groups=["nope"])
            with self.assertRaises(ValueError):
                a.require_feature("teleport")

    def test_adopting_a_bad_descriptor(self):
        with self.assertRaises(aios.AiosError) as cm:
            aios.Aios(fd=-1)
        self.assertEqual(cm.exception.errno, errno.EBADF)


class TestQueueAndGpuNames(unittest.TestCase):
    def test_algo(self):
        self.assertEqual(aios.algo_parse("rr"), aios.Algo.ROUND_ROBIN)
        self.assertEqual(aios.algo_parse("PRIORITY"), aios.Algo.PRIORITY)
        self.assertEqual(aios.algo_parse(0), aios.Algo.FIFO)
        with self.assertRaises(aios.AiosError) as cm:
            aios.algo_parse("lottery")
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(aios.AiosError):
            aios.algo_parse(7)
        lib = _lib.load()
        for a in aios.Algo:
            self.assertEqual(lib.aios_algo_name(int(a)).decode(), str(a))

    def test_enums_match_the_library(self):
        lib = _lib.load()
        for st in aios.TaskState:
            self.assertEqual(lib.aios_task_state_name(int(st)).decode(), str(st))
        for f in aios.TaskFail:
            self.assertEqual(lib.aios_task_fail_name(int(f)).decode(), str(f))
        for g in aios.GpuState:
            self.assertEqual(lib.aios_gpu_state_name(int(g)).decode(), str(g))
        self.assertTrue(aios.TaskState.CANCELLED.final)
        self.assertFalse(aios.TaskState.RUNNING.final)

    def test_gpu_discover(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(aios.gpu_discover(d), [])
            os.mkdir(os.path.join(d, "dri"))
            open(os.path.join(d, "nvidia0"), "w").close()  # not a device: ignored
            self.assertEqual(aios.gpu_discover(d), [])
        with self.assertRaises(aios.AiosError) as cm:
            aios.gpu_discover("/nonexistent/dev")
        self.assertIn("/nonexistent/dev", str(cm.exception))

    def test_queue_argument_checks(self):
        with aios.Aios(open=False) as a:
            with self.assertRaises(aios.AiosError):
                a.queue_create("q", "lottery")
            with self.assertRaises(aios.AiosError):
                a.queue_create("q", max_depth=-1)
            with self.assertRaises(TypeError):
                a.submit(1, 3.5)
            with self.assertRaises(ValueError):
                a.fetch(timeout=-1)
            with self.assertRaises(ValueError):
                a.fail(1, 0)
            with self.assertRaises(TypeError):
                a.queue(True)
            with self.assertRaises(aios.AiosError):
                a.queue(0)

    @unittest.skipIf(os.path.exists("/sys/module/aios"), "the aios module is loaded on this host")
    def test_queue_and_gpu_listing_without_module(self):
        with aios.Aios(open=False) as a:
            with self.assertRaises(aios.ModuleNotLoaded):
                a.queues()
            with self.assertRaises(aios.ModuleNotLoaded):
                a.gpus()
            with self.assertRaises(aios.AiosError) as cm:
                a.submit(1, b"x")
            self.assertEqual(cm.exception.errno, errno.EBADF)


class TestIpcNames(unittest.TestCase):
    def test_msg_types_match_the_library(self):
        lib = _lib.load()
        for t in aios.MsgType:
            self.assertEqual(lib.aios_msg_type_name(int(t)).decode(), str(t))
            self.assertEqual(aios.msg_type_parse(str(t).upper()), t)
        with self.assertRaises(aios.AiosError) as cm:
            aios.msg_type_parse("xml")
        self.assertEqual(cm.exception.errno, errno.EINVAL)

    def test_payload_encoding(self):
        from aios.ipc import _encode
        self.assertEqual(_encode("héllo", None), (aios.MsgType.TEXT, "héllo".encode()))
        self.assertEqual(_encode(b"\x00\x01", None), (aios.MsgType.BINARY, b"\x00\x01"))
        self.assertEqual(_encode(42, None), (aios.MsgType.NUMBER, b"42"))
        self.assertEqual(_encode({"a": [1, 2]}, None), (aios.MsgType.JSON, b'{"a":[1,2]}'))
        self.assertEqual(_encode("x", "json"), (aios.MsgType.JSON, b'"x"'))
        self.assertEqual(_encode(b"{}", "json"), (aios.MsgType.JSON, b"{}"))
        with self.assertRaises(TypeError):
            _encode(5, "text")
        with self.assertRaises(TypeError):
            _encode("x", "binary")
        m = aios.Message(1, 2, 0, 0, aios.MsgType.JSON, "plan", b'{"step":1}')
        self.assertEqual(m.value, {"step": 1})
        self.assertEqual(aios.Message(1, 2, 0, 0, aios.MsgType.NUMBER, "n", b"2.5").value, 2.5)


if __name__ == "__main__":
    unittest.main()
