"""Open the real window on any data folder (the ``harness`` fixture's recipe, reusable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from desktop.paths import DataPaths


@contextmanager
def open_window(
    qtbot: Any, paths: DataPaths, database: str | None = None, **kwargs: Any
) -> Iterator[tuple[Any, Any]]:
    """The window attached to a real ``Newsdesk`` on ``paths`` (and ``database``, a
    PostgreSQL URL, when given); closed afterwards."""
    from desktop.app import build_window, make_application
    from desktop.service import Newsdesk
    from desktop.ui.main_window import WindowSettings

    make_application()
    window = build_window(
        paths, settings=WindowSettings(refresh_pool="thread", poll_ms=200), **kwargs
    )
    qtbot.addWidget(window)
    desk = Newsdesk.open(paths, database)
    window.show()
    qtbot.waitExposed(window)
    window.attach(desk)
    qtbot.waitUntil(lambda: window.counts is not None)
    try:
        yield window, desk
    finally:
        window._poll_timer.stop()
        window.close()
        window.tasks.close()
        desk.close()


def settle(qtbot: Any, window: Any, timeout: int = 10000) -> None:
    """Wait until no background job of the window is pending."""
    qtbot.waitUntil(lambda: window.tasks.busy == 0 and not window.model.loading, timeout=timeout)


def run_until(loop: Any, predicate: Any, timeout: float = 30.0) -> None:
    """Run the qasync loop (Qt events included) until ``predicate()`` is true."""
    import asyncio
    import time

    async def waiter() -> None:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise TimeoutError(f"condition not met within {timeout} s")
            await asyncio.sleep(0.02)

    loop.run_until_complete(waiter())
