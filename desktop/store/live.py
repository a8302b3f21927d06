"""Live updates on PostgreSQL: listen to the notifications the triggers send.

Schema step ``v0005_notify`` makes every statement that changes triage, tags or
articles send ``KIND:ID,ID,…`` (or ``KIND:*`` when too many) on
:data:`CHANNEL` at commit. A :class:`Listener` holds its own autocommit
psycopg connection, ``LISTEN``\\ s on a thread of its own, waits on the socket
(no polling of tables), and hands each batch of :class:`Notice` values to a
callback on that thread. Notices sent by the caller's own writer connections
(``ignore_pids``) are dropped: a window applies its own changes already. When
the connection is lost it reconnects (with a growing pause) and hands over a
``reload`` notice, since changes may have been missed meanwhile.
:meth:`Listener.stop` wakes the thread through a pipe and joins it. No Qt here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "newsdesk_changes"
KINDS = ("triage", "tags", "new", "articles", "gone")
"""What a notice may report (see ``migrations.v0005_notify``)."""
RECONNECTED = "reconnected"
"""The kind of the notice handed over after a lost connection came back."""
KEEPALIVE_S = 5.0
"""With nothing to read for this long, the connection is checked (``SELECT 1``)."""
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Pauses before successive reconnection attempts (the last one repeats)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification: which articles changed, and how."""

    kind: str
    ids: frozenset[int]
    reload: bool = False
    """True when the ids are unknown (too many for one payload, or a reconnection):
    reread everything shown."""
    pid: int = 0
    """The server process that sent it (0 for the listener's own notices)."""
    at: float = 0.0
    """``time.time()`` when it was received."""


def parse(payload: str, pid: int = 0, at: float = 0.0) -> Notice | None:
    """A :class:`Notice` from a payload ``KIND:ID,…`` / ``KIND:*``; None if malformed."""
    kind, sep, rest = payload.partition(":")
    if not sep or not kind:
        return None
    if rest == "*":
        return Notice(kind, frozenset(), True, pid, at)
    try:
        ids = frozenset(int(x) for x in rest.split(",") if x)
    except ValueError:
        return None
    return Notice(kind, ids, False, pid, at)


def merge(notices: Iterable[Notice]) -> tuple[set[int], set[int], bool]:
    """(changed ids, deleted ids, reload) of a batch of notices."""
    changed: set[int] = set()
    gone: set[int] = set()
    reload = False
    for n in notices:
        reload = reload or n.reload
        (gone if n.kind == "gone" else changed).update(n.ids)
    return changed, gone, reload


Deliver = Callable[[list[Notice]], Any]


class Listener:
    """A thread listening on :data:`CHANNEL` of the database at ``url``."""

    def __init__(
        self,
        url: str,
        deliver: Deliver,
        *,
        ignore_pids: Collection[int] = (),
        keepalive: float = KEEPALIVE_S,
        name: str = "newsdesk-live",
        password: str | None = None,
    ) -> None:
        self.url = url
        self._password = password
        self._deliver = deliver
        self._ignore = ignore_pids
        self._keepalive = keepalive
        self._name = name
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self.pid: int | None = None
        """Server process id of the listening connection (while connected)."""
        self.connects = 0
        """Successful connections so far (more than one: it reconnected)."""
        self.last_error = ""

    def start(self) -> Listener:
        """Start the thread (returns self)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        return self

    def wait_listening(self, timeout: float = 10.0) -> bool:
        """Block until ``LISTEN`` is in place (True) or ``timeout`` passes (False)."""
        return self._listening.wait(timeout)

    @property
    def listening(self) -> bool:
        """Connected and listening right now."""
        return self._listening.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        """Wake the thread, close its connection and wait for it to end."""
        if self._stop.is_set():
            return
        self._stop.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- the thread ---------------------------------------------------------
    def _run(self) -> None:
        import psycopg

        from desktop.store.postgres import connect_args, libpq_url, redact

        auth = connect_args(self._password)
        failures = 0
        while not self._stop.is_set():
            conn = None
            try:
                conn = psycopg.connect(
                    libpq_url(self.url), autocommit=True, connect_timeout=5, **auth
                )
                conn.execute(f"LISTEN {CHANNEL}")
                self.pid = int(conn.info.backend_pid)
                self.connects += 1
                failures = 0
                self._listening.set()
                if self.connects > 1:  # changes may have been missed while away
                    self._hand([Notice(RECONNECTED, frozenset(), True, 0, time.time())])
                self._pump(conn)
            except psycopg.Error as exc:
                self.last_error = str(exc).strip()
                log.info("live updates from %s: %s", redact(self.url), self.last_error)
            finally:
                self._listening.clear()
                self.pid = None
                if conn is not None:
                    with contextlib.suppress(psycopg.Error):
                        conn.close()
            if self._stop.is_set():
                break
            pause = RETRY_S[min(failures, len(RETRY_S) - 1)]
            failures += 1
            if self._sleep(pause):
                break

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` or until stopped; True when stopped."""
        try:
            ready, _, _ = select.select([self._wake_r], [], [], seconds)
        except (OSError, ValueError):
            return True
        return bool(ready) or self._stop.is_set()

    def _pump(self, conn: Any) -> None:
        fd = conn.fileno()
        while not self._stop.is_set():
            ready, _, _ = select.select([fd, self._wake_r], [], [], self._keepalive)
            if self._wake_r in ready or self._stop.is_set():
                return
            notes = list(conn.notifies(timeout=0))
            if not notes:
                # nothing for a while, or the socket woke us with no notification (the
                # server closing it, say): a round trip raises if the link is gone
                conn.execute("SELECT 1")
                notes = list(conn.notifies(timeout=0))
            if notes:
                self._received(notes)

    def _received(self, notes: list[Any]) -> None:
        now = time.time()
        batch = []
        for n in notes:
            if n.channel != CHANNEL or n.pid in self._ignore:
                continue
            notice = parse(n.payload, n.pid, now)
            if notice is not None:
                batch.append(notice)
        if batch:
            self._hand(batch)

    def _hand(self, batch: list[Notice]) -> None:
        try:
            self._deliver(batch)
        except Exception:  # a receiver's bug must not end live updates
            log.exception("live update receiver failed")
