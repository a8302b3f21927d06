"""Read queries: keyset-paged article lists, details, counts, FTS search.

Lists never load all rows: they take a page after a ``(published, id)``
cursor, in the order of the matching index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from desktop.store import dialect
from desktop.store.dialect import SQLITE, Dialect
from desktop.store.people import flagged_by_others, me
from desktop.store.tagging import TAGGED_BY_SQL, TOPIC_SQL, article_tags, page_tags, topic_clause

VIEWS = ("inbox", "unread", "flagged", "archived", "all")


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    """One list request: a view and filters that combine, plus the page cursor."""

    view: str = "inbox"
    language: str | None = None
    languages: tuple[str, ...] = ()
    """The languages the user chose to see (setting); articles of unknown or
    not yet detected language stay visible. Empty: every language."""
    topic: str | None = None
    source_ids: tuple[int, ...] = ()
    folder: str | None = None
    search: str | None = None
    limit: int = 50
    after: tuple[str, int] | None = None
    """Keyset cursor: the (published, id) of the last row of the previous page."""
    include_hidden: bool = False
    flagged_by: str | None = None
    """Only articles this person (by name) flagged, whoever is looking."""
    tagged_by: str | None = None
    """Only articles this person (by name) added a tag to, whoever is looking."""


@dataclass(slots=True)
class ArticleRow:
    """One list row (no body text)."""

    id: int
    source_id: int
    source: str
    title: str
    url: str | None
    published: str
    language: str | None
    title_language: str | None
    story_id: int | None
    read: bool
    flagged: bool
    archived: bool
    topics: list[str] = field(default_factory=list)
    folder: str | None = None
    flagged_by: list[str] = field(default_factory=list)
    """Names of the *other* people who flagged it (``flagged`` is mine)."""
    tagged_by: dict[str, list[str]] = field(default_factory=dict)
    """Tag → names of the *other* people who added it (``topics`` are mine)."""

    @classmethod
    def from_row(cls, r: Any) -> ArticleRow:
        """Build a row from (id, source_id, source, title, url, published, language,
        title_language, story_id, read, flagged, archived, folder)."""
        return cls(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8],
            bool(r[9]), bool(r[10]), bool(r[11]), [], r[12],
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The contract shape of ``newsdesk list --json``."""
        return {
            "id": self.id,
            "source_id": self.source_id,
            "source": self.source,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "language": self.language,
            "title_language": self.title_language,
            "topics": self.topics,
            "story_id": self.story_id,
            "read": self.read,
            "flagged": self.flagged,
            "archived": self.archived,
            "flagged_by": self.flagged_by,
            "tagged_by": self.tagged_by,
        }


def triage_join(conn: Any) -> str:
    """``JOIN triage t`` on ``a.id`` for the person ``conn`` acts for (their row only)."""
    return f"JOIN triage t ON t.article_id = a.id AND t.person_id = {me(conn)}"


_VIEW_SQL = {
    "inbox": "t.archived = 0",
    "unread": "t.read = 0 AND t.archived = 0",
    "flagged": "t.flagged = 1",
    "archived": "t.archived = 1",
    "all": "1 = 1",
}

FTS_DRIVE_LIMIT = 2000
"""A search matching fewer articles reads them by the FTS index and sorts them; one
matching more walks the date index newest first and keeps the matches (stops after a page)."""


def fts_drives(conn: Any, q: ArticleQuery) -> bool:
    """Whether a search in ``q`` is rare enough to read its matches first (see above)."""
    d = dialect.of(conn)
    match = d.search_param(q.search or "")
    if match is None:
        return True
    n = conn.exec_driver_sql(d.search_count(), (match, FTS_DRIVE_LIMIT)).scalar()
    return int(n) < FTS_DRIVE_LIMIT


