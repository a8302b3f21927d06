"""Fetcher against a real local HTTP server (tests/support/feedserver.py)."""

from __future__ import annotations

import asyncio
import email.utils
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from desktop.sources.discover import find_feeds
from desktop.sources.feed import FeedParseError, FetchResult
from desktop.sources.http import USER_AGENT, Fetcher, HttpSettings
from desktop.sources.parse import parse_feed
from tests.support.feedserver import FeedServer

FEED = (
    Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "index-of-news.rss"
).read_bytes()
FAST = HttpSettings(connect_timeout=2, read_timeout=0.5, total_timeout=5, max_bytes=1024 * 1024)


def fetch(url: str, settings: HttpSettings = FAST, **kwargs: str | None) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def test_plain_fetch_sends_our_headers(feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/feed.xml", FEED, etag='"v1"', last_modified="Sat, 08 Jan 2022 12:00:00 GMT"
    )
    result = fetch(url)
    assert result.ok and result.status == 200 and result.body == FEED
    assert result.etag == '"v1"' and result.last_modified == "Sat, 08 Jan 2022 12:00:00 GMT"
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.final_url == url and result.permanent_url is None
    sent = feed_server.last_headers["/feed.xml"]
    assert sent["User-Agent"] == USER_AGENT
    assert sent["Accept-Encoding"] == "gzip, deflate, br"
    assert len(parse_feed(result.body or b"", result.final_url).entries) == 7


def test_conditional_get_gives_304(feed_server: FeedServer) -> None:
    url = feed_server.add("/feed.xml", FEED, etag='"v1"')
    lm_url = feed_server.add("/lm.xml", FEED, last_modified="Sat, 08 Jan 2022 12:00:00 GMT")

    async def go() -> list[FetchResult]:
        async with Fetcher(FAST) as fetcher:
            first = await fetcher.fetch(url)
            second = await fetcher.fetch(url, etag=first.etag)
            third = await fetcher.fetch(lm_url)
            fourth = await fetcher.fetch(lm_url, last_modified=third.last_modified)
            return [first, second, third, fourth]

    first, second, third, fourth = asyncio.run(go())
    assert third.status == 200
    assert first.status == 200 and not first.not_modified
    assert second.status == 304 and second.not_modified and second.ok and second.body is None
    assert second.etag == '"v1"'
    assert fourth.not_modified and fourth.ok
    assert feed_server.hits["/feed.xml"] == 2 and feed_server.not_modified["/feed.xml"] == 1
    assert feed_server.not_modified["/lm.xml"] == 1
    assert feed_server.last_headers["/feed.xml"]["If-None-Match"] == '"v1"'


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_bodies_are_decoded(feed_server: FeedServer, encoding: str) -> None:
    url = feed_server.add("/c.xml", FEED, encoding=encoding)
    result = fetch(url)
    assert result.ok and result.body == FEED


def test_read_timeout(feed_server: FeedServer) -> None:
    feed_server.slow_seconds = 5
    started = time.monotonic()
    result = fetch(feed_server.url("/fault/slow"))
    assert result.error == "timed out (read) after 0.5 s"
    assert time.monotonic() - started < 3
    assert result.body is None


def test_drip_hits_total_timeout(feed_server: FeedServer) -> None:
    feed_server.drip_interval = 0.1
    settings = HttpSettings(read_timeout=2, total_timeout=1, max_bytes=1024 * 1024)
    result = fetch(feed_server.url("/fault/drip"), settings)
    assert result.error == "timed out (total) after 1 s"
    assert 0.9 < result.elapsed < 3


@pytest.mark.parametrize(
    ("path", "error", "gone"),
    [
        ("/fault/404", "HTTP 404 Not Found", False),
        ("/fault/410", "HTTP 410 Gone", True),
        ("/fault/500", "HTTP 500 Internal Server Error", False),
        ("/fault/429", "HTTP 429 Too Many Requests (retry after 120 s)", False),
        ("/nowhere", "HTTP 404 Not Found", False),
    ],
)
def test_http_errors(feed_server: FeedServer, path: str, error: str, gone: bool) -> None:
    result = fetch(feed_server.url(path))
    assert result.error == error
    assert result.gone is gone
    assert result.body is None
    if path == "/fault/429":
        assert result.retry_after == 120


def test_retry_after_as_http_date(feed_server: FeedServer) -> None:
    result = fetch(feed_server.url("/fault/503"))
    assert result.status == 503
    assert result.retry_after is not None and 100 < result.retry_after <= 121
    assert result.error and result.error.startswith("HTTP 503 Service Unavailable (retry after")


