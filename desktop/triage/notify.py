"""Which newly arrived articles deserve a desktop notification (rules marked "notify")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from desktop.store import dialect
from desktop.store.people import me
from desktop.store.tagging import page_tags


@dataclass(frozen=True, slots=True)
class Alert:
    """One article to tell the user about."""

    article_id: int
    title: str
    source: str


def notify_matches(conn: Any, rules: Any, ids: list[int], limit: int = 200) -> list[Alert]:
    """Articles among ``ids`` that a rule with ``notify`` matches (reader; after enrichment).

    ``rules`` is a compiled ``RuleSet``; hidden articles are skipped.
    """
    from desktop.enrich.rules import ArticleFacts

    if not ids or not len(rules):
        return []
    rows = conn.exec_driver_sql(
        "SELECT a.id, a.title, a.text, coalesce(s.title, ''), a.source_id, "
        "coalesce(s.folder, ''), coalesce(a.language, ''), coalesce(a.url, ''), "
        "coalesce(a.author, '') "
        "FROM articles a JOIN sources s ON s.id = a.source_id "
        f"JOIN triage t ON t.article_id = a.id AND t.person_id = {me(conn)} "
        f"WHERE a.id IN ({dialect.of(conn).values()}) AND t.hidden = 0 ORDER BY a.id LIMIT ?",
        (json.dumps(sorted(ids)), limit),
    ).fetchall()
    topics, _ = page_tags(conn, [r[0] for r in rows])  # my effective tags
    out: list[Alert] = []
    for r in rows:
        facts = ArticleFacts(
            title=r[1],
            text=r[2],
            source=r[3],
            source_id=r[4],
            folder=r[5],
            language=r[6],
            topics=set(topics.get(r[0], [])),
            url=r[7],
            author=r[8],
        )
        if rules.apply(facts).notify:
            out.append(Alert(r[0], r[1], r[3]))
    return out


def summary(alerts: list[Alert]) -> tuple[str, str]:
    """(title, body) of one notification for ``alerts``."""
    if len(alerts) == 1:
        return f"Newsdesk — {alerts[0].source}", alerts[0].title
    lines = [f"• {a.title}" for a in alerts[:5]]
    if len(alerts) > 5:
        lines.append(f"… and {len(alerts) - 5} more")
    return f"Newsdesk — {len(alerts)} new articles match your rules", "\n".join(lines)
