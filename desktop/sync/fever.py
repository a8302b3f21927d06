"""Fever API client (Fever, coldsweat, Miniflux, FreshRSS and TT-RSS plugins).

Every call is a POST to ``URL?api&<command>`` with the form field ``api_key``
= md5("username:password"). Items come 50 at a time by ``since_id``; state
changes go one item per ``mark`` call (sent concurrently). Fever has no
archive and reports no time for state changes.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

from desktop.sync.http import ApiHttp
from desktop.sync.model import (
    AuthError,
    GoneError,
    RemoteFeed,
    RemoteItem,
    RemoteStates,
    Sink,
    SyncError,
)

PAGE = 50
"""Items per ``items`` answer (fixed by the Fever API)."""


def api_key(username: str, password: str) -> str:
    """Fever's key: md5 of ``username:password``, hex."""
    return hashlib.md5(f"{username}:{password}".encode()).hexdigest()


def _ids(text: Any) -> set[str]:
    if isinstance(text, list):
        return {str(i) for i in text}
    return {part.strip() for part in str(text or "").split(",") if part.strip()}


class FeverClient:
    """One Fever endpoint, e.g. ``https://host/fever/``."""

    kind = "fever"

    def __init__(self, url: str, username: str, password: str, *, concurrency: int = 8) -> None:
        self.url = url
        self.concurrency = concurrency
        self._key = api_key(username, password)
        self.http = ApiHttp(url, max_connections=concurrency)

    async def _call(self, query: str, **form: Any) -> dict[str, Any]:
        sep = "&" if "?" in self.url else "?"
        data = await self.http.json(
            "POST", f"{self.url}{sep}api&{query}", data={"api_key": self._key, **form}
        )
        if not isinstance(data, dict):
            raise SyncError(f"{self.url}: not a Fever answer")
        if not data.get("auth"):
            raise AuthError(
                f"{self.url}: the Fever API refused the login (check user and password)"
            )
        return data

    async def login(self) -> None:
        await self._call("")

    async def feeds(self) -> list[RemoteFeed]:
        data = await self._call("feeds&groups")
        titles = {str(g["id"]): g.get("title") or "" for g in data.get("groups") or []}
        folder_of: dict[str, str] = {}
        for link in data.get("feeds_groups") or []:
            for feed_id in _ids(link.get("feed_ids")):
                folder_of.setdefault(feed_id, titles.get(str(link.get("group_id")), ""))
        return [
            RemoteFeed(
                remote_id=str(f["id"]),
                title=f.get("title") or "",
                url=f.get("url") or "",
                site_url=f.get("site_url") or None,
                folder=folder_of.get(str(f["id"])) or None,
            )
            for f in data.get("feeds") or []
        ]

    async def states(self) -> RemoteStates:
        data = await self._call("unread_item_ids&saved_item_ids")
        return RemoteStates(_ids(data.get("unread_item_ids")), _ids(data.get("saved_item_ids")))

    async def fetch_new(self, known: set[str], cursor: str | None, sink: Sink) -> str | None:
        """Page by ``since_id``; each page is stored while the next one is fetched."""
        since = int(cursor or 0)
        storing: list[asyncio.Task[None]] = []
        try:
            while True:
                data = await self._call(f"items&since_id={since}")
                page = data.get("items") or []
                fresh = [_item(i) for i in page if str(i["id"]) not in known]
                if fresh:
                    storing.append(asyncio.create_task(sink(fresh)))
                if not page:
                    break
                top = max(int(i["id"]) for i in page)
                if top <= since:  # a server that ignores since_id: stop rather than loop
                    break
                since = top
                if len(page) < PAGE:
                    break
            await asyncio.gather(*storing)
        except BaseException:
            for task in storing:
                task.cancel()
            await asyncio.gather(*storing, return_exceptions=True)
            raise
        return str(since)

    async def change_times(self, remote_ids: list[str]) -> dict[str, datetime]:
        return {}

    async def push(self, field: str, value: bool, remote_ids: list[str]) -> set[str]:
        status = {"read": ("read", "unread"), "flagged": ("saved", "unsaved")}[field][
            0 if value else 1
        ]
        gate = asyncio.Semaphore(self.concurrency)
        gone: set[str] = set()

        async def one(remote_id: str) -> None:
            async with gate:
                try:
                    await self._call("", mark="item", **{"as": status, "id": remote_id})
                except GoneError:  # deleted on the server (coldsweat answers 404)
                    gone.add(remote_id)

        await asyncio.gather(*(one(i) for i in remote_ids))
        return gone

    async def aclose(self) -> None:
        await self.http.aclose()


def _item(raw: dict[str, Any]) -> RemoteItem:
    stamp = raw.get("created_on_time")
    published = datetime.fromtimestamp(int(stamp), UTC) if stamp else None
    return RemoteItem(
        remote_id=str(raw["id"]),
        feed_id=str(raw.get("feed_id")),
        title=raw.get("title") or "",
        url=raw.get("url") or None,
        html=raw.get("html") or "",
        published=published,
        read=bool(int(raw.get("is_read") or 0)),
        flagged=bool(int(raw.get("is_saved") or 0)),
        author=raw.get("author") or None,
    )
