"""The window on a shared PostgreSQL: real keys, search, filters, counts, undo, and
other clients' commits arriving through LISTEN/NOTIFY (no polling)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gui.conftest import Harness, build_sample
from tests.support.factories import entry, ingest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_harness(qtbot: Any, loop: Any, tmp_path: Path, pg_url: str) -> Iterator[Harness]:
    """The real window attached to a real service on the sample data in PostgreSQL."""
    from desktop.app import build_window, make_application
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk
    from desktop.ui.main_window import WindowSettings

    root = tmp_path / "data"
    root.mkdir()
    info = build_sample(root, database=pg_url)
    info["url"] = pg_url
    paths = DataPaths(root)
    make_application()
    window = build_window(
        paths, open_url=lambda _url: None, settings=WindowSettings(refresh_pool="thread")
    )
    qtbot.addWidget(window)
    desk = Newsdesk.open(paths, pg_url)
    window.show()
    qtbot.waitExposed(window)
    window.attach(desk)
    h = Harness(qtbot, window, desk, info)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0 and window.counts is not None)
    qtbot.waitUntil(lambda: window.live.listener.listening, timeout=5000)
    h.settle()
    window.list.setFocus()
    window.activateWindow()
    yield h
    window.close()
    window.tasks.close()
    desk.close()


def test_keys_search_filters_counts_and_undo_on_postgres(pg_harness: Harness) -> None:
    h = pg_harness
    w = h.window
    assert w.desk.db.dialect == "postgresql"
    # no polling: the data_version probe is SQLite's; here notifications come in
    assert w.live is not None and not w._poll_timer.isActive()
    assert h.model.rowCount() == 26  # 24 + 1 French + one story of 3 folded
    inbox = w.sidebar.item_for("view", "inbox")
    assert inbox.text(1) == "28"
    assert w.sidebar.item_for("language", "fr").text(1) == "1"
    ids = h.model.head_ids()
    # j opens (and marks read), m toggles read, s flags
    h.key("j")
    a = h.current_id()
    assert a == ids[1]
    h.qtbot.waitUntil(lambda: h.state(a)["read"])
    h.qtbot.waitUntil(lambda: inbox.text(1) == "27")
    h.key("m")
    assert h.state(a)["read"] is False
    h.key("s")
    assert h.state(a)["flagged"] is True
    h.qtbot.waitUntil(lambda: w.sidebar.item_for("view", "flagged").text(1) == "1")
    # e archives and moves on; u undoes; Ctrl+Shift+Z redoes
    h.key("e")
    assert h.state(a)["archived"] is True
    assert a not in h.model.head_ids() and h.current_id() == ids[2]
    h.key("u")
    assert h.state(a)["archived"] is False
    h.qtbot.waitUntil(lambda: a in h.model.head_ids())
    h.key("Ctrl+Shift+Z")
    h.qtbot.waitUntil(lambda: a not in h.model.head_ids())
    h.key("Ctrl+Z")
    h.qtbot.waitUntil(lambda: a in h.model.head_ids())
    # / searches through the tsvector column (a prefix match)
    h.key("/")
    h.qtbot.keyClicks(w.search, "zebra5")
    h.qtbot.waitUntil(lambda: w.search_text == "zebra5")
    h.settle()
    assert h.titles() == ["Report 05 about markets"]
    h.key("Return", w.search)
    h.key("Esc")
    h.qtbot.waitUntil(lambda: h.model.rowCount() == 26)
    # l picks a language; filters combine with a topic
    h.key("l")
    h.qtbot.keyClicks(w._dialog.search, "fre")
    h.key("Return", w._dialog.search)
    h.settle()
    assert w.language == "fr" and h.titles() == ["Les marchés reculent"]
    h.key("Esc")
    h.settle()
    h.key("Shift+T")
    h.qtbot.keyClicks(w._dialog.search, "weather")
    h.key("Return", w._dialog.search)
    h.settle()
    assert h.titles() == ["Storm closes the harbour"]
    # the window's own actions came back as no notification (its echoes are skipped)
    assert w.live.notices == 0


def test_a_command_line_mark_shows_up_within_a_second(pg_harness: Harness) -> None:
    h = pg_harness
    w = h.window
    target = h.model.head_ids()[4]
    assert h.model.item(h.model.row_of(target)).row.read is False
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("NEWSDESK_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "desktop", "--data-dir", str(h.desk.paths.root / "cli")]
    out = subprocess.run(
        [*cmd, "--database", h.info["url"], "mark", str(target), "--read"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    done = time.monotonic()
    h.qtbot.waitUntil(lambda: h.model.item(h.model.row_of(target)).row.read, timeout=1000)
    assert time.monotonic() - done < 1.0
    assert w.live.notices >= 1
    # through the environment variable too, and an archive takes the row out of the Inbox
    env["NEWSDESK_DATABASE_URL"] = h.info["url"]
    out = subprocess.run(
        [*cmd, "mark", str(target), "--archive"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    h.qtbot.waitUntil(lambda: target not in h.model.head_ids(), timeout=1000)
    h.qtbot.waitUntil(lambda: w.sidebar.item_for("view", "inbox").text(1) == "27", timeout=2000)


def test_another_client_flags_tags_and_ingests_while_the_cursor_stays(
    pg_harness: Harness, tmp_path: Path
) -> None:
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk

    h = pg_harness
    w = h.window
    ids = h.model.head_ids()
    h.key("j")
    h.key("j")
    here = h.current_id()
    other = Newsdesk.open(DataPaths(tmp_path / "other"), h.info["url"])
    try:
        other.mark([ids[6]], "flag")
        h.qtbot.waitUntil(lambda: h.model.item(h.model.row_of(ids[6])).row.flagged, timeout=1000)
        other.tag([ids[6]], "science", True)
        h.qtbot.waitUntil(
            lambda: "science" in h.model.item(h.model.row_of(ids[6])).row.topics, timeout=1000
        )
        source = h.info["sources"][0]
        new = ingest(other, source, [entry("late", "Late breaking news", published=None)])
        h.qtbot.waitUntil(lambda: new[0] in h.model.head_ids(), timeout=1000)
        assert h.model.head_ids()[0] == new[0]  # the newest, at the top
        other.db.write(lambda c: c.exec_driver_sql("DELETE FROM articles WHERE id = ?", (ids[8],)))
        h.qtbot.waitUntil(lambda: ids[8] not in h.model.head_ids(), timeout=1000)
    finally:
        other.close()
    assert h.current_id() == here  # remote changes never moved the cursor
    assert w.live.applied >= 1


def test_another_persons_changes_show_as_theirs(pg_harness: Harness, tmp_path: Path) -> None:
    """bob's flag and read reach the window (a notice with the article ids), which
    re-reads the *viewer's* state: the row stays unread and unflagged, with bob's
    hollow flag; the counts are the viewer's own."""
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk

    h = pg_harness
    w = h.window
    assert w.desk.user != "bob"
    ids = h.model.head_ids()
    inbox = w.sidebar.item_for("view", "inbox")
    assert inbox.text(1) == "28"
    bob = Newsdesk.open(DataPaths(tmp_path / "bob"), h.info["url"], user="bob")
    try:
        bob.mark([ids[5]], "flag", whole_story=False)
        bob.mark([ids[5], ids[6]], "read", whole_story=False)
        h.qtbot.waitUntil(
            lambda: h.model.item(h.model.row_of(ids[5])).row.flagged_by == ["bob"], timeout=1000
        )
        row = h.model.item(h.model.row_of(ids[5])).row
        assert row.flagged is False and row.read is False
        assert h.model.row_of(ids[5]).data() == "⚐"
        h.qtbot.waitUntil(lambda: w.live.notices >= 2, timeout=1000)
        h.settle()
        assert h.model.item(h.model.row_of(ids[6])).row.read is False
        assert inbox.text(1) == "28"
        assert w.sidebar.item_for("view", "flagged").text(1) == ""  # none of mine
    finally:
        bob.close()


def test_the_open_article_shows_another_persons_flag(pg_harness: Harness, tmp_path: Path) -> None:
    """The reading pane follows a notice about the article it shows: bob flags it,
    and the pane's header says so within a second (the row alone is not enough)."""
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk

    h = pg_harness
    w = h.window
    target = h.model.head_ids()[7]
    w.set_current(h.model.row_of(target))
    h.qtbot.waitUntil(lambda: w.reader.article_id == target, timeout=2000)
    h.settle()
    assert "Flagged by" not in w.reader.toPlainText()
    bob = Newsdesk.open(DataPaths(tmp_path / "bob"), h.info["url"], user="bob")
    try:
        bob.mark([target], "flag", whole_story=False)
        h.qtbot.waitUntil(lambda: "Flagged by bob" in w.reader.toPlainText(), timeout=1000)
        assert w.reader.article_id == target
    finally:
        bob.close()
