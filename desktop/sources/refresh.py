"""Refreshing sources: fetch (async) → prepare (CPU pool) → store (writer).

Sources are fetched concurrently on one shared HTTP client; each document is
parsed and sanitised in the CPU pool; the writer stores one source's entries
and its fetch outcome together, so a kill at any instant leaves either the
whole source update or none of it.

Source updates that arrive while the writer is busy are grouped ("group
commit"): each writer transaction carries up to :data:`BATCH_SOURCES` sources
(or :data:`BATCH_ENTRIES` entries), each inside its own savepoint, so one
source's fault rolls back only that source. A refresh of many sources thus
commits a few dozen short transactions instead of one per source.

A batch goes to the writer once it is full, once every source still being
refreshed is waiting for it, or :data:`GATHER_SECONDS` after its first update,
whichever comes first: transactions stay large even when the writer keeps up
(each one has a fixed cost, and FTS indexing is cheaper in bulk). A batch that
stores articles indexes them for search in one statement at its end
(:func:`desktop.store.ingest.defer_fts`), and never holds two updates of one
source (so no article it inserted is updated again before being indexed).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from desktop.sources.feed import FetchResult
from desktop.sources.http import Fetcher, HttpSettings
from desktop.sources.prepare import PreparedFeed, prepare_feed
from desktop.store import dialect, ingest
from desktop.store.database import Database
from desktop.store.errors import lasting_problem, storage_problem
from desktop.timeutil import now_iso

MAX_IN_FLIGHT = 64
BATCH_SOURCES = 64
"""Most source updates per writer transaction."""
BATCH_ENTRIES = 2500
"""Entries after which a writer transaction closes (keeps transactions short)."""
GATHER_SECONDS = 0.25
"""Longest wait for more source updates before a batch goes to the writer."""


@dataclass(slots=True)
class SourceOutcome:
    """How one source's refresh ended."""

    source_id: int
    title: str
    url: str
    status: str
    """'ok', 'not_modified' or 'failed'."""
    new: int = 0
    updated: int = 0
    error: str | None = None
    new_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class RefreshReport:
    """Everything a refresh run did, for the summary line and the status bar."""

    outcomes: list[SourceOutcome] = field(default_factory=list)
    seconds: float = 0.0
    problem: str | None = None
    """Why the run stopped before every source was done (a full disk...), else None."""

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def new_articles(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def new_ids(self) -> list[int]:
        return [i for o in self.outcomes for i in o.new_ids]

    @property
    def failures(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> str:
        """``ok 12, not modified 30, failed 2, new articles 340, 4.1 s``."""
        line = (
            f"ok {self.count('ok')}, not modified {self.count('not_modified')}, "
            f"failed {self.count('failed')}, new articles {self.new_articles}, "
            f"{self.seconds:.1f} s"
        )
        return f"{line}; stopped: {self.problem}" if self.problem else line


Progress = Callable[[int, int, SourceOutcome], None]


def _load_sources(conn: Any, ids: Sequence[int]) -> list[tuple[Any, ...]]:
    import json

    return conn.exec_driver_sql(
        "SELECT id, url, title, etag, last_modified, refresh_minutes, username FROM sources "
        f"WHERE id IN ({dialect.of(conn).values()}) "
        # Sources owned by a feed-server account are fetched by that server (desktop.sync).
        "AND id NOT IN (SELECT source_id FROM account_sources) ORDER BY id",
        (json.dumps(list(ids)),),
    ).fetchall()


async def _credentials(url: str, username: str) -> tuple[str, str] | None:
    """The source's secret from the keyring (None when there is no keyring or no secret)."""
    from desktop.sources.credentials import CredentialStore, CredentialsUnavailable

    def lookup() -> tuple[str, str] | None:
        try:
            secret = CredentialStore().get(f"source:{url}", username)
        except CredentialsUnavailable:
            return None
        return (username, secret) if secret is not None else None

    return await asyncio.to_thread(lookup)


def _store_feed(
    conn: Any, source_id: int, result: FetchResult, feed: PreparedFeed, minutes: int
) -> ingest.IngestResult:
    written = ingest.write_entries(conn, source_id, feed.entries, now_iso())
    ingest.record_success(
        conn,
        source_id,
        etag=result.etag,
        last_modified=result.last_modified,
        title=feed.title,
        site_url=feed.site_url,
        moved_to=result.permanent_url,
        refresh_minutes=minutes,
    )
    return written


@dataclass(slots=True)
class _Op:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    weight: int
    future: asyncio.Future[Any]
    key: object = None
    """Ops with the same key never share a batch (one source's updates)."""
    articles: bool = False
    """Whether the op inserts articles (the batch then defers FTS indexing)."""


def _write_batch(
    conn: Any,
    ops: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
    articles: bool = False,
) -> list[tuple[bool, Any]]:
    """Run each op in its own savepoint; returns ``(ok, result-or-exception)`` per op.

    With ``articles``, new articles are indexed for search once, after every op.
    """
    deferred = ingest.defer_fts(conn) if articles else None
    out = _run_ops(conn, ops)
    ingest.index_deferred(conn, deferred)
    return out


def _run_ops(
    conn: Any, ops: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]
) -> list[tuple[bool, Any]]:
    out: list[tuple[bool, Any]] = []
    for fn, args in ops:
        conn.exec_driver_sql("SAVEPOINT newsdesk_source")
        try:
            result = fn(conn, *args)
        except Exception as exc:
            conn.exec_driver_sql("ROLLBACK TO newsdesk_source")
            conn.exec_driver_sql("RELEASE newsdesk_source")
            out.append((False, exc))
        else:
            conn.exec_driver_sql("RELEASE newsdesk_source")
            out.append((True, result))
    return out


class StorageStopped(Exception):
    """A write refused because an earlier one hit a lasting storage failure."""


class _GroupWriter:
    """Queues per-source writes and flushes them to the writer in grouped transactions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[_Op] = []
        self._flusher: asyncio.Task[None] | None = None
        self._working: set[object] = set()
        self._weight = 0
        self._ready = asyncio.Event()
        self.problem: str | None = None
        """Set when a write failed in a way every later write would (a full disk...)."""

    def started(self, key: object) -> None:
        """``key`` is being refreshed: a batch may wait for its update."""
        self._working.add(key)

    def finished(self, key: object) -> None:
        """``key`` will send no (more) update that a batch should wait for."""
        self._working.discard(key)
        self._check_ready()

    def _check_ready(self) -> None:
        if self._pending and (
            not self._working
            or self._weight >= BATCH_ENTRIES
            or len(self._pending) >= BATCH_SOURCES
        ):
            self._ready.set()

    async def write(
        self,
        fn: Callable[..., Any],
        *args: Any,
        weight: int = 1,
        key: object = None,
        articles: bool = False,
    ) -> Any:
        """Run ``fn(conn, *args)`` atomically in the next group transaction.

        ``key`` (e.g. the source id) keeps two ops apart; ``articles`` says the op
        inserts articles.
        """
        if self.problem is not None:
            raise StorageStopped(self.problem)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Op(fn, args, weight, future, key, articles))
        self._weight += weight
        self._working.discard(key)
        self._check_ready()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def aclose(self) -> None:
        """Stop flushing; ops not yet handed to the writer are dropped (a cancelled run)."""
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        for op in self._pending:
            op.future.cancel()
        self._pending.clear()
        self._weight = 0

    def _take(self) -> list[_Op]:
        batch: list[_Op] = []
        keys: set[object] = set()
        weight = 0
        while self._pending and len(batch) < BATCH_SOURCES:
            head = self._pending[0]
            if batch and weight + head.weight > BATCH_ENTRIES:
                break
            if head.key is not None and head.key in keys:
                break
            batch.append(self._pending.pop(0))
            keys.add(head.key)
            weight += head.weight
        self._weight -= weight
        return batch

    async def _gather(self) -> None:
        """Wait until the pending ops make a batch worth a transaction (see the module doc)."""
        self._check_ready()
        if not self._ready.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), GATHER_SECONDS)
        self._ready.clear()

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # let ops that are ready in this loop turn join the batch
            await self._gather()
            batch = self._take()
            try:
                results = await self.db.write_async(
                    _write_batch,
                    [(op.fn, op.args) for op in batch],
                    any(op.articles for op in batch),
                )
            except asyncio.CancelledError:
                for op in batch:
                    op.future.cancel()
                raise
            except Exception as exc:  # the transaction itself failed: fail its ops
                self.problem = lasting_problem(exc)
                if self.problem is not None:  # and every op still waiting
                    batch += self._pending
                    self._pending.clear()
                    self._weight = 0
                for op in batch:
                    if not op.future.done():
                        op.future.set_exception(exc)
                continue
            for op, (ok, value) in zip(batch, results, strict=True):
                if op.future.done():
                    continue
                if ok:
                    op.future.set_result(value)
                else:
                    op.future.set_exception(value)


class Refresher:
    """Runs one refresh of a set of sources against a database."""

    def __init__(
        self,
        db: Database,
        cpu: Executor | None = None,
        settings: HttpSettings | None = None,
        progress: Progress | None = None,
        default_minutes: int = ingest.DEFAULT_REFRESH_MINUTES,
    ) -> None:
        self.db = db
        self.cpu = cpu
        self.settings = settings or HttpSettings()
        self.progress = progress
        self.default_minutes = default_minutes

    async def run(self, source_ids: Sequence[int]) -> RefreshReport:
        """Refresh ``source_ids`` concurrently; never raises for a source's fault."""
        started = time.perf_counter()
        rows = await self.db.read_async(_load_sources, source_ids)
        report = RefreshReport()
        total = len(rows)
        gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        writer = _GroupWriter(self.db)
        async with Fetcher(self.settings) as fetcher:

            async def one(row: tuple[Any, ...]) -> None:
                async with gate:
                    if writer.problem is not None:
                        return  # nothing more can be stored: leave the source due
                    writer.started(row[0])
                    try:
                        outcome = await self._refresh_one(fetcher, writer, row)
                    finally:
                        writer.finished(row[0])
                report.outcomes.append(outcome)
                if self.progress:
                    self.progress(len(report.outcomes), total, outcome)

            try:
                await asyncio.gather(*(one(r) for r in rows))
            finally:
                await writer.aclose()
        report.problem = writer.problem
        report.seconds = time.perf_counter() - started
        return report

    async def _refresh_one(
        self, fetcher: Fetcher, writer: _GroupWriter, row: tuple[Any, ...]
    ) -> SourceOutcome:
        source_id, url, title, etag, last_modified, minutes, username = row
        minutes = minutes or self.default_minutes
        outcome = SourceOutcome(source_id, title or url, url, "failed")
        try:
            auth = await _credentials(url, username) if username else None
            result = await fetcher.fetch(url, etag, last_modified, auth)
            if result.error is not None:
                outcome.error = result.error
                await writer.write(
                    lambda c: ingest.record_failure(
                        c,
                        source_id,
                        result.error or "failed",
                        retry_after=result.retry_after,
                        gone=result.gone,
                        refresh_minutes=minutes,
                    ),
                    key=source_id,
                )
                if result.gone:
                    outcome.error = f"{result.error}: the source was disabled"
                return outcome
            if result.not_modified:
                outcome.status = "not_modified"
                await writer.write(
                    lambda c: ingest.record_success(
                        c,
                        source_id,
                        etag=result.etag,
                        last_modified=result.last_modified,
                        moved_to=result.permanent_url,
                        refresh_minutes=minutes,
                    ),
                    key=source_id,
                )
                return outcome
            loop = asyncio.get_running_loop()
            feed: PreparedFeed = await loop.run_in_executor(
                self.cpu,
                prepare_feed,
                result.body or b"",
                result.final_url,
                result.content_type,
                now_iso(),
            )
            if feed.error is not None:
                outcome.error = feed.error
                await writer.write(
                    lambda c: ingest.record_failure(
                        c, source_id, feed.error or "not a feed", refresh_minutes=minutes
                    ),
                    key=source_id,
                )
                return outcome
            written = await writer.write(
                _store_feed,
                source_id,
                result,
                feed,
                minutes,
                weight=len(feed.entries) or 1,
                key=source_id,
                articles=bool(feed.entries),
            )
            outcome.status = "ok"
            outcome.new = len(written.new_ids)
            outcome.updated = written.updated
            outcome.new_ids = written.new_ids
            if feed.title and not title:
                outcome.title = feed.title
            return outcome
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # keep the run going; tell the user what broke
            outcome.status = "failed"
            problem = str(exc) if isinstance(exc, StorageStopped) else storage_problem(exc)
            if problem is not None:
                outcome.error = f"not stored: {problem}"
                if writer.problem is not None:
                    return outcome
            else:
                outcome.error = f"internal error: {type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):
                await writer.write(
                    lambda c: ingest.record_failure(c, source_id, outcome.error or ""),
                    key=source_id,
                )
            return outcome