def _where(
    q: ArticleQuery, fts_drive: bool = True, d: Dialect = SQLITE, conn: Any = None
) -> tuple[list[str], list[Any]]:
    """WHERE clauses over ``articles a`` joined to my ``triage t`` for ``q``.

    With ``conn`` a topic filter takes the cheapest exact form for me
    (``tagging.topic_clause``); without, the general one."""
    if q.view not in _VIEW_SQL:
        raise ValueError(f"unknown view {q.view!r} (one of {', '.join(VIEWS)})")
    clauses = [_VIEW_SQL[q.view]]
    params: list[Any] = []
    if not q.include_hidden:
        clauses.append("t.hidden = 0")
    if q.language:
        clauses.append("a.language = ?")
        params.append(q.language)
    if q.languages:
        clauses.append(
            f"(a.language IS NULL OR a.language = 'und' OR a.language IN ({d.values('text')}))"
        )
        params.append(json.dumps(list(q.languages)))
    if len(q.source_ids) == 1:  # equality: the (source, date) index gives the order
        clauses.append("a.source_id = ?")
        params.append(int(q.source_ids[0]))
    elif q.source_ids:
        clauses.append(f"a.source_id IN ({d.values()})")
        params.append(json.dumps(list(q.source_ids)))
    if q.folder is not None:
        clauses.append("a.source_id IN (SELECT id FROM sources WHERE folder = ?)")
        params.append(q.folder)
    if q.topic:  # my effective tags (desktop.store.tagging)
        sql, args = topic_clause(conn, q.topic) if conn is not None else (TOPIC_SQL, [q.topic] * 3)
        clauses.append(sql)
        params.extend(args)
    if q.flagged_by is not None:
        clauses.append(
            "a.id IN (SELECT f.article_id FROM triage f JOIN people p ON p.id = f.person_id "
            "WHERE p.name = ? AND f.flagged = 1)"
        )
        params.append(q.flagged_by)
    if q.tagged_by is not None:
        clauses.append(TAGGED_BY_SQL)
        params.append(q.tagged_by)
    if q.search:
        match = d.search_param(q.search)
        if match is None:
            clauses.append("1 = 0")
        else:
            column = "a.id" if fts_drive else "+a.id"  # unary + keeps the date index in charge
            clauses.append(d.search_clause(column))
            params.append(match)
    return clauses, params


def list_articles(conn: Any, q: ArticleQuery) -> list[ArticleRow]:
    """One page of articles, newest first, after ``q.after``."""
    d = dialect.of(conn)
    drive = fts_drives(conn, q) if q.search and d.has_fts_table else True
    clauses, params = _where(q, drive, d, conn)
    if q.after is not None:
        clauses.append("(a.published, a.id) < (?, ?)")
        params.extend(q.after)
    sql = (
        "SELECT a.id, a.source_id, s.title, a.title, a.url, a.published, a.language, "
        "a.title_language, a.story_id, t.read, t.flagged, t.archived, s.folder "
        f"FROM articles a {triage_join(conn)} "
        "JOIN sources s ON s.id = a.source_id "
        f"WHERE {' AND '.join(clauses)} ORDER BY a.published DESC, a.id DESC LIMIT ?"
    )
    params.append(int(q.limit))
    rows = [ArticleRow.from_row(r) for r in conn.exec_driver_sql(sql, tuple(params)).fetchall()]
    attach_topics(conn, rows)
    return rows


def attach_topics(conn: Any, rows: list[ArticleRow]) -> None:
    """Fill ``topics`` of each row (my effective tags: my additions, then the machine's
    best first), ``tagged_by`` (who else added which tag) and ``flagged_by`` (who else
    flagged it), with a few queries for the whole page."""
    if not rows:
        return
    by_id = {r.id: r for r in rows}
    for article_id, who in flagged_by_others(conn, list(by_id)).items():
        by_id[article_id].flagged_by = who
    topics, others = page_tags(conn, list(by_id))
    for article_id, row in by_id.items():
        row.topics = topics.get(article_id, [])
        row.tagged_by = others.get(article_id, {})


_VIEW_COUNTS_SQL = {
    "inbox": "archived = 0",
    "unread": "read = 0 AND archived = 0",
    "flagged": "flagged = 1",
    "archived": "archived = 1",
    "all": "1 = 1",
}


