"""Triage mutations with an undo log that lives in the database.

Every function takes an open SQLAlchemy ``Connection`` inside a transaction
(the writer provides one), changes triage state or user tags, records what it
did in ``triage_log`` and returns a :class:`Changes`. Only rows whose value
really changed are recorded, so undo restores exactly the previous state, bulk
actions included, and survives restarts.

State and log are per person (``people.me(conn)``): an action changes only
that person's triage rows, and undo/redo only ever take that person's log
entries. Tag words are per person too (``user_tags``, schema v7; see
``desktop.store.tagging``): a tag action writes only my word, never a machine
row, and its undo restores my previous word (or its absence) exactly. Log
entries written before v7 (``prev`` rows ``[id, origin, score, removed,
created_at(, person)]`` describing the shared ``tags`` row) still undo: my
word goes back to what it was, and a machine or other person's row that the
old word had replaced is put back where none is now.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from desktop.store import dialect
from desktop.store.people import me
from desktop.timeutil import now_iso
from desktop.triage.changes import Changes

STATE_ACTIONS: dict[str, tuple[str, int]] = {
    "read": ("read", 1),
    "unread": ("read", 0),
    "flag": ("flagged", 1),
    "unflag": ("flagged", 0),
    "archive": ("archived", 1),
    "unarchive": ("archived", 0),
    "hide": ("hidden", 1),
    "unhide": ("hidden", 0),
}
"""Action name → (column, new value)."""

ACTIVE, UNDONE, DISCARDED = 0, 1, 2


def _ids_json(ids: Iterable[int]) -> str:
    return json.dumps(sorted({int(i) for i in ids}))


def _log(conn: Any, action: str, description: str, payload: dict[str, Any]) -> int:
    person = me(conn)
    conn.exec_driver_sql(
        f"UPDATE triage_log SET undone = {DISCARDED} WHERE person_id = ? AND undone = {UNDONE}",
        (person,),
    )
    cur = conn.exec_driver_sql(
        "INSERT INTO triage_log (at, action, description, payload, undone, person_id) "
        "VALUES (?, ?, ?, ?, 0, ?) RETURNING id",
        (now_iso(), action, description, json.dumps(payload, separators=(",", ":")), person),
    )
    return int(cur.scalar_one())


log_action = _log
"""Record an undoable action (other triage modules log through this)."""


def _set_column(conn: Any, column: str, value: int, ids_json: str) -> list[int]:
    rows = conn.exec_driver_sql(
        f"UPDATE triage SET {column} = ?, changed_at = ? "
        f"WHERE article_id IN ({dialect.of(conn).values()}) AND person_id = ? "
        f"AND {column} != ? RETURNING article_id",
        (value, now_iso(), ids_json, me(conn), value),
    ).fetchall()
    return [r[0] for r in rows]


def _sources_of(conn: Any, ids: list[int]) -> frozenset[int]:
    if not ids:
        return frozenset()
    rows = conn.exec_driver_sql(
        f"SELECT DISTINCT source_id FROM articles WHERE id IN ({dialect.of(conn).values()})",
        (json.dumps(ids),),
    ).fetchall()
    return frozenset(r[0] for r in rows)


def set_state(
    conn: Any, ids: Iterable[int], action: str, *, description: str = "", log: bool = True
) -> Changes:
    """Apply a state action ('read', 'unflag', 'archive', …) to ``ids``."""
    if action not in STATE_ACTIONS:
        raise ValueError(f"unknown triage action {action!r}")
    column, value = STATE_ACTIONS[action]
    changed = _set_column(conn, column, value, _ids_json(ids))
    if not changed:
        return Changes(fields=frozenset({column}), description=description)
    log_id = None
    if log:
        payload = {"kind": "state", "column": column, "value": value, "ids": sorted(changed)}
        log_id = _log(conn, action, description or f"{action} {len(changed)}", payload)
    return Changes(
        frozenset(changed),
        _sources_of(conn, changed),
        frozenset({column}),
        description,
        log_id,
    )


def set_user_tag(
    conn: Any, ids: Iterable[int], tag: str, present: bool, *, description: str = ""
) -> Changes:
    """Add (``present``) or remove a tag as my own word on ``ids``.

    A removal is kept as my ``removed`` word, so no model or rule can put the tag
    back for me; the machine's row stays for everyone else. Removing applies where
    the tag is one of mine, a machine tag, or another person's addition.
    """
    tag = tag.strip()
    if not tag:
        raise ValueError("empty tag")
    person = me(conn)
    prev = conn.exec_driver_sql(
        "SELECT j.value, u.removed, u.created_at, "
        "(SELECT count(*) FROM tags g WHERE g.article_id = j.value AND g.tag = ? "
        " AND g.removed = 0), "
        "(SELECT count(*) FROM user_tags o WHERE o.article_id = j.value AND o.tag = ? "
        " AND o.person_id != ? AND o.removed = 0) "
        f"FROM {dialect.of(conn).table('j')} "
        "LEFT JOIN user_tags u ON u.article_id = j.value AND u.tag = ? AND u.person_id = ?",
        (tag, tag, person, _ids_json(ids), tag, person),
    ).fetchall()
    want_removed = 0 if present else 1
    changed = [
        [int(r[0]), r[1], r[2]]
        for r in prev
        if r[1] != want_removed and (present or r[1] is not None or r[3] or r[4])
    ]
    if not changed:
        return Changes(fields=frozenset({"tags"}), description=description)
    _write_user_tag(conn, tag, want_removed, [r[0] for r in changed])
    ids_changed = sorted(r[0] for r in changed)
    # "own": prev rows are [article_id, my removed or None, my created_at or None] (v7)
    payload = {"kind": "tag", "tag": tag, "present": present, "own": 1, "prev": changed}
    action = "tag" if present else "untag"
    log_id = _log(conn, action, description or f"{action} {tag} on {len(changed)}", payload)
    return Changes(
        frozenset(ids_changed),
        _sources_of(conn, ids_changed),
        frozenset({"tags"}),
        description,
        log_id,
    )


def _write_user_tag(conn: Any, tag: str, removed: int, ids: list[int]) -> None:
    conn.exec_driver_sql(
        "INSERT INTO user_tags (article_id, tag, person_id, removed, created_at) "
        f"SELECT j.value, ?, ?, ?, ? FROM {dialect.of(conn).table('j')} "
        "WHERE EXISTS (SELECT 1 FROM articles a WHERE a.id = j.value) "
        "ON CONFLICT (article_id, tag, person_id) DO UPDATE SET "
        "removed = excluded.removed, created_at = excluded.created_at",
        (tag, me(conn), removed, now_iso(), json.dumps(ids)),
    )


def _set_word(conn: Any, article_id: int, tag: str, person: int, word: Any) -> None:
    """Put ``person``'s word back to ``word`` = (removed, created_at), or none."""
    if word is None:
        conn.exec_driver_sql(
            "DELETE FROM user_tags WHERE article_id = ? AND tag = ? AND person_id = ?",
            (article_id, tag, person),
        )
        return
    conn.exec_driver_sql(
        "INSERT INTO user_tags (article_id, tag, person_id, removed, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (article_id, tag, person_id) DO UPDATE SET "
        "removed = excluded.removed, created_at = excluded.created_at",
        (article_id, tag, person, int(word[0]), word[1]),
    )


