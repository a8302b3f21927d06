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


def resolve_database(cli_value: str | None, paths: DataPaths) -> Path | str:
    """``--database`` first, then ``$NEWSDESK_DATABASE_URL``, then the SQLite file in
    the data folder. A URL (``postgresql://…``) is returned as a string; anything
    else is a SQLite file path."""
    value = cli_value or os.environ.get(ENV_DATABASE_URL) or ""
    if not value:
        return paths.database
    if value.startswith(("postgresql:", "postgresql+", "postgres:")):
        if value.startswith("postgres:"):
            value = "postgresql:" + value[len("postgres:") :]
        return value
    if value.startswith("sqlite:///"):
        value = value[len("sqlite:///") :]
    if "://" in value:
        raise ValueError(
            f"unsupported database URL: {value.split('://')[0]}:// (postgresql:// or a file)"
        )
    return Path(value).expanduser().resolve()


def resources_dir() -> Path:
    """The folder of shipped resources (taxonomy, models, sample feeds, icons)."""
    import sys

    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
