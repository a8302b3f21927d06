"""``canonical_url``'s fast path for plain URLs gives what the urlsplit path gives."""

from __future__ import annotations

import random

from desktop.enrich.stories import _SIMPLE_URL, _canonical_url_general, canonical_url

_PIECES = {
    "scheme": ["http", "https", "HTTP", "ftp", "Https"],
    "host": [
        "example.com", "www.example.com", "m.www.example.com", "amp.m.news.example.org",
        "www.com", "m.co", "Example.COM", "example.com.", "127.0.0.1", "a-b.example.net",
        "xn--bcher-kva.example", ".", "www.", "[::1]", "user@example.com",
    ],
    "port": ["", ":80", ":443", ":8080", ":080", ":0", ":65535", ":65536", ":99999", ":"],
    "path": [
        "", "/", "/a/b", "/a/b/", "//a//b", "/post/1/2", "/amp", "/story/amp/", "/x.amp",
        "/a/amp.html", "/AMP", "/a%20b", "/ä", "/a b", "/a;b=c", "/@x:y", "/~u/it's",
    ],
    "tail": ["", "?", "?a=1", "#frag", "?utm_source=x&id=2"],
}  # fmt: skip


def test_fast_path_equals_urlsplit_path_on_random_urls() -> None:
    rnd = random.Random(7)
    fast = 0
    for _ in range(20000):
        url = "{}://{}{}{}{}".format(*(rnd.choice(v) for v in _PIECES.values()))
        fast += bool(_SIMPLE_URL.fullmatch(url))
        assert canonical_url(url) == _canonical_url_general(url), url
    assert fast > 500  # the fast path was exercised


def test_fast_path_takes_the_common_article_link() -> None:
    url = "https://www.example.com:443/news/2026/story-1/amp/"
    assert _SIMPLE_URL.fullmatch(url)
    assert canonical_url(url) == "https://example.com/news/2026/story-1"
