"""Search finds Arabic and Hebrew words with or without their points, on both stores.

Tests taking ``store_desk`` run on SQLite and on PostgreSQL (tests/conftest.py).
The index holds text without points from schema v8 (``v0008_search_points``):
``schema-v7.sqlite3`` (tests/fixtures/db/make_schema_v7.py, written by the v7
code) holds an index with points, and must come out of the migration with every
row as it was and its old vowelled articles findable.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from desktop.store import migrations
from desktop.store.database import Database
from desktop.store.queries import ArticleQuery
from tests.support.factories import add_source, entry, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "db"

VOWELLED_AR = ("كَتَبَ الوَلَدُ الدَّرْسَ", "قَرَأَ الكِتَابَ فِي المَدْرَسَةِ")
BARE_AR = ("خبر اليوم", "مـرحـبـا بالعالم")  # tatweel in the text
POINTED_HE = ("הַמֶּמְשָׁלָה הֶחְלִיטָה", "שָׁלוֹם עוֹלָם")
BARE_HE = ("חדשות הבוקר", "מזג האוויר")


def _titles(desk: Any, search: str) -> list[str]:
    return sorted(r.title for r in desk.list_articles(ArticleQuery(search=search)))


def _fill(desk: Any) -> None:
    sid = add_source(desk)
    ingest(
        desk,
        sid,
        [
            entry(f"k{i}", title, text)
            for i, (title, text) in enumerate((VOWELLED_AR, BARE_AR, POINTED_HE, BARE_HE))
        ],
    )


def test_a_vowelled_article_is_found_by_bare_words(store_desk) -> None:
    desk = store_desk
    _fill(desk)
    for query in ("كتب", "الولد", "الدرس", "الكتاب", "المدرسة", "كتب الدرس", "المدر"):
        assert _titles(desk, query) == [VOWELLED_AR[0]], query
    for query in ("הממשלה", "החליטה", "שלום", "עולם", "הממשלה עולם", "הממש"):
        assert _titles(desk, query) == [POINTED_HE[0]], query
    assert _titles(desk, "الولد خبر") == [], "every word must match"


def test_a_bare_article_is_found_by_vowelled_words(store_desk) -> None:
    desk = store_desk
    _fill(desk)
    for query in ("خَبَرُ", "اليَوْمِ", "خَبَرُ اليَوْمِ", "مَرْحَبًا", "مـرحـبـا", "بِالعَالَمِ"):
        assert _titles(desk, query) == [BARE_AR[0]], query
    for query in ("חֲדָשׁוֹת", "הַבּוֹקֶר", "חֲדָשׁוֹת הַבּוֹקֶר", "מֶזֶג"):
        assert _titles(desk, query) == [BARE_HE[0]], query


def test_vowelled_words_find_vowelled_articles(store_desk) -> None:
    desk = store_desk
    _fill(desk)
    assert _titles(desk, "كَتَبَ") == [VOWELLED_AR[0]]
    assert _titles(desk, "كَتَبَ الوَلَدُ") == [VOWELLED_AR[0]]
    assert _titles(desk, "שָׁלוֹם") == [POINTED_HE[0]]


LATIN = [("Café Müller naïve", "Crème brûlée"), ("Cafe Muller naive", "Creme brulee")]
LATIN_FOUND = {
    # as before schema v8: FTS5's ``remove_diacritics 2`` folds Latin accents, the
    # PostgreSQL 'simple' configuration keeps them
    "sqlite": {
        "café": [0, 1],
        "cafe": [0, 1],
        "müller": [0, 1],
        "muller": [0, 1],
        "brûlée": [0, 1],
        "brulee": [0, 1],
    },
    "postgresql": {
        "café": [0],
        "cafe": [1],
        "müller": [0],
        "muller": [1],
        "brûlée": [0],
        "brulee": [1],
    },
}


def test_latin_accents_behave_as_before(store_desk) -> None:
    desk = store_desk
    sid = add_source(desk)
    ingest(desk, sid, [entry(str(i), title, text) for i, (title, text) in enumerate(LATIN)])
    for query, found in LATIN_FOUND[desk.db.dialect].items():
        assert _titles(desk, query) == sorted(LATIN[i][0] for i in found), query


def test_rewritten_and_deleted_articles_leave_nothing_behind(store_desk) -> None:
    from desktop.sources.refresh import _write_batch
    from desktop.store.ingest import write_entries
    from desktop.timeutil import now_iso

    desk = store_desk
    a, b = add_source(desk, "https://example.org/a"), add_source(desk, "https://example.org/b")
    (first,) = ingest(desk, a, [entry("x", *VOWELLED_AR)])
    # a refetch rewrites it (the update trigger), a refresh batch adds more (deferred)
    ingest(desk, a, [entry("x", *POINTED_HE)])
    (done,) = desk.db.write(
        _write_batch,
        [(write_entries, (b, [entry("y", *BARE_AR), entry("z", *VOWELLED_AR)], now_iso()))],
        True,
    )
    assert done[0], done[1]
    assert _titles(desk, "كتب") == [VOWELLED_AR[0]]
    assert _titles(desk, "שלום") == [POINTED_HE[0]]
    assert _titles(desk, "مرحبا") == [BARE_AR[0]]
    desk.db.write(lambda c: c.exec_driver_sql("DELETE FROM articles WHERE id = ?", (first,)))
    assert _titles(desk, "שלום") == []
    assert _titles(desk, "كتب") == [VOWELLED_AR[0]]
    if desk.db.path is not None:
        assert _index_terms(desk.db.path) == _expected_terms(desk.db.path)


# -- SQLite: the index is exactly the text without points ------------------------------


def _vocab(conn: sqlite3.Connection, schema: str, table: str) -> list[tuple[Any, ...]]:
    name = f"vocab_{schema}_{table}"
    conn.execute(f"CREATE VIRTUAL TABLE temp.{name} USING fts5vocab({schema}, {table}, instance)")
    return conn.execute(
        f"SELECT term, doc, col, offset FROM temp.{name} ORDER BY term, doc, col, offset"
    ).fetchall()


def _index_terms(path: Path) -> list[tuple[Any, ...]]:
    """Every (term, article, column, position) of ``articles_fts``."""
    conn = sqlite3.connect(path)
    try:
        return _vocab(conn, "main", "articles_fts")
    finally:
        conn.close()


def _expected_terms(path: Path) -> list[tuple[Any, ...]]:
    """The same of a fresh FTS5 table, same tokenizer, filled with the text without points."""
    from desktop.store.db import connect_raw

    conn = connect_raw(path)
    try:
        conn.execute(
            "CREATE VIRTUAL TABLE temp.expect USING fts5("
            "title, text, tokenize='unicode61 remove_diacritics 2')"
        )
        conn.execute(
            "INSERT INTO temp.expect (rowid, title, text) "
            "SELECT id, strip_points(title), strip_points(text) FROM articles"
        )
        return _vocab(conn, "temp", "expect")
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the full-text index's own."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'articles_fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {n: sorted(conn.execute(f"SELECT * FROM {n}").fetchall(), key=repr) for n in names}


def _snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return _rows(conn)
    finally:
        conn.close()


def test_release_v7_file_migrates_and_finds_its_vowelled_articles(tmp_path: Path) -> None:
    from desktop.store import counts

    path = tmp_path / "schema-v7.sqlite3"
    path.write_bytes((FIXTURES / "schema-v7.sqlite3").read_bytes())
    before = _snapshot(path)
    assert len(before["articles"]) == 6 and len(before["triage"]) == 12
    assert len(before["tags"]) == 2 and len(before["user_tags"]) == 3
    assert _index_terms(path) != _expected_terms(path), "v7 indexed the points"
    with Database(path, user="alice") as alice:
        assert (alice.migration.from_version, alice.migration.to_version) == (7, migrations.LATEST)
        assert alice.migration.backup is not None and alice.migration.backup.exists()
        assert alice.read(counts.recount) == alice.read(counts.stored_counts)

        def ids(search: str, view: str = "all") -> list[int]:
            q = ArticleQuery(view=view, search=search)
            return sorted(r.id for r in alice.read(_list, q))

        assert ids("كتب") == ids("كَتَبَ") == [1]
        assert ids("المدرسة") == [1]
        assert ids("הממשלה") == ids("הַמֶּמְשָׁלָה") == [2]
        assert ids("كِتَابٌ") == ids("كتاب") == [3]
        assert ids("مرحبا") == [3]
        assert ids("السلام") == ids("السَّلَامُ عَلَيْكُمْ") == [5]
        assert ids("cafe") == ids("crème") == [4]  # archived by alice
        assert ids("cafe", view="inbox") == []
        assert ids("كتب", view="flagged") == [1]  # alice's triage came along
    assert _snapshot(path) == before, "every row of every table is as it was"
    assert _index_terms(path) == _expected_terms(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    with Database(path, user="bob") as bob:
        flagged = bob.read(_list, ArticleQuery(view="flagged", search="كتاب"))
        assert [r.id for r in flagged] == [3]
        # writes after the migration keep the index exact
        bob.write(lambda c: c.exec_driver_sql("DELETE FROM articles WHERE id IN (1, 2)"))
        bob.write(lambda c: c.exec_driver_sql("UPDATE articles SET title = 'عُنْوَانٌ' WHERE id = 3"))
        assert [r.id for r in bob.read(_list, ArticleQuery(search="عنوان"))] == [3]
    assert _index_terms(path) == _expected_terms(path)


def _list(conn: Any, q: ArticleQuery) -> list[Any]:
    from desktop.store.queries import list_articles

    return list_articles(conn, q)


def test_a_larger_v7_database_is_reindexed_where_it_has_points(tmp_path: Path) -> None:
    """Articles written by the ingest code into a v7 schema: 1 in 3 vowelled."""
    from desktop.store import people
    from desktop.store.db import make_engine, prepare
    from desktop.store.ingest import write_entries
    from desktop.timeutil import now_iso

    path = tmp_path / "v7.sqlite3"
    prepare(path, target=7, user="root")
    engine = make_engine(path)
    texts = [VOWELLED_AR, BARE_AR, ("Plain", "English words")]
    with engine.begin() as conn:
        people.ensure(conn, "root")
        conn.exec_driver_sql(
            "INSERT INTO sources (id, url, title, created_at) VALUES (1, 'f', 'F', 'x')"
        )
        entries = [entry(f"k{i}", *texts[i % 3]) for i in range(300)]
        write_entries(conn, 1, entries, now_iso())
        conn.exec_driver_sql("UPDATE triage SET flagged = 1 WHERE article_id % 2 = 0")
    engine.dispose()
    before = _snapshot(path)
    with Database(path, user="root") as db:
        assert db.migration.from_version == 7
        found = db.read(_list, ArticleQuery(search="الدرس", limit=500))
        assert len(found) == 100
        assert len(db.read(_list, ArticleQuery(view="flagged", search="كتب", limit=500))) == 50
    assert _snapshot(path) == before
    assert _index_terms(path) == _expected_terms(path)


# -- PostgreSQL: a v7 database migrates in place ---------------------------------------


def test_postgres_v7_migrates_and_finds_its_vowelled_articles(postgres_admin_url: str) -> None:
    """The v7 fixture's rows copied into a v7 PostgreSQL database, then opened."""
    import psycopg

    from desktop.store import postgres
    from tests.support import postgres as pg

    source = sqlite3.connect(FIXTURES / "schema-v7.sqlite3")
    tables = ("people", "sources", "articles", "triage", "tags", "user_tags", "triage_log")
    url = pg.fresh_database(postgres_admin_url)
    try:
        postgres.prepare(url, target=7)
        with psycopg.connect(postgres.libpq_url(url), autocommit=True) as conn:
            for table in tables:
                columns = ", ".join(r[1] for r in source.execute(f"PRAGMA table_info({table})"))
                rows = source.execute(f"SELECT {columns} FROM {table}").fetchall()
                marks = ", ".join(["%s"] * len(rows[0]))
                with conn.cursor() as cur:
                    cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            before = _pg_rows(conn, tables)
            vowelled = conn.execute(
                "SELECT id FROM articles WHERE search @@ to_tsquery('simple', 'كتب')"
            ).fetchall()
            assert vowelled == [], "v7 indexed the points"
        with Database(url, user="alice") as alice:
            assert alice.migration.from_version == 7

            def ids(search: str, view: str = "all") -> list[int]:
                q = ArticleQuery(view=view, search=search)
                return sorted(r.id for r in alice.read(_list, q))

            assert ids("كتب") == ids("كَتَبَ") == [1]
            assert ids("הממשלה") == ids("הַמֶּמְשָׁלָה") == [2]
            assert ids("كِتَابٌ") == [3]
            assert ids("السلام") == [5]
            assert ids("كتب", view="flagged") == [1]
        with psycopg.connect(postgres.libpq_url(url), autocommit=True) as conn:
            assert _pg_rows(conn, tables) == before
    finally:
        source.close()
        pg.drop_database(postgres_admin_url, url)


def _pg_rows(conn: Any, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in tables:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name != 'search' ORDER BY column_name",
                (table,),
            )
        ]
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out
