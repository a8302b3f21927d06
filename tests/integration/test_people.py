"""People: read/archived/flagged per person on one store, shared articles, own undo.

Real SQLite files and a throwaway PostgreSQL (the ``database`` fixture), the real
command line in a subprocess, a real Google Reader API double for the outbox.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from desktop.service import Newsdesk
from desktop.store import counts, migrations, people
from desktop.store.database import Database
from desktop.store.db import make_engine, prepare
from desktop.store.queries import ArticleQuery, count_articles
from tests.support import cli
from tests.support.factories import add_source, entry, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "db"


def _state(desk: Newsdesk, article_id: int) -> tuple[bool, bool, bool]:
    d = desk.article(article_id)
    assert d is not None
    return d["read"], d["flagged"], d["archived"]


def _counts_exact(desk: Newsdesk) -> None:
    assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)


def test_read_flag_archive_are_per_person(pair) -> None:
    alice, bob = pair
    assert (alice.user, bob.user) == ("alice", "bob")
    sid = add_source(alice)
    ids = ingest(alice, sid, [entry(str(i)) for i in range(4)])
    a, b, c, _ = ids
    alice.mark([a], "read")
    alice.mark([b], "flag")
    alice.mark([c], "archive")
    assert _state(alice, a) == (True, False, False)
    assert _state(bob, a) == (False, False, False)  # bob still sees it unread
    assert _state(bob, c) == (False, False, False)
    # flags are visible to the others with who set them; "flagged" stays mine
    bob_rows = {r.id: r for r in bob.list_articles(ArticleQuery(view="all"))}
    assert bob_rows[b].flagged is False and bob_rows[b].flagged_by == ["alice"]
    assert bob_rows[b].to_json()["flagged_by"] == ["alice"]
    assert bob.article(b)["flagged_by"] == ["alice"]
    assert alice.article(b)["flagged_by"] == [] and alice.article(b)["flagged"] is True
    assert [r.id for r in bob.list_articles(ArticleQuery(view="flagged"))] == []
    assert [r.id for r in alice.list_articles(ArticleQuery(view="flagged"))] == [b]
    by_alice = ArticleQuery(view="all", flagged_by="alice")
    assert [r.id for r in bob.list_articles(by_alice)] == [b]
    assert bob.db.read(count_articles, by_alice) == 1
    bob.mark([b], "flag")
    assert alice.article(b)["flagged_by"] == ["bob"]
    # views and counts are each one's own
    assert len(bob.list_articles(ArticleQuery(view="unread"))) == 4
    assert {r.id for r in alice.list_articles(ArticleQuery(view="unread"))} == {b, ids[3]}
    assert alice.db.read(counts.view_counts)["unread"] == 2
    assert bob.db.read(counts.view_counts)["unread"] == 4
    assert bob.db.read(counts.view_counts)["flagged"] == 1
    _counts_exact(alice)
    _counts_exact(bob)


def test_undo_only_touches_ones_own_actions(pair) -> None:
    alice, bob = pair
    sid = add_source(alice)
    x, y = ingest(alice, sid, [entry("x"), entry("y")])
    bob.mark([x], "flag")
    alice.mark([y], "read")
    bob.tag([x], "bobs-tag")
    undone = alice.undo()
    assert undone is not None and set(undone.article_ids) == {y}
    assert _state(alice, y) == (False, False, False)
    assert _state(bob, x) == (False, True, False)  # bob's flag and tag survive alice's undo
    assert "bobs-tag" in bob.article(x)["topics"]
    assert alice.undo() is None  # nothing of alice's is left to undo
    # a user tag is bob's own: alice sees it attributed, not among her topics
    assert alice.article(x)["tagged_by"] == {"bobs-tag": ["bob"]}
    assert "bobs-tag" not in alice.article(x)["topics"]
    tag = next(t for t in bob.article(x)["tags"] if t["name"] == "bobs-tag")
    assert tag["origin"] == "user" and tag["by"] == "bob"
    assert bob.undo() is not None  # bob's tag
    assert bob.undo() is not None  # bob's flag
    assert _state(bob, x) == (False, False, False)
    assert alice.redo() is not None and _state(alice, y) == (True, False, False)


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """A PostgreSQL JSON plan node and every node below it."""
    return [plan, *(n for child in plan.get("Plans", []) for n in _plan_nodes(child))]


def test_undo_redo_and_logging_read_the_log_through_the_person_index(data_paths, database) -> None:
    """Every statement an action, an undo and a redo run on ``triage_log`` uses
    ``ix_triage_log_person``, also when bob's entries lie before 60,000 of everyone
    else's (PostgreSQL walked the primary key backwards through them for an undo)."""
    from sqlalchemy import event

    people_ = ["alice", "bob", "carol", "dave", "eve"]
    desks = [Newsdesk.open(data_paths, database, user=name) for name in people_]
    try:
        alice, bob = desks[0], desks[1]
        sid = add_source(alice)
        ids = ingest(alice, sid, [entry(str(i)) for i in range(3)])
        postgres = alice.db.dialect == "postgresql"
        series = (
            "generate_series(1, 20000) g"
            if postgres
            else "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
            "WHERE g < 20000) SELECT g FROM s)"
        )

        def fill(conn: Any) -> None:  # a long log, one person after the other
            for desk in desks:
                conn.exec_driver_sql(
                    "INSERT INTO triage_log (at, action, description, payload, undone, "
                    "person_id) SELECT 'x', 'read', 'r', '{\"kind\":\"state\",\"column\":"
                    f'"read","value":0,"ids":[{ids[0]}]}}\', '
                    f"CASE WHEN g % 50 = 0 THEN 2 ELSE 0 END, ? FROM {series}",
                    (desk.db.person_id,),
                )
            conn.exec_driver_sql("ANALYZE")

        alice.db.write(fill)
        seen: list[tuple[str, Any]] = []

        def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
            if "triage_log" in statement:
                seen.append((statement, parameters))

        event.listen(bob.db._engine, "before_cursor_execute", grab)
        bob.mark([ids[1]], "read")
        assert bob.undo() is not None and bob.redo() is not None
        bob.undo()
        bob.mark([ids[2]], "flag")  # discards the undone entry
        event.remove(bob.db._engine, "before_cursor_execute", grab)
        # SQLite: 2 per action, undo and redo; PostgreSQL: a mark and a state undo are
        # one statement each (triage.oneshot), a redo 2
        assert len(seen) == (6 if postgres else 10)
        raw = bob.db._engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, params in seen:
                if statement.lstrip().startswith("INSERT"):
                    continue
                by_id = "WHERE id =" in statement
                if postgres:  # every read of triage_log: an index scan, no filter
                    cur.execute("EXPLAIN (FORMAT JSON) " + statement, params)
                    nodes = _plan_nodes(cur.fetchone()[0][0]["Plan"])
                    scans = [
                        n
                        for n in nodes
                        if n.get("Relation Name") == "triage_log"
                        and n["Node Type"] != "ModifyTable"
                    ]
                    names = {n.get("Index Name") for n in scans}
                    assert scans and all("Index" in n["Node Type"] for n in scans), scans
                    assert all("Filter" not in n for n in scans), (statement, scans)
                    assert names <= {"triage_log_pkey", "ix_triage_log_person"}, names
                    if by_id:
                        assert "triage_log_pkey" in names, (statement, names)
                    if not by_id or statement.startswith("WITH"):
                        assert "ix_triage_log_person" in names, (statement, names)
                    continue
                cur.execute("EXPLAIN QUERY PLAN " + statement, params)
                plan = " ".join(str(r[3]) for r in cur.fetchall())
                wanted = "PRIMARY KEY" if by_id else None
                assert (wanted or "ix_triage_log_person") in plan, (statement, plan)
                assert "SCAN triage_log" not in plan, plan
        finally:
            raw.rollback()
            raw.close()
        _counts_exact(bob)
    finally:
        for desk in desks:
            desk.close()


