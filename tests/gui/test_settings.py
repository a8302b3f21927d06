"""Settings: declared once, one generated dialog, applied live, versioned and migrated;
the key map editor rebinds, detects conflicts, resets, saves and applies at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.commands import load_registry
from desktop.config.settings import SETTINGS, SETTINGS_VERSION, Settings, SettingsError
from desktop.ui.main_window import WindowSettings
from desktop.ui.qt import QApplication, QDialogButtonBox
from desktop.ui.reader_pane import DARK, LIGHT


def test_legacy_file_migrates_and_stays_readable_by_the_window(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"mark_read_on_open": 3, "from_the_future": {"x": 1}}))
    s = Settings.load(path)
    assert (s["mark_read_on_open"], s["mark_read_delay"]) == ("delay", 3.0)
    data = json.loads(path.read_text())
    assert data["version"] == SETTINGS_VERSION  # migrated forward and written once
    assert data["from_the_future"] == {"x": 1}  # unknown keys survive
    assert data["mark_read_on_open"] == 3.0  # the window's reading of the key still works
    assert WindowSettings.load(path) == WindowSettings("delay", 3.0)
    s.update({"mark_read_on_open": "never"})
    assert WindowSettings.load(path).mark_read_on_open == "never"
    with pytest.raises(SettingsError):
        s.update({"retention_days": -1})
    with pytest.raises(SettingsError):
        s.update({"theme": "purple"})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert Settings.load(bad).problems and Settings.load(bad)["theme"] == "system"


def test_settings_dialog_is_generated_and_applies_live(harness: Any) -> None:
    w = harness.window
    settings = w.app_settings
    heard: list[set[str]] = []
    settings.subscribe(heard.append)
    w.run_command("app.settings")
    dialog = w._dialog
    assert dialog.objectName() == "settingsDialog"
    assert set(dialog.editors) == {s.name for s in SETTINGS}
    for s in SETTINGS:
        assert dialog.editors[s.name].toolTip() == s.description
    dialog.editors["mark_read_on_open"].setCurrentIndex(
        dialog.editors["mark_read_on_open"].findData("never")
    )
    dialog.editors["theme"].setCurrentIndex(dialog.editors["theme"].findData("dark"))
    dialog.editors["font_size"].setValue(13)
    dialog.editors["languages_shown"].setText("fr")
    dialog.editors["retention_days"].setValue(45)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
    assert w.settings.mark_read_on_open == "never"
    assert QApplication.instance().property("newsdeskDark") is True
    assert "font-size: 13pt" in QApplication.instance().styleSheet()
    assert DARK.muted in w.reader.toHtml()  # the empty pane, in the dark theme's grey
    assert w.sidebar.item_for("language", "en") is None  # only French is listed now
    assert w.sidebar.item_for("language", "fr") is not None
    assert heard and {"theme", "font_size", "mark_read_on_open"} <= heard[-1]
    # mark-read-on-open "never" holds: moving does not mark read
    w.list.setFocus()
    harness.key("j")
    assert not harness.state(harness.current_id())["read"]
    # the reading pane's own HTML follows the theme (a light title on the dark pane)
    harness.settle()
    assert w.reader.detail is not None
    assert DARK.title in w.reader.toHtml() and LIGHT.title not in w.reader.toHtml()
    dialog.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).click()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()
    assert QApplication.instance().property("newsdeskDark") is False
    page = w.reader.toHtml()  # an article or the empty state, in the light colours again
    assert (LIGHT.title in page or LIGHT.muted in page) and DARK.muted not in page
    on_disk = json.loads(Path(harness.desk.paths.settings).read_text())
    assert on_disk["version"] == SETTINGS_VERSION and on_disk["theme"] == "system"
    assert Settings.load(harness.desk.paths.settings).values() == settings.values()


def test_keymap_editor_rebinds_detects_conflicts_and_resets(harness: Any) -> None:
    w = harness.window
    w.run_command("app.keymap")
    editor = w._dialog
    assert editor.objectName() == "keymapEditor"
    assert editor.table.rowCount() == len(w.registry)
    ok = editor.buttons.button(QDialogButtonBox.StandardButton.Ok)
    editor.set_keys("triage.archive", "j")  # j already moves down
    assert not ok.isEnabled()
    assert "j" in editor.conflict_label.text() and "Next article" in editor.conflict_label.text()
    editor.set_keys("triage.archive", "a / Del")
    assert ok.isEnabled() and editor.conflict_label.text() == "No conflicts."
    editor.set_keys("nav.next", "j / n")  # n is "next unread": a conflict again
    assert not ok.isEnabled()
    editor.table.selectRow(editor.row_of("nav.next"))
    editor.reset_selected()
    assert ok.isEnabled()
    assert editor.overrides() == {"triage.archive": ["a", "Del"]}
    ok.click()
    path = harness.desk.paths.root / "keymap.json"
    assert json.loads(path.read_text()) == {"version": 1, "keys": {"triage.archive": ["a", "Del"]}}
    assert load_registry(path).get("triage.archive").keys == ("a", "Del")
    assert w.actions_by_id["triage.archive"].text().endswith("\ta")
    # applied live: "a" archives now, "e" does nothing any more
    w.list.setFocus()
    first = harness.current_id()
    harness.key("a")
    assert harness.state(first)["archived"]
    second = harness.current_id()
    harness.key("e")
    assert not harness.state(second)["archived"]
    # reset all → nothing stored
    w.run_command("app.keymap")
    editor = w._dialog
    editor.reset_all()
    editor.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert json.loads(path.read_text())["keys"] == {}


def test_legacy_keymap_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "keymap.json"
    path.write_text(json.dumps({"triage.archive": ["a"]}))  # release 0.1's bare object
    assert load_registry(path).get("triage.archive").keys == ("a",)
