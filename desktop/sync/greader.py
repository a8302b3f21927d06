"""Google Reader API client (FreshRSS ``/api/greader.php``, Miniflux, others).

ClientLogin gives an auth token sent as ``Authorization: GoogleLogin auth=…``;
writes also carry the ``T`` token from ``/reader/api/0/token``. Items are
listed by ``stream/items/ids`` (decimal ids, with continuation) and fetched by
``stream/items/contents`` (POST, long-form hex ids): Miniflux answers
``stream/contents`` with ``[]``, so that route is never used. Read and starred
are the ``user/-/state/com.google/read`` and ``…/starred`` tags (``edit-tag``).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from desktop.sync.http import ApiHttp
from desktop.sync.model import AuthError, RemoteFeed, RemoteItem, RemoteStates, Sink, SyncError

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
LONG_PREFIX = "tag:google.com,2005:reader/item/"
IDS_PAGE = 10_000
CONTENTS_BATCH = 250
"""Item ids per ``stream/items/contents`` or ``edit-tag`` request."""


def long_id(decimal_id: str) -> str:
    """``123`` → ``tag:google.com,2005:reader/item/000000000000007b``."""
    return f"{LONG_PREFIX}{int(decimal_id):016x}"


def short_id(item_id: str) -> str:
    """A long-form (hex) or decimal item id as the decimal string the ids list uses."""
    if item_id.startswith(LONG_PREFIX):
        return str(int(item_id[len(LONG_PREFIX) :], 16))
    if "/" in item_id:
        return str(int(item_id.rsplit("/", 1)[1], 16))
    return str(int(item_id))


def _has_state(categories: list[str], state: str) -> bool:
    suffix = f"/state/com.google/{state}"
    return any(c.startswith("user/") and c.endswith(suffix) for c in categories)


class GReaderClient:
    """One Google Reader API endpoint: the folder that holds ``accounts/ClientLogin``."""

    kind = "greader"

    def __init__(self, url: str, username: str, password: str, *, concurrency: int = 4) -> None:
        self.url = url.rstrip("/")
        self.concurrency = concurrency
        self._username = username
        self._password = password
        self._auth: str | None = None
        self._token: str | None = None
        self.http = ApiHttp(self.url, max_connections=concurrency)

    def _api(self, path: str) -> str:
        return f"{self.url}/reader/api/0/{path}"

    def _headers(self) -> dict[str, str]:
        if self._auth is None:
            raise SyncError("not logged in")
        return {"Authorization": f"GoogleLogin auth={self._auth}"}

    async def login(self) -> None:
        response = await self.http.request(
            "POST",
            f"{self.url}/accounts/ClientLogin",
            data={"Email": self._username, "Passwd": self._password},
        )
        fields = dict(line.split("=", 1) for line in response.text.splitlines() if "=" in line)
        auth = fields.get("Auth", "").strip()
        if not auth:
            raise AuthError(f"{self.url}: ClientLogin gave no token")
        self._auth = auth

    async def _write_token(self) -> str:
        if self._token is None:
            response = await self.http.request("GET", self._api("token"), headers=self._headers())
            self._token = response.text.strip()
        return self._token

    async def _get(self, path: str, params: list[tuple[str, Any]]) -> Any:
        return await self.http.json(
            "GET", self._api(path), params=[("output", "json"), *params], headers=self._headers()
        )

    async def _post(self, path: str, form: list[tuple[str, str]]) -> Any:
        token = await self._write_token()
        return await self.http.request(
            "POST",
            self._api(path),
            params={"output": "json"},
            content=urlencode([("T", token), ("output", "json"), *form]),
            headers={**self._headers(), "Content-Type": "application/x-www-form-urlencoded"},
        )

    async def feeds(self) -> list[RemoteFeed]:
        data = await self._get("subscription/list", [])
        feeds = []
        for sub in data.get("subscriptions") or []:
            cats = sub.get("categories") or []
            folder = (cats[0].get("label") or None) if cats else None
            feeds.append(
                RemoteFeed(
                    remote_id=str(sub["id"]),
                    title=sub.get("title") or "",
                    url=sub.get("url") or "",
                    site_url=sub.get("htmlUrl") or None,
                    folder=folder,
                )
            )
        return feeds

    async def _ids(self, stream: str, exclude: str | None = None) -> list[str]:
        ids: list[str] = []
        continuation: Any = None
        while True:
            params: list[tuple[str, Any]] = [("s", stream), ("n", IDS_PAGE)]
            if exclude:
                params.append(("xt", exclude))
            if continuation:
                params.append(("c", continuation))
            data = await self._get("stream/items/ids", params)
            if not isinstance(data, dict):
                raise SyncError(f"{self.url}: stream/items/ids gave no item list")
            ids.extend(str(ref["id"]) for ref in data.get("itemRefs") or [])
            continuation = data.get("continuation")
            if not continuation or not data.get("itemRefs"):
                return ids

    async def states(self) -> RemoteStates:
        unread, starred = await asyncio.gather(
            self._ids(READING_LIST, exclude=READ), self._ids(STARRED)
        )
        return RemoteStates(set(unread), set(starred))

    async def _contents(self, ids: list[str]) -> list[dict[str, Any]]:
        response = await self._post("stream/items/contents", [("i", long_id(i)) for i in ids])
        try:  # a few hundred kilobytes: decoded off the event loop
            data = await asyncio.to_thread(json.loads, response.content)
        except ValueError:
            raise SyncError(f"{self.url}: stream/items/contents was not JSON") from None
        return list(data.get("items") or []) if isinstance(data, dict) else []

    async def fetch_new(self, known: set[str], cursor: str | None, sink: Sink) -> str | None:
        wanted = [i for i in await self._ids(READING_LIST) if i not in known]
        gate = asyncio.Semaphore(self.concurrency)

        async def batch(ids: list[str]) -> None:
            async with gate:
                raw = await self._contents(ids)
            await sink(await asyncio.to_thread(lambda: [_item(r) for r in raw]))

        await asyncio.gather(
            *(batch(wanted[k : k + CONTENTS_BATCH]) for k in range(0, len(wanted), CONTENTS_BATCH))
        )
        return cursor

    async def change_times(self, remote_ids: list[str]) -> dict[str, datetime]:
        out: dict[str, datetime] = {}
        for k in range(0, len(remote_ids), CONTENTS_BATCH):
            for raw in await self._contents(remote_ids[k : k + CONTENTS_BATCH]):
                stamp = raw.get("updated")
                if stamp:
                    out[short_id(str(raw["id"]))] = datetime.fromtimestamp(int(stamp), UTC)
        return out

    async def push(self, field: str, value: bool, remote_ids: list[str]) -> set[str]:
        """One ``edit-tag`` per batch; unknown ids are the server's to ignore (no gone set)."""
        tag = READ if field == "read" else STARRED
        for k in range(0, len(remote_ids), CONTENTS_BATCH):
            form = [("a" if value else "r", tag)]
            form += [("i", long_id(i)) for i in remote_ids[k : k + CONTENTS_BATCH]]
            response = await self._post("edit-tag", form)
            if response.text.strip() != "OK":
                raise SyncError(f"{self.url}: edit-tag answered {response.text[:40]!r}")
        return set()

    async def aclose(self) -> None:
        await self.http.aclose()


def _href(raw: dict[str, Any], key: str) -> str | None:
    links = raw.get(key) or []
    return (links[0].get("href") or None) if links else None


def _item(raw: dict[str, Any]) -> RemoteItem:
    categories = [str(c) for c in raw.get("categories") or []]
    body = (raw.get("content") or {}).get("content") or (raw.get("summary") or {}).get("content")
    published = raw.get("published")
    updated = raw.get("updated")
    return RemoteItem(
        remote_id=short_id(str(raw["id"])),
        feed_id=str((raw.get("origin") or {}).get("streamId") or ""),
        title=raw.get("title") or "",
        url=_href(raw, "alternate") or _href(raw, "canonical"),
        html=body or "",
        published=datetime.fromtimestamp(int(published), UTC) if published else None,
        read=_has_state(categories, "read"),
        flagged=_has_state(categories, "starred"),
        author=raw.get("author") or None,
        changed_at=datetime.fromtimestamp(int(updated), UTC) if updated else None,
    )
