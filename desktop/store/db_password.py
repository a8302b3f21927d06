"""The shared PostgreSQL's password, kept in the OS keyring (never in settings.json).

Where the password of a connection comes from, first found:

1. the URL itself (``postgresql://user:secret@host/db``: accepted from
   ``--database`` and ``$NEWSDESK_DATABASE_URL``, refused in the setting);
2. ``$PGPASSWORD`` (libpq's own);
3. the system keyring: service ``newsdesk/database``, user name
   ``user@host:port/dbname`` (:func:`account`), stored by the settings dialog or
   ``newsdesk database-password``;
4. libpq's password file (``~/.pgpass`` or ``$PGPASSFILE``).

:func:`password_for` returns the keyring's password only when 1 and 2 give
none, so libpq goes on handling those (and 4) itself; the password is then
passed to the driver at connect time. Secrets are never logged.
"""

from __future__ import annotations

import logging
import os

__all__ = ["ACCOUNT", "account", "delete_password", "password_for", "store_password"]

log = logging.getLogger(__name__)

ACCOUNT = "database"
"""The credential store's account: the keyring service is ``newsdesk/database``."""


def account(url: str) -> str:
    """The keyring user name of ``url``'s role and database: ``user@host:port/dbname``,
    with libpq's defaults filled in (``$PGUSER`` or the login name, ``$PGHOST`` or
    localhost, ``$PGPORT`` or 5432, ``$PGDATABASE`` or the user name)."""
    import getpass
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items() if v}
    user = (
        unquote(parts.username or "")
        or query.get("user")
        or os.environ.get("PGUSER")
        or getpass.getuser()
    )
    host = parts.hostname or query.get("host") or os.environ.get("PGHOST") or "localhost"
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or int(query.get("port") or os.environ.get("PGPORT") or 5432)
    dbname = (
        unquote(parts.path.lstrip("/"))
        or query.get("dbname")
        or os.environ.get("PGDATABASE")
        or user
    )
    return f"{user}@{host}:{port}/{dbname}"


def password_for(url: str) -> str | None:
    """The keyring's password for ``url``, or None when the URL has its own, when
    ``$PGPASSWORD`` is set, when none is stored or when there is no usable keyring
    (libpq then tries ``~/.pgpass``)."""
    from desktop.paths import url_has_password
    from desktop.sources.credentials import CredentialStore, CredentialsUnavailable

    if url_has_password(url) or os.environ.get("PGPASSWORD"):
        return None
    try:
        return CredentialStore().get(ACCOUNT, account(url)) or None
    except CredentialsUnavailable:
        log.info("no keyring for the database password; libpq's own sources apply")
        return None
    except Exception as exc:  # a broken keyring backend must not keep the store closed
        log.warning("keyring lookup of the database password failed: %s", type(exc).__name__)
        return None


def store_password(url: str, password: str) -> str:
    """Keep ``password`` for ``url`` in the system keyring; returns the key it is kept
    under. Raises ``CredentialsUnavailable`` (no keyring) or ValueError (not a
    PostgreSQL URL, or one that carries a password itself)."""
    from desktop.paths import POSTGRES_PREFIXES, url_has_password
    from desktop.sources.credentials import CredentialStore

    if not url.startswith(POSTGRES_PREFIXES):
        raise ValueError("a password is only needed for a PostgreSQL database")
    if url_has_password(url):
        raise ValueError("the URL holds a password itself: remove it from the URL")
    if not password:
        raise ValueError("the password is empty")
    key = account(url)
    CredentialStore().set(ACCOUNT, key, password)
    return key


def stored_key(url: str) -> str | None:
    """The key under which the keyring holds a password for ``url``; None when it holds
    none, when ``url`` is not PostgreSQL or when there is no usable keyring. A D-Bus
    call: never on the UI thread."""
    from desktop.paths import POSTGRES_PREFIXES
    from desktop.sources.credentials import CredentialStore

    if not url.startswith(POSTGRES_PREFIXES):
        return None
    key = account(url)
    try:
        return key if CredentialStore().get(ACCOUNT, key) else None
    except Exception:  # no keyring, or a broken backend: nothing known to be stored
        return None


def delete_password(url: str) -> str:
    """Forget the keyring's password for ``url`` (no error when there is none);
    returns its key."""
    from desktop.sources.credentials import CredentialStore

    key = account(url)
    CredentialStore().delete(ACCOUNT, key)
    return key
