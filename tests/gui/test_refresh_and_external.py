"""Fetching never blocks the UI thread; changes made by the command line show up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from desktop.ui.qt import QTimer
from tests.support.factories import add_source
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gui"
REPO = Path(__file__).resolve().parents[2]


def test_r_fetches_on_the_loop_while_keys_keep_working(harness: Any, loop: Any) -> None:
    w = harness.window
    with FeedServer() as server:
        server.slow_seconds = 1.5
        server.add(
            "/feed.xml",
            (FIXTURES / "index-of-news.rss").read_bytes(),
            content_type="application/rss+xml",
        )
        slow = add_source(harness.desk, server.url("/fault/slow"), "Slow Wire")
        fast = add_source(harness.desk, server.url("/feed.xml"), "Index Of News")
        ids = harness.model.head_ids()
        seen: dict[str, Any] = {}
        ticks: list[bool] = []
        ticker = QTimer()
        ticker.setInterval(20)
        ticker.timeout.connect(lambda: ticks.append(w.refreshing))
        ticker.start()

        def press_during_fetch() -> None:
            seen["refreshing"] = w.refreshing
            seen["progress_visible"] = w.progress.isVisible()
            harness.qtbot.keyClick(w.list, "j")
            seen["moved_to"] = harness.current_id()

        task = w.refresh([slow, fast])
        assert task is not None and w.refreshing
        QTimer.singleShot(400, press_during_fetch)
        loop.run_until_complete(task)
        ticker.stop()
    assert seen == {"refreshing": True, "progress_visible": True, "moved_to": ids[1]}
    # the UI thread kept turning while the slow source was being fetched
    assert sum(ticks) >= 20
    harness.qtbot.waitUntil(lambda: not w.refreshing, timeout=10000)
    harness.settle()
    # the new articles (7 from the fast feed, more from the slow one) are inserted in place
    from desktop.store.queries import ArticleQuery

    new = len(harness.desk.list_articles(ArticleQuery(limit=500))) - 28
    assert new >= 7
    harness.qtbot.waitUntil(lambda: harness.model.rowCount() == 26 + new, timeout=5000)
    assert harness.current_id() == ids[1]
    assert not w.progress.isVisible()


def test_command_line_changes_show_up_in_the_window(harness: Any) -> None:
    w = harness.window
    ids = harness.model.head_ids()
    target = ids[3]
    env_cmd = [sys.executable, "-m", "desktop", "--data-dir", str(harness.desk.paths.root)]
    out = subprocess.run(
        [*env_cmd, "mark", str(target), "--flag"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    harness.qtbot.waitUntil(
        lambda: harness.model.item(harness.model.row_of(target)).row.flagged, timeout=5000
    )
    out = subprocess.run(
        [*env_cmd, "mark", str(ids[5]), "--archive"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    harness.qtbot.waitUntil(lambda: ids[5] not in harness.model.head_ids(), timeout=5000)
    assert harness.current_id() == ids[0]
    # and the command line sees the window's keystrokes at once
    harness.key("s")
    out = subprocess.run(
        [*env_cmd, "list", "--view", "flagged", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    import json

    flagged = {r["id"] for r in json.loads(out.stdout)}
    assert set(harness.info["story"]) | {target} == flagged
    assert w.windowTitle() == "Newsdesk — Inbox"


def test_the_windows_own_keystrokes_do_not_make_it_reload(harness: Any) -> None:
    import sqlite3

    w = harness.window
    reloads: list[int] = []
    original = w.reload_loaded

    def counted() -> None:
        reloads.append(1)
        original()

    w.reload_loaded = counted  # instance attribute: the poll calls it through self
    harness.key("s")
    harness.key("j")
    harness.key("m")
    harness.settle()
    harness.qtbot.wait(1000)  # five polls at poll_ms=200
    assert reloads == [], "the window reloaded for its own writes"
    # a commit by any other connection is noticed and shown
    target = harness.model.head_ids()[4]
    with sqlite3.connect(harness.desk.db.path) as other:
        other.execute("UPDATE triage SET flagged = 1 WHERE article_id = ?", (target,))
    harness.qtbot.waitUntil(lambda: bool(reloads), timeout=5000)
    harness.qtbot.waitUntil(
        lambda: harness.model.item(harness.model.row_of(target)).row.flagged, timeout=5000
    )
