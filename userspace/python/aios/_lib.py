# SPDX-License-Identifier: LGPL-2.1-or-later
"""ctypes declarations of libaios (userspace/lib/aios.h) and its loader.

The structs here mirror the C structs field by field; the host tests
compare their sizes and offsets with what the C compiler says (see
tests/layout.c), so a change to aios.h that is not repeated here fails
"make check".

New libaios functions are added to PROTOTYPES; a function this copy of
the library does not export is simply absent (``symbol()`` raises a clear
error), so the binding keeps working with an older libaios.
"""
from __future__ import annotations

import ctypes
import errno
import os
import threading
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_int,
    c_int32,
    c_size_t,
    c_uint,
    c_uint8,
    c_uint32,
    c_uint64,
    c_ulong,
    c_void_p,
)
from pathlib import Path

from .errors import LibraryNotFound

SONAME = "libaios.so.1"

AIOS_NAME_MAX = 64
AIOS_REASON_MAX = 128
CPU_SETSIZE = 1024


class CpuSet(Structure):
    """glibc's cpu_set_t (1024 bits)."""

    _fields_ = [("bits", c_ulong * (CPU_SETSIZE // (8 * ctypes.sizeof(c_ulong))))]

    @classmethod
    def of(cls, cpus) -> "CpuSet":
        s = cls()
        width = 8 * ctypes.sizeof(c_ulong)
        for c in cpus:
            c = int(c)
            if not 0 <= c < CPU_SETSIZE:
                raise ValueError(f"CPU {c} outside 0..{CPU_SETSIZE - 1}")
            s.bits[c // width] |= 1 << (c % width)
        return s

    def cpus(self) -> frozenset:
        width = 8 * ctypes.sizeof(c_ulong)
        return frozenset(
            i * width + b
            for i, word in enumerate(self.bits)
            for b in range(width)
            if word >> b & 1
        )


class AgentC(Structure):
    _fields_ = [
        ("id", c_uint64),
        ("parent_id", c_uint64),
        ("caps", c_uint64),
        ("created_ns", c_uint64),
        ("prio", c_uint32),
        ("state", c_uint32),
        ("pid", c_int32),
        ("uid", c_uint32),
        ("name", c_char * AIOS_NAME_MAX),
        ("cpus", CpuSet),
        ("has_cpus", c_bool),
        ("present", c_uint32),
    ]


class SpawnOptsC(Structure):
    _fields_ = [
        ("sz", c_size_t),
        ("name", c_char_p),
        ("prio", c_uint),
        ("pidfd", c_int),
        ("set_caps", c_bool),
        ("caps", c_uint64),
        ("cloexec", c_bool),
    ]


class DenialC(Structure):
    """struct aios_denial of uapi/linux/aios.h."""

    _fields_ = [
        ("size", c_uint32),
        ("flags", c_uint32),
        ("op_id", c_uint64),
        ("audit_seq", c_uint64),
        ("cap_required", c_uint64),
        ("op", c_uint32),
        ("error", c_int32),
        ("time_ns", c_uint64),
        ("reason", c_char * AIOS_REASON_MAX),
        ("reserved", c_uint64 * 2),
    ]


class StatusC(Structure):
    _fields_ = [
        ("api_version", c_uint32),
        ("features", c_uint64),
        ("agents", c_uint32),
        ("next_agent_id", c_uint64),
        ("default_caps", c_uint64),
        ("audit_ring_size", c_uint32),
        ("audit_next_seq", c_uint64),
        ("audit_first_seq", c_uint64),
        ("audit_lost", c_uint64),
        ("present", c_uint32),
    ]


class AuditRecC(Structure):
    _fields_ = [
        ("seq", c_uint64),
        ("op_id", c_uint64),
        ("agent_id", c_uint64),
        ("op", c_uint32),
        ("result", c_int32),
        ("object", c_uint64),
        ("time_ns", c_uint64),
        ("cap", c_uint64),
        ("present", c_uint32),
    ]


AUDIT_F_OP_ID = 1 << 0
AUDIT_F_SEQ_AFTER = 1 << 1
AUDIT_F_AGENT = 1 << 2


class AuditFilterC(Structure):
    _fields_ = [
        ("flags", c_uint),
        ("op_id", c_uint64),
        ("seq_after", c_uint64),
        ("agent_id", c_uint64),
        ("limit", c_size_t),
    ]


# ---- task queues ----------------------------------------------------------
AIOS_QUEUE_NAME_MAX = 32


class QueueCfgC(Structure):
    _fields_ = [
        ("sz", c_size_t),
        ("name", c_char_p),
        ("algo", c_uint),
        ("set", c_uint),
        ("max_concurrent", c_uint32),
        ("slice_ms", c_uint32),
        ("max_payload", c_uint32),
        ("max_depth", c_uint32),
        ("max_retries", c_uint32),
        ("aging_ms", c_uint32),
    ]


# AIOS_QCFG_* bits, by the QueueCfgC field they enable.
QCFG = {
    "max_concurrent": 1 << 0,
    "slice_ms": 1 << 1,
    "max_payload": 1 << 2,
    "max_depth": 1 << 3,
    "max_retries": 1 << 4,
    "aging_ms": 1 << 5,
}


class QueueInfoC(Structure):
    _fields_ = [(f, c_uint32) for f in (
        "id", "algo", "max_concurrent", "slice_ms", "max_payload", "max_depth",
        "max_retries", "aging_ms", "depth", "running")] + [(f, c_uint64) for f in (
        "submitted", "completed", "failed", "cancelled", "requeued", "yielded",
        "per_min", "wait_p50_us", "wait_p99_us", "run_p50_us", "run_p99_us",
        "kmem_bytes")] + [
        ("name", c_char * AIOS_QUEUE_NAME_MAX),
        ("present", c_uint64),
    ]


class TaskInfoC(Structure):
    _fields_ = [(f, c_uint64) for f in (
        "id", "submitter_id", "worker_id", "submit_ns", "context_ref")] + [
        (f, c_uint32) for f in (
        "queue_id", "prio", "state", "fail", "progress", "runs", "retries",
        "payload_len")] + [
        ("error", c_int32),
        ("present", c_uint32),
    ]


class FetchedC(Structure):
    _fields_ = [
        ("task_id", c_uint64),
        ("submitter_id", c_uint64),
        ("context_ref", c_uint64),
        ("slice_ns", c_uint64),
        ("queue_id", c_uint32),
        ("prio", c_uint32),
        ("runs", c_uint32),
        ("len", c_size_t),
    ]


class TaskResultC(Structure):
    _fields_ = [
        ("state", c_uint32),
        ("fail", c_uint32),
        ("error", c_int32),
        ("progress", c_uint32),
        ("runs", c_uint32),
        ("len", c_size_t),
    ]


SUBMIT_NONBLOCK = 1 << 0
FETCH_NONBLOCK = 1 << 0
WAIT_NONBLOCK = 1 << 0
WAIT_PEEK = 1 << 1

# ---- GPU devices and claims -------------------------------------------------
AIOS_GPU_NAME_MAX = 32
AIOS_GPU_PATH_MAX = 108


class GpuC(Structure):
    _fields_ = [
        ("id", c_uint32),
        ("major", c_uint32),
        ("minor", c_uint32),
        ("grace_ms", c_uint32),
        ("state", c_uint32),
        ("waiters", c_uint32),
        ("owner_id", c_uint64),
        ("owner_pid", c_int32),
        ("prio", c_uint32),
        ("handle", c_uint64),
        ("since_ns", c_uint64),
        ("deadline_ns", c_uint64),
        ("util_ppm", c_uint32),
        ("util_window_ms", c_uint32),
        ("claims", c_uint64),
        ("preemptions", c_uint64),
        ("name", c_char * AIOS_GPU_NAME_MAX),
        ("path", c_char * AIOS_GPU_PATH_MAX),
        ("present", c_uint32),
    ]


class GpuClaimOptsC(Structure):
    _fields_ = [
        ("sz", c_size_t),
        ("device_id", c_uint32),
        ("nonblock", c_bool),
        ("set_prio", c_bool),
        ("prio", c_uint),
        ("signal", c_int),
        ("grace_ms", c_uint32),
        ("timeout_ms", c_int),
    ]


class GpuUsageC(Structure):
    _fields_ = [
        ("agent_id", c_uint64),
        ("util_ppm", c_uint32),
        ("util_window_ms", c_uint32),
        ("claims", c_uint64),
    ]


class GpuNodeC(Structure):
    _fields_ = [
        ("kind", c_int),
        ("index", c_uint),
        ("major", c_uint32),
        ("minor", c_uint32),
        ("name", c_char * AIOS_GPU_NAME_MAX),
        ("path", c_char * AIOS_GPU_PATH_MAX),
    ]


# ---- typed IPC ----------------------------------------------------------------
AIOS_INTENT_MAX = 32
AIOS_GROUP_NAME_MAX = 32
SEND_NONBLOCK = 1 << 0
RECV_NONBLOCK = 1 << 0
RECV_PEEK = 1 << 1


class MessageC(Structure):
    _fields_ = [
        ("id", c_uint64),
        ("from_", c_uint64),
        ("correlation_id", c_uint64),
        ("sent_ns", c_uint64),
        ("type", c_uint32),
        ("len", c_uint32),
        ("intent", c_char * AIOS_INTENT_MAX),
    ]


class SendOptsC(Structure):
    _fields_ = [
        ("sz", c_size_t),
        ("flags", c_uint32),
        ("timeout_ms", c_int32),
        ("correlation_id", c_uint64),
    ]


class RecvOptsC(Structure):
    _fields_ = [
        ("sz", c_size_t),
        ("flags", c_uint32),
        ("timeout_ms", c_int32),
        ("from_", c_uint64),
        ("intent", c_char_p),
    ]


class MboxStatsC(Structure):
    _fields_ = [
        ("agent_id", c_uint64),
        ("count", c_uint32),
        ("max_count", c_uint32),
        ("bytes", c_uint64),
        ("max_bytes", c_uint64),
        ("received", c_uint64),
        ("taken", c_uint64),
        ("full", c_uint64),
        ("rejected", c_uint64),
        ("sent", c_uint64),
        ("present", c_uint32),
    ]


class EventC(Structure):
    _fields_ = [
        ("type", c_int),
        ("cmd", c_uint8),
        ("agent", AgentC),
        ("has_reason", c_bool),
        ("reason", c_uint32),
        ("audit", AuditRecC),
        ("gpu", GpuC),
    ]


# Structs whose layout tests/layout.c reports, by C name.
LAYOUTS = {
    "aios_agent": AgentC,
    "aios_spawn_opts": SpawnOptsC,
    "aios_denial": DenialC,
    "aios_status": StatusC,
    "aios_audit_rec": AuditRecC,
    "aios_audit_filter": AuditFilterC,
    "aios_event": EventC,
    "aios_queue_cfg": QueueCfgC,
    "aios_queue_info": QueueInfoC,
    "aios_task_info": TaskInfoC,
    "aios_fetched": FetchedC,
    "aios_task_result": TaskResultC,
    "aios_gpu": GpuC,
    "aios_gpu_claim_opts": GpuClaimOptsC,
    "aios_gpu_usage": GpuUsageC,
    "aios_gpu_node": GpuNodeC,
    "aios_message": MessageC,
    "aios_send_opts": SendOptsC,
    "aios_recv_opts": RecvOptsC,
    "aios_mbox_stats": MboxStatsC,
}

# ctypes field names that differ from C (C's "from" is a Python keyword).
C_FIELD = {"from_": "from"}

H = c_void_p  # struct aios *
EV = c_void_p  # struct aios_events *
u64p = POINTER(c_uint64)

# name: (restype, argtypes)
PROTOTYPES = {
    # handle
    "aios_new": (H, []),
    "aios_open": (c_int, [H]),
    "aios_open_path": (c_int, [H, c_char_p]),
    "aios_adopt_fd": (c_int, [H, c_int]),
    "aios_close": (None, [H]),
    "aios_errmsg": (c_char_p, [H]),
    "aios_fd": (c_int, [H]),
    "aios_api_version": (c_uint32, [H]),
    "aios_features": (c_uint64, [H]),
    "aios_ioctl_size": (c_uint, [H, c_uint]),
    "aios_agent_id": (c_uint64, [H]),
    "aios_set_via": (c_int, [H, c_int]),
    # agents
    "aios_register": (c_int, [H, c_char_p, c_uint, u64p]),
    "aios_agent_info": (c_int, [H, POINTER(AgentC)]),
    "aios_spawn": (c_int, [H, POINTER(SpawnOptsC), POINTER(H)]),
    "aios_kill": (c_int, [H, c_uint64, c_int, c_uint]),
    "aios_migrate": (c_int, [H, c_uint64, POINTER(CpuSet)]),
    # capabilities
    "aios_caps_get": (c_int, [H, c_uint64, u64p]),
    "aios_caps_check": (c_int, [H, c_uint64]),
    "aios_caps_grant": (c_int, [H, c_uint64, c_uint64, u64p]),
    "aios_caps_revoke": (c_int, [H, c_uint64, c_uint64, u64p]),
    "aios_last_denial": (c_int, [H, POINTER(DenialC)]),
    "aios_noop": (c_int, [H]),
    # netlink
    "aios_status": (c_int, [H, POINTER(StatusC)]),
    "aios_agents": (c_int, [H, POINTER(POINTER(AgentC)), POINTER(c_size_t)]),
    "aios_agent_get": (c_int, [H, c_uint64, POINTER(AgentC)]),
    "aios_audit_read": (
        c_int,
        [H, POINTER(AuditFilterC), POINTER(POINTER(AuditRecC)), POINTER(c_size_t)],
    ),
    "aios_audit_config": (c_int, [H, c_uint32]),
    # task queues
    "aios_queue_create": (c_int, [H, POINTER(QueueCfgC), POINTER(c_uint32)]),
    "aios_queue_destroy": (c_int, [H, c_uint32, c_char_p, c_bool]),
    "aios_queue_get": (c_int, [H, c_uint32, c_char_p, POINTER(QueueInfoC)]),
    "aios_queues": (c_int, [H, POINTER(POINTER(QueueInfoC)), POINTER(c_size_t)]),
    "aios_tasks": (c_int, [H, c_uint32, POINTER(POINTER(TaskInfoC)), POINTER(c_size_t)]),
    "aios_queue_attach": (c_int, [H, c_uint32, c_bool]),
    "aios_task_submit": (
        c_int, [H, c_uint32, c_uint, c_void_p, c_size_t, c_uint64, c_uint, u64p]),
    "aios_task_fetch": (
        c_int, [H, c_uint32, c_int, c_uint, c_void_p, c_size_t, POINTER(FetchedC)]),
    "aios_task_progress": (c_int, [H, c_uint64, c_uint, POINTER(c_bool)]),
    "aios_task_complete": (c_int, [H, c_uint64, c_int, c_void_p, c_size_t]),
    "aios_task_yield": (c_int, [H, c_uint64, c_uint64]),
    "aios_task_wait": (
        c_int, [H, c_uint64, c_int, c_uint, c_void_p, c_size_t, POINTER(TaskResultC)]),
    "aios_task_cancel": (c_int, [H, c_uint64]),
    "aios_algo_name": (c_char_p, [c_uint]),
    "aios_algo_parse": (c_int, [c_char_p, POINTER(c_uint)]),
    "aios_task_state_name": (c_char_p, [c_uint]),
    "aios_task_fail_name": (c_char_p, [c_uint]),
    # GPU devices and claims
    "aios_gpu_claim": (
        c_int, [H, POINTER(GpuClaimOptsC), POINTER(c_uint64), POINTER(c_uint32)]),
    "aios_gpu_release": (c_int, [H, c_uint64]),
    "aios_gpu_query": (
        c_int, [H, c_uint64, POINTER(c_uint32), POINTER(c_uint32), POINTER(c_uint64)]),
    "aios_gpu_register": (c_int, [H, c_uint32, c_char_p, c_char_p, c_uint32]),
    "aios_gpu_unregister": (c_int, [H, c_uint32]),
    "aios_gpu_get": (c_int, [H, c_uint32, POINTER(GpuC)]),
    "aios_gpu_list": (c_int, [H, POINTER(POINTER(GpuC)), POINTER(c_size_t)]),
    "aios_gpu_usage": (c_int, [H, c_uint64, POINTER(GpuUsageC)]),
    "aios_gpu_discover": (
        c_int, [c_char_p, POINTER(POINTER(GpuNodeC)), POINTER(c_size_t), c_char_p, c_size_t]),
    "aios_gpu_node_kind_name": (c_char_p, [c_int]),
    "aios_gpu_state_name": (c_char_p, [c_uint]),
    # typed IPC
    "aios_msg_send": (c_int, [H, c_uint64, c_uint32, c_char_p, c_void_p, c_size_t,
                              POINTER(SendOptsC), u64p, POINTER(c_uint32)]),
    "aios_msg_send_group": (c_int, [H, c_char_p, c_uint32, c_char_p, c_void_p, c_size_t,
                                    POINTER(SendOptsC), u64p, POINTER(c_uint32)]),
    "aios_msg_recv": (c_int, [H, POINTER(RecvOptsC), POINTER(MessageC), c_void_p, c_size_t]),
    "aios_msg_group_join": (c_int, [H, c_char_p]),
    "aios_msg_group_leave": (c_int, [H, c_char_p]),
    "aios_msg_policy_set": (c_int, [H, c_uint64, u64p, c_size_t]),
    "aios_msg_policy_clear": (c_int, [H, c_uint64]),
    "aios_mbox_get": (c_int, [H, c_uint64, POINTER(MboxStatsC)]),
    "aios_mboxes": (c_int, [H, POINTER(POINTER(MboxStatsC)), POINTER(c_size_t)]),
    "aios_msg_type_name": (c_char_p, [c_uint32]),
    "aios_msg_type_parse": (c_int, [c_char_p, POINTER(c_uint32)]),
    # events
    "aios_events_open": (c_int, [H, c_uint, POINTER(EV)]),
    "aios_events_fd": (c_int, [EV]),
    "aios_events_next": (c_int, [EV, POINTER(EventC), c_int]),
    "aios_events_errmsg": (c_char_p, [EV]),
    "aios_events_close": (None, [EV]),
    # names
    "aios_cap_name": (c_char_p, [c_uint64]),
    "aios_cap_from_name": (c_int, [c_char_p, u64p]),
    "aios_caps_parse": (c_int, [c_char_p, u64p]),
    "aios_caps_format": (c_int, [c_uint64, c_char_p, c_size_t]),
    "aios_prio_name": (c_char_p, [c_uint]),
    "aios_prio_parse": (c_int, [c_char_p, POINTER(c_uint)]),
    "aios_op_name": (c_char_p, [c_uint]),
    "aios_op_parse": (c_int, [c_char_p, POINTER(c_uint)]),
    "aios_state_name": (c_char_p, [c_uint]),
    "aios_exit_reason_name": (c_char_p, [c_uint]),
    "aios_feature_name": (c_char_p, [c_uint64]),
    "aios_features_format": (c_int, [c_uint64, c_char_p, c_size_t]),
    "aios_errno_name": (c_char_p, [c_int]),
    "aios_cpulist_parse": (c_int, [c_char_p, POINTER(CpuSet)]),
    "aios_cpulist_format": (c_int, [POINTER(CpuSet), c_char_p, c_size_t]),
}


def add_prototypes(protos: dict) -> None:
    """Register prototypes of a binding module (e.g. session.py); applied
    at once when the library is already loaded."""
    with _lock:
        PROTOTYPES.update(protos)
        if _lib is not None:
            for name, (res, args) in protos.items():
                fn = getattr(_lib, name, None)
                if fn is not None:
                    fn.restype = res
                    fn.argtypes = args


def candidates() -> list[str]:
    """Where libaios is looked for, in order.

    1. $AIOS_LIBAIOS (a path), 2. the system's libaios.so.1 (ld.so search
    path), 3. the build tree this package sits in ($AIOS_BUILD, default
    <repo>/build: userspace/python/aios -> <repo>)."""
    out = []
    env = os.environ.get("AIOS_LIBAIOS")
    if env:
        return [env]
    out.append(SONAME)
    top = Path(__file__).resolve().parents[3]
    build = Path(os.environ.get("AIOS_BUILD", top / "build"))
    out.append(str(build / "lib" / SONAME))
    return out


_lock = threading.Lock()
_lib = None


def load() -> ctypes.CDLL:
    """The loaded library with its prototypes set (loaded once)."""
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for path in candidates():
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                tried.append(f"{path}: {e}")
                continue
            for name, (res, args) in PROTOTYPES.items():
                fn = getattr(lib, name, None)
                if fn is None:
                    continue
                fn.restype = res
                fn.argtypes = args
            _lib = lib
            return lib
        raise LibraryNotFound(
            2,
            "cannot load libaios ("
            + "; ".join(tried)
            + "): build it with 'make -C userspace/lib', install it with "
            "'make install', or point AIOS_LIBAIOS at libaios.so.1",
        )


def symbol(name: str):
    """The library function name, or AiosError(ENOSYS) when this libaios
    does not have it."""
    lib = load()
    fn = getattr(lib, name, None)
    if fn is None or name not in PROTOTYPES:
        from .errors import AiosError

        raise AiosError(errno.ENOSYS, f"{name}: not in this libaios ({lib._name}); "
                        "update libaios")
    return fn


def libc_free(ptr) -> None:
    """free() for arrays the library returns."""
    _libc.free(ptr)


_libc = ctypes.CDLL(None)
_libc.free.argtypes = [c_void_p]
_libc.free.restype = None
