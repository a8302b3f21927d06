"""Tags per person (schema v7): alice's word is alice's, others see her additions attributed.

Two people on one store (a real SQLite file, then a throwaway PostgreSQL), the
real enrichment, retention, labels and undo log; the real command line in a
subprocess; v6 databases (a release file and a PostgreSQL one) migrated.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from desktop.service import Newsdesk
from desktop.store import counts, labels, migrations, retention, tagging
from desktop.store.database import Database
from desktop.store.queries import ArticleQuery, count_articles
from desktop.triage import actions
from tests.support import cli
from tests.support.factories import add_source, entry, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "db"


def _machine(desk: Newsdesk, rows: list[tuple[int, str, float]]) -> None:
    def work(conn: Any) -> None:
        for article_id, tag, score in rows:
            conn.exec_driver_sql(
                "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
                "VALUES (?, ?, 'model', ?, 0, '2026-01-01T00:00:00Z')",
                (article_id, tag, score),
            )

    desk.db.write(work)


def _topic_ids(desk: Newsdesk, topic: str) -> set[int]:
    rows = desk.list_articles(ArticleQuery(view="all", topic=topic, limit=500))
    n = desk.db.read(count_articles, ArticleQuery(view="all", topic=topic))
    assert n == len(rows)
    return {r.id for r in rows}


def _counts_exact(desk: Newsdesk) -> None:
    """The sidebar's topic counts (shared counts + my delta) equal a recount of mine."""
    assert desk.db.read(counts.topic_counts) == desk.db.read(tagging.effective_recount)
    assert desk.db.read(tagging.stored_delta) == desk.db.read(tagging.delta_recount)
    assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)


def test_two_people_tag_the_same_article_independently(pair) -> None:
    alice, bob = pair
    sid = add_source(alice)
    a, b, c = ingest(alice, sid, [entry("a"), entry("b"), entry("c")])
    _machine(alice, [(a, "sports", 0.9), (a, "economy", 0.5), (b, "sports", 0.8)])
    alice.tag([a], "crypto")
    alice.tag([a], "sports", False)  # alice removes the model's tag: for her only
    bob.tag([a], "ai")
    bob.tag([c], "crypto")
    shown_a = {r.id: r for r in alice.list_articles(ArticleQuery(view="all"))}
    shown_b = {r.id: r for r in bob.list_articles(ArticleQuery(view="all"))}
    assert shown_a[a].topics == ["crypto", "economy"]  # my additions first, then the machine's
    assert shown_b[a].topics == ["ai", "sports", "economy"]
    assert shown_a[a].tagged_by == {"ai": ["bob"]}
    assert shown_b[a].tagged_by == {"crypto": ["alice"]}  # alice's removal is not shown
    assert shown_b[c].topics == ["crypto"] and shown_a[c].tagged_by == {"crypto": ["bob"]}
    # --topic is my effective tags; --tagged-by shows what a person added
    assert _topic_ids(alice, "sports") == {b}
    assert _topic_ids(bob, "sports") == {a, b}
    assert _topic_ids(bob, "crypto") == {c}  # alice's crypto on a is hers, not bob's
    assert _topic_ids(alice, "crypto") == {a}
    tagged = bob.list_articles(ArticleQuery(view="all", tagged_by="alice"))
    assert [r.id for r in tagged] == [a]
    assert bob.db.read(count_articles, ArticleQuery(view="all", tagged_by="alice")) == 1
    assert {r.id for r in alice.list_articles(ArticleQuery(view="all", tagged_by="bob"))} == {
        a,
        c,
    }
    # show: my view of the tags, plus the others' additions attributed
    detail = alice.article(a)
    assert detail["topics"] == ["crypto", "economy"]
    assert detail["tagged_by"] == {"ai": ["bob"]}
    by_name = {t["name"]: t for t in detail["tags"]}
    assert by_name["sports"] == {
        "name": "sports",
        "origin": "user",
        "score": None,
        "removed": True,
        "by": "alice",
    }
    assert by_name["economy"] == {
        "name": "economy",
        "origin": "model",
        "score": 0.5,
        "removed": False,
        "by": None,
    }
    assert "ai" not in by_name
    assert {t["name"]: t["origin"] for t in bob.article(a)["tags"]} == {
        "ai": "user",
        "sports": "model",
        "economy": "model",
    }
    # the machine's opinion is kept: alice's removal left the model row in place
    machine = alice.db.read(
        lambda conn: conn.exec_driver_sql(
            "SELECT origin FROM tags WHERE article_id = ? AND tag = 'sports'", (a,)
        ).scalar()
    )
    assert machine == "model"
    # sidebar topic counts are each one's own, and exact
    assert dict(alice.db.read(counts.topic_counts)) == {"sports": 1, "economy": 1, "crypto": 1}
    assert dict(bob.db.read(counts.topic_counts)) == {
        "sports": 2,
        "economy": 1,
        "ai": 1,
        "crypto": 1,
    }
    bob.mark([a], "hide")  # hidden articles leave bob's counts, words included
    assert dict(bob.db.read(counts.topic_counts)) == {"sports": 1, "crypto": 1}
    for desk in (alice, bob):
        _counts_exact(desk)
    # a second word on the same tag changes nothing and logs nothing
    before = alice.db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM triage_log").scalar())
    assert not alice.tag([a], "crypto").article_ids
    assert not alice.tag([c], "nothing-here", False).article_ids  # nothing to remove
    after = alice.db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM triage_log").scalar())
    assert before == after


