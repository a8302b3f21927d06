"""Fetch the full article for feeds that publish only summaries.

The original page is fetched with the project's :class:`~desktop.sources.http.Fetcher`
(same limits, timeouts, user agent), its main text extracted with
``trafilatura`` in a worker thread, sanitised with the same allow-list as every
feed body, and stored **into the article**: ``content_html`` and ``text`` are
replaced by the full article, while ``content_hash`` (the feed's) is kept, so
a refetch of an unchanged feed entry cannot put the summary back, and an entry
the feed really changed replaces both (the full text can then be fetched
again). The article is queued for enrichment again, so language and topics
come from the full text.

"Fetched once": each attempt is recorded in ``full_articles`` (article id,
time, extracted size, error), a table of schema version 3 (``ON DELETE
CASCADE`` keeps it consistent with purges). Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from desktop.store import dialect
from desktop.timeutil import now_iso

MIN_CHARS = 200
"""Extractions shorter than this are treated as a failure (the summary stays)."""


class FullTextError(RuntimeError):
    """The full article could not be fetched or extracted; the message says why."""


@dataclass(frozen=True, slots=True)
class FullText:
    """The outcome for one article."""

    article_id: int
    fetched: bool
    """False when it had been fetched before (nothing was done)."""
    chars: int
    error: str | None = None


def status(conn: Any, article_id: int) -> tuple[str | None, int, str | None] | None:
    """``(fetched_at, chars, error)`` of an earlier attempt, or None (reader)."""
    row = conn.exec_driver_sql(
        "SELECT fetched_at, chars, error FROM full_articles WHERE article_id = ?", (article_id,)
    ).fetchone()
    return (row[0], int(row[1]), row[2]) if row else None


def article_url(conn: Any, article_id: int) -> str | None:
    """The link of an article (reader)."""
    row = conn.exec_driver_sql(
        "SELECT coalesce(url, canonical_url) FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    return row[0] if row else None


def extract(html: bytes | str, url: str) -> tuple[str, str]:
    """Main text of a page as (sanitised HTML, plain text); ('', '') when none is found."""
    import trafilatura

    from desktop.enrich.sanitize import sanitize_html

    page = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    body = trafilatura.extract(
        page,
        url=url,
        output_format="html",
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_links=True,
        favor_precision=True,
    )
    if not body:
        return "", ""
    clean = sanitize_html(body, url)
    text = trafilatura.extract(page, url=url, include_comments=False, favor_precision=True) or ""
    return clean, text.strip()


def store(conn: Any, article_id: int, html: str, text: str, error: str | None) -> None:
    """Record an attempt; on success replace the article's body (writer)."""
    if error is None:
        conn.exec_driver_sql(
            "UPDATE articles SET content_html = ?, text = ?, enriched = 0 WHERE id = ?",
            (html, text, article_id),
        )
    conn.exec_driver_sql(
        "INSERT INTO full_articles (article_id, fetched_at, chars, error) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(article_id) DO UPDATE SET fetched_at = excluded.fetched_at, "
        "chars = excluded.chars, error = excluded.error",
        (article_id, now_iso(), len(text), error),
    )


async def fetch_full_article(
    db: Any, article_id: int, *, force: bool = False, settings: Any = None
) -> FullText:
    """Fetch, extract and store the full text of one article, once.

    Network on the event loop, extraction in a worker thread, the write on the
    writer. A second call does nothing unless ``force`` (or the earlier attempt
    failed). Raises :class:`FullTextError` when the page cannot be used.
    """
    from desktop.sources.http import Fetcher, HttpSettings

    before = await db.read_async(status, article_id)
    if before is not None and before[2] is None and not force:
        return FullText(article_id, False, before[1])
    url = await db.read_async(article_url, article_id)
    if not url:
        raise FullTextError("this article has no link to fetch")
    async with Fetcher(settings or HttpSettings()) as fetcher:
        result = await fetcher.fetch(url)
    error = result.error
    html = text = ""
    if error is None:
        html, text = await asyncio.to_thread(extract, result.body or b"", result.final_url)
        if len(text) < MIN_CHARS:
            error = "no article text found on the page"
    await db.write_async(store, article_id, html, text, error)
    if error is not None:
        raise FullTextError(f"full article: {error}")
    return FullText(article_id, True, len(text))


def wanted_ids(conn: Any, ids: list[int]) -> list[int]:
    """Of ``ids`` (new articles), those whose source says 'always fetch the full article'
    and that were not fetched yet (reader)."""
    import json

    if not ids:
        return []
    done = "AND a.id NOT IN (SELECT article_id FROM full_articles)"
    return [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT a.id FROM articles a JOIN sources s ON s.id = a.source_id "
            f"WHERE s.full_article = 1 AND a.id IN ({dialect.of(conn).values()}) {done}",
            (json.dumps(ids),),
        ).fetchall()
    ]
