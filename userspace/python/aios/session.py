# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sessions with aiosd: the memory store, contexts and runs.

    import aios

    with aios.Aios() as a, aios.Session(a) as s:   # s acts as agent a
        a.register("scribe")                       # (register before Session)
        s.put("chat:0001", b"hello")
        run = s.run_create()
        seq, doc = s.workset_get(run)
        seq = s.workset_put(run, seq, {"goal": "g", "status": "active", "step": 1})
        s.ledger_append(run, "step", {"n": 1})

A :class:`Session` is a connection to aiosd (``$AIOS_SOCKET`` or
``/run/aios/aiosd.sock``).  Given a registered :class:`aios.Aios` handle it
authenticates as that agent (libaios passes the agent's /dev/aios file to
aiosd, which asks the kernel whose it is); without one it acts as the
process' uid.  Keys and values are bytes (str is UTF-8 encoded); documents
and payloads are Python objects (JSON).  Errors raise
:class:`aios.AiosError` with aiosd's errno and message; a stale
``expected_seq`` raises :class:`StaleSeq` carrying ``current_seq``.
"""
from __future__ import annotations

import base64
import ctypes
import errno
import json
from collections.abc import Iterator
from ctypes import CFUNCTYPE, POINTER, byref, c_bool, c_char_p, c_int, c_size_t, c_uint, c_uint64, c_void_p

from . import _lib
from .errors import AiosError, DaemonUnavailable, error_for

__all__ = ["Session", "StaleSeq", "LedgerDamaged"]

_MISSING = object()


class StaleSeq(AiosError):
    """ESTALE: the working set moved on; ``current_seq`` is where it is."""

    def __init__(self, err: int, message: str | None = None, current_seq: int = 0):
        super().__init__(err, message)
        self.current_seq = current_seq


class LedgerDamaged(AiosError):
    """EBADMSG from :meth:`Session.ledger_verify`; ``report`` is aiosd's
    verification result (``bad_seq``, ``error``, ...)."""

    def __init__(self, err: int, message: str | None = None, report: dict | None = None):
        super().__init__(err, message)
        self.report = report or {}
        self.bad_seq = self.report.get("bad_seq")


# int (*)(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
MEMORY_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t)


def _b(x) -> bytes:
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, (bytes, bytearray, memoryview)):
        return bytes(x)
    raise TypeError(f"expected bytes or str, not {type(x).__name__}")


def _s(x: str | None) -> bytes | None:
    return None if x is None else str(x).encode()


def _j(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _take(ptr: int | None):
    """JSON text returned by the library (malloc'd) -> Python object."""
    if not ptr:
        return None
    try:
        return json.loads(ctypes.string_at(ptr).decode())
    finally:
        _lib.libc_free(ptr)


def _take_str(ptr: int | None) -> str | None:
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        _lib.libc_free(ptr)


class Session:
    """A connection to aiosd, as an agent (``agent=`` a registered
    :class:`aios.Aios`) or as the caller's uid.  Not thread safe."""

    def __init__(self, agent=None, socket: str | None = None, *, timeout_ms: int | None = None):
        self._lib = _lib.load()
        self._s = None
        out = c_void_p()
        h = agent._handle() if agent is not None else None
        rc = _lib.symbol("aios_session_open")(h, _s(socket), byref(out))
        self._s = out.value
        if rc < 0:
            msg = self.errmsg()
            connected = self._s and self._lib.aios_session_fd(self._s) >= 0
            self.close()
            if not connected and rc != -errno.ENOMEM:
                raise DaemonUnavailable(rc, msg or None)
            raise error_for(rc, msg or None)
        if timeout_ms is not None:
            self._lib.aios_session_set_timeout(self._s, int(timeout_ms))

    # ---- lifetime and errors ----------------------------------------------
    def close(self) -> None:
        s, self._s = getattr(self, "_s", None), None
        if s:
            self._lib.aios_session_close(s)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        if not self._s:
            return "<aios.Session closed>"
        return f"<aios.Session agent={self.agent_id or '-'}>"

    def _sess(self):
        if not self._s:
            raise AiosError(errno.EBADF, "the aiosd session is closed")
        return self._s

    def errmsg(self) -> str:
        m = self._lib.aios_session_errmsg(self._s) if self._s else None
        return m.decode("utf-8", "replace") if m else ""

    def error_detail(self) -> dict | None:
        """The error object of the last failed request (``code``,
        ``errno``, ``message`` and extras such as ``current_seq``)."""
        m = self._lib.aios_session_error_json(self._s) if self._s else None
        return json.loads(m.decode()) if m else None

    def _check(self, rc: int) -> int:
        if rc < 0:
            if rc in (-errno.ECONNRESET, -errno.ENOTCONN):
                raise DaemonUnavailable(rc, self.errmsg() or None)
            raise error_for(rc, self.errmsg() or None)
        return rc

    def _fn(self, name: str):
        return _lib.symbol(name)

    @property
    def agent_id(self) -> int:
        """The agent this session authenticated as (0: identity by uid)."""
        return self._lib.aios_session_agent(self._sess())

    def status(self) -> dict:
        out = c_void_p()
        self._check(self._fn("aios_session_status")(self._sess(), byref(out)))
        return _take(out.value)

    def call(self, op: str, **fields) -> dict:
        """Any aiosd operation; returns the reply object.  Fields whose
        name is a Python keyword take a trailing underscore (``from_``)."""
        req = {"op": op}
        req.update({k.rstrip("_"): v for k, v in fields.items()})
        out = c_void_p()
        rc = self._fn("aios_session_call")(self._sess(), _j(req), byref(out))
        reply = _take(out.value)
        self._check(rc)
        return reply

    # ---- memory store -------------------------------------------------------
    def put(self, key, value) -> int:
        """Store value under key; returns how many entries aiosd evicted."""
        k, v = _b(key), _b(value)
        ev = c_uint64()
        self._check(self._fn("aios_memory_put")(self._sess(), k, len(k), v, len(v), byref(ev)))
        return ev.value

    def get(self, key, default=_MISSING) -> bytes:
        """The value of key; ``default`` (or KeyError) when absent."""
        k = _b(key)
        val, n = c_void_p(), c_size_t()
        rc = self._fn("aios_memory_get")(self._sess(), k, len(k), byref(val), byref(n))
        if rc == -errno.ENOENT:
            if default is _MISSING:
                raise KeyError(key)
            return default
        self._check(rc)
        try:
            return ctypes.string_at(val.value, n.value) if n.value else b""
        finally:
            _lib.libc_free(val.value)

    def delete(self, key) -> None:
        k = _b(key)
        self._check(self._fn("aios_memory_delete")(self._sess(), k, len(k)))

    def delete_prefix(self, prefix) -> int:
        p = _b(prefix)
        n = c_uint64()
        self._check(self._fn("aios_memory_delete_prefix")(self._sess(), p, len(p), byref(n)))
        return n.value

    def items(self, prefix=b"", *, values: bool = True, page: int = 0) -> Iterator[tuple[bytes, bytes | None]]:
        """(key, value) pairs under prefix in key order, page by page
        (``page`` items per request; 0: aiosd's default)."""
        p = _b(prefix)
        cursor = c_void_p()
        fn = self._fn("aios_memory_list")
        while True:
            got: list = []

            def cb(_arg, k, kl, v, vl):
                got.append((ctypes.string_at(k, kl) if kl else b"",
                            (ctypes.string_at(v, vl) if vl else b"") if v else None))
                return 0

            c_cb = MEMORY_FN(cb)
            rc = fn(self._sess(), p, len(p), byref(cursor), int(page), bool(values), c_cb, None)
            self._check(rc)
            yield from got
            if not cursor.value:
                return

    def keys(self, prefix=b"") -> list[bytes]:
        return [k for k, _ in self.items(prefix, values=False)]

    def memory_stats(self, all: bool = False) -> dict:  # noqa: A002 - mirrors the protocol
        out = c_void_p()
        self._check(self._fn("aios_memory_stats")(self._sess(), bool(all), byref(out)))
        return _take(out.value)

    # ---- contexts ----------------------------------------------------------
    def context_create(self, messages: list, model: str | None = None, ttl_s: int = 0) -> tuple[str, int]:
        """Snapshot a conversation; returns (snapshot id, tokens)."""
        sid, tokens = c_void_p(), c_uint64()
        self._check(self._fn("aios_context_create")(self._sess(), _j(messages), _s(model),
                                                    int(ttl_s), byref(sid), byref(tokens)))
        return _take_str(sid.value), tokens.value

    def context_restore(self, snapshot: str) -> dict:
        return self._json("aios_context_restore", _s(snapshot))

    def context_list(self) -> list:
        return self._json("aios_context_list")

    def context_delete(self, snapshot: str) -> None:
        self._check(self._fn("aios_context_delete")(self._sess(), _s(snapshot)))

    def context_expire(self) -> int:
        """Remove every expired snapshot of every agent (admin); the count."""
        n = c_uint64()
        self._check(self._fn("aios_context_expire")(self._sess(), byref(n)))
        return n.value

    def context_models(self) -> dict:
        return self._json("aios_context_models")

    def context_check(self, messages: list, model: str | None = None, budget: int = 0) -> dict:
        tokens, window, fits = c_uint64(), c_uint64(), c_bool()
        self._check(self._fn("aios_context_check")(self._sess(), _j(messages), _s(model), int(budget),
                                                   byref(tokens), byref(window), byref(fits)))
        return {"tokens": tokens.value, "budget": window.value, "fits": fits.value}

    def context_truncate(self, messages: list, model: str | None = None, budget: int = 0,
                         keep_last: int | None = None, reserve: int = 0) -> dict:
        return self._json("aios_context_truncate", _j(messages), _s(model), int(budget),
                          -1 if keep_last is None else int(keep_last), int(reserve))

    def budget_set(self, session: str, limit: int) -> None:
        self._check(self._fn("aios_context_budget_set")(self._sess(), _s(session), int(limit)))

    def budget_charge(self, session: str, tokens: int) -> int:
        """Charge tokens; returns what remains (EDQUOT: over budget)."""
        rem = c_uint64()
        self._check(self._fn("aios_context_budget_charge")(self._sess(), _s(session), int(tokens),
                                                           byref(rem)))
        return rem.value

    def budget_get(self, session: str) -> dict:
        lim, used, rem = c_uint64(), c_uint64(), c_uint64()
        self._check(self._fn("aios_context_budget_get")(self._sess(), _s(session), byref(lim),
                                                        byref(used), byref(rem)))
        return {"limit": lim.value, "used": used.value, "remaining": rem.value}

    # ---- runs ----------------------------------------------------------------
    def _json(self, name: str, *args):
        out = c_void_p()
        self._check(self._fn(name)(self._sess(), *args, byref(out)))
        return _take(out.value)

    def run_create(self, run: str | None = None, fsync: str | None = None) -> str:
        out = c_void_p()
        self._check(self._fn("aios_runs_create")(self._sess(), _s(run), _s(fsync), byref(out)))
        return _take_str(out.value)

    def runs(self) -> list:
        return self._json("aios_runs_list")

    def run_show(self, run: str) -> dict:
        return self._json("aios_runs_show", _s(run))

    def workset_get(self, run: str) -> tuple[int, dict]:
        seq, doc = c_uint64(), c_void_p()
        self._check(self._fn("aios_runs_workset_get")(self._sess(), _s(run), byref(seq), byref(doc)))
        return seq.value, _take(doc.value)

    def _stale(self, rc: int, seq: int):
        if rc == -errno.ESTALE:
            raise StaleSeq(errno.ESTALE, self.errmsg() or None, current_seq=seq)
        self._check(rc)

    def workset_put(self, run: str, expected_seq: int, doc: dict) -> int:
        """Replace the working set if it is still at expected_seq; returns
        the new seq.  StaleSeq (with ``current_seq``) otherwise."""
        seq = c_uint64()
        rc = self._fn("aios_runs_workset_put")(self._sess(), _s(run), int(expected_seq), _j(doc),
                                              byref(seq))
        self._stale(rc, seq.value)
        return seq.value

    def workset_push(self, run: str, expected_seq: int, items: list) -> tuple[int, list]:
        """Push items into the sliding context; returns (seq, evicted ids)."""
        seq, ev = c_uint64(), c_void_p()
        rc = self._fn("aios_runs_workset_push")(self._sess(), _s(run), int(expected_seq), _j(items),
                                               byref(seq), byref(ev))
        self._stale(rc, seq.value)
        return seq.value, _take(ev.value)

    def ledger_append(self, run: str, type: str, payload=None) -> int:  # noqa: A002
        """Append a record (durable when this returns); returns its seq."""
        seq = c_uint64()
        self._check(self._fn("aios_runs_ledger_append")(
            self._sess(), _s(run), _s(type), None if payload is None else _j(payload), byref(seq)))
        return seq.value

    def ledger_read(self, run: str, from_: int = 1, limit: int = 100) -> dict:
        return self._json("aios_runs_ledger_read", _s(run), int(from_), int(limit))

    def ledger(self, run: str) -> Iterator[dict]:
        """Every record of the run's ledger, in order."""
        nxt = 1
        while True:
            page = self.ledger_read(run, nxt, 1000)
            yield from page["records"]
            if not page["more"] or not page["records"]:
                return
            nxt = page["records"][-1]["seq"] + 1

    def ledger_verify(self, run: str) -> dict:
        """Walk the hash chain; returns the report, raises LedgerDamaged
        (``bad_seq``) when a record does not verify."""
        out = c_void_p()
        rc = self._fn("aios_runs_ledger_verify")(self._sess(), _s(run), byref(out))
        report = _take(out.value)
        if rc == -errno.EBADMSG and report is not None:
            raise LedgerDamaged(errno.EBADMSG, self.errmsg() or None, report)
        self._check(rc)
        return report

    def episode_create(self, run: str, name: str, note: str | None = None) -> dict:
        return self._json("aios_runs_episode_create", _s(run), _s(name), _s(note))

    def episodes(self, run: str) -> list:
        return self._json("aios_runs_episode_list", _s(run))

    def episode_show(self, run: str, name: str) -> dict:
        return self._json("aios_runs_episode_show", _s(run), _s(name))

    def ltm_propose(self, run: str, facts: list) -> str:
        out = c_void_p()
        self._check(self._fn("aios_runs_ltm_propose")(self._sess(), _s(run), _j(facts), byref(out)))
        return _take_str(out.value)

    def ltm_commit(self, run: str, proposal: str, episode: str) -> int:
        n = c_uint64()
        self._check(self._fn("aios_runs_ltm_commit")(self._sess(), _s(run), _s(proposal), _s(episode),
                                                     byref(n)))
        return n.value

    def ltm_discard(self, run: str, proposal: str) -> None:
        self._check(self._fn("aios_runs_ltm_discard")(self._sess(), _s(run), _s(proposal)))

    def ltm_proposals(self, run: str) -> list:
        return self._json("aios_runs_ltm_proposals", _s(run))

    def ltm_search(self, run: str, query: str, scope: str | None = None, limit: int = 0) -> list:
        return self._json("aios_runs_ltm_search", _s(run), _s(query), _s(scope), int(limit))

    def pack_export(self, run: str) -> tuple[bytes, dict]:
        """The run's resume pack (tar.gz bytes) and its manifest."""
        data, n, man = c_void_p(), c_size_t(), c_void_p()
        self._check(self._fn("aios_runs_pack_export")(self._sess(), _s(run), byref(data), byref(n),
                                                      byref(man)))
        try:
            blob = ctypes.string_at(data.value, n.value)
        finally:
            _lib.libc_free(data.value)
        return blob, _take(man.value)

    def pack_export_path(self, run: str, path: str) -> dict:
        """aiosd writes the pack to path on its own file system (admin);
        returns the manifest."""
        return self._json("aios_runs_pack_export_path", _s(run), _s(path))

    def pack_import_path(self, path: str, as_: str | None = None) -> tuple[str, dict]:
        """aiosd imports the pack at path on its file system (admin)."""
        rid, man = c_void_p(), c_void_p()
        self._check(self._fn("aios_runs_pack_import_path")(self._sess(), _s(path), _s(as_),
                                                           byref(rid), byref(man)))
        return _take_str(rid.value), _take(man.value)

    def pack_import(self, data: bytes, as_: str | None = None) -> tuple[str, dict]:
        """Verify and import a resume pack; returns (run id, manifest)."""
        data = bytes(data)
        rid, man = c_void_p(), c_void_p()
        self._check(self._fn("aios_runs_pack_import")(self._sess(), data, len(data), _s(as_),
                                                      byref(rid), byref(man)))
        return _take_str(rid.value), _take(man.value)

    # ---- sandboxed tools -----------------------------------------------------
    def tools(self) -> dict:
        """``{"permission", "access", "tools": [...]}``: what this caller
        may call and why not."""
        return self._json("aios_tool_list")

    def tool_call(self, tool: str, args: list | tuple = (), *, run: str | None = None,
                  stdin: bytes | str | None = None, limits: dict | None = None) -> dict:
        """Run a tool in the sandbox and wait for it.  Returns aiosd's
        result (``exit_code``, ``usage``, ``audit``, ...) with ``stdout``
        and ``stderr`` as bytes.  Refusals raise (PermissionDenied: not
        allowed; EACCES: confirmation denied)."""
        data = None if stdin is None else _b(stdin)
        res = self._json("aios_tool_call", _s(tool), _j([str(a) for a in args]), _s(run),
                         data, 0 if data is None else len(data),
                         None if limits is None else _j(limits))
        for name in ("stdout", "stderr"):
            if name + "_b64" in res:
                res[name] = base64.b64decode(res.pop(name + "_b64"))
            elif name in res:
                res[name] = res[name].encode()
        return res

    def tool_pending(self) -> list:
        return self._json("aios_tool_pending")

    def tool_confirm(self, confirmation: int, allow: bool = True) -> None:
        self._check(self._fn("aios_tool_confirm")(self._sess(), int(confirmation), bool(allow)))


S = c_void_p
_vp = POINTER(c_void_p)
_u64p = POINTER(c_uint64)
PROTOTYPES = {
    "aios_session_new": (S, []),
    "aios_session_connect": (c_int, [S, c_char_p]),
    "aios_session_auth": (c_int, [S, c_void_p]),
    "aios_session_open": (c_int, [c_void_p, c_char_p, _vp]),
    "aios_session_close": (None, [S]),
    "aios_session_errmsg": (c_char_p, [S]),
    "aios_session_error_json": (c_char_p, [S]),
    "aios_session_fd": (c_int, [S]),
    "aios_session_agent": (c_uint64, [S]),
    "aios_session_set_timeout": (c_int, [S, c_uint]),
    "aios_session_call": (c_int, [S, c_char_p, _vp]),
    "aios_session_status": (c_int, [S, _vp]),
    "aios_memory_put": (c_int, [S, c_char_p, c_size_t, c_char_p, c_size_t, _u64p]),
    "aios_memory_get": (c_int, [S, c_char_p, c_size_t, _vp, POINTER(c_size_t)]),
    "aios_memory_delete": (c_int, [S, c_char_p, c_size_t]),
    "aios_memory_delete_prefix": (c_int, [S, c_char_p, c_size_t, _u64p]),
    "aios_memory_list": (ctypes.c_long, [S, c_char_p, c_size_t, _vp, c_uint, c_bool, MEMORY_FN,
                                         c_void_p]),
    "aios_memory_stats": (c_int, [S, c_bool, _vp]),
    "aios_context_create": (c_int, [S, c_char_p, c_char_p, ctypes.c_uint32, _vp, _u64p]),
    "aios_context_restore": (c_int, [S, c_char_p, _vp]),
    "aios_context_list": (c_int, [S, _vp]),
    "aios_context_delete": (c_int, [S, c_char_p]),
    "aios_context_expire": (c_int, [S, _u64p]),
    "aios_context_models": (c_int, [S, _vp]),
    "aios_context_check": (c_int, [S, c_char_p, c_char_p, c_uint64, _u64p, _u64p, POINTER(c_bool)]),
    "aios_context_truncate": (c_int, [S, c_char_p, c_char_p, c_uint64, c_int, c_uint64, _vp]),
    "aios_context_budget_set": (c_int, [S, c_char_p, c_uint64]),
    "aios_context_budget_charge": (c_int, [S, c_char_p, c_uint64, _u64p]),
    "aios_context_budget_get": (c_int, [S, c_char_p, _u64p, _u64p, _u64p]),
    "aios_runs_create": (c_int, [S, c_char_p, c_char_p, _vp]),
    "aios_runs_list": (c_int, [S, _vp]),
    "aios_runs_show": (c_int, [S, c_char_p, _vp]),
    "aios_runs_workset_get": (c_int, [S, c_char_p, _u64p, _vp]),
    "aios_runs_workset_put": (c_int, [S, c_char_p, c_uint64, c_char_p, _u64p]),
    "aios_runs_workset_push": (c_int, [S, c_char_p, c_uint64, c_char_p, _u64p, _vp]),
    "aios_runs_ledger_append": (c_int, [S, c_char_p, c_char_p, c_char_p, _u64p]),
    "aios_runs_ledger_read": (c_int, [S, c_char_p, c_uint64, c_uint, _vp]),
    "aios_runs_ledger_verify": (c_int, [S, c_char_p, _vp]),
    "aios_runs_episode_create": (c_int, [S, c_char_p, c_char_p, c_char_p, _vp]),
    "aios_runs_episode_list": (c_int, [S, c_char_p, _vp]),
    "aios_runs_episode_show": (c_int, [S, c_char_p, c_char_p, _vp]),
    "aios_runs_ltm_propose": (c_int, [S, c_char_p, c_char_p, _vp]),
    "aios_runs_ltm_commit": (c_int, [S, c_char_p, c_char_p, c_char_p, _u64p]),
    "aios_runs_ltm_discard": (c_int, [S, c_char_p, c_char_p]),
    "aios_runs_ltm_proposals": (c_int, [S, c_char_p, _vp]),
    "aios_runs_ltm_search": (c_int, [S, c_char_p, c_char_p, c_char_p, c_uint, _vp]),
    "aios_runs_pack_export": (c_int, [S, c_char_p, _vp, POINTER(c_size_t), _vp]),
    "aios_runs_pack_export_path": (c_int, [S, c_char_p, c_char_p, _vp]),
    "aios_runs_pack_import": (c_int, [S, c_char_p, c_size_t, c_char_p, _vp, _vp]),
    "aios_runs_pack_import_path": (c_int, [S, c_char_p, c_char_p, _vp, _vp]),
    "aios_tool_list": (c_int, [S, _vp]),
    "aios_tool_call": (c_int, [S, c_char_p, c_char_p, c_char_p, c_char_p, c_size_t, c_char_p, _vp]),
    "aios_tool_pending": (c_int, [S, _vp]),
    "aios_tool_confirm": (c_int, [S, c_uint64, c_bool]),
}
_lib.add_prototypes(PROTOTYPES)
