"""Where Newsdesk keeps its files: one data folder, overridable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_DATA_DIR = "NEWSDESK_DATA_DIR"
ENV_DATABASE_URL = "NEWSDESK_DATABASE_URL"


@dataclass(frozen=True, slots=True)
class DataPaths:
    """Every file location, derived from one data folder."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "newsdesk.sqlite3"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def topic_model(self) -> Path:
        return self.root / "user-topics.npz"

    @property
    def semantic_state(self) -> Path:
        return self.root / "semantic-topics.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> DataPaths:
    """``--data-dir`` first, then ``$NEWSDESK_DATA_DIR``, then the platform's user data folder."""
    if cli_value:
        root = Path(cli_value).expanduser()
    elif os.environ.get(ENV_DATA_DIR):
        root = Path(os.environ[ENV_DATA_DIR]).expanduser()
    else:
        import platformdirs

        root = Path(platformdirs.user_data_dir("newsdesk", appauthor=False))
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    return DataPaths(root)


POSTGRES_PREFIXES = ("postgresql:", "postgresql+", "postgres:")
SETTING_NAME = "database_url"
"""The ``settings.json`` key of the database setting (see ``config.settings``)."""


def parse_database(value: str, base: Path | None = None) -> Path | str:
    """A database value → a PostgreSQL URL (``postgres://`` normalised to
    ``postgresql://``, returned as a string) or a SQLite file path (``sqlite:///``
    prefix allowed; relative to ``base``, default the working folder). Raises
    ValueError for another scheme."""
    value = value.strip()
    if value.startswith(POSTGRES_PREFIXES):
        if value.startswith("postgres:"):
            value = "postgresql:" + value[len("postgres:") :]
        return value
    if value.startswith("sqlite:///"):
        value = value[len("sqlite:///") :]
    if "://" in value:
        raise ValueError(
            f"unsupported database URL: {value.split('://')[0]}:// "
            "(postgresql:// or a SQLite file path)"
        )
    path = Path(value).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    return path.resolve()


def url_has_password(url: str) -> bool:
    """Whether a PostgreSQL URL carries a password (``user:secret@`` or ``?password=``)."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    return bool(parts.password) or bool(parse_qs(parts.query).get("password"))


def check_database_setting(value: str) -> str:
    """The ``database_url`` setting checked and normalised: ``""`` (the data folder's
    SQLite file), a ``postgresql://`` URL without a password, or a SQLite file path
    (relative paths are relative to the data folder). Raises ValueError saying why."""
    value = str(value).strip()
    if not value:
        return ""
    target = parse_database(value, Path("/"))
    if isinstance(target, Path):
        return value
    if url_has_password(target):
        raise ValueError(
            "the URL holds a password, and settings.json is no place for secrets: remove "
            "it from the URL and store it in the system keyring (the password field "
            "beside it, or `newsdesk --database URL database-password`)"
        )
    return target


def raw_setting(paths: DataPaths, name: str) -> object:
    """``name``'s value as ``settings.json`` holds it (None when absent or unreadable),
    read without the settings machinery: start-up reads a few before Qt loads."""
    import json

    try:
        data = json.loads(paths.settings.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get(name) if isinstance(data, dict) else None


def database_setting(paths: DataPaths) -> str:
    """The raw ``database_url`` of the data folder's ``settings.json`` ("" when absent
    or unreadable)."""
    value = raw_setting(paths, SETTING_NAME)
    return value if isinstance(value, str) else ""


def resolve_database(
    cli_value: str | None, paths: DataPaths, *, setting: str | None = None
) -> Path | str:
    """The store to open, first found of:

    1. ``--database`` (``cli_value``),
    2. ``$NEWSDESK_DATABASE_URL``,
    3. the ``database_url`` setting (``setting`` when given, else read from the data
       folder's ``settings.json``; a relative file path there is relative to the data
       folder),
    4. the SQLite file in the data folder.

    A URL (``postgresql://…``) is returned as a string; anything else is a SQLite
    file path. Raises ValueError for an unsupported scheme, and for a setting that
    holds a password (secrets go to the keyring, never to ``settings.json``).
    """
    value = cli_value or os.environ.get(ENV_DATABASE_URL) or ""
    if value:
        return parse_database(value)
    if setting is None:
        setting = database_setting(paths)
    if setting.strip():
        try:
            checked = check_database_setting(setting)
        except ValueError as exc:
            raise ValueError(f"{paths.settings.name}: {SETTING_NAME}: {exc}") from None
        return parse_database(checked, paths.root)
    return paths.database


def resources_dir() -> Path:
    """The folder of shipped resources (taxonomy, models, sample feeds, icons)."""
    import sys

    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
