# SPDX-License-Identifier: LGPL-2.1-or-later
"""GPU devices and claims (Documentation/gpu.md): the methods Aios gets
from :class:`GpuOps`, and :class:`GpuClaim`.

    def checkpoint(claim):                 # called when preempted
        save_state(); claim.release()

    with a.claim_gpu(on_preempt=checkpoint, grace_ms=2000) as claim:
        run_on(claim.device)               # released on exit

A claim needs ACCESS_GPU.  When a higher class wants the device, the
holder is sent the claim's signal and has grace_ms to release before the
claim is revoked.
"""
from __future__ import annotations

import ctypes
import enum
import errno
import signal as _signal
from ctypes import byref, c_size_t, c_uint32, c_uint64
from dataclasses import dataclass, fields
from typing import Callable

from . import _lib
from .errors import error_for
from .names import PrioLike, prio_parse

__all__ = ["GPU_ANY", "GpuState", "Gpu", "GpuUsage", "GpuNode", "GpuClaim", "GpuOps",
           "gpu_discover"]

GPU_ANY = 0


class GpuState(enum.IntEnum):
    FREE = 0
    HELD = 1
    PREEMPTING = 2
    REVOKED = 3
    RELEASED = 4
    WAITING = 5

    def __str__(self) -> str:
        return self.name.lower()


def _enum(cls, v):
    try:
        return cls(v)
    except ValueError:
        return v


@dataclass(frozen=True)
class Gpu:
    id: int
    name: str
    path: str
    major: int
    minor: int
    grace_ms: int
    state: GpuState
    waiters: int
    owner_id: int
    owner_pid: int
    prio: int
    handle: int
    since_ns: int
    deadline_ns: int
    util_ppm: int
    util_window_ms: int
    claims: int
    preemptions: int

    @classmethod
    def _from(cls, g: _lib.GpuC) -> "Gpu":
        kw = {f.name: getattr(g, f.name) for f in fields(cls)}
        kw["name"] = g.name.decode("utf-8", "replace")
        kw["path"] = g.path.decode("utf-8", "replace")
        kw["state"] = _enum(GpuState, g.state)
        return cls(**kw)


@dataclass(frozen=True)
class GpuUsage:
    agent_id: int
    util_ppm: int
    util_window_ms: int
    claims: int


@dataclass(frozen=True)
class GpuNode:
    kind: str  # "nvidia", "drm-render"
    index: int
    major: int
    minor: int
    name: str
    path: str


def gpu_discover(dev_root: str | None = None) -> list[GpuNode]:
    """GPU device nodes under dev_root (default /dev): nvidiaN and
    dri/renderDN character devices."""
    arr = ctypes.POINTER(_lib.GpuNodeC)()
    n = c_size_t()
    err = ctypes.create_string_buffer(512)
    rc = _lib.symbol("aios_gpu_discover")(dev_root.encode() if dev_root else None,
                                          byref(arr), byref(n), err, len(err))
    if rc < 0:
        raise error_for(rc, err.value.decode("utf-8", "replace") or None)
    kind = _lib.symbol("aios_gpu_node_kind_name")
    try:
        return [GpuNode(kind=(kind(arr[i].kind) or b"?").decode(), index=arr[i].index,
                        major=arr[i].major, minor=arr[i].minor,
                        name=arr[i].name.decode("utf-8", "replace"),
                        path=arr[i].path.decode("utf-8", "replace"))
                for i in range(n.value)]
    finally:
        _lib.libc_free(arr)


