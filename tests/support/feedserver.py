"""A real HTTP server on 127.0.0.1 for integration tests and benchmarks.

Usage::

    with FeedServer() as server:
        server.add("/feed.xml", body, content_type="application/rss+xml", etag='"v1"')
        url = server.url("/feed.xml")
        ...                                   # fetch it with the real client
        assert server.hits["/feed.xml"] == 2
        assert server.not_modified["/feed.xml"] == 1

The server is a ``ThreadingHTTPServer`` (HTTP/1.1 with keep-alive, one thread
per connection) on an ephemeral port, run in a daemon thread; leaving the
``with`` block stops it within a fraction of a second, waking any handler that
is sleeping in a fault route.

Routes added with :meth:`FeedServer.add` answer GET with their body and
honour ``If-None-Match`` (against ``etag``) and ``If-Modified-Since`` (against
``last_modified``) with a 304. ``encoding`` ("gzip", "deflate" or "br")
compresses the body on the wire. :meth:`FeedServer.redirect` adds a redirect.
Unknown paths answer 404.

Built-in fault routes (tune them through the attributes of the same name):

===================  ==========================================================
``/fault/slow``      waits ``slow_seconds`` (default 5 s) before answering
``/fault/drip``      sends one byte every ``drip_interval`` s, for ``drip_bytes``
``/fault/404``       404 Not Found
``/fault/410``       410 Gone
``/fault/429``       429 Too Many Requests, ``Retry-After: 120``
``/fault/503``       503 Service Unavailable, Retry-After as an HTTP date (+120 s)
``/fault/500``       500 Internal Server Error
``/fault/loop``      302 -> ``/fault/loop2`` -> 302 -> ``/fault/loop``
``/fault/moved``     301 to ``moved_to`` (default ``/feed.xml``; register it)
``/fault/temp``      302 to ``moved_to``
``/fault/big``       ``big_bytes`` (default 2 MB) of XML, with Content-Length
``/fault/big-chunked`` the same without Content-Length (streamed in chunks)
``/fault/bomb``      gzip of ``bomb_bytes`` (default 64 MB) of spaces: ~64 KB
``/fault/laughs``    a billion-laughs RSS document
``/fault/xxe``       an RSS document whose entity reads ``file:///etc/passwd``
``/fault/html``      an HTML page with ``<link rel=alternate>`` to ``/feed.xml``
``/fault/notxml``    random-looking binary garbage as ``application/rss+xml``
``/fault/close``     closes the connection without any answer
===================  ==========================================================

Counters: ``hits[path]`` (every request), ``not_modified[path]`` (304s
answered), ``last_headers[path]`` (the last request's headers), and
``max_concurrent`` (most requests being handled at once, over all paths),
``connections`` (TCP connections accepted;
``reset_counters()`` clears them all).
"""

from __future__ import annotations

import email.utils
import gzip
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["FeedServer", "Route"]

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title><link>http://example.com/</link>
<item><title>&lol9;</title><link>http://example.com/1</link>
<description>&lol9;</description></item></channel></rss>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>XXE</title><link>http://example.com/</link>
<item><title>Hello &xxe;</title><link>http://example.com/1</link>
<description>before &xxe; after</description></item></channel></rss>
"""

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>A site</title>
<link rel="alternate" type="application/rss+xml" title="The feed" href="/feed.xml">
</head><body><h1>A site</h1><p>Not a feed.</p></body></html>
"""

NOT_XML = bytes((i * 97 + 13) % 256 for i in range(4096))


@dataclass(slots=True)
class Route:
    """One configured answer."""

    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    delay: float = 0.0


