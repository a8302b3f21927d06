"""Opening the database: file location, pragmas, migration, engines.

The schema is created and migrated with plain ``sqlite3`` (DDL in one
transaction, backup first); afterwards SQLAlchemy engines are handed out for
the writer and for readers. Every connection gets the same pragmas.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.store import migrations
from desktop.words import strip_points

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DB_FILENAME = "newsdesk.sqlite3"
BUSY_TIMEOUT_MS = 10_000


class DatabaseError(RuntimeError):
    """The database cannot be opened; the message is meant for the user."""


class NewerSchemaError(DatabaseError):
    """The file was written by a newer Newsdesk; it is left untouched."""


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What opening did to the file (``path`` is None for a PostgreSQL URL)."""

    path: Path | None
    from_version: int
    to_version: int
    backup: Path | None


def _strip_points_sql(value: object) -> object:
    """The ``strip_points`` SQL function: text without Arabic or Hebrew points (see
    ``desktop.words.strip_points``); NULL and other values as they are."""
    return strip_points(value) if isinstance(value, str) else value


def add_functions(conn: sqlite3.Connection) -> None:
    """Register Newsdesk's SQL functions on ``conn``: the search index triggers and
    ``ingest.index_deferred`` (schema v8) index ``strip_points(title)`` and
    ``strip_points(text)``, so a connection without it cannot insert, delete or
    retitle articles ("no such function"); reading needs nothing."""
    conn.create_function("strip_points", 1, _strip_points_sql, deterministic=True)


def _pragmas(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -32000")


READ_CACHE_KIB = 8000
"""Page cache of each read connection (the writer keeps 32 MB for bulk ingest). The
window keeps a few read connections: reads page through the same few indexes and the
operating system caches the file anyway, so a large cache per reader only holds
memory (at 1M articles the list's RSS stayed ~30 MB higher)."""

FTS_HASHSIZE = 8 * 1024 * 1024
"""Bytes of new full-text index data FTS5 buffers in memory before writing a segment
(its default is 1 MiB). A refresh indexes a few thousand articles per transaction:
fewer, larger new segments mean less merging later (about a quarter less indexing
CPU on 50,000 articles, ``tests/benchmarks/bench_refresh.py``). FTS5 keeps the value
in the ``articles_fts_config`` table; :func:`prepare` sets it on every database."""


def _fts_settings(conn: sqlite3.Connection) -> None:
    """Persist :data:`FTS_HASHSIZE` in the FTS table's configuration (best effort)."""
    try:
        row = conn.execute("SELECT v FROM articles_fts_config WHERE k = 'hashsize'").fetchone()
        if row is None or row[0] != FTS_HASHSIZE:
            conn.execute(
                "INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', ?)",
                (FTS_HASHSIZE,),
            )
    except sqlite3.Error:
        pass  # no FTS table, or another writer holds the file: it only costs speed


def connect_raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection in autocommit mode with Newsdesk's pragmas and
    SQL functions (:func:`add_functions`)."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    _pragmas(conn)
    add_functions(conn)
    return conn


def schema_version(path: Path) -> int:
    """The schema version recorded in ``path`` (0 for a new or empty file)."""
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    backups = path.parent / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = backups / f"{path.stem}-v{version}-{stamp}.sqlite3"
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def prepare(
    path: Path, target: int = migrations.LATEST, *, user: str | None = None
) -> MigrationReport:
    """Create or migrate the database at ``path`` up to ``target``.

    A database from a newer release raises :class:`NewerSchemaError` and is not
    modified. An existing database is backed up before any migration. ``user``
    (default: ``people.default_user()``) owns the existing triage state when
    the migration introduces people (v5).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = connect_raw(path)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}") from exc
    try:
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{path} is not a Newsdesk database ({exc})") from exc
        if version > target:
            raise NewerSchemaError(
                f"{path} was written by a newer version of Newsdesk (schema {version}; "
                f"this version understands up to {target}). It was not modified: "
                "install the newer Newsdesk, or point --data-dir elsewhere."
            )
        if version == target:
            conn.execute("PRAGMA journal_mode = WAL")
            _fts_settings(conn)
            return MigrationReport(path, version, version, None)
        backup = None
        if version > 0:
            backup = _backup(conn, path, version)
        elif conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise DatabaseError(f"{path} holds tables but no Newsdesk schema version")
        conn.execute("PRAGMA journal_mode = WAL")
        if user is None:
            from desktop.store.people import default_user

            user = default_user()
        migrations.apply(conn, version, target, user=user)
        _fts_settings(conn)
        return MigrationReport(path, version, target, backup)
    finally:
        conn.close()


def make_engine(path: Path, *, readonly: bool = False) -> Engine:
    """A SQLAlchemy engine on ``path`` whose connections carry the pragmas and the
    SQL functions (:func:`add_functions`).

    Transactions are driven explicitly (``BEGIN`` is emitted by SQLAlchemy's
    ``begin()``), working around pysqlite's implicit transaction handling.
    """
    from sqlalchemy import create_engine, event

    url = f"sqlite:///{path}"
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None
        _pragmas(dbapi_conn)
        add_functions(dbapi_conn)
        if readonly:
            dbapi_conn.execute("PRAGMA query_only = ON")
            dbapi_conn.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: object) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if not readonly else "BEGIN")  # type: ignore[attr-defined]

    return engine


def integrity_ok(path: Path) -> tuple[bool, str]:
    """Run ``PRAGMA integrity_check``; returns (ok, first message)."""
    conn = sqlite3.connect(str(path))
    try:
        row = conn.execute("PRAGMA integrity_check").fetchone()
        return row[0] == "ok", str(row[0])
    finally:
        conn.close()


def copy_database(src: Path, dest: Path) -> None:
    """Copy a database file (and its WAL, if present) byte for byte."""
    shutil.copy2(src, dest)
    for suffix in ("-wal", "-shm"):
        side = Path(str(src) + suffix)
        if side.exists():
            shutil.copy2(side, Path(str(dest) + suffix))
