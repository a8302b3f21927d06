"""Triage actions and their undo as one statement each, for a shared PostgreSQL.

``actions.set_state`` (with ``queries.story_members``) and ``actions.undo`` make
four to five statements, and their transaction two more (``BEGIN``, ``COMMIT``):
seven round trips to the server for one key press. On a busy machine each is a
wait to be scheduled, twice (server, then client), and that, not the work, made
most of a triage commit's time while a fetcher ingested (issue #7). Here the
same work is one statement of data-modifying CTEs, run on the writer without a
transaction around it (``Database.write_single``): a single statement is atomic
by itself and commits as any transaction does (durably), so one round trip.

Same rows, log entries (payload ``{"kind":"state","column":…,"value":…,"ids":[…]}``),
triggers (counts, outbox, notifications) and :class:`Changes` as the general
path; SQLite keeps the general path (no data-modifying CTEs, and no round trips).
An undo whose latest entry is not a state change (tags, searches) changes nothing
here and returns None: the caller then runs ``actions.undo`` in a transaction.
"""

from __future__ import annotations

import json
from typing import Any

from desktop.store import dialect
from desktop.store.people import me
from desktop.timeutil import now_iso
from desktop.triage.actions import ACTIVE, DISCARDED, ID_MAX, ID_MIN, STATE_ACTIONS, UNDONE
from desktop.triage.changes import Changes

_COLUMNS = ("read", "flagged", "archived", "hidden")


def _mark_sql(column: str, whole_story: bool) -> str:
    ids = dialect.POSTGRES.values()
    targets = "SELECT id FROM req"
    if whole_story:  # queries.story_members
        targets += (
            " UNION SELECT a.id FROM articles a WHERE a.story_id IN "
            "(SELECT story_id FROM articles WHERE id IN (SELECT id FROM req) "
            "AND story_id IS NOT NULL)"
        )
    return (
        f"WITH req(id) AS ({ids}), targets(id) AS ({targets}), "
        f"upd AS (UPDATE triage SET {column} = ?, changed_at = ? "
        "WHERE article_id IN (SELECT id FROM targets) AND person_id = ? "
        f"AND {column} != ? RETURNING article_id), "
        "agg AS (SELECT count(*) AS n, '[' || string_agg(CAST(article_id AS text), ',' "
        "ORDER BY article_id) || ']' AS ids FROM upd), "
        f"discard AS (UPDATE triage_log SET undone = {DISCARDED} "
        f"WHERE person_id = ? AND undone = {UNDONE} AND EXISTS (SELECT 1 FROM upd)), "
        "ins AS (INSERT INTO triage_log (at, action, description, payload, undone, person_id) "
        "SELECT ?, ?, coalesce(?, ? || CAST(n AS text)), ? || ids || '}', "
        f"{ACTIVE}, ? FROM agg WHERE n > 0 RETURNING id) "
        "SELECT (SELECT ids FROM agg), (SELECT id FROM ins), "
        "(SELECT string_agg(DISTINCT CAST(source_id AS text), ',') FROM articles "
        "WHERE id IN (SELECT article_id FROM upd))"
    )


def _int_list(text: str | None) -> frozenset[int]:
    return frozenset(int(v) for v in text.strip("[]").split(",")) if text else frozenset()


def mark(
    conn: Any, ids: list[int], action: str, whole_story: bool = True, description: str = ""
) -> Changes:
    """``actions.set_state(conn, story members of ids, action)`` in one statement
    (PostgreSQL)."""
    if action not in STATE_ACTIONS:
        raise ValueError(f"unknown triage action {action!r}")
    column, value = STATE_ACTIONS[action]
    person = me(conn)
    now = now_iso()
    payload_head = json.dumps(
        {"kind": "state", "column": column, "value": value}, separators=(",", ":")
    )[:-1]
    row = conn.exec_driver_sql(
        _mark_sql(column, whole_story),
        (
            json.dumps(sorted({int(i) for i in ids})),
            value,
            now,
            person,
            value,
            person,
            now,
            action,
            description or None,
            f"{action} ",
            payload_head + ',"ids":',
            person,
        ),
    ).one()
    changed = _int_list(row[0])
    if not changed:
        return Changes(fields=frozenset({column}), description=description)
    return Changes(changed, _int_list(row[2]), frozenset({column}), description, int(row[1]))


def _undo_sql() -> str:
    def case(expr: str) -> str:
        return " ".join(f"WHEN '{c}' THEN {expr.format(c=c)}" for c in _COLUMNS)

    sets = ", ".join(f"{c} = CASE WHEN st.col = '{c}' THEN st.v ELSE t.{c} END" for c in _COLUMNS)
    columns = ", ".join(f"'{c}'" for c in _COLUMNS)
    return (
        "WITH last AS (SELECT id, description, payload, CAST(payload AS json) AS p "
        "FROM triage_log "
        "WHERE (person_id, undone, id) >= (?, ?, ?) AND (person_id, undone, id) <= (?, ?, ?) "
        "ORDER BY person_id DESC, undone DESC, id DESC LIMIT 1), "
        "st AS (SELECT id, p->>'column' AS col, 1 - CAST(p->>'value' AS integer) AS v, "
        "p->'ids' AS ids FROM last "
        f"WHERE p->>'kind' = 'state' AND p->>'column' IN ({columns})), "
        f"upd AS (UPDATE triage t SET {sets}, changed_at = ? "
        "FROM st, json_array_elements_text(st.ids) AS j(value) "
        "WHERE t.article_id = CAST(j.value AS bigint) AND t.person_id = ? "
        f"AND (CASE st.col {case('t.{c}')} END) != st.v RETURNING t.article_id), "
        f"done AS (UPDATE triage_log SET undone = {UNDONE} WHERE id = (SELECT id FROM st) "
        "RETURNING id) "
        "SELECT l.id, l.description, l.payload, (SELECT count(*) FROM done), "
        "(SELECT string_agg(DISTINCT CAST(a.source_id AS text), ',') FROM articles a "
        "WHERE a.id IN (SELECT CAST(value AS bigint) FROM json_array_elements_text(l.p->'ids'))) "
        "FROM last l"
    )


_UNDO_SQL = _undo_sql()


def undo(conn: Any) -> tuple[bool, Changes | None]:
    """``actions.undo`` in one statement (PostgreSQL): (True, what it returns) when the
    latest entry was a state change or there is none; (False, None) when it is another
    kind (tags, searches): then nothing changed, and ``actions.undo`` must run."""
    person = me(conn)
    row = conn.exec_driver_sql(
        _UNDO_SQL,
        (person, ACTIVE, ID_MIN, person, ACTIVE, ID_MAX, now_iso(), person),
    ).fetchone()
    if row is None:
        return True, None
    if not row[3]:
        return False, None
    payload = json.loads(row[2])
    return True, Changes(
        frozenset(int(i) for i in payload["ids"]),
        _int_list(row[4]),
        frozenset({payload["column"]}),
        f"undo {row[1]}",
        int(row[0]),
    )
