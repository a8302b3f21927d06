"""Plain values exchanged between the protocol clients and the sync engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

KINDS = ("fever", "greader", "ttrss")


class SyncError(RuntimeError):
    """The server refused or could not be reached; the message is for the user."""


class AuthError(SyncError):
    """The server rejected the login."""


class GoneError(SyncError):
    """The server no longer has what was asked for (HTTP 404 or 410)."""


@dataclass(frozen=True, slots=True)
class Account:
    """One login on a feed server (the password stays in the keyring)."""

    id: int
    kind: str
    url: str
    username: str
    last_sync_at: str | None = None
    last_error: str | None = None
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteFeed:
    """A subscription on the server."""

    remote_id: str
    title: str
    url: str
    site_url: str | None = None
    folder: str | None = None


@dataclass(slots=True)
class RemoteItem:
    """One item as the server gives it (HTML not yet sanitised)."""

    remote_id: str
    feed_id: str
    title: str
    url: str | None
    html: str
    published: datetime | None
    read: bool
    flagged: bool
    author: str | None = None
    guid: str | None = None
    changed_at: datetime | None = None
    """When the server last changed the item's state, if the protocol says."""


@dataclass(slots=True)
class RemoteStates:
    """Which items are unread and which are starred on the server right now."""

    unread: set[str] = field(default_factory=set)
    starred: set[str] = field(default_factory=set)

    def read(self, remote_id: str) -> bool:
        return remote_id not in self.unread

    def flagged(self, remote_id: str) -> bool:
        return remote_id in self.starred


Sink = Callable[[list[RemoteItem]], Awaitable[None]]
"""Receives each batch of new items as it arrives (the engine stores it)."""


class SyncClient(Protocol):
    """What the engine needs from a protocol client (every call may raise SyncError)."""

    kind: str
    concurrency: int

    async def login(self) -> None: ...

    async def feeds(self) -> list[RemoteFeed]: ...

    async def states(self) -> RemoteStates: ...

    async def fetch_new(self, known: set[str], cursor: str | None, sink: Sink) -> str | None:
        """Hand every item not in ``known`` to ``sink``; return the next cursor."""
        ...

    async def change_times(self, remote_ids: list[str]) -> dict[str, datetime]: ...

    async def push(self, field: str, value: bool, remote_ids: list[str]) -> set[str]:
        """Send one change for ``remote_ids``; returns those the server no longer has
        (their change can never be sent). Any other failure raises SyncError."""
        ...

    async def aclose(self) -> None: ...
