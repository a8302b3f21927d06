"""The window on a database that cannot grow: a triage key says so in words and the
list shows the state that is really stored.

The failure is SQLite's own SQLITE_FULL from a real file: the writer's connections
get ``PRAGMA max_page_count`` set to the file's size (what a full disk does to the
database: no new page can be written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop.paths import DataPaths
from desktop.store.errors import DISK_FULL
from tests.gui.conftest import build_sample


@pytest.fixture
def sample(tmp_path: Path) -> tuple[DataPaths, dict[str, Any]]:
    """The window's sample with 300 articles: marking them read takes new pages."""
    root = tmp_path / "data"
    root.mkdir()
    return DataPaths(root), build_sample(root, articles=300)


def _cap_the_file(desk: Any) -> None:
    from sqlalchemy import event

    engine = desk.db._engine

    @event.listens_for(engine, "connect")
    def _cap(dbapi_conn: Any, _record: object) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()  # the next write opens a capped connection


def test_triage_on_a_full_database_reports_it_and_keeps_the_stored_state(
    harness: Any,
) -> None:
    w = harness.window
    unread = [i for i in harness.info["ids"] if not harness.state(i)["read"]]
    assert len(unread) > 20
    _cap_the_file(harness.desk)
    harness.key("Shift+A")  # mark the whole view read: one big write
    harness.qtbot.waitUntil(lambda: DISK_FULL in w.status_text.text(), timeout=5000)
    assert "sqlite3" not in w.status_text.text() and "SQL" not in w.status_text.text()
    harness.settle()
    # nothing was stored, and the list shows so again (bold/unread rows back)
    assert all(not harness.state(i)["read"] for i in unread)
    harness.qtbot.waitUntil(
        lambda: all(not it.row.read for _, it in harness.model.items() if it.row.id in set(unread)),
        timeout=5000,
    )
    assert w.list.hasFocus() or w.isActiveWindow()
