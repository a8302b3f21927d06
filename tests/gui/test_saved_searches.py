"""Saved searches from the window: Ctrl+S saves, the sidebar shows, renames and
deletes them, and u undoes each step (real key presses, real database)."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.commands import default_registry
from desktop.commands.registry import search_commands
from desktop.triage.searches import SavedFilter
from desktop.ui.qt import QLineEdit, QPoint


def stored(harness: Any) -> list[tuple[str, str]]:
    return harness.desk.db.read(
        lambda c: [
            (r[0], r[1])
            for r in c.exec_driver_sql(
                "SELECT name, query FROM saved_searches ORDER BY name"
            ).fetchall()
        ]
    )


def answer(harness: Any, name: str, text: str) -> None:
    """Type ``text`` into the open input dialog called ``name`` and press Return."""
    w = harness.window
    harness.qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.objectName() == name)
    dialog = w._dialog
    edit = dialog.findChild(QLineEdit)
    edit.selectAll()
    harness.qtbot.keyClicks(edit, text)
    harness.key("Return", edit)
    harness.qtbot.waitUntil(lambda: not dialog.isVisible())
    harness.settle()


def test_saved_filters_round_trip_and_plain_texts_stay_texts() -> None:
    f = SavedFilter(search="storm", view="unread", language="fr", source_ids=(3, 5))
    assert SavedFilter.decode(f.encode()) == f
    assert SavedFilter(search="storm").encode() == "storm"  # the form earlier rows hold
    assert SavedFilter.decode("{not json") == SavedFilter(search="{not json")
    assert SavedFilter.decode('{"colour": "red"}') == SavedFilter(search='{"colour": "red"}')
    assert SavedFilter().empty and not SavedFilter(folder="").empty


def test_the_command_is_registered_once_with_a_free_key() -> None:
    registry = default_registry()
    command = registry.get("filter.save_search")
    assert command.keys == ("Ctrl+S",) and command.when == "global"
    assert not [c for c in registry.conflicts() if "filter.save_search" in c.command_ids]
    assert search_commands(registry, "save search")[0].id == "filter.save_search"


def test_ctrl_s_with_nothing_to_save_says_so(harness: Any) -> None:
    w = harness.window
    harness.key("Ctrl+S")
    assert w._dialog is None
    assert "Nothing to save" in w.status_text.text()
    assert stored(harness) == []


def test_save_a_typed_search_pick_it_and_undo_redo(harness: Any) -> None:
    w = harness.window
    harness.key("/")
    harness.qtbot.keyClicks(w.search, "zebra5")
    harness.key("Ctrl+S", w.search)  # saved before the search box's debounce fired
    answer(harness, "saveSearch", "Zebra five")
    assert stored(harness) == [("Zebra five", "zebra5")]
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("search", "Zebra five") is not None)
    assert "zebra5" in w.sidebar.item_for("search", "Zebra five").toolTip(0)
    assert w.list.hasFocus()
    harness.key("Esc")
    harness.qtbot.waitUntil(lambda: harness.model.rowCount() == 26)
    w.sidebar._clicked(w.sidebar.item_for("search", "Zebra five"))
    harness.settle()
    assert w.search_text == "zebra5" and w.search.text() == "zebra5"
    assert harness.titles() == ["Report 05 about markets"]
    harness.key("u")
    assert stored(harness) == []
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("search", "Zebra five") is None)
    harness.key("Ctrl+Shift+Z")
    assert stored(harness) == [("Zebra five", "zebra5")]
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("search", "Zebra five") is not None)


def test_saved_filters_restore_view_language_and_topic(harness: Any) -> None:
    w = harness.window
    harness.key("g u")
    harness.key("l")
    harness.qtbot.keyClicks(w._dialog.search, "fre")
    harness.key("Return", w._dialog.search)
    harness.settle()
    assert (w.view, w.language) == ("unread", "fr")
    harness.key("Ctrl+S")
    answer(harness, "saveSearch", "French unread")
    ((name, query),) = stored(harness)
    assert name == "French unread"
    assert SavedFilter.decode(query) == SavedFilter(view="unread", language="fr")
    harness.key("Esc")
    harness.key("g i")
    assert (w.view, w.language) == ("inbox", None)
    w.sidebar._clicked(w.sidebar.item_for("search", "French unread"))
    harness.settle()
    assert (w.view, w.language, w.search_text) == ("unread", "fr", "")
    assert harness.titles() == ["Les marchés reculent"]
    assert w.windowTitle() == "Newsdesk — Unread · French"


# the offscreen platform cannot grab the keyboard (menus) or raise windows: not our warnings
@pytest.mark.qt_log_ignore(
    "propagateSizeHints", "does not support grabbing the keyboard", r"support raise\(\)"
)
def test_rename_and_delete_from_the_sidebar_menu_are_undoable(harness: Any) -> None:
    w = harness.window
    harness.key("/")
    harness.qtbot.keyClicks(w.search, "harbour")
    harness.key("Return", w.search)
    harness.key("Ctrl+S")
    answer(harness, "saveSearch", "Harbour")
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("search", "Harbour") is not None)
    menu = w.app_actions.sidebar_menu("search", "Harbour", QPoint(10, 10))
    assert [a.text() for a in menu.actions()] == ["Show", "Rename…", "Delete"]
    menu.close()
    menu.actions()[1].trigger()
    answer(harness, "renameSearch", "Port news")
    assert stored(harness) == [("Port news", "harbour")]
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("search", "Port news") is not None)
    assert w.sidebar.item_for("search", "Harbour") is None
    menu = w.app_actions.sidebar_menu("search", "Port news", QPoint(10, 10))
    menu.close()
    menu.actions()[2].trigger()
    harness.settle()
    assert stored(harness) == []
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("search", "Port news") is None)
    w.list.setFocus()
    harness.key("u")  # the delete comes back
    assert stored(harness) == [("Port news", "harbour")]
    harness.key("u")  # the rename goes back
    assert stored(harness) == [("Harbour", "harbour")]
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("search", "Harbour") is not None)


def test_palette_and_help_list_the_command(harness: Any) -> None:
    w = harness.window
    harness.key("?")
    text = w._dialog.text.toPlainText()
    assert "Save search…" in text and "Ctrl+S" in text
    harness.key("Esc", w._dialog.text)
    harness.key("Ctrl+K")
    palette = w._dialog
    harness.qtbot.keyClicks(palette.search, "save search")
    assert palette.list.item(0).text().startswith("Filter: Save search…")
