"""The window shows who you are, and what the others flagged ("flagged by")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop.paths import DataPaths
from desktop.service import Newsdesk
from tests.gui.windows import open_window, settle
from tests.support.factories import add_source, entry, ingest


@pytest.fixture
def desk_of_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[DataPaths, list[int]]:
    """Three articles; bob flagged the first, alice (the window's user) the second."""
    paths = DataPaths(tmp_path / "data")
    with Newsdesk.open(paths, user="alice") as alice:
        sid = add_source(alice, "https://wire.example/feed", "Wire", None)
        ids = ingest(
            alice,
            sid,
            [
                entry(f"k{i}", f"Report {i}", published=f"2026-03-0{i + 1}T00:00:00Z")
                for i in range(3)
            ],
        )
        alice.mark([ids[1]], "flag")
    with Newsdesk.open(paths, user="bob") as bob:
        bob.mark([ids[0]], "flag")
    monkeypatch.setenv("NEWSDESK_USER", "alice")
    return paths, ids


def test_window_shows_the_user_and_flagged_by(qtbot: Any, loop: Any, desk_of_two: Any) -> None:
    paths, ids = desk_of_two
    with open_window(qtbot, paths) as (window, desk):
        assert desk.user == "alice"
        assert window.user_label is not None and "alice" in window.user_label.text()
        assert window.user_label.isVisibleTo(window)
        settle(qtbot, window)
        model = window.model
        marks = {}
        tips = {}
        for row in range(model.rowCount()):
            item = model.item(model.index(row, 0))
            marks[item.row.id] = model.index(row, 0).data()
            tips[item.row.id] = model.index(row, 0).data(3)  # Qt.ToolTipRole
        assert marks[ids[1]] == "⚑"  # mine
        assert marks[ids[0]] == "⚐"  # only bob's: a distinct mark
        assert marks[ids[2]] == ""
        assert "flagged by bob" in tips[ids[0]]
        # the reading pane's header names who flagged it
        row = next(
            r for r in range(model.rowCount()) if model.item(model.index(r, 0)).row.id == ids[0]
        )
        window.list.setCurrentIndex(model.index(row, 0))
        qtbot.waitUntil(lambda: window.reader.article_id == ids[0])
        assert "Flagged by bob" in window.reader.toPlainText()
        assert desk.article(ids[0])["flagged"] is False


def test_window_tags_are_mine_and_shows_others_attributed(
    qtbot: Any, loop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bob added "crypto"; alice's window shows it attributed, and her ``t`` edit writes
    only her own words (bob's view keeps the model's tag alice removed)."""
    from desktop.ui.qt import Qt

    paths = DataPaths(tmp_path / "data")
    with Newsdesk.open(paths, user="alice") as alice:
        sid = add_source(alice, "https://wire.example/feed", "Wire", None)
        (aid,) = ingest(alice, sid, [entry("k0", "Report", published="2026-03-01T00:00:00Z")])
        alice.db.write(
            lambda c: c.exec_driver_sql(
                "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
                "VALUES (?, 'sports', 'model', 0.8, 0, 'now')",
                (aid,),
            )
        )
    with Newsdesk.open(paths, user="bob") as bob:
        bob.tag([aid], "crypto")
    monkeypatch.setenv("NEWSDESK_USER", "alice")
    with open_window(qtbot, paths) as (window, desk):
        settle(qtbot, window)
        model = window.model
        assert model.item(model.index(0, 0)).row.topics == ["sports"]  # mine only
        window.list.setCurrentIndex(model.index(0, 0))
        qtbot.waitUntil(lambda: window.reader.article_id == aid)
        text = window.reader.toPlainText()
        assert "crypto — bob" in text and "sports" in text
        qtbot.keyClick(window.list, "t")
        qtbot.waitUntil(lambda: window._dialog is not None and window._dialog.isVisible())
        dialog = window._dialog
        assert dialog.edit.text() == "sports"  # bob's crypto is not alice's to edit
        qtbot.keyClick(dialog.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(dialog.edit, "economy")
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: desk.article(aid)["topics"] == ["economy"], timeout=5000)
        settle(qtbot, window)
        qtbot.waitUntil(lambda: model.item(model.index(0, 0)).row.topics == ["economy"])
    with Newsdesk.open(paths, user="bob") as bob:
        shown = bob.article(aid)
        assert shown["topics"] == ["crypto", "sports"]  # alice's removal is hers
        assert shown["tagged_by"] == {"economy": ["alice"]}
