"""The SQLModel classes and the migrated schema describe the same tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.store import migrations
from desktop.store.db import prepare


def test_models_match_migrated_schema(tmp_path: Path) -> None:
    from sqlmodel import SQLModel

    import desktop.store.models  # noqa: F401  (registers the tables)

    path = tmp_path / "s.sqlite3"
    prepare(path)
    conn = sqlite3.connect(path)
    for table in SQLModel.metadata.sorted_tables:
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table.name})")}
        assert cols, f"table {table.name} missing from the migrated schema"
        assert cols == {c.name for c in table.columns}, table.name
    conn.close()


def test_split_statements_keeps_trigger_bodies() -> None:
    sql = migrations.step_sql(1)
    statements = migrations.split_statements(sql)
    triggers = [s for s in statements if s.startswith("CREATE TRIGGER")]
    assert len(triggers) == 3
    assert all(s.rstrip().endswith("END;") for s in triggers)


def test_indexes_serve_the_list_order(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    prepare(path)
    conn = sqlite3.connect(path)
    plan = " ".join(
        str(r[3])
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT a.id FROM articles a JOIN triage t ON t.article_id = a.id "
            "AND t.person_id = 1 "
            "WHERE t.archived = 0 ORDER BY a.published DESC, a.id DESC LIMIT 50"
        )
    )
    assert "ix_articles_published" in plan and "TEMP B-TREE" not in plan, plan
    plan = " ".join(
        str(r[3])
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT a.id FROM articles a WHERE a.source_id = 3 "
            "ORDER BY a.published DESC, a.id DESC LIMIT 50"
        )
    )
    assert "ix_articles_source_published" in plan and "TEMP B-TREE" not in plan, plan
    conn.close()
