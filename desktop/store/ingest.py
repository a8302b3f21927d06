"""Writing fetched entries and fetch outcomes (called on the writer only).

Articles are upserted by ``(source_id, entry_key)``: a refetch never
duplicates, an updated entry replaces its content, and triage state (its own
table) is never touched. Entries whose key has a tombstone are skipped.

Full-text indexing (SQLite; PostgreSQL keeps a generated ``tsvector`` column
instead, and :func:`defer_fts` does nothing there): the ``articles_fts_ai``
trigger indexes each inserted row,
which costs about twice as much as indexing the same rows with one statement.
A writer transaction that inserts many articles (a refresh) may therefore call
:func:`defer_fts` first and :func:`index_deferred` last: the trigger is dropped
and re-created *inside* that transaction, so other connections only ever see
the schema with the trigger (and a crash rolls both back), and the new rows are
indexed with one ``INSERT … SELECT`` before the commit. Search finds them as
soon as the transaction commits, exactly as with the trigger. Both index the
title and text without Arabic or Hebrew points (the ``strip_points`` SQL
function, ``store.db.add_functions``; migration ``v0008_search_points``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from operator import attrgetter
from typing import Any

from desktop.store import dialect
from desktop.timeutil import from_iso, now_iso, to_iso, utcnow

DEFAULT_REFRESH_MINUTES = 60
MAX_BACKOFF = timedelta(hours=24)


@dataclass(slots=True)
class PreparedEntry:
    """An entry ready to store: sanitised HTML, plain text, hash, timestamps."""

    entry_key: str
    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    author: str | None
    published: str
    updated: str | None
    content_html: str
    text: str
    content_hash: str
    categories: list[str]
    feed_language: str | None

    def __reduce__(self) -> tuple[type[PreparedEntry], tuple[Any, ...]]:
        """Pickle as the constructor's arguments: a refresh ships 50,000 of these from
        its process pool, and the dataclass's own ``__getstate__`` costs twice as much."""
        return PreparedEntry, _FIELDS(self)


_FIELDS = attrgetter(*(f.name for f in fields(PreparedEntry)))


@dataclass(slots=True)
class IngestResult:
    """New article ids and how many existing ones changed content."""

    new_ids: list[int]
    updated: int
    skipped_tombstoned: int


_UPSERT = (
    "INSERT INTO articles (source_id, entry_key, guid, url, canonical_url, title, author, "
    "published, updated, fetched_at, content_html, text, content_hash, categories, "
    "feed_language, enriched) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0) "
    "ON CONFLICT(source_id, entry_key) DO UPDATE SET guid = excluded.guid, url = excluded.url, "
    "canonical_url = excluded.canonical_url, title = excluded.title, "
    "author = excluded.author, updated = excluded.updated, "
    "content_html = excluded.content_html, text = excluded.text, "
    "content_hash = excluded.content_hash, categories = excluded.categories, "
    "feed_language = excluded.feed_language, enriched = 0 "
    "WHERE articles.content_hash != excluded.content_hash"
)


_UPSERT_COLUMNS = _UPSERT[_UPSERT.index("(") + 1 : _UPSERT.index(")")].split(", ")[:-1]
"""The upsert's parameter columns (source_id … feed_language; ``enriched`` is 0)."""


def _upsert_sql_postgres() -> str:
    # jsonb: parsed once (each ->> of a json value parses that entry's text again)
    columns = ", ".join(f"r.value->>{i}" for i in range(len(_UPSERT_COLUMNS) - 1))
    head, _values, tail = _UPSERT.partition(" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0) ")
    return (
        f"{head} SELECT ?, {columns}, 0 "
        f"FROM jsonb_array_elements(CAST(? AS jsonb)) WITH ORDINALITY AS r(value, n) "
        f"ORDER BY r.n {tail}"
    )


_UPSERT_POSTGRES = _upsert_sql_postgres()
_UPSERT_CHUNK_CHARS = 32_000_000
"""Characters of entries per upsert statement at most on PostgreSQL (a feed's worth)."""


