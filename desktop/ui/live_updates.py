"""Other clients' commits in the window as they happen (PostgreSQL LISTEN/NOTIFY).

The backend's listener (``desktop.store.live``) receives the ids on its own
thread; they cross to the UI thread through a queued signal, gather for a few
milliseconds (a burst of notices becomes one re-read) and go to
``MainWindow.apply_remote``, which updates those rows from the database like
the window's own actions do. While one of the window's own writes is on its
way the batch waits (at most :data:`WRITE_WAIT_MS`), so a remote re-read never
overtakes the row state a keystroke has just shown.
"""

from __future__ import annotations

import time
from typing import Any

from desktop.store.live import merge
from desktop.ui.qt import QObject, QTimer, Signal

COALESCE_MS = 25
"""Notices arriving within this long of the first one are applied together."""
WRITE_WAIT_MS = 400
"""A batch waits for the window's own pending writes at most this long."""


class LiveUpdates(QObject):
    """Feeds a window with the ids other clients change; stop it with :meth:`stop`."""

    arrived = Signal(object)

    def __init__(self, window: Any, desk: Any) -> None:
        super().__init__(window)
        self._window = window
        self._changed: set[int] = set()
        self._gone: set[int] = set()
        self._reload = False
        self._since = 0.0
        self.notices = 0
        """Notices received so far (for the status line and tests)."""
        self.applied = 0
        """Batches handed to the window so far."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._flush)
        self.arrived.connect(self._arrived)  # emitted on the listener's thread: queued
        self.listener = desk.listen(self.arrived.emit)

    def _arrived(self, batch: list[Any]) -> None:
        changed, gone, reload = merge(batch)
        self.notices += len(batch)
        self._changed |= changed
        self._gone |= gone
        self._reload = self._reload or reload
        if not self._timer.isActive():
            self._since = time.monotonic()
            self._timer.start()

    def _flush(self) -> None:
        waited_ms = (time.monotonic() - self._since) * 1000
        if self._window.pending_writes and waited_ms < WRITE_WAIT_MS:
            self._timer.start()
            return
        changed, gone, reload = self._changed, self._gone, self._reload
        self._changed, self._gone, self._reload = set(), set(), False
        self.applied += 1
        self._window.apply_remote(changed, gone, reload)

    def stop(self) -> None:
        """Stop listening (joins the listener's thread) and drop what is pending."""
        self._timer.stop()
        if self.listener is not None:
            self.listener.stop()
