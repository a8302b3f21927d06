"""The one facade the window and the command line call.

``Newsdesk`` owns the database handle and knows how to run every user-level
operation: sources, refresh, lists, triage with undo, enrichment. Mutations
return :class:`~desktop.triage.changes.Changes`. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from desktop.paths import DataPaths
from desktop.store import dialect, queries
from desktop.store.database import Database
from desktop.timeutil import now_iso
from desktop.triage import actions, oneshot
from desktop.triage.changes import Changes


class UserError(Exception):
    """A problem the user can fix; the message says how."""


@dataclass(frozen=True, slots=True)
class NewSource:
    """A source that :meth:`Newsdesk.add_source` created."""

    id: int
    url: str
    title: str


def normalise_url(text: str) -> str:
    """Accept http(s) and file URLs, and local paths (made into file:// URLs)."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https", "file"):
        if parts.scheme != "file" and not parts.netloc:
            raise UserError(f"not a valid URL: {text}")
        return text
    if parts.scheme and len(parts.scheme) > 1:
        raise UserError(f"unsupported URL scheme {parts.scheme!r}: use http, https or file")
    path = Path(text).expanduser()
    if path.exists():
        return path.resolve().as_uri()
    if "." in text and " " not in text and "/" not in text.split(".")[0]:
        return "https://" + text
    raise UserError(f"not a URL or an existing file: {text}")


def _insert_source(
    conn: Any, url: str, title: str, folder: str | None, username: str | None
) -> int:
    existing = conn.exec_driver_sql("SELECT id FROM sources WHERE url = ?", (url,)).fetchone()
    if existing:
        raise UserError(f"already subscribed: {url} is source {existing[0]}")
    cur = conn.exec_driver_sql(
        "INSERT INTO sources (url, title, folder, username, created_at) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id",
        (url, title, folder or None, username, now_iso()),
    )
    return int(cur.scalar_one())


class Newsdesk:
    """The backend as one object: build it with :meth:`open`, close it when done."""

    def __init__(self, paths: DataPaths, db: Database) -> None:
        self.paths = paths
        self.db = db
        self._cpu: Executor | None = None
        self._enricher: Any = None
        self._listeners: list[Any] = []

    @classmethod
    def open(
        cls,
        paths: DataPaths,
        database: Path | str | None = None,
        *,
        user: str | None = None,
        person: bool = True,
    ) -> Newsdesk:
        """Open (creating or migrating) the database: ``database`` (a SQLite file or a
        PostgreSQL URL) when given, else the SQLite file in ``paths``; for the person
        ``user`` (default: ``$NEWSDESK_USER``, else the login name), who is created
        when new unless ``person`` is False (see ``Database``)."""
        target = database if database is not None else paths.database
        return cls(paths, Database(target, user=user, person=person))

    @property
    def user(self) -> str:
        """The name of the person this backend acts for."""
        return self.db.user

    def close(self) -> None:
        """Stop listeners and workers, and close the database."""
        for listener in self._listeners:
            listener.stop()
        self._listeners.clear()
        if self._cpu is not None:
            self._cpu.shutdown(wait=True, cancel_futures=True)
            self._cpu = None
        self.db.close()

    def __enter__(self) -> Newsdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def live(self) -> bool:
        """Whether other clients' changes arrive as notifications (PostgreSQL)."""
        return self.db.url is not None

    def listen(self, deliver: Any, *, own: bool = False) -> Any:
        """On PostgreSQL, start a ``store.live.Listener`` that hands batches of
        ``Notice`` (ids changed by other clients) to ``deliver`` on its own thread;
        with ``own`` this handle's own commits are reported too. None on SQLite
        (poll ``db.others_committed`` there). Stopped by :meth:`close` at the latest."""
        if self.db.url is None:
            return None
        from desktop.store.live import Listener

        ignore: Any = () if own else self.db.writer_pids
        listener = Listener(
            self.db.url, deliver, ignore_pids=ignore, password=self.db.password
        ).start()
        self._listeners.append(listener)
        return listener

    def cpu(self, kind: str = "process") -> Executor:
        """The CPU worker pool, started on first use."""
        if self._cpu is None:
            from desktop.workers import cpu_pool

            self._cpu = cpu_pool(kind)
        return self._cpu

    # -- sources -------------------------------------------------------------
    async def add_source(
        self,
        url: str,
        *,
        folder: str | None = None,
        title: str | None = None,
        username: str | None = None,
        password: str | None = None,
        discover: bool = True,
    ) -> NewSource:
        """Subscribe to a feed URL, or to the first feed a web page advertises."""
        from desktop.sources.discover import find_feeds
        from desktop.sources.feed import FeedParseError
        from desktop.sources.http import Fetcher, HttpSettings
        from desktop.sources.parse import parse_feed

        url = normalise_url(url)
        feed_title = None
        if discover:
            async with Fetcher(HttpSettings()) as fetcher:
                result = await fetcher.fetch(url)
                if result.error:
                    raise UserError(f"could not fetch {url}: {result.error}")
                body = result.body or b""
                try:
                    feed = await asyncio.to_thread(
                        parse_feed, body, result.final_url, result.content_type
                    )
                    feed_title = feed.title
                    if result.permanent_url:
                        url = result.permanent_url
                except FeedParseError as exc:
                    found = find_feeds(body, result.final_url)
                    if not found:
                        raise UserError(f"{url} is not a feed and links to none ({exc})") from exc
                    url = found[0].url
                    feed_title = found[0].title
        final_title = title or feed_title or ""
        if username:
            from desktop.sources.credentials import CredentialStore, CredentialsUnavailable

            try:
                CredentialStore().set(f"source:{url}", username, password or "")
            except CredentialsUnavailable as exc:
                raise UserError(str(exc)) from exc
        source_id = await self.db.write_async(_insert_source, url, final_title, folder, username)
        return NewSource(source_id, url, final_title)

    def sources(self) -> list[dict[str, Any]]:
        """Every source with counts and its last error."""
        return self.db.read(queries.source_rows)

    def import_opml(self, data: bytes) -> tuple[list[NewSource], list[str]]:
        """Subscribe to every feed of an OPML document; returns (added, skipped-with-reason)."""
        from desktop.sources.opml import read_opml

        outlines = read_opml(data)
        added: list[NewSource] = []
        skipped: list[str] = []

        def work(conn: Any) -> None:
            for o in outlines:
                try:
                    url = normalise_url(o.url)
                    sid = _insert_source(conn, url, o.title or "", o.folder, None)
                    if o.site_url:
                        conn.exec_driver_sql(
                            "UPDATE sources SET site_url = ? WHERE id = ?", (o.site_url, sid)
                        )
                    added.append(NewSource(sid, url, o.title or ""))
                except UserError as exc:
                    skipped.append(f"{o.url}: {exc}")

        self.db.write(work)
        return added, skipped

    def export_opml(self) -> str:
        """All sources as OPML, folders kept."""
        from desktop.sources.opml import OpmlOutline, write_opml

        rows = self.sources()
        return write_opml(
            OpmlOutline(r["url"], r["title"] or r["url"], r["folder"], r["site_url"]) for r in rows
        )

    # -- refresh -------------------------------------------------------------
    def due_sources(self, include_all: bool = False) -> list[int]:
        """Ids of enabled sources due for a fetch (or all enabled ones)."""
        from desktop.store.ingest import due_source_ids

        return self.db.read(lambda c: due_source_ids(c, include_all=include_all))

    async def refresh(
        self,
        source_ids: Sequence[int],
        *,
        progress: Any = None,
        pool: str = "process",
        settings: Any = None,
        default_minutes: int | None = None,
    ) -> Any:
        """Fetch ``source_ids`` and store what is new; returns a ``RefreshReport``.

        ``default_minutes`` is the refresh interval of sources without their own.
        """
        from desktop.sources.refresh import Refresher
        from desktop.store.ingest import DEFAULT_REFRESH_MINUTES

        refresher = Refresher(
            self.db,
            self.cpu(pool),
            settings=settings,
            progress=progress,
            default_minutes=default_minutes or DEFAULT_REFRESH_MINUTES,
        )
        return await refresher.run(source_ids)

    # -- reading -------------------------------------------------------------
    def list_articles(self, query: queries.ArticleQuery) -> list[queries.ArticleRow]:
        """One keyset page of articles."""
        return self.db.read(queries.list_articles, query)

    def article(self, article_id: int) -> dict[str, Any] | None:
        """One article with its sanitised HTML, text, tags and story copies."""
        return self.db.read(queries.article_detail, article_id)

    # -- triage --------------------------------------------------------------
    def mark(self, ids: Iterable[int], action: str, *, whole_story: bool = True) -> Changes:
        """Apply a triage action; on a folded story it applies to all its copies."""
        ids = [int(i) for i in ids]
        if self.db.dialect == "postgresql":  # one statement, one round trip
            return self.db.write_single(oneshot.mark, ids, action, whole_story)

        def work(conn: Any) -> Changes:
            targets = queries.story_members(conn, ids) if whole_story else ids
            return actions.set_state(conn, targets, action)

        return self.db.write(work)

    def tag(self, ids: Iterable[int], tag: str, present: bool = True) -> Changes:
        """Add or remove a tag as this person's own word (it wins over every model and
        rule for them; others see an addition attributed, see ``store.tagging``)."""
        ids = [int(i) for i in ids]
        return self.db.write(lambda c: actions.set_user_tag(c, ids, tag, present))

    def undo(self) -> Changes | None:
        """Undo the last triage action (bulk ones whole)."""
        if self.db.dialect == "postgresql":  # a state change: one statement
            handled, changes = self.db.write_single(oneshot.undo)
            if handled:
                return changes
        return self.db.write(actions.undo)

    def redo(self) -> Changes | None:
        """Redo the last undone action."""
        return self.db.write(actions.redo)

    def existing_ids(self, ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` are stored articles."""
        ids = [int(i) for i in ids]
        return set(
            self.db.read(
                lambda c: [
                    r[0]
                    for r in c.exec_driver_sql(
                        f"SELECT id FROM articles WHERE id IN ({dialect.of(c).values()})",
                        (json.dumps(ids),),
                    ).fetchall()
                ]
            )
        )

    # -- enrichment ----------------------------------------------------------
    def rule_set(self) -> Any:
        """The enabled user rules, compiled (bad ones are reported, not fatal)."""
        from desktop.enrich.rules import RuleError, RuleSet, parse_rule

        rows = self.db.read(
            lambda c: c.exec_driver_sql(
                "SELECT id, definition FROM rules WHERE enabled = 1 ORDER BY position, id"
            ).fetchall()
        )
        rules = []
        for rule_id, definition in rows:
            try:
                data = json.loads(definition)
                data["id"] = rule_id
                rules.append(parse_rule(data))
            except (RuleError, ValueError):
                continue
        return RuleSet(rules)

    def add_rule(self, definition: dict[str, Any]) -> int:
        """Validate and store a rule; raises ``UserError`` with the reason when it is bad."""
        from desktop.enrich.rules import RuleError, parse_rule, rule_to_dict

        try:
            rule = parse_rule(definition)
        except RuleError as exc:
            raise UserError(str(exc)) from exc
        data = rule_to_dict(rule)
        return self.db.write(
            lambda c: int(
                c.exec_driver_sql(
                    "INSERT INTO rules (name, definition, enabled, created_at) VALUES (?, ?, ?, ?) "
                    "RETURNING id",
                    (rule.name, json.dumps(data, ensure_ascii=False), rule.enabled, now_iso()),
                ).scalar_one()
            )
        )

    def rules(self) -> list[dict[str, Any]]:
        """Stored rules: id, name, enabled and their definition."""
        rows = self.db.read(
            lambda c: c.exec_driver_sql(
                "SELECT id, name, enabled, definition FROM rules ORDER BY position, id"
            ).fetchall()
        )
        return [
            {"id": r[0], "name": r[1], "enabled": bool(r[2]), "definition": json.loads(r[3])}
            for r in rows
        ]

    def remove_rule(self, rule_id: int) -> bool:
        """Delete a rule; False when there was none with that id."""
        return bool(
            self.db.write(
                lambda c: c.exec_driver_sql("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount
            )
        )

    def apply_rules(self, batch: int = 2000) -> Changes:
        """Apply the enabled rules to every stored article, now.

        Tags are added with origin 'rule'; flag/archive/read/hide become one
        undoable triage action each.
        """
        from desktop.store.enrichment import rule_matches

        rules = self.rule_set()
        hits: dict[str, list[int]] = {"flag": [], "archive": [], "read": [], "hide": []}
        last = 0
        while True:
            new_last, found = self.db.write(rule_matches, rules, last, batch)
            if new_last == last:
                break
            last = new_last
            for action, ids in found.items():
                hits[action].extend(ids)
        result = Changes(fields=frozenset({"tags"}), description="apply rules")
        for action, ids in hits.items():
            if ids:
                changed = self.db.write(
                    lambda c, a=action, i=ids: actions.set_state(
                        c, i, a, description=f"rules: {a} {len(i)}"
                    )
                )
                result = result.merge(changed)
        return result

    def learn_from_labels(self, *, force: bool = False) -> bool:
        """Refit the user's topic model when their tag corrections changed.

        The labels are the user's own tag rows (added: positive, removed:
        negative). Returns True when the model was refitted.
        """
        from desktop.enrich.learning import refit_user_model
        from desktop.enrich.topic_features import FEATURES_VERSION
        from desktop.enrich.topics import Taxonomy
        from desktop.store import labels

        # the model is refitted when the labels or the features they are read with change
        signature = f"{self.db.read(labels.labels_signature)} features {FEATURES_VERSION}"
        stamp = self.paths.root / "user-topics.signature"
        if not force and stamp.exists() and stamp.read_text(encoding="utf-8") == str(signature):
            return False
        rows = self.db.read(labels.user_labels)
        if not rows:
            stamp.write_text(str(signature), encoding="utf-8")
            return False
        from desktop.enrich.semantic import SemanticPass

        embedder = None
        if SemanticPass.available():  # with the semantic layer, new topics learn from e5 too
            embedder = SemanticPass(self.paths.semantic_state).embedder()
        refit_user_model(
            rows,
            self.paths.topic_model,
            background=self.db.read(lambda c: labels.background_articles(c, 300)),
            canonical=Taxonomy.load().aliases,
            embedder=embedder,
        )
        stamp.write_text(str(signature), encoding="utf-8")
        return True

    def semantic_pass(self, limit: int = 64) -> Any:
        """Background topic pass with the semantic model (None when it is not installed)."""
        from desktop.enrich.semantic import semantic_pass

        user_model = self.paths.topic_model if self.paths.topic_model.exists() else None
        return semantic_pass(self.db, self.paths.semantic_state, limit, user_model=user_model)

    def enrich_pending(
        self, *, redo_all: bool = False, batch: int = 256, in_process_below: int = 2000
    ) -> tuple[int, float]:
        """Enrich every article below the current enrichment version, in batches.

        Resumable: each batch commits on its own, so a killed run continues
        where it stopped. Small jobs run in this process; large ones in the pool.
        """
        import time

        from desktop.enrich.pipeline import ENRICH_VERSION, enrich_batch
        from desktop.store import enrichment

        started = time.perf_counter()
        self.learn_from_labels()
        user_model = str(self.paths.topic_model) if self.paths.topic_model.exists() else None
        if redo_all:
            from desktop.enrich.semantic import reset_state

            reset_state(self.paths.semantic_state)
            self.db.write(
                lambda c: c.exec_driver_sql("UPDATE articles SET enriched = 0 WHERE enriched != 0")
            )
        pending = self.db.read(enrichment.count_pending, ENRICH_VERSION)
        if not pending:
            return 0, time.perf_counter() - started
        rules = self.rule_set()
        pool = self.cpu() if pending >= in_process_below else None
        done = 0
        last_id = 0
        in_flight: list[Any] = []

        def drain(future: Any) -> int:
            outputs = future.result() if pool else future
            self.db.write(enrichment.apply_outputs, outputs, ENRICH_VERSION, rules)
            return len(outputs)

        while True:
            items = self.db.read(enrichment.pending_inputs, ENRICH_VERSION, last_id, batch)
            if not items:
                break
            last_id = items[-1].id
            if pool is None:
                done += drain(enrich_batch(items, user_model))
                continue
            in_flight.append(pool.submit(enrich_batch, items, user_model))
            if len(in_flight) >= 4:
                done += drain(in_flight.pop(0))
        for future in in_flight:
            done += drain(future)
        return done, time.perf_counter() - started

    # -- saved searches (added by the triage-window work on issue 4) ------------
    # Undoable like triage actions (desktop.triage.searches logs them).

    def save_search(self, name: str, query: str) -> Changes:
        """Save ``query`` (search text or ``SavedFilter.encode()``) under ``name``."""
        from desktop.triage import searches

        return self.db.write(searches.save_search, name, query)

    def rename_search(self, old: str, new: str) -> Changes:
        """Rename a saved search."""
        from desktop.triage import searches

        return self.db.write(searches.rename_search, old, new)

    def delete_search(self, name: str) -> Changes:
        """Delete a saved search (undo brings it back)."""
        from desktop.triage import searches

        return self.db.write(searches.delete_search, name)

    # -- end of saved searches ------------------------------------------------------

    # -- managing sources and settings (issue 5) ---------------------------------
    # Thin wrappers over desktop.sources.manage, desktop.store.retention,
    # desktop.sources.samples and desktop.sources.fulltext (see those modules).

    def source_properties(self, source_id: int) -> Any:
        """A source's editable properties and fetch status (``manage.SourceProperties``)."""
        from desktop.sources import manage

        return self.db.read(manage.properties, int(source_id))

    def update_source(self, source_id: int, **changes: Any) -> Changes:
        """Rename, move, enable/disable or set properties of a source."""
        from desktop.sources import manage

        try:
            changed = self.db.write(manage.update, int(source_id), changes)
        except manage.ManageError as exc:
            raise UserError(str(exc)) from exc
        return Changes(
            source_ids=frozenset({int(source_id)}), fields=frozenset(changed) | {"source"}
        )

    def set_source_secret(self, source_id: int, username: str, secret: str) -> None:
        """Keep a source's password or token in the system keyring (never in the database).

        The user name is stored with the source only once the keyring took the
        secret; without a keyring, ``UserError`` says so and nothing is stored.
        An empty ``username`` removes the credentials.
        """
        from desktop.sources.credentials import CredentialStore, CredentialsUnavailable

        props = self.source_properties(source_id)
        store = CredentialStore()
        try:
            if not username:
                if props.username:
                    store.delete(f"source:{props.url}", props.username)
            else:
                store.set(f"source:{props.url}", username, secret)
                if props.username and props.username != username:
                    store.delete(f"source:{props.url}", props.username)
        except CredentialsUnavailable as exc:
            raise UserError(str(exc)) from exc
        self.update_source(source_id, username=username or None)

    def delete_source(self, source_id: int, *, keep_flagged: bool = True) -> Changes:
        """Unsubscribe; flagged articles move to "Kept articles" when ``keep_flagged``."""
        import contextlib

        from desktop.sources import manage

        try:
            gone = self.db.write(manage.delete, int(source_id), keep_flagged)
        except manage.ManageError as exc:
            raise UserError(str(exc)) from exc
        if gone.username:
            from desktop.sources.credentials import CredentialStore, CredentialsUnavailable

            # without a keyring nothing can have been stored there either
            with contextlib.suppress(CredentialsUnavailable):
                CredentialStore().delete(f"source:{gone.url}", gone.username)
        touched = {int(source_id)} | ({gone.kept_source_id} if gone.kept_source_id else set())
        return Changes(
            source_ids=frozenset(touched),
            fields=frozenset({"source", "deleted"}),
            description=f"deleted {gone.deleted_articles} articles, kept {gone.kept_articles}",
        )

    def retry_source(self, source_id: int) -> None:
        """Make a source due now (the caller refreshes it)."""
        from desktop.sources import manage

        self.db.write(manage.retry_now, int(source_id))

    async def discover_feeds(self, url: str) -> list[Any]:
        """The feeds at ``url`` (the feed itself or those a page links to), for the user to pick."""
        from desktop.sources import manage

        try:
            return await manage.discover(url)
        except manage.ManageError as exc:
            raise UserError(str(exc)) from exc

    def add_samples(self) -> list[int]:
        """Subscribe to the bundled sample feeds (copies in the data folder); source ids."""
        from desktop.sources.samples import add_samples

        return add_samples(self)

    def purge_old(self, days: int) -> Any:
        """Purge read/archived articles older than ``days`` (tombstoned; flagged kept)."""
        from desktop.store import retention

        return retention.purge(self.db, int(days))

    async def fetch_full_article(self, article_id: int, *, force: bool = False) -> Any:
        """Fetch and store the full text of an article's page, once (``fulltext.FullText``)."""
        from desktop.sources import fulltext

        try:
            return await fulltext.fetch_full_article(self.db, int(article_id), force=force)
        except fulltext.FullTextError as exc:
            raise UserError(str(exc)) from exc

    # -- accounts on feed servers (issue 7) ------------------------------------------
    # Thin wrappers over desktop.sync (accounts, engine); passwords only in the keyring.

    def add_account(self, kind: str, url: str, username: str, password: str) -> int:
        """Add a Fever/Google Reader/TT-RSS account; the password goes to the keyring only."""
        from desktop.sources.credentials import CredentialStore, CredentialsUnavailable
        from desktop.sync import accounts

        try:
            url = accounts.check_url(url)
            account_id = self.db.write(accounts.add, kind, url, username)
        except accounts.AccountError as exc:
            raise UserError(str(exc)) from exc
        try:
            CredentialStore().set(accounts.secret_key(kind, url), username, password)
        except CredentialsUnavailable as exc:
            self.db.write(
                lambda c: c.exec_driver_sql("DELETE FROM accounts WHERE id = ?", (account_id,))
            )
            raise UserError(str(exc)) from exc
        return account_id

    def accounts(self) -> list[dict[str, Any]]:
        """Every account with its counts and last sync/error."""
        from desktop.sync import accounts

        return self.db.read(accounts.rows)

    def remove_account(self, account_id: int, *, keep_flagged: bool = True) -> None:
        """Remove an account, its sources and articles (flagged kept), and its password."""
        import contextlib

        from desktop.sources.credentials import CredentialStore, CredentialsUnavailable
        from desktop.sync import accounts

        try:
            gone = self.db.write(accounts.remove, int(account_id), keep_flagged)
        except accounts.AccountError as exc:
            raise UserError(str(exc)) from exc
        with contextlib.suppress(CredentialsUnavailable):
            CredentialStore().delete(accounts.secret_key(gone.kind, gone.url), gone.username)

    async def sync(
        self, account_ids: Sequence[int] | None = None, *, pool: str | None = "thread"
    ) -> list[Any]:
        """Sync accounts with their servers (default: all); returns a ``SyncReport`` each."""
        from desktop.sources.credentials import CredentialStore, CredentialsUnavailable
        from desktop.sync import accounts
        from desktop.sync.engine import SyncEngine

        def secret(account: Any) -> str | None:
            try:
                return CredentialStore().get(
                    accounts.secret_key(account.kind, account.url), account.username
                )
            except CredentialsUnavailable:
                return None

        if account_ids is not None:
            known = {a["id"] for a in self.accounts()}
            missing = sorted(set(account_ids) - known)
            if missing:
                raise UserError(f"no account {', '.join(map(str, missing))}")
        from desktop.workers import cpu_pool

        cpu = cpu_pool(pool) if pool else None  # its own pool: enrichment keeps self.cpu()
        try:
            return await SyncEngine(self.db, secret, cpu).sync(account_ids)
        finally:
            if cpu is not None:
                cpu.shutdown(wait=False, cancel_futures=True)