def _reverse_old_tag_row(conn: Any, tag: str, row: list[Any]) -> None:
    """Undo one ``prev`` row of a log entry written before v7 (the shared ``tags`` row)."""
    article_id, origin, score, removed, created_at, *who = row
    mine = me(conn)
    if origin != "user" or (who and who[0] not in (None, mine)):
        _set_word(conn, article_id, tag, mine, None)  # I had no word before
    if origin == "user":
        person = who[0] if who and who[0] is not None else mine
        if person == mine:
            _set_word(conn, article_id, tag, mine, (removed, created_at))
        else:  # the other person's word my old action had replaced, unless they spoke since
            conn.exec_driver_sql(
                "INSERT INTO user_tags (article_id, tag, person_id, removed, created_at) "
                "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM people WHERE id = ?) "
                "ON CONFLICT (article_id, tag, person_id) DO NOTHING",
                (article_id, tag, person, int(removed), created_at, person),
            )
    elif origin is not None:  # the machine row my old word had replaced
        conn.exec_driver_sql(
            "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
            "SELECT ?, ?, ?, ?, 0, ? WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?) "
            "ON CONFLICT (article_id, tag) DO NOTHING",
            (article_id, tag, origin, score, created_at, article_id),
        )


def _reverse(conn: Any, payload: dict[str, Any]) -> list[int]:
    if payload["kind"] == "search":
        from desktop.triage import searches

        searches.reverse(conn, payload)
        return []
    if payload["kind"] == "state":
        ids = json.dumps(payload["ids"])
        _set_column(conn, payload["column"], 1 - int(payload["value"]), ids)
        return list(payload["ids"])
    tag = payload["tag"]
    ids: list[int] = []
    wanted = [int(row[0]) for row in payload["prev"]]
    present = {
        r[0]
        for r in conn.exec_driver_sql(
            f"SELECT id FROM articles WHERE id IN ({dialect.of(conn).values()})",
            (json.dumps(wanted),),
        )
    }
    for row in payload["prev"]:
        article_id = int(row[0])
        if article_id not in present:
            continue  # purged since (or its source removed): nothing to restore
        ids.append(article_id)
        if payload.get("own"):
            word = None if row[1] is None else (row[1], row[2])
            _set_word(conn, article_id, tag, me(conn), word)
        else:
            _reverse_old_tag_row(conn, tag, list(row))
    return ids


