"""Refresh through a real HTTP server on 127.0.0.1: counts, 304s, faults, triage safety."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from desktop.sources.http import HttpSettings
from desktop.store.queries import ArticleQuery
from desktop.timeutil import from_iso, utcnow
from tests.support.factories import add_source

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "refresh"
FAST = HttpSettings(connect_timeout=2, read_timeout=1, total_timeout=3, max_bytes=1_000_000)


def refresh(desk, ids, settings=FAST):
    return asyncio.run(desk.refresh(ids, pool="thread", settings=settings))


def by_id(desk):
    return {s["id"]: s for s in desk.sources()}


def test_seed_feed_stores_seven_then_costs_a_304(desk, feed_server) -> None:
    body = (FEEDS / "index-of-news.rss").read_bytes()
    url = feed_server.add(
        "/seed.rss", body, etag='"v1"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT"
    )
    sid = add_source(desk, url, "")
    report = refresh(desk, [sid])
    assert (report.count("ok"), report.new_articles) == (1, 7), report.failures
    rows = desk.list_articles(ArticleQuery(view="all"))
    assert len(rows) == 7 and all(r.title and r.url for r in rows)
    assert by_id(desk)[sid]["title"], "the feed's title fills an empty source title"

    again = refresh(desk, [sid])
    assert again.count("not_modified") == 1 and again.new_articles == 0
    assert feed_server.not_modified["/seed.rss"] == 1
    headers = feed_server.last_headers["/seed.rss"]
    assert headers.get("If-None-Match") == '"v1"'
    assert "Newsdesk/" in headers.get("User-Agent", "")


def test_triage_survives_a_changed_feed(desk, feed_server) -> None:
    body = (FEEDS / "index-of-news.rss").read_bytes()
    url = feed_server.add("/seed.rss", body, etag='"v1"')
    sid = add_source(desk, url)
    refresh(desk, [sid])
    rows = desk.list_articles(ArticleQuery(view="all"))
    desk.mark([rows[0].id], "flag")
    desk.mark([rows[1].id], "archive")
    desk.tag([rows[2].id], "keep", True)
    changed = body.replace(b"Inflation in Peru", b"Inflation in Peru (updated)")
    feed_server.add("/seed.rss", changed, etag='"v2"')
    report = refresh(desk, [sid])
    assert report.new_articles == 0 and report.outcomes[0].updated >= 1
    after = {r.id: r for r in desk.list_articles(ArticleQuery(view="all"))}
    assert len(after) == 7
    assert after[rows[0].id].flagged and after[rows[1].id].archived
    assert "keep" in after[rows[2].id].topics
    assert any("(updated)" in r.title for r in after.values())


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/fault/404", "404"),
        ("/fault/500", "500"),
        ("/fault/slow", "timed out"),
        ("/fault/loop", "redirect"),
        ("/fault/big", "larger than"),
        ("/fault/bomb", "larger than"),
        ("/fault/notxml", ""),
        ("/fault/close", ""),
    ],
)
def test_faults_become_clear_per_source_errors(desk, feed_server, path, needle) -> None:
    feed_server.slow_seconds = 3
    ok_url = feed_server.add("/ok.rss", (FEEDS / "bbc.xml").read_bytes())
    bad = add_source(desk, feed_server.url(path))
    good = add_source(desk, ok_url)
    report = refresh(desk, [bad, good])
    assert report.count("ok") == 1 and report.count("failed") == 1
    error = by_id(desk)[bad]["last_error"]
    assert error and needle in error
    assert by_id(desk)[good]["last_error"] is None
    assert by_id(desk)[bad]["failures"] == 1


def test_hostile_xml_is_not_expanded(desk, feed_server) -> None:
    laughs = add_source(desk, feed_server.url("/fault/laughs"))
    xxe = add_source(desk, feed_server.url("/fault/xxe"))
    refresh(desk, [laughs, xxe])
    for row in desk.list_articles(ArticleQuery(view="all")):
        detail = desk.article(row.id)
        assert "root:" not in detail["text"] and "lollollol" not in detail["text"]
        assert len(detail["title"]) < 200


def test_gone_disables_and_retry_after_is_honoured(desk, feed_server) -> None:
    gone = add_source(desk, feed_server.url("/fault/410"))
    busy = add_source(desk, feed_server.url("/fault/429"))
    refresh(desk, [gone, busy])
    sources = by_id(desk)
    assert not sources[gone]["enabled"] and "410" in sources[gone]["last_error"]
    wait = from_iso(sources[busy]["next_fetch_at"]) - utcnow()
    assert wait.total_seconds() >= 110
    assert busy not in desk.due_sources() and gone not in desk.due_sources(include_all=True)


def test_permanent_redirect_is_remembered_temporary_is_not(desk, feed_server) -> None:
    body = (FEEDS / "bbc.xml").read_bytes()
    feed_server.add("/new.rss", body)
    moved = add_source(desk, feed_server.redirect("/old.rss", "/new.rss", 301))
    temp = add_source(desk, feed_server.redirect("/tmp.rss", "/new.rss", 302))
    refresh(desk, [moved, temp])
    sources = by_id(desk)
    assert sources[moved]["url"].endswith("/new.rss")
    assert sources[temp]["url"].endswith("/tmp.rss")


def test_failing_source_backs_off(desk, feed_server) -> None:
    sid = add_source(desk, feed_server.url("/fault/500"))
    refresh(desk, [sid])
    first = from_iso(by_id(desk)[sid]["next_fetch_at"])
    refresh(desk, [sid])
    second = from_iso(by_id(desk)[sid]["next_fetch_at"])
    assert by_id(desk)[sid]["failures"] == 2
    assert second - utcnow() > first - utcnow()


def test_formats_and_compression(desk, feed_server) -> None:
    ids = [
        add_source(
            desk,
            feed_server.add(
                "/a.xml",
                (FEEDS / "stackoverflow-atom.xml").read_bytes(),
                content_type="application/atom+xml",
                encoding="gzip",
            ),
        ),
        add_source(
            desk,
            feed_server.add(
                "/j.json",
                (FEEDS / "feed.json").read_bytes(),
                content_type="application/feed+json",
                encoding="br",
            ),
        ),
        add_source(
            desk,
            feed_server.add("/r.xml", (FEEDS / "ilgiornale.xml").read_bytes(), encoding="deflate"),
        ),
    ]
    report = refresh(desk, ids)
    assert report.count("ok") == 3, [o.error for o in report.failures]
    per_source = {s["id"]: s["article_count"] for s in desk.sources()}
    assert all(per_source[i] > 0 for i in ids)


def test_file_urls_and_autodiscovery(desk, feed_server) -> None:
    local = asyncio.run(desk.add_source(str(FEEDS / "bbc.xml")))
    assert local.url.startswith("file://") and local.title
    feed_server.add("/feed.xml", (FEEDS / "ilgiornale.xml").read_bytes())
    found = asyncio.run(desk.add_source(feed_server.url("/fault/html"), folder="News"))
    assert found.url == feed_server.url("/feed.xml")
    report = refresh(desk, [local.id, found.id])
    assert report.count("ok") == 2


def test_basic_auth_goes_to_the_feed_host_only(feed_server) -> None:
    from desktop.sources.http import Fetcher

    body = (FEEDS / "bbc.xml").read_bytes()
    feed_server.add("/private.rss", body)
    other = feed_server.url("/private.rss").replace("127.0.0.1", "localhost")
    feed_server.redirect("/elsewhere.rss", other, 302)

    async def go():
        async with Fetcher(FAST) as fetcher:
            direct = await fetcher.fetch(feed_server.url("/private.rss"), auth=("ann", "s3cret"))
            moved = await fetcher.fetch(feed_server.url("/elsewhere.rss"), auth=("ann", "s3cret"))
            return direct, moved

    direct, moved = asyncio.run(go())
    assert direct.ok and moved.ok
    assert feed_server.last_headers["/elsewhere.rss"].get("Authorization", "").startswith("Basic ")
    assert "Authorization" not in feed_server.last_headers["/private.rss"]  # the redirected hop


def test_warm_refresh_reuses_connections(desk, feed_server) -> None:
    body = (FEEDS / "bbc.xml").read_bytes()
    ids = [add_source(desk, feed_server.add(f"/f{i}.rss", body, etag=f'"{i}"')) for i in range(12)]
    refresh(desk, ids)
    feed_server.reset_counters()
    report = refresh(desk, ids)
    assert report.count("not_modified") == 12
    assert feed_server.connections <= 6, feed_server.connections


def test_search_finds_new_articles_when_refresh_returns(desk, feed_server) -> None:
    body = (FEEDS / "index-of-news.rss").read_bytes()
    sids = [add_source(desk, feed_server.add(f"/s{i}.rss", body), "") for i in range(3)]
    report = refresh(desk, sids)
    assert report.new_articles == 21, report.failures
    titles = [r.title for r in desk.list_articles(ArticleQuery(view="all"))]
    word = max(titles[0].split(), key=len)
    found = desk.list_articles(ArticleQuery(search=word))
    assert {r.source_id for r in found if r.title == titles[0]} == set(sids)


def _counting_batches(monkeypatch) -> list[int]:
    from desktop.sources import refresh as module

    sizes: list[int] = []
    real = module._write_batch

    def counted(conn, ops, articles=False):
        sizes.append(len(ops))
        return real(conn, ops, articles)

    monkeypatch.setattr(module, "_write_batch", counted)
    return sizes


def _op(conn, value):
    return conn.exec_driver_sql("SELECT ?", (value,)).scalar()


def test_group_writer_waits_for_sources_still_working(desk, monkeypatch) -> None:
    from desktop.sources import refresh as module

    monkeypatch.setattr(module, "GATHER_SECONDS", 30.0)
    sizes = _counting_batches(monkeypatch)

    async def scenario() -> list[object]:
        writer = module._GroupWriter(desk.db)
        for key in "abc":
            writer.started(key)
        first = [asyncio.create_task(writer.write(_op, k, key=k)) for k in "ab"]
        await asyncio.sleep(0.2)
        assert not any(t.done() for t in first), "c is still working: the batch waits"
        writer.finished("c")  # c ends without an update: nothing left to wait for
        done = await asyncio.gather(*first)
        # two updates of one source never share a transaction
        writer.started("d")
        same = [asyncio.create_task(writer.write(_op, n, key="d")) for n in (1, 2)]
        done += await asyncio.gather(*same)
        await writer.aclose()
        return done

    assert asyncio.run(scenario()) == ["a", "b", 1, 2]
    assert sizes == [2, 1, 1]


def test_group_writer_does_not_wait_forever(desk, monkeypatch) -> None:
    from desktop.sources import refresh as module

    monkeypatch.setattr(module, "GATHER_SECONDS", 0.05)
    sizes = _counting_batches(monkeypatch)

    async def scenario() -> object:
        writer = module._GroupWriter(desk.db)
        writer.started("slow")
        writer.started("quick")
        value = await asyncio.wait_for(writer.write(_op, "quick", key="quick"), 5)
        await writer.aclose()
        return value

    assert asyncio.run(scenario()) == "quick"
    assert sizes == [1]