def _upsert_postgres(conn: Any, source_id: int, rows: list[tuple[Any, ...]]) -> None:
    """:data:`_UPSERT` of ``rows`` as one statement (PostgreSQL). One statement, not one
    per entry: the statement-level notification triggers (``v0005_notify``) fire once,
    one notice naming the source's new articles rather than one per article, which
    every listening client then received and read, and the fetcher ran two trigger
    functions per article. An entry key given twice keeps its last entry, as the
    row-by-row upsert ended with (one statement may not touch a row twice)."""
    last = {row[1]: row for row in rows}  # a key's first place, its last entry
    if len(last) < len(rows):
        rows = list(last.values())
    chunk: list[str] = []
    size = 0
    for row in rows:  # a jsonb value holds at most 255 MB: bounded chunks
        item = json.dumps(row[1:], ensure_ascii=False)
        if chunk and size + len(item) > _UPSERT_CHUNK_CHARS:
            conn.exec_driver_sql(_UPSERT_POSTGRES, (source_id, f"[{','.join(chunk)}]"))
            chunk, size = [], 0
        chunk.append(item)
        size += len(item)
    if chunk:
        conn.exec_driver_sql(_UPSERT_POSTGRES, (source_id, f"[{','.join(chunk)}]"))


_FTS_TRIGGER = "articles_fts_ai"
_FTS_TRIGGER_SQL = (
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) "
    "VALUES (new.id, strip_points(new.title), strip_points(new.text)); END"
)
"""The insert trigger as the schema defines it; any other form is never suspended."""


@dataclass(frozen=True, slots=True)
class DeferredFts:
    """What :func:`index_deferred` needs: the trigger to restore and the last id before."""

    trigger_sql: str
    max_id: int


def defer_fts(conn: Any) -> DeferredFts | None:
    """Suspend per-row FTS indexing of new articles for the current transaction.

    Returns None (nothing suspended; the trigger keeps indexing) when the schema's
    insert trigger is missing or not the one this module knows how to replace.
    The caller must call :func:`index_deferred` before committing; articles
    inserted in between must not be updated again in the same transaction.
    """
    if not dialect.of(conn).has_fts_table:
        return None  # PostgreSQL: a generated tsvector column, nothing to suspend
    row = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (_FTS_TRIGGER,)
    ).fetchone()
    if row is None or " ".join(str(row[0]).split()) != _FTS_TRIGGER_SQL:
        return None
    max_id = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM articles").scalar()
    conn.exec_driver_sql(f"DROP TRIGGER {_FTS_TRIGGER}")
    return DeferredFts(str(row[0]), int(max_id))


def index_deferred(conn: Any, deferred: DeferredFts | None) -> None:
    """Index the articles inserted since :func:`defer_fts` and restore the trigger."""
    if deferred is None:
        return
    conn.exec_driver_sql(
        "INSERT INTO articles_fts (rowid, title, text) "
        "SELECT id, strip_points(title), strip_points(text) FROM articles WHERE id > ? ORDER BY id",
        (deferred.max_id,),
    )
    conn.exec_driver_sql(deferred.trigger_sql)


def write_entries(
    conn: Any, source_id: int, entries: Sequence[PreparedEntry], fetched_at: str
) -> IngestResult:
    """Upsert ``entries`` of one source; create triage rows (one per person) for new articles."""
    if not entries:
        return IngestResult([], 0, 0)
    if dialect.of(conn).name == "postgresql":
        # a person being created (people.ensure) waits for this transaction, and this
        # one waits for it: the new articles get that person's rows one way or the other
        conn.exec_driver_sql("LOCK TABLE people IN ROW SHARE MODE")
    keys = json.dumps([e.entry_key for e in entries])
    dead = {
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT entry_key FROM tombstones WHERE source_id = ? AND entry_key IN "
            f"({dialect.of(conn).values('text')})",
            (source_id, keys),
        ).fetchall()
    }
    live = [e for e in entries if e.entry_key not in dead]
    existing = dict(
        conn.exec_driver_sql(
            "SELECT entry_key, content_hash FROM articles WHERE source_id = ? AND entry_key IN "
            f"({dialect.of(conn).values('text')})",
            (source_id, keys),
        ).fetchall()
    )
    updated = sum(
        1 for e in live if e.entry_key in existing and existing[e.entry_key] != e.content_hash
    )
    fresh_keys = [e.entry_key for e in live if e.entry_key not in existing]
    rows = [
        (
            source_id,
            e.entry_key,
            e.guid,
            e.url,
            e.canonical_url,
            e.title,
            e.author,
            e.published,
            e.updated,
            fetched_at,
            e.content_html,
            e.text,
            e.content_hash,
            json.dumps(e.categories, ensure_ascii=False) if e.categories else None,
            e.feed_language,
        )
        for e in live
    ]
    if dialect.of(conn).name == "postgresql":
        _upsert_postgres(conn, source_id, rows)
    else:
        conn.exec_driver_sql(_UPSERT, rows)
    # New articles are found by key, not by "id above the old maximum": on a shared
    # PostgreSQL another fetcher may commit articles of its own meanwhile.
    new_ids = []
    if fresh_keys:
        new_ids = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT id FROM articles WHERE source_id = ? AND entry_key IN "
                f"({dialect.of(conn).values('text')}) ORDER BY id",
                (source_id, json.dumps(fresh_keys)),
            ).fetchall()
        ]
    if new_ids:
        # one triage row per person (the people table is tiny)
        conn.exec_driver_sql(
            f"INSERT INTO triage (article_id, person_id) SELECT j.value, p.id "
            f"FROM {dialect.of(conn).table('j')} CROSS JOIN people p "
            "WHERE true ON CONFLICT (article_id, person_id) DO NOTHING",
            (json.dumps(new_ids),),
        )
    return IngestResult(new_ids, updated, len(dead))


