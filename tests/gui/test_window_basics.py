"""The window opens on real data: list, sidebar, reader, title, story folding."""

from __future__ import annotations

from typing import Any


def test_first_page_sidebar_and_reader(harness: Any) -> None:
    w = harness.window
    info = harness.info
    # one row per story: 24 + 1 French + 1 folded story of 3
    assert harness.model.rowCount() == 26
    head = harness.model.item(harness.model.index(0, 0))
    assert head.row.id == info["story"][0]
    assert head.size == 3
    assert harness.model.index(0, 1).data().endswith("+2")
    assert w.windowTitle() == "Newsdesk — Inbox"
    # sidebar: views with counts, folder, source with error badge, languages, topics
    inbox = w.sidebar.item_for("view", "inbox")
    assert inbox.text(1) == "28"
    bad = w.sidebar.item_for("source", info["sources"][2])
    assert bad.text(0).startswith("⚠")
    assert "HTTP 503" in bad.toolTip(0)
    assert w.sidebar.item_for("folder", "World") is not None
    assert w.sidebar.item_for("language", "fr").text(1) == "1"
    assert w.sidebar.item_for("topic", "weather") is not None
    # the first row is current and shown in the reader; start-up does not mark it read
    harness.qtbot.waitUntil(lambda: w.reader.article_id == head.row.id)
    assert "Storm closes the harbour" in w.reader.toPlainText()
    assert "Also reported by" in w.reader.toPlainText()
    assert harness.state(head.row.id)["read"] is False
    # moving to a row opens it and marks it read (setting: at once)
    harness.key("j")
    second = harness.current_id()
    harness.qtbot.waitUntil(lambda: w.reader.article_id == second)
    assert harness.state(second)["read"] is True
    harness.qtbot.waitUntil(lambda: inbox.text(1) == "27")
