"""Sync with a Google Reader API server (the FreshRSS and Miniflux flavours of the double).

Real databases (SQLite and PostgreSQL: the ``db`` fixture takes ``database``, see
tests/conftest.py), a real HTTP server on 127.0.0.1 (tests/support/greader_server.py),
the real engine; the only stand-in is the password lookup (the keyring is
exercised by the command-line test, which needs a Secret Service). The v3 upgrade
test is about a SQLite file (an old schema and its backup copy).
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.store.database import Database
from desktop.store.db import prepare
from desktop.sync import accounts
from desktop.sync.engine import SyncEngine
from desktop.triage import actions
from tests.support.greader_server import GReaderServer

PASSWORD = "correct horse battery"


# The flavours differ in HTTP, not in SQL: PostgreSQL runs with FreshRSS only, except
# where Miniflux's change times take another path through the store (conflicts).
FLAVOURS_ON_BOTH = pytest.mark.parametrize(
    ("server", "database"),
    [("freshrss", "sqlite"), ("miniflux", "sqlite"), ("freshrss", "postgres")],
    indirect=True,
)
EVERY_PAIR = pytest.mark.parametrize(
    ("server", "database"),
    [(f, d) for d in ("sqlite", "postgres") for f in ("freshrss", "miniflux")],
    indirect=True,
)


@pytest.fixture(params=["freshrss", "miniflux"])
def server(request: pytest.FixtureRequest) -> Iterator[GReaderServer]:
    with GReaderServer(flavour=request.param) as srv:
        yield srv


@pytest.fixture
def db(tmp_path: Path, database: str | None) -> Iterator[Database]:
    handle = Database(database or tmp_path / "newsdesk.sqlite3")
    try:
        yield handle
    finally:
        handle.close()


def _engine(db: Database, password: str = PASSWORD) -> SyncEngine:
    return SyncEngine(db, lambda account: password)


def _sync(engine: SyncEngine) -> Any:
    [report] = asyncio.run(engine.sync())
    return report


def _local(db: Database, remote_id: int) -> tuple[int, int, int, int]:
    """(article id, read, flagged, archived) of a server item."""
    return db.read(
        lambda c: c.exec_driver_sql(
            "SELECT t.article_id, t.read, t.flagged, t.archived FROM remote_items r "
            "JOIN triage t ON t.article_id = r.article_id WHERE r.remote_id = ?",
            (str(remote_id),),
        ).one()
    )


def _setup(server: GReaderServer, db: Database, n: int = 30) -> tuple[int, list[int]]:
    world = server.add_feed("World", folder="News")
    tech = server.add_feed("Tech", folder="Computing")
    ids = server.add_items(world, n) + server.add_items(tech, n // 2)
    account_id = db.write(accounts.add, "greader", server.base_url, "alice")
    return account_id, ids


@FLAVOURS_ON_BOTH
def test_first_sync_brings_feeds_items_and_state(server: GReaderServer, db: Database) -> None:
    account_id, ids = _setup(server, db)
    server.set_state(ids[0], read=True)
    server.set_state(ids[1], starred=True)
    report = _sync(_engine(db))
    assert report.ok, report.error
    assert report.feeds == 2 and len(report.new_ids) == len(ids)
    sources = db.read(
        lambda c: c.exec_driver_sql(
            "SELECT s.title, s.folder, s.next_fetch_at FROM sources s "
            "JOIN account_sources a ON a.source_id = s.id ORDER BY s.title"
        ).fetchall()
    )
    assert [(t, f) for t, f, _ in sources] == [("Tech", "Computing"), ("World", "News")]
    assert _local(db, ids[0])[1:] == (1, 0, 0)
    assert _local(db, ids[1])[1:] == (0, 1, 0)
    assert _local(db, ids[2])[1:] == (0, 0, 0)
    text = db.read(
        lambda c: c.exec_driver_sql(
            "SELECT text FROM articles WHERE id = ?", (_local(db, ids[2])[0],)
        ).scalar()
    )
    assert f"Story {ids[2]}" in text
    # the contents came through ids + contents (Miniflux has no stream/contents)
    assert server.hits[f"{server.prefix}/reader/api/0/stream/items/contents"] >= 1
    assert not any("stream/contents" in p for p in server.hits)
    # a second sync brings nothing new and sends nothing
    again = _sync(_engine(db))
    assert again.ok and not again.new_ids and again.pushed == 0
    assert db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM articles").scalar()) == len(
        ids
    )
    # account sources are never due for the normal refresh
    from desktop.store.ingest import due_source_ids

    assert db.read(due_source_ids) == []
    row = db.read(accounts.rows)[0]
    assert row["id"] == account_id and row["items"] == len(ids) and row["last_error"] is None


@FLAVOURS_ON_BOTH
def test_local_triage_goes_to_the_server(server: GReaderServer, db: Database) -> None:
    _, ids = _setup(server, db)
    engine = _engine(db)
    _sync(engine)
    read_id, flag_id, archive_id = (_local(db, i)[0] for i in ids[:3])
    db.write(lambda c: actions.set_state(c, [read_id], "read"))
    db.write(lambda c: actions.set_state(c, [flag_id], "flag"))
    db.write(lambda c: actions.set_state(c, [archive_id], "archive"))  # no archive: read there
    assert db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM outbox").scalar()) == 3
    report = _sync(engine)
    assert report.ok and report.pushed == 3 and report.pending == 0
    assert server.items[ids[0]].read and server.items[ids[2]].read
    assert server.items[ids[1]].starred and not server.items[ids[1]].read
    # undo goes through the trigger too
    db.write(actions.undo)  # un-archive: unread again on the server
    assert _sync(engine).pushed == 1
    assert not server.items[ids[2]].read


@FLAVOURS_ON_BOTH
def test_server_changes_come_here(server: GReaderServer, db: Database) -> None:
    _, ids = _setup(server, db)
    engine = _engine(db)
    _sync(engine)
    archived = _local(db, ids[3])[0]
    db.write(lambda c: actions.set_state(c, [archived], "archive"))
    _sync(engine)
    assert server.items[ids[3]].read
    server.set_state(ids[0], read=True)
    server.set_state(ids[1], starred=True)
    server.set_state(ids[3], read=False)  # unread on the server: back in the inbox here
    report = _sync(engine)
    assert report.ok and sorted(report.applied_ids) == sorted(
        _local(db, i)[0] for i in (ids[0], ids[1], ids[3])
    )
    assert report.pushed == 0  # what came from the server is not echoed back
    assert _local(db, ids[0])[1:] == (1, 0, 0)
    assert _local(db, ids[1])[1:] == (0, 1, 0)
    assert _local(db, ids[3])[1:] == (0, 0, 0)
    assert db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM outbox").scalar()) == 0


@FLAVOURS_ON_BOTH
def test_offline_changes_wait_in_the_outbox(server: GReaderServer, db: Database) -> None:
    _, ids = _setup(server, db)
    engine = _engine(db)
    _sync(engine)
    first = _local(db, ids[0])[0]
    db.write(lambda c: actions.set_state(c, [first], "flag"))
    server.down = True
    report = _sync(engine)
    assert not report.ok and "503" in (report.error or "")
    assert report.pending == 1
    assert db.read(accounts.rows)[0]["last_error"] == report.error
    # the queue survives closing and reopening the database
    target = db.path or db.url
    db.close()
    reopened = Database(target)
    try:
        server.down = False
        report = _sync(_engine(reopened))
        assert report.ok and report.pushed == 1 and report.pending == 0
        assert server.items[ids[0]].starred
        assert reopened.read(accounts.rows)[0]["last_error"] is None
    finally:
        reopened.close()


def test_unreachable_server_and_wrong_password(tmp_path: Path, db: Database) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db.write(accounts.add, "greader", f"http://127.0.0.1:{port}/api/greader.php", "alice")
    report = _sync(_engine(db))
    assert not report.ok and "cannot reach" in (report.error or "")
    with GReaderServer() as srv:
        db.write(lambda c: c.exec_driver_sql("DELETE FROM accounts"))
        db.write(accounts.add, "greader", srv.base_url, "alice")
        report = _sync(_engine(db, password="wrong password"))
        assert not report.ok and "refused the login" in (report.error or "")
        assert "wrong password" not in (report.error or "")


@EVERY_PAIR
def test_conflicts_later_change_wins_and_flags_are_kept(
    server: GReaderServer, db: Database
) -> None:
    import time

    _, ids = _setup(server, db)
    engine = _engine(db)
    _sync(engine)
    a, b, c = (_local(db, i)[0] for i in ids[:3])
    # a: flagged here, then unflagged here; meanwhile starred on the server
    db.write(lambda conn: actions.set_state(conn, [a], "flag"))
    db.write(lambda conn: actions.set_state(conn, [a], "unflag"))
    # b: starred on both sides before, unflagged here, re-starred on the server
    # c: read here, unread on the server after (or with no time: local wins)
    db.write(lambda conn: actions.set_state(conn, [c], "read"))
    db.write(
        lambda conn: conn.exec_driver_sql(
            "UPDATE outbox SET changed_at = '2000-01-01T00:00:00Z' WHERE article_id = ?", (c,)
        )
    )
    server.set_state(ids[0], starred=True, at=time.time() - 3600)  # before the local unflag
    server.set_state(ids[2], read=True, at=time.time() - 7200)
    server.set_state(ids[2], read=False, at=time.time() - 7200)  # net: unchanged there
    report = _sync(engine)
    assert report.ok
    # a: the server's star is older than the local unflag when the server says when
    # (Miniflux); without a time (FreshRSS) the flag is kept
    expect_a = 0 if server.flavour == "miniflux" else 1
    assert _local(db, ids[0])[2] == expect_a
    assert server.items[ids[0]].starred == bool(expect_a)
    assert _local(db, ids[2])[1] == 1 and server.items[ids[2]].read  # only changed here
    # b: flagged and unflagged here long ago; starred on the server just now: the star wins
    db.write(lambda conn: actions.set_state(conn, [b], "flag"))
    db.write(lambda conn: actions.set_state(conn, [b], "unflag"))
    # d: read and unread here long ago; read on the server just now
    d = _local(db, ids[3])[0]
    db.write(lambda conn: actions.set_state(conn, [d], "read"))
    db.write(lambda conn: actions.set_state(conn, [d], "unread"))
    db.write(
        lambda conn: conn.exec_driver_sql(
            "UPDATE outbox SET changed_at = '2000-01-01T00:00:00Z' WHERE article_id IN (?, ?)",
            (b, d),
        )
    )
    server.set_state(ids[1], starred=True, at=time.time())
    server.set_state(ids[3], read=True, at=time.time())
    report = _sync(engine)
    assert report.ok and report.conflicts == 2
    assert _local(db, ids[1])[2] == 1 and server.items[ids[1]].starred
    # read: with the server's time (Miniflux) its later read wins; without one
    # (FreshRSS) the pending local change wins and is sent
    expect_d = 1 if server.flavour == "miniflux" else 0
    assert _local(db, ids[3])[1] == expect_d and server.items[ids[3]].read == bool(expect_d)
    assert db.read(lambda conn: conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar()) == 0


def test_schema_v3_upgrades_without_losing_triage(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    prepare(path, target=3)
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO sources (id, url, title, created_at) VALUES "
        "(1, 'https://example.com/feed', 'Old', '2026-01-01T00:00:00Z')"
    )
    states = [(1, 1, 0, 0), (2, 0, 1, 0), (3, 1, 1, 1), (4, 0, 0, 0)]
    for article_id, read, flagged, archived in states:
        conn.execute(
            "INSERT INTO articles (id, source_id, entry_key, title, published, fetched_at) "
            "VALUES (?, 1, ?, 't', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            (article_id, f"k{article_id}"),
        )
        conn.execute(
            "INSERT INTO triage (article_id, read, flagged, archived) VALUES (?, ?, ?, ?)",
            (article_id, read, flagged, archived),
        )
    conn.execute(
        "INSERT INTO tags (article_id, tag, origin, created_at) VALUES (2, 'mine', 'user', 'x')"
    )
    conn.commit()
    conn.close()
    db = Database(path)
    try:
        assert db.migration.from_version == 3 and db.migration.to_version >= 4
        assert db.migration.backup is not None and db.migration.backup.exists()
        got = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT article_id, read, flagged, archived FROM triage ORDER BY article_id"
            ).fetchall()
        )
        assert [tuple(r) for r in got] == states
        assert db.read(lambda c: c.exec_driver_sql("SELECT tag FROM user_tags").scalar()) == "mine"
        # a triage change on a local (non-account) article queues nothing
        db.write(lambda c: actions.set_state(c, [4], "flag"))
        assert db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM outbox").scalar()) == 0
        for table in ("accounts", "account_sources", "remote_items", "outbox"):
            db.read(lambda c, t=table: c.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar())
    finally:
        db.close()


@FLAVOURS_ON_BOTH
def test_remove_account_keeps_flagged_articles(server: GReaderServer, db: Database) -> None:
    account_id, ids = _setup(server, db, n=6)
    _sync(_engine(db))
    flagged = _local(db, ids[0])[0]
    db.write(lambda c: actions.set_state(c, [flagged], "flag"))
    accounts_before = db.read(accounts.rows)
    assert accounts_before[0]["pending_changes"] == 1
    db.write(accounts.remove, account_id)
    assert db.read(accounts.rows) == []
    left = db.read(lambda c: c.exec_driver_sql("SELECT a.id FROM articles a").fetchall())
    assert [r[0] for r in left] == [flagged]
    assert db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM outbox").scalar()) == 0
