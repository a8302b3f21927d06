"""The one shared HTTP client for feeds and pages.

:class:`Fetcher` owns a single ``httpx.AsyncClient`` with explicit timeouts,
connection limits, a per-host limit, a user agent and conditional GET. It
follows redirects itself (to know whether every hop was permanent and to catch
loops), decodes gzip/deflate/br itself with a running cap on the *decoded*
size (a decompression bomb is stopped after at most ``max_bytes`` of output),
and never raises for network or HTTP faults: it returns a
:class:`~desktop.sources.feed.FetchResult` whose ``error`` says what happened.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import os
import ssl
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import desktop
from desktop.sources.feed import FetchResult

if TYPE_CHECKING:
    import httpx

__all__ = ["USER_AGENT", "Fetcher", "HttpSettings"]

USER_AGENT = f"Newsdesk/{desktop.__version__} (+https://github.com/newsdesk/newsdesk; feed reader)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_READ_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Network limits; every timeout is in seconds."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 20 * 1024 * 1024
    max_connections: int = 32
    max_per_host: int = 4
    max_redirects: int = 10
    user_agent: str = USER_AGENT
    verify: bool | str | ssl.SSLContext = True
    """TLS verification (``True``, a CA bundle path or an ``SSLContext``); never off by default."""


class _TooLarge(Exception):
    """The body (wire or decoded) passed the cap."""

    def __init__(self, decoded: bool) -> None:
        super().__init__()
        self.decoded = decoded


class _FetchError(Exception):
    """A fault with a ready user-facing message."""


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _Decoder:
    """Incremental Content-Encoding decoder whose output per call is bounded."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib: Any = None
        self._brotli: Any = None
        self._first = True
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif encoding == "br":
            import brotli

            self._brotli = brotli.Decompressor()
        elif encoding not in ("", "identity"):
            raise _FetchError(f"unsupported content encoding {encoding!r}")

    def feed(self, data: bytes, room: int) -> list[bytes]:
        """Decode ``data``; raise :class:`_TooLarge` once output passes ``room`` bytes."""
        if self._zlib is not None:
            return self._feed_zlib(data, room)
        if self._brotli is not None:
            return self._feed_brotli(data, room)
        if len(data) > room:
            raise _TooLarge(decoded=False)
        return [data]

    def _feed_zlib(self, data: bytes, room: int) -> list[bytes]:
        try:
            out = self._zlib.decompress(data, room + 1)
        except zlib.error:
            if self.encoding == "deflate" and self._first:
                # Servers often send raw deflate without the zlib header.
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self._feed_zlib(data, room)
            raise _FetchError("corrupt compressed body") from None
        self._first = False
        pieces, total = [out], len(out)
        while self._zlib.unconsumed_tail and total <= room:
            out = self._zlib.decompress(self._zlib.unconsumed_tail, room + 1 - total)
            pieces.append(out)
            total += len(out)
        if total > room:
            raise _TooLarge(decoded=True)
        if self._zlib.eof and self._zlib.unused_data.strip(b"\0") and self.encoding != "deflate":
            # A gzip stream may hold several members: go on with the next one.
            rest = self._zlib.unused_data
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pieces.extend(self._feed_zlib(rest, room - total))
        return pieces

    def _feed_brotli(self, data: bytes, room: int) -> list[bytes]:
        import brotli

        try:
            out = self._brotli.process(data, output_buffer_limit=room + 1)
            pieces, total = [out], len(out)
            while total <= room and not self._brotli.can_accept_more_data():
                out = self._brotli.process(b"", output_buffer_limit=room + 1 - total)
                if not out:
                    break
                pieces.append(out)
                total += len(out)
        except brotli.error:
            raise _FetchError("corrupt compressed body") from None
        if total > room:
            raise _TooLarge(decoded=True)
        return pieces


def _connect_error(exc: BaseException) -> str:
    text = str(exc)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "TLS certificate verify failed"
        text = text or str(cause)
        cause = cause.__cause__ or cause.__context__
    lower = text.lower()
    if "certificate_verify_failed" in lower or "certificate verify failed" in lower:
        return "TLS certificate verify failed"
    if "connection refused" in lower or "errno 111" in lower:
        return "connection refused"
    if (
        "name or service not known" in lower
        or "nodename nor servname" in lower
        or ("getaddrinfo" in lower)
    ):
        return "host not found"
    if "ssl" in lower or "tls" in lower:
        return f"TLS error: {text}"
    return f"connection failed: {text}" if text else "connection failed"


