"""A Google Reader API server on 127.0.0.1, in two flavours: FreshRSS and Miniflux.

Written from the public descriptions of the API (FreshRSS's ``p/api/greader.php``
and Miniflux's ``internal/googlereader``), for sync tests and benchmarks::

    with GReaderServer(flavour="miniflux") as server:
        feed = server.add_feed("World", folder="News")
        ids = server.add_items(feed, 100)
        server.set_state(ids[0], read=True)
        url = server.base_url          # what an account is added with
        ...
        assert server.items[ids[0]].starred

What both flavours do, as the real servers do:

* ``POST accounts/ClientLogin`` (``Email``, ``Passwd``) answers
  ``SID=…\\nLSID=…\\nAuth=…``; a wrong password is 401.
* Reads need ``Authorization: GoogleLogin auth=<Auth>``; ``GET
  reader/api/0/token`` gives the ``T`` token that writes carry in the form.
* ``subscription/list``, ``stream/items/ids`` (``s``, ``xt``, ``n``, ``c``;
  decimal ids, newest first, a continuation while more remain),
  ``stream/items/contents`` (POST, ``i=`` long-form hex or decimal ids) and
  ``edit-tag`` (POST, ``a=``/``r=`` ``user/-/state/com.google/read|starred``,
  answers ``OK``).

Where they differ (the switch is ``flavour``):

=========================  ===============================  ===========================
                           FreshRSS                         Miniflux
=========================  ===============================  ===========================
base URL                   ``/api/greader.php``             the server root
POST authentication        Authorization header + ``T``     ``T`` only (it is the token)
``T`` token                57 characters, from ``token``    the auth token itself
``continuation``           last id of the page (string)     next offset (integer)
``stream/contents``        items                            ``[]`` (not implemented)
item ``updated``           absent                           time of the last state change
``output=json`` missing    accepted                         400
=========================  ===============================  ===========================

Counters: ``hits[path]``; ``down = True`` makes every request fail with 503;
``delay`` makes every answer wait that many seconds.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["GReaderServer", "Item"]

LONG_PREFIX = "tag:google.com,2005:reader/item/"
FIRST_ID = 1_700_000_000_000_000  # FreshRSS ids are microsecond timestamps: beyond 32 bits


@dataclass(slots=True)
class Feed:
    id: int
    title: str
    url: str
    site_url: str
    folder: str


@dataclass(slots=True)
class Item:
    id: int
    feed_id: int
    title: str
    url: str
    html: str
    published: int
    read: bool = False
    starred: bool = False
    changed_at: int = 0
    history: list[tuple[str, bool]] = field(default_factory=list)


def _state_suffix(tag: str) -> str | None:
    """``user/-/state/com.google/read`` or ``user/1/state/com.google/read`` → ``read``."""
    if tag.startswith("user/") and "/state/com.google/" in tag:
        return tag.rsplit("/", 1)[1]
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET", b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch("POST", self.rfile.read(length))

    def _send(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: Any) -> None:
        self._send(200, json.dumps(data).encode(), "application/json; charset=UTF-8")

    def _dispatch(self, method: str, body: bytes) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        form = parse_qs(body.decode(), keep_blank_values=True) if method == "POST" else {}
        with owner.lock:
            owner.hits[path] += 1
        if owner.delay:
            time.sleep(owner.delay)
        if owner.down:
            self._send(503, b"Service Unavailable!")
            return
        if not path.startswith(owner.prefix + "/"):
            self._send(404, b"not found")
            return
        route = path[len(owner.prefix) :]
        if route == "/accounts/ClientLogin" and method == "POST":
            self._client_login({**query, **form})
            return
        if not route.startswith("/reader/api/0/"):
            self._send(404, b"not found")
            return
        if not self._authorised(method, form):
            self._send(401, b"Unauthorized!")
            return
        api = route[len("/reader/api/0/") :]
        output = (form.get("output") or query.get("output") or [""])[0]
        if (
            owner.flavour == "miniflux"
            and output != "json"
            and api != "token"
            and api != "edit-tag"
        ):
            self._send(400, b'{"error_message":"googlereader: only json output is supported"}')
            return
        with owner.lock:
            self._route(method, api, query, form)

    def _client_login(self, params: dict[str, list[str]]) -> None:
        owner = self.server.owner
        email = (params.get("Email") or [""])[0]
        password = (params.get("Passwd") or [""])[0]
        if not email or owner.users.get(email) != password:
            self._send(401, b"Unauthorized!")
            return
        token = owner.auth_token(email)
        self._send(200, f"SID={token}\nLSID=null\nAuth={token}\n".encode())

    def _authorised(self, method: str, form: dict[str, list[str]]) -> bool:
        owner = self.server.owner
        header = self.headers.get("Authorization") or ""
        auth = header[len("GoogleLogin auth=") :] if header.startswith("GoogleLogin auth=") else ""
        valid = set(owner.tokens)
        if method == "POST":
            t = (form.get("T") or [""])[0]
            if owner.flavour == "miniflux":
                return t in valid
            return auth in valid and t == owner.write_token(owner.tokens[auth])
        return auth in valid

    def _route(
        self, method: str, api: str, query: dict[str, list[str]], form: dict[str, list[str]]
    ) -> None:
        owner = self.server.owner
        if api == "token" and method == "GET":
            header = self.headers.get("Authorization") or ""
            auth = header[len("GoogleLogin auth=") :]
            token = owner.write_token(owner.tokens[auth]) if owner.flavour == "freshrss" else auth
            self._send(200, (token + "\n").encode())
        elif api == "subscription/list" and method == "GET":
            self._json({"subscriptions": [owner.subscription(f) for f in owner.feeds.values()]})
        elif api == "stream/items/ids" and method == "GET":
            self._json(owner.item_ids(query))
        elif api == "stream/items/contents" and method == "POST":
            ids = [owner.decode_id(i) for i in form.get("i") or []]
            found = [owner.items[i] for i in ids if i in owner.items]
            if owner.flavour == "miniflux" and not found:
                self._send(400, b'{"error_message":"no items returned from the database"}')
                return
            found.sort(key=lambda it: (it.published, it.id), reverse=True)
            self._json(
                {
                    "id": "user/-/state/com.google/reading-list",
                    "items": [owner.render(it) for it in found],
                }
            )
        elif api.startswith("stream/contents") and method == "GET":
            if owner.flavour == "miniflux":
                self._json([])  # Miniflux: "API endpoint not implemented yet"
                return
            refs = owner.item_ids(query)
            items = [owner.render(owner.items[int(r["id"])]) for r in refs["itemRefs"]]
            out: dict[str, Any] = {"id": "user/-/state/com.google/reading-list", "items": items}
            if "continuation" in refs:
                out["continuation"] = refs["continuation"]
            self._json(out)
        elif api == "edit-tag" and method == "POST":
            ids = [owner.decode_id(i) for i in form.get("i") or []]
            for tag in form.get("a") or []:
                owner.apply(ids, _state_suffix(tag), True)
            for tag in form.get("r") or []:
                owner.apply(ids, _state_suffix(tag), False)
            self._send(200, b"OK")
        else:
            self._send(404 if owner.flavour == "freshrss" else 200, b"[]")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: GReaderServer


class GReaderServer:
    """The double; ``flavour`` is ``"freshrss"`` or ``"miniflux"`` (see the module doc)."""

    def __init__(self, flavour: str = "freshrss", users: dict[str, str] | None = None) -> None:
        if flavour not in ("freshrss", "miniflux"):
            raise ValueError(f"unknown flavour {flavour!r}")
        self.flavour = flavour
        self.prefix = "/api/greader.php" if flavour == "freshrss" else ""
        self.users = dict(users or {"alice": "correct horse battery"})
        self.tokens: dict[str, str] = {}
        """Auth token → user name."""
        self.feeds: dict[int, Feed] = {}
        self.items: dict[int, Item] = {}
        self.hits: Counter[str] = Counter()
        self.down = False
        self.delay = 0.0
        """Seconds every answer waits (a slow server)."""
        self.lock = threading.RLock()
        self._next_id = FIRST_ID
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> GReaderServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GReaderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The URL an account is added with."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.prefix}"

    # -- tokens

    def auth_token(self, user: str) -> str:
        digest = hashlib.sha1(f"{user}:{self.users[user]}".encode()).hexdigest()
        token = f"{user}/{digest}"
        self.tokens[token] = user
        return token

    def write_token(self, user: str) -> str:
        return hashlib.sha1(f"T:{user}".encode()).hexdigest().ljust(57, "Z")

    # -- content

    def add_feed(self, title: str, folder: str = "Uncategorized", url: str | None = None) -> int:
        """Subscribe the user to a feed; returns its id."""
        with self.lock:
            feed_id = len(self.feeds) + 1
            self.feeds[feed_id] = Feed(
                feed_id,
                title,
                url or f"https://example.org/{feed_id}/feed.xml",
                f"https://example.org/{feed_id}/",
                folder,
            )
            return feed_id

    def add_items(self, feed_id: int, count: int, *, body_words: int = 60) -> list[int]:
        """Add ``count`` unread items to a feed; returns their ids."""
        words = (
            "news report market election weather science sport city council budget " * 20
        ).split()
        with self.lock:
            ids = []
            now = int(time.time())
            for n in range(count):
                self._next_id += 1
                item_id = self._next_id
                text = " ".join(words[(n + k) % len(words)] for k in range(body_words))
                self.items[item_id] = Item(
                    item_id,
                    feed_id,
                    f"Item {n} of feed {feed_id}",
                    f"https://example.org/{feed_id}/{item_id}",
                    f"<p>{text}.</p><p>Story {item_id}.</p>",
                    now - count + n,
                    changed_at=now,
                )
                ids.append(item_id)
            return ids

    def set_state(
        self,
        item_id: int,
        *,
        read: bool | None = None,
        starred: bool | None = None,
        at: float | None = None,
    ) -> None:
        """Change an item on the server side, as another client would (``at``: epoch seconds)."""
        with self.lock:
            item = self.items[item_id]
            if read is not None:
                item.read = read
            if starred is not None:
                item.starred = starred
            item.changed_at = int(at if at is not None else time.time())

    def apply(self, ids: list[int], state: str | None, value: bool) -> None:
        for item_id in ids:
            item = self.items.get(item_id)
            if item is None or state not in ("read", "starred"):
                continue
            setattr(item, state, value)
            item.changed_at = int(time.time())
            item.history.append((state, value))

    @staticmethod
    def decode_id(text: str) -> int:
        if text.startswith(LONG_PREFIX) or "/" in text:
            return int(text.rsplit("/", 1)[1], 16)
        if len(text) == 16 and any(c in "abcdef" for c in text):
            return int(text, 16)
        return int(text)

    def subscription(self, feed: Feed) -> dict[str, Any]:
        return {
            "id": f"feed/{feed.id}",
            "title": feed.title,
            "categories": [{"id": f"user/-/label/{feed.folder}", "label": feed.folder}],
            "url": feed.url,
            "htmlUrl": feed.site_url,
            "iconUrl": "",
        }

    def item_ids(self, query: dict[str, list[str]]) -> dict[str, Any]:
        stream = (query.get("s") or ["user/-/state/com.google/reading-list"])[0]
        exclude = set(query.get("xt") or [])
        count = int((query.get("n") or ["20"])[0])
        cont = (query.get("c") or [""])[0]
        items = sorted(self.items.values(), key=lambda it: it.id, reverse=True)
        suffix = _state_suffix(stream)
        if stream.startswith("feed/"):
            items = [it for it in items if it.feed_id == int(stream[5:])]
        elif suffix == "starred":
            items = [it for it in items if it.starred]
        elif suffix == "read":
            items = [it for it in items if it.read]
        if any(_state_suffix(x) == "read" for x in exclude):
            items = [it for it in items if not it.read]
        if self.flavour == "miniflux":
            offset = int(cont or 0)
            page = items[offset : offset + count]
            out: dict[str, Any] = {"itemRefs": [{"id": str(it.id)} for it in page]}
            if offset + len(page) < len(items):
                out["continuation"] = offset + len(page)
            return out
        if cont:
            items = [it for it in items if it.id < int(cont)]
        page = items[:count]
        out = {"itemRefs": [{"id": str(it.id)} for it in page]}
        if len(items) > count:
            out["continuation"] = str(page[-1].id)
        return out

    def render(self, item: Item) -> dict[str, Any]:
        feed = self.feeds[item.feed_id]
        categories = ["user/-/state/com.google/reading-list", f"user/-/label/{feed.folder}"]
        if item.read:
            categories.append("user/-/state/com.google/read")
        if item.starred:
            categories.append("user/-/state/com.google/starred")
        out: dict[str, Any] = {
            "id": f"{LONG_PREFIX}{item.id:016x}",
            "crawlTimeMsec": str(item.published * 1000),
            "timestampUsec": str(item.published * 1_000_000),
            "published": item.published,
            "title": item.title,
            "summary": {"content": item.html},
            "alternate": [{"href": item.url}],
            "categories": categories,
            "origin": {"streamId": f"feed/{feed.id}", "title": feed.title},
            "author": "Staff",
        }
        if self.flavour == "miniflux":
            out["updated"] = item.changed_at
            out["content"] = {"direction": "ltr", "content": item.html}
            out["canonical"] = [{"href": item.url}]
        return out