class GpuClaim:
    """A claim handle; a context manager that releases it on exit.

    ``pending`` is True while a non-blocking claim waits for a preempted
    holder: poll :meth:`state` until ``GpuState.HELD``."""

    def __init__(self, owner, handle: int, device: int, pending: bool,
                 sig: int, on_preempt: Callable | None):
        self._owner = owner
        self.handle = handle
        self.device = device
        self.pending = pending
        self._sig = sig
        self._old = None
        self.released = False
        if on_preempt is not None:
            self._old = _signal.signal(sig, lambda *_: on_preempt(self))

    def state(self) -> tuple[GpuState, int, int]:
        """(state, device id, revoke deadline in CLOCK_MONOTONIC ns)."""
        st, dev, dl = c_uint32(), c_uint32(), c_uint64()
        self._owner._check(_lib.symbol("aios_gpu_query")(
            self._owner._handle(), self.handle, byref(st), byref(dev), byref(dl)))
        self.device = dev.value
        return _enum(GpuState, st.value), dev.value, dl.value

    def release(self) -> None:
        """Give the device back (also acknowledges a revoke).  Idempotent."""
        if self.released:
            return
        self.released = True
        try:
            self._owner._check(_lib.symbol("aios_gpu_release")(self._owner._handle(),
                                                               self.handle))
        finally:
            if self._old is not None:
                _signal.signal(self._sig, self._old)
                self._old = None

    def __enter__(self) -> "GpuClaim":
        return self

    def __exit__(self, *exc) -> None:
        if not self._owner.closed:
            self.release()

    def __repr__(self) -> str:
        return f"<GpuClaim handle={self.handle} device={self.device}{' pending' if self.pending else ''}>"


class GpuOps:
    """GPU methods of :class:`aios.Aios` (needs ``_handle``/``_check``)."""

    def claim_gpu(self, device: int = GPU_ANY, *, prio: PrioLike | None = None,
                  grace_ms: int = 0, timeout: float | None = None, nonblock: bool = False,
                  on_preempt: Callable[[GpuClaim], None] | None = None,
                  signal: int = 0) -> GpuClaim:
        """Claim a device (0: any).  prio: a class not above the agent's
        (default: the agent's).  on_preempt(claim) runs (in the main
        thread) when the claim is being preempted; it is delivered with
        ``signal`` (default SIGUSR2 when on_preempt is given)."""
        self._need("gpu")
        if on_preempt is not None and not signal:
            signal = _signal.SIGUSR2
        o = _lib.GpuClaimOptsC()
        o.sz = ctypes.sizeof(o)
        o.device_id = int(device)
        o.nonblock = bool(nonblock)
        if prio is not None:
            o.set_prio = True
            o.prio = int(prio_parse(prio))
        o.signal = int(signal)
        o.grace_ms = int(grace_ms)
        o.timeout_ms = -1 if timeout is None else int(timeout * 1000)
        handle, dev = c_uint64(), c_uint32()
        rc = _lib.symbol("aios_gpu_claim")(self._handle(), byref(o), byref(handle), byref(dev))
        pending = rc == -errno.EINPROGRESS
        if not pending:
            self._check(rc)
        return GpuClaim(self, handle.value, dev.value, pending, int(signal), on_preempt)

    def gpu_register(self, gpu_id: int, name: str, path: str, grace_ms: int = 0) -> None:
        """Register a device node (admin)."""
        self._check(_lib.symbol("aios_gpu_register")(self._handle(), int(gpu_id),
                                                     name.encode(), path.encode(),
                                                     int(grace_ms)))

    def gpu_unregister(self, gpu_id: int) -> None:
        self._check(_lib.symbol("aios_gpu_unregister")(self._handle(), int(gpu_id)))

    def gpu(self, gpu_id: int) -> Gpu:
        g = _lib.GpuC()
        self._check(_lib.symbol("aios_gpu_get")(self._handle(), int(gpu_id), byref(g)))
        return Gpu._from(g)

    def gpus(self) -> list[Gpu]:
        arr = ctypes.POINTER(_lib.GpuC)()
        n = c_size_t()
        self._check(_lib.symbol("aios_gpu_list")(self._handle(), byref(arr), byref(n)))
        try:
            return [Gpu._from(arr[i]) for i in range(n.value)]
        finally:
            _lib.libc_free(arr)

    def gpu_usage(self, agent_id: int) -> GpuUsage:
        u = _lib.GpuUsageC()
        self._check(_lib.symbol("aios_gpu_usage")(self._handle(), int(agent_id), byref(u)))
        return GpuUsage(u.agent_id, u.util_ppm, u.util_window_ms, u.claims)