def test_redirect_loop_and_too_many(feed_server: FeedServer) -> None:
    assert fetch(feed_server.url("/fault/loop")).error == "redirect loop"
    for i in range(5):
        feed_server.redirect(f"/r{i}", f"/r{i + 1}", status=302)
    feed_server.add("/r5", FEED)
    few = HttpSettings(read_timeout=1, total_timeout=5, max_redirects=3)
    assert fetch(feed_server.url("/r0"), few).error == "too many redirects"
    ok = fetch(feed_server.url("/r0"))
    assert ok.ok and ok.final_url == feed_server.url("/r5") and ok.permanent_url is None


def test_permanent_versus_temporary_redirects(feed_server: FeedServer) -> None:
    target = feed_server.add("/feed.xml", FEED)
    moved = fetch(feed_server.url("/fault/moved"))
    assert moved.ok and moved.final_url == target and moved.permanent_url == target
    temp = fetch(feed_server.url("/fault/temp"))
    assert temp.ok and temp.final_url == target and temp.permanent_url is None
    feed_server.redirect("/a", "/b", status=308)
    feed_server.redirect("/b", feed_server.url("/feed.xml"), status=301)
    assert fetch(feed_server.url("/a")).permanent_url == target
    feed_server.redirect("/m", "/n", status=301)
    feed_server.redirect("/n", "/feed.xml", status=307)
    mixed = fetch(feed_server.url("/m"))
    assert mixed.ok and mixed.final_url == target and mixed.permanent_url is None


def test_size_caps(feed_server: FeedServer) -> None:
    feed_server.big_bytes = 2 * 1024 * 1024
    assert fetch(feed_server.url("/fault/big")).error == "response larger than 1 MB"
    assert fetch(feed_server.url("/fault/big-chunked")).error == "response larger than 1 MB"
    feed_server.big_bytes = 512 * 1024
    assert fetch(feed_server.url("/fault/big")).ok


def test_gzip_bomb_is_stopped_early(feed_server: FeedServer) -> None:
    settings = HttpSettings(read_timeout=10, total_timeout=20, max_bytes=1024 * 1024)
    result = fetch(feed_server.url("/fault/bomb"), settings)
    assert result.error == "decompressed body larger than 1 MB"
    assert result.body is None


def test_hostile_documents_fetch_and_fail_safely(feed_server: FeedServer) -> None:
    for path in ("/fault/laughs", "/fault/xxe"):
        result = fetch(feed_server.url(path))
        assert result.ok and result.body
        try:
            feed = parse_feed(result.body, result.final_url)
        except FeedParseError:
            continue
        text = " ".join(e.title + e.content_html for e in feed.entries)
        assert "lollollol" not in text and "root:x:0:0" not in text
    html = fetch(feed_server.url("/fault/html"))
    with pytest.raises(FeedParseError, match="HTML page"):
        parse_feed(html.body or b"", html.final_url, html.content_type)
    found = find_feeds(html.body or b"", html.final_url)
    assert found[0].url == feed_server.url("/feed.xml")
    garbage = fetch(feed_server.url("/fault/notxml"))
    with pytest.raises(FeedParseError):
        parse_feed(garbage.body or b"", garbage.final_url)


def test_connection_refused_and_closed(feed_server: FeedServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert fetch(f"http://127.0.0.1:{port}/feed").error == "connection refused"
    closed = fetch(feed_server.url("/fault/close"))
    assert closed.error and closed.error.startswith("connection closed by server")
    assert fetch("ftp://example.com/feed").error == "unsupported URL scheme 'ftp'"


def test_file_urls(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    result = fetch(path.as_uri())
    assert result.ok and result.body == FEED and result.last_modified
    missing = fetch((tmp_path / "nope.xml").as_uri())
    assert missing.error == f"file not found: {tmp_path / 'nope.xml'}"
    big = tmp_path / "big.xml"
    big.write_bytes(b" " * (1024 * 1024 + 1))
    assert fetch(big.as_uri()).error == "response larger than 1 MB"


def test_per_host_limit(feed_server: FeedServer) -> None:
    url = feed_server.add("/slow.xml", FEED, delay=0.2)
    settings = HttpSettings(read_timeout=5, total_timeout=20, max_per_host=2)

    async def go() -> list[FetchResult]:
        async with Fetcher(settings) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(url) for _ in range(8)))

    results = asyncio.run(go())
    assert all(r.ok for r in results)
    assert feed_server.hits["/slow.xml"] == 8
    assert feed_server.max_concurrent == 2


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    key, cert = _self_signed(tmp_path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/feed"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_tls_certificate_is_verified(tls_server: str) -> None:
    assert fetch(tls_server).error == "TLS certificate verify failed"


def test_retry_after_date_parsing() -> None:
    from desktop.sources.http import _retry_after

    assert _retry_after("120") == 120
    assert _retry_after(None) is None and _retry_after("soon") is None
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert _retry_after(past) == 0
