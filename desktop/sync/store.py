"""What a sync writes: feeds → sources, items → articles, state merges, the outbox.

Functions taking ``conn`` run on the single writer (one short transaction
each) unless named as readers. State the sync copies from the server is
written with the ``sync_guard`` row present, so the outbox trigger does not
queue it back to the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from desktop.store import dialect, ingest
from desktop.sync.model import RemoteFeed, RemoteItem, RemoteStates
from desktop.timeutil import from_iso, now_iso

FAR_FUTURE = "9999-12-31T00:00:00Z"
"""``next_fetch_at`` of account sources: the normal refresh never finds them due."""
KEY_PREFIX = "item:"
FIELDS = ("read", "flagged")


@contextmanager
def guard(conn: Any) -> Iterator[None]:
    """Within this block, triage changes are the server's: nothing is queued."""
    conn.exec_driver_sql("INSERT INTO sync_guard (one) VALUES (1) ON CONFLICT DO NOTHING")
    try:
        yield
    finally:
        conn.exec_driver_sql("DELETE FROM sync_guard")


# -- feeds -----------------------------------------------------------------------


def _free_url(conn: Any, url: str, account_id: int, remote_id: str) -> str:
    for candidate in (url, f"{url}#newsdesk-account-{account_id}-{remote_id}"):
        if (
            candidate
            and not conn.exec_driver_sql(
                "SELECT 1 FROM sources WHERE url = ?", (candidate,)
            ).fetchone()
        ):
            return candidate
    raise ValueError(f"cannot find a free source URL for {url}")


def upsert_feeds(
    conn: Any, account_id: int, account_url: str, feeds: list[RemoteFeed]
) -> dict[str, int]:
    """Make every server subscription a local source; returns remote feed id → source id.

    Titles and folders follow the server. A feed gone from the server keeps its
    articles locally but is detached and disabled (its error says why).
    """
    linked = dict(
        conn.exec_driver_sql(
            "SELECT remote_id, source_id FROM account_sources WHERE account_id = ?",
            (account_id,),
        ).fetchall()
    )
    now = now_iso()
    out: dict[str, int] = {}
    for feed in feeds:
        source_id = linked.get(feed.remote_id)
        if source_id is not None:
            conn.exec_driver_sql(
                "UPDATE sources SET title = coalesce(nullif(?, ''), title), folder = ?, "
                "site_url = coalesce(?, site_url), next_fetch_at = ? WHERE id = ?",
                (feed.title, feed.folder, feed.site_url, FAR_FUTURE, source_id),
            )
        else:
            url = _free_url(
                conn, feed.url or f"{account_url}#feed-{feed.remote_id}", account_id, feed.remote_id
            )
            source_id = int(
                conn.exec_driver_sql(
                    "INSERT INTO sources (url, title, folder, site_url, created_at, next_fetch_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (url, feed.title, feed.folder, feed.site_url, now, FAR_FUTURE),
                ).scalar_one()
            )
            conn.exec_driver_sql(
                "INSERT INTO account_sources (source_id, account_id, remote_id) VALUES (?, ?, ?)",
                (source_id, account_id, feed.remote_id),
            )
        out[feed.remote_id] = source_id
    gone = [sid for rid, sid in linked.items() if rid not in out]
    for source_id in gone:
        conn.exec_driver_sql("DELETE FROM account_sources WHERE source_id = ?", (source_id,))
        conn.exec_driver_sql(
            "UPDATE sources SET enabled = 0, last_error = ?, last_error_at = ? WHERE id = ?",
            ("no longer subscribed on the feed server", now, source_id),
        )
    if feeds:
        conn.exec_driver_sql(
            "UPDATE sources SET last_success = ?, last_fetch = ? "
            "WHERE id IN (SELECT source_id FROM account_sources WHERE account_id = ?)",
            (now, now, account_id),
        )
    return out


# -- items -----------------------------------------------------------------------


@dataclass(slots=True)
class PreparedItem:
    """A server item ready for the writer."""

    remote_id: str
    feed_id: str
    entry: ingest.PreparedEntry
    read: bool
    flagged: bool


def prepare_items(items: list[RemoteItem], fetched_at: str) -> list[PreparedItem]:
    """Sanitise server items like feed entries (CPU work: run it in a pool)."""
    from desktop.sources.feed import ParsedEntry
    from desktop.sources.prepare import prepare_entry

    out = []
    for item in items:
        parsed = ParsedEntry(
            key=KEY_PREFIX + item.remote_id,
            guid=item.guid,
            url=item.url,
            title=item.title,
            author=item.author,
            published=item.published,
            updated=None,
            content_html=item.html,
        )
        entry = prepare_entry(parsed, item.url or "", fetched_at, None)
        out.append(PreparedItem(item.remote_id, item.feed_id, entry, item.read, item.flagged))
    return out