def test_a_new_person_gets_every_article(data_paths, database) -> None:
    with Newsdesk.open(data_paths, database, user="alice") as alice:
        sid = add_source(alice)
        ids = ingest(alice, sid, [entry(str(i)) for i in range(7)])
        alice.mark(ids[:3], "read")
    with Newsdesk.open(data_paths, database, user="carol") as carol:
        assert len(carol.list_articles(ArticleQuery(view="unread"))) == 7
        assert carol.db.read(counts.view_counts)["unread"] == 7
        _counts_exact(carol)
        # articles arriving later get a row for every person
        more = ingest(carol, sid, [entry("late")])
        names = carol.db.read(
            lambda c: sorted(
                r[0]
                for r in c.exec_driver_sql(
                    "SELECT p.name FROM triage t JOIN people p ON p.id = t.person_id "
                    "WHERE t.article_id = ?",
                    (more[0],),
                )
            )
        )
        assert names == ["alice", "carol"]


def test_a_person_created_during_an_ingest_gets_its_articles(pg_url: str, data_paths) -> None:
    """PostgreSQL, several clients: an ingest transaction still open while a new person
    is created (its insert saw no such person; its ids lie above the backfill's start)
    must not leave that person without rows. Creating the person waits for it."""
    import threading
    import time

    from desktop.store.ingest import write_entries
    from desktop.timeutil import now_iso

    with Newsdesk.open(data_paths, pg_url, user="alice") as alice:
        sid = add_source(alice)
        ingest(alice, sid, [entry("old")])
        with alice.db._engine.connect() as conn:  # another client's fetch, mid-transaction
            tx = conn.begin()
            new_id = write_entries(conn, sid, [entry("in-flight")], now_iso()).new_ids[0]
            made: list[Database] = []
            maker = threading.Thread(target=lambda: made.append(Database(pg_url, user="zoe")))
            maker.start()
            time.sleep(0.5)
            waited = maker.is_alive()  # creating zoe waits for the open ingest
            tx.commit()
        maker.join(30)
        assert waited and made
        zoe = made[0]
        try:
            rows = zoe.read(
                lambda c: [
                    r[0]
                    for r in c.exec_driver_sql(
                        "SELECT article_id FROM triage WHERE person_id = ? ORDER BY 1",
                        (zoe.person_id,),
                    )
                ]
            )
        finally:
            zoe.close()
        assert new_id in rows and len(rows) == 2


