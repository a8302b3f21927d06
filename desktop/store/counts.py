"""Read queries for the window: sidebar counts, story sizes and copies, view ids.

Each function takes a SQLAlchemy ``Connection`` (run them through
``Database.read`` off the UI thread). Nothing here imports Qt.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.store import dialect
from desktop.store.people import me
from desktop.store.queries import (  # story_sizes: re-exported for the window
    ArticleQuery,
    ArticleRow,
    _where,
    attach_topics,
    story_sizes,
    triage_join,
)


@dataclass(slots=True)
class SidebarCounts:
    """Everything the sidebar shows, read in one go."""

    views: dict[str, int] = field(default_factory=dict)
    """View → unread articles in it (Flagged and Archive: all of them)."""
    sources: list[dict[str, Any]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    topics: list[tuple[str, int]] = field(default_factory=list)
    saved_searches: list[tuple[str, str]] = field(default_factory=list)

    def folders(self) -> list[tuple[str, int]]:
        """Folder → unread count, in sidebar order."""
        out: dict[str, int] = {}
        for s in self.sources:
            if s["folder"]:
                out[s["folder"]] = out.get(s["folder"], 0) + int(s["unread_count"])
        return list(out.items())


def view_counts(conn: Any) -> dict[str, int]:
    """Unread counts of Inbox, Unread and All; totals of Flagged and Archive.

    Read from ``article_counts`` (kept exact by triggers): a few thousand rows.
    """
    r = conn.exec_driver_sql(
        "SELECT coalesce(sum(CASE WHEN read = 0 AND archived = 0 THEN n END), 0), "
        "coalesce(sum(CASE WHEN flagged = 1 THEN n END), 0), "
        "coalesce(sum(CASE WHEN archived = 1 THEN n END), 0), "
        "coalesce(sum(CASE WHEN read = 0 THEN n END), 0) "
        f"FROM article_counts WHERE person_id = {me(conn)} AND hidden = 0"
    ).fetchone()
    return {"inbox": r[0], "unread": r[0], "flagged": r[1], "archived": r[2], "all": r[3]}


def language_counts(conn: Any) -> list[tuple[str, int]]:
    """Languages present (``und`` for unknown), most articles first."""
    rows = conn.exec_driver_sql(
        f"SELECT language, sum(n) FROM article_counts WHERE person_id = {me(conn)} "
        "AND hidden = 0 "
        "GROUP BY language HAVING sum(n) > 0 ORDER BY 2 DESC, 1"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def topic_counts(conn: Any) -> list[tuple[str, int]]:
    """My effective topics present, most articles first (hidden articles left out).

    The shared ``tag_counts`` (machine tags, trigger-kept) less the machine tags on my
    hidden articles, plus what my own words change (``tagging.topic_delta``: my
    additions where the machine has no such tag, less my removals of machine tags, from
    the trigger-kept ``user_tag_counts``)."""
    from desktop.store.tagging import topic_delta

    join = dialect.of(conn).fixed_join
    delta = topic_delta(conn)
    hidden = dict(
        conn.exec_driver_sql(
            f"SELECT g.tag, count(*) FROM triage t {join} tags g ON g.article_id = t.article_id "
            f"WHERE t.person_id = {me(conn)} AND t.hidden = 1 AND g.removed = 0 GROUP BY g.tag"
        ).fetchall()
    )
    machine = dict(conn.exec_driver_sql("SELECT tag, n FROM tag_counts").fetchall())
    rows = [
        (tag, machine.get(tag, 0) - hidden.get(tag, 0) + delta.get(tag, 0))
        for tag in machine.keys() | delta.keys()
    ]
    rows = [r for r in rows if r[1] > 0]
    rows.sort(key=lambda r: (-r[1], r[0]))
    return rows


def recount(conn: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The counts recomputed from scratch, as (article_counts rows, tag_counts rows) with
    n > 0, sorted: what the trigger-kept tables must hold (tests and benchmarks check it).
    ``tag_counts`` counts the shared machine tags (v7: users' words live in ``user_tags``).

    Article counts are those of the person ``conn`` acts for."""
    articles = conn.exec_driver_sql(
        "SELECT a.source_id, coalesce(a.language, 'und'), t.read, t.flagged, t.archived, "
        f"t.hidden, count(*) FROM articles a {triage_join(conn)} "
        "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    ).fetchall()
    tags = conn.exec_driver_sql(
        "SELECT tag, count(*) FROM tags WHERE removed = 0 GROUP BY tag ORDER BY tag"
    ).fetchall()
    return [tuple(r) for r in articles], [tuple(r) for r in tags]


def stored_counts(conn: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The trigger-kept counts of the person ``conn`` acts for (rows with n > 0), in the
    shape of :func:`recount` (PostgreSQL spreads a count over several ``slot`` rows: they
    are summed)."""
    articles = conn.exec_driver_sql(
        "SELECT source_id, language, read, flagged, archived, hidden, sum(n) "
        f"FROM article_counts WHERE person_id = {me(conn)} "
        "GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) != 0 ORDER BY 1, 2, 3, 4, 5, 6"
    ).fetchall()
    tags = conn.exec_driver_sql(
        "SELECT tag, n FROM tag_counts WHERE n != 0 ORDER BY tag"
    ).fetchall()
    return [tuple(r) for r in articles], [tuple(r) for r in tags]


def saved_searches(conn: Any) -> list[tuple[str, str]]:
    """(name, query) of every saved search."""
    rows = conn.exec_driver_sql("SELECT name, query FROM saved_searches ORDER BY name").fetchall()
    return [(r[0], r[1]) for r in rows]


def sidebar_counts(conn: Any) -> SidebarCounts:
    """Views, sources (with folder, counts, last error), languages, topics, searches."""
    from desktop.store.queries import source_rows

    return SidebarCounts(
        views=view_counts(conn),
        sources=source_rows(conn),
        languages=language_counts(conn),
        topics=topic_counts(conn),
        saved_searches=saved_searches(conn),
    )


def _row_sql(conn: Any) -> str:
    return (
        "SELECT a.id, a.source_id, s.title, a.title, a.url, a.published, a.language, "
        "a.title_language, a.story_id, t.read, t.flagged, t.archived, s.folder "
        f"FROM articles a {triage_join(conn)} "
        "JOIN sources s ON s.id = a.source_id "
    )


def _rows(conn: Any, sql: str, params: tuple[Any, ...]) -> list[ArticleRow]:
    rows = [ArticleRow.from_row(r) for r in conn.exec_driver_sql(sql, params).fetchall()]
    attach_topics(conn, rows)
    return rows


def story_rows(conn: Any, story_id: int) -> list[ArticleRow]:
    """Every (visible) copy of a story, newest first."""
    return _rows(
        conn,
        _row_sql(conn)
        + "WHERE a.story_id = ? AND t.hidden = 0 ORDER BY a.published DESC, a.id DESC",
        (story_id,),
    )


def rows_by_id(conn: Any, ids: list[int]) -> list[ArticleRow]:
    """Fresh rows for ``ids`` (to update loaded rows in place)."""
    if not ids:
        return []
    return _rows(
        conn,
        _row_sql(conn) + f"WHERE a.id IN ({dialect.of(conn).values()})",
        (json.dumps(ids),),
    )


SORTS = {
    "published": ("a.published", False),
    "title": ("a.title", True),
    "source": ("s.title", True),
    "language": ("coalesce(a.language, '')", False),
}
"""Sort name → (SQL expression, whether it orders without case: then the dialect's
case-insensitive form of the expression orders the rows and is the cursor's key)."""


def sorted_page(
    conn: Any, q: ArticleQuery, sort: str, descending: bool, after: tuple[Any, int] | None
) -> tuple[list[ArticleRow], tuple[Any, int] | None]:
    """One keyset page in another order than newest first.

    Returns the rows and the cursor of the next page (None at the end).
    """
    d = dialect.of(conn)
    expr, nocase = SORTS[sort]
    if nocase:
        expr = d.nocase(expr)
    clauses, params = _where(q, True, d, conn)
    op = "<" if descending else ">"
    if after is not None:
        clauses.append(f"({expr}, a.id) {op} (?, ?)")
        params.extend(after)
    direction = "DESC" if descending else "ASC"
    sql = (
        _row_sql(conn).replace("FROM", f", {expr} AS sort_key FROM", 1)
        + f"WHERE {' AND '.join(clauses)} ORDER BY {expr} {direction}, a.id {direction} LIMIT ?"
    )
    params.append(int(q.limit))
    raw = conn.exec_driver_sql(sql, tuple(params)).fetchall()
    rows = [ArticleRow.from_row(r) for r in raw]
    attach_topics(conn, rows)
    cursor = (raw[-1][13], raw[-1][0]) if len(raw) == int(q.limit) else None
    return rows, cursor


def view_ids(conn: Any, q: ArticleQuery) -> list[int]:
    """Every article id matching ``q`` (no limit): the target of "mark view read"."""
    clauses, params = _where(q, True, dialect.of(conn), conn)
    sql = f"SELECT a.id FROM articles a {triage_join(conn)} WHERE {' AND '.join(clauses)}"
    return [r[0] for r in conn.exec_driver_sql(sql, tuple(params)).fetchall()]


def set_remote_images(conn: Any, source_id: int, allowed: bool) -> None:
    """Allow (or block again) remote images in the reading pane for one source."""
    conn.exec_driver_sql(
        "UPDATE sources SET remote_images = ? WHERE id = ?", (int(allowed), source_id)
    )


class ChangeProbe:
    """Notices commits by any process to the database file (``PRAGMA data_version``).

    Keep one per thread: it owns a plain sqlite3 connection used only for the
    pragma, which changes whenever another connection commits.
    """

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._last: int | None = None

    def changed(self) -> bool:
        """True when something committed since the previous call (False the first time)."""
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        before, self._last = self._last, version
        return before is not None and before != version

    def close(self) -> None:
        """Release the connection."""
        self._conn.close()


def ids_matching(conn: Any, q: ArticleQuery, ids: list[int]) -> set[int]:
    """Which of ``ids`` match the view and filters of ``q``."""
    if not ids:
        return set()
    d = dialect.of(conn)
    clauses, params = _where(q, True, d, conn)
    clauses.append(f"a.id IN ({d.values()})")
    params.append(json.dumps(ids))
    sql = f"SELECT a.id FROM articles a {triage_join(conn)} WHERE {' AND '.join(clauses)}"
    return {r[0] for r in conn.exec_driver_sql(sql, tuple(params)).fetchall()}


@dataclass(slots=True)
class Fresh:
    """Rows re-read after a change, with what the list needs to place them."""

    rows: list[ArticleRow]
    matching: set[int]
    sticky: set[int]
    sizes: dict[int, int]


def fresh_rows(
    conn: Any, q: ArticleQuery, sticky: ArticleQuery, ids: list[int], first_page: bool
) -> Fresh:
    """Current state of ``ids`` (plus the newest page of ``q`` when ``first_page``)."""
    from desktop.store.queries import list_articles

    rows = rows_by_id(conn, ids)
    if first_page:
        seen = {r.id for r in rows}
        rows.extend(r for r in list_articles(conn, q) if r.id not in seen)
    all_ids = [r.id for r in rows]
    return Fresh(
        rows,
        ids_matching(conn, q, all_ids),
        ids_matching(conn, sticky, all_ids),
        story_sizes(conn, [r.story_id for r in rows if r.story_id is not None]),
    )
