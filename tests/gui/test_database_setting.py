"""The window and the ``database_url`` setting: started without ``--database`` it opens
the store the setting names (PostgreSQL without the sqlite3 fast path, a SQLite file
with it); the settings dialog keeps the URL in settings.json and the password in
the system keyring only, and the change waits for the next start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.app import FirstPage, window_database
from desktop.paths import DataPaths
from desktop.sources.credentials import CredentialStore
from desktop.store.db_password import ACCOUNT, account
from desktop.ui.qt import QDialogButtonBox
from tests.gui.conftest import build_sample

REPO = Path(__file__).resolve().parents[2]


def _start(data: Path) -> subprocess.CompletedProcess[str]:
    """``newsdesk --data-dir DATA`` (the no-command path), closed at its first paint."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env.update(NEWSDESK_STARTUP_PROBE="1")
    env.pop("NEWSDESK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
        check=False,
    )


def test_the_window_opens_the_postgresql_of_the_setting(tmp_path: Path, pg_url: str) -> None:
    build_sample(tmp_path / "sample", database=pg_url)
    data = tmp_path / "d"
    data.mkdir()
    (data / "settings.json").write_text(json.dumps({"version": 2, "database_url": pg_url}))
    assert window_database(DataPaths(data)) == pg_url  # no fast path: a URL, not a file
    proc = _start(data)
    # the probe prints at the first paint with rows (read from the server), then closes
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NEWSDESK_FIRST_PAINT" in proc.stdout, proc.stderr[-3000:]
    assert not (data / "newsdesk.sqlite3").exists()


def test_a_sqlite_file_in_the_setting_keeps_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSDESK_DATABASE_URL", raising=False)
    build_sample(tmp_path / "sample")
    data = tmp_path / "d"
    data.mkdir()
    setting = {"version": 2, "database_url": "../sample/newsdesk.sqlite3"}  # data folder's
    (data / "settings.json").write_text(json.dumps(setting))
    paths = DataPaths(data)
    database = window_database(paths)
    assert database == tmp_path / "sample" / "newsdesk.sqlite3"
    first = FirstPage(paths, database)
    first._thread.join(30)
    assert first.result is not None and len(first.result[1]) == 28  # read with sqlite3
    proc = _start(data)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NEWSDESK_FIRST_PAINT" in proc.stdout, proc.stderr[-3000:]
    assert not (data / "newsdesk.sqlite3").exists()
    # a setting that cannot be used (a password in it): the data folder's file, reported
    (data / "settings.json").write_text(json.dumps({"database_url": "postgresql://u:pw@h/d"}))
    assert window_database(paths) == paths.database


def test_the_dialog_keeps_the_url_in_settings_and_the_password_in_the_keyring(
    harness: Any, keyring_ok: None
) -> None:
    w = harness.window
    desk = harness.desk
    settings_file = Path(desk.paths.settings)
    url = "postgresql://analyst@db.example:6543/desk"
    secret = "s3cret-for-the-desk"
    w.run_command("app.settings")
    dialog = w._dialog
    apply = dialog.buttons.button(QDialogButtonBox.StandardButton.Apply)
    editor, password = dialog.editors["database_url"], dialog.password
    assert password is not None and password.echoMode() == password.EchoMode.Password
    try:
        # a password inside the URL is refused, and nothing is written
        editor.setText("postgresql://analyst:inline@db.example:6543/desk")
        apply.click()
        assert "password" in dialog.message.text() and "keyring" in dialog.message.text()
        assert w.app_settings["database_url"] == ""
        assert "inline" not in (settings_file.read_text() if settings_file.exists() else "")
        editor.setText("mysql://db.example/desk")
        apply.click()
        assert "unsupported database URL: mysql://" in dialog.message.text()
        # a password beside a SQLite file has nowhere to go
        editor.setText("")
        harness.qtbot.keyClicks(password, secret)
        apply.click()
        assert "only a PostgreSQL database" in dialog.message.text()
        assert CredentialStore().get(ACCOUNT, account(url)) is None
        # the URL (normalised) to settings.json, the password to the keyring
        editor.setText(url.replace("postgresql:", "postgres:"))
        apply.click()  # the keyring is written off the UI thread
        harness.qtbot.waitUntil(lambda: "keyring" in dialog.message.text(), timeout=10_000)
        message = dialog.message.text()
        assert "next time Newsdesk starts" in message, message
        assert "analyst@db.example:6543/desk" in message and "keyring" in message
        assert password.text() == ""
        on_disk = json.loads(settings_file.read_text())
        assert on_disk["database_url"] == url
        for path in desk.paths.root.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
        assert CredentialStore().get(ACCOUNT, "analyst@db.example:6543/desk") == secret
        # nothing reconnects: the window stays on the store it opened
        harness.settle()
        assert w.desk is desk and desk.db.dialect == "sqlite" and not desk.db.url
        # back to the default; the stored password stays until forgotten
        dialog.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).click()
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        harness.settle()
        assert json.loads(settings_file.read_text())["database_url"] == ""
    finally:
        CredentialStore().delete(ACCOUNT, account(url))


