"""People: whose triage state a connection reads and writes.

Sources, articles, stories, the machine's tags and model labels are shared;
read, flagged, archived and hidden live in ``triage`` per ``(article_id,
person_id)``, a person's tag words in ``user_tags`` (``store.tagging``:
others see their additions attributed), and the undo log is per person. A
:class:`~desktop.store.database.Database` is opened for one person: it puts
that person's id on every connection it hands out (``conn.info["person_id"]``),
and store code asks :func:`me`.

Every person has a triage row for every article: ingest writes one per
person (the ``people`` table is tiny), and a person seen for the first time
gets theirs in batches (:func:`backfill`), newest articles first, each batch
its own short transaction on the writer. ``people.backfill_left`` is the
highest article id still without a row for that person (NULL: complete), so
an interrupted backfill resumes where it stopped.
"""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

from desktop.store import dialect
from desktop.timeutil import now_iso

ENV_USER = "NEWSDESK_USER"
BACKFILL_BATCH = 50_000
"""Articles per backfill transaction (the writer is never held for long)."""


class NoPersonError(RuntimeError):
    """A triage query ran on a connection that is not opened for a person."""


def default_user() -> str:
    """``$NEWSDESK_USER``, else the login name."""
    value = os.environ.get(ENV_USER, "").strip()
    if value:
        return value
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without passwd entry)
        return "me"


def resolve_user(cli_value: str | None) -> str:
    """The person a command runs as: ``--user``, else :func:`default_user`."""
    value = (cli_value or "").strip()
    if cli_value is not None and not value:
        raise ValueError("--user needs a name")
    return value or default_user()


def me(conn: Any) -> int:
    """The person id a connection acts for (set by ``Database.read``/``write``)."""
    person = getattr(conn, "person_id", None)
    if person is None:
        info = getattr(conn, "info", None)
        person = info.get("person_id") if info is not None else None
    if person is None:
        raise NoPersonError("this connection is not opened for a person")
    return int(person)


