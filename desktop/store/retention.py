"""Retention: purge old read or archived articles, leaving tombstones (run on the writer).

What is purged: articles that are **read or archived** (by every person),
whose publication *and* arrival are both older than the cut-off. What is
never purged:

- flagged articles (flagged by anyone);
- articles carrying anyone's own tag word (a ``user_tags`` row of any
  person, added or removed: a user's word is their data);
- articles named by a tag action in the triage log that can still be undone or
  redone (replaying it would need the article);
- the pseudo-source of kept articles is treated like any other (its articles
  are flagged, so they stay).

Each purged article leaves a tombstone ``(source_id, entry_key)``;
``store.ingest.write_entries`` skips tombstoned keys, so the next fetch of a
feed that still carries the entry cannot bring it back. The triage log is
left as it is: undoing a read/flag/archive whose articles are gone changes
nothing for them (the update matches no row) and does not fail.

Work is done in batches, each in its own short write transaction
(:func:`purge_batch`), so the writer never blocks triage for long.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from desktop.store import dialect
from desktop.timeutil import now_iso, to_iso, utcnow

BATCH = 500


@dataclass(slots=True)
class PurgeReport:
    """What a purge run removed."""

    purged: int = 0
    batches: int = 0
    cutoff: str = ""


def cutoff_for(days: int) -> str:
    """The ISO time ``days`` ago."""
    return to_iso(utcnow() - timedelta(days=days))


def _protected_by_log(conn: Any) -> set[int]:
    """Article ids of tag actions that undo or redo could still replay."""
    ids: set[int] = set()
    for (payload,) in conn.exec_driver_sql(
        'SELECT payload FROM triage_log WHERE undone IN (0, 1) AND payload LIKE \'%"kind":"tag"%\''
    ).fetchall():
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        if data.get("kind") == "tag":
            ids.update(int(row[0]) for row in data.get("prev", []))
    return ids


def candidates(conn: Any, cutoff: str, limit: int = BATCH) -> list[int]:
    """Up to ``limit`` ids that may be purged (see module doc), oldest first."""
    protected = _protected_by_log(conn)
    rows = conn.exec_driver_sql(
        "SELECT a.id FROM articles a "
        "WHERE a.published < ? AND a.fetched_at < ? "
        "AND EXISTS (SELECT 1 FROM triage t WHERE t.article_id = a.id) "
        "AND NOT EXISTS (SELECT 1 FROM triage t WHERE t.article_id = a.id "
        "                AND (t.flagged = 1 OR (t.read = 0 AND t.archived = 0))) "
        "AND NOT EXISTS (SELECT 1 FROM user_tags g WHERE g.article_id = a.id) "
        "ORDER BY a.published, a.id LIMIT ?",
        (cutoff, cutoff, limit + len(protected)),
    ).fetchall()
    return [r[0] for r in rows if r[0] not in protected][:limit]


def purge_batch(conn: Any, cutoff: str, limit: int = BATCH) -> int:
    """Purge up to ``limit`` articles older than ``cutoff``; returns how many went."""
    ids = candidates(conn, cutoff, limit)
    if not ids:
        return 0
    ids_json = json.dumps(ids)
    conn.exec_driver_sql(
        "INSERT INTO tombstones (source_id, entry_key, purged_at) "
        f"SELECT source_id, entry_key, ? FROM articles WHERE id IN ({dialect.of(conn).values()}) "
        "ON CONFLICT DO NOTHING",
        (now_iso(), ids_json),
    )
    conn.exec_driver_sql(
        f"DELETE FROM articles WHERE id IN ({dialect.of(conn).values()})", (ids_json,)
    )
    return len(ids)


def purge(db: Any, days: int, batch: int = BATCH) -> PurgeReport:
    """Purge everything eligible older than ``days`` through ``db``'s writer, batch by batch."""
    report = PurgeReport(cutoff=cutoff_for(days))
    if days <= 0:
        return report
    while True:
        n = db.write(purge_batch, report.cutoff, batch)
        if n:
            report.purged += n
            report.batches += 1
        if n < batch:
            return report