def record_success(
    conn: Any,
    source_id: int,
    *,
    etag: str | None,
    last_modified: str | None,
    title: str | None = None,
    site_url: str | None = None,
    moved_to: str | None = None,
    refresh_minutes: int = DEFAULT_REFRESH_MINUTES,
) -> None:
    """A fetch worked (200 or 304): clear the error, remember validators, schedule the next."""
    now = utcnow()
    conn.exec_driver_sql(
        "UPDATE sources SET etag = coalesce(?, etag), last_modified = coalesce(?, last_modified), "
        "last_fetch = ?, last_success = ?, last_error = NULL, last_error_at = NULL, failures = 0, "
        "next_fetch_at = ?, "
        "title = CASE WHEN title = '' AND ? IS NOT NULL THEN ? ELSE title END, "
        "site_url = coalesce(site_url, ?) WHERE id = ?",
        (
            etag,
            last_modified,
            to_iso(now),
            to_iso(now),
            to_iso(now + timedelta(minutes=refresh_minutes)),
            title,
            title,
            site_url,
            source_id,
        ),
    )
    if moved_to:
        clash = conn.exec_driver_sql(
            "SELECT id FROM sources WHERE url = ? AND id != ?", (moved_to, source_id)
        ).fetchone()
        if clash is None:
            conn.exec_driver_sql("UPDATE sources SET url = ? WHERE id = ?", (moved_to, source_id))


def record_failure(
    conn: Any,
    source_id: int,
    error: str,
    *,
    retry_after: float | None = None,
    gone: bool = False,
    refresh_minutes: int = DEFAULT_REFRESH_MINUTES,
) -> None:
    """A fetch failed: keep the reason for the user and back off exponentially.

    ``Retry-After`` wins when the server sent one; 410 Gone disables the source.
    """
    now = utcnow()
    row = conn.exec_driver_sql("SELECT failures FROM sources WHERE id = ?", (source_id,)).one()
    failures = int(row[0]) + 1
    delay = timedelta(minutes=min(refresh_minutes, 15) * 2 ** min(failures - 1, 10))
    delay = min(delay, MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    conn.exec_driver_sql(
        "UPDATE sources SET last_fetch = ?, last_error = ?, last_error_at = ?, failures = ?, "
        "next_fetch_at = ?, enabled = CASE WHEN ? = 1 THEN 0 ELSE enabled END WHERE id = ?",
        (to_iso(now), error, to_iso(now), failures, to_iso(now + delay), gone, source_id),
    )


def due_source_ids(conn: Any, *, include_all: bool = False) -> list[int]:
    """Enabled sources whose next fetch time has come (or every enabled one)."""
    if include_all:
        sql = "SELECT id FROM sources WHERE enabled = 1 ORDER BY id"
        return [r[0] for r in conn.exec_driver_sql(sql).fetchall()]
    now = now_iso()
    sql = (
        "SELECT id FROM sources WHERE enabled = 1 "
        "AND (next_fetch_at IS NULL OR next_fetch_at <= ?) ORDER BY id"
    )
    return [r[0] for r in conn.exec_driver_sql(sql, (now,)).fetchall()]


def is_due(next_fetch_at: str | None) -> bool:
    """Whether a stored next-fetch time has passed."""
    moment = from_iso(next_fetch_at)
    return moment is None or moment <= utcnow()
