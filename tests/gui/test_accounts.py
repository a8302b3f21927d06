"""Feed-server accounts from the window: add through the dialog, sync off the UI thread,
scheduled sync, and the schedule left to a running ``newsdesk serve``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from desktop.paths import DataPaths
from desktop.serve import LOCK_NAME, FetcherLock
from desktop.service import _insert_source
from desktop.store.queries import ArticleQuery
from desktop.ui.qt import QDialogButtonBox, Qt
from tests.gui.windows import open_window, run_until, settle
from tests.support.feedserver import FeedServer
from tests.support.greader_server import GReaderServer

PASSWORD = "correct horse battery"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gui"
OFFSCREEN = pytest.mark.qt_log_ignore(
    "propagateSizeHints", "does not support grabbing the keyboard", r"support raise\(\)"
)


def _folder(tmp_path: Path) -> DataPaths:
    root = tmp_path / "acc"
    root.mkdir()
    return DataPaths(root)


@OFFSCREEN
def test_add_an_account_in_the_dialog_and_sync_it(
    qtbot: Any, loop: Any, tmp_path: Path, keyring_ok: None
) -> None:
    with (
        GReaderServer(flavour="miniflux") as server,
        open_window(qtbot, _folder(tmp_path)) as (
            w,
            desk,
        ),
    ):
        feed = server.add_feed("World", folder="News")
        ids = server.add_items(feed, 6)
        server.set_state(ids[0], starred=True)
        w.run_command("file.accounts")
        dialog = w._dialog
        assert dialog.objectName() == "accountsDialog"
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
        add = dialog.add_dialog
        assert add is not None
        ok = add.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert not ok.isEnabled()
        add.kind.setCurrentIndex(add.kind.findData("greader"))
        qtbot.keyClicks(add.url, server.base_url)
        qtbot.keyClicks(add.username, "alice")
        qtbot.keyClicks(add.password, PASSWORD)
        assert ok.isEnabled()
        qtbot.keyClick(add.password, Qt.Key.Key_Return)
        sync = w.app_actions.sync
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10000)
        qtbot.waitUntil(lambda: bool(sync.last_reports) and not sync.running, timeout=30000)
        assert sync.last_reports[0].ok, sync.last_reports[0].error
        settle(qtbot, w)
        qtbot.waitUntil(lambda: w.model.rowCount() == 6, timeout=10000)
        qtbot.waitUntil(lambda: dialog.table.item(0, 5).text() != "never", timeout=10000)
        assert dialog.table.item(0, 2).text() == "alice"
        stored = desk.list_articles(ArticleQuery(view="all", limit=50))
        assert len(stored) == 6 and sum(r.flagged for r in stored) == 1
        assert all(r.language for r in stored)  # enriched locally after the sync
        # the password is kept in the keyring only
        for path in desk.paths.root.rglob("*"):
            if path.is_file():
                assert PASSWORD.encode() not in path.read_bytes(), path
        dialog.close()

        # a read made in the window reaches the server at the next sync (Shift+Y)
        w.list.setFocus()
        w.list.setCurrentIndex(w.model.index(0, 0))
        target = w.current_row().id
        qtbot.keyClick(w.list, Qt.Key.Key_M)
        qtbot.waitUntil(lambda: desk.article(target)["read"], timeout=5000)
        qtbot.keyClick(w.list, Qt.Key.Key_Y, Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(lambda: sum(i.read for i in server.items.values()) == 1, timeout=15000)
        qtbot.waitUntil(lambda: not sync.running, timeout=5000)
        assert sync.last_reports[0].pushed == 1


@OFFSCREEN
def test_keys_keep_working_while_a_slow_sync_runs(
    qtbot: Any, loop: Any, tmp_path: Path, keyring_ok: None, harness: Any
) -> None:
    w, desk = harness.window, harness.desk
    with GReaderServer(flavour="freshrss") as server:
        feed = server.add_feed("Slow")
        server.add_items(feed, 3)
        desk.add_account("greader", server.base_url, "alice", PASSWORD)
        server.delay = 1.5  # every answer of the server takes 1.5 s
        w.list.setFocus()
        harness.settle()
        start_id = harness.current_id()
        assert w.app_actions.sync.start()
        assert w.app_actions.sync.running
        started = time.monotonic()
        harness.key("j")
        moved = harness.current_id()
        # the key was handled while the sync still waited for the server
        assert w.app_actions.sync.running and time.monotonic() - started < 1.5
        assert moved != start_id
        qtbot.waitUntil(lambda: not w.app_actions.sync.running, timeout=30000)
        assert w.app_actions.sync.last_reports and w.app_actions.sync.last_reports[0].ok


@OFFSCREEN
def test_the_schedule_is_left_to_a_running_headless_fetcher(
    qtbot: Any, loop: Any, tmp_path: Path
) -> None:
    paths = _folder(tmp_path)
    with FeedServer() as server:
        server.add("/feed.xml", (FIXTURES / "index-of-news.rss").read_bytes())
        with open_window(qtbot, paths) as (w, desk):
            desk.db.write(_insert_source, server.url("/feed.xml"), "Index", None, None)
            lock = FetcherLock(paths.root / LOCK_NAME)
            assert lock.try_acquire()  # as `newsdesk serve` would
            try:
                w.start_background(check_ms=100, semantic_ms=None)
                qtbot.waitUntil(lambda: w.scheduler.ticks >= 3, timeout=10000)
                settle(qtbot, w)
                assert w.scheduler.fetcher is not None
                assert w.scheduler.started_refreshes == 0 and server.hits["/feed.xml"] == 0
                assert "headless fetcher" in w.status_text.text()
            finally:
                lock.release()
            # the fetcher stopped: the window takes its schedule back
            run_until(loop, lambda: w.last_report is not None and not w.refreshing, 30)
            assert w.scheduler.fetcher is None and server.hits["/feed.xml"] == 1
