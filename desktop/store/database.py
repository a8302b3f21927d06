"""The database handle: one writer thread, read connections, migration on open."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from desktop.store.db import MigrationReport, make_engine, prepare

T = TypeVar("T")


class Database:
    """One SQLite file, or a PostgreSQL database given by URL. Writes go through
    :meth:`write` (one at a time: a single-worker executor, or the caller's own
    thread when that executor is idle; one short transaction per call); reads use
    their own connections.

    ``path`` is the SQLite file (None on PostgreSQL); ``url`` the PostgreSQL
    URL (None on SQLite); ``dialect`` is ``"sqlite"`` or ``"postgresql"``;
    ``password`` the keyring's password for ``url``, looked up once and passed to
    every connection (None: libpq's own sources, see ``store.db_password``).

    The handle is opened for one person (``user``, default
    ``people.default_user()``): ``user`` and ``person_id`` name them, and every
    connection handed to ``fn`` carries ``person_id`` (``people.me(conn)``).
    A person new to the database is created here, their triage rows in batches;
    with ``person=False`` (the headless fetcher, which triages nothing) a
    missing person is not created and ``person_id`` stays None.
    """

    def __init__(self, target: Path | str, user: str | None = None, *, person: bool = True) -> None:
        from desktop.store import people
        from desktop.store.dialect import is_url

        self.user = people.resolve_user(user)
        self.writer_pids: set[int] = set()
        """PostgreSQL: server process ids of the writer's connections (a listener skips
        notifications they sent: this handle's own commits)."""

        if is_url(target):
            from desktop.store import postgres
            from desktop.store.db_password import password_for

            self.path: Path | None = None
            self.url: str | None = str(target)
            self.dialect = "postgresql"
            self.password = password_for(self.url)
            self.migration: MigrationReport = postgres.prepare(
                self.url, user=self.user, password=self.password
            )
            self._engine = postgres.make_engine(self.url, password=self.password)
            self._read_engine = postgres.make_engine(
                self.url, readonly=True, password=self.password
            )
            postgres.track_backend_pids(self._engine, self.writer_pids)
        else:
            path = Path(target)
            self.path = path
            self.url = None
            self.password = None
            self.dialect = "sqlite"
            self.migration = prepare(path, user=self.user)
            self._engine = make_engine(path)
            self._read_engine = make_engine(path, readonly=True)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-writer")
        self._write_lock = threading.Lock()
        """Held while a write runs, on the writer thread or in a caller (see :meth:`write`)."""
        self._queue_lock = threading.Lock()
        self._queued = 0
        """Calls handed to the writer thread and not finished yet."""
        self._closed = False
        self._data_version: int | None = None
        self.person_id: int | None = None
        if not person:
            self.person_id = self.read(people.person_id, self.user)
            return
        self.person_id = self.write(people.ensure, self.user)
        created = False
        while self.write(people.backfill_step, self.person_id):
            created = True
        if created:  # the planner must learn of the new person's rows (see people.analyze)
            self.write(people.analyze)

    # -- writing -----------------------------------------------------------
    def _run_write(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._engine.begin() as conn:
            conn.info["person_id"] = self.person_id
            return fn(conn, *args)

    def _run_single(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.info["person_id"] = self.person_id
            return fn(conn, *args)

    def _queued_call(self, run: Callable[..., T], *args: Any) -> T:
        try:
            with self._write_lock:
                return run(*args)
        finally:
            with self._queue_lock:
                self._queued -= 1

    def _enqueue(self, run: Callable[..., T], *args: Any) -> Future[T]:
        if self._closed:
            raise RuntimeError("database is closed")
        with self._queue_lock:
            self._queued += 1
        try:
            return self._writer.submit(self._queued_call, run, *args)
        except BaseException:
            with self._queue_lock:
                self._queued -= 1
            raise

    def _call(self, run: Callable[..., T], *args: Any) -> T:
        """``run(*args)`` as a write, waiting for it: in the calling thread when the writer
        is idle with nothing queued (a thread hop is two wake-ups, each a wait for a core
        on a busy machine), else behind what is queued. Writes stay one at a time, and
        what one thread queued earlier still runs before its later writes."""
        if self._closed:
            raise RuntimeError("database is closed")
        with self._queue_lock:
            direct = self._queued == 0 and self._write_lock.acquire(blocking=False)
        if not direct:
            return self._enqueue(run, *args).result()
        try:
            return run(*args)
        finally:
            self._write_lock.release()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(conn, *args)`` on the writer; it runs in its own transaction."""
        return self._enqueue(self._run_write, fn, args)

    def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` as a write (its own transaction) and wait for its result
        (see :meth:`_call`: one write at a time, in order)."""
        return self._call(self._run_write, fn, args)

    def write_single(self, fn: Callable[..., T], *args: Any) -> T:
        """:meth:`write` for an ``fn`` that makes one statement, atomic by itself: on
        PostgreSQL it runs without ``BEGIN``/``COMMIT`` around it (the statement commits
        on its own, as durably), two round trips fewer; on SQLite as :meth:`write`."""
        if self.path is not None:
            return self.write(fn, *args)
        return self._call(self._run_single, fn, args)

    async def write_async(self, fn: Callable[..., T], *args: Any) -> T:
        """Await ``fn(conn, *args)`` on the writer without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def others_committed(self) -> bool:
        """True when another connection committed since the previous call (False the
        first time, and always on PostgreSQL); this handle's own writes do not count.

        SQLite's ``PRAGMA data_version`` changes on a connection only for commits
        made by *other* connections, so it is asked on the writer's own connection
        (writes run one at a time, so the writer engine only ever holds one),
        outside any transaction: a window
        then reloads for the command line or ``newsdesk serve``, not for itself.
        """
        if self.path is None or self._closed:
            return False
        return self._call(self._others_committed)

    def _others_committed(self) -> bool:
        raw = self._engine.raw_connection()
        try:
            version = int(raw.driver_connection.execute("PRAGMA data_version").fetchone()[0])
        finally:
            raw.close()
        before, self._data_version = self._data_version, version
        return before is not None and before != version

    # -- reading -----------------------------------------------------------
    def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on a read connection in the calling thread.

        The read transaction is closed before returning: no cursor outlives it.
        """
        with self._read_engine.connect() as conn:
            conn.info["person_id"] = self.person_id
            result = fn(conn, *args)
            conn.rollback()
            return result

    async def read_async(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read in a worker thread (for callers on an event loop)."""
        return await asyncio.to_thread(self.read, fn, *args)

    def close(self) -> None:
        """Finish queued writes, then release every connection."""
        if self._closed:
            return
        self._closed = True
        self._writer.shutdown(wait=True)
        with self._write_lock:  # a write running in a caller's thread
            self._engine.dispose()
        self._read_engine.dispose()
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Fold the WAL back into the main file so it stands alone (best effort)."""
        if self.path is None:
            return
        import sqlite3

        from desktop.store.db import connect_raw

        try:
            conn = connect_raw(self.path)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # another process holds the database: it will checkpoint later

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
