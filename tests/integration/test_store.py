"""Storage on real databases: upsert identity, triage safety, migrations, undo.

Tests taking ``store_desk`` or ``database`` run on SQLite and on PostgreSQL (see
tests/conftest.py); the others are about SQLite files (versions, FTS5 triggers).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from desktop.store import migrations
from desktop.store.database import Database
from desktop.store.db import NewerSchemaError, integrity_ok, prepare
from desktop.store.queries import ArticleQuery
from tests.support.factories import add_source, entry, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "db"


def test_refetch_never_duplicates_and_keeps_triage(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    ids = ingest(desk, sid, [entry("a"), entry("b"), entry("c")])
    assert len(ids) == 3
    desk.mark([ids[0]], "flag")
    desk.mark([ids[1]], "archive")
    desk.tag([ids[2]], "mine", True)
    # the same entries again, one with new content
    again = ingest(desk, sid, [entry("a", body="Changed body"), entry("b"), entry("c")])
    assert again == []
    rows = {r.id: r for r in desk.list_articles(ArticleQuery(view="all"))}
    assert len(rows) == 3
    assert rows[ids[0]].flagged and rows[ids[1]].archived
    assert "mine" in rows[ids[2]].topics
    assert desk.article(ids[0])["text"] == "Changed body"


def test_updated_count_only_counts_real_changes(store_desk) -> None:
    desk = store_desk
    from desktop.store.ingest import write_entries
    from desktop.timeutil import now_iso

    sid = add_source(desk)
    ingest(desk, sid, [entry("a"), entry("b")])
    result = desk.db.write(write_entries, sid, [entry("a", body="new"), entry("b")], now_iso())
    assert (result.new_ids, result.updated) == ([], 1)


def test_tombstoned_entries_do_not_come_back(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    (aid,) = ingest(desk, sid, [entry("gone")])

    def purge(conn):
        conn.exec_driver_sql(
            "INSERT INTO tombstones (source_id, entry_key, purged_at) VALUES (?, 'gone', 'x')",
            (sid,),
        )
        conn.exec_driver_sql("DELETE FROM articles WHERE id = ?", (aid,))

    desk.db.write(purge)
    assert ingest(desk, sid, [entry("gone"), entry("new")]) != []
    titles = [r.title for r in desk.list_articles(ArticleQuery(view="all"))]
    assert titles == ["Title new"]


def test_undo_redo_bulk_and_across_restart(data_paths, database) -> None:
    from desktop.service import Newsdesk

    with Newsdesk.open(data_paths, database) as desk:
        sid = add_source(desk)
        ids = ingest(desk, sid, [entry(str(i)) for i in range(500)])
        desk.mark(ids[:10], "read")
        changes = desk.mark(ids, "read")  # bulk: only the 490 unread ones change
        assert len(changes.article_ids) == 490
    with Newsdesk.open(data_paths, database) as desk:  # a restart
        undone = desk.undo()
        assert undone is not None and len(undone.article_ids) == 490
        unread = desk.list_articles(ArticleQuery(view="unread", limit=1000))
        assert len(unread) == 490
        desk.undo()
        assert len(desk.list_articles(ArticleQuery(view="unread", limit=1000))) == 500
        assert desk.redo() is not None
        assert len(desk.list_articles(ArticleQuery(view="unread", limit=1000))) == 490
        desk.mark([ids[0]], "flag")  # a new action drops the redo stack
        assert desk.redo() is None
        assert desk.undo().fields == frozenset({"flagged"})


def test_user_tag_undo_restores_model_tag(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    (aid,) = ingest(desk, sid, [entry("x")])
    desk.db.write(
        lambda c: c.exec_driver_sql(
            "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
            "VALUES (?, 'economy', 'model', 0.7, 0, 'now')",
            (aid,),
        )
    )
    desk.tag([aid], "economy", False)
    assert desk.article(aid)["topics"] == []
    desk.undo()
    tags = desk.article(aid)["tags"]
    assert tags == [
        {"name": "economy", "origin": "model", "score": 0.7, "removed": False, "by": None}
    ]


def test_keyset_pages_cover_everything_once(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    ingest(desk, sid, [entry(str(i), published="2026-01-01T00:00:00Z") for i in range(120)])
    seen: list[int] = []
    after = None
    while True:
        page = desk.list_articles(ArticleQuery(view="all", limit=50, after=after))
        if not page:
            break
        seen.extend(r.id for r in page)
        after = (page[-1].published, page[-1].id)
    assert len(seen) == len(set(seen)) == 120


def test_search_uses_fts(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    ingest(desk, sid, [entry("1", "Inflation in Peru", "Цените растат"), entry("2", "Sports")])
    assert [r.title for r in desk.list_articles(ArticleQuery(search="peru"))] == [
        "Inflation in Peru"
    ]
    assert [r.title for r in desk.list_articles(ArticleQuery(search="цените"))] == [
        "Inflation in Peru"
    ]
    assert desk.list_articles(ArticleQuery(search='"); DROP TABLE x; --')) == []


def _populate(db: Database) -> None:
    def work(conn):
        conn.exec_driver_sql(
            "INSERT INTO sources (id, url, title, created_at) VALUES (1, 'file:///f', 'F', 'now')"
        )
        conn.exec_driver_sql(
            "INSERT INTO articles (id, source_id, entry_key, title, published, fetched_at) "
            "VALUES (1, 1, 'k', 'T', '2026-01-01T00:00:00Z', 'now')"
        )
        conn.exec_driver_sql(
            "INSERT INTO triage (article_id, person_id, read, flagged) VALUES (1, ?, 1, 1)",
            (db.person_id,),
        )
        conn.exec_driver_sql(
            "INSERT INTO user_tags (article_id, tag, person_id, removed, created_at) "
            "VALUES (1, 'mine', ?, 0, 'now')",
            (db.person_id,),
        )

    db.write(work)


@pytest.mark.parametrize("version", range(1, migrations.LATEST + 1))
def test_database_from_each_schema_version_opens(tmp_path: Path, version: int) -> None:
    path = tmp_path / "old.sqlite3"
    prepare(path, target=version)
    db = Database.__new__(Database)  # write through a raw engine at the old version
    from desktop.store.db import make_engine

    engine = make_engine(path)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sources (id, url, title, created_at) VALUES (1, 'file:///f', 'F', 'now')"
        )
        conn.exec_driver_sql(
            "INSERT INTO articles (id, source_id, entry_key, title, published, fetched_at) "
            "VALUES (1, 1, 'k', 'T', '2026-01-01T00:00:00Z', 'now')"
        )
        if version < 6:
            conn.exec_driver_sql("INSERT INTO triage (article_id, read, flagged) VALUES (1, 1, 1)")
        else:  # people: the first one is created when the database is first opened
            conn.exec_driver_sql(
                "INSERT INTO people (id, name, created_at) VALUES (1, 'owner', 'now')"
            )
            conn.exec_driver_sql(
                "INSERT INTO triage (article_id, person_id, read, flagged) VALUES (1, 1, 1, 1)"
            )
    engine.dispose()
    del db
    with Database(path, user="owner") as db:
        assert db.migration.to_version == migrations.LATEST
        if version < migrations.LATEST:
            assert db.migration.backup is not None and db.migration.backup.exists()
        row = db.read(lambda c: c.exec_driver_sql("SELECT read, flagged FROM triage").one())
        assert tuple(row) == (1, 1)
    assert integrity_ok(path)[0]


def test_release_fixture_databases_open(tmp_path: Path) -> None:
    """Databases written by earlier releases (kept in tests/fixtures/db) open and keep data."""
    fixtures = sorted(FIXTURES.glob("schema-v*.sqlite3"))
    assert fixtures, "no release database fixtures"
    for fixture in fixtures:
        path = tmp_path / fixture.name
        shutil.copy(fixture, path)
        with Database(path) as db:
            flagged = db.read(
                lambda c: c.exec_driver_sql(
                    "SELECT count(*) FROM triage WHERE flagged = 1"
                ).scalar()
            )
            assert flagged > 0
            words = db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM user_tags").scalar())
            assert words > 0  # v7: the user's tag words moved out of ``tags``
            left = db.read(
                lambda c: c.exec_driver_sql(
                    "SELECT count(*) FROM tags WHERE origin='user'"
                ).scalar()
            )
            assert left == 0


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    prepare(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(NewerSchemaError, match="newer version of Newsdesk"):
        Database(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    from desktop.store.db import DatabaseError

    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError):
        Database(path)


def test_languages_shown_filter_keeps_unknown_visible(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    ids = ingest(desk, sid, [entry("en1"), entry("de1"), entry("x1"), entry("n1")])
    langs = dict(zip(ids, ["en", "de", "und", None], strict=True))

    def set_langs(conn):
        for article_id, lang in langs.items():
            conn.exec_driver_sql(
                "UPDATE articles SET language = ? WHERE id = ?", (lang, article_id)
            )

    desk.db.write(set_langs)
    from desktop.store.queries import count_articles

    q = ArticleQuery(view="all", languages=("en",))
    shown = {r.id for r in desk.list_articles(q)}
    assert shown == {ids[0], ids[2], ids[3]}
    assert desk.db.read(count_articles, q) == 3


def _fts_ok(db: Database) -> None:
    """The FTS index agrees with the articles table, and the insert trigger is in place."""

    def check(conn):
        conn.exec_driver_sql(
            "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"
        )
        return conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_fts_ai'"
        ).scalar()

    assert db.write(check) is not None


def _titles(desk, search: str) -> list[str]:
    return sorted(r.title for r in desk.list_articles(ArticleQuery(search=search)))


def test_deferred_fts_indexes_a_batch_like_the_trigger(desk) -> None:
    from desktop.sources.refresh import _write_batch
    from desktop.store.ingest import write_entries
    from desktop.timeutil import now_iso

    a, b, c = (add_source(desk, f"https://example.org/{n}") for n in "abc")
    ingest(desk, a, [entry("old", "Old quokka news", "Before the batch")])
    trigger = desk.db.read(
        lambda conn: conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'articles_fts_ai'"
        ).scalar()
    )

    def broken(conn, source_id, entries, at):
        write_entries(conn, source_id, entries, at)
        raise RuntimeError("this source's update fails after writing")

    now = now_iso()
    out = desk.db.write(
        _write_batch,
        [
            (write_entries, (a, [entry("old", "Old quokka news", "Rewritten wombat")], now)),
            (write_entries, (b, [entry("b1", "Platypus report"), entry("b2", "Numbat")], now)),
            (broken, (c, [entry("c1", "Echidna rollback")], now)),
        ],
        True,
    )
    assert [ok for ok, _ in out] == [True, True, False]
    assert _titles(desk, "platypus") == ["Platypus report"]
    assert _titles(desk, "numbat") == ["Numbat"]
    assert _titles(desk, "echidna") == [], "a rolled-back source leaves nothing in the index"
    assert _titles(desk, "wombat") == ["Old quokka news"], "updates still reindex"
    assert _titles(desk, "before") == []
    _fts_ok(desk.db)
    assert (
        desk.db.read(
            lambda conn: conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'articles_fts_ai'"
            ).scalar()
        )
        == trigger
    )
    # outside a batch the restored trigger indexes as before
    ingest(desk, c, [entry("c2", "Bilby after")])
    assert _titles(desk, "bilby") == ["Bilby after"]
    _fts_ok(desk.db)


def test_deferred_fts_leaves_an_unknown_trigger_alone(desk) -> None:
    from desktop.store.ingest import defer_fts, index_deferred

    sid = add_source(desk)
    custom = (
        "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
        "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, "
        "new.text || ' extra'); END"
    )

    def swap(conn):
        conn.exec_driver_sql("DROP TRIGGER articles_fts_ai")
        conn.exec_driver_sql(custom)

    desk.db.write(swap)

    def batch(conn):
        deferred = defer_fts(conn)
        from desktop.store.ingest import write_entries
        from desktop.timeutil import now_iso

        write_entries(conn, sid, [entry("x", "Kiwi")], now_iso())
        index_deferred(conn, deferred)
        return deferred

    assert desk.db.write(batch) is None
    assert _titles(desk, "extra") == ["Kiwi"], "the custom trigger did the indexing"


def test_search_finds_a_hindi_word_not_its_pieces(store_desk) -> None:
    # FTS5 cuts "समाचार" at its vowel signs (the search asks for the pieces in a row);
    # PostgreSQL's parser keeps it whole (the search must not ask for pieces)
    desk = store_desk
    sid = add_source(desk)
    ingest(desk, sid, [entry("1", "भारत समाचार आज"), entry("2", "सम रचना च")])
    assert [r.title for r in desk.list_articles(ArticleQuery(search="समाचार"))] == [
        "भारत समाचार आज"
    ]
    assert [r.title for r in desk.list_articles(ArticleQuery(search="भार"))] == ["भारत समाचार आज"]
