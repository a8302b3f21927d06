"""Fetch full article: the page's main text replaces a summary, sanitised, once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from desktop.service import UserError

pytest.importorskip("trafilatura")
from tests.support.factories import add_source, entry, ingest

PARAGRAPHS = [
    "The harbour authority confirmed on Tuesday that the northern pier will reopen next "
    "month after two years of repairs, a decision welcomed by the fishing cooperative.",
    "Engineers replaced the wooden pilings with steel and concrete, raising the deck by "
    "forty centimetres to cope with the higher storm surges recorded since 2019.",
    "Local shops along the quay expect visitors to return for the summer season, while "
    "the ferry company plans two additional daily crossings to the islands.",
]
PAGE = (
    "<html><head><title>Pier reopens</title><script>alert('x')</script></head><body>"
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
    "<article><h1>Northern pier reopens next month</h1>"
    + "".join(f"<p onclick='steal()'>{p}</p>" for p in PARAGRAPHS)
    + "</article><footer>Copyright 2026 Harbour Times</footer></body></html>"
)


def test_full_article_is_extracted_sanitised_and_fetched_once(desk: Any, feed_server: Any) -> None:
    feed_server.add("/story.html", PAGE.encode(), content_type="text/html; charset=utf-8")
    src = add_source(desk, "https://example.org/summaries", "Summaries")
    url = feed_server.url("/story.html")
    [aid] = ingest(desk, src, [entry("s1", "Pier reopens", "A short summary.", url=url)])
    result = asyncio.run(desk.fetch_full_article(aid))
    assert result.fetched and result.chars > 300
    detail = desk.article(aid)
    assert "forty centimetres" in detail["text"]
    html = desk.db.read(
        lambda c: c.exec_driver_sql(
            "SELECT content_html FROM articles WHERE id = ?", (aid,)
        ).scalar()
    )
    assert "steal" not in html and "<script" not in html and "alert" not in html
    assert "Copyright" not in detail["text"]
    # once: a second request does not fetch again
    again = asyncio.run(desk.fetch_full_article(aid))
    assert not again.fetched and feed_server.hits["/story.html"] == 1
    # a refetch of the unchanged feed entry keeps the full text
    ingest(desk, src, [entry("s1", "Pier reopens", "A short summary.", url=url)])
    assert "forty centimetres" in desk.article(aid)["text"]


def test_a_page_without_article_text_is_reported(desk: Any, feed_server: Any) -> None:
    feed_server.add("/empty.html", b"<html><body><p>Hi</p></body></html>", content_type="text/html")
    src = add_source(desk, "https://example.org/s2", "S2")
    [aid] = ingest(desk, src, [entry("e1", url=feed_server.url("/empty.html"))])
    with pytest.raises(UserError, match="no article text"):
        asyncio.run(desk.fetch_full_article(aid))
    assert desk.article(aid)["text"] == "Body of e1."  # the summary stays
