# SPDX-License-Identifier: LGPL-2.1-or-later
"""Typed agent IPC (Documentation/ipc.md): the methods Aios gets from
:class:`IpcOps`, and :class:`Message`.

    a.send(peer_id, "plan", {"step": 1})          # JSON, checked by the kernel
    m = b.recv(intent="plan", timeout=5)
    print(m.sender, m.value)                      # kernel-stamped sender id

Payload types: text (a str), number (an int or float), json (dict, list,
or any value given with type="json"), binary (bytes).  The kernel checks
that a payload matches its type and stamps the sender, so a receiver
knows who sent what.
"""
from __future__ import annotations

import ctypes
import enum
import errno
import json
from ctypes import byref, c_size_t, c_uint32, c_uint64
from dataclasses import dataclass
from typing import Any, Iterable

from . import _lib
from .errors import AiosError, error_for

__all__ = ["MsgType", "Message", "Mailbox", "IpcOps", "msg_type_parse"]


class MsgType(enum.IntEnum):
    TEXT = 0
    NUMBER = 1
    JSON = 2
    BINARY = 3

    def __str__(self) -> str:
        return self.name.lower()


def msg_type_parse(t: str | int) -> MsgType:
    """"text", "number", "json", "binary" (any case), a number or MsgType."""
    if isinstance(t, int) and not isinstance(t, bool):
        try:
            return MsgType(t)
        except ValueError:
            raise AiosError(errno.EINVAL, f"unknown message type {t}") from None
    v = c_uint32()
    rc = _lib.symbol("aios_msg_type_parse")(str(t).encode(), byref(v))
    if rc < 0:
        raise error_for(rc, f"unknown message type {t!r} (text, number, json, binary)")
    return MsgType(v.value)


@dataclass(frozen=True)
class Message:
    id: int
    sender: int  # agent id, stamped by the kernel
    correlation_id: int
    sent_ns: int  # CLOCK_BOOTTIME
    type: MsgType
    intent: str
    payload: bytes

    @property
    def value(self) -> Any:
        """The payload as Python: str (text), int/float (number), the
        decoded JSON (json), bytes (binary)."""
        if self.type == MsgType.TEXT:
            return self.payload.decode("utf-8")
        if self.type in (MsgType.NUMBER, MsgType.JSON):
            return json.loads(self.payload)
        return self.payload


@dataclass(frozen=True)
class Mailbox:
    agent_id: int
    count: int
    max_count: int
    bytes: int
    max_bytes: int
    received: int
    taken: int
    full: int
    rejected: int
    sent: int


def _encode(value: Any, type_: str | int | None) -> tuple[MsgType, bytes]:
    if type_ is None:
        if isinstance(value, str):
            type_ = MsgType.TEXT
        elif isinstance(value, (bytes, bytearray, memoryview)):
            type_ = MsgType.BINARY
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            type_ = MsgType.NUMBER
        else:
            type_ = MsgType.JSON
    t = msg_type_parse(type_)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return t, bytes(value)  # sent as given: the kernel checks it
    if t == MsgType.TEXT:
        if not isinstance(value, str):
            raise TypeError(f"a text message needs a str, not {type(value).__name__}")
        return t, value.encode("utf-8")
    if t == MsgType.BINARY:
        raise TypeError(f"a binary message needs bytes, not {type(value).__name__}")
    return t, json.dumps(value, separators=(",", ":")).encode()


def _ms(timeout: float | None) -> int:
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds (None: wait forever)")
    return min(int(timeout * 1000), 2**31 - 1)


def _mbox(m: _lib.MboxStatsC) -> Mailbox:
    return Mailbox(m.agent_id, m.count, m.max_count, m.bytes, m.max_bytes, m.received,
                   m.taken, m.full, m.rejected, m.sent)