def test_backfill_runs_in_resumable_batches(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    with Database(path, user="alice") as db:

        def seed(conn: Any) -> None:
            conn.exec_driver_sql(
                "INSERT INTO sources (id, url, title, created_at) VALUES (1, 'file:///f', 'F', 'x')"
            )
            conn.exec_driver_sql(
                "INSERT INTO articles (source_id, entry_key, published, fetched_at) "
                "SELECT 1, 'k' || value, '2026-01-01T00:00:00Z', 'x' FROM json_each(?)",
                ("[" + ",".join(str(i) for i in range(10)) + "]",),
            )
            conn.exec_driver_sql(
                "INSERT INTO triage (article_id, person_id) SELECT id, 1 FROM articles"
            )

        db.write(seed)
        dave = db.write(people.ensure, "dave")
        # a row written meanwhile (say, by another client): its batch counts row by row
        db.write(
            lambda c: c.exec_driver_sql(
                "INSERT INTO triage (article_id, person_id, read) VALUES (2, ?, 1)", (dave,)
            )
        )
        steps = 0
        while db.write(lambda c: people.backfill_step(c, dave, 3)):
            steps += 1
            if steps == 2:  # stop half-way: the next step continues from where it was
                left = db.read(
                    lambda c: c.exec_driver_sql(
                        "SELECT backfill_left FROM people WHERE id = ?", (dave,)
                    ).scalar()
                )
                assert left == 4
        assert steps == 4
        n = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT count(*) FROM triage WHERE person_id = ?", (dave,)
            ).scalar()
        )
        assert n == 10
    with Database(path, user="dave") as db:
        assert db.read(counts.recount) == db.read(counts.stored_counts)
        assert db.read(counts.view_counts)["unread"] == 9


def _v4_database(path: Path) -> None:
    """A schema-v4 database with triage state, an undo log, a user tag and an account."""
    prepare(path, target=4)
    engine = make_engine(path)
    with engine.begin() as conn:
        run = conn.exec_driver_sql
        run("INSERT INTO sources (id, url, title, created_at) VALUES (1, 'file:///f', 'F', 'x')")
        for i in (1, 2, 3):
            run(
                "INSERT INTO articles (id, source_id, entry_key, title, published, fetched_at, "
                "language) VALUES (?, 1, ?, 'T', '2026-01-01T00:00:00Z', 'x', 'en')",
                (i, f"k{i}"),
            )
            run("INSERT INTO triage (article_id) VALUES (?)", (i,))
        run("UPDATE triage SET read = 1 WHERE article_id = 1")
        run("UPDATE triage SET flagged = 1 WHERE article_id = 2")
        run(
            "INSERT INTO triage_log (at, action, description, payload, undone) VALUES "
            '(\'x\', \'read\', \'read 1\', \'{"kind":"state","column":"read","value":1,'
            '"ids":[1]}\', 0)'
        )
        run("INSERT INTO tags VALUES (3, 'mine', 'user', NULL, 0, 'x')")
        run(
            "INSERT INTO accounts (id, kind, url, username, created_at) "
            "VALUES (1, 'fever', 'http://127.0.0.1:9/', 'u', 'x')"
        )
    engine.dispose()


