"""The CPU pool: process workers run refresh work at a lower CPU priority."""

from __future__ import annotations

import os
import sys

import pytest

from desktop.workers import cpu_pool


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_process_workers_run_below_the_caller_and_threads_do_not() -> None:
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    processes = cpu_pool("process", 1)
    try:
        worker = processes.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60)
    finally:
        processes.shutdown()
    assert worker >= 10 and worker >= mine  # set to nice 10 (never raised above the caller)
    threads = cpu_pool("thread", 1)
    try:
        # a thread holding the GIL must not be the one the system puts off
        assert threads.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60) == mine
    finally:
        threads.shutdown()
