"""The pool for CPU work (parsing, cleaning, enrichment), off the UI thread.

Processes keep the event loop (and the UI) free of the GIL; threads start
faster. ``tests/benchmarks/bench_refresh.py`` measures both.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

POOL_KINDS = ("process", "thread")


def cpu_pool(kind: str = "process", workers: int | None = None) -> Executor:
    """An executor for CPU-bound stages; ``kind`` is 'process' or 'thread'.

    Process workers run at a lower CPU priority: parsing and cleaning a refresh is
    background work, and the window (or, on a shared store, the other clients and
    the database server) should not wait behind it; they hold no database locks, so
    nothing waits on them in turn. Threads keep the normal priority: a thread that
    holds the GIL must not be the one the system puts off."""
    count = workers or max(1, min(4, os.cpu_count() or 1))
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=count, thread_name_prefix="newsdesk-cpu")
    if kind != "process":
        raise ValueError(f"unknown pool kind {kind!r}")
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    return ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=lower_thread_priority
    )


def lower_thread_priority() -> None:
    """Run the calling thread at a lower CPU priority (Linux: per thread; elsewhere a
    no-op). A pool initializer for background work (a process worker runs its tasks
    on the thread that ran it)."""
    import contextlib
    import threading

    with contextlib.suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, thread) < 10:  # lower only, never raise it
            os.setpriority(os.PRIO_PROCESS, thread, 10)
