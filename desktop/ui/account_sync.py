"""Syncing feed-server accounts from the window, never on the UI thread.

A sync runs ``desk.sync()`` on an event loop of its own, in a single
low-priority worker thread (not the qasync loop of the UI thread, not the
window's read or write threads), so the window keeps answering keys however
long the server takes. When it ends, new articles are enriched off the UI
thread and the rows whose state the server changed are updated in place.
Quitting cancels a running sync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desktop.ui.qt import QObject, Signal

if TYPE_CHECKING:  # asyncio and the pool load with the first sync, not at start-up
    import asyncio
    from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

Done = Callable[[list[Any]], None]


class AccountSync(QObject):
    """Runs account syncs for ``window`` one at a time; see the module doc."""

    _finished = Signal(object)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.running = False
        self.last_reports: list[Any] = []
        self.last_started = 0.0
        """``time.monotonic()`` of the last sync started (0: never)."""
        self._waiters: list[Done] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._stopped = False
        self._pool: ThreadPoolExecutor | None = None
        self._finished.connect(self._done)

    def start(self, done: Done | None = None, *, quiet: bool = False) -> bool:
        """Sync every account; ``done(reports)`` on the UI thread. False when one runs."""
        w = self.window
        if self._stopped or w.desk is None:
            return False
        if done is not None:
            self._waiters.append(done)
        if self.running:
            return False
        self.running = True
        self.last_started = time.monotonic()
        if not quiet:
            w.say("Syncing accounts…")
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            from desktop.workers import lower_thread_priority

            self._pool = ThreadPoolExecutor(
                1, thread_name_prefix="newsdesk-sync", initializer=lower_thread_priority
            )
        future = self._pool.submit(self._run, w.desk)
        future.add_done_callback(self._finished.emit)  # delivered on the UI thread
        return True

    def due(self, minutes: int) -> bool:
        """True when the last sync started over ``minutes`` ago (or never)."""
        return not self.last_started or time.monotonic() - self.last_started >= minutes * 60

    def _run(self, desk: Any) -> list[Any]:
        import asyncio

        loop = asyncio.new_event_loop()
        try:
            with self._lock:
                if self._stopped:
                    return []
                self._loop = loop
                self._task = loop.create_task(desk.sync())
            return loop.run_until_complete(self._task)
        finally:
            with self._lock:
                self._loop = None
                self._task = None
            loop.close()

    def _done(self, future: Future[Any]) -> None:
        self.running = False
        waiters, self._waiters = self._waiters, []
        if self._stopped or future.cancelled():
            return
        w = self.window
        from asyncio import CancelledError

        exc = future.exception()
        reports: list[Any] = [] if exc is not None else list(future.result())
        if exc is not None and not isinstance(exc, CancelledError):
            w.report_problem(f"sync: {exc}")
        self.last_reports = reports
        failed = [r for r in reports if not r.ok]
        for r in failed:
            w.report_problem(f"sync of {r.url}: {r.error}")
        new = sum(len(r.new_ids) for r in reports)
        if reports and not failed:
            sent = sum(r.pushed for r in reports)
            w.say(f"Synced {len(reports)} account(s): {new} new, {sent} change(s) sent")
        changed = {i for r in reports for i in r.applied_ids}
        if changed:
            w.reconcile(changed)
        if new:
            w.tasks.read(w.desk.enrich_pending, done=self._enriched, error=w.report_problem)
        elif reports:
            w.refresh_counts()
        for fn in waiters:
            fn(reports)

    def _enriched(self, _result: Any) -> None:
        w = self.window
        w.reload_loaded()
        w.refresh_counts()
        if w.scheduler is not None:
            w.scheduler.after_refresh()

    def stop(self) -> None:
        """Cancel a running sync and wait for its thread (briefly: it unwinds at once)."""
        with self._lock:
            self._stopped = True
            if self._loop is not None and self._task is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
