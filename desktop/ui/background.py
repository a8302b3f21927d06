"""Background work while the window runs: scheduled refresh, retention, tray icon, alerts.

:class:`Scheduler` asks the backend which sources are due (off the UI
thread) and hands them to the window's ordinary refresh (progress in the
status bar, nothing blocking triage). It also applies retention at start and
once a day. :class:`Tray` shows the unread count in the system tray, when the
desktop has one, and desktop notifications for articles matching a rule
marked "notify". Both follow the settings live.
"""

from __future__ import annotations

import logging
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
)

log = logging.getLogger(__name__)

CHECK_MS = 60_000
"""How often the scheduler looks for due sources."""
RETENTION_MS = 24 * 3600 * 1000


class Scheduler(QObject):
    """Refreshes due sources on a timer (and once at start when due)."""

    def __init__(self, window: Any, settings: Any, check_ms: int = CHECK_MS) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.timer = QTimer(self)
        self.timer.setInterval(check_ms)
        self.timer.timeout.connect(self.tick)
        self.retention_timer = QTimer(self)
        self.retention_timer.setInterval(RETENTION_MS)
        self.retention_timer.timeout.connect(self.purge)
        self.ticks = 0
        self.started_refreshes = 0
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

    def stop(self) -> None:
        self.timer.stop()
        self.retention_timer.stop()
        self._unsubscribe()

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

        def due(ids: list[int]) -> None:
            self._checking = False
            if ids and not w.refreshing:
                self.started_refreshes += 1
                w.refresh(ids)

        def failed(exc: Any) -> None:
            self._checking = False
            log.warning("due sources: %s", exc)

        w.tasks.read(w.desk.due_sources, done=due, error=failed)

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
