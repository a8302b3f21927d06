"""Feed autodiscovery on real pages (tests/fixtures/feeds, see ORIGIN.md)."""

from __future__ import annotations

from pathlib import Path

from desktop.sources.discover import DiscoveredFeed, find_feeds

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def test_relative_declared_feed_resolved_against_page() -> None:
    page = (FEEDS / "nnw__DaringFireball.html").read_bytes()
    found = find_feeds(page, "https://daringfireball.net/")
    assert found[0] == DiscoveredFeed("https://daringfireball.net/feeds/main", None, "atom")
    assert len({f.url for f in found}) == len(found)


def test_several_declared_feeds_in_order() -> None:
    page = (FEEDS / "kde__bug-test-gentoo.txt").read_bytes()
    found = find_feeds(page, "https://planet.gentoo.org/")
    assert [(f.url, f.kind) for f in found[:4]] == [
        ("https://planet.gentoo.org/rss20.xml", "rss"),
        ("https://planet.gentoo.org/universe/rss20.xml", "rss"),
        ("https://planet.gentoo.org/atom.xml", "atom"),
        ("https://planet.gentoo.org/universe/atom.xml", "atom"),
    ]
    assert found[0].title == "Planet Gentoo"


def test_base_href_json_and_anchor_fallback() -> None:
    html = """<html><head><base href="https://cdn.example.com/blog/">
    <link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
    <link rel="alternate" type="application/rss+xml" href="feed.json">
    <link rel="alternate" hreflang="de" href="/de/">
    <link rel="stylesheet" type="text/css" href="s.css">
    </head><body><a href="/rss.xml">Our RSS</a> <a href="/feed/trending">not one</a>
    <a href="https://cdn.example.com/blog/feed.json#x">dup</a> <a href="/about">About</a>
    <a href="javascript:void(0)">js</a></body></html>"""
    found = find_feeds(html, "https://www.example.com/blog/post")
    assert found == [
        DiscoveredFeed("https://cdn.example.com/blog/feed.json", "JSON", "json"),
        DiscoveredFeed("https://cdn.example.com/rss.xml", "Our RSS", "rss"),
    ]


def test_page_without_feeds() -> None:
    assert find_feeds(b"<html><body><p>nothing</p></body></html>", "https://e.com/") == []
    assert find_feeds(b"", "https://e.com/") == []
