"""Shared fixtures: a fresh data folder and an open backend on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """``../shared`` beside the checkout (CI lays it there), else /work/shared."""
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if (candidate / "fixtures").is_dir():
            return candidate
    return None


@pytest.fixture
def shared() -> Path:
    """The shared fixtures/data folder; skips when it is absent."""
    found = shared_dir()
    if found is None:
        pytest.skip("../shared is not present")
    return found


@pytest.fixture
def data_paths(tmp_path: Path):
    from desktop.paths import resolve_data_dir

    return resolve_data_dir(tmp_path / "data")


@pytest.fixture
def desk(data_paths) -> Iterator:
    from desktop.service import Newsdesk

    app = Newsdesk.open(data_paths)
    try:
        yield app
    finally:
        app.close()
