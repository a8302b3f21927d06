"""Storage failures become sentences: real SQLite errors from real files, OS errors,
and PostgreSQL's disk-full state, bare or wrapped by SQLAlchemy."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from desktop.store.errors import (
    BUSY,
    DISK_FULL,
    READ_ONLY,
    describe,
    lasting_problem,
    storage_problem,
)


def _full_error(path: Path) -> sqlite3.Error:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.commit()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.Error) as info:
        conn.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    conn.close()
    return info.value


def test_sqlite_full_is_a_full_disk(tmp_path: Path) -> None:
    exc = _full_error(tmp_path / "a.sqlite3")
    assert storage_problem(exc) == DISK_FULL
    assert lasting_problem(exc) == DISK_FULL


def test_sqlalchemy_wrapped_errors_are_seen_through(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    _full_error(path)
    engine = create_engine(f"sqlite:///{path}")

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def cap(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    with pytest.raises(OperationalError) as info, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "y" * 100_000})
    engine.dispose()
    assert describe(info.value) == DISK_FULL
    assert "INSERT" not in describe(info.value)


def test_read_only_file_and_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as info:
        ro.execute("INSERT INTO t VALUES (1)")
    assert storage_problem(info.value) == READ_ONLY
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database file at all" * 200)
    with pytest.raises(sqlite3.Error) as info:
        sqlite3.connect(bad).execute("SELECT * FROM sqlite_master").fetchall()
    assert "damaged" in (storage_problem(info.value) or "")


def test_os_errors() -> None:
    assert storage_problem(OSError(errno.ENOSPC, "No space left on device")) == DISK_FULL
    assert storage_problem(OSError(errno.EROFS, "Read-only file system")) == READ_ONLY
    assert storage_problem(OSError(errno.ENOENT, "No such file")) is None
    # a cause further down the chain counts too
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("saving failed") from inner
    except RuntimeError as outer:
        assert storage_problem(outer) == DISK_FULL


def test_a_lock_is_not_lasting(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    one = sqlite3.connect(path, isolation_level=None)
    one.execute("CREATE TABLE t (x)")
    one.execute("BEGIN IMMEDIATE")
    two = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.Error) as info:
        two.execute("INSERT INTO t VALUES (1)")
    one.execute("ROLLBACK")
    assert storage_problem(info.value) == BUSY
    assert lasting_problem(info.value) is None


def test_postgres_disk_full_state() -> None:
    errors = pytest.importorskip("psycopg.errors")
    assert storage_problem(errors.DiskFull("could not extend file")) == DISK_FULL


def test_other_errors_keep_their_first_line() -> None:
    assert storage_problem(ValueError("bad regex")) is None
    assert describe(ValueError("bad regex\n[SQL: SELECT 1]")) == "bad regex"
