"""Running a sync: pull subscriptions and items, merge state, push the outbox.

Async and Qt-free: network calls are awaited (httpx), sanitising runs in an
executor, every write is one short transaction on the single writer, so an
event loop that drives a window keeps turning during a sync.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from desktop.store.database import Database
from desktop.sync import accounts, store
from desktop.sync.model import Account, SyncClient, SyncError
from desktop.timeutil import now_iso

SecretLookup = Callable[[Account], str | None]
ClientFactory = Callable[[Account, str], SyncClient]


def make_client(account: Account, password: str) -> SyncClient:
    """The protocol client for an account."""
    if account.kind == "fever":
        from desktop.sync.fever import FeverClient

        return FeverClient(account.url, account.username, password)
    if account.kind == "greader":
        from desktop.sync.greader import GReaderClient

        return GReaderClient(account.url, account.username, password)
    if account.kind == "ttrss":
        from desktop.sync.ttrss import TtrssClient

        return TtrssClient(account.url, account.username, password)
    raise SyncError(f"unknown account kind {account.kind!r}")


@dataclass(slots=True)
class SyncReport:
    """How one account's sync went."""

    account_id: int
    kind: str
    url: str
    feeds: int = 0
    new_ids: list[int] = field(default_factory=list)
    applied_ids: list[int] = field(default_factory=list)
    """Articles whose read/flagged state the server changed here."""
    pushed: int = 0
    conflicts: int = 0
    pending: int = 0
    """Local changes still waiting for the server after this sync."""
    skipped: int = 0
    dropped: int = 0
    """Local changes given up because the server no longer has the item."""
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        """``account 1 (fever): 3 feeds, 120 new, 4 from server, 7 sent, 0 waiting, 1.2 s``."""
        text = (
            f"account {self.account_id} ({self.kind}): {self.feeds} feeds, "
            f"{len(self.new_ids)} new, {len(self.applied_ids)} changed by the server, "
            f"{self.pushed} sent, {self.pending} waiting, {self.seconds:.1f} s"
        )
        if self.conflicts:
            text += f", {self.conflicts} conflicts settled"
        if self.dropped:
            text += f", {self.dropped} changes to items gone from the server dropped"
        if self.error:
            text += f"; failed: {self.error}"
        return text


class SyncEngine:
    """Syncs accounts of one database. ``secret`` looks up an account's password."""

    def __init__(
        self,
        db: Database,
        secret: SecretLookup,
        cpu: Executor | None = None,
        client_factory: ClientFactory = make_client,
    ) -> None:
        self.db = db
        self.secret = secret
        self.cpu = cpu
        self.client_factory = client_factory

    async def sync(self, account_ids: Sequence[int] | None = None) -> list[SyncReport]:
        """Sync the given accounts (default: all), one after the other; never raises SyncError."""
        every = await self.db.read_async(accounts.all_accounts)
        wanted = every if account_ids is None else [a for a in every if a.id in set(account_ids)]
        return [await self.sync_account(a) for a in wanted]

    async def sync_account(self, account: Account) -> SyncReport:
        """One account: login, feeds, new items, state merge, outbox push."""
        started = time.perf_counter()
        report = SyncReport(account.id, account.kind, account.url)
        cursor: str | None = None
        try:
            password = await asyncio.to_thread(self.secret, account)
            if password is None:
                raise SyncError(
                    f"no password for {account.username} at {account.url} in the keyring"
                )
            # building an httpx client loads the CA bundle (~0.1 s): not on the loop
            client = await asyncio.to_thread(self.client_factory, account, password)
            try:
                cursor = await self._run(client, account, report)
            finally:
                await client.aclose()
        except SyncError as exc:
            report.error = str(exc)
        report.pending = await self.db.read_async(store.pending_count, account.id)
        await self.db.write_async(accounts.record_sync, account.id, report.error, cursor)
        report.seconds = time.perf_counter() - started
        return report

    async def _run(self, client: SyncClient, account: Account, report: SyncReport) -> str | None:
        await client.login()
        feeds = await client.feeds()
        report.feeds = len(feeds)
        feed_map = await self.db.write_async(store.upsert_feeds, account.id, account.url, feeds)
        known = await self.db.read_async(store.known_remote_ids, account.id)
        loop = asyncio.get_running_loop()

        async def sink(items: list[Any]) -> None:
            items = [i for i in items if i.remote_id not in known]
            known.update(i.remote_id for i in items)
            if not items:
                return
            prepared = await loop.run_in_executor(self.cpu, store.prepare_items, items, now_iso())
            new_ids, skipped = await self.db.write_async(
                store.write_items, account.id, feed_map, prepared
            )
            report.new_ids.extend(new_ids)
            report.skipped += skipped

        cursor = await client.fetch_new(known, account.cursor, sink)
        states = await client.states()  # after the items: newer than any item's own state
        both = await self.db.read_async(store.conflicts, account.id, states)
        times = await client.change_times(sorted(set(both))) if both else {}
        plan = await self.db.write_async(store.reconcile, account.id, states, times)
        report.applied_ids = plan.applied
        report.conflicts = plan.conflicts
        await self._push(client, plan.push, report)
        return cursor

    async def _push(
        self, client: SyncClient, rows: list[store.Pending], report: SyncReport
    ) -> None:
        groups: dict[tuple[str, int], list[store.Pending]] = {}
        for p in rows:
            groups.setdefault((p.field, p.value), []).append(p)
        for (name, value), group in groups.items():
            try:
                gone = await client.push(name, bool(value), [p.remote_id for p in group])
            except SyncError as exc:
                await self.db.write_async(store.mark_failed, group, str(exc))
                raise
            sent = [p for p in group if p.remote_id not in gone]
            await self.db.write_async(store.mark_pushed, sent)
            if gone:  # deleted on the server: nothing to send them to (the local state stays)
                await self.db.write_async(
                    store.drop_pending, [p for p in group if p.remote_id in gone]
                )
                report.dropped += len(group) - len(sent)
            report.pushed += len(sent)
