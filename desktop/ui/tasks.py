"""The bridge between the Qt main thread, worker threads and asyncio.

One small API hides qasync (so it could be swapped for PySide6's QtAsyncio):

* :meth:`Tasks.read` runs a blocking function (a database read) on a small
  thread pool; :meth:`Tasks.write` runs one on a single thread, in order (so
  triage actions and their undo never overtake each other). Their callbacks
  run on the UI thread.
* :meth:`Tasks.spawn` runs a coroutine on the asyncio loop that shares the
  Qt main thread (network work: refresh).
* :func:`make_loop` / :func:`run_loop` create and run that loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from desktop.ui.qt import QApplication, QObject, QTimer, Signal

if TYPE_CHECKING:
    import asyncio
    from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]

SWITCH_INTERVAL_S = 0.001
"""How long a Python thread may hold the GIL while another waits (CPython's default
is 5 ms). Every call from Qt into Python (a model's data, a paint, a slot) needs
the GIL; with a worker busy in Python code, each such call could wait 5 ms, and a
repaint makes a hundred of them. 1 ms keeps the UI thread's waits short."""


class _Relay(QObject):
    """Lives on the UI thread; worker threads emit into it (queued delivery).

    It is parented to the application so that Qt, on the UI thread, owns and
    destroys it: a worker thread dropping the last Python reference must never
    destroy a QObject (Qt: "Timers cannot be stopped from another thread").
    """

    delivered = Signal(object)

    def __init__(self) -> None:
        super().__init__(QApplication.instance())


class _MainThreadCollector(QObject):
    """Python's cyclic garbage collector, run only on the UI thread.

    Left automatic, the collector runs in whichever thread happens to allocate
    when a threshold is crossed; if it then frees an unreachable Qt wrapper
    (a closed dialog in a reference cycle), the QObject is destroyed on a
    worker thread, which Qt forbids (warnings, then crashes). So automatic
    collection is switched off and a timer on the UI thread collects instead.
    """

    INTERVAL_MS = 500
    FULL_EVERY_S = 30.0
    """A full collection walks every live object (tens of ms with a large loaded list
    and SQLAlchemy in memory): at most this often, and only while the user pauses.
    CPython's own collector skips most full collections (it waits until a quarter of
    the old objects are new); collecting the oldest generation at each threshold
    stalled the UI thread once every few seconds."""
    IDLE_S = 1.0

    def __init__(self, app: QObject) -> None:
        import gc
        import time

        super().__init__(app)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self.last_activity = 0.0
        """``time.monotonic()`` of the user's last command (see ``Tasks.note_activity``)."""
        self._last_full = time.monotonic()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(self.INTERVAL_MS)

    def collect(self) -> None:
        import gc
        import time

        counts = gc.get_count()
        if counts[0] <= self._thresholds[0]:
            return
        generation = 0
        if counts[1] > self._thresholds[1]:
            generation = 1
            now = time.monotonic()
            if (
                counts[2] > self._thresholds[2]
                and now - self._last_full >= self.FULL_EVERY_S
                and now - self.last_activity >= self.IDLE_S
            ):
                generation = 2
                self._last_full = now
        gc.collect(generation)


def collect_garbage_on_ui_thread() -> _MainThreadCollector | None:
    """Install the UI-thread garbage collector once per application (and return it)."""
    app = QApplication.instance()
    if app is None:
        return None
    # Kept on the application's wrapper, not looked up with ``findChild``: that wraps
    # every child of the application, the style among them (~5 ms of enum classes
    # before the first paint).
    found = getattr(app, "_newsdesk_collector", None)
    if found is None:
        found = app._newsdesk_collector = _MainThreadCollector(app)
    return found


class Tasks:
    """Runs work off the UI thread and hands results back to it."""

    def __init__(self, read_threads: int = 2) -> None:
        import sys

        self._collector = collect_garbage_on_ui_thread()
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._relay = _Relay()
        self._relay.delivered.connect(self._deliver)
        # the pools (and ``concurrent.futures``) come with the first job: not before the
        # window's first paint
        self._read_threads = read_threads
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._pending = 0
        self._next_job = 0
        self._callbacks: dict[int, tuple[Callback | None, Callback | None]] = {}
        self._closed = False
        self._held: list[tuple[str, Callable[..., Any], tuple[Any, ...], int]] = []
        self._holding = 0
        self.on_error: Callback = lambda exc: log.error("background task failed: %s", exc)
        """Called on the UI thread with any exception no ``error`` callback took."""

    def note_activity(self) -> None:
        """The user did something: no full garbage collection for a moment."""
        import time

        if self._collector is not None:
            self._collector.last_activity = time.monotonic()

    def _pool(self, name: str) -> ThreadPoolExecutor:
        pool = self._pools.get(name)
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor

            workers = self._read_threads if name == "read" else 1
            pool = ThreadPoolExecutor(workers, thread_name_prefix=f"newsdesk-{name}")
            self._pools[name] = pool
        return pool

    @property
    def busy(self) -> int:
        """Jobs submitted and not yet delivered."""
        return self._pending

    def _submit(
        self,
        pool: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callback | None,
        error: Callback | None,
    ) -> Future[Any] | None:
        if self._closed:
            return None
        self._pending += 1
        # The callbacks stay on the UI thread, keyed by job: the worker only sees the
        # key, so it never holds (and never destroys) a widget a callback refers to.
        self._next_job += 1
        job = self._next_job
        self._callbacks[job] = (done, error)
        if self._holding:
            self._held.append((pool, fn, args, job))
            return None
        return self._start(pool, fn, args, job)

    def _start(
        self, pool: str, fn: Callable[..., Any], args: tuple[Any, ...], job: int
    ) -> Future[Any]:
        emit = self._relay.delivered.emit

        def finish(future: Future[Any]) -> None:
            if future.cancelled():
                emit((job, None, None))
                return
            exc = future.exception()
            if exc is not None:
                if log.isEnabledFor(logging.DEBUG):
                    import traceback

                    log.debug("".join(traceback.format_exception(exc)))
                emit((job, None, exc))
            else:
                emit((job, future.result(), None))

        future = self._pool(pool).submit(fn, *args)
        future.add_done_callback(finish)
        return future

    def hold(self) -> None:
        """Queue new jobs instead of starting them, until :meth:`release`.

        The window holds the jobs a keystroke starts until the list has
        repainted, so worker threads never compete with that paint for the GIL.
        Held jobs count as busy; their order is kept.
        """
        self._holding += 1

    def release(self) -> None:
        """Start the jobs queued since :meth:`hold` (in order)."""
        self._holding = max(0, self._holding - 1)
        if self._holding:
            return
        held, self._held = self._held, []
        for pool, fn, args, job in held:
            if self._closed:
                self._callbacks.pop(job, None)
                self._pending -= 1
                continue
            self._start(pool, fn, args, job)

    @property
    def holding(self) -> bool:
        """Jobs are being queued (see :meth:`hold`)."""
        return self._holding > 0

    def _deliver(self, item: tuple[int, Any, BaseException | None]) -> None:
        job, value, exc = item
        done, error = self._callbacks.pop(job, (None, None))
        self._pending -= 1
        if self._closed:
            return
        if exc is not None:
            (error or self.on_error)(exc)
        elif done is not None:
            done(value)

    def _wrap(self, fn: Callback | None) -> Callback:
        def call(value: Any) -> None:
            self._pending -= 1
            if fn is not None and not self._closed:
                fn(value)

        return call

    def read(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callback | None = None,
        error: Callback | None = None,
    ) -> Future[Any] | None:
        """Run ``fn(*args)`` on a read thread; ``done(result)`` on the UI thread."""
        return self._submit("read", fn, args, done, error)

    def write(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callback | None = None,
        error: Callback | None = None,
    ) -> Future[Any] | None:
        """Run ``fn(*args)`` on the action thread, after every earlier ``write``."""
        return self._submit("act", fn, args, done, error)

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        done: Callback | None = None,
        error: Callback | None = None,
    ) -> asyncio.Future[Any]:
        """Run a coroutine on the UI thread's asyncio loop."""
        import asyncio

        task = asyncio.ensure_future(coro)
        self._pending += 1

        def finish(t: asyncio.Future[Any]) -> None:
            if t.cancelled():
                self._pending -= 1
                return
            exc = t.exception()
            if exc is not None:
                self._wrap(error or self.on_error)(exc)
            else:
                self._wrap(done)(t.result())

        task.add_done_callback(finish)
        return task

    def close(self) -> None:
        """Stop delivering results; wait for running jobs to end."""
        if self._closed:
            return
        self._closed = True
        for _pool, _fn, _args, job in self._held:
            self._callbacks.pop(job, None)
            self._pending -= 1
        self._held = []
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        self._relay.deleteLater()


def make_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """An asyncio loop that runs inside the Qt event loop, set as the current loop."""
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return loop


def run_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Run until the application quits (the last window closes), then close the loop."""
    try:
        loop.run_forever()
    finally:
        loop.close()


def run_until(loop: asyncio.AbstractEventLoop, future: Any) -> Any:
    """Run the loop (and Qt's) until ``future`` is done; its result (tests, scripts)."""
    return loop.run_until_complete(future)
