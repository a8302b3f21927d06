"""The TT-RSS client against a small double of its JSON API, and optionally a real one.

The double (below) follows the documented API (tt-rss.org "API Reference"):
``login`` → ``session_id``; ``getCategories``; ``getFeeds`` (``cat_id=-3``:
all feeds); ``getHeadlines`` (``feed_id=-4`` all, ``-1`` starred;
``view_mode``; ``since_id``; ``limit`` at most 200 and ``skip``);
``updateArticle`` (``article_ids`` comma-separated, ``mode`` 0/1, ``field``
0 starred / 2 unread). Errors are ``{"status": 1, "content": {"error": …}}``.

``test_real_ttrss`` (slow, opt-in: ``NEWSDESK_TTRSS_TEST=1``) starts a real
Debian tt-rss on a throwaway PostgreSQL (see tests/support/ttrss.py), feeds
it from the test feed server and syncs with it.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from desktop.store.database import Database
from desktop.sync import accounts
from desktop.sync.engine import SyncEngine
from desktop.triage import actions

USER, PASSWORD = "admin", "tt-rss password"


class TtrssDouble:
    def __init__(self) -> None:
        self.categories = [{"id": 1, "title": "News"}]
        self.feeds = [
            {"id": 11, "title": "World", "feed_url": "https://example.org/w.xml", "cat_id": 1},
            {"id": 12, "title": "Tech", "feed_url": "https://example.org/t.xml", "cat_id": 0},
        ]
        self.articles: dict[int, dict[str, Any]] = {}
        for n in range(1, 451):  # more than two pages of 200
            self.articles[n] = {
                "id": n,
                "feed_id": 11 if n % 3 else 12,
                "title": f"Headline {n}",
                "link": f"https://example.org/a/{n}",
                "content": f"<p>Article {n} about the budget and the council.</p>",
                "updated": 1_790_000_000 + n,
                "unread": True,
                "marked": False,
                "author": "Desk",
            }
        self.calls: list[str] = []
        self._httpd: ThreadingHTTPServer | None = None

    def handle(self, body: dict[str, Any]) -> dict[str, Any]:
        op = body.get("op")
        self.calls.append(str(op))
        if op == "login":
            if body.get("user") == USER and body.get("password") == PASSWORD:
                return {"seq": 0, "status": 0, "content": {"session_id": "s1", "api_level": 15}}
            return {"seq": 0, "status": 1, "content": {"error": "LOGIN_ERROR"}}
        if body.get("sid") != "s1":
            return {"seq": 0, "status": 1, "content": {"error": "NOT_LOGGED_IN"}}
        if op == "getCategories":
            return {"seq": 0, "status": 0, "content": self.categories}
        if op == "getFeeds":
            return {"seq": 0, "status": 0, "content": self.feeds}
        if op == "getHeadlines":
            feed_id = int(body["feed_id"])
            items = sorted(self.articles.values(), key=lambda a: a["id"])
            if feed_id == -1:
                items = [a for a in items if a["marked"]]
            elif feed_id > 0:
                items = [a for a in items if a["feed_id"] == feed_id]
            if body.get("view_mode") == "unread":
                items = [a for a in items if a["unread"]]
            if body.get("since_id"):
                items = [a for a in items if a["id"] > int(body["since_id"])]
            limit = min(int(body.get("limit") or 200), 200)
            skip = int(body.get("skip") or 0)
            page = items[skip : skip + limit]
            if not body.get("show_content"):
                page = [{k: v for k, v in a.items() if k != "content"} for a in page]
            return {"seq": 0, "status": 0, "content": page}
        if op == "updateArticle":
            ids = [int(i) for i in str(body["article_ids"]).split(",") if i]
            key = {0: "marked", 2: "unread"}[int(body["field"])]
            for i in ids:
                self.articles[i][key] = bool(int(body["mode"]))
            return {"seq": 0, "status": 0, "content": {"status": "OK", "updated": len(ids)}}
        if op == "logout":
            return {"seq": 0, "status": 0, "content": {"status": "OK"}}
        return {"seq": 0, "status": 1, "content": {"error": "UNKNOWN_METHOD"}}

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                answer = json.dumps(owner.handle(json.loads(self.rfile.read(length)))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/tt-rss/"

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


@pytest.fixture
def ttrss() -> Iterator[tuple[TtrssDouble, str]]:
    double = TtrssDouble()
    url = double.start()
    try:
        yield double, url
    finally:
        double.stop()


def _sync(db: Database, password: str = PASSWORD) -> Any:
    [report] = asyncio.run(SyncEngine(db, lambda a: password).sync())
    return report


def test_ttrss_sync_both_ways(ttrss: tuple[TtrssDouble, str], tmp_path: Path) -> None:
    double, url = ttrss
    double.articles[5]["unread"] = False
    double.articles[6]["marked"] = True
    with Database(tmp_path / "n.sqlite3") as db:
        db.write(accounts.add, "ttrss", url, USER)
        report = _sync(db)
        assert report.ok, report.error
        assert report.feeds == 2 and len(report.new_ids) == 450
        folders = db.read(
            lambda c: c.exec_driver_sql("SELECT title, folder FROM sources ORDER BY id").fetchall()
        )
        assert [tuple(r) for r in folders] == [("World", "News"), ("Tech", None)]

        def local(n: int) -> tuple[int, int, int]:
            return db.read(
                lambda c: c.exec_driver_sql(
                    "SELECT t.article_id, t.read, t.flagged FROM remote_items r JOIN triage t "
                    "ON t.article_id = r.article_id WHERE r.remote_id = ?",
                    (str(n),),
                ).one()
            )

        assert local(5)[1:] == (1, 0) and local(6)[1:] == (0, 1)
        db.write(lambda c: actions.set_state(c, [local(1)[0]], "archive"))
        db.write(lambda c: actions.set_state(c, [local(2)[0]], "flag"))
        double.articles[7]["unread"] = False
        report = _sync(db)
        assert report.ok and report.pushed == 2 and not report.new_ids
        assert not double.articles[1]["unread"] and double.articles[2]["marked"]
        assert local(7)[1] == 1
        # a new article on the server arrives by since_id
        double.articles[451] = dict(double.articles[450], id=451, title="Late news")
        report = _sync(db)
        assert len(report.new_ids) == 1
        assert _sync(db, password="wrong").error.endswith("(LOGIN_ERROR)")


# -- the real server -------------------------------------------------------------
REAL_FEEDS = {"world": 30, "tech": 230}  # tech: more than a page of 200


def _rss(name: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>{name} story {n}</title><link>http://example.com/{name}/{n}</link>"
        f"<guid>{name}-{n}</guid><pubDate>Fri, 27 Nov 2026 {n % 24:02d}:{n // 24:02d}:00 GMT"
        f"</pubDate><description>&lt;p&gt;The {name} desk reports on item {n} "
        f"about markets and the city council.&lt;/p&gt;</description></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name.title()}</title>'
        f"<link>http://example.com/{name}/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def real_ttrss(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any, dict[str, int]]]:
    """A real tt-rss holding ``REAL_FEEDS`` (fetched from a local feed server):
    (server, feed server, feed name → tt-rss feed id)."""
    from tests.support import ttrss as real
    from tests.support.feedserver import FeedServer

    why = real.available()
    if why is not None:
        pytest.skip(f"real tt-rss: {why}")
    admin_url = request.getfixturevalue("postgres_admin_url")
    with FeedServer() as feeds, real.running(admin_url) as server:
        ids = {}
        for name, count in REAL_FEEDS.items():
            url = feeds.add(f"/{name}.xml", _rss(name, count))
            ids[name] = server.subscribe(url, "News" if name == "world" else None)
            server.update_feed(ids[name])
        yield server, feeds, ids


@pytest.mark.skipif(
    os.environ.get("NEWSDESK_TTRSS_TEST") != "1",
    reason="set NEWSDESK_TTRSS_TEST=1 (slow, real tt-rss)",
)
def test_real_ttrss(real_ttrss: tuple[Any, Any, dict[str, int]], tmp_path: Path) -> None:
    """Slow (~15–20 s): both ways against Debian's tt-rss (API level 15) on PostgreSQL."""
    from tests.support.ttrss import PASSWORD as REAL_PASSWORD
    from tests.support.ttrss import USER as REAL_USER

    server, feeds, feed_ids = real_ttrss

    def headlines(feed_id: int, view_mode: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        while True:  # pages of at most 200
            rows = server.api(
                "getHeadlines", feed_id=feed_id, view_mode=view_mode, limit=200, skip=len(out)
            )
            out.update((h["title"], h) for h in rows)
            if len(rows) < 200:
                return out

    everything = headlines(-4, "all_articles")
    assert len(everything) == sum(REAL_FEEDS.values())
    ids = {title: int(h["id"]) for title, h in everything.items()}
    # state set on the server before the first sync
    server.api("updateArticle", article_ids=str(ids["world story 1"]), mode=0, field=2)
    server.api("updateArticle", article_ids=str(ids["tech story 2"]), mode=1, field=0)

    with Database(tmp_path / "n.sqlite3") as db:
        db.write(accounts.add, "ttrss", server.url, REAL_USER)

        def sync(password: str = REAL_PASSWORD) -> Any:
            report = _sync(db, password)
            assert report.ok, report.error
            return report

        def local(title: str) -> tuple[int, int, int, int]:
            return db.read(
                lambda c: c.exec_driver_sql(
                    "SELECT t.article_id, t.read, t.flagged, t.archived FROM remote_items r "
                    "JOIN triage t ON t.article_id = r.article_id WHERE r.remote_id = ?",
                    (str(ids[title]),),
                ).one()
            )

        def count(table: str) -> int:
            return db.read(lambda c: c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar())

        report = sync()
        assert report.feeds == 2 and len(report.new_ids) == 260 and report.skipped == 0
        sources = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT title, folder, url FROM sources ORDER BY title"
            ).fetchall()
        )
        assert [tuple(r) for r in sources] == [
            ("Tech", None, feeds.url("/tech.xml")),
            ("World", "News", feeds.url("/world.xml")),
        ]
        title, url, text, html = db.read(
            lambda c: c.exec_driver_sql(
                "SELECT a.title, a.url, a.text, a.content_html FROM articles a "
                "JOIN remote_items r ON r.article_id = a.id WHERE r.remote_id = ?",
                (str(ids["world story 4"]),),
            ).one()
        )
        assert title == "world story 4" and url == "http://example.com/world/4"
        assert "desk reports on item 4 about markets" in text and "<p>" in html
        assert local("world story 1")[1:3] == (1, 0)
        assert local("tech story 2")[1:3] == (0, 1)
        assert local("world story 5")[1:3] == (0, 0)

        # local changes go to the server
        for what, action in (("world story 5", "read"), ("world story 6", "archive"),
                             ("tech story 7", "flag")):  # fmt: skip
            db.write(lambda c, w=what, a=action: actions.set_state(c, [local(w)[0]], a))
        report = sync()
        assert report.pushed == 3 and report.pending == 0 and not report.new_ids
        unread, starred = headlines(-4, "unread"), headlines(-1, "all_articles")
        assert {"world story 5", "world story 6", "world story 1"}.isdisjoint(unread)
        assert "world story 7" in unread and len(unread) == 257
        assert set(starred) == {"tech story 2", "tech story 7"}
        [article] = server.api("getArticle", article_id=str(ids["tech story 7"]))
        assert article["marked"] is True and article["unread"] is True

        # and back
        db.write(lambda c: actions.set_state(c, [local("world story 5")[0]], "unread"))
        db.write(lambda c: actions.set_state(c, [local("tech story 7")[0]], "unflag"))
        report = sync()
        assert report.pushed == 2
        [article] = server.api("getArticle", article_id=str(ids["world story 5"]))
        assert article["unread"] is True
        assert set(headlines(-1, "all_articles")) == {"tech story 2"}

        # incremental: nothing twice; new articles on the server arrive alone
        before = count("articles"), count("remote_items")
        report = sync()
        assert not report.new_ids and report.pushed == 0
        assert (count("articles"), count("remote_items")) == before == (260, 260)
        feeds.add("/world.xml", _rss("world", 33))
        server.update_feed(feed_ids["world"])
        report = sync()
        assert len(report.new_ids) == 3
        assert count("articles") == count("remote_items") == 263
        new_titles = {
            db.read(
                lambda c, i=i: c.exec_driver_sql(
                    "SELECT title FROM articles WHERE id = ?", (i,)
                ).scalar()
            )
            for i in report.new_ids
        }
        assert new_titles == {"world story 30", "world story 31", "world story 32"}

        # a change made on the server comes back
        server.api("updateArticle", article_ids=str(ids["world story 8"]), mode=0, field=2)
        server.api("updateArticle", article_ids=str(ids["tech story 9"]), mode=1, field=0)
        server.api("updateArticle", article_ids=str(ids["world story 1"]), mode=1, field=2)
        report = sync()
        assert local("world story 8")[1:3] == (1, 0)
        assert local("tech story 9")[1:3] == (0, 1)
        assert local("world story 1")[1:3] == (0, 0)
        assert report.pushed == 0 and len(report.applied_ids) == 3

        # a wrong password: a clear error, nothing changed
        report = _sync(db, password="not the password")
        assert not report.ok
        assert "TT-RSS refused the login (LOGIN_ERROR)" in report.error
        assert server.url in report.error
        assert count("articles") == 263
