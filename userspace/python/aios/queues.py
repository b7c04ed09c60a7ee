# SPDX-License-Identifier: LGPL-2.1-or-later
"""Task queues (Documentation/queues.md): the methods Aios gets from
:class:`QueueOps`, and their result types.

    with aios.Aios() as a:
        a.register("worker")
        a.queue_attach(qid)
        while (t := a.fetch(timeout=5)) is not None:
            a.complete(t.task_id, do(t.payload))

An admin creates queues (``queue_create``); any agent submits, and worker
agents fetch, report progress, complete, fail or yield.
"""
from __future__ import annotations

import ctypes
import enum
import errno
from ctypes import byref, c_bool, c_size_t, c_uint, c_uint32, c_uint64
from dataclasses import dataclass, fields

from . import _lib
from .errors import AiosError, error_for
from .names import Prio, PrioLike, prio_parse

__all__ = [
    "Algo",
    "TaskState",
    "TaskFail",
    "Queue",
    "Task",
    "Fetched",
    "TaskResult",
    "QueueOps",
    "algo_parse",
]


class Algo(enum.IntEnum):
    """Scheduling algorithms (enum aios_queue_algo)."""

    FIFO = 0
    ROUND_ROBIN = 1
    PRIORITY = 2

    def __str__(self) -> str:
        return self.name.lower()


class TaskState(enum.IntEnum):
    QUEUED = 0
    RUNNING = 1
    DONE = 2
    FAILED = 3
    CANCELLED = 4

    @property
    def final(self) -> bool:
        return self >= TaskState.DONE

    def __str__(self) -> str:
        return self.name.lower()


class TaskFail(enum.IntEnum):
    NONE = 0
    WORKER = 1
    WORKER_DIED = 2
    DEADLINE = 3
    QUEUE_DESTROYED = 4
    SUBMITTER_DIED = 5

    def __str__(self) -> str:
        return self.name.lower()


def _enum(cls, v):
    try:
        return cls(v)
    except ValueError:
        return v


def algo_parse(a: str | int) -> Algo:
    """"fifo", "round_robin" (or "rr"), "priority", a number, or an Algo."""
    if isinstance(a, int) and not isinstance(a, bool):
        try:
            return Algo(a)
        except ValueError:
            raise AiosError(errno.EINVAL, f"unknown queue algorithm {a}") from None
    if not isinstance(a, str):
        raise TypeError(f"algorithm must be a str or int, not {type(a).__name__}")
    v = c_uint()
    rc = _lib.symbol("aios_algo_parse")(a.encode(), byref(v))
    if rc < 0:
        raise error_for(rc, f"unknown queue algorithm {a!r} (fifo, round_robin, priority)")
    return Algo(v.value)


@dataclass(frozen=True)
class Queue:
    id: int
    name: str
    algo: Algo
    max_concurrent: int
    slice_ms: int
    max_payload: int
    max_depth: int
    max_retries: int
    aging_ms: int
    depth: int
    running: int
    submitted: int
    completed: int
    failed: int
    cancelled: int
    requeued: int
    yielded: int
    per_min: int
    wait_p50_us: int
    wait_p99_us: int
    run_p50_us: int
    run_p99_us: int
    kmem_bytes: int

    @classmethod
    def _from(cls, q: _lib.QueueInfoC) -> "Queue":
        kw = {f.name: getattr(q, f.name) for f in fields(cls)}
        kw["name"] = q.name.decode("utf-8", "replace")
        kw["algo"] = _enum(Algo, q.algo)
        return cls(**kw)


@dataclass(frozen=True)
class Task:
    id: int
    queue_id: int
    submitter_id: int
    worker_id: int
    prio: Prio
    state: TaskState
    fail: TaskFail
    error: int
    progress: int
    runs: int
    retries: int
    payload_len: int
    submit_ns: int
    context_ref: int

    @classmethod
    def _from(cls, t: _lib.TaskInfoC) -> "Task":
        kw = {f.name: getattr(t, f.name) for f in fields(cls)}
        kw["prio"] = _enum(Prio, t.prio)
        kw["state"] = _enum(TaskState, t.state)
        kw["fail"] = _enum(TaskFail, t.fail)
        return cls(**kw)


@dataclass(frozen=True)
class Fetched:
    """A task a worker fetched: complete, fail or yield it."""

    task_id: int
    queue_id: int
    submitter_id: int
    prio: Prio
    runs: int
    context_ref: int  # from the last yield; 0: a fresh start
    slice_ns: int  # ROUND_ROBIN slice; 0: none
    payload: bytes


