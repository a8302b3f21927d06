"""Accounts on feed servers: rows in ``accounts``, passwords in the keyring.

Functions taking ``conn`` run on the writer (or a read connection for the
readers); they never see a password.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from desktop.store.people import me
from desktop.sync.model import KINDS, Account
from desktop.timeutil import now_iso


class AccountError(ValueError):
    """A bad account request; the message is for the user."""


def secret_key(kind: str, url: str) -> str:
    """The keyring entry (with the user name) that holds an account's password."""
    return f"account:{kind}:{url}"


def check_url(url: str) -> str:
    """An http(s) URL with a host, else :class:`AccountError`."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AccountError(f"not an http(s) URL: {url}")
    return url


def add(conn: Any, kind: str, url: str, username: str) -> int:
    """Create an account of the person ``conn`` acts for (its read and flagged state
    syncs with theirs); raises :class:`AccountError` for a duplicate or unknown kind."""
    if kind not in KINDS:
        raise AccountError(f"unknown account kind {kind!r} (use {', '.join(KINDS)})")
    clash = conn.exec_driver_sql(
        "SELECT id FROM accounts WHERE kind = ? AND url = ? AND username = ?",
        (kind, url, username),
    ).fetchone()
    if clash:
        raise AccountError(f"that account already exists: {clash[0]}")
    cur = conn.exec_driver_sql(
        "INSERT INTO accounts (kind, url, username, created_at, person_id) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (kind, url, username, now_iso(), me(conn)),
    )
    return int(cur.scalar_one())


_COLUMNS = "id, kind, url, username, last_sync_at, last_error, cursor"


def get(conn: Any, account_id: int) -> Account | None:
    """One account, or None."""
    row = conn.exec_driver_sql(
        f"SELECT {_COLUMNS} FROM accounts WHERE id = ?", (account_id,)
    ).fetchone()
    return Account(*row) if row else None


def all_accounts(conn: Any) -> list[Account]:
    """Every account, by id."""
    rows = conn.exec_driver_sql(f"SELECT {_COLUMNS} FROM accounts ORDER BY id").fetchall()
    return [Account(*r) for r in rows]


def rows(conn: Any) -> list[dict[str, Any]]:
    """Every account with its counts (sources, items, changes waiting), for listing."""
    out = []
    for a in all_accounts(conn):
        sources, items, pending = conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM account_sources WHERE account_id = :a), "
            "(SELECT count(*) FROM remote_items WHERE account_id = :a), "
            "(SELECT count(*) FROM outbox WHERE account_id = :a)",
            {"a": a.id},
        ).one()
        person = conn.exec_driver_sql(
            "SELECT p.name FROM accounts c JOIN people p ON p.id = c.person_id WHERE c.id = ?",
            (a.id,),
        ).scalar()
        out.append(
            {
                "id": a.id,
                "kind": a.kind,
                "url": a.url,
                "username": a.username,
                "last_sync_at": a.last_sync_at,
                "last_error": a.last_error,
                "sources": sources,
                "items": items,
                "pending_changes": pending,
                "person": person,
            }
        )
    return out


def remove(conn: Any, account_id: int, keep_flagged: bool = True) -> Account:
    """Delete an account, its sources and their articles (flagged ones kept by default)."""
    from desktop.sources import manage

    account = get(conn, account_id)
    if account is None:
        raise AccountError(f"no account {account_id}")
    source_ids = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT source_id FROM account_sources WHERE account_id = ?", (account_id,)
        ).fetchall()
    ]
    for source_id in source_ids:
        manage.delete(conn, source_id, keep_flagged)
    conn.exec_driver_sql("DELETE FROM accounts WHERE id = ?", (account_id,))
    return account


def record_sync(conn: Any, account_id: int, error: str | None, cursor: str | None) -> None:
    """Remember how a sync ended; ``cursor`` marks the items already stored."""
    if error is None:
        conn.exec_driver_sql(
            "UPDATE accounts SET last_sync_at = ?, last_error = NULL, "
            "cursor = coalesce(?, cursor) WHERE id = ?",
            (now_iso(), cursor, account_id),
        )
    else:
        conn.exec_driver_sql(
            "UPDATE accounts SET last_error = ?, cursor = coalesce(?, cursor) WHERE id = ?",
            (error, cursor, account_id),
        )
