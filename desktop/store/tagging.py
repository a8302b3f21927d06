"""Tags per person: the machine's tags are shared, a user's word is their own (schema v7).

* ``tags`` holds the machine's tags (origin 'model', 'feed', 'rule'), shared by
  everyone. Enrichment, rules and the semantic layer write only there, so
  they can never overwrite anyone's word, and a word never deletes them.
* ``user_tags`` holds each person's words: ``removed = 0`` "this tag applies"
  (an addition), ``removed = 1`` "it does not" (a removal).

**Effective tags** of person P on article A: A's machine tags that P did not
remove, plus the tags P added. They are P's ``topics`` (list, show, the
window's topic column), P's ``--topic`` filter and P's sidebar topic counts.
Tags *other* people added are visible to everyone with who added them
(``tagged_by``: tag → names) but are not P's: ``--tagged-by NAME`` lists what
NAME added. Others' removals are not shown at all.

Every function takes a SQLAlchemy ``Connection`` (or the window's
``ReadOnlyConnection``) opened for a person (``people.me``) and only reads.
"""

from __future__ import annotations

import json
from typing import Any

from desktop.store import dialect
from desktop.store.people import me

TOPIC_SQL = (
    "(EXISTS (SELECT 1 FROM tags g WHERE g.article_id = a.id AND g.tag = ? AND g.removed = 0) "
    "OR EXISTS (SELECT 1 FROM user_tags u WHERE u.article_id = a.id AND u.tag = ? "
    "AND u.person_id = t.person_id AND u.removed = 0)) "
    "AND NOT EXISTS (SELECT 1 FROM user_tags u WHERE u.article_id = a.id AND u.tag = ? "
    "AND u.person_id = t.person_id AND u.removed = 1)"
)
"""Filter clause "the tag is one of my effective tags" (``a`` articles, ``t`` my triage
row; the tag three times). A person's word and a machine row are each one primary-key
probe per article, so a list filtered by topic keeps walking the date index."""

MACHINE_TOPIC_SQL = (
    "EXISTS (SELECT 1 FROM tags g WHERE g.article_id = a.id AND g.tag = ? AND g.removed = 0)"
)
MY_ADDITION_SQL = (
    "EXISTS (SELECT 1 FROM user_tags u WHERE u.article_id = a.id AND u.tag = ? "
    "AND u.person_id = t.person_id AND u.removed = 0)"
)


def topic_clause(conn: Any, topic: str) -> tuple[str, list[str]]:
    """The cheapest clause equal to :data:`TOPIC_SQL` for me and ``topic``: without a
    word of mine on the tag, the machine's rows alone (one probe per article, as
    before v7); with words but no machine row for it, my additions alone."""
    mine = conn.exec_driver_sql(
        "SELECT 1 FROM user_tags WHERE person_id = ? AND tag = ? LIMIT 1", (me(conn), topic)
    ).fetchone()
    if mine is None:
        return MACHINE_TOPIC_SQL, [topic]
    machine = conn.exec_driver_sql(
        "SELECT 1 FROM tags WHERE tag = ? AND removed = 0 LIMIT 1", (topic,)
    ).fetchone()
    if machine is None:
        return MY_ADDITION_SQL, [topic]
    return TOPIC_SQL, [topic] * 3


TAGGED_BY_SQL = (
    "a.id IN (SELECT u.article_id FROM user_tags u JOIN people p ON p.id = u.person_id "
    "WHERE p.name = ? AND u.removed = 0)"
)
"""Filter clause "the person named ``?`` added a tag to it"."""


def _ids(ids: Any) -> str:
    return json.dumps(sorted({int(i) for i in ids}))


def _rows(conn: Any, ids: list[int]) -> list[Any]:
    """The machine's tags and everyone's words on ``ids``, in one query: (article_id,
    tag, origin, score, person_id, removed, name, rank); person_id NULL on machine
    rows; ``rank``: a machine row's score, -1 for none (to order by)."""
    values = dialect.of(conn).values()
    return conn.exec_driver_sql(
        "SELECT article_id, tag, origin, score, NULL, 0, NULL, coalesce(score, -1.0) FROM tags "
        f"WHERE article_id IN ({values}) AND removed = 0 "
        "UNION ALL SELECT u.article_id, u.tag, 'user', NULL, u.person_id, u.removed, p.name, "
        "NULL FROM user_tags u JOIN people p ON p.id = u.person_id "
        f"WHERE u.article_id IN ({values})",
        (_ids(ids), _ids(ids)),
    ).fetchall()


def _best_first(item: tuple[str, float | None]) -> tuple[float, str]:
    return (-(item[1] if item[1] is not None else -1.0), item[0])


def page_tags(
    conn: Any, ids: list[int]
) -> tuple[dict[int, list[str]], dict[int, dict[str, list[str]]]]:
    """For ``ids``: my effective tags (my additions by name, then the machine's best
    first) and, per article, tag → names of the *other* people who added it."""
    if not ids:
        return {}, {}
    person = me(conn)
    machine: dict[int, list[tuple[float, str]]] = {}
    mine: dict[int, dict[str, int]] = {}
    others: dict[int, dict[str, list[str]]] = {}
    for article_id, tag, _origin, _score, who, removed, name, rank in _rows(conn, ids):
        if who is None:
            machine.setdefault(article_id, []).append((-rank, tag))
        elif who == person:
            mine.setdefault(article_id, {})[tag] = removed
        elif not removed:
            others.setdefault(article_id, {}).setdefault(tag, []).append(name)
    topics: dict[int, list[str]] = {}
    for article_id in {int(i) for i in ids}:
        words = mine.get(article_id)
        ranked = machine.get(article_id)
        rest = [t for _, t in sorted(ranked)] if ranked else []  # best first
        if words:
            added = sorted(t for t, removed in words.items() if not removed)
            rest = added + [t for t in rest if t not in words]
        topics[article_id] = rest
    return topics, {
        k: {t: sorted(names) for t, names in sorted(v.items())} for k, v in others.items()
    }


