"""Writer side of enrichment: columns, machine tags, story folding, rules.

Machine tags (origin 'model', 'feed', 'rule') are replaced on every
enrichment. They live in ``tags``; every person's words live in ``user_tags``
(schema v7, ``desktop.store.tagging``) and are never touched here, so a
user's word always wins for that user while the machine's opinion is kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from desktop.enrich.pipeline import EnrichInput, EnrichOutput
from desktop.store import dialect
from desktop.timeutil import now_iso

MACHINE_ORIGINS = ("model", "feed", "rule")
CANDIDATES_PER_STORY = 4


def pending_inputs(conn: Any, version: int, after_id: int, limit: int) -> list[EnrichInput]:
    """The next batch of articles below ``version``, by id (resumable)."""
    rows = conn.exec_driver_sql(
        "SELECT a.id, a.title, a.text, a.url, a.guid, a.categories, s.language "
        "FROM articles a JOIN sources s ON s.id = a.source_id "
        "WHERE a.id > ? AND a.enriched < ? ORDER BY a.id LIMIT ?",
        (after_id, version, limit),
    ).fetchall()
    return [
        EnrichInput(
            id=r[0],
            title=r[1],
            text=r[2],
            url=r[3],
            guid=r[4],
            categories=json.loads(r[5]) if r[5] else [],
            language_override=r[6],
        )
        for r in rows
    ]


def count_pending(conn: Any, version: int) -> int:
    """How many articles still need enrichment at ``version``."""
    return int(
        conn.exec_driver_sql(
            "SELECT count(*) FROM articles WHERE enriched < ?", (version,)
        ).scalar()
    )


def _fold_story(conn: Any, out: EnrichOutput) -> int:
    from desktop.enrich.stories import StoryCandidate, canonical_url, is_duplicate

    me = conn.exec_driver_sql(
        "SELECT title, text, canonical_url, guid, story_id FROM articles WHERE id = ?", (out.id,)
    ).one()
    if me[4] is not None:
        return int(me[4])
    mine = StoryCandidate(
        fingerprint=out.fingerprint,
        title=me[0],
        text_len=len(me[1].split()),
        url=me[2],
        guid=me[3],
        text=me[1],
    )
    story = None
    if out.story_keys:
        found = conn.exec_driver_sql(
            "SELECT DISTINCT story_id FROM story_keys "
            f"WHERE key IN ({dialect.of(conn).values('text')})",
            (json.dumps(out.story_keys),),
        ).fetchall()
        for (sid,) in found:
            members = conn.exec_driver_sql(
                "SELECT title, text, canonical_url, guid, fingerprint FROM articles "
                "WHERE story_id = ? AND id != ? ORDER BY id LIMIT ?",
                (sid, out.id, CANDIDATES_PER_STORY),
            ).fetchall()
            for m in members:
                other = StoryCandidate(
                    fingerprint=m[4] or 0,
                    title=m[0],
                    text_len=len(m[1].split()),
                    url=m[2] or (canonical_url(m[2]) if m[2] else None),
                    guid=m[3],
                    text=m[1],
                )
                if is_duplicate(mine, other):
                    story = int(sid)
                    break
            if story is not None:
                break
    if story is None:
        story = out.id
    else:
        # A new copy of a story the user already dealt with arrives dealt with.
        greatest = dialect.of(conn).greatest
        # (per person: each one's copy follows their own state of the story)
        conn.exec_driver_sql(
            f"UPDATE triage SET read = {greatest}(read, (SELECT s.read FROM triage s "
            "WHERE s.article_id = ? AND s.person_id = triage.person_id)), "
            f"archived = {greatest}(archived, (SELECT s.archived FROM triage s "
            "WHERE s.article_id = ? AND s.person_id = triage.person_id)) "
            "WHERE article_id = ? AND changed_at IS NULL",
            (story, story, out.id),
        )
    conn.exec_driver_sql("UPDATE articles SET story_id = ? WHERE id = ?", (story, out.id))
    if out.story_keys:
        conn.exec_driver_sql(
            "INSERT INTO story_keys (key, story_id) SELECT j.value, ? "
            f"FROM {dialect.of(conn).table('j', 'text')} WHERE true ON CONFLICT DO NOTHING",
            (story, json.dumps(out.story_keys)),
        )
    return story


def _facts(conn: Any, article_id: int, out: EnrichOutput) -> Any:
    from desktop.enrich.rules import ArticleFacts

    r = conn.exec_driver_sql(
        "SELECT a.title, a.text, s.title, a.source_id, s.folder, a.url, a.author "
        "FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id = ?",
        (article_id,),
    ).one()
    return ArticleFacts(
        title=r[0],
        text=r[1],
        source=r[2],
        source_id=r[3],
        folder=r[4],
        language=out.language,
        topics={t[0] for t in out.topics},
        url=r[5],
        author=r[6],
    )


def apply_outputs(
    conn: Any, outputs: Sequence[EnrichOutput], version: int, rules: Any = None
) -> dict[str, int]:
    """Store a batch of enrichment results; returns counts (stories folded, rule hits)."""
    now = now_iso()
    folded = rule_hits = 0
    tag_rows: list[list[Any]] = []
    for out in outputs:
        first_time = conn.exec_driver_sql(
            "SELECT enriched = 0 FROM articles WHERE id = ?", (out.id,)
        ).scalar()
        conn.exec_driver_sql(
            "UPDATE articles SET language = ?, language_confidence = ?, title_language = ?, "
            "fingerprint = ?, enriched = ? WHERE id = ?",
            (out.language, out.confidence, out.title_language, out.fingerprint, version, out.id),
        )
        tags = list(out.topics)
        if rules is not None:
            outcome = rules.apply(_facts(conn, out.id, out))
            if outcome.matched:
                rule_hits += 1
                tags.extend((t, 1.0, "rule") for t in sorted(outcome.tags))
                if first_time:
                    sets = [
                        c
                        for c, on in (
                            ("flagged", outcome.flag),
                            ("archived", outcome.archive),
                            ("read", outcome.read),
                            ("hidden", outcome.hide),
                        )
                        if on
                    ]
                    if sets:
                        # rules are shared: they act for every person not yet at it
                        conn.exec_driver_sql(
                            f"UPDATE triage SET {', '.join(f'{c} = 1' for c in sets)} "
                            "WHERE article_id = ? AND changed_at IS NULL",
                            (out.id,),
                        )
        best: dict[str, tuple[float, str]] = {}
        for name, score, origin in tags:
            if name not in best or score > best[name][0]:
                best[name] = (score, origin)
        tag_rows.extend([out.id, n, o, s] for n, (s, o) in best.items())
        if _fold_story(conn, out) != out.id:
            folded += 1
    _replace_machine_tags(conn, [out.id for out in outputs], tag_rows, now)
    return {"folded": folded, "rule_hits": rule_hits}


def _replace_machine_tags(conn: Any, ids: list[int], rows: list[list[Any]], now: str) -> None:
    """The machine tags of ``ids`` become ``rows`` ([article_id, tag, origin, score]):
    one DELETE and one INSERT for the whole batch (each statement fires the tag
    triggers once: per-article statements fired them ~300,000 times an ingest)."""
    if not ids:
        return
    d = dialect.of(conn)
    conn.exec_driver_sql(
        f"DELETE FROM tags WHERE article_id IN ({d.values()}) "
        "AND origin IN ('model', 'feed', 'rule')",
        (json.dumps(sorted(set(ids))),),
    )
    if rows:
        columns, source = d.rows("r", ("bigint", "text", "text", "double precision"))
        conn.exec_driver_sql(
            "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
            f"SELECT {', '.join(columns)}, 0, ? FROM {source} WHERE true "
            "ON CONFLICT(article_id, tag) DO NOTHING",
            (now, json.dumps(rows)),
        )


def rule_matches(
    conn: Any, rules: Any, after_id: int, limit: int
) -> tuple[int, dict[str, list[int]]]:
    """Evaluate ``rules`` over the next ``limit`` stored articles after ``after_id``.

    Adds rule tags (machine rows; users' words are elsewhere and win for their
    person). Rules are shared: they see the machine's tags plus every person's
    additions (nobody's removals). Returns the last id seen
    and, per state action ('flag', 'archive', 'read', 'hide'), the matching ids,
    for the caller to apply as undoable triage actions.
    """
    from desktop.enrich.rules import ArticleFacts

    d = dialect.of(conn)
    rows = conn.exec_driver_sql(
        "SELECT a.id, a.title, a.text, s.title, a.source_id, s.folder, a.language, a.url, "
        f"a.author, (SELECT {d.group_concat('tag', d.chr(31))} FROM tags g "
        "           WHERE g.article_id = a.id AND g.removed = 0), "
        f"(SELECT {d.group_concat('tag', d.chr(31))} FROM user_tags u "
        "           WHERE u.article_id = a.id AND u.removed = 0) "
        "FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id > ? "
        "ORDER BY a.id LIMIT ?",
        (after_id, limit),
    ).fetchall()
    hits: dict[str, list[int]] = {"flag": [], "archive": [], "read": [], "hide": []}
    now = now_iso()
    for r in rows:
        facts = ArticleFacts(
            title=r[1] or "",
            text=r[2] or "",
            source=r[3] or "",
            source_id=r[4],
            folder=r[5] or "",
            language=r[6] or "",
            url=r[7] or "",
            author=r[8] or "",
            topics={t for col in (r[9], r[10]) if col for t in col.split("\x1f")},
        )
        outcome = rules.apply(facts)
        if not outcome.matched:
            continue
        if outcome.tags:
            conn.exec_driver_sql(
                "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
                "VALUES (?, ?, 'rule', 1.0, 0, ?) ON CONFLICT(article_id, tag) DO NOTHING",
                [(r[0], tag, now) for tag in sorted(outcome.tags)],
            )
        for action in hits:
            if getattr(outcome, action):
                hits[action].append(r[0])
    return (rows[-1][0] if rows else after_id), hits
