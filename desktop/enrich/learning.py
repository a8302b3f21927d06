"""Learning from the user's tag corrections, per database.

The labels are the user's own tag rows (``desktop.store.labels.user_labels``):
a tag the user added is a positive example, a tag the user removed a negative.
``refit_user_model`` turns them into a ``UserTopicModel`` file that
``TopicTagger.load(user_model=path)`` applies at ingest:

- a *new* topic (not in the taxonomy) gets a binary head once it has
  ``USER_MIN_EXAMPLES`` positives; its negatives are every other labelled
  article (and optional background articles, weakly weighted);
- a *default* topic the user corrected gets a residual head: the shipped
  model's decision value is its starting point (an offset) and the user's
  labels move it; unlabelled articles keep the shipped model's verdict as a
  weak pseudo-label, so a few corrections cannot wreck the topic.

Features are those of the fast layer (hashed words, word pairs, character
n-grams with the shipped idf) plus the shipped model's topic decision values.
When an embedder is given (``e5_embedder()``, the semantic layer), new topics
also get a head over sentence embeddings, used by the background pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.enrich.topic_features import lead
from desktop.enrich.topics import (
    MODEL_THRESHOLD,
    Embedder,
    FastTopicModel,
    Features,
    TopicScore,
    resources_dir,
)

USER_BITS = 18
USER_DIM = 1 << USER_BITS
USER_MIN_EXAMPLES = 25  # positives before a new topic is predicted
DEFAULT_MIN_LABELS = 3  # explicit labels before a default topic is corrected
LOGIT_SCALE = 0.25  # weight of the shipped model's decision values as features
L2 = 1e-2  # measured best of 1e-4..3e-2 at 25 examples (bench_topics.py)
BACKGROUND_WEIGHT = 0.3  # share of the negative weight given to background articles
E5_BACKGROUND = 100  # background articles embedded for the embedding heads (slow layer)
PSEUDO_WEIGHT = 0.3  # share of the weight given to the shipped model's own verdicts
FORMAT = 2
ITERATIONS = 150  # 300 gains ~0.01 F1 at 25 examples for twice the refit time
TOLERANCE = 1e-4  # stop when no weight moves more than this in one step


@dataclass(frozen=True)
class Label:
    """One user correction: ``topic`` does (positive) or does not apply to the article."""

    key: str
    title: str
    text: str
    topic: str
    positive: bool


def text_key(title: str, text: str) -> str:
    """A stable key for an article's title and lead (embedding cache, de-duplication)."""
    return hashlib.sha1(lead(title, text).encode("utf-8")).hexdigest()[:16]


def user_rows(feats: Features, base: FastTopicModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse (row, bucket, value) user features of a batch, sorted by row.

    Hashed into USER_DIM buckets, sublinear tf times the shipped idf (unknown
    features get the highest idf), L2-normalised per row.
    """
    vec = base.vectorizer
    hit, cols = feats.known, feats.cols
    idf = np.full(len(feats.hashes), float(vec.idf.max()) if len(vec.idf) else 1.0, np.float32)
    idf[hit] = vec.idf[cols]
    buckets = (feats.hashes >> np.uint64(64 - USER_BITS)).astype(np.int64)
    key, first, tf = np.unique(
        feats.rows * USER_DIM + buckets, return_index=True, return_counts=True
    )
    r, c = key // USER_DIM, key % USER_DIM
    val = (1.0 + np.log(tf.astype(np.float32))) * idf[first]
    norm = np.sqrt(np.bincount(r, weights=val * val, minlength=feats.n))
    return r, c, (val / np.where(norm > 0, norm, 1.0)[r]).astype(np.float32)


def _fit_head(
    sparse: tuple[np.ndarray, np.ndarray, np.ndarray],
    dense: np.ndarray,
    offset: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray,
    l2: float | None = None,
    iters: int = ITERATIONS,
    fit_bias: bool = True,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted L2 logistic regression, sparse + dense features, by Nesterov gradient steps.

    ``offset`` is added to every decision value (the shipped model's, for a residual
    head); with ``fit_bias`` False the bias is regularised like the other weights.

    Returns (sparse weights over USER_DIM, dense weights, bias).
    """
    r, c, v = sparse
    cols, c_idx = np.unique(c, return_inverse=True)  # only buckets that occur
    m = len(cols)
    n = len(y)
    l2 = L2 if l2 is None else l2
    sw = sw / sw.sum()
    x = np.zeros(m + dense.shape[1] + 1)
    prev = x.copy()
    # rows are L2-normalised, dense features small: this step size is safe
    lip = 0.25 * (1.0 + float((dense**2).sum(1).max(initial=0.0)) + 1.0) + l2
    step = 1.0 / lip
    reg = np.full(len(x), l2)
    reg[-1] = 0.0 if fit_bias else l2

    def grad(w: np.ndarray) -> np.ndarray:
        z = np.bincount(r, weights=v * w[c_idx], minlength=n)
        z += dense @ w[m:-1] + w[-1] + offset
        g = sw * (1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))) - y)
        out = np.empty_like(w)
        out[:m] = np.bincount(c_idx, weights=v * g[r], minlength=m)
        out[m:-1] = dense.T @ g
        out[-1] = g.sum()
        return out + reg * w

    t_prev = 1.0
    for i in range(iters):
        t = (1.0 + math.sqrt(1.0 + 4.0 * t_prev * t_prev)) / 2.0
        look = x + ((t_prev - 1.0) / t) * (x - prev)
        prev = x
        x = look - step * grad(look)
        t_prev = t
        if i % 10 == 9 and float(np.abs(x - prev).max()) < TOLERANCE:
            break
    w_sparse = np.zeros(USER_DIM, dtype=np.float32)
    w_sparse[cols] = x[:m]
    return w_sparse, x[m:-1].astype(np.float32), float(x[-1])