def test_undo_and_redo_touch_only_my_word(pair) -> None:
    alice, bob = pair
    sid = add_source(alice)
    (a,) = ingest(alice, sid, [entry("a")])
    _machine(alice, [(a, "sports", 0.9)])
    bob.tag([a], "sports", False)
    alice.tag([a], "sports", False)
    alice.tag([a], "crypto")
    bob.tag([a], "crypto")
    bob.tag([a], "crypto", False)  # bob takes his own word back to a removal
    assert alice.undo() is not None  # alice's crypto goes; bob's removal stays
    assert alice.article(a)["topics"] == []
    assert bob.article(a)["tags"] == [
        {"name": "crypto", "origin": "user", "score": None, "removed": True, "by": "bob"},
        {"name": "sports", "origin": "user", "score": None, "removed": True, "by": "bob"},
    ]
    assert alice.undo() is not None  # alice's removal of sports: the model's tag is back
    assert alice.article(a)["topics"] == ["sports"]
    assert bob.article(a)["topics"] == []
    assert alice.undo() is None
    assert bob.undo() is not None  # bob's removal of crypto: back to his addition
    assert bob.article(a)["topics"] == ["crypto"]
    assert alice.article(a)["tagged_by"] == {"crypto": ["bob"]}
    assert bob.undo() is not None  # bob's addition of crypto: no word at all
    words = bob.db.read(
        lambda c: c.exec_driver_sql(
            "SELECT p.name, u.tag, u.removed FROM user_tags u JOIN people p "
            "ON p.id = u.person_id ORDER BY 1, 2"
        ).fetchall()
    )
    assert [tuple(w) for w in words] == [("bob", "sports", 1)]
    assert alice.redo() is not None and alice.article(a)["topics"] == []
    assert alice.redo() is not None and alice.article(a)["topics"] == ["crypto"]
    assert bob.article(a)["tagged_by"] == {"crypto": ["alice"]}
    for desk in (alice, bob):
        _counts_exact(desk)


