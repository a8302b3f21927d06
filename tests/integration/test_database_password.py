"""A shared PostgreSQL whose role needs a password: the password kept in the system
keyring (``newsdesk database-password``) reaches every connection — migrations,
engines, the LISTEN connection, ``serve``'s advisory lock, the window's start —
while the URL's own password, ``$PGPASSWORD`` and ``~/.pgpass`` keep working.

Needs a real keyring (``scripts/with-secret-service``) and a throwaway server whose
``pg_hba.conf`` this process can edit; skips otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.paths import DataPaths
from desktop.sources.credentials import CredentialStore
from desktop.store.db import DatabaseError
from desktop.store.db_password import ACCOUNT, account, password_for
from tests.support.cli import run


def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PGPASSWORD", "NEWSDESK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))


def test_the_keyring_password_opens_every_connection(
    pg_password_role: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.serve import lock_for
    from desktop.service import Newsdesk

    role = pg_password_role
    _clean_env(monkeypatch, tmp_path)
    data = tmp_path / "data"
    paths = DataPaths(data)
    data.mkdir()
    with pytest.raises(DatabaseError, match="password"):  # the role needs one
        Newsdesk.open(paths, role.url)
    env = {"PGPASSFILE": str(tmp_path / "no-pgpass")}
    refused = run(data, "--database", role.url, "sources", check=False, env=env)
    assert refused.returncode == 1 and "password" in refused.stderr
    # stored from the command line (stdin when not a terminal), under user@host:port/db
    out = run(data, "database-password", "--database", role.url, input=role.password + "\n")
    key = account(role.url)
    assert key.startswith(role.url.split("//")[1].split("@")[0] + "@127.0.0.1:")
    assert key in out.stdout and role.password not in out.stdout
    assert CredentialStore().get(ACCOUNT, key) == role.password
    assert password_for(role.url) == role.password
    # the command line, through the setting: migrations, engines and the lock connect
    (data / "settings.json").write_text(json.dumps({"database_url": role.url}))
    assert json.loads(run(data, "sources", "--json", env=env).stdout) == []
    assert run(data, "serve", "--once", "--no-enrich", env=env).returncode == 0
    assert not (data / "newsdesk.sqlite3").exists()
    # in this process: the LISTEN connection and the advisory lock too
    with Newsdesk.open(paths, role.url) as desk:
        assert desk.db.dialect == "postgresql"
        listener = desk.listen(lambda _batch: None)
        assert listener.wait_listening(10), listener.last_error
        lock = lock_for(desk, data)
        assert lock.try_acquire() and lock.holder() is not None
        lock.release()
    for path in data.rglob("*"):  # the password is in no file of the data folder
        if path.is_file():
            assert role.password.encode() not in path.read_bytes(), path
    # forgotten: the role cannot log in any more
    run(data, "database-password", "--delete", "--database", role.url)
    assert password_for(role.url) is None
    with pytest.raises(DatabaseError):
        Newsdesk.open(paths, role.url)


def test_libpq_sources_keep_working_and_come_first(
    pg_password_role: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.service import Newsdesk

    role = pg_password_role
    _clean_env(monkeypatch, tmp_path)
    paths = DataPaths(tmp_path / "data")
    paths.root.mkdir()
    CredentialStore().set(ACCOUNT, account(role.url), "wrong-password")
    with pytest.raises(DatabaseError):  # the keyring's (wrong) password is used
        Newsdesk.open(paths, role.url)
    # the URL's own password wins over the keyring
    with_pw = role.url.replace("@", f":{role.password}@", 1)
    assert password_for(with_pw) is None
    Newsdesk.open(paths, with_pw).close()
    # so does $PGPASSWORD
    monkeypatch.setenv("PGPASSWORD", role.password)
    assert password_for(role.url) is None
    Newsdesk.open(paths, role.url).close()
    monkeypatch.delenv("PGPASSWORD")
    # ~/.pgpass ($PGPASSFILE) when the keyring has none
    CredentialStore().delete(ACCOUNT, account(role.url))
    host_port = role.url.split("@", 1)[1].split("/", 1)[0]
    name = role.url.rsplit("/", 1)[1]
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{host_port}:{name}:{name}:{role.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert password_for(role.url) is None
    Newsdesk.open(paths, role.url).close()