@dataclass(frozen=True)
class TaskResult:
    state: TaskState
    fail: TaskFail
    error: int  # 0 or a negative errno
    progress: int
    runs: int
    result: bytes

    @property
    def final(self) -> bool:
        return int(self.state) >= TaskState.DONE


def _bytes(data: bytes | bytearray | memoryview | str, what: str) -> bytes:
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes or str, not {type(data).__name__}")


def _ms(timeout: float | None) -> int:
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds (None: wait forever)")
    return min(int(timeout * 1000), 2**31 - 1)


def _queue_ref(q: int | str) -> tuple[int, bytes | None]:
    if isinstance(q, bool):
        raise TypeError("queue must be an id or a name")
    if isinstance(q, int):
        if not 0 < q < 2**32:
            raise AiosError(errno.EINVAL, f"queue id {q} out of range (1..2^32-1)")
        return q, None
    if isinstance(q, str):
        return 0, q.encode()
    raise TypeError(f"queue must be an id or a name, not {type(q).__name__}")


class QueueOps:
    """Queue methods of :class:`aios.Aios` (needs ``_handle``/``_check``)."""

    # ---- admin / netlink --------------------------------------------------
    def queue_create(self, name: str, algo: str | int = "fifo", *,
                     max_concurrent: int | None = None, slice_ms: int | None = None,
                     max_payload: int | None = None, max_depth: int | None = None,
                     max_retries: int | None = None, aging_ms: int | None = None) -> int:
        """Create a queue (admin); returns its id.  Unset limits take the
        kernel's defaults."""
        c = _lib.QueueCfgC()
        c.sz = ctypes.sizeof(c)
        c.name = name.encode() if isinstance(name, str) else name
        c.algo = int(algo_parse(algo))
        for key, val in (("max_concurrent", max_concurrent), ("slice_ms", slice_ms),
                         ("max_payload", max_payload), ("max_depth", max_depth),
                         ("max_retries", max_retries), ("aging_ms", aging_ms)):
            if val is not None:
                if not 0 <= int(val) < 2**32:
                    raise AiosError(errno.EINVAL, f"{key} {val} out of range")
                setattr(c, key, int(val))
                c.set |= _lib.QCFG[key]
        out = c_uint32()
        self._check(_lib.symbol("aios_queue_create")(self._handle(), byref(c), byref(out)))
        return out.value

    def queue_destroy(self, queue: int | str, *, force: bool = False) -> None:
        """Destroy a queue (admin); force fails its tasks."""
        qid, name = _queue_ref(queue)
        self._check(_lib.symbol("aios_queue_destroy")(self._handle(), qid, name, force))

    def queue(self, queue: int | str) -> Queue:
        """One queue with its statistics, by id or name."""
        qid, name = _queue_ref(queue)
        q = _lib.QueueInfoC()
        self._check(_lib.symbol("aios_queue_get")(self._handle(), qid, name, byref(q)))
        return Queue._from(q)

    def queues(self) -> list[Queue]:
        arr = ctypes.POINTER(_lib.QueueInfoC)()
        n = c_size_t()
        self._check(_lib.symbol("aios_queues")(self._handle(), byref(arr), byref(n)))
        try:
            return [Queue._from(arr[i]) for i in range(n.value)]
        finally:
            _lib.libc_free(arr)

    def tasks(self, queue_id: int = 0) -> list[Task]:
        """Tasks not yet collected, of one queue (0: all)."""
        arr = ctypes.POINTER(_lib.TaskInfoC)()
        n = c_size_t()
        self._check(_lib.symbol("aios_tasks")(self._handle(), int(queue_id), byref(arr), byref(n)))
        try:
            return [Task._from(arr[i]) for i in range(n.value)]
        finally:
            _lib.libc_free(arr)

    # ---- agents (ioctl) -----------------------------------------------------
    def queue_attach(self, queue_id: int, *, detach: bool = False) -> None:
        """Serve (or stop serving) a queue: poll readiness, fetch(0)."""
        self._need("queues")
        self._check(_lib.symbol("aios_queue_attach")(self._handle(), int(queue_id), detach))

    def submit(self, queue_id: int, payload: bytes | str = b"", *,
               prio: PrioLike = "normal", deadline_ns: int = 0,
               nonblock: bool = False) -> int:
        """Submit a task; returns its id.  deadline_ns: CLOCK_MONOTONIC
        (time.monotonic_ns() + ...), 0 for none."""
        self._need("queues")
        data = _bytes(payload, "payload")
        out = c_uint64()
        self._check(_lib.symbol("aios_task_submit")(
            self._handle(), int(queue_id), int(prio_parse(prio)), data, len(data),
            int(deadline_ns), _lib.SUBMIT_NONBLOCK if nonblock else 0, byref(out)))
        return out.value

    def fetch(self, queue_id: int = 0, *, timeout: float | None = None,
              nonblock: bool = False, max_payload: int = 65536) -> Fetched | None:
        """The next task of a queue (0: any attached one); None when the
        timeout passed or, with nonblock, nothing is queued.  A payload
        larger than max_payload is fetched again with a bigger buffer."""
        self._need("queues")
        fn = _lib.symbol("aios_task_fetch")
        cap = max(1, int(max_payload))
        while True:
            buf = ctypes.create_string_buffer(cap)
            out = _lib.FetchedC()
            rc = fn(self._handle(), int(queue_id), _ms(timeout),
                    _lib.FETCH_NONBLOCK if nonblock else 0, buf, cap, byref(out))
            if rc == -errno.EMSGSIZE and out.len > cap:
                cap = out.len
                continue
            if rc in (-errno.ETIMEDOUT, -errno.EAGAIN):
                return None
            self._check(rc)
            return Fetched(task_id=out.task_id, queue_id=out.queue_id,
                           submitter_id=out.submitter_id, prio=_enum(Prio, out.prio),
                           runs=out.runs, context_ref=out.context_ref,
                           slice_ns=out.slice_ns, payload=buf.raw[:out.len])

    def progress(self, task_id: int, percent: int) -> bool:
        """Report progress (0..100); True when the worker should yield
        (its ROUND_ROBIN slice is used up)."""
        self._need("queues")
        y = c_bool()
        self._check(_lib.symbol("aios_task_progress")(self._handle(), int(task_id),
                                                      int(percent), byref(y)))
        return bool(y.value)

    def complete(self, task_id: int, result: bytes | str = b"") -> None:
        """Finish a fetched task with a result."""
        self._need("queues")
        data = _bytes(result, "result")
        self._check(_lib.symbol("aios_task_complete")(self._handle(), int(task_id), 0,
                                                      data, len(data)))

    def fail(self, task_id: int, err: int = errno.EIO, detail: bytes | str = b"") -> None:
        """Fail a fetched task with an errno (positive or negative)."""
        self._need("queues")
        if not err:
            raise ValueError("fail() needs a non-zero errno; use complete() for success")
        data = _bytes(detail, "detail")
        self._check(_lib.symbol("aios_task_complete")(self._handle(), int(task_id),
                                                      -abs(int(err)), data, len(data)))

    def yield_task(self, task_id: int, context_ref: int = 0) -> None:
        """Give the task back to the end of its queue; the next fetch of it
        returns context_ref (e.g. the key of a saved context)."""
        self._need("queues")
        self._check(_lib.symbol("aios_task_yield")(self._handle(), int(task_id),
                                                   int(context_ref)))

    def wait(self, task_id: int, *, timeout: float | None = None, peek: bool = False,
             nonblock: bool = False, max_result: int = 65536) -> TaskResult:
        """Wait for a task this agent submitted.  A final result is
        collected (the task id is released) unless peek; on timeout or with
        nonblock the current, not final, state is returned."""
        self._need("queues")
        fn = _lib.symbol("aios_task_wait")
        flags = (_lib.WAIT_PEEK if peek else 0) | (_lib.WAIT_NONBLOCK if nonblock else 0)
        cap = max(1, int(max_result))
        while True:
            buf = ctypes.create_string_buffer(cap)
            out = _lib.TaskResultC()
            rc = fn(self._handle(), int(task_id), _ms(timeout), flags, buf, cap, byref(out))
            if rc == -errno.EMSGSIZE and out.len > cap:
                cap = out.len
                continue
            if rc != -errno.ETIMEDOUT:
                self._check(rc)
            return TaskResult(state=_enum(TaskState, out.state), fail=_enum(TaskFail, out.fail),
                              error=out.error, progress=out.progress, runs=out.runs,
                              result=buf.raw[:min(out.len, cap)] if rc >= 0 else b"")

    def cancel(self, task_id: int) -> None:
        self._need("queues")
        self._check(_lib.symbol("aios_task_cancel")(self._handle(), int(task_id)))