def count_articles(conn: Any, q: ArticleQuery) -> int:
    """How many articles match ``q`` (ignoring the cursor and limit).

    Without a topic or a search this reads the trigger-kept ``article_counts``.
    """
    d = dialect.of(conn)
    if (
        not q.topic
        and not q.search
        and q.flagged_by is None
        and q.tagged_by is None
        and q.view in _VIEW_COUNTS_SQL
    ):
        where = [f"person_id = {me(conn)}", _VIEW_COUNTS_SQL[q.view]]
        args: list[Any] = []
        if not q.include_hidden:
            where.append("hidden = 0")
        if q.language:
            where.append("language = ?")
            args.append(q.language)
        if q.languages:
            where.append(f"(language = 'und' OR language IN ({d.values('text')}))")
            args.append(json.dumps(list(q.languages)))
        if q.source_ids:
            where.append(f"source_id IN ({d.values()})")
            args.append(json.dumps(list(q.source_ids)))
        if q.folder is not None:
            where.append("source_id IN (SELECT id FROM sources WHERE folder = ?)")
            args.append(q.folder)
        sql = f"SELECT coalesce(sum(n), 0) FROM article_counts WHERE {' AND '.join(where)}"
        return int(conn.exec_driver_sql(sql, tuple(args)).scalar())
    clauses, params = _where(q, True, d, conn)
    sql = f"SELECT count(*) FROM articles a {triage_join(conn)} WHERE {' AND '.join(clauses)}"
    return int(conn.exec_driver_sql(sql, tuple(params)).scalar())


