"""Retention: old read/archived articles go, flagged ones and the user's tags stay,
the triage history stays usable, and a purged article never comes back with a fetch.

Every test runs on SQLite and on PostgreSQL (``store_desk``, see tests/conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from desktop.store import dialect, retention
from desktop.timeutil import to_iso, utcnow
from tests.support.factories import add_source, entry, ingest

FEED = Path(__file__).resolve().parents[1] / "fixtures" / "refresh" / "index-of-news.rss"


def _age(desk: Any, ids: list[int], days: int) -> None:
    when = to_iso(utcnow() - timedelta(days=days))
    desk.db.write(
        lambda c: c.exec_driver_sql(
            "UPDATE articles SET published = ?, fetched_at = ? "
            f"WHERE id IN ({dialect.of(c).values()})",
            (when, when, str(list(ids))),
        )
    )


def _ids(desk: Any) -> set[int]:
    return {
        r[0] for r in desk.db.read(lambda c: c.exec_driver_sql("SELECT id FROM articles").all())
    }


def test_purge_keeps_flagged_user_tagged_unread_and_recent(store_desk: Any) -> None:
    desk = store_desk
    src = add_source(desk, "https://example.org/feed", "Example")
    ids = ingest(desk, src, [entry(f"k{n}") for n in range(10)])
    old, recent = ids[:8], ids[8:]
    _age(desk, old, 40)
    _age(desk, recent, 2)
    desk.mark(ids, "read", whole_story=False)  # every article read …
    desk.mark([old[0]], "flag", whole_story=False)  # … one old one flagged
    desk.mark([old[1]], "unread", whole_story=False)  # … one old one unread again
    desk.mark([old[2]], "archive", whole_story=False)
    desk.tag([old[3]], "keep-me", True)  # the user's own tag
    desk.db.write(
        lambda c: c.exec_driver_sql(
            "INSERT INTO tags (article_id, tag, origin, score, created_at) "
            "VALUES (?, 'economy', 'model', 0.7, '2026-01-01T00:00:00Z')",
            (old[4],),
        )
    )
    desk.tag([old[4]], "economy", False)  # the user removed a model's tag: also their word
    log_before = desk.db.read(
        lambda c: c.exec_driver_sql("SELECT count(*) FROM triage_log").scalar()
    )
    report = desk.purge_old(30)
    survivors = _ids(desk)
    assert {old[0], old[1], old[3], old[4], *recent} == survivors
    assert report.purged == 4  # old[2] (archived), old[5..7] (read)
    tombs = desk.db.read(
        lambda c: c.exec_driver_sql("SELECT entry_key FROM tombstones ORDER BY 1").all()
    )
    assert [t[0] for t in tombs] == ["k2", "k5", "k6", "k7"]
    # the triage history is untouched, and undoing all of it works (purged ids are skipped)
    log_after = desk.db.read(
        lambda c: c.exec_driver_sql("SELECT count(*) FROM triage_log").scalar()
    )
    assert log_after == log_before
    while desk.undo() is not None:
        pass
    assert desk.article(old[0])["flagged"] is False  # undo reached the survivors
    assert desk.article(old[1])["read"] is False
    while desk.redo() is not None:
        pass
    assert desk.article(old[0])["flagged"] is True


def test_pending_tag_undo_protects_its_articles(store_desk: Any) -> None:
    desk = store_desk
    src = add_source(desk, "https://example.org/feed2", "Example 2")
    ids = ingest(desk, src, [entry(f"t{n}") for n in range(3)])
    _age(desk, ids, 60)
    desk.mark(ids, "read", whole_story=False)
    desk.tag([ids[0]], "temp", True)
    desk.undo()  # the tag is gone, but redo could bring it back: keep the article
    desk.purge_old(30)
    assert _ids(desk) == {ids[0]}
    assert desk.redo() is not None
    assert "temp" in desk.article(ids[0])["topics"]


def test_batches_and_disabled(store_desk: Any) -> None:
    desk = store_desk
    src = add_source(desk, "https://example.org/feed3", "Example 3")
    ids = ingest(desk, src, [entry(f"b{n}") for n in range(25)])
    _age(desk, ids, 100)
    desk.mark(ids, "archive", whole_story=False)
    assert retention.purge(desk.db, 0).purged == 0  # 0 days: retention off
    report = retention.purge(desk.db, 30, batch=10)
    assert (report.purged, report.batches) == (25, 3)
    assert _ids(desk) == set()


def test_purged_articles_do_not_come_back_on_the_next_fetch(
    store_desk: Any, feed_server: Any
) -> None:
    desk = store_desk
    feed_server.add("/feed.xml", FEED.read_bytes(), content_type="application/rss+xml")
    src = add_source(desk, feed_server.url("/feed.xml"), "Index")
    first = asyncio.run(desk.refresh([src], pool="thread"))
    ids = first.new_ids
    assert len(ids) >= 5
    _age(desk, ids[:3], 90)
    desk.mark(ids[:3], "read", whole_story=False)
    assert desk.purge_old(30).purged == 3
    desk.db.write(
        lambda c: c.exec_driver_sql("UPDATE sources SET etag = NULL, last_modified = NULL")
    )
    again = asyncio.run(desk.refresh([src], pool="thread"))
    assert again.new_articles == 0
    assert len(_ids(desk)) == len(ids) - 3


def test_tag_undo_skips_articles_gone_with_their_source(store_desk: Any) -> None:
    desk = store_desk
    keep = add_source(desk, "https://example.org/keep", "Keep")
    gone = add_source(desk, "https://example.org/gone", "Gone")
    kept_ids = ingest(desk, keep, [entry("g1"), entry("g2")])
    gone_ids = ingest(desk, gone, [entry("g3")])
    desk.tag([*kept_ids, *gone_ids], "watch", True)
    desk.delete_source(gone)
    assert not (_ids(desk) & set(gone_ids))
    changes = desk.undo()  # one lookup for all the log's articles; the missing one skipped
    assert changes is not None and set(changes.article_ids) == set(kept_ids)
    assert all("watch" not in desk.article(i)["topics"] for i in kept_ids)
