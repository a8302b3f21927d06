"""OPML import/export on fixture copies (tests/fixtures/feeds, see ORIGIN.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.sources.opml import OpmlError, OpmlOutline, read_opml, write_opml

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def test_nested_folders_joined_with_slash() -> None:
    outlines = read_opml((FEEDS / "newsboat__example2.opml").read_bytes())
    assert len(outlines) == 7
    by_url = {o.url: o for o in outlines}
    assert by_url["https://third.example.com/~of/internet.rss"].folder == "Rant boards/humans"
    assert by_url["https://third.example.com/~of/internet.rss"].title == "Really?"
    assert by_url["https://four.example.com/~john/posts.rss"].folder == "Rant boards"
    assert by_url["https://one.example.com/file.xml"].folder is None
    assert by_url["https://example.com/five.atom"].title == "another title"  # text= only


def test_real_subscription_list_with_site_urls() -> None:
    outlines = read_opml((FEEDS / "nnw__SubsNoTitleAttributes.opml").read_bytes())
    assert len(outlines) == 207
    first = outlines[0]
    assert first == OpmlOutline(
        url="http://daringfireball.net/feeds/main",
        title="Daring Fireball",
        folder=None,
        site_url="http://daringfireball.net/",
    )
    assert len({o.url for o in outlines}) == len(outlines)


def test_command_urls_are_skipped() -> None:
    outlines = read_opml((FEEDS / "newsboat__piped.opml").read_bytes())
    assert [o.url for o in outlines] == ["https://example.com/feed.atom"]
    assert outlines[0].folder == "tagged"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty OPML document"),
        (b"garbage, not xml", "XML error at line 1"),
        (b"<html><body><p>hi</p></body></html>", "root element is <html>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
    ],
)
def test_junk_raises_opml_error(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        read_opml(data)
    assert issubclass(OpmlError, ValueError)


def test_wrong_root_is_refused() -> None:
    with pytest.raises(OpmlError, match="not-opml"):
        read_opml((FEEDS / "newsboat__opml-element-missing.opml").read_bytes())


def test_entities_are_not_expanded() -> None:
    laughs = (FEEDS / "rome__billion_laughs.xml").read_bytes()
    with pytest.raises(OpmlError):
        read_opml(laughs)
    xxe = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <opml version="2.0"><head/><body><outline text="&x;" xmlUrl="https://e.com/f"/></body></opml>"""
    try:
        outlines = read_opml(xxe)
    except OpmlError:
        return
    assert all("root:" not in (o.title or "") for o in outlines)


def test_round_trip() -> None:
    original = [
        OpmlOutline("https://a.example/feed", "A & B <news>", None, "https://a.example/"),
        OpmlOutline("https://b.example/rss", "B", "Tech", None),
        OpmlOutline("https://c.example/atom", None, "Tech/Linux", "https://c.example/"),
        OpmlOutline("https://d.example/x.json", "Д", "Мир/Europe", None),
        OpmlOutline("https://e.example/feed", "E", "Tech", None),
    ]
    text = write_opml(original, title="Mine")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<title>Mine</title>" in text
    back = read_opml(text.encode("utf-8"))
    assert sorted(back, key=lambda o: o.url) == sorted(original, key=lambda o: o.url)
    assert text.count('text="Tech"') == 1  # one folder outline, shared


def test_round_trip_of_a_real_list() -> None:
    outlines = read_opml((FEEDS / "newsboat__example2.opml").read_bytes())
    assert read_opml(write_opml(outlines).encode()) == outlines