class IpcOps:
    """IPC methods of :class:`aios.Aios` (needs ``_handle``/``_check``)."""

    def _send_opts(self, nonblock: bool, timeout: float | None, correlation_id: int):
        o = _lib.SendOptsC()
        o.sz = ctypes.sizeof(o)
        o.flags = _lib.SEND_NONBLOCK if nonblock else 0
        o.timeout_ms = _ms(timeout)
        o.correlation_id = int(correlation_id)
        return o

    def send(self, to: int, intent: str, value: Any, *, type: str | int | None = None,
             correlation_id: int = 0, nonblock: bool = False,
             timeout: float | None = None) -> int:
        """Send a typed message to agent ``to``; returns the message id.
        A full mailbox makes it wait (up to timeout) unless nonblock
        (EAGAIN).  A payload that does not match its type: EINVAL with the
        kernel's position of the mismatch in the message."""
        self._need("ipc")
        t, data = _encode(value, type)
        o = self._send_opts(nonblock, timeout, correlation_id)
        mid, off = c_uint64(), c_uint32()
        self._check(_lib.symbol("aios_msg_send")(self._handle(), int(to), int(t),
                                                 intent.encode(), data, len(data), byref(o),
                                                 byref(mid), byref(off)))
        return mid.value

    def send_group(self, group: str, intent: str, value: Any, *,
                   type: str | int | None = None, correlation_id: int = 0,
                   nonblock: bool = False, timeout: float | None = None) -> int:
        """Send to every member of group but us; returns how many got it."""
        self._need("ipc")
        t, data = _encode(value, type)
        o = self._send_opts(nonblock, timeout, correlation_id)
        mid, off = c_uint64(), c_uint32()
        return self._check(_lib.symbol("aios_msg_send_group")(
            self._handle(), group.encode(), int(t), intent.encode(), data, len(data),
            byref(o), byref(mid), byref(off)))

    def recv(self, *, sender: int = 0, intent: str | None = None,
             timeout: float | None = None, nonblock: bool = False, peek: bool = False,
             max_payload: int = 65536) -> Message | None:
        """The oldest matching message of our mailbox (filters: sender,
        intent); None after timeout or, with nonblock, when none is
        waiting.  peek leaves it queued."""
        self._need("ipc")
        o = _lib.RecvOptsC()
        o.sz = ctypes.sizeof(o)
        o.flags = (_lib.RECV_NONBLOCK if nonblock else 0) | (_lib.RECV_PEEK if peek else 0)
        o.timeout_ms = _ms(timeout)
        o.from_ = int(sender)
        o.intent = intent.encode() if intent else None
        fn = _lib.symbol("aios_msg_recv")
        cap = max(1, int(max_payload))
        while True:
            buf = ctypes.create_string_buffer(cap)
            m = _lib.MessageC()
            rc = fn(self._handle(), byref(o), byref(m), buf, cap)
            if rc == -errno.EMSGSIZE and m.len > cap:
                cap = m.len
                continue
            if rc in (-errno.ETIMEDOUT, -errno.EAGAIN):
                return None
            self._check(rc)
            t = MsgType(m.type) if m.type <= MsgType.BINARY else m.type
            return Message(id=m.id, sender=m.from_, correlation_id=m.correlation_id,
                           sent_ns=m.sent_ns, type=t,
                           intent=m.intent.decode("utf-8", "replace"),
                           payload=buf.raw[:m.len])

    def join(self, group: str) -> None:
        """Join a broadcast group (groups exist while they have members)."""
        self._need("ipc")
        self._check(_lib.symbol("aios_msg_group_join")(self._handle(), group.encode()))

    def leave(self, group: str) -> None:
        self._need("ipc")
        self._check(_lib.symbol("aios_msg_group_leave")(self._handle(), group.encode()))

    def msg_policy(self, agent_id: int, allowed: Iterable[int] | None) -> None:
        """Let agent_id (0: us) send only to the allowed ids; None lifts
        the restriction.  An ioctl: call it on an agent handle of an
        administrator (ADMIN, or a process with CAP_SYS_ADMIN)."""
        self._need("ipc")
        if allowed is None:
            self._check(_lib.symbol("aios_msg_policy_clear")(self._handle(), int(agent_id)))
            return
        ids = [int(i) for i in allowed]
        arr = (c_uint64 * max(1, len(ids)))(*ids)
        self._check(_lib.symbol("aios_msg_policy_set")(self._handle(), int(agent_id), arr,
                                                       len(ids)))

    def mailbox(self, agent_id: int) -> Mailbox:
        m = _lib.MboxStatsC()
        self._check(_lib.symbol("aios_mbox_get")(self._handle(), int(agent_id), byref(m)))
        return _mbox(m)

    def mailboxes(self) -> list[Mailbox]:
        arr = ctypes.POINTER(_lib.MboxStatsC)()
        n = c_size_t()
        self._check(_lib.symbol("aios_mboxes")(self._handle(), byref(arr), byref(n)))
        try:
            return [_mbox(arr[i]) for i in range(n.value)]
        finally:
            _lib.libc_free(arr)
