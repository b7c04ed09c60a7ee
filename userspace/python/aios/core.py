# SPDX-License-Identifier: LGPL-2.1-or-later
"""The aios handle: an agent's /dev/aios file plus the netlink family.

    import aios

    with aios.Aios() as a:                    # open /dev/aios, handshake
        a.register("planner", prio="high")
        print(a.info().caps)                  # Cap.SPAWN_AGENT|ALLOC_MEMORY
        if not a.has_caps("ACCESS_NET"):
            print(a.last_denial().reason)     # "ACCESS_NET required"

Subsystems come as mixins: task queues from queues.QueueOps, GPU claims
from gpu.GpuOps, typed IPC from ipc.IpcOps; their ioctl methods are guarded by :meth:`Aios.require_feature`, so
an older module gives a clear error.
"""
from __future__ import annotations

import ctypes
import errno
import os
import select
from collections.abc import Iterable, Iterator
from ctypes import byref, c_size_t, c_uint64
from dataclasses import dataclass

from . import _lib
from .errors import AiosError, NoSuchAgent, error_for
from .gpu import Gpu, GpuOps
from .ipc import IpcOps
from .queues import QueueOps
from .names import (
    Cap,
    CapsLike,
    Prio,
    PrioLike,
    caps_value,
    exit_reason_name,
    errno_name,
    features_format,
    op_name,
    prio_parse,
    state_name,
)

__all__ = [
    "Aios",
    "Agent",
    "Status",
    "AuditRecord",
    "Denial",
    "Event",
    "Events",
    "FEATURES",
]

# AIOS_FEAT_* bits by name.
FEATURES = {
    "agents": 1 << 0,
    "caps": 1 << 1,
    "audit": 1 << 2,
    "queues": 1 << 3,
    "gpu": 1 << 4,
    "ipc": 1 << 5,
}

_VIA = {"auto": 0, "ioctl": 1, "netlink": 2}
_GROUPS = {"events": 1 << 0, "audit": 1 << 1}
_EVENT_TYPES = {
    0x80: "agent_new",
    0x81: "agent_del",
    0x82: "caps",
    0x83: "audit",
    0x88: "gpu_claim",
    0x89: "gpu_release",
    0x8A: "gpu_preempt",
    0x8B: "gpu_revoke",
    0x1000: "lost",
    0x1001: "other",
}


@dataclass(frozen=True)
class Agent:
    id: int
    parent_id: int
    name: str
    prio: Prio
    caps: Cap
    state: str
    pid: int
    uid: int
    created_ns: int
    cpus: frozenset | None = None

    @classmethod
    def _from(cls, a: _lib.AgentC) -> "Agent":
        return cls(
            id=a.id,
            parent_id=a.parent_id,
            name=a.name.decode("utf-8", "replace"),
            prio=Prio(a.prio) if a.prio <= Prio.LOW else a.prio,
            caps=Cap(a.caps),
            state=state_name(a.state) or str(a.state),
            pid=a.pid,
            uid=a.uid,
            created_ns=a.created_ns,
            cpus=a.cpus.cpus() if a.has_cpus else None,
        )


@dataclass(frozen=True)
class Status:
    api_version: int
    features: frozenset
    agents: int
    next_agent_id: int
    default_caps: Cap
    audit_ring_size: int
    audit_next_seq: int
    audit_first_seq: int
    audit_lost: int


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    op_id: int
    agent_id: int
    op: str
    result: int
    object: int
    time_ns: int
    cap: Cap

    @property
    def allowed(self) -> bool:
        return self.result == 0

    @classmethod
    def _from(cls, r: _lib.AuditRecC) -> "AuditRecord":
        return cls(
            seq=r.seq,
            op_id=r.op_id,
            agent_id=r.agent_id,
            op=op_name(r.op) or f"op{r.op:#x}",
            result=r.result,
            object=r.object,
            time_ns=r.time_ns,
            cap=Cap(r.cap & int(Cap.all())),
        )


@dataclass(frozen=True)
class Denial:
    """Why this agent's last denied operation was denied."""

    op: str
    op_id: int
    audit_seq: int
    cap_required: Cap
    error: str
    time_ns: int
    reason: str


@dataclass(frozen=True)
class Event:
    # agent_new, agent_del, caps, audit, gpu_claim, gpu_release,
    # gpu_preempt, gpu_revoke, lost, other
    type: str
    cmd: int
    agent: Agent | None = None
    reason: str | None = None  # agent_del: closed, killed, unload
    audit: AuditRecord | None = None
    gpu: Gpu | None = None  # gpu_*: the device and the claim's state


def _features(bits: int) -> frozenset:
    return frozenset(n for n, b in FEATURES.items() if bits & b)


