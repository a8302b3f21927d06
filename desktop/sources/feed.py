"""Plain values that flow from fetching and parsing into ingest.

These are the contract between ``sources.http``/``sources.parse`` and the
rest of the backend; they carry no behaviour and import nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class ParsedEntry:
    """One entry of a feed, as parsed (HTML not yet sanitised)."""

    key: str
    """Identity within its source: guid, else link, else a hash of title+content."""
    guid: str | None
    url: str | None
    """Absolute link to the original article (relative links resolved)."""
    title: str
    author: str | None
    published: datetime | None
    """UTC, timezone-aware; None when the feed gave no usable date."""
    updated: datetime | None
    content_html: str
    """The fullest body the feed gave (content, else summary), raw HTML, with
    relative URLs already resolved against the entry/feed base."""
    summary_html: str | None = None
    categories: list[str] = field(default_factory=list)
    language: str | None = None
    """The language the feed declares for this entry or itself, if any."""


@dataclass(slots=True)
class ParsedFeed:
    """A whole parsed feed document."""

    format: str
    """'rss', 'atom', 'rdf' or 'json'."""
    title: str | None
    site_url: str | None
    language: str | None
    entries: list[ParsedEntry]
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FetchResult:
    """What one HTTP (or file://) fetch produced. Never raises for network faults."""

    url: str
    """The URL that was asked for."""
    final_url: str
    """Where the body came from after redirects."""
    permanent_url: str | None = None
    """Set when every redirect hop was permanent (301/308): the source should move."""
    status: int | None = None
    not_modified: bool = False
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    """Seconds the server asked us to wait (429/503 Retry-After), if any."""
    gone: bool = False
    """410 Gone: the source should be disabled."""
    error: str | None = None
    """A short human-readable reason when the fetch failed, else None."""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class FeedParseError(ValueError):
    """The document is not a feed we can read; the message is shown to the user."""