class Fetcher:
    """Fetches URLs through one shared client; use as ``async with Fetcher() as f``."""

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        self._client: httpx.AsyncClient | None = None
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        import httpx

        s = self.settings
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None
            ),
            limits=httpx.Limits(
                max_connections=s.max_connections, max_keepalive_connections=s.max_connections
            ),
            follow_redirects=False,
            verify=s.verify,
            trust_env=False,
            headers={
                "User-Agent": s.user_agent,
                "Accept-Encoding": "gzip, deflate, br",
                "Accept": (
                    "application/rss+xml, application/atom+xml, application/feed+json, "
                    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
                    "text/html;q=0.7, */*;q=0.5"
                ),
            },
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the shared client (idempotent)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get_page(self, url: str) -> FetchResult:
        """Fetch a web page (for feed discovery); same rules as :meth:`fetch`."""
        return await self.fetch(url)

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        auth: tuple[str, str] | None = None,
    ) -> FetchResult:
        """Fetch ``url`` (http, https or file), conditionally if validators are given.

        Never raises for network or HTTP faults; ``result.error`` explains them.
        ``auth`` (user name, secret) is sent as HTTP Basic, to the feed's own host only.
        """
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        scheme = urlsplit(url).scheme.lower()
        try:
            if scheme == "file":
                await asyncio.to_thread(self._read_file, url, result)
            elif scheme in ("http", "https"):
                if self._client is None:
                    raise RuntimeError("Fetcher used outside 'async with'")
                async with asyncio.timeout(self.settings.total_timeout):
                    await self._fetch_http(url, etag, last_modified, result, auth)
            else:
                result.error = f"unsupported URL scheme {scheme!r}" if scheme else "invalid URL"
        except TimeoutError:
            result.error = f"timed out (total) after {_seconds(self.settings.total_timeout)}"
            result.body = None
        except _FetchError as exc:
            result.error = str(exc)
            result.body = None
        result.elapsed = time.monotonic() - started
        return result

    # ------------------------------------------------------------------ file

    def _read_file(self, url: str, result: FetchResult) -> None:
        parts = urlsplit(url)
        path = url2pathname(parts.path)
        if parts.netloc and parts.netloc not in ("", "localhost"):
            raise _FetchError(f"file URL with a remote host is not supported: {url}")
        try:
            size = os.path.getsize(path)
            if size > self.settings.max_bytes:
                raise _FetchError(f"response larger than {_size(self.settings.max_bytes)}")
            with open(path, "rb") as fh:
                body = fh.read(self.settings.max_bytes + 1)
        except FileNotFoundError:
            raise _FetchError(f"file not found: {path}") from None
        except IsADirectoryError:
            raise _FetchError(f"not a file: {path}") from None
        except PermissionError:
            raise _FetchError(f"permission denied: {path}") from None
        except OSError as exc:
            raise _FetchError(f"cannot read {path}: {exc.strerror or exc}") from None
        if len(body) > self.settings.max_bytes:
            raise _FetchError(f"response larger than {_size(self.settings.max_bytes)}")
        result.status = 200
        result.body = body
        mtime = os.path.getmtime(path)
        result.last_modified = email.utils.formatdate(mtime, usegmt=True)

    # ------------------------------------------------------------------ http

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.settings.max_per_host)
        return slot

    async def _fetch_http(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        result: FetchResult,
        auth: tuple[str, str] | None = None,
    ) -> None:
        import httpx

        assert self._client is not None
        s = self.settings
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        visited = {url}
        permanent = True
        hops = 0
        current = url
        while True:
            try:
                async with self._host_slot(current):
                    request = self._client.build_request("GET", current, headers=headers)
                    same_host = urlsplit(current).netloc.lower() == urlsplit(url).netloc.lower()
                    basic = httpx.BasicAuth(*auth) if auth and same_host else None
                    response = await self._client.send(request, stream=True, auth=basic)
                    try:
                        location = await self._handle(response, result)
                    except BaseException:
                        await response.aclose()
                        raise
                    await _drain(response)
                    await response.aclose()
            except httpx.ConnectTimeout:
                raise _FetchError(
                    f"timed out (connect) after {_seconds(s.connect_timeout)}"
                ) from None
            except httpx.ReadTimeout:
                raise _FetchError(f"timed out (read) after {_seconds(s.read_timeout)}") from None
            except httpx.WriteTimeout:
                raise _FetchError(f"timed out (write) after {_seconds(s.read_timeout)}") from None
            except httpx.PoolTimeout:
                raise _FetchError("timed out waiting for a free connection") from None
            except httpx.ConnectError as exc:
                raise _FetchError(_connect_error(exc)) from None
            except httpx.RemoteProtocolError as exc:
                raise _FetchError(f"connection closed by server ({exc})") from None
            except (httpx.ReadError, httpx.WriteError) as exc:
                raise _FetchError(f"connection error: {exc or type(exc).__name__}") from None
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise _FetchError(f"invalid URL: {exc}") from None
            except httpx.HTTPError as exc:
                raise _FetchError(f"network error: {exc or type(exc).__name__}") from None
            except _TooLarge as exc:
                what = "decompressed body" if exc.decoded else "response"
                raise _FetchError(f"{what} larger than {_size(s.max_bytes)}") from None
            if location is None:
                break
            status = result.status or 0
            permanent = permanent and status in _PERMANENT
            try:
                nxt = urljoin(current, location.strip())
            except ValueError:
                raise _FetchError(f"HTTP {status} redirect to an invalid URL") from None
            if urlsplit(nxt).scheme.lower() not in ("http", "https"):
                raise _FetchError(f"HTTP {status} redirect to an unsupported URL")
            if nxt in visited:
                raise _FetchError("redirect loop")
            hops += 1
            if hops > s.max_redirects:
                raise _FetchError("too many redirects")
            visited.add(nxt)
            current = nxt
            result.final_url = nxt
        if hops and permanent:
            result.permanent_url = result.final_url

    async def _handle(self, response: httpx.Response, result: FetchResult) -> str | None:
        """Fill ``result`` from one response; return the Location to follow, if any."""
        status = response.status_code
        result.status = status
        h = response.headers
        if status in _REDIRECTS:
            location = h.get("location")
            if not location:
                raise _FetchError(f"HTTP {status} redirect without Location")
            return location
        result.content_type = h.get("content-type")
        result.etag = h.get("etag")
        result.last_modified = h.get("last-modified")
        if status == 304:
            result.not_modified = True
            return None
        if status >= 400 or status < 200:
            phrase = response.reason_phrase or _phrase(status)
            message = f"HTTP {status} {phrase}".rstrip()
            if status == 410:
                result.gone = True
            if status in (429, 503):
                result.retry_after = _retry_after(h.get("retry-after"))
                if result.retry_after is not None:
                    message += f" (retry after {_seconds(round(result.retry_after))})"
            result.error = message
            return None
        if 300 <= status < 400:
            result.error = f"HTTP {status} {_phrase(status)}".rstrip()
            return None
        result.body = await self._read_body(response)
        return None

    async def _read_body(self, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > cap:
            raise _TooLarge(decoded=False)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        decoder = _Decoder(encoding)
        pieces: list[bytes] = []
        total = wire = 0
        async for raw in response.aiter_raw(_READ_CHUNK):
            wire += len(raw)
            if wire > cap:
                raise _TooLarge(decoded=False)
            for piece in decoder.feed(raw, cap - total):
                pieces.append(piece)
                total += len(piece)
        return b"".join(pieces)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


async def _drain(response: object, limit: int = 65_536) -> None:
    """Read what is left of a small unread body (304s, redirects, errors), so that the
    connection goes back to the pool instead of being closed; large ones are dropped."""
    import httpx

    if getattr(response, "is_stream_consumed", True):
        return
    length = response.headers.get("content-length")  # type: ignore[attr-defined]
    if length and length.isdigit() and int(length) > limit:
        return
    seen = 0
    try:
        async for chunk in response.aiter_raw():  # type: ignore[attr-defined]
            seen += len(chunk)
            if seen > limit:
                return
    except (httpx.HTTPError, _TooLarge):
        return
