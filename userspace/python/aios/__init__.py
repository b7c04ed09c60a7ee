# SPDX-License-Identifier: LGPL-2.1-or-later
"""aios: Python binding of libaios for agents and admin scripts.

ctypes over libaios.so.1 (userspace/lib); no dependency beyond Python's
standard library.  See userspace/python/README.md and aios(4).

Layout, so that later subsystems slot in:
  errors.py  AiosError(OSError) and its subclasses, errno mapping
  _lib.py    library loading, struct mirrors, the prototype table
  names.py   capability/priority/operation names, CPU lists
  core.py    the Aios handle: agents, capabilities, status, audit, events
  queues.py  task queues (mixed into Aios)
  gpu.py     GPU devices and claims (mixed into Aios)
  ipc.py     typed messages, groups, mailboxes (mixed into Aios)
  session.py Session: aiosd's memory store, contexts, runs, tools
A later subsystem goes into its own module the same way.
"""
from .session import LedgerDamaged, Session, StaleSeq
from .core import FEATURES, Agent, Aios, AuditRecord, Denial, Event, Events, Status
from .ipc import Mailbox, Message, MsgType, msg_type_parse
from .gpu import GPU_ANY, Gpu, GpuClaim, GpuNode, GpuState, GpuUsage, gpu_discover
from .queues import Algo, Fetched, Queue, Task, TaskFail, TaskResult, TaskState, algo_parse
from .errors import (
    AiosError,
    DaemonUnavailable,
    LibraryNotFound,
    ModuleNotLoaded,
    NoSuchAgent,
    PermissionDenied,
    error_for,
)
from .names import (
    Cap,
    Prio,
    cap_name,
    caps_format,
    caps_parse,
    caps_value,
    cpulist_format,
    cpulist_parse,
    errno_name,
    exit_reason_name,
    feature_name,
    features_format,
    op_name,
    op_parse,
    prio_name,
    prio_parse,
    state_name,
)

__version__ = "0.1.0"

__all__ = [
    "Session", "StaleSeq", "LedgerDamaged",
    "Mailbox", "Message", "MsgType", "msg_type_parse",
    "GPU_ANY", "Gpu", "GpuClaim", "GpuNode", "GpuState", "GpuUsage", "gpu_discover",
    "Algo", "Fetched", "Queue", "Task", "TaskFail", "TaskResult", "TaskState", "algo_parse",
    "Aios", "Agent", "AuditRecord", "Denial", "Event", "Events", "Status", "FEATURES",
    "AiosError", "DaemonUnavailable", "LibraryNotFound", "ModuleNotLoaded", "NoSuchAgent", "PermissionDenied",
    "error_for", "Cap", "Prio", "cap_name", "caps_format", "caps_parse", "caps_value",
    "cpulist_format", "cpulist_parse", "errno_name", "exit_reason_name", "feature_name",
    "features_format", "op_name", "op_parse", "prio_name", "prio_parse", "state_name",
]  # aios.open() is deliberately not exported: "from aios import *" must not shadow open()


def open(path: str | None = None) -> Aios:  # noqa: A001 - mirrors aios_open()
    """Open /dev/aios (or path) and perform the handshake."""
    return Aios(path=path)
