"""Sync with a real coldsweat 0.10.2 (Fever API) on 127.0.0.1.

coldsweat lives in its own virtualenv, ``.venv-coldsweat`` (its pins clash with
ours), made by ``scripts/setup``. Its feeds come from the project's test feed
server. The module starts one coldsweat for all tests; each test uses items
the others do not touch.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop.store.database import Database
from desktop.sync import accounts
from desktop.sync.engine import SyncEngine
from desktop.triage import actions
from tests.support.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[2]
COLDSWEAT = REPO / ".venv-coldsweat" / "bin" / "coldsweat"
EMAIL = "alice@example.com"
PASSWORD = "a long enough password"  # coldsweat wants at least 12 characters
FEEDS = {"world": 30, "tech": 20}


def rss(name: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>{name} story {n}</title><link>http://example.com/{name}/{n}</link>"
        f"<guid>{name}-{n}</guid><pubDate>Fri, 27 Nov 2026 {n % 24:02d}:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;The {name} desk reports on item {n} of the day, "
        f"with details about markets, weather and the city council.&lt;/p&gt;</description></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name.title()}</title>'
        f"<link>http://example.com/{name}/</link>{items}</channel></rss>"
    ).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [str(COLDSWEAT), *args], env=env, capture_output=True, text=True, timeout=120
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Error" in proc.stdout or "Unable" in proc.stdout:
        raise RuntimeError(f"coldsweat {' '.join(args)} failed: {out}")  # it exits 0 on errors
    return out


class Coldsweat:
    """A running coldsweat: its Fever URL and a raw Fever client for checks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.key = hashlib.md5(f"{EMAIL}:{PASSWORD}".encode()).hexdigest()

    def call(self, query: str, **form: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}?api&{query}", data={"api_key": self.key, **form}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def ids(self, what: str) -> set[int]:
        text = self.call(what)[what]
        return {int(i) for i in str(text).split(",") if i}

    def mark(self, item_id: int, status: str) -> None:
        self.call("", mark="item", **{"as": status, "id": str(item_id)})


