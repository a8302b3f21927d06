"""The full-text index buffers more new data per segment than FTS5's default (refresh speed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.store.database import Database
from desktop.store.db import FTS_HASHSIZE, prepare


def _hashsize(path: Path) -> int | None:
    conn = sqlite3.connect(str(path))
    try:
        row = conn.execute("SELECT v FROM articles_fts_config WHERE k = 'hashsize'").fetchone()
        return None if row is None else int(row[0])
    finally:
        conn.close()


def test_a_new_database_gets_the_hashsize(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    prepare(path)
    assert FTS_HASHSIZE > 1024 * 1024  # above FTS5's default
    assert _hashsize(path) == FTS_HASHSIZE


def test_an_existing_database_gets_it_back_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    prepare(path)
    conn = sqlite3.connect(str(path))
    conn.execute("DELETE FROM articles_fts_config WHERE k = 'hashsize'")  # as before this change
    conn.commit()
    conn.close()
    assert _hashsize(path) is None
    with Database(path):
        pass
    assert _hashsize(path) == FTS_HASHSIZE


def test_search_still_finds_what_a_large_transaction_indexed(tmp_path: Path) -> None:
    from desktop.store import ingest
    from desktop.store.ingest import PreparedEntry

    db = Database(tmp_path / "s.sqlite3")
    try:
        sid = db.write(
            lambda c: c.exec_driver_sql(
                "INSERT INTO sources (url, created_at) VALUES ('u', 'x') RETURNING id"
            ).scalar()
        )
        entries = [
            PreparedEntry(
                f"k{i}", None, None, None, f"title {i}", None, "2026-01-01T00:00:00Z", None,
                f"<p>body{i} common</p>", f"body{i} common", f"h{i}", [], None,
            )
            for i in range(3000)
        ]  # fmt: skip

        def write(conn: object) -> None:
            deferred = ingest.defer_fts(conn)
            ingest.write_entries(conn, sid, entries, "2026-01-01T00:00:00Z")
            ingest.index_deferred(conn, deferred)

        db.write(write)
        count = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'common'"
            ).scalar()
        )
        one = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'body2999'"
            ).fetchall()
        )
    finally:
        db.close()
    assert count == 3000
    assert len(one) == 1