def article_tags(conn: Any, article_id: int) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """One article's tags as I see them, and tag → the other people who added it.

    The entries (``name, origin, score, removed, by``) are the machine's tags with my
    word in place of the machine row where I spoke (origin 'user', ``by`` me), plus my
    additions; not removed first, then mine, then best score."""
    person = me(conn)
    entries: dict[str, dict[str, Any]] = {}
    others: dict[str, list[str]] = {}
    rows = _rows(conn, [article_id])
    for _, tag, origin, score, who, _removed, _name, _rank in rows:
        if who is None:
            entries[tag] = {
                "name": tag,
                "origin": origin,
                "score": score,
                "removed": False,
                "by": None,
            }
    for _, tag, _origin, _score, who, removed, name, _rank in rows:
        if who is None:
            continue
        if who == person:
            entries[tag] = {
                "name": tag,
                "origin": "user",
                "score": None,
                "removed": bool(removed),
                "by": name,
            }
        elif not removed:
            others.setdefault(tag, []).append(name)
    ordered = sorted(
        entries.values(),
        key=lambda e: (e["removed"], e["origin"] != "user", *_best_first((e["name"], e["score"]))),
    )
    return ordered, {t: sorted(names) for t, names in sorted(others.items())}


def topic_delta(conn: Any) -> dict[str, int]:
    """Tag → what my words change in the count of my visible articles carrying it:
    +1 per addition where the machine has no such tag, -1 per removal of a machine tag.

    The trigger-kept ``user_tag_counts`` (v7) gives it over all articles, a few rows;
    the share of my hidden articles is taken off, read from my hidden triage rows."""
    d = dialect.of(conn)
    person = me(conn)
    out = {
        r[0]: int(r[1])
        for r in conn.exec_driver_sql(
            "SELECT tag, n FROM user_tag_counts WHERE person_id = ? AND n != 0", (person,)
        ).fetchall()
    }
    hidden = conn.exec_driver_sql(
        "SELECT u.tag, sum(CASE WHEN u.removed = 0 AND g.article_id IS NULL THEN 1 "
        "WHEN u.removed = 1 AND g.article_id IS NOT NULL THEN -1 ELSE 0 END) "
        f"FROM triage t {d.fixed_join} user_tags u ON u.article_id = t.article_id "
        "AND u.person_id = t.person_id "
        "LEFT JOIN tags g ON g.article_id = u.article_id AND g.tag = u.tag AND g.removed = 0 "
        "WHERE t.person_id = ? AND t.hidden = 1 GROUP BY u.tag",
        (person,),
    ).fetchall()
    for tag, n in hidden:
        out[tag] = out.get(tag, 0) - int(n or 0)
    return {tag: n for tag, n in out.items() if n}


def delta_recount(conn: Any) -> list[tuple[str, int]]:
    """My ``user_tag_counts`` rows computed from scratch (n != 0, by tag): what the
    triggers must keep (tests check it)."""
    rows = conn.exec_driver_sql(
        "SELECT u.tag, sum(CASE WHEN u.removed = 0 THEN 1 ELSE -1 END) FROM user_tags u "
        "WHERE u.person_id = ? AND (CASE WHEN u.removed = 0 THEN 1 ELSE 0 END) != "
        "(SELECT count(*) FROM tags g WHERE g.article_id = u.article_id AND g.tag = u.tag "
        "AND g.removed = 0) GROUP BY u.tag ORDER BY u.tag",
        (me(conn),),
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows if r[1]]


def stored_delta(conn: Any) -> list[tuple[str, int]]:
    """My trigger-kept ``user_tag_counts`` rows (n != 0, by tag)."""
    rows = conn.exec_driver_sql(
        "SELECT tag, n FROM user_tag_counts WHERE person_id = ? AND n != 0 ORDER BY tag",
        (me(conn),),
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def effective_recount(conn: Any) -> list[tuple[str, int]]:
    """My visible topic counts computed from scratch (tests compare the sidebar's to it)."""
    rows = conn.exec_driver_sql(
        "SELECT e.tag, count(*) FROM (SELECT g.article_id, g.tag FROM tags g "
        "WHERE g.removed = 0 AND NOT EXISTS (SELECT 1 FROM user_tags u "
        "WHERE u.article_id = g.article_id AND u.tag = g.tag AND u.person_id = ? "
        "AND u.removed = 1) "
        "UNION SELECT u.article_id, u.tag FROM user_tags u "
        "WHERE u.person_id = ? AND u.removed = 0) e "
        "JOIN triage t ON t.article_id = e.article_id AND t.person_id = ? "
        "WHERE t.hidden = 0 GROUP BY e.tag HAVING count(*) > 0",
        (me(conn), me(conn), me(conn)),
    ).fetchall()
    return sorted(((r[0], int(r[1])) for r in rows), key=lambda r: (-r[1], r[0]))
