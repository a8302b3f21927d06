"""Tiny Tiny RSS JSON API client (``URL/api/``, API level 9 or later).

``login`` gives a session id; ``getFeeds``/``getCategories`` the
subscriptions; ``getHeadlines`` the items (``since_id`` and ``skip`` pages of
at most 200); ``updateArticle`` sets unread (field 2) or starred (field 0) on
many ids at once. TT-RSS has no archive and reports no time for state changes.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from desktop.sync.http import ApiHttp
from desktop.sync.model import AuthError, RemoteFeed, RemoteItem, RemoteStates, Sink, SyncError

PAGE = 200
ALL_ARTICLES, STARRED_FEED = -4, -1
FIELD_STARRED, FIELD_UNREAD = 0, 2


class TtrssClient:
    """One TT-RSS installation, e.g. ``https://host/tt-rss/``."""

    kind = "ttrss"

    def __init__(self, url: str, username: str, password: str, *, concurrency: int = 4) -> None:
        base = url.rstrip("/")
        self.api = base if base.endswith("/api") else base + "/api/"
        self.url = url
        self.concurrency = concurrency
        self._username = username
        self._password = password
        self._sid: str | None = None
        self.http = ApiHttp(url, max_connections=concurrency)

    async def _call(self, op: str, **params: Any) -> Any:
        body: dict[str, Any] = {"op": op, **params}
        if self._sid is not None:
            body["sid"] = self._sid
        data = await self.http.json("POST", self.api, json=body)
        if not isinstance(data, dict):
            raise SyncError(f"{self.url}: not a TT-RSS answer")
        content = data.get("content")
        if data.get("status") != 0:
            error = content.get("error") if isinstance(content, dict) else content
            if error in ("LOGIN_ERROR", "NOT_LOGGED_IN"):
                raise AuthError(f"{self.url}: TT-RSS refused the login ({error})")
            raise SyncError(f"{self.url}: TT-RSS {op} failed ({error})")
        return content

    async def login(self) -> None:
        content = await self._call("login", user=self._username, password=self._password)
        self._sid = str(content["session_id"])

    async def feeds(self) -> list[RemoteFeed]:
        cats = await self._call("getCategories", include_empty=True)
        # ids 0 ("Uncategorized"), -1 ("Special") and -2 ("Labels") are virtual: no folder
        titles = {str(c["id"]): c.get("title") or "" for c in cats or [] if int(c["id"]) > 0}
        feeds = await self._call("getFeeds", cat_id=-3)
        return [
            RemoteFeed(
                remote_id=str(f["id"]),
                title=f.get("title") or "",
                url=f.get("feed_url") or "",
                site_url=f.get("site_url") or None,
                folder=titles.get(str(f.get("cat_id"))) or None,
            )
            for f in feeds or []
        ]

    async def _headlines(self, feed_id: int, view_mode: str, **extra: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        skip = 0
        while True:
            page = await self._call(
                "getHeadlines",
                feed_id=feed_id,
                view_mode=view_mode,
                limit=PAGE,
                skip=skip,
                order_by="date_reverse",
                **extra,
            )
            out.extend(page or [])
            if not page or len(page) < PAGE:
                return out
            skip += len(page)

    async def states(self) -> RemoteStates:
        unread = await self._headlines(ALL_ARTICLES, "unread", show_content=False)
        starred = await self._headlines(STARRED_FEED, "all_articles", show_content=False)
        return RemoteStates({str(h["id"]) for h in unread}, {str(h["id"]) for h in starred})

    async def fetch_new(self, known: set[str], cursor: str | None, sink: Sink) -> str | None:
        since = int(cursor or 0)
        skip = 0
        top = since
        while True:
            page = await self._call(
                "getHeadlines",
                feed_id=ALL_ARTICLES,
                view_mode="all_articles",
                limit=PAGE,
                skip=skip,
                since_id=since,
                show_content=True,
                order_by="date_reverse",
            )
            page = page or []
            fresh = [_item(h) for h in page if str(h["id"]) not in known]
            if fresh:
                await sink(fresh)
            top = max([top, *(int(h["id"]) for h in page)])
            if len(page) < PAGE:
                return str(top)
            skip += len(page)

    async def change_times(self, remote_ids: list[str]) -> dict[str, datetime]:
        return {}

    async def push(self, field: str, value: bool, remote_ids: list[str]) -> set[str]:
        """``updateArticle`` per page; tt-rss skips ids it does not have (no gone set)."""
        if field == "read":
            mode, which = (0 if value else 1), FIELD_UNREAD
        else:
            mode, which = (1 if value else 0), FIELD_STARRED
        for k in range(0, len(remote_ids), PAGE):
            await self._call(
                "updateArticle",
                article_ids=",".join(remote_ids[k : k + PAGE]),
                mode=mode,
                field=which,
            )
        return set()

    async def aclose(self) -> None:
        if self._sid is not None:
            with contextlib.suppress(SyncError):
                await self._call("logout")
        await self.http.aclose()


def _item(h: dict[str, Any]) -> RemoteItem:
    stamp = h.get("updated")
    return RemoteItem(
        remote_id=str(h["id"]),
        feed_id=str(h.get("feed_id")),
        title=h.get("title") or "",
        url=h.get("link") or None,
        html=h.get("content") or "",
        published=datetime.fromtimestamp(int(stamp), UTC) if stamp else None,
        read=not h.get("unread", True),
        flagged=bool(h.get("marked")),
        author=h.get("author") or None,
        guid=h.get("guid") or None,
    )