def start_coldsweat(tmp: Path, feeds: FeedServer, sizes: dict[str, int]) -> tuple[Any, str]:
    """Set up coldsweat in ``tmp`` with ``sizes`` feeds; returns (process, Fever URL)."""
    outlines = ""
    for name, count in sizes.items():
        url = feeds.add(f"/{name}.xml", rss(name, count))
        outlines += f'<outline type="rss" text="{name}" title="{name}" xmlUrl="{url}"/>'
    opml = tmp / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="1.0"><head><title>t</title></head><body>'
        f'<outline text="News" title="News">{outlines}</outline></body></opml>'
    )
    env = dict(
        os.environ,
        FLASK_DATABASE_URL=f"sqlite:///{tmp / 'coldsweat.db'}",
        FLASK_SECRET_KEY="test only",
    )
    _run(env, "setup", EMAIL, "-p", PASSWORD)
    _run(env, "import", str(opml), EMAIL, "--fetch")
    port = free_port()
    proc = subprocess.Popen(
        [str(COLDSWEAT), "run", "-h", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/fever/"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(f"{url}?api", data={"api_key": "x"}, timeout=2)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("coldsweat did not start") from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def coldsweat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coldsweat]:
    if not COLDSWEAT.exists():
        pytest.skip(f"coldsweat is not installed in {COLDSWEAT.parent.parent} (run scripts/setup)")
    tmp = tmp_path_factory.mktemp("coldsweat")
    with FeedServer() as feeds:
        proc, url = start_coldsweat(tmp, feeds, FEEDS)
        try:
            yield Coldsweat(url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def synced(coldsweat: Coldsweat, tmp_path: Path) -> Iterator[tuple[Database, SyncEngine]]:
    db = Database(tmp_path / "newsdesk.sqlite3")
    db.write(accounts.add, "fever", coldsweat.url, EMAIL)
    engine = SyncEngine(db, lambda account: PASSWORD)
    try:
        [report] = asyncio.run(engine.sync())
        assert report.ok, report.error
        yield db, engine
    finally:
        db.close()


def _sync(engine: SyncEngine) -> Any:
    [report] = asyncio.run(engine.sync())
    assert report.ok, report.error
    return report


def _article(db: Database, remote_id: int) -> int:
    return db.read(
        lambda c: c.exec_driver_sql(
            "SELECT article_id FROM remote_items WHERE remote_id = ?", (str(remote_id),)
        ).scalar()
    )


def _state(db: Database, remote_id: int) -> tuple[int, int]:
    return db.read(
        lambda c: c.exec_driver_sql(
            "SELECT t.read OR t.archived, t.flagged FROM triage t WHERE t.article_id = ?",
            (_article(db, remote_id),),
        ).one()
    )


def test_first_sync_matches_the_server(coldsweat: Coldsweat, synced: Any) -> None:
    db, _engine = synced
    total = coldsweat.call("items")["total_items"]
    assert total == sum(FEEDS.values())
    stored = db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM remote_items").scalar())
    assert stored == total
    folders = db.read(
        lambda c: c.exec_driver_sql(
            "SELECT DISTINCT s.folder FROM sources s JOIN account_sources a ON a.source_id = s.id"
        ).fetchall()
    )
    assert folders == [("News",)]
    text = db.read(lambda c: c.exec_driver_sql("SELECT text FROM articles LIMIT 1").scalar())
    assert "desk reports on item" in text


def test_read_and_flag_go_both_ways(coldsweat: Coldsweat, synced: Any) -> None:
    db, engine = synced
    read_id, flag_id, archive_id, remote_read, remote_flag = 1, 2, 3, 4, 5
    db.write(lambda c: actions.set_state(c, [_article(db, read_id)], "read"))
    db.write(lambda c: actions.set_state(c, [_article(db, flag_id)], "flag"))
    db.write(lambda c: actions.set_state(c, [_article(db, archive_id)], "archive"))
    coldsweat.mark(remote_read, "read")
    coldsweat.mark(remote_flag, "saved")
    report = _sync(engine)
    assert report.pushed == 3 and report.pending == 0
    unread, saved = coldsweat.ids("unread_item_ids"), coldsweat.ids("saved_item_ids")
    assert read_id not in unread and archive_id not in unread and flag_id in unread
    assert flag_id in saved
    assert _state(db, remote_read) == (1, 0) and _state(db, remote_flag) == (0, 1)
    # back again
    db.write(lambda c: actions.set_state(c, [_article(db, read_id)], "unread"))
    db.write(lambda c: actions.set_state(c, [_article(db, flag_id)], "unflag"))
    coldsweat.mark(remote_flag, "unsaved")
    _sync(engine)
    assert read_id in coldsweat.ids("unread_item_ids")
    assert flag_id not in coldsweat.ids("saved_item_ids")
    assert _state(db, remote_flag) == (0, 0)
    for i in (remote_read, archive_id):
        coldsweat.mark(i, "unread")


def test_a_flag_is_never_lost(coldsweat: Coldsweat, synced: Any) -> None:
    """Flag and unflag here while the server starred it: Fever gives no time, the flag stays."""
    db, engine = synced
    item = 10
    article = _article(db, item)
    db.write(lambda c: actions.set_state(c, [article], "flag"))
    db.write(lambda c: actions.set_state(c, [article], "unflag"))
    coldsweat.mark(item, "saved")
    report = _sync(engine)
    assert report.conflicts == 1
    assert _state(db, item)[1] == 1 and item in coldsweat.ids("saved_item_ids")
    coldsweat.mark(item, "unsaved")


def test_new_items_arrive_on_the_next_sync(coldsweat: Coldsweat, synced: Any) -> None:
    db, engine = synced
    before = db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM articles").scalar())
    report = _sync(engine)
    assert report.new_ids == [] and report.pushed == 0
    assert db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM articles").scalar()) == before


def test_a_change_to_an_item_gone_from_the_server_does_not_block_the_rest(
    coldsweat: Coldsweat, synced: Any
) -> None:
    """coldsweat answers 404 for an item it no longer has: that change leaves the queue
    (the local flag stays), and the other changes are still sent, this sync and later."""
    db, engine = synced
    gone_article, kept_id = _article(db, 7), 8
    db.write(  # the server deleted item 7: it now knows no such id
        lambda c: c.exec_driver_sql(
            "UPDATE remote_items SET remote_id = '999999' WHERE article_id = ?", (gone_article,)
        )
    )
    db.write(lambda c: actions.set_state(c, [gone_article], "flag"))
    db.write(lambda c: actions.set_state(c, [_article(db, kept_id)], "flag"))
    report = _sync(engine)
    assert report.dropped == 1 and report.pending == 0
    assert kept_id in coldsweat.ids("saved_item_ids")
    flagged = db.read(
        lambda c: c.exec_driver_sql(
            "SELECT flagged FROM triage WHERE article_id = ?", (gone_article,)
        ).scalar()
    )
    assert flagged == 1  # a flag is never lost here
    assert _sync(engine).dropped == 0  # nothing left to retry