def story_sizes(conn: Any, story_ids: list[int]) -> dict[int, int]:
    """Story id → how many articles it folds (visible ones)."""
    if not story_ids:
        return {}
    rows = conn.exec_driver_sql(
        f"SELECT a.story_id, count(*) FROM articles a {triage_join(conn)} "
        f"WHERE t.hidden = 0 AND a.story_id IN ({dialect.of(conn).values()}) "
        "GROUP BY a.story_id",
        (json.dumps(sorted(set(story_ids))),),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def article_detail(conn: Any, article_id: int) -> dict[str, Any] | None:
    """Everything about one article, for ``show`` and the reading pane."""
    r = conn.exec_driver_sql(
        "SELECT a.id, a.source_id, s.title, a.title, a.url, a.published, a.language, "
        "a.title_language, a.story_id, t.read, t.flagged, t.archived, a.author, "
        "a.content_html, a.text, a.language_confidence, a.guid, a.updated, a.fetched_at, "
        "s.remote_images, a.categories "
        f"FROM articles a {triage_join(conn)} "
        "JOIN sources s ON s.id = a.source_id WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    if r is None:
        return None
    tags, tagged_by = article_tags(conn, article_id)
    copies = []
    if r[8] is not None:
        copies = [
            {"id": c[0], "source_id": c[1], "source": c[2], "title": c[3], "url": c[4]}
            for c in conn.exec_driver_sql(
                "SELECT a.id, a.source_id, s.title, a.title, a.url FROM articles a "
                "JOIN sources s ON s.id = a.source_id WHERE a.story_id = ? AND a.id != ? "
                "ORDER BY a.published DESC, a.id DESC",
                (r[8], r[0]),
            ).fetchall()
        ]
    return {
        "id": r[0],
        "source_id": r[1],
        "source": r[2],
        "title": r[3],
        "url": r[4],
        "published": r[5],
        "language": r[6],
        "title_language": r[7],
        "topics": [t["name"] for t in tags if not t["removed"]],
        "story_id": r[8],
        "read": bool(r[9]),
        "flagged": bool(r[10]),
        "archived": bool(r[11]),
        "flagged_by": flagged_by_others(conn, [r[0]]).get(r[0], []),
        "author": r[12],
        "content_html": r[13],
        "text": r[14],
        "language_confidence": r[15],
        "guid": r[16],
        "updated": r[17],
        "fetched_at": r[18],
        "remote_images": bool(r[19]),
        "categories": json.loads(r[20]) if r[20] else [],
        "tags": tags,
        "tagged_by": tagged_by,
        "story_copies": copies,
    }


def story_members(conn: Any, ids: list[int]) -> list[int]:
    """``ids`` plus every article folded into the same stories."""
    values = dialect.of(conn).values()
    rows = conn.exec_driver_sql(
        "SELECT id FROM articles WHERE story_id IN (SELECT story_id FROM articles "
        f"WHERE id IN ({values}) AND story_id IS NOT NULL) "
        f"UNION {values}",
        (json.dumps(ids), json.dumps(ids)),
    ).fetchall()
    return sorted(r[0] for r in rows)


def source_rows(conn: Any) -> list[dict[str, Any]]:
    """Every source with its article and unread counts."""
    d = dialect.of(conn)
    rows = conn.exec_driver_sql(
        "SELECT s.id, s.title, s.url, s.folder, s.enabled, s.last_success, s.last_error, "
        "s.last_error_at, s.site_url, s.failures, s.next_fetch_at, s.username, "
        "coalesce(c.total, 0), coalesce(c.unread, 0) "
        "FROM sources s LEFT JOIN (SELECT source_id, sum(n) AS total, "
        " sum(CASE WHEN read = 0 AND archived = 0 THEN n ELSE 0 END) AS unread "
        f" FROM article_counts WHERE person_id = {me(conn)} GROUP BY source_id) c "
        "ON c.source_id = s.id "
        f"ORDER BY s.folder IS NOT NULL, s.folder, {d.nocase('s.title')}, s.id"
    ).fetchall()
    return [
        {
            "id": r[0],
            "title": r[1],
            "url": r[2],
            "folder": r[3],
            "enabled": bool(r[4]),
            "last_success": r[5],
            "last_error": r[6],
            "last_error_at": r[7],
            "site_url": r[8],
            "failures": r[9],
            "next_fetch_at": r[10],
            "username": r[11],
            "article_count": r[12],
            "unread_count": r[13],
        }
        for r in rows
    ]


# -- read-only access without SQLAlchemy (the window's first page at start-up) ------
class _DriverResult:
    """The part of SQLAlchemy's result API the read functions here use."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def scalar(self) -> Any:
        row = self._cursor.fetchone()
        return row[0] if row else None


class ReadOnlyConnection:
    """A plain ``sqlite3`` read-only connection that the read functions of this module
    (and ``store.counts``) accept in place of a SQLAlchemy ``Connection``.

    The window reads its first page with it before SQLAlchemy is even imported.
    ``open`` returns None when the file is missing or its schema is not
    ``schema_version`` (a migration must run first: the full path does it).
    """

    def __init__(self, raw: Any, person_id: int | None = None) -> None:
        self.raw = raw
        self.person_id = person_id
        """The person whose triage state it reads (``people.me``)."""

    @classmethod
    def open(
        cls, path: Any, schema_version: int, user: str | None = None
    ) -> ReadOnlyConnection | None:
        """Open ``path`` read-only for ``user`` (default ``people.default_user()``); None
        when it is absent, not at ``schema_version``, or the person is not complete yet."""
        import sqlite3
        from pathlib import Path

        path = Path(path)
        if not path.is_file():
            return None
        try:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            raw = sqlite3.connect(uri, uri=True, check_same_thread=False)
            raw.execute("PRAGMA busy_timeout = 2000")
            version = raw.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error:
            return None
        if version != schema_version:
            raw.close()
            return None
        from desktop.store.people import default_user

        row = raw.execute(
            "SELECT id FROM people WHERE name = ? AND backfill_left IS NULL",
            (user or default_user(),),
        ).fetchone()
        if row is None:  # a new person: the full path creates them
            raw.close()
            return None
        return cls(raw, int(row[0]))

    def exec_driver_sql(self, sql: str, params: Any = ()) -> _DriverResult:
        """Run one statement (``?`` parameters)."""
        return _DriverResult(self.raw.execute(sql, params))

    def close(self) -> None:
        self.raw.close()
