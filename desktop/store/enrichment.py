"""Writer side of enrichment: columns, machine tags, story folding, rules.

Machine tags (origin 'model', 'feed', 'rule') are replaced on every
enrichment. They live in ``tags``; every person's words live in ``user_tags``
(schema v7, ``desktop.store.tagging``) and are never touched here, so a
user's word always wins for that user while the machine's opinion is kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(slots=True)
class _Stored:
    """What the writer reads of one article before storing its enrichment."""

    first_time: bool
    title: str
    text: str
    canonical_url: str | None
    guid: str | None
    story_id: int | None
    source: str
    source_id: int
    folder: str | None
    url: str | None
    author: str | None


def _stored(conn: Any, ids: list[int]) -> dict[int, _Stored]:
    """The articles ``ids`` as stored, by id; one query (deleted ones are absent)."""
    rows = conn.exec_driver_sql(
        "SELECT a.id, a.enriched = 0, a.title, a.text, a.canonical_url, a.guid, a.story_id, "
        "s.title, a.source_id, s.folder, a.url, a.author "
        "FROM articles a JOIN sources s ON s.id = a.source_id "
        f"WHERE a.id IN ({dialect.of(conn).values()})",
        (json.dumps(ids),),
    ).fetchall()
    return {int(r[0]): _Stored(bool(r[1]), *r[2:]) for r in rows}


@dataclass(slots=True)
class _Member:
    """A story member as folding compares it (a row of ``articles``)."""

    id: int
    title: str
    text: str
    canonical_url: str | None
    guid: str | None
    fingerprint: int

    def candidate(self) -> Any:
        """What ``stories.is_duplicate`` compares."""
        from desktop.enrich.stories import StoryCandidate

        return StoryCandidate(
            fingerprint=self.fingerprint,
            title=self.title,
            text_len=len(self.text.split()),
            url=self.canonical_url,
            guid=self.guid,
            text=self.text,
        )


class _BatchStories:
    """Story folding for one batch: reads the database, holds the batch's own
    assignments and new keys in memory and writes them once (:meth:`write`).

    Each article sees the database plus every earlier article of the batch, as if
    those had been written one by one.
    """

    def __init__(self, conn: Any, outputs: Sequence[EnrichOutput]) -> None:
        self.conn = conn
        wanted = sorted({key for out in outputs for key in out.story_keys})
        # the stored keys of the whole batch in one query (only this batch adds keys)
        self.stored: dict[str, int] = (
            {
                r[0]: int(r[1])
                for r in conn.exec_driver_sql(
                    "SELECT key, story_id FROM story_keys "
                    f"WHERE key IN ({dialect.of(conn).values('text')})",
                    (json.dumps(wanted, ensure_ascii=False),),
                ).fetchall()
            }
            if wanted
            else {}
        )
        self.followers: list[tuple[int, int]] = []  # (article, story): folded into one
        self.keys: dict[str, int] = {}  # new story keys (not in the database), first wins
        self.members: dict[int, list[_Member]] = {}  # story -> batch members, by id

    def fold(self, out: EnrichOutput, me: _Stored) -> int:
        """The story of ``out`` (an existing one it duplicates, else its own id)."""
        from desktop.enrich.stories import is_duplicate

        if me.story_id is not None:
            return int(me.story_id)
        member = _Member(out.id, me.title, me.text, me.canonical_url, me.guid, out.fingerprint)
        mine = member.candidate()
        story = None
        if out.story_keys:
            candidates = dict.fromkeys(self.stored[k] for k in out.story_keys if k in self.stored)
            candidates.update(dict.fromkeys(self.keys[k] for k in out.story_keys if k in self.keys))
            for sid in candidates:
                if any(is_duplicate(mine, other) for other in self._candidates(sid, out.id)):
                    story = sid
                    break
        if story is None:
            story = out.id
        else:
            self.followers.append((out.id, story))
        self.members.setdefault(story, []).append(member)
        for key in out.story_keys:
            if key not in self.stored:
                self.keys.setdefault(key, story)
        return story

    def _candidates(self, story: int, article: int) -> list[Any]:
        """The first :data:`CANDIDATES_PER_STORY` other members of ``story``, by id."""
        rows = self.conn.exec_driver_sql(
            "SELECT id, title, text, canonical_url, guid, fingerprint FROM articles "
            "WHERE story_id = ? AND id != ? ORDER BY id LIMIT ?",
            (story, article, CANDIDATES_PER_STORY),
        ).fetchall()
        members = [_Member(int(r[0]), r[1], r[2], r[3], r[4], r[5] or 0) for r in rows]
        members += [m for m in self.members.get(story, ()) if m.id != article]
        members.sort(key=lambda m: m.id)
        return [m.candidate() for m in members[:CANDIDATES_PER_STORY]]

    def write(self) -> None:
        """Give followers their story's triage state and store the new story keys
        (the story ids themselves go with the batch's article update)."""
        d = dialect.of(self.conn)
        if self.followers:
            # A new copy of a story the user already dealt with arrives dealt with
            # (per person: each one's copy follows their own state of the story).
            columns, source = d.rows("f", ("bigint", "bigint"))
            self.conn.exec_driver_sql(
                f"UPDATE triage SET read = {d.greatest}(read, (SELECT s.read FROM triage s "
                "WHERE s.article_id = u.story AND s.person_id = triage.person_id)), "
                f"archived = {d.greatest}(archived, (SELECT s.archived FROM triage s "
                "WHERE s.article_id = u.story AND s.person_id = triage.person_id)) "
                f"FROM (SELECT {columns[0]} AS id, {columns[1]} AS story FROM {source}) u "
                "WHERE triage.article_id = u.id AND triage.changed_at IS NULL",
                (json.dumps(self.followers),),
            )
        if self.keys:
            columns, source = d.rows("k", ("text", "bigint"))
            self.conn.exec_driver_sql(
                f"INSERT INTO story_keys (key, story_id) SELECT {', '.join(columns)} "
                f"FROM {source} WHERE true ON CONFLICT DO NOTHING",
                (json.dumps(list(self.keys.items()), ensure_ascii=False),),
            )


def _facts(me: _Stored, out: EnrichOutput) -> Any:
    from desktop.enrich.rules import ArticleFacts

    return ArticleFacts(
        title=me.title,
        text=me.text,
        source=me.source,
        source_id=me.source_id,
        folder=me.folder,
        language=out.language,
        topics={t[0] for t in out.topics},
        url=me.url,
        author=me.author,
    )


_ARTICLE_UPDATE = (
    ("id", "bigint"),
    ("language", "text"),
    ("confidence", "double precision"),
    ("title_language", "text"),
    ("fingerprint", "bigint"),
    ("enriched", "integer"),
    ("story", "bigint"),
)
"""The batch's article update, one row per article: (name, SQL type) of its values."""

_RULE_COLUMNS = (("flag", "flagged"), ("archive", "archived"), ("read", "read"), ("hide", "hidden"))


def apply_outputs(
    conn: Any, outputs: Sequence[EnrichOutput], version: int, rules: Any = None
) -> dict[str, int]:
    """Store a batch of enrichment results; returns counts (stories folded, rule hits).

    A handful of statements per batch, not per article: on PostgreSQL each
    statement on ``articles`` or ``triage`` sends one notification to every
    listening client. Articles deleted since they were read are skipped.
    """
    now = now_iso()
    d = dialect.of(conn)
    stored = _stored(conn, [out.id for out in outputs]) if outputs else {}
    stories = _BatchStories(conn, [out for out in outputs if out.id in stored])
    rule_hits = 0
    tag_rows: list[list[Any]] = []
    columns_rows: list[list[Any]] = []
    rule_sets: dict[tuple[str, ...], list[int]] = {}
    done: list[int] = []
    for out in outputs:
        me = stored.get(out.id)
        if me is None:
            continue
        done.append(out.id)
        tags = list(out.topics)
        if rules is not None:
            outcome = rules.apply(_facts(me, out))
            if outcome.matched:
                rule_hits += 1
                tags.extend((t, 1.0, "rule") for t in sorted(outcome.tags))
                sets = tuple(c for action, c in _RULE_COLUMNS if getattr(outcome, action))
                if me.first_time and sets:
                    rule_sets.setdefault(sets, []).append(out.id)
        best: dict[str, tuple[float, str]] = {}
        for name, score, origin in tags:
            if name not in best or score > best[name][0]:
                best[name] = (score, origin)
        tag_rows.extend([out.id, n, o, s] for n, (s, o) in best.items())
        story = stories.fold(out, me)
        columns_rows.append(
            [
                out.id,
                out.language,
                out.confidence,
                out.title_language,
                out.fingerprint,
                version,
                story if me.story_id is None else None,
            ]
        )
    if columns_rows:
        columns, source = d.rows("r", tuple(sql_type for _, sql_type in _ARTICLE_UPDATE))
        names = (name for name, _ in _ARTICLE_UPDATE)
        conn.exec_driver_sql(
            "UPDATE articles SET language = u.language, language_confidence = u.confidence, "
            "title_language = u.title_language, fingerprint = u.fingerprint, "
            "enriched = u.enriched, story_id = coalesce(u.story, articles.story_id) "
            f"FROM (SELECT {', '.join(f'{c} AS {n}' for c, n in zip(columns, names, strict=True))} "
            f"FROM {source}) u WHERE articles.id = u.id",
            (json.dumps(columns_rows, ensure_ascii=False),),
        )
    for sets, ids in rule_sets.items():
        # rules are shared: they act for every person not yet at it
        conn.exec_driver_sql(
            f"UPDATE triage SET {', '.join(f'{c} = 1' for c in sets)} "
            f"WHERE article_id IN ({d.values()}) AND changed_at IS NULL",
            (json.dumps(ids),),
        )
    stories.write()
    _replace_machine_tags(conn, done, tag_rows, now)
    return {"folded": len(stories.followers), "rule_hits": rule_hits}


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
