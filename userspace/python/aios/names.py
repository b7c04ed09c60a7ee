# SPDX-License-Identifier: LGPL-2.1-or-later
"""Names and values: capabilities, priorities, operations, CPU lists.

These call libaios, so a name means exactly what it means to aiosctl and
the C library; none of them needs the kernel module.
"""
from __future__ import annotations

import ctypes
import errno
import enum
from collections.abc import Iterable
from typing import Union
from ctypes import c_uint, c_uint64

from . import _lib
from .errors import AiosError, error_for

__all__ = [
    "Cap",
    "Prio",
    "CapsLike",
    "PrioLike",
    "caps_parse",
    "caps_value",
    "caps_format",
    "cap_name",
    "prio_parse",
    "prio_name",
    "op_name",
    "op_parse",
    "state_name",
    "exit_reason_name",
    "feature_name",
    "features_format",
    "errno_name",
    "cpulist_parse",
    "cpulist_format",
]


class Cap(enum.IntFlag):
    """Capability bits (AIOS_CAP_* of uapi/linux/aios.h)."""

    SPAWN_AGENT = 1 << 0
    KILL_AGENT = 1 << 1
    ALLOC_MEMORY = 1 << 2
    ACCESS_FS = 1 << 3
    ACCESS_NET = 1 << 4
    ACCESS_GPU = 1 << 5
    ACCESS_IO = 1 << 6
    ADMIN = 1 << 7

    @classmethod
    def all(cls) -> "Cap":
        return cls((1 << 8) - 1)

    @classmethod
    def default(cls) -> "Cap":
        return cls.SPAWN_AGENT | cls.ALLOC_MEMORY

    def __str__(self) -> str:
        return caps_format(int(self))


class Prio(enum.IntEnum):
    """Priority classes (enum aios_prio)."""

    CRITICAL = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3

    def __str__(self) -> str:
        return self.name.lower()


#: What the API accepts for capabilities and priorities.
CapsLike = Union[int, str, Iterable[Union[str, int]]]
PrioLike = Union[int, str]


def _s(x: bytes | None) -> str | None:
    return None if x is None else x.decode("utf-8", "replace")


def _enc(s: str, what: str) -> bytes:
    if not isinstance(s, str):
        raise TypeError(f"{what} must be a str, not {type(s).__name__}")
    if "\0" in s:
        raise AiosError(errno.EINVAL, f"{what} {s!r} contains a NUL byte")
    return s.encode()


def caps_parse(s: str) -> Cap:
    """"ACCESS_NET,ACCESS_FS" (also | or + separators, "all", "none",
    "default", or a number such as "0x18") -> Cap.  AiosError(EINVAL) for
    unknown names or bits."""
    v = c_uint64()
    rc = _lib.symbol("aios_caps_parse")(_enc(s, "capability list"), ctypes.byref(v))
    if rc < 0:
        raise error_for(rc, f"unknown capability in {s!r} (names: "
                        + ", ".join(c.name for c in Cap) + ", all, none, default)")
    return Cap(v.value)


def caps_value(caps: CapsLike) -> Cap:
    """Accept an int, a Cap, a string for caps_parse() or an iterable of
    names/ints; return the Cap.  Bits outside AIOS_CAP_ALL: EINVAL."""
    if isinstance(caps, bool):
        raise TypeError("capabilities must be an int, str or names, not bool")
    if isinstance(caps, int):
        if caps < 0 or caps & ~int(Cap.all()):
            raise AiosError(errno.EINVAL, f"capability bits {caps:#x} outside {int(Cap.all()):#x}")
        return Cap(caps)
    if isinstance(caps, str):
        return caps_parse(caps)
    if isinstance(caps, Iterable):
        v = Cap(0)
        for c in caps:
            v |= caps_value(c)
        return v
    raise TypeError(f"capabilities must be an int, str or names, not {type(caps).__name__}")


def caps_format(caps: int) -> str:
    """"SPAWN_AGENT,ALLOC_MEMORY" ("none" for 0)."""
    buf = ctypes.create_string_buffer(512)
    rc = _lib.symbol("aios_caps_format")(int(caps), buf, len(buf))
    if rc < 0:
        raise error_for(rc, "caps_format")
    return buf.value.decode()


def cap_name(bit: int) -> str | None:
    return _s(_lib.symbol("aios_cap_name")(int(bit)))


def prio_parse(p: PrioLike) -> Prio:
    """"critical" / "high" / "normal" / "low" (any case), a number or a Prio."""
    if isinstance(p, bool):
        raise TypeError("priority must be a str or int, not bool")
    if isinstance(p, int):
        if not 0 <= p <= Prio.LOW:
            raise AiosError(errno.EINVAL, f"priority {p} out of range (0..{int(Prio.LOW)})")
        return Prio(p)
    v = c_uint()
    rc = _lib.symbol("aios_prio_parse")(_enc(p, "priority"), ctypes.byref(v))
    if rc < 0:
        raise error_for(rc, f"unknown priority {p!r} (critical, high, normal, low)")
    return Prio(v.value)


def prio_name(p: int) -> str | None:
    return _s(_lib.symbol("aios_prio_name")(int(p)))


def op_name(op: int) -> str | None:
    """"register", "kill", "cap_check", ... for an audit operation."""
    return _s(_lib.symbol("aios_op_name")(int(op)))


def op_parse(s: str) -> int:
    v = c_uint()
    rc = _lib.symbol("aios_op_parse")(_enc(s, "operation"), ctypes.byref(v))
    if rc < 0:
        raise error_for(rc, f"unknown audit operation {s!r}")
    return v.value


def state_name(state: int) -> str | None:
    return _s(_lib.symbol("aios_state_name")(int(state)))


def exit_reason_name(reason: int) -> str | None:
    return _s(_lib.symbol("aios_exit_reason_name")(int(reason)))


def feature_name(bit: int) -> str | None:
    return _s(_lib.symbol("aios_feature_name")(int(bit)))


def features_format(features: int) -> str:
    buf = ctypes.create_string_buffer(512)
    rc = _lib.symbol("aios_features_format")(int(features), buf, len(buf))
    if rc < 0:
        raise error_for(rc, "features_format")
    return buf.value.decode()


def errno_name(err: int) -> str | None:
    """"EPERM" for 1 or -1."""
    return _s(_lib.symbol("aios_errno_name")(int(err)))


def cpulist_parse(s: str) -> frozenset:
    """"0-3,6" or "0-7:2" -> frozenset of CPU numbers.  EINVAL on syntax
    errors or an empty list, ERANGE for a CPU >= 1024."""
    cs = _lib.CpuSet()
    rc = _lib.symbol("aios_cpulist_parse")(_enc(s, "CPU list"), ctypes.byref(cs))
    if rc < 0:
        raise error_for(rc, f"bad CPU list {s!r} (expected e.g. 0-3,6 or 0-7:2)")
    return cs.cpus()


def cpulist_format(cpus: Iterable[int]) -> str:
    """frozenset({0, 1, 2, 3, 6}) -> "0-3,6"."""
    cs = _lib.CpuSet.of(cpus)
    buf = ctypes.create_string_buffer(4096)
    rc = _lib.symbol("aios_cpulist_format")(ctypes.byref(cs), buf, len(buf))
    if rc < 0:
        raise error_for(rc, "cpulist_format")
    return buf.value.decode()
