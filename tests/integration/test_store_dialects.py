"""The read queries, trigger-kept counts, search and undo on SQLite and on PostgreSQL.

Every test taking ``store_desk`` runs once per database (tests/conftest.py): the
PostgreSQL variant on a fresh database of a throwaway server.
"""

from __future__ import annotations

from typing import Any

import pytest

from desktop.store import counts, dialect, queries
from desktop.store.queries import ArticleQuery
from tests.support.factories import add_source, entry, ingest


def _sql_in(ids: list[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def _setup(desk: Any) -> tuple[int, int, list[int]]:
    a = add_source(desk, "https://example.org/a", "beta news", folder="World")
    b = add_source(desk, "https://example.org/b", "Alpha wire")
    ids = ingest(
        desk,
        a,
        [
            entry("1", "zebra crossing", published="2026-01-01T00:00:03Z"),
            entry("2", "Apple harvest", published="2026-01-01T00:00:02Z"),
            entry("3", "banana prices", published="2026-01-01T00:00:01Z"),
        ],
    )
    ids += ingest(desk, b, [entry("4", "Cherry blossom", published="2026-01-01T00:00:04Z")])
    return a, b, ids


def test_counts_stay_exact_through_triage_tags_and_deletes(store_desk) -> None:
    desk = store_desk
    ids = _setup(desk)[2]
    desk.mark([ids[0]], "read")
    desk.mark([ids[1]], "flag")
    desk.mark([ids[2]], "archive")
    desk.tag(ids[:2], "economy", True)
    desk.tag([ids[3]], "sport", True)
    desk.tag([ids[0]], "economy", False)
    desk.db.write(
        lambda c: c.exec_driver_sql("UPDATE articles SET language = 'de' WHERE id = ?", (ids[3],))
    )
    assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)
    views = desk.db.read(counts.view_counts)
    assert views == {"inbox": 2, "unread": 2, "flagged": 1, "archived": 1, "all": 3}
    assert dict(desk.db.read(counts.topic_counts)) == {"economy": 1, "sport": 1}
    assert dict(desk.db.read(counts.language_counts)) == {"und": 3, "de": 1}
    desk.undo()  # the tag removal comes back
    assert dict(desk.db.read(counts.topic_counts)) == {"economy": 2, "sport": 1}
    desk.db.write(lambda c: c.exec_driver_sql("DELETE FROM articles WHERE id = ?", (ids[1],)))
    assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)
    assert desk.db.read(counts.view_counts)["flagged"] == 0
    side = desk.db.read(counts.sidebar_counts)
    assert [s["title"] for s in side.sources] == ["Alpha wire", "beta news"]
    assert side.folders() == [("World", 0)]  # one read, one archived, one deleted


def test_sorted_pages_ignore_case_and_cover_everything(store_desk) -> None:
    desk = store_desk
    _setup(desk)
    q = ArticleQuery(view="all", limit=2)
    seen: list[str] = []
    after = None
    while True:
        rows, after = desk.db.read(counts.sorted_page, q, "title", False, after)
        seen += [r.title for r in rows]
        if after is None:
            break
    assert seen == ["Apple harvest", "banana prices", "Cherry blossom", "zebra crossing"]
    rows, _ = desk.db.read(counts.sorted_page, ArticleQuery(limit=10), "source", True, None)
    assert rows[0].source == "beta news"


def test_filters_ids_and_story_queries(store_desk) -> None:
    desk = store_desk
    a, b, ids = _setup(desk)
    desk.db.write(
        lambda c: c.exec_driver_sql(
            f"UPDATE articles SET story_id = {ids[0]} WHERE id IN ({_sql_in(ids[:2])})"
        )
    )
    both = ArticleQuery(view="all", source_ids=(a, b))
    assert sorted(desk.db.read(counts.view_ids, both)) == sorted(ids)
    assert desk.db.read(queries.count_articles, both) == 4
    assert desk.db.read(queries.count_articles, ArticleQuery(view="all", folder="World")) == 3
    assert desk.db.read(counts.ids_matching, ArticleQuery(source_ids=(b,)), ids) == {ids[3]}
    assert desk.db.read(queries.story_members, [ids[0]]) == sorted(ids[:2])
    assert desk.db.read(counts.story_sizes, [ids[0]]) == {ids[0]: 2}
    assert {r.id for r in desk.db.read(counts.rows_by_id, ids)} == set(ids)
    fresh = desk.db.read(counts.fresh_rows, ArticleQuery(), ArticleQuery(), [ids[1]], True)
    assert {r.id for r in fresh.rows} == set(ids) and fresh.sizes == {ids[0]: 2}
    detail = desk.article(ids[0])
    assert [c["id"] for c in detail["story_copies"]] == [ids[1]]