def test_enrichment_again_keeps_both_peoples_words(pair) -> None:
    alice, bob = pair
    sid = add_source(alice)
    text = "The striker scored twice as the champions won the football derby on Sunday."
    (a,) = ingest(alice, sid, [entry("a", "Football derby", text)])
    alice.enrich_pending()
    machine = alice.article(a)["topics"]
    assert machine, "the fast layer tags a football report"
    first = machine[0]
    alice.tag([a], first, False)
    bob.tag([a], "derby-day")
    alice.db.write(lambda c: c.exec_driver_sql("UPDATE articles SET enriched = 0"))
    alice.enrich_pending()  # rewrites every machine tag of the article
    assert first not in alice.article(a)["topics"]
    assert bob.article(a)["topics"][0] == "derby-day" and first in bob.article(a)["topics"]
    assert alice.article(a)["tagged_by"] == {"derby-day": ["bob"]}
    for desk in (alice, bob):
        _counts_exact(desk)


def test_retention_keeps_an_article_only_bob_tagged(pair) -> None:
    alice, bob = pair
    sid = add_source(alice)
    old = "2020-01-01T00:00:00Z"
    kept, gone = ingest(alice, sid, [entry("k", published=old), entry("g", published=old)])
    alice.db.write(lambda c: c.exec_driver_sql("UPDATE articles SET fetched_at = ?", (old,)))
    for desk in (alice, bob):
        desk.mark([kept, gone], "read")
    _machine(alice, [(kept, "sports", 0.5)])
    bob.tag([kept], "sports", False)  # even a removal is bob's word, and keeps the article
    bob.db.write(lambda c: c.exec_driver_sql("DELETE FROM triage_log"))  # no undo protection
    assert alice.db.write(retention.purge_batch, "2021-01-01T00:00:00Z") == 1
    assert alice.existing_ids([kept, gone]) == {kept}


def test_labels_train_on_everyones_words_latest_wins(pair) -> None:
    alice, bob = pair
    sid = add_source(alice)
    a, b = ingest(alice, sid, [entry("a"), entry("b")])

    def at(desk: Newsdesk, moment: str) -> None:  # order the words for certain
        desk.db.write(
            lambda c: c.exec_driver_sql(
                "UPDATE user_tags SET created_at = ? WHERE person_id = ? AND created_at > ?",
                (moment, desk.db.person_id, "2025"),
            )
        )

    alice.tag([a], "crypto")
    at(alice, "2024-01-01T00:00:00Z")
    bob.tag([a], "crypto", False)  # bob disagrees, later: a negative
    at(bob, "2024-01-02T00:00:00Z")
    bob.tag([b], "ai")
    at(bob, "2024-01-03T00:00:00Z")
    alice.tag([b], "ai", False)  # alice disagrees, later still
    at(alice, "2024-01-04T00:00:00Z")
    got = {(r[0], r[3]): r[4] for r in alice.db.read(labels.user_labels)}
    assert got == {(a, "crypto"): False, (b, "ai"): False}
    before = alice.db.read(labels.labels_signature)
    alice.tag([b], "ai")  # alice changes her mind: now she agrees with bob
    assert alice.db.read(labels.labels_signature) != before
    got = {(r[0], r[3]): r[4] for r in bob.db.read(labels.user_labels)}
    assert got == {(a, "crypto"): False, (b, "ai"): True}
    assert bob.db.read(labels.background_articles, 10) == []  # both articles carry words


