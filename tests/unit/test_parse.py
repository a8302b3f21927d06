"""parse_feed on small fixture copies (tests/fixtures/feeds, see ORIGIN.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop.sources.feed import FeedParseError
from desktop.sources.parse import parse_feed, prepare_xml_bytes

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_seed_aggregator_feed() -> None:
    feed = parse_feed(load("index-of-news.rss"), "http://127.0.0.1:8000/feed.rss")
    assert feed.format == "rss"
    assert feed.title == "Index Of News"
    assert feed.site_url == "http://127.0.0.1:8000/"
    assert len(feed.entries) == 7
    first = feed.entries[0]
    assert first.key == first.guid == "index-of-news-article-1"
    assert first.url == "http://127.0.0.1:8000/article-1"
    assert first.title == "Tense dialogue: Biden and Putin to discuss diplomatic engagements"
    assert first.published == datetime(2022, 1, 8, 12, 0, tzinfo=UTC)
    assert first.content_html.startswith("<p>President Joe Biden")
    bodies = " ".join(e.content_html for e in feed.entries)
    assert "инфлация" in bodies  # Bulgarian
    assert "Börse" in " ".join(e.title for e in feed.entries)  # German headline
    assert any("\u05d0" <= ch <= "\u05ea" for ch in bodies)  # Hebrew
    assert len({e.key for e in feed.entries}) == 7


def test_atom_nested_xml_base_resolves_links() -> None:
    feed = parse_feed(load("kde__tbray.org_nested_xmlbase.xml"), "https://www.tbray.org/x.atom")
    entry = feed.entries[0]
    assert entry.url == "https://www.tbray.org/ongoing/When/201x/2013/06/27/Air-Travel"
    assert entry.language == "en-us"
    assert entry.published is not None and entry.published.tzinfo is UTC
    assert "The World" in entry.categories
    assert feed.format == "atom"


def test_json_feed() -> None:
    feed = parse_feed(load("feedjira__json_feed.json"), "http://inessential.com/feed.json")
    assert feed.format == "json"
    assert feed.title == "inessential.com"
    assert feed.language == "en-US"
    assert len(feed.entries) == 20
    entry = feed.entries[0]
    assert entry.url and entry.url.startswith("http://inessential.com/2017/")
    assert entry.content_html.startswith("<p>")
    assert entry.published == datetime(2017, 6, 3, 5, 5, 47, tzinfo=UTC)


def test_rss_language_and_rdf() -> None:
    zeit = parse_feed(load("kde__zeit.de.xml"), "http://www.zeit.de/rss")
    assert zeit.language == "de-de"
    assert all(e.language == "de-de" for e in zeit.entries)
    assert "hält" in zeit.entries[0].content_html  # ISO-8859-1 declared
    rdf = parse_feed(load("kde__tagesschau.de.xml"), "http://www.tagesschau.de/rss")
    assert rdf.format == "rdf"
    assert len(rdf.entries) == 3  # RSS 0.90 namespace: needs the fallback parser


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("feedparser__koi8r.xml", "Как пережить новогоднюю ночь"),  # undeclared KOI8-R
        ("feedparser__shiftjis.xml", "DrecomRSSに記事投稿が反映されない…"),  # undeclared Shift_JIS
        ("miniflux__utf8-incorrect-prolog.xml", "Café"),  # says ISO-8859-1, is UTF-8
    ],
)
def test_encoding_traps_in_entry_titles(name: str, expected: str) -> None:
    feed = parse_feed(load(name), "https://example.com/feed")
    assert feed.entries[0].title == expected


def test_encoding_traps_in_feed_titles() -> None:
    big5 = parse_feed(load("feedparser__2__big5.xml"), "https://example.com/feed")
    assert big5.title is not None and "很容易" in big5.title  # undeclared Big5
    cp1252 = parse_feed(load("miniflux__windows-1252-incorrect-prolog.xml"), "https://e.com/")
    assert cp1252.title == "Euro €"
    uol = parse_feed(load("rssparser__uolNoticias.rss"), "https://noticias.uol.com.br/")
    assert "simulações" in uol.entries[0].title  # undeclared windows-1252
    # Portuguese day names ("Seg, 24 Set 2018") are not dates either parser reads:
    # they come back as None and ingest uses the fetch time.
    assert all(e.published is None for e in uol.entries)


def test_boms_utf16_and_leading_whitespace() -> None:
    utf16 = load("feedparser__utf-16le-bom.xml")
    assert utf16[:2] == b"\xff\xfe"
    data, encoding, _ = prepare_xml_bytes(utf16)
    assert encoding == "utf-16-le" and data.startswith(b"<")
    parse_feed(utf16, "https://example.com/feed")
    bom = load("feedparser__utf-8-bom.xml")
    assert bom.startswith(b"\xef\xbb\xbf")
    parse_feed(bom, "https://example.com/feed")
    spaced = b"\n\n   " + load("index-of-news.rss")
    assert len(parse_feed(spaced, "http://127.0.0.1:8000/feed").entries) == 7


def test_relative_links_resolved_against_feed_url() -> None:
    feed = parse_feed(
        load("nodefp__rss-with-relative-urls.xml"), "https://www.example.net/news/rss"
    )
    assert feed.entries
    for entry in feed.entries:
        assert entry.url and entry.url.startswith("https://www.example.net/")
    assert feed.language == "en-US"


def test_rss_091() -> None:
    feed = parse_feed(load("rome__rss_0.91U.xml"), "https://example.com/feed")
    assert [e.title for e in feed.entries] == [
        "rss_0.91U.channel.item[0].title",
        "rss_0.91U.channel.item[1].title",
    ]


def test_billion_laughs_and_xxe_do_not_expand() -> None:
    laughs = parse_feed(load("rome__billion_laughs.xml"), "https://example.com/feed")
    text = (laughs.title or "") + " ".join(e.title + e.content_html for e in laughs.entries)
    assert "lollol" not in text
    xxe = parse_feed(load("rome__xxe_file_etc_passwd.xml"), "https://example.com/feed")
    text = " ".join(e.title + e.content_html for e in xxe.entries)
    assert "root:" not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty document"),
        (b"   \n\t ", "empty document"),
        (b"<foo>\n<bar></foo", "XML error at line 2"),
        (b"<catalog><book/></catalog>", "not a feed: <catalog> document"),
        (b"{not json", "not a feed: invalid JSON"),
    ],
)
def test_not_feeds_raise_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(data, "https://example.com/feed")
    assert str(info.value).startswith(message)


def test_html_error_page_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match="looks like an HTML page"):
        parse_feed(load("rome__2.rss"), "https://example.com/feed.rss")


def test_titles_are_plain_text_and_keys_deduplicated() -> None:
    doc = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T &amp;amp; C</title>
    <item><title>Caf&amp;eacute; &lt;b&gt;bold&lt;/b&gt; &amp;amp; more</title>
      <guid>same</guid><description>first</description></item>
    <item><title>dup</title><guid>same</guid><description>second</description></item>
    <item><title>no guid</title><link>/rel/a</link><description>x</description></item>
    <item><title>bare</title><description>only text</description><category>News</category>
      <category>World</category><pubDate>not a date</pubDate></item>
    </channel></rss>"""
    feed = parse_feed(doc, "https://example.com/feeds/main.xml")
    assert [e.key for e in feed.entries][:2] == ["same", "https://example.com/rel/a"]
    assert feed.entries[0].title == "Café bold & more"
    assert feed.entries[0].content_html == "first"
    bare = feed.entries[2]
    assert bare.key.startswith("sha1:") and len(bare.key) == 45
    assert bare.categories == ["News", "World"]
    assert bare.published is None


def test_content_encoded_preferred_over_description() -> None:
    doc = b"""<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
    <channel><title>c</title><item><title>t</title><link>http://e.com/1</link>
    <description>short summary</description>
    <content:encoded><![CDATA[<p>The full body <a href="/x">link</a></p>]]></content:encoded>
    <pubDate>Tue, 10 Jun 2003 04:00:00 +0200</pubDate></item></channel></rss>"""
    entry = parse_feed(doc, "http://e.com/feed").entries[0]
    assert entry.content_html.startswith("<p>The full body")
    assert 'href="http://e.com/x"' in entry.content_html
    assert entry.summary_html == "short summary"
    assert entry.published == datetime(2003, 6, 10, 2, 0, tzinfo=UTC)
