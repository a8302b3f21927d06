"""Opening a PostgreSQL store: migration under an advisory lock, engines.

The schema is created and migrated with plain psycopg (each step's
``POSTGRES_SQL`` in one transaction, the version in ``schema_version``);
afterwards SQLAlchemy engines are handed out as for SQLite. Their
driver-level statements keep sqlite3's ``?`` parameters (see
``dialect.install_placeholders``).

Every function that connects takes ``password``: the keyring's password for
the URL (``db_password.password_for``), passed to the driver at connect time;
None leaves it to libpq (the URL's own, ``$PGPASSWORD``, ``~/.pgpass``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop.store import migrations
from desktop.store.db import DatabaseError, MigrationReport, NewerSchemaError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MIGRATION_LOCK = 0x4E657773  # pg_advisory_xact_lock key: one client migrates at a time


def libpq_url(url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql://…`` for psycopg itself."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql://{rest}" if sep and scheme.startswith("postgresql") else url


def engine_url(url: str) -> str:
    """Any ``postgresql[+driver]://`` URL → the psycopg 3 driver's."""
    _scheme, sep, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if sep else url


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}{sep}{creds.split(':', 1)[0]}:***@{host}"


def connect_args(password: str | None) -> dict[str, Any]:
    """psycopg's keyword arguments for ``password`` (none when it is None)."""
    return {"password": password} if password else {}


def _connect(url: str, password: str | None = None) -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise DatabaseError("PostgreSQL needs psycopg: pip install 'newsdesk[postgres]'") from exc
    try:
        return psycopg.connect(libpq_url(url), connect_timeout=10, **connect_args(password))
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot open database {redact(url)}: {exc}".strip()) from exc


def _version(conn: Any) -> int:
    exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]
    if not exists:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchone()[0]
        return -1 if tables else 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def schema_version(url: str, *, password: str | None = None) -> int:
    """The schema version recorded in the database of ``url`` (0 when empty)."""
    conn = _connect(url, password)
    try:
        return max(_version(conn), 0)
    finally:
        conn.close()


def prepare(
    url: str,
    target: int = migrations.LATEST,
    *,
    user: str | None = None,
    password: str | None = None,
) -> MigrationReport:
    """Create or migrate the database at ``url`` up to ``target`` (no file backup:
    the server's own backups apply). A newer schema raises :class:`NewerSchemaError`."""
    import psycopg

    conn = _connect(url, password)
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            version = _version(conn)
            if version < 0:
                raise DatabaseError(f"{redact(url)} holds tables but no Newsdesk schema version")
            if version > target:
                raise NewerSchemaError(
                    f"{redact(url)} was written by a newer version of Newsdesk (schema "
                    f"{version}; this version understands up to {target}). It was not "
                    "modified: install the newer Newsdesk."
                )
            if version < target:
                if user is None:
                    from desktop.store.people import default_user

                    user = default_user()
                migrations.apply_postgres(conn, version, target, user=user)
        return MigrationReport(None, version, target, None)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot migrate {redact(url)}: {exc}") from exc
    finally:
        conn.close()


def make_engine(url: str, *, readonly: bool = False, password: str | None = None) -> Engine:
    """A SQLAlchemy engine on ``url``; read engines open read-only transactions."""
    from sqlalchemy import create_engine

    from desktop.store.dialect import install_placeholders

    options = "-c timezone=UTC"
    if readonly:
        options += " -c default_transaction_read_only=on"
    engine = create_engine(
        engine_url(url),
        connect_args={
            "options": options,
            "cursor_factory": _client_cursor(),
            **connect_args(password),
        },
        pool_pre_ping=False,
    )
    install_placeholders(engine)
    return engine


def track_backend_pids(engine: Engine, pids: set[int]) -> None:
    """Add the server process id of every connection ``engine`` opens to ``pids``
    (notifications carry the sender's: see ``desktop.store.live``)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connected(dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["backend_pid"] = pid = int(dbapi_conn.info.backend_pid)
        pids.add(pid)

    @event.listens_for(engine, "close")
    def _closed(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        pids.discard(record.info.get("backend_pid", -1))


def _client_cursor() -> Any:
    """Client-side binding: parameters become literals typed by their context, as in
    SQLite (``? IS NULL``, ``CASE WHEN ? …`` need no casts)."""
    import psycopg

    return psycopg.ClientCursor