def _encode(body: bytes, encoding: str | None) -> bytes:
    if encoding in (None, "", "identity"):
        return body
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=6, mtime=0)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "br":
        import brotli

        return brotli.compress(body)
    raise ValueError(f"unknown encoding {encoding!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 5  # idle keep-alive connections close after this

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        owner = self.server.owner
        with owner._lock:
            owner.connections += 1

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        with owner._lock:
            owner.hits[path] += 1
            owner.last_headers[path] = dict(self.headers.items())
            owner._active += 1
            owner.max_concurrent = max(owner.max_concurrent, owner._active)
        try:
            if path.startswith("/fault/"):
                self._fault(owner, path[len("/fault/") :])
            else:
                route = owner.routes.get(path)
                if route is None:
                    self._send(404, b"not found\n", "text/plain")
                else:
                    self._route(owner, path, route)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with owner._lock:
                owner._active -= 1

    def _route(self, owner: FeedServer, path: str, route: Route) -> None:
        if route.delay and owner._stop.wait(route.delay):
            return
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        fresh = False
        if route.etag and inm:
            fresh = inm.strip() == "*" or route.etag in [t.strip() for t in inm.split(",")]
        elif route.last_modified and ims:
            fresh = _not_newer(route.last_modified, ims)
        validators = {}
        if route.etag:
            validators["ETag"] = route.etag
        if route.last_modified:
            validators["Last-Modified"] = route.last_modified
        if fresh and route.status == 200:
            with owner._lock:
                owner.not_modified[path] += 1
            self._send(304, b"", None, validators)
            return
        headers = {**validators, **route.headers}
        body = _encode(route.body, route.encoding)
        if route.encoding:
            headers["Content-Encoding"] = route.encoding
        self._send(route.status, body, route.content_type, headers)

    def _fault(self, owner: FeedServer, name: str) -> None:
        if name == "slow":
            owner._stop.wait(owner.slow_seconds)
            self._send(200, owner.feed_body, "application/rss+xml")
        elif name == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for i in range(owner.drip_bytes):
                if owner._stop.wait(owner.drip_interval):
                    return
                self.wfile.write(b"<"[:1] if i == 0 else b" ")
                self.wfile.flush()
        elif name in ("404", "500"):
            self._send(int(name), b"error\n", "text/plain")
        elif name == "410":
            self._send(410, b"gone\n", "text/plain")
        elif name == "429":
            self._send(429, b"slow down\n", "text/plain", {"Retry-After": "120"})
        elif name == "503":
            when = email.utils.formatdate(time.time() + 120, usegmt=True)
            self._send(503, b"busy\n", "text/plain", {"Retry-After": when})
        elif name == "loop":
            self._send(302, b"", None, {"Location": "/fault/loop2"})
        elif name == "loop2":
            self._send(302, b"", None, {"Location": "/fault/loop"})
        elif name == "moved":
            self._send(301, b"", None, {"Location": owner.moved_to})
        elif name == "temp":
            self._send(302, b"", None, {"Location": owner.moved_to})
        elif name == "big":
            self._send(200, _big(owner.big_bytes), "application/rss+xml")
        elif name == "big-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            body = _big(owner.big_bytes)
            for start in range(0, len(body), 65536):
                if owner._stop.is_set():
                    return
                self.wfile.write(body[start : start + 65536])
        elif name == "bomb":
            self._send(200, owner._bomb(), "application/rss+xml", {"Content-Encoding": "gzip"})
        elif name == "laughs":
            self._send(200, LAUGHS, "application/rss+xml")
        elif name == "xxe":
            self._send(200, XXE, "application/rss+xml")
        elif name == "html":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
        elif name == "close":
            self.close_connection = True
            self.connection.shutdown(2)
        elif name == "notxml":
            self._send(200, NOT_XML, "application/rss+xml")
        else:
            self._send(404, b"no such fault\n", "text/plain")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type and status != 304:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)


def _not_newer(last_modified: str, since: str) -> bool:
    if last_modified.strip() == since.strip():
        return True
    try:
        lm = email.utils.parsedate_to_datetime(last_modified)
        ims = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return lm <= ims


def _big(size: int) -> bytes:
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
    tail = b"</channel></rss>"
    filler = b"<!-- " + b"x" * max(0, size - len(head) - len(tail) - 9) + b" -->"
    return head + filler + tail


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, size caps) are normal here: stay quiet."""


class FeedServer:
    """A local HTTP server with configurable routes and fault routes (see module doc)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}
        self.max_concurrent = 0
        self.connections = 0
        """TCP connections accepted (a client that reuses connections opens few)."""
        self.slow_seconds = 5.0
        self.drip_interval = 0.2
        self.drip_bytes = 100
        self.big_bytes = 2 * 1024 * 1024
        self.bomb_bytes = 64 * 1024 * 1024
        self.moved_to = "/feed.xml"
        self.feed_body = (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>'
            b"<item><title>late</title><link>http://example.com/late</link></item>"
            b"</channel></rss>"
        )
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._active = 0
        self._bomb_cache: tuple[int, bytes] | None = None
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> FeedServer:
        """Bind to 127.0.0.1 on a free port and serve in a daemon thread."""
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes sleeping fault handlers. Idempotent."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- configuration

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        if not path.startswith("/"):
            path = "/" + path
        return f"http://127.0.0.1:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/rss+xml; charset=utf-8",
        etag: str | None = None,
        last_modified: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        gzip: bool = False,
        encoding: str | None = None,
        delay: float = 0.0,
    ) -> str:
        """Serve ``body`` at ``path`` (replacing any earlier route); return its URL.

        ``gzip=True`` is short for ``encoding="gzip"``; ``delay`` waits that many
        seconds before answering (to make requests overlap).
        """
        self.routes[path] = Route(
            body=body,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            status=status,
            headers=dict(headers or {}),
            encoding=encoding or ("gzip" if gzip else None),
            delay=delay,
        )
        return self.url(path)

    def redirect(self, path: str, to: str, status: int = 301) -> str:
        """Answer ``path`` with a redirect (``status``) to ``to``; return its URL."""
        self.routes[path] = Route(
            body=b"", content_type="", status=status, headers={"Location": to}
        )
        return self.url(path)

    def reset_counters(self) -> None:
        """Clear hits, 304 counts, recorded headers and the concurrency peak."""
        with self._lock:
            self.hits.clear()
            self.not_modified.clear()
            self.last_headers.clear()
            self.max_concurrent = 0
            self.connections = 0

    def _bomb(self) -> bytes:
        if self._bomb_cache is None or self._bomb_cache[0] != self.bomb_bytes:
            compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            block = b" " * (1024 * 1024)
            parts = [compressor.compress(b'<?xml version="1.0"?><rss><channel><title>')]
            for _ in range(self.bomb_bytes // len(block)):
                parts.append(compressor.compress(block))
            parts.append(compressor.compress(b"</title></channel></rss>"))
            parts.append(compressor.flush())
            self._bomb_cache = (self.bomb_bytes, b"".join(parts))
        return self._bomb_cache[1]
