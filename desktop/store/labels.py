"""The users' tag corrections read as training labels (Qt-free SQL helpers).

A ``user_tags`` row is one person's word (schema v7): removed = 0 says the tag
applies (a positive example), removed = 1 says it does not (a negative). Model
labels are shared: every person's words train the one user model, and when two
people disagree on the same (article, tag) the later word wins (``created_at``,
then the higher person id). Every function takes a SQLAlchemy Connection and
only reads.
"""

from __future__ import annotations

from typing import Any

Label = tuple[int, str, str, str, bool]
"""(article_id, title, text, tag, positive)"""


def user_labels(conn: Any, since_id: int | None = None) -> list[Label]:
    """One label per (article, tag) anyone spoke on, with its article's title and text,
    by article id then tag; the latest word wins.

    ``since_id``: only articles with an id above it (an incremental read).
    """
    rows = conn.exec_driver_sql(
        "SELECT t.article_id, a.title, a.text, t.tag, t.removed FROM user_tags t "
        "JOIN articles a ON a.id = t.article_id "
        "WHERE t.article_id > ? ORDER BY t.article_id, t.tag, t.created_at, t.person_id",
        (since_id if since_id is not None else -1,),
    ).fetchall()
    latest: dict[tuple[int, str], Label] = {}
    for r in rows:  # ordered: a later word replaces an earlier one
        latest[(int(r[0]), r[3])] = (int(r[0]), r[1] or "", r[2] or "", r[3], not r[4])
    return list(latest.values())


def labels_signature(conn: Any) -> str:
    """Changes whenever the user's labels change: compare it to skip needless refits."""
    row = conn.exec_driver_sql(
        "SELECT count(*), coalesce(max(created_at), ''), coalesce(sum(removed), 0), "
        "coalesce(sum(article_id), 0) FROM user_tags"
    ).one()
    return f"{row[0]}:{row[1]}:{row[2]}:{row[3]}"


def background_articles(conn: Any, limit: int = 300) -> list[tuple[str, str]]:
    """(title, text) of the most recent articles nobody ever tagged.

    Used as weakly weighted negatives for the user's new topics and as the
    shipped model's own verdicts for corrected default topics.
    """
    rows = conn.exec_driver_sql(
        "SELECT a.title, a.text FROM articles a WHERE NOT EXISTS "
        "(SELECT 1 FROM user_tags t WHERE t.article_id = a.id) "
        "ORDER BY a.id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [(r[0] or "", r[1] or "") for r in rows]