class Aios(QueueOps, GpuOps, IpcOps):
    """A libaios handle.

    ``Aios()`` opens /dev/aios and performs the API handshake;
    ``Aios(path=...)`` another device node; ``Aios(fd=n)`` adopts an open
    /dev/aios descriptor (e.g. an agent file passed by a parent) and takes
    ownership of it; ``Aios(open=False)`` opens nothing, for the netlink
    queries (status, agents, audit, events) and admin operations.

    Not thread safe: use one handle per thread.  Close it with
    :meth:`close` or a ``with`` block.
    """

    def __init__(self, *, path: str | None = None, fd: int | None = None,
                 open: bool = True, via: str = "auto"):
        self._lib = _lib.load()
        self._h = self._lib.aios_new()
        if not self._h:
            raise MemoryError("aios_new: out of memory")
        try:
            if fd is not None:
                self._check(self._lib.aios_adopt_fd(self._h, int(fd)))
            elif open:
                if path is None:
                    self._check(self._lib.aios_open(self._h))
                else:
                    self._check(self._lib.aios_open_path(self._h, os.fsencode(path)))
            if via != "auto":
                self.set_via(via)
        except BaseException:
            self.close()
            raise

    @classmethod
    def _wrap(cls, h) -> "Aios":
        self = cls.__new__(cls)
        self._lib = _lib.load()
        self._h = h
        return self

    # ---- lifetime ------------------------------------------------------
    def close(self) -> None:
        """Close the device file (an agent ends when its last file
        reference is gone) and the netlink socket.  Idempotent."""
        h, self._h = getattr(self, "_h", None), None
        if h:
            self._lib.aios_close(h)

    @property
    def closed(self) -> bool:
        return not self._h

    def __enter__(self) -> "Aios":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<Aios closed>"
        return f"<Aios fd={self.fd} agent={self.agent_id or '-'}>"

    # ---- errors ----------------------------------------------------------
    def _handle(self):
        if not self._h:
            raise AiosError(errno.EBADF, "the aios handle is closed")
        return self._h

    def errmsg(self) -> str:
        """The library's message for the last failure of this handle."""
        m = self._lib.aios_errmsg(self._handle())
        return m.decode("utf-8", "replace") if m else ""

    def _check(self, rc: int) -> int:
        if rc < 0:
            raise error_for(rc, self.errmsg() or None)
        return rc

    # ---- handshake results -----------------------------------------------
    @property
    def fd(self) -> int | None:
        fd = self._lib.aios_fd(self._handle())
        return fd if fd >= 0 else None

    def fileno(self) -> int:
        fd = self.fd
        if fd is None:
            raise AiosError(errno.EBADF, "no /dev/aios file is open on this handle")
        return fd

    @property
    def api_version(self) -> int:
        return self._lib.aios_api_version(self._handle())

    @property
    def features(self) -> frozenset:
        """Subsystems the running module implements ({"agents", "caps", ...})."""
        return _features(self._lib.aios_features(self._handle()))

    def require_feature(self, name: str) -> None:
        """AiosError(EOPNOTSUPP) unless the module implements name."""
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r}")
        if name not in self.features:
            raise AiosError(errno.EOPNOTSUPP,
                            f"the loaded aios module does not implement {name} "
                            f"(it offers: {features_format(self._lib.aios_features(self._h))})")

    def _need(self, name: str) -> None:
        """require_feature() when a device is open (netlink-only handles
        do not know the module's features)."""
        if self.fd is not None and self._lib.aios_features(self._h):
            self.require_feature(name)

    @property
    def agent_id(self) -> int:
        """This handle's agent id, 0 when it is not an agent."""
        return self._lib.aios_agent_id(self._handle())

    def set_via(self, via: str) -> None:
        """Transport for kill/migrate/caps: "auto", "ioctl" or "netlink"."""
        if via not in _VIA:
            raise ValueError(f"via must be one of {', '.join(_VIA)}")
        self._check(self._lib.aios_set_via(self._handle(), _VIA[via]))

    # ---- agents (ioctl) ----------------------------------------------------
    def register(self, name: str, prio: PrioLike = "normal") -> int:
        """Make this handle an agent; returns its id."""
        out = c_uint64()
        self._check(self._lib.aios_register(self._handle(), _name(name),
                                            int(prio_parse(prio)), byref(out)))
        return out.value

    def info(self) -> Agent:
        """This handle's agent (AIOS_IOC_AGENT_INFO)."""
        a = _lib.AgentC()
        self._check(self._lib.aios_agent_info(self._handle(), byref(a)))
        return Agent._from(a)

    def spawn(self, name: str, *, prio: PrioLike = "normal", caps: CapsLike | None = None,
              pidfd: int | None = None, cloexec: bool = True) -> "Aios":
        """Register a child agent and return a handle owning its file.

        caps: a subset of ours (default: the module's default_caps).
        pidfd: the child's process (os.pidfd_open(pid)); default: ours.
        Pass the child handle's descriptor to that process (e.g. with
        socket.send_fds) and close it here."""
        o = _lib.SpawnOptsC()
        o.sz = ctypes.sizeof(o)
        o.name = _name(name)
        o.prio = int(prio_parse(prio))
        o.pidfd = -1 if pidfd is None else int(pidfd)
        o.set_caps = caps is not None
        o.caps = int(caps_value(caps)) if caps is not None else 0
        o.cloexec = bool(cloexec)
        child = _lib.H()
        self._check(self._lib.aios_spawn(self._handle(), byref(o), byref(child)))
        return Aios._wrap(child.value)

    def kill(self, agent_id: int, sig: int = 0, *, pgrp: bool = False) -> None:
        """Signal an agent's process (0: SIGKILL) and remove the agent."""
        self._check(self._lib.aios_kill(self._handle(), _id(agent_id), int(sig),
                                        1 if pgrp else 0))

    def migrate(self, cpus: Iterable[int] | str, agent_id: int = 0) -> None:
        """Set the CPU affinity of an agent (0: this one)."""
        if isinstance(cpus, str):
            from .names import cpulist_parse

            cpus = cpulist_parse(cpus)
        cs = _lib.CpuSet.of(cpus)
        self._check(self._lib.aios_migrate(self._handle(), _id(agent_id, zero=True), byref(cs)))

    # ---- capabilities --------------------------------------------------------
    def caps(self, agent_id: int = 0) -> Cap:
        """Capabilities of an agent (0: this one)."""
        v = c_uint64()
        self._check(self._lib.aios_caps_get(self._handle(), _id(agent_id, zero=True), byref(v)))
        return Cap(v.value)

    def check_caps(self, caps: CapsLike) -> None:
        """Raise PermissionDenied (audited) unless this agent holds caps."""
        self._check(self._lib.aios_caps_check(self._handle(), int(caps_value(caps))))

    def has_caps(self, caps: CapsLike) -> bool:
        """True when this agent holds every bit of caps (a denial is
        audited and readable with last_denial())."""
        rc = self._lib.aios_caps_check(self._handle(), int(caps_value(caps)))
        if rc == -errno.EPERM:
            return False
        self._check(rc)
        return True

    def grant(self, agent_id: int, caps: CapsLike) -> Cap:
        """Grant caps (admin); returns the target's capabilities after."""
        v = c_uint64()
        self._check(self._lib.aios_caps_grant(self._handle(), _id(agent_id, zero=True),
                                              int(caps_value(caps)), byref(v)))
        return Cap(v.value)

    def revoke(self, agent_id: int, caps: CapsLike) -> Cap:
        """Revoke caps from an agent and its descendants (admin)."""
        v = c_uint64()
        self._check(self._lib.aios_caps_revoke(self._handle(), _id(agent_id, zero=True),
                                               int(caps_value(caps)), byref(v)))
        return Cap(v.value)

    def last_denial(self) -> Denial | None:
        """Why this agent was last denied something; None if never."""
        d = _lib.DenialC()
        rc = self._lib.aios_last_denial(self._handle(), byref(d))
        if rc == -errno.ENOENT:
            return None
        self._check(rc)
        return Denial(
            op=op_name(d.op) or f"op{d.op:#x}",
            op_id=d.op_id,
            audit_seq=d.audit_seq,
            cap_required=Cap(d.cap_required & int(Cap.all())),
            error=errno_name(d.error) or str(d.error),
            time_ns=d.time_ns,
            reason=d.reason.decode("utf-8", "replace"),
        )

    def noop(self) -> None:
        self._check(self._lib.aios_noop(self._handle()))

    # ---- netlink: status, agents, audit ------------------------------------
    def status(self) -> Status:
        s = _lib.StatusC()
        self._check(self._lib.aios_status(self._handle(), byref(s)))
        return Status(
            api_version=s.api_version,
            features=_features(s.features),
            agents=s.agents,
            next_agent_id=s.next_agent_id,
            default_caps=Cap(s.default_caps & int(Cap.all())),
            audit_ring_size=s.audit_ring_size,
            audit_next_seq=s.audit_next_seq,
            audit_first_seq=s.audit_first_seq,
            audit_lost=s.audit_lost,
        )

    def agents(self) -> list[Agent]:
        """Every live agent."""
        arr = ctypes.POINTER(_lib.AgentC)()
        n = c_size_t()
        self._check(self._lib.aios_agents(self._handle(), byref(arr), byref(n)))
        try:
            return [Agent._from(arr[i]) for i in range(n.value)]
        finally:
            _lib.libc_free(arr)

    def agent(self, agent_id: int) -> Agent:
        """One agent by id (NoSuchAgent if unknown)."""
        a = _lib.AgentC()
        self._check(self._lib.aios_agent_get(self._handle(), _id(agent_id), byref(a)))
        return Agent._from(a)

    def audit(self, *, op_id: int | None = None, after: int | None = None,
              agent_id: int | None = None, limit: int = 0) -> list[AuditRecord]:
        """Audit records, oldest first (admin: all; an agent: its own)."""
        f = _lib.AuditFilterC()
        if op_id is not None:
            f.flags |= _lib.AUDIT_F_OP_ID
            f.op_id = op_id
        if after is not None:
            f.flags |= _lib.AUDIT_F_SEQ_AFTER
            f.seq_after = after
        if agent_id is not None:
            f.flags |= _lib.AUDIT_F_AGENT
            f.agent_id = agent_id
        if limit < 0:
            raise ValueError("limit must be >= 0")
        f.limit = limit
        arr = ctypes.POINTER(_lib.AuditRecC)()
        n = c_size_t()
        self._check(self._lib.aios_audit_read(self._handle(), byref(f), byref(arr), byref(n)))
        try:
            return [AuditRecord._from(arr[i]) for i in range(n.value)]
        finally:
            _lib.libc_free(arr)

    def audit_config(self, ring_size: int) -> None:
        """Resize the audit ring (CAP_SYS_ADMIN; a power of two)."""
        self._check(self._lib.aios_audit_config(self._handle(), int(ring_size)))

    # ---- events --------------------------------------------------------------
    def events(self, groups: Iterable[str] = ("events",)) -> "Events":
        """Subscribe to "events" (agents, caps) and/or "audit" (admin)."""
        bits = 0
        for g in groups:
            if g not in _GROUPS:
                raise ValueError(f"unknown event group {g!r} (events, audit)")
            bits |= _GROUPS[g]
        ev = _lib.EV()
        self._check(self._lib.aios_events_open(self._handle(), bits, byref(ev)))
        return Events(self._lib, ev.value)