def test_cli_tag_list_show_and_undo(data_paths, database) -> None:
    with Newsdesk.open(data_paths, database, user="alice") as alice:
        sid = add_source(alice)
        a, b = ingest(alice, sid, [entry("a"), entry("b")])
    data = data_paths.root
    out = cli.run(
        data, "--user", "alice", "tag", str(a), str(b), "--add", "crypto", database=database
    )
    assert "tag crypto: 2 changed" in out.stdout
    cli.run(data, "--user", "bob", "tag", str(b), "--add", "ai", database=database)
    as_bob = cli.run_json(
        data, "--user", "bob", "list", "--view", "all", "--json", database=database
    )
    rows = {r["id"]: r for r in as_bob}
    assert rows[a]["topics"] == [] and rows[a]["tagged_by"] == {"crypto": ["alice"]}
    assert rows[b]["topics"] == ["ai"] and rows[b]["tagged_by"] == {"crypto": ["alice"]}
    assert set(rows[a]) >= {"id", "topics", "flagged_by", "tagged_by"}
    topic = cli.run_json(
        data, "--user", "bob", "list", "--view", "all", "--topic", "crypto", "--json",
        database=database,
    )  # fmt: skip
    assert topic == []
    by_alice = cli.run_json(
        data, "--user", "bob", "list", "--view", "all", "--tagged-by", "alice", "--json",
        database=database,
    )  # fmt: skip
    assert sorted(r["id"] for r in by_alice) == [a, b]
    shown = cli.run_json(data, "--user", "alice", "show", str(b), "--json", database=database)
    assert shown["topics"] == ["crypto"] and shown["tagged_by"] == {"ai": ["bob"]}
    assert shown["tags"] == [
        {"name": "crypto", "origin": "user", "score": None, "removed": False, "by": "alice"}
    ]
    text = cli.run(data, "--user", "alice", "show", str(b), database=database).stdout
    assert "Tagged by others: ai — bob" in text
    cli.run(data, "--user", "bob", "undo", database=database)  # bob's ai only
    shown = cli.run_json(data, "--user", "alice", "show", str(b), "--json", database=database)
    assert shown["topics"] == ["crypto"] and shown["tagged_by"] == {}
    bad = cli.run(
        data, "--user", "alice", "tag", "999", "--add", "x", check=False, database=database
    )
    assert bad.returncode != 0 and "no such article" in bad.stderr


# -- migration v6 → v7 -------------------------------------------------------------------


def _words(db: Database) -> list[tuple[Any, ...]]:
    rows = db.read(
        lambda c: c.exec_driver_sql(
            "SELECT u.article_id, u.tag, p.name, u.removed FROM user_tags u "
            "JOIN people p ON p.id = u.person_id ORDER BY 1, 2, 3"
        ).fetchall()
    )
    return [tuple(r) for r in rows]


def _check_migrated_v6(alice: Database, bob: Database) -> None:
    """The content of ``make_schema_v6.py`` after v7: every word kept, per person."""
    assert _words(alice) == [
        (1, "sports", "alice", 1),
        (2, "crypto", "alice", 0),
        (3, "ai", "bob", 0),
    ]
    none_left = alice.read(
        lambda c: c.exec_driver_sql("SELECT count(*) FROM tags WHERE origin = 'user'").scalar()
    )
    assert none_left == 0
    for db in (alice, bob):
        assert db.read(counts.recount) == db.read(counts.stored_counts)
        assert db.read(counts.topic_counts) == db.read(tagging.effective_recount)
        assert db.read(tagging.stored_delta) == db.read(tagging.delta_recount)
    assert dict(alice.read(counts.topic_counts)) == {"economy": 1, "politics": 1, "crypto": 1}
    assert dict(bob.read(counts.topic_counts)) == {"economy": 1, "politics": 1, "ai": 1}
    # alice's old log entries undo her words only, the old "prev" shape included
    assert alice.write(actions.undo) is not None  # crypto on 2
    assert alice.write(actions.undo) is not None  # her removal of sports on 1 (a v6 entry)
    assert _words(alice) == [(3, "ai", "bob", 0)]
    restored = alice.read(
        lambda c: c.exec_driver_sql(
            "SELECT origin, score FROM tags WHERE article_id = 1 AND tag = 'sports'"
        ).one()
    )
    assert tuple(restored) == ("model", 0.9)  # the machine row the v6 word had replaced
    assert dict(bob.read(counts.topic_counts))["sports"] == 1
    assert alice.read(tagging.stored_delta) == alice.read(tagging.delta_recount) == []
    assert bob.write(actions.undo) is not None  # bob's ai
    assert _words(bob) == []
    assert alice.write(actions.redo) is not None  # alice removes sports again: her word
    assert _words(alice) == [(1, "sports", "alice", 1)]
    assert dict(bob.read(counts.topic_counts))["sports"] == 1
    assert alice.read(tagging.stored_delta) == alice.read(tagging.delta_recount) == [("sports", -1)]
    # purging the article takes its words and machine rows, and their counts, along
    alice.write(lambda c: c.exec_driver_sql("DELETE FROM articles WHERE id = 1"))
    for db in (alice, bob):
        assert db.read(tagging.stored_delta) == db.read(tagging.delta_recount) == []
        assert db.read(counts.topic_counts) == db.read(tagging.effective_recount)
        assert db.read(counts.recount) == db.read(counts.stored_counts)


