"""Storage failures in words a person can act on.

A full disk, a read-only data folder, a locked or damaged database file and an
unreachable shared database reach the user as one sentence saying what
happened and what to do, never as a traceback or a driver's message with SQL in
it. The database itself rolls back the failed transaction, so the sentence can
say that nothing already saved was lost.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator

# SQLite primary result codes (https://sqlite.org/rescode.html)
_SQLITE_READONLY, _SQLITE_BUSY, _SQLITE_LOCKED = 8, 5, 6
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = (
    10,
    11,
    13,
    14,
    26,
)

DISK_FULL = (
    "the disk holding Newsdesk's data is full: the last change was not saved "
    "(everything saved before it is intact). Free some space and try again."
)
READ_ONLY = (
    "Newsdesk's data folder or database file is read-only: nothing can be saved. "
    "Check its permissions or the disk it is on."
)
BUSY = "the database is locked by another program; try again in a moment."
DAMAGED = (
    "the database file is damaged ({detail}). Newsdesk left it as it is; restore "
    "a backup or move the file aside to start afresh."
)
DISK_ERROR = "the database file could not be read or written ({detail}); nothing was saved."
UNREACHABLE = "the shared database cannot be reached: {detail}"

_SQLSTATE_DISK_FULL = "53100"
_SQLSTATE_READ_ONLY = "25006"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the DB-API error SQLAlchemy wraps, and their causes (once each)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [getattr(item, "orig", None), item.__cause__, item.__context__]


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def storage_problem(exc: BaseException) -> str | None:
    """One sentence for a storage failure in ``exc`` (or its causes); ``None`` if none."""
    for item in _chain(exc):
        code = getattr(item, "sqlite_errorcode", None)
        if isinstance(code, int):
            primary = code & 0xFF
            if primary == _SQLITE_FULL:
                return DISK_FULL
            if primary == _SQLITE_READONLY:
                return READ_ONLY
            if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
                return BUSY
            if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
                return DAMAGED.format(detail=_first_line(item))
            if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
                return DISK_ERROR.format(detail=_first_line(item))
        if isinstance(item, OSError) and item.errno is not None:
            if item.errno in (errno.ENOSPC, errno.EDQUOT):
                return DISK_FULL
            if item.errno == errno.EROFS:
                return READ_ONLY
        sqlstate = getattr(item, "sqlstate", None)
        if sqlstate == _SQLSTATE_DISK_FULL:
            return DISK_FULL
        if sqlstate == _SQLSTATE_READ_ONLY:
            return READ_ONLY
        if type(item).__module__.startswith("psycopg") and type(item).__name__ in (
            "OperationalError",
            "ConnectionTimeout",
        ):
            return UNREACHABLE.format(detail=_first_line(item))
    return None


def lasting_problem(exc: BaseException) -> str | None:
    """The sentence for a storage failure every further write would hit too (not a lock)."""
    problem = storage_problem(exc)
    return None if problem == BUSY else problem


def describe(exc: BaseException) -> str:
    """What to tell the user about ``exc``: the storage sentence, or its first line."""
    return storage_problem(exc) or _first_line(exc)