class Events:
    """A subscription to the aios multicast groups.

    Iterating yields events forever; :meth:`next` waits at most a timeout.
    ``fileno()`` makes it usable with select/selectors/asyncio.
    """

    def __init__(self, lib, ev):
        self._lib = lib
        self._ev = ev

    def close(self) -> None:
        ev, self._ev = self._ev, None
        if ev:
            self._lib.aios_events_close(ev)

    def __enter__(self) -> "Events":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def fileno(self) -> int:
        if not self._ev:
            raise AiosError(errno.EBADF, "the event subscription is closed")
        return self._lib.aios_events_fd(self._ev)

    def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after timeout seconds (None: wait)."""
        if not self._ev:
            raise AiosError(errno.EBADF, "the event subscription is closed")
        ms = -1 if timeout is None else max(0, int(timeout * 1000))
        e = _lib.EventC()
        rc = self._lib.aios_events_next(self._ev, byref(e), ms)
        if rc < 0:
            m = self._lib.aios_events_errmsg(self._ev)
            raise error_for(rc, m.decode("utf-8", "replace") if m else None)
        if rc == 0:
            return None
        kind = _EVENT_TYPES.get(e.type, "other")
        agent = Agent._from(e.agent) if kind in ("agent_new", "agent_del", "caps") else None
        return Event(
            type=kind,
            cmd=e.cmd,
            agent=agent,
            reason=(exit_reason_name(e.reason) or str(e.reason)) if e.has_reason else None,
            audit=AuditRecord._from(e.audit) if kind == "audit" else None,
            gpu=Gpu._from(e.gpu) if kind.startswith("gpu_") else None,
        )

    def __iter__(self) -> Iterator[Event]:
        while True:
            ev = self.next()
            if ev is not None:
                yield ev

    def wait_readable(self, timeout: float) -> bool:
        r, _, _ = select.select([self], [], [], timeout)
        return bool(r)


def _name(name: str) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"agent name must be a str, not {type(name).__name__}")
    b = name.encode()
    if b"\0" in b:
        raise AiosError(errno.EINVAL, f"agent name {name!r} contains a NUL byte")
    return b


def _id(agent_id: int, zero: bool = False) -> int:
    if isinstance(agent_id, bool) or not isinstance(agent_id, int):
        raise TypeError(f"agent id must be an int, not {type(agent_id).__name__}")
    if agent_id < 0 or agent_id >= 1 << 64 or (agent_id == 0 and not zero):
        raise NoSuchAgent(errno.ESRCH, f"agent id {agent_id} is not valid "
                          f"(ids start at 1{'; 0 means this agent' if zero else ''})")
    return agent_id