def test_migration_from_v4_gives_the_state_to_the_running_user(tmp_path: Path) -> None:
    path = tmp_path / "v4.sqlite3"
    _v4_database(path)
    with Database(path, user="carol") as db:
        assert db.migration.from_version == 4 and db.migration.to_version == migrations.LATEST
        assert db.migration.backup is not None and db.migration.backup.exists()
        assert db.person_id == 1
        rows = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT article_id, person_id, read, flagged FROM triage ORDER BY article_id"
            ).fetchall()
        )
        assert [tuple(r) for r in rows] == [(1, 1, 1, 0), (2, 1, 0, 1), (3, 1, 0, 0)]
        one = lambda sql: db.read(lambda c: c.exec_driver_sql(sql).scalar())  # noqa: E731
        assert one("SELECT name FROM people WHERE id = 1") == "carol"
        assert one("SELECT person_id FROM triage_log") == 1
        assert one("SELECT person_id FROM user_tags WHERE tag = 'mine'") == 1
        assert one("SELECT person_id FROM accounts") == 1
        assert db.read(counts.recount) == db.read(counts.stored_counts)
        # the old log entry is carol's to undo
        from desktop.triage import actions

        assert db.write(actions.undo) is not None
        assert one("SELECT read FROM triage WHERE article_id = 1") == 0
    # the language-change trigger keeps every person's counts (rebuilt on the new table)
    with Database(path, user="erin") as db:
        db.write(lambda c: c.exec_driver_sql("UPDATE articles SET language = 'de' WHERE id = 2"))
        assert db.read(counts.recount) == db.read(counts.stored_counts)
    with Database(path, user="carol") as db:
        assert db.read(counts.recount) == db.read(counts.stored_counts)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