def test_the_window_opens_the_setting_with_the_keyring_password(
    qtbot: Any, loop: Any, pg_password_role: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``run_window`` does without ``--database``: the store from the setting,
    opened by ``open_service`` with the keyring's password, then attached."""
    from desktop.app import build_window, make_application, open_service
    from desktop.store.db_password import store_password
    from desktop.ui.main_window import WindowSettings

    role = pg_password_role
    for name in ("PGPASSWORD", "NEWSDESK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    paths = DataPaths(tmp_path / "data")
    paths.root.mkdir()
    store_password(role.url, role.password)
    build_sample(tmp_path / "sample", database=role.url)  # with the keyring's password
    (paths.settings).write_text(json.dumps({"version": 2, "database_url": role.url}))
    assert window_database(paths) == role.url
    make_application()
    window = build_window(paths, settings=WindowSettings(refresh_pool="thread"))
    qtbot.addWidget(window)
    desk = open_service(paths, window_database(paths))
    try:
        window.show()
        window.attach(desk)
        qtbot.waitUntil(lambda: window.model.rowCount() > 0 and window.counts is not None)
        assert window.desk.db.dialect == "postgresql"
        qtbot.waitUntil(lambda: window.live.listener.listening, timeout=10000)
        assert window.model.rowCount() == 26
        assert not paths.database.exists()
    finally:
        window.close()
        window.tasks.close()
        desk.close()


def test_the_dialog_shows_a_stored_password_and_forgets_it(harness: Any, keyring_ok: None) -> None:
    w = harness.window
    url = "postgresql://analyst@db.example:6543/stored"
    key = "analyst@db.example:6543/stored"
    CredentialStore().set(ACCOUNT, key, "kept-before")
    try:
        w.app_settings.update({"database_url": url})
        w.run_command("app.settings")
        dialog = w._dialog
        password, forget = dialog.password, dialog.forget
        # the keyring is asked off the UI thread; the field then says what it holds
        harness.qtbot.waitUntil(lambda: forget.isEnabled(), timeout=10_000)
        assert key in password.placeholderText() and "stored" in password.placeholderText()
        # another URL: nothing stored for it
        editor = dialog.editors["database_url"]
        editor.setText("postgresql://nobody@db.example:6543/other")
        editor.editingFinished.emit()
        harness.qtbot.waitUntil(lambda: not forget.isEnabled(), timeout=10_000)
        assert password.placeholderText().startswith("none stored")
        editor.setText(url)
        editor.editingFinished.emit()
        harness.qtbot.waitUntil(lambda: forget.isEnabled(), timeout=10_000)
        forget.click()  # deleted on a worker, then asked again
        harness.qtbot.waitUntil(lambda: "deleted" in dialog.message.text(), timeout=10_000)
        harness.qtbot.waitUntil(lambda: not forget.isEnabled(), timeout=10_000)
        assert CredentialStore().get(ACCOUNT, key) is None
        dialog.reject()
    finally:
        CredentialStore().delete(ACCOUNT, key)
        w.app_settings.update({"database_url": ""})