def known_remote_ids(conn: Any, account_id: int) -> set[str]:
    """Reader: server item ids already stored (or purged here, so not wanted again)."""
    known = {
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT remote_id FROM remote_items WHERE account_id = ?", (account_id,)
        ).fetchall()
    }
    for (key,) in conn.exec_driver_sql(
        "SELECT t.entry_key FROM tombstones t JOIN account_sources s ON s.source_id = t.source_id "
        "WHERE s.account_id = ?",
        (account_id,),
    ).fetchall():
        if key.startswith(KEY_PREFIX):
            known.add(key[len(KEY_PREFIX) :])
    return known


def write_items(
    conn: Any, account_id: int, feed_map: dict[str, int], items: list[PreparedItem]
) -> tuple[list[int], int]:
    """Store new server items with their server state; returns (new ids, items skipped)."""
    by_source: dict[int, list[PreparedItem]] = {}
    skipped = 0
    for item in items:
        source_id = feed_map.get(item.feed_id)
        if source_id is None:
            skipped += 1
            continue
        by_source.setdefault(source_id, []).append(item)
    fetched_at = now_iso()
    new_ids: list[int] = []
    with guard(conn):
        for source_id, group in by_source.items():
            result = ingest.write_entries(conn, source_id, [i.entry for i in group], fetched_at)
            new_ids.extend(result.new_ids)
            keys = {i.entry.entry_key: i for i in group}
            stored = conn.exec_driver_sql(
                "SELECT id, entry_key FROM articles WHERE source_id = ? AND entry_key IN "
                f"({dialect.of(conn).values('text')})",
                (source_id, json.dumps(list(keys))),
            ).fetchall()
            rows = [
                (aid, account_id, keys[k].remote_id, keys[k].read, keys[k].flagged)
                for aid, k in stored
            ]
            conn.exec_driver_sql(
                "INSERT INTO remote_items (article_id, account_id, remote_id, remote_read, "
                "remote_flagged) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
            fresh = set(result.new_ids)
            marks = [
                (int(r[3]), int(r[4]), fetched_at, r[0])
                for r in rows
                if r[0] in fresh and (r[3] or r[4])
            ]
            if marks:
                person = account_person(conn, account_id)
                conn.exec_driver_sql(
                    "UPDATE triage SET read = ?, flagged = ?, changed_at = ? "
                    "WHERE article_id = ? AND person_id = ?",
                    [(*m, person) for m in marks],
                )
    return new_ids, skipped


# -- merging state -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pending:
    """One outbox row: a local change waiting for the server."""

    id: int
    article_id: int
    remote_id: str
    field: str
    value: int
    changed_at: str


@dataclass(slots=True)
class Plan:
    """What a merge decided: changes to send, articles changed here, conflicts settled."""

    push: list[Pending] = field(default_factory=list)
    applied: list[int] = field(default_factory=list)
    conflicts: int = 0


def local_wins(
    field_name: str, local_at: str, remote_at: datetime | None, local_value: int
) -> bool:
    """Settle a conflict: the later change wins; a flag is never lost to doubt.

    Without a server time for its change, a pending local read/unread (made
    after the last sync) wins, and for flags the flagged side wins. On a tie
    (same second) the same rule applies.
    """
    local = from_iso(local_at)
    if remote_at is not None and local is not None and local != remote_at:
        return local > remote_at
    if field_name == "flagged":
        return bool(local_value)
    return True


def _pending(conn: Any, account_id: int) -> dict[tuple[int, str], Pending]:
    rows = conn.exec_driver_sql(
        "SELECT id, article_id, remote_id, field, value, changed_at FROM outbox "
        "WHERE account_id = ? ORDER BY id",
        (account_id,),
    ).fetchall()
    return {(r[1], r[3]): Pending(*r) for r in rows}


def account_person(conn: Any, account_id: int) -> int:
    """The person whose triage state an account syncs (its owner)."""
    person = conn.exec_driver_sql(
        "SELECT person_id FROM accounts WHERE id = ?", (account_id,)
    ).scalar()
    if person is None:
        raise ValueError(f"account {account_id} has no person")
    return int(person)


def _state_rows(conn: Any, account_id: int) -> list[tuple[Any, ...]]:
    either = dialect.of(conn).greatest  # read OR archived on 0/1 integer flags
    return conn.exec_driver_sql(
        "SELECT r.article_id, r.remote_id, r.remote_read, r.remote_flagged, "
        f"{either}(t.read, t.archived), t.flagged "
        "FROM remote_items r JOIN triage t ON t.article_id = r.article_id "
        "AND t.person_id = (SELECT person_id FROM accounts WHERE id = r.account_id) "
        "WHERE r.account_id = ?",
        (account_id,),
    ).fetchall()


def _values(row: tuple[Any, ...], states: RemoteStates) -> Iterator[tuple[str, int, int, int]]:
    _, remote_id, base_read, base_flagged, local_read, local_flagged = row
    yield "read", int(base_read), int(local_read), int(states.read(remote_id))
    yield "flagged", int(base_flagged), int(local_flagged), int(states.flagged(remote_id))


def conflicts(conn: Any, account_id: int, states: RemoteStates) -> list[str]:
    """Reader: server ids changed on both sides since the last sync (in different ways)."""
    pending = _pending(conn, account_id)
    out = []
    for row in _state_rows(conn, account_id):
        for name, base, _local, remote in _values(row, states):
            p = pending.get((row[0], name))
            if p is not None and remote != base and p.value != remote:
                out.append(row[1])
    return out


def reconcile(conn: Any, account_id: int, states: RemoteStates, times: dict[str, datetime]) -> Plan:
    """Three-way merge of server state, local state and the outbox (base: last agreement).

    Server-only changes are applied here, local-only ones are queued to send,
    and changes on both sides are settled by :func:`local_wins`.
    """
    plan = Plan()
    pending = _pending(conn, account_id)
    seen: set[tuple[int, str]] = set()
    base_updates: dict[str, list[tuple[int, int]]] = {"read": [], "flagged": []}
    apply: dict[tuple[str, int], list[int]] = {}
    drop: list[int] = []
    now = now_iso()
    for row in _state_rows(conn, account_id):
        article_id, remote_id = row[0], row[1]
        for name, base, local, remote in _values(row, states):
            p = pending.get((article_id, name))
            seen.add((article_id, name))
            if remote != base:
                base_updates[name].append((remote, article_id))
                if p is not None and p.value != remote:
                    plan.conflicts += 1
                    if local_wins(name, p.changed_at, times.get(remote_id), p.value):
                        plan.push.append(p)
                        continue
                if p is not None:
                    drop.append(p.id)
                if local != remote:
                    apply.setdefault((name, remote), []).append(article_id)
            elif p is not None:
                if p.value != base:
                    plan.push.append(p)
                else:
                    drop.append(p.id)
            elif local != base:  # changed here without a queued entry (e.g. before an upgrade)
                cur = conn.exec_driver_sql(
                    "INSERT INTO outbox (account_id, article_id, remote_id, field, value, "
                    "changed_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (account_id, article_id, remote_id, name, local, now),
                )
                plan.push.append(
                    Pending(int(cur.scalar_one()), article_id, remote_id, name, local, now)
                )
    plan.push.extend(p for key, p in pending.items() if key not in seen)  # article purged here
    with guard(conn):
        for name, updates in base_updates.items():
            if updates:
                conn.exec_driver_sql(
                    f"UPDATE remote_items SET remote_{name} = ? WHERE article_id = ?", updates
                )
        for (name, value), ids in apply.items():
            ids_json = json.dumps(ids)
            if name == "read" and value == 0:  # unread on the server: out of the archive too
                sql = "UPDATE triage SET read = 0, archived = 0, changed_at = ?"
            else:
                sql = f"UPDATE triage SET {name} = {int(value)}, changed_at = ?"
            conn.exec_driver_sql(
                sql + f" WHERE article_id IN ({dialect.of(conn).values()}) AND person_id = ?",
                (now, ids_json, account_person(conn, account_id)),
            )
            plan.applied.extend(ids)
        if drop:
            conn.exec_driver_sql(
                f"DELETE FROM outbox WHERE id IN ({dialect.of(conn).values()})",
                (json.dumps(drop),),
            )
    return plan


def mark_pushed(conn: Any, sent: list[Pending]) -> None:
    """The server took these changes: they become the new base; their rows leave the outbox.

    A row changed again meanwhile (another value or time) stays queued.
    """
    if not sent:
        return
    for name in FIELDS:
        updates = [(p.value, p.article_id) for p in sent if p.field == name]
        if updates:
            conn.exec_driver_sql(
                f"UPDATE remote_items SET remote_{name} = ? WHERE article_id = ?", updates
            )
    conn.exec_driver_sql(
        "DELETE FROM outbox WHERE id = ? AND value = ? AND changed_at = ?",
        [(p.id, p.value, p.changed_at) for p in sent],
    )


def drop_pending(conn: Any, rows: list[Pending]) -> None:
    """The server no longer has these items: their queued changes leave the outbox and
    the articles stop being the server's (kept here as local articles, state and all:
    an item absent from the server would otherwise read as "unflagged there")."""
    items = sorted({(p.article_id, p.remote_id) for p in rows})
    conn.exec_driver_sql("DELETE FROM outbox WHERE article_id = ? AND remote_id = ?", items)
    conn.exec_driver_sql("DELETE FROM remote_items WHERE article_id = ? AND remote_id = ?", items)


def mark_failed(conn: Any, failed: list[Pending], error: str) -> None:
    """Sending failed: the rows stay queued with the reason and one more attempt counted."""
    if not failed:
        return
    conn.exec_driver_sql(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
        [(error, p.id) for p in failed],
    )


def pending_count(conn: Any, account_id: int) -> int:
    """Reader: changes waiting in the outbox for an account."""
    return int(
        conn.exec_driver_sql(
            "SELECT count(*) FROM outbox WHERE account_id = ?", (account_id,)
        ).scalar()
    )