def _fit_dense_logistic(
    x: np.ndarray, y: np.ndarray, sw: np.ndarray, l2: float = 1e-2
) -> tuple[np.ndarray, float]:
    """Weighted L2 logistic regression by Newton steps (small dense dims); (w, b)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    sw = sw / sw.sum()
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 1e-8
    w = np.zeros(xb.shape[1])
    for _ in range(12):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        g = xb.T @ (sw * (p - y)) + reg * w
        h = (xb * (sw * p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        w -= np.linalg.solve(h, g)
    return w[:-1].astype(np.float32), float(w[-1])


def _class_weights(y: np.ndarray, neg: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Half the weight on the positives; the other half on explicit negatives and
    background articles (these get BACKGROUND_WEIGHT of it when both exist)."""
    sw = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.0)
    share = BACKGROUND_WEIGHT if neg.any() and background.any() else float(background.any())
    if neg.any():
        sw[neg] = 0.5 * (1 - share) / neg.sum()
    if background.any():
        sw[background] = 0.5 * share / background.sum()
    return sw


class UserTopicModel:
    """Heads learnt from the user's labels, stored in one .npz file per database."""

    def __init__(
        self,
        path: Path,
        base: FastTopicModel | None = None,
        min_examples: int = USER_MIN_EXAMPLES,
        embedder: Embedder | None = None,
    ) -> None:
        self.path = Path(path)
        self.base = base or FastTopicModel(resources_dir() / "models/topics_fast.npz")
        self.min_examples = min_examples
        self.embedder = embedder
        self.labels: list[Label] = []
        self.names: list[str] = []
        self.offsets: list[int] = []  # base topic column used as offset, or -1 (new topic)
        self.w_sparse = np.zeros((USER_DIM, 0), dtype=np.float32)
        self.w_dense = np.zeros((len(self.base.topics), 0), dtype=np.float32)
        self.bias = np.zeros(0, dtype=np.float32)
        self.e5_names: list[str] = []
        self.e5_w = np.zeros((0, 0), dtype=np.float32)
        self.e5_b = np.zeros(0, dtype=np.float32)
        self._emb: dict[str, np.ndarray] = {}

    # -- labels ------------------------------------------------------------
    def add_label(
        self, title: str, text: str, topic: str, positive: bool, key: str | None = None
    ) -> None:
        """Record a correction; a later label for the same article and topic replaces it."""
        key = key or text_key(title, text)
        self.labels = [lb for lb in self.labels if not (lb.key == key and lb.topic == topic)]
        self.labels.append(Label(key, title, text, topic, positive))

    def topics(self) -> list[str]:
        """Topics with a head (new topics and corrected default topics)."""
        return list(self.names)

    # -- fitting -----------------------------------------------------------
    def fit(self, background: Sequence[tuple[str, str]] = ()) -> None:
        """Rebuild every head from the labels (and optional unlabelled background articles)."""
        docs: dict[str, tuple[str, str]] = {}
        for lb in self.labels:
            docs.setdefault(lb.key, (lb.title, lb.text))
        keys = list(docs)
        n_lab = len(keys)
        pairs = [docs[k] for k in keys] + list(background)
        row_of = {k: i for i, k in enumerate(keys)}
        feats = self.base.features(pairs)
        base_logits = self.base.logits(feats).astype(np.float64)
        dense = base_logits * LOGIT_SCALE
        sparse = user_rows(feats, self.base)
        n = len(pairs)
        is_bg = np.arange(n) >= n_lab
        by_topic: dict[str, dict[int, bool]] = {}
        for lb in self.labels:
            by_topic.setdefault(lb.topic, {})[row_of[lb.key]] = lb.positive
        base_col = {t: i for i, t in enumerate(self.base.topics)}
        heads = []
        for topic in sorted(by_topic):
            explicit = by_topic[topic]
            pos = [i for i, p in explicit.items() if p]
            y = np.zeros(n)
            y[pos] = 1.0
            if topic in base_col:
                if len(explicit) < DEFAULT_MIN_LABELS:
                    continue
                col = base_col[topic]
                pseudo = np.ones(n, bool)
                pseudo[list(explicit)] = False
                y[pseudo] = (base_logits[pseudo, col] > 0).astype(float)
                if y.all() or not y.any():
                    continue  # one class only: nothing to learn a boundary from
                sw = np.where(pseudo, 0.0, 1.0)
                if pseudo.any():
                    sw[pseudo] = PSEUDO_WEIGHT / pseudo.sum()
                    sw[~pseudo] = (1 - PSEUDO_WEIGHT) / max((~pseudo).sum(), 1)
                offset = base_logits[:, col]
            else:
                col = -1
                neg = (y == 0) & ~is_bg
                if len(pos) < self.min_examples or not (neg.any() or is_bg.any()):
                    continue
                sw = _class_weights(y, neg, is_bg)
                offset = np.zeros(n)
            w_s, w_d, b = _fit_head(sparse, dense, offset, y, sw, fit_bias=col < 0)
            heads.append((topic, col, w_s, w_d, b))
        self.names = [h[0] for h in heads]
        self.offsets = [h[1] for h in heads]
        k = len(heads)
        sparse_w = np.stack([h[2] for h in heads], 1) if k else self.w_sparse[:, :0]
        self.w_sparse = np.asfortranarray(sparse_w)  # one contiguous column per head
        self.w_dense = np.stack([h[3] for h in heads], 1) if k else self.w_dense[:, :0]
        self.bias = np.array([h[4] for h in heads], dtype=np.float32)
        if self.embedder is not None:
            self._fit_e5(keys, docs, by_topic, base_col, background)

    def _fit_e5(
        self,
        keys: list[str],
        docs: dict[str, tuple[str, str]],
        by_topic: dict[str, dict[int, bool]],
        base_col: dict[str, int],
        background: Sequence[tuple[str, str]],
    ) -> None:
        bg = list(background)[:E5_BACKGROUND]
        bg_keys = [text_key(*d) for d in bg]
        docs = {**docs, **dict(zip(bg_keys, bg, strict=True))}
        seen = set(keys)
        all_keys = keys + [k for k in dict.fromkeys(bg_keys) if k not in seen]
        emb = self._embed(all_keys, docs)
        self._emb = {k: self._emb[k] for k in all_keys}  # forget articles no longer used
        is_bg = np.arange(len(all_keys)) >= len(keys)
        names, ws, bs = [], [], []
        for topic in sorted(by_topic):
            if topic in base_col:
                continue
            y = np.zeros(len(all_keys))
            y[[i for i, p in by_topic[topic].items() if p]] = 1.0
            neg = (y == 0) & ~is_bg
            if y.sum() < self.min_examples or not (neg.any() or is_bg.any()):
                continue
            sw = _class_weights(y, neg, is_bg)
            w, b = _fit_dense_logistic(emb, y, sw)
            names.append(topic)
            ws.append(w)
            bs.append(b)
        self.e5_names = names
        self.e5_w = np.stack(ws, 1) if ws else np.zeros((emb.shape[1], 0), np.float32)
        self.e5_b = np.array(bs, dtype=np.float32)

    def _embed(self, keys: list[str], docs: dict[str, tuple[str, str]]) -> np.ndarray:
        assert self.embedder is not None
        todo = [k for k in keys if k not in self._emb]
        if todo:
            vecs = self.embedder([lead(*docs[k]) for k in todo])
            for k, e in zip(todo, np.asarray(vecs), strict=True):
                self._emb[k] = np.asarray(e, dtype=np.float32)
        return np.vstack([self._emb[k] for k in keys]).astype(np.float64)

    # -- storage -----------------------------------------------------------
    def save(self) -> None:
        """Write the heads (and the embedding cache) atomically to the model's path."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        nz = np.flatnonzero(np.abs(self.w_sparse).max(1) > 0) if self.names else np.zeros(0, int)
        emb_keys = sorted(self._emb)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(
                f,
                format=np.array(FORMAT),
                names=np.array(self.names, dtype=str),
                offsets=np.array(self.offsets, dtype=np.int64),
                base_topics=np.array(self.base.topics, dtype=str),
                rows=nz.astype(np.int64),
                w_sparse=self.w_sparse[nz],
                w_dense=self.w_dense,
                bias=self.bias,
                e5_names=np.array(self.e5_names, dtype=str),
                e5_w=self.e5_w,
                e5_b=self.e5_b,
                emb_keys=np.array(emb_keys, dtype=str),
                emb=np.vstack([self._emb[k] for k in emb_keys])
                if emb_keys
                else np.zeros((0, 0), np.float32),
            )
        os.replace(tmp, self.path)

    @classmethod
    def open(
        cls,
        path: Path,
        base: FastTopicModel | None = None,
        min_examples: int = USER_MIN_EXAMPLES,
        embedder: Embedder | None = None,
    ) -> UserTopicModel:
        """Load the heads stored at ``path`` (an empty model when there is no file)."""
        model = cls(path, base, min_examples, embedder)
        if not model.path.exists():
            return model
        with np.load(model.path, allow_pickle=False) as z:
            if int(z["format"]) != FORMAT or list(z["base_topics"]) != model.base.topics:
                return model  # made for another shipped model: refit from the labels
            model.names = [str(t) for t in z["names"]]
            model.offsets = [int(o) for o in z["offsets"]]
            model.w_sparse = np.zeros((USER_DIM, len(model.names)), dtype=np.float32, order="F")
            model.w_sparse[z["rows"]] = z["w_sparse"]
            model.w_dense = z["w_dense"].astype(np.float32)
            model.bias = z["bias"].astype(np.float32)
            model.e5_names = [str(t) for t in z["e5_names"]]
            model.e5_w = z["e5_w"].astype(np.float32)
            model.e5_b = z["e5_b"].astype(np.float32)
            model._emb = dict(zip((str(k) for k in z["emb_keys"]), z["emb"], strict=True))
        return model

    # -- prediction --------------------------------------------------------
    def logits(self, feats: Features, base_logits: np.ndarray) -> tuple[list[str], np.ndarray]:
        """(topic names, (n, heads) decision values) for a batch the fast layer hashed."""
        if not self.names:
            return [], np.zeros((feats.n, 0), dtype=np.float32)
        from desktop.enrich.topic_features import sparse_dot

        r, c, v = user_rows(feats, self.base)
        z = sparse_dot(r, c, v, self.w_sparse, feats.n)
        z += (base_logits * LOGIT_SCALE) @ self.w_dense + self.bias
        for j, col in enumerate(self.offsets):
            if col >= 0:
                z[:, j] += base_logits[:, col]
        return list(self.names), z

    def semantic_logits(self, emb: np.ndarray) -> tuple[list[str], np.ndarray]:
        """(topic names, decision values) of the embedding heads (new topics only)."""
        if not self.e5_names:
            return [], np.zeros((len(emb), 0), dtype=np.float32)
        return list(self.e5_names), emb @ self.e5_w + self.e5_b

    def scores_many(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
        """Probability of every head's topic per (title, text)."""
        feats = self.base.features(pairs)
        names, z = self.logits(feats, self.base.logits(feats))
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        return [dict(zip(names, map(float, row), strict=True)) for row in p]

    def predict(self, title: str, text: str, all_scores: bool = False) -> list[TopicScore]:
        """Topics the user taught, scored (origin "model"); above threshold unless all_scores."""
        scores = self.scores_many([(title, text)])[0]
        out = [
            TopicScore(t, round(p, 4), "model")
            for t, p in scores.items()
            if all_scores or p >= MODEL_THRESHOLD
        ]
        return sorted(out, key=lambda s: -s.score)


def refit_user_model(
    labels: Sequence[tuple[int, str, str, str, bool]],
    path: Path,
    *,
    background: Sequence[tuple[str, str]] = (),
    embedder: Embedder | None = None,
    base: FastTopicModel | None = None,
    canonical: dict[str, str] | None = None,
) -> UserTopicModel:
    """Fit the user's model from ``user_labels()`` rows and save it to ``path``.

    ``labels`` are (article_id, title, text, tag, positive). ``canonical`` maps
    aliases to taxonomy ids (``Taxonomy.aliases``) so that "markets" corrects
    "economy". Embeddings already computed for an article are reused from the
    previous file at ``path``.
    """
    model = UserTopicModel(path, base, embedder=embedder)
    if embedder is not None:
        # reuse the embeddings of articles seen before; an unreadable file is replaced
        with contextlib.suppress(OSError, ValueError, KeyError):
            model._emb = UserTopicModel.open(path, model.base)._emb
    for article_id, title, text, tag, positive in labels:
        topic = (canonical or {}).get(tag.strip().casefold(), tag.strip())
        model.add_label(title or "", text or "", topic, bool(positive), key=f"a{article_id}")
    model.fit(background)
    model.save()
    return model
