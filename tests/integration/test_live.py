"""Live updates on PostgreSQL: two clients on one database see each other's commits.

Each test opens two ``Newsdesk`` facades on a fresh database of the throwaway
server (``postgres_admin_url``), so the notifications travel between separate
connections exactly as between two machines.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any

import pytest

from desktop.paths import resolve_data_dir
from desktop.store import live
from tests.support.factories import add_source, entry, ingest


@pytest.fixture
def two(tmp_path, pg_url) -> Iterator[tuple[Any, Any]]:
    """Two clients (each its own data folder) on the same PostgreSQL database."""
    from desktop.service import Newsdesk

    a = Newsdesk.open(resolve_data_dir(tmp_path / "a"), pg_url)
    b = Newsdesk.open(resolve_data_dir(tmp_path / "b"), pg_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


class Inbox:
    """What a listener delivered, with the time each batch arrived."""

    def __init__(self) -> None:
        self.batches: queue.Queue[tuple[float, list[live.Notice]]] = queue.Queue()

    def __call__(self, batch: list[live.Notice]) -> None:
        self.batches.put((time.monotonic(), batch))

    def until(self, predicate: Any, timeout: float) -> tuple[float, list[live.Notice]]:
        """Notices up to and including the first one ``predicate`` accepts."""
        seen: list[live.Notice] = []
        end = time.monotonic() + timeout
        while True:
            try:
                at, batch = self.batches.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"not received within {timeout} s; got {seen}") from None
            seen += batch
            if any(predicate(n) for n in batch):
                return at, seen

    def drain(self, wait: float) -> list[live.Notice]:
        time.sleep(wait)
        out: list[live.Notice] = []
        while not self.batches.empty():
            out += self.batches.get()[1]
        return out


def _articles(desk: Any, n: int = 5) -> list[int]:
    src = add_source(desk, "https://example.org/feed", "Wire")
    return ingest(desk, src, [entry(f"k{i}", f"Story {i}") for i in range(n)])


def test_a_mark_in_one_client_reaches_the_other_within_a_second(two) -> None:
    a, b = two
    ids = _articles(a)
    heard_b, heard_a = Inbox(), Inbox()
    assert b.listen(heard_b).wait_listening() and a.listen(heard_a).wait_listening()
    started = time.monotonic()
    a.mark([ids[2]], "read")
    at, _notices = heard_b.until(lambda n: n.kind == "triage" and ids[2] in n.ids, 1.0)
    assert at - started < 1.0
    assert b.article(ids[2])["read"]  # the row re-read from the database says so
    # the writer's own client does not hear its echo
    assert not [n for n in heard_a.drain(0.3) if ids[2] in n.ids]
    # and b's own action reaches a
    b.mark([ids[3]], "flag")
    heard_a.until(lambda n: n.kind == "triage" and n.ids == frozenset({ids[3]}), 1.0)


def test_tags_undo_new_articles_and_deletes_are_announced(two) -> None:
    a, b = two
    ids = _articles(a)
    heard = Inbox()
    assert b.listen(heard).wait_listening()
    a.tag([ids[0], ids[1]], "economy", True)
    heard.until(lambda n: n.kind == "tags" and n.ids == frozenset(ids[:2]), 2.0)
    a.mark([ids[4]], "archive")
    heard.until(lambda n: n.kind == "triage" and ids[4] in n.ids, 2.0)
    a.undo()
    heard.until(lambda n: n.kind == "triage" and ids[4] in n.ids, 2.0)
    assert not b.article(ids[4])["archived"]
    src = a.db.read(lambda c: c.exec_driver_sql("SELECT min(id) FROM sources").scalar())
    new = ingest(a, src, [entry("fresh", "Fresh story")])
    heard.until(lambda n: n.kind == "new" and n.ids == frozenset(new), 2.0)
    a.db.write(
        lambda c: c.exec_driver_sql("UPDATE articles SET language = 'de' WHERE id = ?", (new[0],))
    )
    heard.until(lambda n: n.kind == "articles" and n.ids == frozenset(new), 2.0)
    a.db.write(lambda c: c.exec_driver_sql("DELETE FROM articles WHERE id = ?", (new[0],)))
    heard.until(lambda n: n.kind == "gone" and n.ids == frozenset(new), 2.0)
    # a statement that changes nothing sends nothing; a rolled-back one neither
    a.mark([ids[0]], "unread")  # already unread
    from desktop.triage import actions

    def rolled_back(conn: Any) -> None:
        actions.set_state(conn, [ids[0]], "flag")
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        a.db.write(rolled_back)
    assert heard.drain(0.3) == []


def test_too_many_ids_for_one_payload_become_a_reload_marker(two) -> None:
    a, b = two
    src = add_source(a, "https://example.org/big", "Big")
    ids = ingest(a, src, [entry(f"b{i}", f"Item {i}") for i in range(900)])
    heard = Inbox()
    assert b.listen(heard).wait_listening()
    a.mark(ids, "read", whole_story=False)
    _at, notices = heard.until(lambda n: n.kind == "triage", 2.0)
    assert [n.reload for n in notices if n.kind == "triage"] == [True]
    a.mark(ids[:50], "flag", whole_story=False)
    _at, notices = heard.until(lambda n: n.kind == "triage" and not n.reload, 2.0)
    assert notices[-1].ids == frozenset(ids[:50])


def test_the_listener_reconnects_and_asks_for_a_reload(two, postgres_admin_url) -> None:
    import psycopg

    from desktop.store.postgres import libpq_url

    a, b = two
    ids = _articles(a)
    heard = Inbox()
    listener = b.listen(heard)
    assert listener.wait_listening()
    pid = listener.pid
    with psycopg.connect(libpq_url(postgres_admin_url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    heard.until(lambda n: n.kind == live.RECONNECTED and n.reload, 10.0)
    assert listener.connects == 2 and listener.pid != pid
    a.mark([ids[1]], "flag")
    heard.until(lambda n: n.kind == "triage" and ids[1] in n.ids, 2.0)


def test_stop_is_prompt_and_sqlite_has_no_listener(two, data_paths) -> None:
    from desktop.service import Newsdesk

    a, _b = two
    listener = a.listen(Inbox())
    assert listener.wait_listening()
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 1.0 and not listener.listening
    with Newsdesk.open(data_paths) as local:
        assert local.listen(Inbox()) is None and not local.live


def test_payloads_parse() -> None:
    assert live.parse("triage:3,1,2", 7, 1.0) == live.Notice(
        "triage", frozenset({1, 2, 3}), False, 7, 1.0
    )
    assert live.parse("new:*").reload
    assert live.parse("garbage") is None and live.parse("tags:x,1") is None
    changed, gone, reload = live.merge(
        [live.parse("tags:1,2"), live.parse("gone:3"), live.parse("triage:*")]
    )
    assert (changed, gone, reload) == ({1, 2}, {3}, True)


def test_notify_triggers_survive_the_people_migration(tmp_path, pg_url) -> None:
    """A v5 (notify) database with counts over several slots migrates to v6 (people):
    the notify triggers are still there and fire, one person's change reaches another
    person's listener, who re-reads their own state; counts stay exact per person."""
    import psycopg

    from desktop.paths import DataPaths
    from desktop.service import Newsdesk
    from desktop.store import counts, migrations, postgres

    postgres.prepare(pg_url, target=5)
    with psycopg.connect(postgres.libpq_url(pg_url), autocommit=True) as conn:
        conn.execute("INSERT INTO sources (id, url, title, created_at) VALUES (1, 'f', 'F', 'x')")
        for i in (1, 2, 3, 4):
            conn.execute(
                "INSERT INTO articles (id, source_id, entry_key, published, fetched_at, language) "
                "VALUES (%s, 1, %s, '2026-01-01T00:00:00Z', 'x', 'en')",
                (i, f"k{i}"),
            )
            conn.execute("INSERT INTO triage (article_id) VALUES (%s)", (i,))
        conn.execute("UPDATE triage SET flagged = 1 WHERE article_id = 2")
    with psycopg.connect(postgres.libpq_url(pg_url), autocommit=True) as other:
        other.execute("UPDATE triage SET read = 1 WHERE article_id IN (1, 3)")
        other.execute("UPDATE triage SET read = 0 WHERE article_id = 3")
    carol = Newsdesk.open(DataPaths(tmp_path / "c"), pg_url, user="carol")
    dan = Newsdesk.open(DataPaths(tmp_path / "d"), pg_url, user="dan")
    try:
        assert carol.db.migration.from_version == 5
        assert carol.db.migration.to_version == migrations.LATEST >= 7
        names = carol.db.read(
            lambda c: [
                r[0]
                for r in c.exec_driver_sql(
                    "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'notify_%' ORDER BY 1"
                )
            ]
        )
        assert names == [
            "notify_articles_del",
            "notify_articles_ins",
            "notify_articles_upd",
            "notify_tags_del",
            "notify_tags_ins",
            "notify_tags_upd",
            "notify_triage_ins",
            "notify_triage_upd",
            "notify_user_tags_del",  # v7: a person's tag words
            "notify_user_tags_ins",
            "notify_user_tags_upd",
        ]
        assert carol.db.read(counts.recount) == carol.db.read(counts.stored_counts)
        assert carol.db.read(counts.view_counts)["flagged"] == 1
        assert carol.db.read(counts.view_counts)["unread"] == 3
        heard_dan, heard_carol = Inbox(), Inbox()
        assert dan.listen(heard_dan).wait_listening()
        assert carol.listen(heard_carol).wait_listening()
        carol.mark([4], "flag", whole_story=False)
        heard_dan.until(lambda n: n.kind == "triage" and n.ids == frozenset({4}), 2.0)
        shown = dan.article(4)  # dan re-reads *his* state: not flagged, but carol's flag shows
        assert shown["flagged"] is False and shown["flagged_by"] == ["carol"]
        dan.mark([1, 4], "read", whole_story=False)
        heard_carol.until(lambda n: n.kind == "triage" and n.ids == frozenset({1, 4}), 2.0)
        assert carol.article(4)["read"] is False and carol.article(1)["read"] is True
        # a language change moves every person's count rows (fixed order per person)
        carol.db.write(
            lambda c: c.exec_driver_sql("UPDATE articles SET language = 'de' WHERE id = 4")
        )
        heard_dan.until(lambda n: n.kind == "articles" and n.ids == frozenset({4}), 2.0)
        for desk in (carol, dan):
            assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)
        assert dan.db.read(counts.view_counts)["unread"] == 2
        # a tag word is one person's, and it reaches the other window (v7's triggers)
        carol.tag([3], "crypto")
        heard_dan.until(lambda n: n.kind == "tags" and n.ids == frozenset({3}), 2.0)
        assert dan.article(3)["tagged_by"] == {"crypto": ["carol"]}
        assert "crypto" not in dan.article(3)["topics"]
        carol.undo()
        heard_dan.until(lambda n: n.kind == "tags" and n.ids == frozenset({3}), 2.0)
        assert dan.article(3)["tagged_by"] == {}
    finally:
        dan.close()
        carol.close()


def test_an_enrichment_batch_sends_one_articles_notice(two) -> None:
    """The enrichment writer updates a batch with one statement (a notice each)."""
    a, b = two
    src = add_source(a, "https://example.org/feed", "Wire")
    ids = ingest(a, src, [entry(f"k{i}", f"Story number {i} about harbours") for i in range(40)])
    heard = Inbox()
    assert b.listen(heard).wait_listening()
    assert a.enrich_pending(batch=256)[0] == 40
    articles = [n for n in heard.drain(0.5) if n.kind == "articles"]
    assert len(articles) == 1, articles
    assert articles[0].ids == frozenset(ids)
    assert b.article(ids[0])["language"] == "en"
