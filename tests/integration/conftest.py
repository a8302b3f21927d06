"""Fixtures for integration tests: a real HTTP feed server on 127.0.0.1, and two people
(``pair``: alice and bob) on one store.

``feed_server`` yields a started :class:`tests.support.feedserver.FeedServer`
(function scope: every test gets fresh routes and counters). See that module's
docstring for the routes, fault routes and counters it offers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from desktop.service import Newsdesk  # noqa: E402
from tests.support.feedserver import FeedServer  # noqa: E402


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started local feed server, stopped after the test."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def pair(data_paths, database) -> Iterator[tuple[Newsdesk, Newsdesk]]:
    """alice and bob on one store (a SQLite file, then PostgreSQL)."""
    alice = Newsdesk.open(data_paths, database, user="alice")
    bob = Newsdesk.open(data_paths, database, user="bob")
    try:
        yield alice, bob
    finally:
        bob.close()
        alice.close()
