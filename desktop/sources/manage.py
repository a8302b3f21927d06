"""Managing subscriptions: rename, move, enable/disable, properties, delete, retry, discover.

Functions taking ``conn`` run on the writer (``desk.db.write(fn, ...)``) or a
reader (``desk.db.read``). Deleting a source can keep its flagged articles:
they move to one disabled "Kept articles" source, so the user's flags and
tags survive while the subscription goes. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, fields
from typing import Any

from desktop.store import dialect
from desktop.timeutil import now_iso

KEPT_URL = "newsdesk:kept-articles"
"""The pseudo-source holding flagged articles of deleted sources (never fetched)."""
KEPT_TITLE = "Kept articles (deleted sources)"


class ManageError(ValueError):
    """A request the user can fix (no such source, a clash); the message says how."""


@dataclass(slots=True)
class SourceProperties:
    """What the source properties dialog edits (the secret itself is never here)."""

    id: int
    url: str
    title: str
    folder: str | None
    enabled: bool
    refresh_minutes: int | None
    """None: the default from the settings."""
    remote_images: bool
    full_article: bool
    language: str | None
    """Language override: every article of the source gets this language."""
    username: str | None
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    failures: int
    next_fetch_at: str | None


EDITABLE = frozenset(
    {
        "title",
        "folder",
        "enabled",
        "refresh_minutes",
        "remote_images",
        "full_article",
        "language",
        "username",
    }
)


def _row(conn: Any, source_id: int) -> Any:
    row = conn.exec_driver_sql(
        "SELECT id, url, title, folder, enabled, refresh_minutes, remote_images, full_article, "
        "language, username, last_success, last_error, last_error_at, failures, next_fetch_at "
        "FROM sources WHERE id = ?",
        (source_id,),
    ).fetchone()
    if row is None:
        raise ManageError(f"no source {source_id}")
    return row


def properties(conn: Any, source_id: int) -> SourceProperties:
    """A source's editable properties and its fetch status."""
    r = _row(conn, source_id)
    return SourceProperties(
        id=r[0],
        url=r[1],
        title=r[2] or "",
        folder=r[3],
        enabled=bool(r[4]),
        refresh_minutes=r[5],
        remote_images=bool(r[6]),
        full_article=bool(r[7]),
        language=r[8],
        username=r[9],
        last_success=r[10],
        last_error=r[11],
        last_error_at=r[12],
        failures=int(r[13] or 0),
        next_fetch_at=r[14],
    )


def _clean(name: str, value: Any) -> Any:
    if name in ("folder", "language", "username"):
        value = (value or "").strip() or None
        if name == "folder" and value is not None:
            value = "/".join(p.strip() for p in value.split("/") if p.strip()) or None
        if name == "language" and value is not None:
            value = value.lower()
            if not value.replace("-", "").isalpha() or len(value) > 8:
                raise ManageError(f"not a language code: {value!r} (use e.g. en, de, pt-br)")
        return value
    if name == "title":
        return (value or "").strip()
    if name in ("enabled", "remote_images", "full_article"):
        return 1 if value else 0
    if name == "refresh_minutes":
        if value in (None, "", 0):
            return None
        minutes = int(value)
        if minutes < 1:
            raise ManageError("the refresh interval must be at least one minute")
        return minutes
    raise ManageError(f"{name} cannot be edited")


