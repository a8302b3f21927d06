"""CPU stage of ingest: bytes → parsed → sanitised → plain text → rows.

Runs in a worker (thread or process), never on the UI thread or the writer.
Everything here is a pure function of its arguments, so it pickles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from desktop.enrich.clean import html_to_text
from desktop.enrich.sanitize import sanitize_html
from desktop.enrich.stories import canonical_url
from desktop.sources.feed import FeedParseError, ParsedEntry
from desktop.store.ingest import PreparedEntry
from desktop.timeutil import to_iso


@dataclass(slots=True)
class PreparedFeed:
    """A feed document ready for the writer, or the reason it could not be read."""

    title: str | None = None
    site_url: str | None = None
    language: str | None = None
    entries: list[PreparedEntry] = field(default_factory=list)
    error: str | None = None


def content_hash(title: str, html: str) -> str:
    """A short digest of what the user sees, to tell real updates from refetches."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(title.encode("utf-8", "surrogatepass"))
    digest.update(b"\x00")
    digest.update(html.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _iso(moment: datetime) -> str:
    """``timeutil.to_iso`` with a fast path for what the parser gives: aware UTC, year >= 1000."""
    if moment.tzinfo is UTC and moment.year >= 1000:
        return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031 - faster than the others
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
        )
    return to_iso(moment)


def prepare_entry(
    entry: ParsedEntry, base_url: str, fetched_at: str, language: str | None
) -> PreparedEntry:
    """Sanitise one parsed entry and derive its stored fields."""
    html = sanitize_html(entry.content_html or entry.summary_html or "", entry.url or base_url)
    text = html_to_text(html) if html else ""
    url = entry.url
    canon = None
    if url:
        try:
            canon = canonical_url(url)
        except ValueError:
            canon = None
    return PreparedEntry(
        entry_key=entry.key,
        guid=entry.guid,
        url=url,
        canonical_url=canon,
        title=entry.title or "",
        author=entry.author,
        published=_iso(entry.published) if entry.published else fetched_at,
        updated=_iso(entry.updated) if entry.updated else None,
        content_html=html,
        text=text,
        content_hash=content_hash(entry.title or "", html),
        categories=list(entry.categories),
        feed_language=entry.language or language,
    )


def prepare_feed(body: bytes, url: str, content_type: str | None, fetched_at: str) -> PreparedFeed:
    """Parse and prepare a whole document; parse errors become ``error``, never raise."""
    from desktop.sources.parse import parse_feed

    try:
        feed = parse_feed(body, url, content_type)
    except FeedParseError as exc:
        return PreparedFeed(error=str(exc) or "not a feed")
    except Exception as exc:  # a parser bug must not kill the run; report it
        return PreparedFeed(error=f"could not parse the feed ({type(exc).__name__}: {exc})")
    entries = [prepare_entry(e, url, fetched_at, feed.language) for e in feed.entries]
    return PreparedFeed(feed.title, feed.site_url, feed.language, entries)
