"""Build rows for tests through the real ingest code (no SQL shortcuts)."""

from __future__ import annotations

from typing import Any

from desktop.sources.prepare import content_hash
from desktop.store.ingest import PreparedEntry, write_entries
from desktop.timeutil import now_iso


def entry(
    key: str, title: str = "", body: str = "", published: str | None = None, url: str | None = None
) -> PreparedEntry:
    """A prepared entry with plain-text body."""
    title = title or f"Title {key}"
    body = body or f"Body of {key}."
    return PreparedEntry(
        entry_key=key,
        guid=key,
        url=url or f"https://example.org/{key}",
        canonical_url=url or f"https://example.org/{key}",
        title=title,
        author=None,
        published=published or now_iso(),
        updated=None,
        content_html=f"<p>{body}</p>",
        text=body,
        content_hash=content_hash(title, f"<p>{body}</p>"),
        categories=[],
        feed_language=None,
    )


def add_source(
    desk: Any,
    url: str = "https://example.org/feed",
    title: str = "Example",
    folder: str | None = None,
) -> int:
    """Insert a source row through the service's writer."""
    from desktop.service import _insert_source

    return desk.db.write(_insert_source, url, title, folder, None)


def ingest(desk: Any, source_id: int, entries: list[PreparedEntry]) -> list[int]:
    """Write entries with the real upsert; returns new article ids."""
    return desk.db.write(write_entries, source_id, entries, now_iso()).new_ids