def _replay(conn: Any, payload: dict[str, Any]) -> list[int]:
    if payload["kind"] == "search":
        from desktop.triage import searches

        searches.replay(conn, payload)
        return []
    if payload["kind"] == "state":
        _set_column(conn, payload["column"], int(payload["value"]), json.dumps(payload["ids"]))
        return list(payload["ids"])
    ids = [row[0] for row in payload["prev"]]
    _write_user_tag(conn, payload["tag"], 0 if payload["present"] else 1, ids)
    return ids


def _fields(payload: dict[str, Any]) -> frozenset[str]:
    kind = payload["kind"]
    if kind == "search":
        return frozenset({"searches"})
    return frozenset({payload["column"]} if kind == "state" else {"tags"})


ID_MIN, ID_MAX = -(2**63 - 1), 2**63 - 1


def _log_end(conn: Any, state: int, *, newest: bool) -> Any:
    """The person's newest (or oldest) log entry in ``state``: (id, action, description,
    payload), or None.

    Written as a range over ``ix_triage_log_person`` (person_id, undone, id) ordered by
    all three columns, which only that index delivers in order. With plain equalities
    and ``ORDER BY id`` PostgreSQL may walk the primary key instead, filtering, when it
    takes a person's entries for evenly spread: after others' actions that reads every
    later entry of everyone (60,000 rows, 6 ms, for one undo at 100,000 entries)."""
    order = "DESC" if newest else "ASC"
    person = me(conn)
    return conn.exec_driver_sql(
        "SELECT id, action, description, payload FROM triage_log "
        "WHERE (person_id, undone, id) >= (?, ?, ?) AND (person_id, undone, id) <= (?, ?, ?) "
        f"ORDER BY person_id {order}, undone {order}, id {order} LIMIT 1",
        (person, state, ID_MIN, person, state, ID_MAX),
    ).fetchone()


def undo(conn: Any) -> Changes | None:
    """Undo the latest active triage action (a bulk one whole); None when nothing is left."""
    row = _log_end(conn, ACTIVE, newest=True)
    if row is None:
        return None
    payload = json.loads(row[3])
    ids = _reverse(conn, payload)
    conn.exec_driver_sql(f"UPDATE triage_log SET undone = {UNDONE} WHERE id = ?", (row[0],))
    return Changes(
        frozenset(ids), _sources_of(conn, ids), _fields(payload), f"undo {row[2]}", row[0]
    )


def redo(conn: Any) -> Changes | None:
    """Redo the most recently undone action; None when there is none."""
    row = _log_end(conn, UNDONE, newest=False)
    if row is None:
        return None
    payload = json.loads(row[3])
    ids = _replay(conn, payload)
    conn.exec_driver_sql(f"UPDATE triage_log SET undone = {ACTIVE} WHERE id = ?", (row[0],))
    return Changes(
        frozenset(ids), _sources_of(conn, ids), _fields(payload), f"redo {row[2]}", row[0]
    )
