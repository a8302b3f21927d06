"""A throwaway Tiny Tiny RSS (Debian 12's ``tt-rss``, API level 15) for tests.

Usage::

    with ttrss.running(admin_url) as server:     # admin_url: a PostgreSQL admin URL
        feed_id = server.subscribe(feed_url, category="News")
        server.update_feed(feed_id)              # tt-rss fetches the feed now
        server.api("getHeadlines", feed_id=-4)   # the raw JSON API, logged in

:func:`running` copies Debian's web tree (``/usr/share/tt-rss/www``) into a
temporary folder, writes its ``config.php`` (a fresh database on the given
PostgreSQL server, ``SELF_URL_PATH`` = the PHP server), loads the schema,
sets the ``admin`` password and enables the API for it, starts ``php -S
127.0.0.1:PORT`` (as ``www-data`` when run as root: tt-rss refuses root) and
waits until the API answers. Leaving the block stops PHP, drops the database
and removes the folder. Setting up takes a few seconds.

The copy's ``classes/urlhelper.php`` is patched (see :data:`PATCHES`) so
that tt-rss keeps the port of a feed URL and fetches from 127.0.0.1: this
version drops ports and refuses loopback hosts. Install with::

    apt-get install -y --no-install-recommends tt-rss php-cli php-cgi php-pgsql \\
        php-mbstring php-intl php-xml php-curl dbconfig-no-thanks
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.support import postgres

WEB = Path("/usr/share/tt-rss/www")
SCHEMA = Path("/usr/share/tt-rss/schema/ttrss_schema_pgsql.sql")
PHP = Path("/usr/bin/php")
USER = "admin"  # the schema creates this user (id 1)
PASSWORD = "tt-rss test password"
RUN_AS = "www-data"

# (file, text in Debian's copy, replacement, why); every occurrence is replaced, and a
# patch that matches nothing fails loudly (a newer tt-rss may need none or others).
PATCHES: list[tuple[str, str, str, str]] = [
    (
        "classes/urlhelper.php",
        "$tmp = $parts['scheme'] . \"://\" . $parts['host'];\n",
        "$tmp = $parts['scheme'] . \"://\" . $parts['host'];\n"
        "\t\tif (isset($parts['port'])) $tmp .= ':' . $parts['port'];\n",
        "build_url() drops the port, so http://127.0.0.1:PORT/feed.xml became "
        "http://127.0.0.1/feed.xml (fixed upstream later)",
    ),
    (
        "classes/urlhelper.php",
        "\t\tif ($extended_filtering) {\n",
        "\t\tif (false && $extended_filtering) {\n",
        "fetching refuses ports other than 80/443 and the hosts localhost/127.*: "
        "our feed server is 127.0.0.1 on a random port",
    ),
    (
        "classes/urlhelper.php",
        'strpos($ip_addr, "127.") === 0',
        "false",
        "fetch_file_contents() refuses a host that resolves to 127.* (same reason)",
    ),
    (
        "classes/urlhelper.php",
        'strpos($fetch_effective_ip_addr, "127.") === 0',
        "false",
        "the same check after redirects, in the curl and the file_get_contents paths",
    ),
]


def available() -> str | None:
    """None when a tt-rss server can be started here, else why not."""
    if not (WEB / "api" / "index.php").exists() or not SCHEMA.exists():
        return f"Debian's tt-rss is not installed ({WEB} is missing): apt-get install tt-rss"
    if not PHP.exists():
        return f"{PHP} is missing (apt-get install php-cli)"
    modules = subprocess.run([str(PHP), "-m"], capture_output=True, text=True, check=False)
    missing = [
        m for m in ("pdo_pgsql", "mbstring", "intl", "dom", "curl") if m not in modules.stdout
    ]
    if missing:
        return f"PHP modules missing: {', '.join(missing)} (apt-get install php-pgsql php-...)"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root without a {RUN_AS} user (tt-rss refuses root)"
    return postgres.available()


@dataclass
class Server:
    """A running tt-rss: its URL (``SELF_URL_PATH``), its database and a raw API client."""

    url: str
    db_url: str
    root: Path
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))
    _sid: str | None = None

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST one JSON body to ``api/``; returns the whole answer."""
        response = self._http.post(self.url + "api/", json=body)
        response.raise_for_status()
        return response.json()

    def api(self, op: str, **params: Any) -> Any:
        """Call ``op`` as the admin (logging in first); returns ``content``."""
        if self._sid is None:
            answer = self.post({"op": "login", "user": USER, "password": PASSWORD})
            if answer.get("status") != 0:
                raise RuntimeError(f"tt-rss login failed: {answer}")
            self._sid = answer["content"]["session_id"]
        answer = self.post({"op": op, "sid": self._sid, **params})
        if answer.get("status") != 0:
            raise RuntimeError(f"tt-rss {op} failed: {answer}")
        return answer["content"]

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on tt-rss's database (autocommit); returns its rows, if any."""
        import psycopg

        with psycopg.connect(_libpq(self.db_url), autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def category(self, title: str) -> int:
        """Create a feed category for the admin (the API has no call for it); its id."""
        [(cat_id,)] = self.sql(
            "INSERT INTO ttrss_feed_categories (owner_uid, title) VALUES (1, %s) RETURNING id",
            (title,),
        )
        return int(cat_id)

    def subscribe(self, feed_url: str, category: str | None = None) -> int:
        """Subscribe the admin to ``feed_url`` through the API; the new feed's id."""
        cat_id = self.category(category) if category else 0
        status = self.api("subscribeToFeed", feed_url=feed_url, category_id=cat_id)["status"]
        if status.get("code") != 1:  # 1: subscribed
            raise RuntimeError(f"tt-rss could not subscribe to {feed_url}: {status}")
        return int(status["feed_id"])

    def update_feed(self, feed_id: int) -> None:
        """Have tt-rss fetch one feed now (``updateFeed`` runs the update synchronously)."""
        for cached in (self.root / "cache" / "feeds").glob("*.xml"):
            cached.unlink()  # tt-rss parses its own copy again, unfetched, for 30 s
        self.api("updateFeed", feed_id=feed_id)
        [(error,)] = self.sql("SELECT last_error FROM ttrss_feeds WHERE id = %s", (feed_id,))
        if error:
            raise RuntimeError(f"tt-rss could not fetch feed {feed_id}: {error}")

    def close(self) -> None:
        """Log out and close the HTTP client."""
        if self._sid is not None:
            with suppress(httpx.HTTPError):
                self.post({"op": "logout", "sid": self._sid})
            self._sid = None
        self._http.close()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _config(db_url: str, self_url: str, root: Path) -> str:
    """config.php (CONFIG_VERSION 26): every define sanity_config.php requires."""
    parts = urlsplit(_libpq(db_url))
    values: dict[str, Any] = {
        "DB_TYPE": "pgsql",
        "DB_HOST": parts.hostname or "127.0.0.1",
        "DB_PORT": str(parts.port or 5432),
        "DB_USER": parts.username or "postgres",
        "DB_NAME": parts.path.lstrip("/"),
        "DB_PASS": parts.password or "",
        "MYSQL_CHARSET": "UTF8",
        "SELF_URL_PATH": self_url,
        "SINGLE_USER_MODE": False,
        "SIMPLE_UPDATE_MODE": False,
        "PHP_EXECUTABLE": str(PHP),
        "LOCK_DIRECTORY": str(root / "lock"),
        "CACHE_DIR": str(root / "cache"),
        "ICONS_DIR": "feed-icons",
        "ICONS_URL": "feed-icons",
        "AUTH_AUTO_CREATE": False,
        "AUTH_AUTO_LOGIN": False,
        "FORCE_ARTICLE_PURGE": 0,
        "ENABLE_REGISTRATION": False,
        "REG_NOTIFY_ADDRESS": "test@example.com",
        "REG_MAX_USERS": 0,
        "SESSION_COOKIE_LIFETIME": 86400,
        "SMTP_FROM_NAME": "tt-rss test",
        "SMTP_FROM_ADDRESS": "test@example.com",
        "DIGEST_SUBJECT": "digest",
        "CHECK_FOR_UPDATES": False,
        "ENABLE_GZIP_OUTPUT": False,
        "PLUGINS": "auth_internal",
        "LOG_DESTINATION": "",  # PHP's own log: stderr of php -S, kept in ROOT/php.log
        "CONFIG_VERSION": 26,
    }
    lines = ["<?php"]
    for name, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = _php_string(value)
        lines.append(f"define('{name}', {text});")
    return "\n".join(lines) + "\n"


def _copy_web_tree(root: Path, config: str) -> Path:
    """Copy the web tree into ``root/www``, patched and configured; returns it."""
    www = root / "www"
    shutil.copytree(WEB, www, symlinks=True, ignore=shutil.ignore_patterns("config.php"))
    for link in [p for p in www.rglob("*") if p.is_symlink()]:
        # Debian links libraries in relatively (lib/dojo -> ../../../javascript/dojo):
        # point the copies at the same targets
        target = (WEB / link.relative_to(www)).resolve()
        link.unlink()
        link.symlink_to(target)
    (www / "feed-icons").unlink()  # a link to /var/lib/tt-rss/feed-icons
    (www / "feed-icons").mkdir()
    (www / "config.php").write_text(config)
    for name, old, new, why in PATCHES:
        path = www / name
        text = path.read_text()
        if old not in text:
            raise RuntimeError(f"tt-rss patch no longer applies to {name} ({why}): {old!r}")
        path.write_text(text.replace(old, new))
    for sub in ("lock", "cache/images", "cache/upload", "cache/export", "cache/feeds"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return www


def _load_schema(db_url: str) -> None:
    import psycopg

    password_hash = "SHA1:" + hashlib.sha1(PASSWORD.encode()).hexdigest()
    with psycopg.connect(_libpq(db_url), autocommit=True) as conn:
        conn.execute(SCHEMA.read_text())  # no parameters: several statements at once
        # an unsalted SHA1 hash is what the schema's own admin has; tt-rss salts it
        # (MODE2) at the first login
        conn.execute(
            "UPDATE ttrss_users SET pwd_hash = %s, salt = '' WHERE login = %s",
            (password_hash, USER),
        )
        conn.execute(
            "INSERT INTO ttrss_user_prefs (owner_uid, pref_name, profile, value) "
            "VALUES (1, 'ENABLE_API_ACCESS', NULL, 'true')"
        )


def _chown_tree(root: Path) -> None:
    """Give the whole folder to RUN_AS (links are left alone: they point outside)."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            if not os.path.islink(name):
                shutil.chown(name, RUN_AS, RUN_AS)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = httpx.post(url + "api/", json={"op": "getApiLevel"}, timeout=5)
            if answer.status_code == 200 and answer.json().get("content"):
                return
            detail = answer.text[:500]
        except (httpx.HTTPError, ValueError) as exc:
            detail = repr(exc)
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"tt-rss did not answer at {url}api/: {detail}\n"
                f"{log.read_text(errors='replace')[-2000:]}"
            )
        time.sleep(0.1)


@contextmanager
def running(admin_url: str) -> Iterator[Server]:
    """A tt-rss on a fresh database of the PostgreSQL server of ``admin_url``."""
    db_url = postgres.fresh_database(admin_url)
    root = Path(tempfile.mkdtemp(prefix="newsdesk-ttrss-"))
    proc: subprocess.Popen[bytes] | None = None
    server: Server | None = None
    try:
        _load_schema(db_url)
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        www = _copy_web_tree(root, _config(db_url, url, root))
        as_user: dict[str, Any] = {}
        if os.geteuid() == 0:
            _chown_tree(root)
            as_user = {"user": RUN_AS, "group": RUN_AS, "extra_groups": []}
        log = root / "php.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(PHP), "-S", f"127.0.0.1:{port}", "-t", str(www)],
                cwd=www,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root)},
                **as_user,
            )
        _wait_ready(proc, url, log)
        server = Server(url, db_url, root)
        yield server
    finally:
        if server is not None:
            server.close()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        postgres.drop_database(admin_url, db_url)
        shutil.rmtree(root, ignore_errors=True)
