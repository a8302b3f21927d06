"""Shared fixtures: a fresh data folder and an open backend on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
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


# -- both databases: SQLite (a file in the data folder) and a throwaway PostgreSQL ----
@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server: ``$NEWSDESK_TEST_POSTGRES_URL`` when set, else
    a throwaway server started for the session (stopped at its end); skips when neither."""
    from tests.support import postgres

    url = os.environ.get(postgres.ENV_URL)
    if url:
        yield url
        return
    why = postgres.available()
    if why is not None:
        pytest.skip(f"PostgreSQL variant: {why}; or set {postgres.ENV_URL}")
    server = postgres.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request) -> Iterator[str | None]:
    """The store to open: None for the SQLite file in the data folder, or the URL of a
    fresh, empty PostgreSQL database (dropped after the test)."""
    if request.param == "sqlite":
        yield None
        return
    from tests.support import postgres

    admin = request.getfixturevalue("postgres_admin_url")
    url = postgres.fresh_database(admin)
    try:
        yield url
    finally:
        postgres.drop_database(admin, url)


@pytest.fixture
def pg_url(postgres_admin_url: str) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    from tests.support import postgres

    url = postgres.fresh_database(postgres_admin_url)
    try:
        yield url
    finally:
        postgres.drop_database(postgres_admin_url, url)


@pytest.fixture
def store_desk(data_paths, database) -> Iterator:
    """An open backend on each database in turn (see ``database``)."""
    from desktop.service import Newsdesk

    app = Newsdesk.open(data_paths, database)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def keyring_ok() -> None:
    """Skip unless a real system keyring answers (``scripts/test`` runs one)."""
    from desktop.sources.credentials import CredentialStore

    ok, why = CredentialStore().available()
    if not ok:
        pytest.skip(f"no system keyring here ({why}); run under scripts/with-secret-service")


@dataclass(frozen=True)
class PasswordRole:
    """A PostgreSQL role that must give its password (see ``pg_password_role``)."""

    url: str
    """``postgresql://role@127.0.0.1:port/db``, without the password."""
    password: str


@pytest.fixture
def pg_password_role(postgres_admin_url: str, keyring_ok: None) -> Iterator[PasswordRole]:
    """A role that must give its password, owning a fresh database of its own (see
    ``tests.support.postgres.password_role``); its keyring entry is removed after.
    Skips without a keyring, or when the server's ``pg_hba.conf`` is out of reach."""
    from desktop.sources.credentials import CredentialStore
    from desktop.store.db_password import ACCOUNT, account
    from tests.support.postgres import password_role

    with password_role(postgres_admin_url) as made:
        if made is None:
            pytest.skip("this server's pg_hba.conf cannot be edited from here")
        url, secret = made
        try:
            yield PasswordRole(url, secret)
        finally:
            CredentialStore().delete(ACCOUNT, account(url))