def person_id(conn: Any, name: str) -> int | None:
    """The id of the person called ``name`` (None when unknown)."""
    row = conn.exec_driver_sql("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else None


def ensure(conn: Any, name: str) -> int:
    """The id of ``name``, creating the person (with a backfill to run) when new."""
    found = person_id(conn, name)
    if found is not None:
        return found
    if dialect.of(conn).name == "postgresql":
        # Another client may be ingesting: its articles, not yet committed, would get
        # no row for this person (its insert saw no such person) and lie above the
        # backfill's ``top``. Wait for such transactions (they hold ROW SHARE, see
        # ingest.write_entries) and hold new ones back until this person exists.
        conn.exec_driver_sql("LOCK TABLE people IN EXCLUSIVE MODE")
        found = person_id(conn, name)
        if found is not None:
            return found
    top = conn.exec_driver_sql("SELECT max(id) FROM articles").scalar()
    return int(
        conn.exec_driver_sql(
            "INSERT INTO people (name, created_at, backfill_left) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            (name, now_iso(), top),
        ).scalar_one()
    )


def backfill_step(conn: Any, person: int, batch: int = BACKFILL_BATCH) -> bool:
    """Create the next batch of ``person``'s triage rows; False when none are left.

    Articles newer than the person have rows from ingest already; this covers
    the older ones, newest first.
    """
    left = conn.exec_driver_sql("SELECT backfill_left FROM people WHERE id = ?", (person,)).scalar()
    if left is None:
        return False
    # Article ids come from a complete person's triage rows when there is one: that
    # table is narrow, while walking ``articles`` by id reads every article's text.
    ref = conn.exec_driver_sql(
        "SELECT min(id) FROM people WHERE id != ? AND backfill_left IS NULL", (person,)
    ).scalar()
    if ref is None:
        ids = "SELECT id FROM articles WHERE id >= ? AND id <= ?"
        low = conn.exec_driver_sql(
            "SELECT min(id) FROM (SELECT id FROM articles WHERE id <= ? "
            "ORDER BY id DESC LIMIT ?) b",
            (int(left), int(batch)),
        ).scalar()
    else:
        ids = (
            f"SELECT article_id AS id FROM triage WHERE person_id = {int(ref)} "
            "AND article_id >= ? AND article_id <= ?"
        )
        low = conn.exec_driver_sql(
            "SELECT min(article_id) FROM (SELECT article_id FROM triage WHERE person_id = ? "
            "AND article_id <= ? ORDER BY article_id DESC LIMIT ?) b",
            (int(ref), int(left), int(batch)),
        ).scalar()
    if low is None:
        conn.exec_driver_sql("UPDATE people SET backfill_left = NULL WHERE id = ?", (person,))
        return False
    span = (int(low), int(left))
    clash = conn.exec_driver_sql(
        "SELECT count(*) FROM triage WHERE article_id >= ? AND article_id <= ? AND person_id = ?",
        (*span, person),
    ).scalar()
    insert = (
        f"INSERT INTO triage (article_id, person_id) SELECT i.id, ? FROM ({ids}) AS i "
        "WHERE true ON CONFLICT (article_id, person_id) DO NOTHING"
    )
    if clash:  # rare (rows written meanwhile): let the trigger count each new row
        conn.exec_driver_sql(insert, (person, *span))
    else:  # every row is new and unread: count them in one statement
        conn.exec_driver_sql("INSERT INTO counts_guard (one) VALUES (1)")
        conn.exec_driver_sql(insert, (person, *span))
        conn.exec_driver_sql("DELETE FROM counts_guard")
        conn.exec_driver_sql(
            "INSERT INTO article_counts AS c "
            "(person_id, source_id, language, read, flagged, archived, hidden, slot, n) "
            f"SELECT ?, source_id, coalesce(language, 'und'), 0, 0, 0, 0, "
            f"{dialect.of(conn).count_slot}, count(*) "
            "FROM articles WHERE id >= ? AND id <= ? "
            "GROUP BY source_id, coalesce(language, 'und') "
            "ON CONFLICT (person_id, source_id, language, read, flagged, archived, hidden, slot) "
            "DO UPDATE SET n = c.n + excluded.n",
            (person, *span),
        )
    conn.exec_driver_sql("UPDATE people SET backfill_left = ? WHERE id = ?", (int(low) - 1, person))
    return True


def analyze(conn: Any) -> None:
    """Refresh PostgreSQL's planner statistics of ``triage`` after a person's rows were
    created (nothing on SQLite, which keeps none).

    Until its next automatic ``ANALYZE`` PostgreSQL takes a new person for one without
    rows (their id is not among the sampled values) and joins their ``triage`` rows by
    scanning the whole table once per looked-up article: re-reading 1,000 notified
    rows took 0.7 s at 10,000 triage rows instead of a few milliseconds."""
    if dialect.of(conn).name == "postgresql":
        conn.exec_driver_sql("ANALYZE triage")


def names(conn: Any) -> dict[int, str]:
    """Person id → name."""
    return {int(r[0]): r[1] for r in conn.exec_driver_sql("SELECT id, name FROM people")}


def flagged_by_others(conn: Any, ids: list[int]) -> dict[int, list[str]]:
    """Article id → names of the *other* people who flagged it (sorted), for ``ids``."""
    if not ids:
        return {}
    rows = conn.exec_driver_sql(
        "SELECT t.article_id, p.name FROM triage t JOIN people p ON p.id = t.person_id "
        f"WHERE t.article_id IN ({dialect.of(conn).values()}) AND t.flagged = 1 "
        "AND t.person_id != ? ORDER BY t.article_id, p.name",
        (json.dumps(sorted({int(i) for i in ids})), me(conn)),
    ).fetchall()
    out: dict[int, list[str]] = {}
    for article_id, name in rows:
        out.setdefault(int(article_id), []).append(name)
    return out