def test_search_words_prefix_case_and_hostile_input(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    ingest(
        desk,
        sid,
        [
            entry("1", "Inflation in Peru", "Prices rose 50% in Lima"),
            entry("2", "Peruvian football", "A match"),
            entry("3", "Weather", "Sunny"),
        ],
    )

    def titles(text: str, **kw: Any) -> list[str]:
        rows = desk.list_articles(ArticleQuery(search=text, **kw))
        return sorted(r.title for r in rows)

    assert titles("PERU") == ["Inflation in Peru", "Peruvian football"]  # last word: prefix
    assert titles("peru lima") == ["Inflation in Peru"]  # every word
    assert titles("lim") == ["Inflation in Peru"]
    assert titles("50% OR 1=1; --") == []
    assert titles("'\\") == []
    assert desk.db.read(queries.count_articles, ArticleQuery(view="all", search="peru")) == 2


def test_undo_redo_of_tags_and_marks(store_desk) -> None:
    desk = store_desk
    _, _, ids = _setup(desk)
    desk.tag(ids, "watch", True)
    desk.mark(ids[:2], "flag")
    assert desk.undo().fields == frozenset({"flagged"})
    assert desk.undo().fields == frozenset({"tags"})
    assert all(desk.article(i)["topics"] == [] for i in ids)
    desk.redo()
    assert all(desk.article(i)["topics"] == ["watch"] for i in ids)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ? FROM t WHERE a = :b", "SELECT %s FROM t WHERE a = %(b)s"),
        ("SELECT '?', 'it''s :x %', \"c?\" FROM t", "SELECT '?', 'it''s :x %%', \"c?\" FROM t"),
        ("SELECT CAST(x AS text)::int, ? -- why?\n", "SELECT CAST(x AS text)::int, %s -- why?\n"),
        ("SELECT a LIKE '%x%' FROM t WHERE b = ?", "SELECT a LIKE '%%x%%' FROM t WHERE b = %s"),
    ],
)
def test_placeholders_translate_for_psycopg(sql: str, expected: str) -> None:
    assert dialect.translate(sql) == expected


def test_database_urls_resolve(tmp_path, monkeypatch) -> None:
    from desktop.paths import ENV_DATABASE_URL, resolve_data_dir, resolve_database

    paths = resolve_data_dir(tmp_path / "d")
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    assert resolve_database(None, paths) == paths.database
    monkeypatch.setenv(ENV_DATABASE_URL, "postgres://u@h/db")
    assert resolve_database(None, paths) == "postgresql://u@h/db"
    assert resolve_database(str(tmp_path / "x.sqlite3"), paths) == tmp_path / "x.sqlite3"
    with pytest.raises(ValueError, match="unsupported"):
        resolve_database("mysql://h/db", paths)


def test_postgres_schema_matches_models_and_sqlite(postgres_admin_url, tmp_path) -> None:
    """Both migration scripts build the same tables and columns as the SQLModel classes
    (PostgreSQL adds only ``articles.search``, its tsvector); reopening is a no-op."""
    import sqlite3

    from sqlmodel import SQLModel

    import desktop.store.models  # noqa: F401  (registers the tables)
    from desktop.store import migrations, postgres
    from desktop.store.db import prepare
    from tests.support import postgres as server

    url = server.fresh_database(postgres_admin_url)
    try:
        assert postgres.prepare(url).to_version == migrations.LATEST
        again = postgres.prepare(url)
        assert (again.from_version, again.to_version) == (migrations.LATEST, migrations.LATEST)
        assert postgres.schema_version(url) == migrations.LATEST
        import psycopg

        with psycopg.connect(postgres.libpq_url(url)) as conn:
            rows = conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name != 'schema_version'"
            ).fetchall()
        pg: dict[str, set[str]] = {}
        for table, column in rows:
            pg.setdefault(table, set()).add(column)
        path = tmp_path / "s.sqlite3"
        prepare(path)
        lite = sqlite3.connect(path)
        names = [
            r[0]
            for r in lite.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'articles_fts%' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        sqlite_cols = {n: {r[1] for r in lite.execute(f"PRAGMA table_info({n})")} for n in names}
        lite.close()
        assert pg["articles"] - sqlite_cols["articles"] == {"search"}
        pg["articles"].discard("search")
        assert pg == sqlite_cols
        for table in SQLModel.metadata.sorted_tables:
            assert pg[table.name] == {c.name for c in table.columns}, table.name
    finally:
        server.drop_database(postgres_admin_url, url)