def update(conn: Any, source_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Set some of :data:`EDITABLE` on a source; returns what really changed.

    Enabling a source, or changing its interval, makes it due at once.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ManageError(f"cannot edit {', '.join(sorted(unknown))}")
    current = properties(conn, source_id)
    cleaned = {k: _clean(k, v) for k, v in changes.items()}

    def stored(name: str) -> Any:
        value = getattr(current, name)
        return int(value) if isinstance(value, bool) else value

    changed = {k: v for k, v in cleaned.items() if stored(k) != v}
    if not changed:
        return {}
    sets = ", ".join(f"{k} = ?" for k in changed)
    conn.exec_driver_sql(f"UPDATE sources SET {sets} WHERE id = ?", (*changed.values(), source_id))
    if changed.get("enabled") == 1 or "refresh_minutes" in changed:
        conn.exec_driver_sql(
            "UPDATE sources SET next_fetch_at = NULL, failures = 0 WHERE id = ?", (source_id,)
        )
    if "language" in changed:
        # the override applies to what is stored too: re-enrich the source's articles
        conn.exec_driver_sql("UPDATE articles SET enriched = 0 WHERE source_id = ?", (source_id,))
    return changed


def rename(conn: Any, source_id: int, title: str) -> dict[str, Any]:
    """Give a source another title."""
    if not title.strip():
        raise ManageError("a source needs a title")
    return update(conn, source_id, {"title": title})


def move(conn: Any, source_id: int, folder: str | None) -> dict[str, Any]:
    """Put a source into ``folder`` (None: no folder)."""
    return update(conn, source_id, {"folder": folder})


def set_enabled(conn: Any, source_id: int, enabled: bool) -> dict[str, Any]:
    """Disable (never fetched) or enable (due at once) a source."""
    return update(conn, source_id, {"enabled": enabled})


def rename_folder(conn: Any, old: str, new: str | None) -> int:
    """Rename a folder (None or '' dissolves it); returns how many sources moved."""
    new = _clean("folder", new)
    cur = conn.exec_driver_sql("UPDATE sources SET folder = ? WHERE folder = ?", (new, old))
    return int(cur.rowcount)


def retry_now(conn: Any, source_id: int) -> None:
    """Make a failing source due at once (the caller then refreshes it)."""
    _row(conn, source_id)
    conn.exec_driver_sql("UPDATE sources SET next_fetch_at = NULL WHERE id = ?", (source_id,))


@dataclass(frozen=True, slots=True)
class Deleted:
    """What deleting a source did."""

    source_id: int
    url: str
    username: str | None
    deleted_articles: int
    kept_articles: int
    kept_source_id: int | None


def _kept_source(conn: Any) -> int:
    row = conn.exec_driver_sql("SELECT id FROM sources WHERE url = ?", (KEPT_URL,)).fetchone()
    if row:
        return int(row[0])
    cur = conn.exec_driver_sql(
        "INSERT INTO sources (url, title, enabled, created_at) VALUES (?, ?, 0, ?) RETURNING id",
        (KEPT_URL, KEPT_TITLE, now_iso()),
    )
    return int(cur.scalar_one())


def flagged_count(conn: Any, source_id: int) -> int:
    """How many of a source's articles are flagged, by anyone (the delete dialog asks)."""
    return int(
        conn.exec_driver_sql(
            "SELECT count(*) FROM articles a WHERE a.source_id = ? AND EXISTS "
            "(SELECT 1 FROM triage t WHERE t.article_id = a.id AND t.flagged = 1)",
            (source_id,),
        ).scalar()
    )


def delete(conn: Any, source_id: int, keep_flagged: bool = True) -> Deleted:
    """Unsubscribe: delete the source and its articles (triage and tags go with them).

    With ``keep_flagged``, articles flagged by anyone move to the "Kept articles" source
    first, keeping their triage state, tags and story. Tombstones of the source
    are dropped (a later re-subscription is a new source). The caller removes
    the source's secret from the keyring.
    """
    r = _row(conn, source_id)
    if r[1] == KEPT_URL:
        keep_flagged = False
    kept = 0
    kept_id = None
    if keep_flagged:
        ids = [
            x[0]
            for x in conn.exec_driver_sql(
                "SELECT a.id FROM articles a WHERE a.source_id = ? AND EXISTS "
                "(SELECT 1 FROM triage t WHERE t.article_id = a.id AND t.flagged = 1)",
                (source_id,),
            ).fetchall()
        ]
        if ids:
            kept_id = _kept_source(conn)
            conn.exec_driver_sql(
                "UPDATE articles SET source_id = ?, entry_key = ? || ':' || entry_key "
                f"WHERE id IN ({dialect.of(conn).values()})",
                (kept_id, str(source_id), json.dumps(ids)),
            )
            kept = len(ids)
    count = conn.exec_driver_sql(
        "SELECT count(*) FROM articles WHERE source_id = ?", (source_id,)
    ).scalar()
    conn.exec_driver_sql("DELETE FROM articles WHERE source_id = ?", (source_id,))
    conn.exec_driver_sql("DELETE FROM tombstones WHERE source_id = ?", (source_id,))
    conn.exec_driver_sql("DELETE FROM sources WHERE id = ?", (source_id,))
    return Deleted(source_id, r[1], r[9], int(count or 0), kept, kept_id)


def folders(conn: Any) -> list[str]:
    """Every folder in use, sorted."""
    return [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT DISTINCT folder FROM sources WHERE folder IS NOT NULL ORDER BY folder"
        ).fetchall()
    ]


# -- discovery ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedChoice:
    """A feed the user can subscribe to, as found at a URL."""

    url: str
    title: str
    kind: str
    items: int | None = None
    """Entries in the feed when it was fetched and parsed (None: only linked)."""


async def discover(url: str, settings: Any = None) -> list[FeedChoice]:
    """The feeds at ``url``: the feed itself, or every feed a web page advertises.

    Raises :class:`ManageError` with a readable reason when there is nothing.
    """
    from desktop.service import normalise_url
    from desktop.sources.discover import find_feeds
    from desktop.sources.feed import FeedParseError
    from desktop.sources.http import Fetcher, HttpSettings
    from desktop.sources.parse import parse_feed

    url = normalise_url(url)
    async with Fetcher(settings or HttpSettings()) as fetcher:
        result = await fetcher.fetch(url)
        if result.error:
            raise ManageError(f"could not fetch {url}: {result.error}")
        body = result.body or b""
        try:
            feed = await asyncio.to_thread(parse_feed, body, result.final_url, result.content_type)
        except FeedParseError as exc:
            found = find_feeds(body, result.final_url)
            if not found:
                raise ManageError(f"{url} is not a feed and links to none ({exc})") from exc
            return [FeedChoice(f.url, f.title or f.url, f.kind) for f in found]
        return [
            FeedChoice(
                result.permanent_url or url, feed.title or url, feed.format, len(feed.entries)
            )
        ]


def property_names() -> list[str]:
    """Field names of :class:`SourceProperties` (for forms and tests)."""
    return [f.name for f in fields(SourceProperties)]
