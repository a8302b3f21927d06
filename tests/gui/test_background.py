"""Background work: scheduled refresh (and at start), status-bar progress, notifications
for rules marked "notify", the tray when there is one, and a clean quit during a fetch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from desktop.enrich.rules import parse_rule_text, rule_to_dict
from desktop.paths import DataPaths
from desktop.service import _insert_source
from desktop.store.db import integrity_ok
from desktop.ui.background import Tray, badge_icon
from desktop.ui.qt import QApplication, QTimer
from tests.gui.windows import open_window, run_until, settle
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gui"


def _folder(tmp_path: Path) -> DataPaths:
    root = tmp_path / "bg"
    root.mkdir()
    return DataPaths(root)


def test_due_sources_refresh_on_their_own_and_rules_notify(
    qtbot: Any, loop: Any, tmp_path: Path
) -> None:
    paths = _folder(tmp_path)
    with FeedServer() as server:
        server.add(
            "/feed.xml",
            (FIXTURES / "index-of-news.rss").read_bytes(),
            content_type="application/rss+xml",
        )
        with open_window(qtbot, paths) as (w, desk):
            sid = desk.db.write(_insert_source, server.url("/feed.xml"), "Index", None, None)
            desk.add_rule(
                rule_to_dict(parse_rule_text("Peru: title contains Peru => notify, tag peru"))
            )
            progress_seen: list[bool] = []
            probe = QTimer()
            probe.setInterval(10)
            probe.timeout.connect(lambda: progress_seen.append(w.progress.isVisible()))
            probe.start()
            w.start_background(check_ms=150, semantic_ms=None)  # test_semantic_layer.py
            assert w.tray is not None and w.scheduler is not None
            # nobody pressed a key: the start-up check found the source due and fetched it
            run_until(loop, lambda: w.last_report is not None and not w.refreshing, 30)
            probe.stop()
            settle(qtbot, w)
            assert server.hits["/feed.xml"] == 1
            assert w.scheduler.started_refreshes == 1
            assert any(progress_seen)
            assert desk.source_properties(sid).last_success is not None
            qtbot.waitUntil(lambda: len(w.tray.sent) == 1, timeout=5000)
            _title, body = w.tray.sent[0]
            assert "Peru" in body
            # the timer keeps checking; the source is not due again for an hour
            ticks = w.scheduler.ticks
            run_until(loop, lambda: w.scheduler.ticks >= ticks + 3, 10)
            assert server.hits["/feed.xml"] == 1
            # made due (retry), the scheduler fetches it again; notifications can be off
            w.app_settings.update({"notifications": False})
            assert w.tray.notify("x", "y") is False
            desk.retry_source(sid)
            run_until(loop, lambda: server.hits["/feed.xml"] == 2 and not w.refreshing, 10)
            assert len(w.tray.sent) == 1
            # background refresh off: the timer stops
            w.app_settings.update({"background_refresh": False})
            assert not w.scheduler.timer.isActive()
            # the tray follows the setting (offscreen has no tray: then it stays off)
            assert (w.tray.icon is not None) == Tray.available()
            w.app_settings.update({"tray_icon": False})
            assert w.tray.icon is None


def test_badge_icon_paints_the_count() -> None:
    icon = badge_icon(QApplication.instance().windowIcon(), 42)
    assert not icon.isNull()
    image = icon.pixmap(64, 64).toImage()
    badge = image.pixelColor(27, 20)  # inside the red badge, left of the digits
    assert badge.red() > 180 and badge.green() < 100
    plain = badge_icon(QApplication.instance().windowIcon(), 0).pixmap(64, 64).toImage()
    assert plain.pixelColor(27, 20) != badge


def test_quit_during_a_fetch_is_clean_and_quick(qtbot: Any, loop: Any, tmp_path: Path) -> None:
    paths = _folder(tmp_path)
    app = QApplication.instance()
    app.setQuitOnLastWindowClosed(False)  # the test's loop must outlive the window
    with FeedServer() as server:
        server.slow_seconds = 30
        with open_window(qtbot, paths) as (w, desk):
            sid = desk.db.write(_insert_source, server.url("/fault/slow"), "Slow", None, None)
            task = w.refresh([sid])
            run_until(loop, lambda: server.hits.get("/fault/slow", 0) >= 1, 10)
            assert w.refreshing
            started = time.monotonic()
            w.close()
            assert w.isVisible()  # it waits for the cancelled fetch to unwind …
            run_until(loop, lambda: not w.isVisible(), 5)
            elapsed = time.monotonic() - started
            assert elapsed < 2.0  # … briefly: never the 30 s the server would take
            assert task.cancelled()
            w.tasks.close()
            desk.close()
            # nothing half-written: the file is sound and the source untouched by the fetch
            ok, _ = integrity_ok(paths.database)
            assert ok
            from desktop.service import Newsdesk

            with Newsdesk.open(paths) as again:
                p = again.source_properties(sid)
                assert p.last_success is None and p.last_error is None
    app.setQuitOnLastWindowClosed(True)