def test_release_v6_file_migrates_every_word(tmp_path: Path) -> None:
    path = tmp_path / "schema-v6.sqlite3"
    path.write_bytes((FIXTURES / "schema-v6.sqlite3").read_bytes())
    with Database(path, user="alice") as alice, Database(path, user="bob") as bob:
        assert alice.migration.from_version == 6 and alice.migration.to_version == migrations.LATEST
        assert alice.migration.backup is not None and alice.migration.backup.exists()
        _check_migrated_v6(alice, bob)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_postgres_v6_migrates_every_word(postgres_admin_url: str) -> None:
    """The same content written into a v6 PostgreSQL database, then opened."""
    import psycopg

    from desktop.store import postgres
    from tests.support import postgres as pg

    source = sqlite3.connect(FIXTURES / "schema-v6.sqlite3")
    url = pg.fresh_database(postgres_admin_url)
    try:
        postgres.prepare(url, target=6)
        with psycopg.connect(postgres.libpq_url(url), autocommit=True) as conn:
            for table, columns in (
                ("people", "id, name, created_at"),
                ("sources", "id, url, title, created_at"),
                ("articles", "id, source_id, entry_key, title, published, fetched_at"),
                ("triage", "article_id, person_id, read, flagged, archived, hidden"),
                ("tags", "article_id, tag, origin, score, removed, created_at, person_id"),
                ("triage_log", "id, at, action, description, payload, undone, person_id"),
            ):
                rows = source.execute(f"SELECT {columns} FROM {table}").fetchall()
                marks = ", ".join(["%s"] * len(rows[0]))
                with conn.cursor() as cur:
                    cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            conn.execute("SELECT setval(pg_get_serial_sequence('people', 'id'), 3, false)")
            conn.execute("SELECT setval(pg_get_serial_sequence('triage_log', 'id'), 100, false)")
        with Database(url, user="alice") as alice, Database(url, user="bob") as bob:
            assert alice.migration.from_version == 6
            _check_migrated_v6(alice, bob)
    finally:
        source.close()
        pg.drop_database(postgres_admin_url, url)


def test_a_word_without_a_person_goes_to_the_migrating_person(tmp_path: Path) -> None:
    from desktop.store.db import make_engine, prepare

    path = tmp_path / "v6.sqlite3"
    prepare(path, target=6)
    engine = make_engine(path)
    with engine.begin() as conn:
        run = conn.exec_driver_sql
        run("INSERT INTO sources (id, url, title, created_at) VALUES (1, 'f', 'F', 'x')")
        run(
            "INSERT INTO articles (id, source_id, entry_key, title, published, fetched_at) "
            "VALUES (1, 1, 'k', 'T', '2026-01-01T00:00:00Z', 'x')"
        )
        run("INSERT INTO tags VALUES (1, 'orphan', 'user', NULL, 0, 'x', NULL)")
    engine.dispose()
    with Database(path, user="zoe") as db:
        assert _words(db) == [(1, "orphan", "zoe", 0)]
        assert db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM triage").scalar()) == 1
        assert json.dumps(db.read(counts.topic_counts)) == json.dumps([["orphan", 1]])
