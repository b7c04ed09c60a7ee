# SPDX-License-Identifier: LGPL-2.1-or-later
"""Exceptions of the aios binding.

Every libaios failure becomes an :class:`AiosError`, an :class:`OSError`
whose ``errno`` is the library's (positive) errno and whose ``strerror`` is
the library's message, which says what to do ("... is the aios module
loaded? (modprobe aios)", "KILL_AGENT required").  A few errnos get a
subclass that also derives from the matching built-in exception, so
``except PermissionError`` works as expected.
"""
from __future__ import annotations

import errno as _errno
import os

__all__ = [
    "AiosError",
    "PermissionDenied",
    "NoSuchAgent",
    "ModuleNotLoaded",
    "LibraryNotFound",
    "DaemonUnavailable",
    "error_for",
]


class AiosError(OSError):
    """A failed aios operation: ``errno`` plus the library's message."""

    def __init__(self, err: int, message: str | None = None):
        err = abs(int(err))
        super().__init__(err, message or os.strerror(err))

    @property
    def errno_name(self) -> str:
        """Symbolic errno, e.g. ``"EPERM"`` (``"E?"`` when unknown)."""
        return _errno.errorcode.get(self.errno, "E?")

    @property
    def message(self) -> str:
        return self.strerror


class PermissionDenied(AiosError, PermissionError):
    """EPERM/EACCES: a capability or privilege is missing.

    For an agent, :meth:`aios.Aios.last_denial` tells which one."""


class NoSuchAgent(AiosError, ProcessLookupError):
    """ESRCH: the agent id is unknown (or the agent already went away)."""


class ModuleNotLoaded(AiosError, FileNotFoundError):
    """/dev/aios or the "aios" netlink family does not exist."""


class DaemonUnavailable(AiosError, ConnectionError):
    """aiosd could not be reached (no socket, refused, went away)."""


class LibraryNotFound(AiosError):
    """libaios.so.1 could not be loaded (message lists what was tried)."""


# Messages of libaios that mean "the module is not loaded".
_MODULE_HINT = "aios module"


def error_for(err: int, message: str | None = None) -> AiosError:
    """The exception for a negative (or positive) errno and a message."""
    err = abs(int(err))
    msg = message or os.strerror(err)
    if err in (_errno.EPERM, _errno.EACCES):
        return PermissionDenied(err, msg)
    if err == _errno.ESRCH:
        return NoSuchAgent(err, msg)
    if err in (_errno.ENODEV, _errno.ENXIO) or (
        err == _errno.ENOENT and _MODULE_HINT in msg
    ):
        return ModuleNotLoaded(err, msg)
    return AiosError(err, msg)
