"""The ``database_url`` setting: where the store is, after ``--database`` and
``$NEWSDESK_DATABASE_URL``, before the data folder's SQLite file; checked when set
(no password in settings.json, no other scheme) and followed by the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.config.settings import SETTINGS_VERSION, Settings, SettingsError
from desktop.paths import ENV_DATABASE_URL, DataPaths, resolve_database
from tests.support.cli import run, run_json


def _paths(tmp_path: Path, setting: str | None = None) -> DataPaths:
    root = tmp_path / "data"
    root.mkdir(exist_ok=True)
    if setting is not None:
        Settings.load(root / "settings.json").update({"database_url": setting})
    return DataPaths(root)


def test_each_level_overrides_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    paths = _paths(tmp_path)
    assert resolve_database(None, paths) == paths.database  # nothing set: the data folder's
    paths = _paths(tmp_path, "postgres://desk@db.example:5433/news")
    assert json.loads(paths.settings.read_text())["database_url"] == (
        "postgresql://desk@db.example:5433/news"  # normalised as --database is
    )
    assert resolve_database(None, paths) == "postgresql://desk@db.example:5433/news"
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://env@other/news")
    assert resolve_database(None, paths) == "postgresql://env@other/news"  # env > setting
    assert resolve_database(str(tmp_path / "cli.sqlite3"), paths) == tmp_path / "cli.sqlite3"
    monkeypatch.delenv(ENV_DATABASE_URL)
    # a caller holding the settings passes the value; a relative file is the data folder's
    assert resolve_database(None, paths, setting="") == paths.database
    assert resolve_database(None, paths, setting="other.sqlite3") == paths.root / "other.sqlite3"
    Settings.load(paths.settings).update({"database_url": ""})  # back to the default
    assert resolve_database(None, paths) == paths.database


def test_the_setting_refuses_passwords_and_other_schemes(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "settings.json")
    for url in ("postgresql://desk:hunter2@db/news", "postgresql://desk@db/news?password=x"):
        with pytest.raises(SettingsError, match="password") as err:
            settings.update({"database_url": url})
        assert "hunter2" not in str(err.value) and "keyring" in str(err.value)
    with pytest.raises(SettingsError, match=r"unsupported database URL: mysql://"):
        settings.update({"database_url": "mysql://db/news"})
    assert not (tmp_path / "settings.json").exists()  # nothing was written
    assert settings["database_url"] == ""
    # written by hand into the file: reported, not used, and refused where it is resolved
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"version": SETTINGS_VERSION, "database_url": "postgres://u:pw@h/d"})
    )
    loaded = Settings.load(path)
    assert loaded["database_url"] == "" and "database_url" in loaded.problems[0]
    with pytest.raises(ValueError, match=r"settings\.json: database_url: the URL holds a password"):
        resolve_database(None, DataPaths(tmp_path))


def test_an_older_file_gets_the_default_and_keeps_its_version(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "theme": "dark", "newer": 1}))
    settings = Settings.load(path)
    assert settings["database_url"] == "" and settings.problems == []
    settings.update({"database_url": str(tmp_path / "elsewhere.sqlite3")})
    data = json.loads(path.read_text())
    assert data["version"] == SETTINGS_VERSION == 2 and data["newer"] == 1
    assert data["database_url"] == str(tmp_path / "elsewhere.sqlite3")


def test_the_command_line_follows_the_setting(tmp_path: Path) -> None:
    data = tmp_path / "data"
    elsewhere, env_file, cli_file = (tmp_path / f"{n}.sqlite3" for n in ("set", "env", "cli"))
    _paths(tmp_path, str(elsewhere))
    assert run_json(data, "sources", "--json") == []
    assert elsewhere.exists() and not (data / "newsdesk.sqlite3").exists()
    run(data, "sources", env={ENV_DATABASE_URL: str(env_file)})
    assert env_file.exists()
    run(data, "sources", env={ENV_DATABASE_URL: str(env_file)}, database=str(cli_file))
    assert cli_file.exists() and not (data / "newsdesk.sqlite3").exists()
    # a setting with a password stops the command line (it never guesses another store)
    (data / "settings.json").write_text(json.dumps({"database_url": "postgresql://u:pw@h/d"}))
    bad = run(data, "sources", check=False)
    assert bad.returncode == 1 and "database_url: the URL holds a password" in bad.stderr
    assert "pw@" not in bad.stderr
    assert not (data / "newsdesk.sqlite3").exists()
    # the password command needs a PostgreSQL store
    (data / "settings.json").write_text(json.dumps({"database_url": ""}))
    refused = run(data, "database-password", input="x\n", check=False)
    assert refused.returncode == 1 and "needs no password" in refused.stderr