@pytest.mark.parametrize("version", [4, 5])
def test_release_fixture_migrates(tmp_path: Path, version: int) -> None:
    """v4 (before notify) and v5 (notify: ``article_counts.slot``) release files."""
    path = tmp_path / f"schema-v{version}.sqlite3"
    path.write_bytes((FIXTURES / f"schema-v{version}.sqlite3").read_bytes())
    with Database(path, user="frank") as db:
        assert db.migration.from_version == version
        flagged = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT count(*) FROM triage WHERE flagged = 1 AND person_id = ?", (db.person_id,)
            ).scalar()
        )
        assert flagged == 2
        assert db.read(counts.view_counts) == {
            "inbox": 4,
            "unread": 4,
            "flagged": 2,
            "archived": 0,
            "all": 4,
        }
        assert db.read(counts.recount) == db.read(counts.stored_counts)
        slots = db.read(
            lambda c: c.exec_driver_sql("SELECT DISTINCT slot FROM article_counts").fetchall()
        )
        assert [tuple(r) for r in slots] == [(0,)]
    from desktop.triage import actions

    with Database(path, user="gina") as db:  # a second person: counts of their own
        assert db.read(counts.view_counts)["unread"] == 5
        db.write(lambda c: actions.set_state(c, [1, 2], "archive"))
        assert db.read(counts.recount) == db.read(counts.stored_counts)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_fresh_database_has_no_phantom_person(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    prepare(path, user="root")
    with Database(path, user="alice") as db:
        assert db.read(people.names) == {db.person_id: "alice"}


# -- the outbox follows the account's person -------------------------------------------


def test_outbox_only_for_the_accounts_person(tmp_path: Path) -> None:
    from desktop.sync import accounts
    from desktop.sync.engine import SyncEngine
    from desktop.triage import actions
    from tests.support.greader_server import GReaderServer

    path = tmp_path / "n.sqlite3"
    with GReaderServer(flavour="freshrss") as server:
        feed = server.add_feed("World")
        items = server.add_items(feed, 4)
        server.set_state(items[3], read=True)
        alice = Database(path, user="alice")
        bob = Database(path, user="bob")
        try:
            account = alice.write(accounts.add, "greader", server.base_url, "alice")
            assert alice.read(accounts.rows)[0]["person"] == "alice"
            engine = SyncEngine(alice, lambda a: "correct horse battery")
            [report] = asyncio.run(engine.sync())
            assert report.ok, report.error

            def local(remote: int) -> int:
                return alice.read(
                    lambda c: c.exec_driver_sql(
                        "SELECT article_id FROM remote_items WHERE remote_id = ?", (str(remote),)
                    ).scalar()
                )

            def state(db: Database, article: int) -> tuple[int, int]:
                return db.read(
                    lambda c: tuple(
                        c.exec_driver_sql(
                            "SELECT read, flagged FROM triage WHERE article_id = ? "
                            "AND person_id = ?",
                            (article, db.person_id),
                        ).one()
                    )
                )

            # the server's read state came to alice only
            assert state(alice, local(items[3])) == (1, 0)
            assert state(bob, local(items[3])) == (0, 0)
            outbox = lambda: alice.read(  # noqa: E731
                lambda c: c.exec_driver_sql("SELECT article_id, field FROM outbox").fetchall()
            )
            bob.write(lambda c: actions.set_state(c, [local(items[0])], "read"))
            bob.write(lambda c: actions.set_state(c, [local(items[1])], "flag"))
            assert outbox() == []
            alice.write(lambda c: actions.set_state(c, [local(items[2])], "flag"))
            assert [tuple(r) for r in outbox()] == [(local(items[2]), "flagged")]
            [report] = asyncio.run(engine.sync())
            assert report.ok and report.pushed == 1
            assert server.items[items[2]].starred
            assert not server.items[items[0]].read and not server.items[items[1]].starred
            # a second sync does not queue bob's differences either
            [report] = asyncio.run(SyncEngine(bob, lambda a: "correct horse battery").sync())
            assert report.ok and report.pushed == 0 and outbox() == []
            assert account == 1
        finally:
            bob.close()
            alice.close()


# -- the command line ------------------------------------------------------------------


def test_cli_user_option(tmp_path: Path) -> None:
    data = tmp_path / "data"
    feed = Path(__file__).resolve().parents[1] / "fixtures" / "refresh" / "index-of-news.rss"
    cli.run(data, "--user", "alice", "add", str(feed))
    cli.run(data, "--user", "alice", "fetch", "--all", "--no-enrich")
    rows = cli.run_json(data, "--user", "alice", "list", "--view", "all", "--json")
    assert rows, "the fixture feed has entries"
    first, second = rows[0]["id"], rows[1]["id"]
    cli.run(data, "--user", "alice", "mark", "--read", str(first))
    cli.run(data, "--user", "alice", "mark", "--flag", str(second))
    bob = {
        r["id"]: r for r in cli.run_json(data, "--user", "bob", "list", "--view", "all", "--json")
    }
    assert bob[first]["read"] is False
    assert bob[second]["flagged"] is False and bob[second]["flagged_by"] == ["alice"]
    theirs = cli.run_json(data, "--user", "bob", "list", "--flagged-by", "alice", "--json")
    assert [r["id"] for r in theirs] == [second]
    shown = cli.run_json(data, "--user", "bob", "show", str(second), "--json")
    assert shown["flagged_by"] == ["alice"]
    assert set(rows[0]) >= {"id", "read", "flagged", "archived", "flagged_by"}
    # the environment variable names the person too; undo is one's own
    env_bob = cli.run(data, "undo", check=False, env={"NEWSDESK_USER": "bob"})
    assert env_bob.returncode == 0 and "nothing to undo" in env_bob.stdout
    cli.run(data, "--user", "alice", "undo")
    alice = {
        r["id"]: r for r in cli.run_json(data, "--user", "alice", "list", "--view", "all", "--json")
    }
    assert alice[second]["flagged"] is False
    assert alice[first]["read"] is True
    empty = cli.run(data, "--user", "", "list", check=False)
    assert empty.returncode != 0 and "--user" in empty.stderr


def test_postgres_migration_from_v4(postgres_admin_url: str) -> None:
    import psycopg

    from desktop.store import postgres
    from tests.support import postgres as pg

    url = pg.fresh_database(postgres_admin_url)
    try:
        postgres.prepare(url, target=4)
        with psycopg.connect(postgres.libpq_url(url), autocommit=True) as conn:
            run = conn.execute
            run("INSERT INTO sources (id, url, title, created_at) VALUES (1, 'f', 'F', 'x')")
            for i in (1, 2):
                run(
                    "INSERT INTO articles (id, source_id, entry_key, published, fetched_at) "
                    "VALUES (%s, 1, %s, '2026-01-01T00:00:00Z', 'x')",
                    (i, f"k{i}"),
                )
                run("INSERT INTO triage (article_id) VALUES (%s)", (i,))
            run("UPDATE triage SET flagged = 1 WHERE article_id = 2")
            run(
                "INSERT INTO triage_log (at, action, payload) VALUES "
                '(\'x\', \'flag\', \'{"kind":"state","column":"flagged","value":1,'
                '"ids":[2]}\')'
            )
        with Database(url, user="carol") as carol, Database(url, user="dan") as dan:
            assert carol.person_id == 1 and dan.person_id == 2
            assert carol.read(counts.view_counts)["flagged"] == 1
            assert dan.read(counts.view_counts) == {
                "inbox": 2,
                "unread": 2,
                "flagged": 0,
                "archived": 0,
                "all": 2,
            }
            for db in (carol, dan):
                assert db.read(counts.recount) == db.read(counts.stored_counts)
            from desktop.triage import actions

            assert dan.write(actions.undo) is None  # the old log is carol's
            assert carol.write(actions.undo) is not None
            assert carol.read(counts.view_counts)["flagged"] == 0
            # the id sequence continues after the migrated person
            assert dan.write(people.ensure, "erin") == 3
    finally:
        pg.drop_database(postgres_admin_url, url)


def test_postgres_plans_for_a_new_person_after_the_backfill(
    data_paths, postgres_admin_url: str
) -> None:
    """Once bob's rows exist the planner knows them: re-reading 1,000 notified rows for
    bob no longer matches each of bob's triage rows against every id (it took bob for a
    person without rows while the statistics had only seen alice's: 0.7 s a re-read)."""
    from sqlalchemy import event

    from tests.support import postgres as pg

    url = pg.fresh_database(postgres_admin_url)
    try:
        with Newsdesk.open(data_paths, url, user="alice") as alice:
            sid = add_source(alice)

            def fill(conn: Any) -> None:
                conn.exec_driver_sql(
                    "INSERT INTO articles (source_id, entry_key, published, fetched_at, text) "
                    "SELECT ?, 'k' || g, '2026-01-01T00:00:00Z', 'x', repeat('words ', 100) "
                    "FROM generate_series(1, 5000) g",
                    (sid,),
                )
                conn.exec_driver_sql(
                    "INSERT INTO triage (article_id, person_id) SELECT id, ? FROM articles "
                    "WHERE true ON CONFLICT DO NOTHING",
                    (alice.db.person_id,),
                )
                conn.exec_driver_sql("ANALYZE")  # what autovacuum saw: alice's rows only

            alice.db.write(fill)
        with Newsdesk.open(data_paths, url, user="bob") as bob:
            ids = bob.db.read(
                lambda c: [r[0] for r in c.exec_driver_sql("SELECT id FROM articles LIMIT 1000")]
            )
            seen: list[tuple[str, Any]] = []

            def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
                seen.append((statement, parameters))

            event.listen(bob.db._read_engine, "before_cursor_execute", grab)
            assert len(bob.db.read(counts.ids_matching, ArticleQuery(view="inbox"), ids)) == 1000
            event.remove(bob.db._read_engine, "before_cursor_execute", grab)
            [(statement, params)] = [s for s in seen if "triage" in s[0]]
            plan = bob.db.read(
                lambda c: "\n".join(
                    r[0]
                    for r in c.connection.driver_connection.execute(
                        "EXPLAIN ANALYZE " + statement, params
                    )
                )
            )
            # the bad plan matched every one of bob's rows against every id (5,000,000)
            removed = [int(n) for n in re.findall(r"Rows Removed by Join Filter: (\d+)", plan)]
            assert sum(removed) < 10_000, plan
    finally:
        pg.drop_database(postgres_admin_url, url)


def test_the_headless_fetcher_is_not_a_person(data_paths) -> None:
    with Newsdesk.open(data_paths, user="newsdesk-serve", person=False) as fetcher:
        assert fetcher.db.person_id is None
        sid = add_source(fetcher)
        ingest(fetcher, sid, [entry("1"), entry("2")])
        assert fetcher.db.read(people.names) == {}
    with Newsdesk.open(data_paths, user="alice") as alice:
        assert len(alice.list_articles(ArticleQuery(view="unread"))) == 2
        assert alice.db.read(people.names) == {alice.db.person_id: "alice"}
