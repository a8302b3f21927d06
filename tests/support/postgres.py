"""A throwaway PostgreSQL server for tests (Debian's postgresql-15, no systemd).

:func:`start` runs ``initdb`` in a temporary folder and ``pg_ctl`` on a free
port on 127.0.0.1 with fsync off (see ../shared/RECIPES.md); :meth:`Server.stop`
stops it and removes the folder. As root, the server runs as the ``postgres``
user (PostgreSQL refuses to run as root). :func:`fresh_database` creates an
empty database per test, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
ENV_URL = "NEWSDESK_TEST_POSTGRES_URL"


def available() -> str | None:
    """None when a server can be started here, else why not."""
    if not (BIN / "initdb").exists():
        return f"{BIN / 'initdb'} is missing (apt-get install postgresql-15)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Server:
    """A running server: its folder, port and an admin URL (database ``postgres``)."""

    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        subprocess.run(
            _as_owner(
                [str(BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> Server:
    """initdb + pg_ctl start on a free port; raises RuntimeError with the log on failure."""
    root = Path(tempfile.mkdtemp(prefix="newsdesk-pg-"))
    (root / "data").mkdir()
    (root / "sock").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        for sub in ("data", "sock"):
            shutil.chown(root / sub, "postgres")
    init = subprocess.run(
        _as_owner(
            [str(BIN / "initdb"), "-D", str(root / "data"), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
        ),
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stderr[-2000:]}")
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {root / 'sock'} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    run = subprocess.run(
        _as_owner(
            [str(BIN / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w",
             "-o", options, "start"]
        ),
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if run.returncode != 0:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"pg_ctl start failed: {run.stderr[-1000:]}\n{log[-2000:]}")
    return Server(root, port)


def fresh_database(admin_url: str) -> str:
    """Create an empty database on the server of ``admin_url``; returns its URL."""
    import psycopg

    name = f"nd_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database of ``url`` (best effort: connections are closed by then)."""
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def password_role(admin_url: str) -> Iterator[tuple[str, str] | None]:
    """A role that must give its password (scram over TCP from 127.0.0.1), owning a
    fresh database of its name: yields (URL without the password, password), or None
    when this process cannot edit the server's ``pg_hba.conf`` (a server of its own).
    The line added to ``pg_hba.conf`` names only this role; it is removed afterwards."""
    import psycopg

    admin = _libpq(admin_url)
    name = f"nd_pw_{uuid.uuid4().hex[:10]}"
    secret = "pw-" + uuid.uuid4().hex
    with psycopg.connect(admin, autocommit=True) as conn:
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        try:
            before = hba.read_text()
            hba.write_text(f"host all {name} 127.0.0.1/32 scram-sha-256\n{before}")
        except OSError:
            yield None
            return
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{secret}'")
        conn.execute(f"CREATE DATABASE {name} OWNER {name}")
        conn.execute("SELECT pg_reload_conf()")
    host = admin_url.split("@", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql://{name}@{host}/{name}", secret
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            hba.write_text(before)
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"DROP ROLE IF EXISTS {name}")
