"""Versioned schema migrations.

Each step is a module ``vNNNN_name`` with an ``SQL`` script that moves the
schema from version N-1 to N, and beside it ``POSTGRES_SQL``, the same step
for PostgreSQL (triggers in PL/pgSQL, a generated ``tsvector`` column instead
of FTS5). ``PRAGMA user_version`` records the version on SQLite, the one-row
table ``schema_version`` on PostgreSQL. Steps are applied forward only, all
pending ones in a single transaction (on SQLite after a backup copy of the
file has been written).

A step may read ``migration_context`` (a temporary table with one row: the
``name`` of the person running the migration); v6 names the owner of the
existing triage state after it, v7 the owner of user tag words that name nobody.
"""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

STEPS: tuple[str, ...] = (
    "v0001_initial",
    "v0002_counts",
    "v0003_full_articles",
    "v0004_accounts",  # issue 7: sync with feed servers
    "v0005_notify",  # issue 7: live updates (PostgreSQL LISTEN/NOTIFY; nothing on SQLite)
    "v0006_people",  # issue 7: triage state per person
    "v0007_user_tags",  # issue 7: a user's tag words per person
    "v0008_search_points",  # search with or without Arabic and Hebrew points
)
"""Module names, in order; the schema version is the length of this tuple."""

LATEST = len(STEPS)


def step_sql(version: int) -> str:
    """The SQL script that upgrades a database from ``version - 1`` to ``version``."""
    module = importlib.import_module(f"{__name__}.{STEPS[version - 1]}")
    return module.SQL


def postgres_step_sql(version: int) -> str:
    """The PostgreSQL script that upgrades a database from ``version - 1`` to ``version``."""
    module = importlib.import_module(f"{__name__}.{STEPS[version - 1]}")
    return module.POSTGRES_SQL


POSTGRES_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "one INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1), version INTEGER NOT NULL)"
)


def apply_postgres(conn: Any, start: int, stop: int = LATEST, *, user: str = "owner") -> None:
    """Apply steps ``start+1 .. stop`` on a psycopg connection inside its open transaction.

    The caller commits (or rolls back); the version row is written last.
    ``user`` is the person running the migration (see the module docstring).
    """
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS migration_context (name TEXT) ON COMMIT DROP")
    conn.execute("DELETE FROM migration_context")
    conn.execute("INSERT INTO migration_context (name) VALUES (%s)", (user,))
    for version in range(start + 1, stop + 1):
        conn.execute(postgres_step_sql(version))
    conn.execute(POSTGRES_VERSION_TABLE)
    conn.execute(
        "INSERT INTO schema_version (one, version) VALUES (1, %s) "
        "ON CONFLICT (one) DO UPDATE SET version = excluded.version",
        (int(stop),),
    )


def split_statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers keep their bodies)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def apply(conn: sqlite3.Connection, start: int, stop: int = LATEST, *, user: str = "owner") -> None:
    """Apply steps ``start+1 .. stop`` on ``conn`` (autocommit mode) in one transaction.

    ``user`` is the person running the migration (see the module docstring).
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS migration_context (name TEXT)")
        conn.execute("DELETE FROM temp.migration_context")
        conn.execute("INSERT INTO temp.migration_context (name) VALUES (?)", (user,))
        for version in range(start + 1, stop + 1):
            for statement in split_statements(step_sql(version)):
                conn.execute(statement)
        conn.execute("DROP TABLE temp.migration_context")
        conn.execute(f"PRAGMA user_version = {int(stop)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
