"""Credentials typed in the source dialog reach the system keyring and nowhere else.

The keyring round trip needs a real Secret Service: CI runs the suite inside
``scripts/with-secret-service`` (gnome-keyring on a private D-Bus); elsewhere it
skips. Without a usable keyring the dialog says so and stores nothing.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from desktop.sources.credentials import UNAVAILABLE_MESSAGE, CredentialStore
from desktop.ui.qt import QDialogButtonBox

OFFSCREEN = pytest.mark.qt_log_ignore("propagateSizeHints", r"support raise\(\)")


def _secret_service_ready() -> bool:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    return CredentialStore().available()[0]


def _open_properties(harness: Any, source_id: int) -> Any:
    w = harness.window
    w.sidebar._clicked(w.sidebar.item_for("source", source_id))
    harness.settle()
    w.run_command("source.properties")
    harness.qtbot.waitUntil(
        lambda: w._dialog is not None and w._dialog.objectName() == "sourceProperties"
    )
    return w._dialog


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@OFFSCREEN
@pytest.mark.skipif(not _secret_service_ready(), reason="no Secret Service on this session bus")
def test_secret_goes_to_the_keyring_only(harness: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    desk = harness.desk
    wire = harness.info["sources"][0]
    secret = "s3cr3t-" + uuid.uuid4().hex
    dialog = _open_properties(harness, wire)
    assert dialog.keyring_ok and dialog.password.isEnabled()
    harness.qtbot.keyClicks(dialog.username, "alice")
    harness.qtbot.keyClicks(dialog.password, secret)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    harness.qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    harness.settle()
    props = desk.source_properties(wire)
    assert props.username == "alice"
    store = CredentialStore()
    assert store.get(f"source:{props.url}", "alice") == secret
    # nowhere in Newsdesk's files (database, its WAL, settings, key map, logs) nor the log
    desk.db.write(lambda c: None)  # the write is committed (it may sit in the WAL)
    needle = secret.encode()
    files = _files_under(desk.paths.root)
    assert any(p.name.endswith(".sqlite3") for p in files)
    for path in files:
        assert needle not in path.read_bytes(), path
    assert secret not in caplog.text
    assert secret not in harness.window.status_text.text()
    # removing the user name removes the secret from the keyring
    dialog = _open_properties(harness, wire)
    assert dialog.password.placeholderText() == "(unchanged)"
    dialog.username.clear()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    harness.qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    harness.settle()
    assert desk.source_properties(wire).username is None
    assert store.get(f"source:{props.url}", "alice") is None


@OFFSCREEN
def test_without_a_keyring_the_dialog_says_so_and_stores_nothing(harness: Any) -> None:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        dialog = _open_properties(harness, harness.info["sources"][0])
        assert not dialog.keyring_ok
        assert UNAVAILABLE_MESSAGE in dialog.keyring_label.text()
        assert not dialog.password.isEnabled() and not dialog.username.isEnabled()
        assert dialog.credentials() is None
        dialog.title.setText("Renamed without secrets")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        harness.qtbot.waitUntil(lambda: not dialog.isVisible())
        harness.settle()
        props = harness.desk.source_properties(harness.info["sources"][0])
        assert props.title == "Renamed without secrets" and props.username is None
        # asked directly, the service refuses with the same message and stores nothing
        from desktop.service import UserError

        with pytest.raises(UserError, match="keyring"):
            harness.desk.set_source_secret(props.id, "bob", "never-stored-anywhere")
        assert harness.desk.source_properties(props.id).username is None
        for path in _files_under(harness.desk.paths.root):
            assert b"never-stored-anywhere" not in path.read_bytes()
    finally:
        keyring.set_keyring(previous)
