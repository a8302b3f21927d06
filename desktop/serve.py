"""The headless fetcher behind ``newsdesk serve``: refresh, account sync, enrichment.

One fetcher runs against a store at a time. The first ``serve`` takes an
exclusive lock (a file beside the SQLite database, or an advisory lock on a
shared PostgreSQL); any other waits as a stand-by and takes
over within its poll interval when the holder stops, is killed or its machine
sleeps (the operating system drops the lock with the process). The window asks
:func:`fetcher_running` before a *scheduled* refresh and leaves the schedule to
the fetcher while one runs; a refresh the user asks for still runs at once.

Qt-free: this module only uses the :class:`~desktop.service.Newsdesk` facade.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

LOCK_NAME = "fetcher.lock"
"""File in the data folder that the running fetcher holds locked."""


class FetcherLock:
    """An exclusive, non-blocking lock on ``path`` that dies with its process.

    POSIX ``flock`` or Windows ``msvcrt.locking``; the holder writes who it is
    (pid, host, since) into the file for the stand-bys to report.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._handle is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open on purpose
        if not _lock(handle):
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        handle.write(json.dumps(info))
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        """Give the lock up (closing the file releases it)."""
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
        except OSError:
            pass
        _unlock(self._handle)
        self._handle.close()
        self._handle = None

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock now (pid, host, since), or None when it is free."""
        if self._handle is not None:
            return {"pid": os.getpid(), "host": socket.gethostname()}
        if not self.path.exists():
            return None
        with open(self.path, "a+", encoding="utf-8") as probe:
            if _lock(probe):
                _unlock(probe)
                return None
            probe.seek(0)
            try:
                return json.loads(probe.read() or "{}")
            except ValueError:
                return {}

    def __enter__(self) -> FetcherLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class PostgresFetcherLock:
    """The same lock on a shared PostgreSQL: a session-level advisory lock.

    It lives as long as its own connection, so the server drops it when the
    holder stops, is killed or loses its network; stand-bys on other machines
    see who holds it through ``pg_stat_activity`` (the connection's
    ``application_name`` names the holder's pid and host).
    """

    KEY = 0x4E455753
    """The advisory lock key ("NEWS")."""

    def __init__(self, url: str, password: str | None = None) -> None:
        from sqlalchemy.engine import make_url

        from desktop.store.postgres import connect_args

        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        self._auth = connect_args(password)
        """The keyring's password (see ``store.db_password``), passed at connect time."""
        self._conn: Any = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never waits."""
        import psycopg

        if self._conn is not None:
            return True
        name = f"newsdesk serve {os.getpid()}@{socket.gethostname()}"[:63]
        conn = psycopg.connect(self.conninfo, autocommit=True, application_name=name, **self._auth)
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.KEY,)).fetchone()[0]
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        """Give the lock up (closing the session releases it)."""
        if self._conn is None:
            return
        try:
            self._conn.close()
        finally:
            self._conn = None

    def holder(self) -> dict[str, Any] | None:
        """Who holds the lock now (pid, host, since), or None when it is free."""
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True, **self._auth) as probe:
            row = probe.execute(
                "SELECT a.application_name, extract(epoch FROM a.backend_start) "
                "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = %s "
                "AND l.granted AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
                (self.KEY,),
            ).fetchone()
        if row is None:
            return None
        who = (row[0] or "").removeprefix("newsdesk serve ")
        pid, _, host = who.partition("@")
        return {"pid": int(pid) if pid.isdigit() else pid, "host": host, "since": float(row[1])}

    def __enter__(self) -> PostgresFetcherLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_for(desk: Any, data_dir: Path) -> FetcherLock | PostgresFetcherLock:
    """The fetcher lock of ``desk``'s store: an advisory lock on PostgreSQL, else a file."""
    if getattr(desk.db, "dialect", "sqlite") == "postgresql":
        return PostgresFetcherLock(desk.db.url, getattr(desk.db, "password", None))
    return FetcherLock(data_dir / LOCK_NAME)


def fetcher_running(data_dir: Path) -> dict[str, Any] | None:
    """Who runs the fetcher for the store in ``data_dir``, or None when nobody does."""
    return FetcherLock(data_dir / LOCK_NAME).holder()


@dataclass
class ServeOptions:
    """How ``newsdesk serve`` behaves."""

    check_seconds: float = 60.0
    """How often to look for due sources."""
    standby_poll: float = 5.0
    """How often a stand-by tries to take over."""
    once: bool = False
    """One pass over the due sources, then exit (also as a stand-by: exit at once)."""
    enrich: bool = True
    pool: str = "thread"


class Fetcher:
    """Runs the refresh schedule, enrichment and retention while it holds the lock."""

    def __init__(
        self,
        desk: Any,
        settings: Any,
        lock: FetcherLock | PostgresFetcherLock,
        options: ServeOptions,
        say: Callable[[str], None],
    ) -> None:
        self.desk = desk
        self.settings = settings
        self.lock = lock
        self.options = options
        self.say = say
        self.stop = asyncio.Event()
        self.passes = 0
        self._last_purge = 0.0
        self._last_sync = 0.0

    async def run(self) -> int:
        """Stand by until the lock is free, then serve until :attr:`stop` is set.

        Returns 0 after a clean stop, 3 when ``once`` found another fetcher running.
        """
        announced = False
        while not self.lock.try_acquire():
            if not announced:
                self.say(f"stand-by: a fetcher is already running ({_describe(self.lock)})")
                announced = True
            if self.options.once:
                return 3
            if await self._sleep(self.options.standby_poll):
                return 0
        self.say(f"fetcher: running (pid {os.getpid()})")
        try:
            while True:
                try:
                    await self.one_pass()
                except Exception as exc:  # a daemon reports and goes on
                    self.say(f"error: {type(exc).__name__}: {exc}")
                    if self.options.once:
                        return 1
                if self.options.once or await self._sleep(self.options.check_seconds):
                    return 0
        finally:
            self.lock.release()
            self.say("fetcher: stopped")

    async def one_pass(self) -> None:
        """Refresh what is due, enrich what is new, purge when the setting asks."""
        self.passes += 1
        fetched = await self._sync_accounts()
        ids = await asyncio.to_thread(self.desk.due_sources)
        if ids:
            report = await self.desk.refresh(
                ids,
                pool=self.options.pool,
                default_minutes=int(self.settings["refresh_minutes"]),
            )
            self.say(report.summary())
            for outcome in sorted(report.failures, key=lambda o: o.source_id):
                self.say(f"  failed {outcome.source_id} {outcome.title}: {outcome.error}")
            fetched = True
        if fetched and self.options.enrich:
            count, seconds = await asyncio.to_thread(self.desk.enrich_pending)
            if count:
                self.say(f"enriched {count} in {seconds:.1f} s")
        days = int(self.settings["retention_days"])
        if days > 0 and time.monotonic() - self._last_purge > 6 * 3600:
            self._last_purge = time.monotonic()
            result = await asyncio.to_thread(self.desk.purge_old, days)
            purged = getattr(result, "purged", 0)
            if purged:
                self.say(f"purged {purged} articles older than {days} days")

    async def _sync_accounts(self) -> bool:
        """Sync feed-server accounts every ``refresh_minutes``; True when one was synced."""
        minutes = int(self.settings["refresh_minutes"])
        if self._last_sync and time.monotonic() - self._last_sync < minutes * 60:
            return False
        if not await asyncio.to_thread(self.desk.accounts):
            return False
        self._last_sync = time.monotonic()
        for report in await self.desk.sync():
            self.say(report.summary())
        return True

    async def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` or until stopped; True when stopped."""
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True


def _describe(lock: FetcherLock | PostgresFetcherLock) -> str:
    info = lock.holder() or {}
    pid = info.get("pid", "?")
    host = info.get("host", "?")
    since = info.get("since")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(since)) if since else "?"
    return f"pid {pid} on {host} since {when}"


def run_serve(desk: Any, settings: Any, data_dir: Path, options: ServeOptions) -> int:
    """Entry point of ``newsdesk serve``: runs until SIGTERM/SIGINT (or one pass)."""
    import signal

    def say(line: str) -> None:
        print(line, flush=True)

    async def main() -> int:
        fetcher = Fetcher(desk, settings, lock_for(desk, data_dir), options, say)
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            fetcher.stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, on_signal)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                signal.signal(sig, lambda *_: loop.call_soon_threadsafe(on_signal))
        runner = asyncio.ensure_future(fetcher.run())
        stop_wait = asyncio.ensure_future(fetcher.stop.wait())
        done, _ = await asyncio.wait({runner, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            stop_wait.cancel()
            return runner.result()
        # Stopped while a pass may be fetching: give it a moment, then cancel it.
        try:
            return await asyncio.wait_for(runner, timeout=2.0)
        except (TimeoutError, asyncio.CancelledError):
            if fetcher.lock.held:
                fetcher.lock.release()
                say("fetcher: stopped")
            return 0

    return asyncio.run(main())
