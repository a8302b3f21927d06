"""Packaging tests: the files the installers are made of.

Fast checks run always (and skip cleanly when a tool is absent). The slow
build-and-install test is marked ``packaging`` and runs only with
``NEWSDESK_PACKAGING_TESTS=1``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "packaging: builds the bundle and installs it (NEWSDESK_PACKAGING_TESTS=1)"
    )


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if os.environ.get("NEWSDESK_PACKAGING_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="set NEWSDESK_PACKAGING_TESTS=1 to build and install")
    for item in items:
        if item.get_closest_marker("packaging") is not None:
            item.add_marker(skip)
