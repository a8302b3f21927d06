"""Text features for the fast topic layer: hashed words, word bigrams, character n-grams.

Numpy only, vectorised over a batch: every document of a batch is joined into
one array of code points, and the features of all of them are hashed in a few
array operations (a polynomial rolling hash mod 2**64). The same function
produces the features at training time (scripts/train_topics.py) and at run
time, so the two cannot drift apart.

Features of a prepared document (NFKC, casefolded, non-word runs -> one space):
- every word (``desktop.words``: word characters with their combining marks), and
  every pair of consecutive words;
- the character n-grams (CHAR_NGRAMS) of each word padded with one space each side;
- scripts written without spaces (CJK) count every character as a word, so
  character unigrams and bigrams stand in for words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from desktop.words import non_word_re, strip_points

# Only the title and the lead are read: topics are decided early in a news
# text, and it bounds the cost per article.
MAX_BODY_CHARS = 600
CHAR_NGRAMS = (3, 4, 5)
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF))
CJK_RE = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in CJK_RANGES) + "]")
CJK_SPACED = {c: f" {chr(c)} " for a, b in CJK_RANGES for c in range(a, b + 1)}
LOOKUP_BITS = 20
FEATURES_VERSION = 2
"""Bump when :func:`prepare` or the hashing changes: per-database user models, fitted on
the features of the day, are refitted (``Newsdesk.learn_from_labels``). 2: words keep
their combining marks, Arabic and Hebrew vowel points dropped."""

_BASE = np.uint64(0x100000001B3)  # odd, so invertible mod 2**64
_BASE_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_SALT_WORD = np.uint64(0x9E3779B97F4A7C15)
_SALT_PAIR = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX_A = np.uint64(0xBF58476D1CE4E5B9)
_MIX_B = np.uint64(0x94D049BB133111EB)
_SALT_NGRAM = {n: np.uint64((0x165667B19E3779F9 * (n + 1)) % (1 << 64)) for n in range(1, 9)}


def lead(title: str, text: str) -> str:
    """The title and the first MAX_BODY_CHARS of the body, as one string."""
    body = (text or "")[:MAX_BODY_CHARS]
    title = (title or "").strip()
    return f"{title}\n{body}" if title else body


def prepare(title: str, text: str) -> str:
    """Normalised, casefolded lead with single spaces between words (CJK split per char).

    Words keep their combining marks (Hindi vowel signs); Arabic and Hebrew vowel
    points are dropped (``desktop.words``).
    """
    doc = strip_points(unicodedata.normalize("NFKC", lead(title, text)).casefold())
    if CJK_RE.search(doc):
        doc = doc.translate(CJK_SPACED)
    return non_word_re().sub(" ", doc).strip()


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the polynomial hash over all 64 bits."""
    h = (h ^ (h >> np.uint64(30))) * _MIX_A
    h = (h ^ (h >> np.uint64(27))) * _MIX_B
    return h ^ (h >> np.uint64(31))


def hashed_features(docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(document index, 64-bit feature hash) of every feature occurrence of prepared docs.

    ``docs`` are strings from :func:`prepare`. The arrays are in no particular order.
    """
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    joined = " " + " ".join(docs) + " "
    lens = np.fromiter((len(d) + 1 for d in docs), dtype=np.int64, count=len(docs))
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lens)  # char i+1 -> doc
    a = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(a)
    with np.errstate(over="ignore"):
        powers = np.full(n, _BASE, dtype=np.uint64)
        powers[0] = 1
        powers = np.cumprod(powers, dtype=np.uint64)
        inv = np.full(n, _BASE_INV, dtype=np.uint64)
        inv[0] = 1
        inv = np.cumprod(inv, dtype=np.uint64)
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(a * powers, dtype=np.uint64, out=prefix[1:])

        def span(start: np.ndarray, length: np.ndarray | int) -> np.ndarray:
            return (prefix[start + length] - prefix[start]) * inv[start]

        space = a == 32
        spaces = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(space, out=spaces[1:])
        rows: list[np.ndarray] = []
        hashes: list[np.ndarray] = []
        for k in CHAR_NGRAMS:
            if n < k:
                continue
            start = np.arange(n - k + 1)
            # a padded in-word n-gram has no space inside (only at its two ends)
            start = start[(spaces[start + k - 1] - spaces[start + 1]) == 0]
            hashes.append(_mix(span(start, k) + _SALT_NGRAM[k]))
            rows.append(doc_of[start])
        is_start = ~space[1:] & space[:-1]
        starts = np.flatnonzero(is_start) + 1
        ends = np.flatnonzero(~space[:-1] & space[1:]) + 1
        words = _mix(span(starts, ends - starts) + _SALT_WORD)
        word_doc = doc_of[starts]
        hashes.append(words)
        rows.append(word_doc)
        same = word_doc[1:] == word_doc[:-1]
        hashes.append(_mix(words[:-1][same] * _MIX_A + words[1:][same] + _SALT_PAIR))
        rows.append(word_doc[1:][same])
    return np.concatenate(rows), np.concatenate(hashes)


def analyze_many(pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """hashed_features() of (title, text) pairs."""
    return hashed_features([prepare(t, x) for t, x in pairs])


def tfidf_rows(
    rows: np.ndarray, cols: np.ndarray, idf: np.ndarray, n_cols: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sublinear tf-idf with L2 norm per row: (row, col, value) sorted by row then col."""
    key, tf = np.unique(rows * n_cols + cols, return_counts=True)
    r, c = key // n_cols, key % n_cols
    val = (1.0 + np.log(tf.astype(np.float32))) * idf[c]
    norm = np.sqrt(np.bincount(r, weights=val * val))
    val = val / np.where(norm > 0, norm, 1.0)[r]
    return r, c, val.astype(np.float32)


class Vectorizer:
    """Maps feature hashes to a fixed vocabulary (sorted uint64 hashes) with tf-idf."""

    def __init__(self, vocab: np.ndarray, idf: np.ndarray) -> None:
        self.vocab = np.asarray(vocab, dtype=np.uint64)
        self.idf = np.asarray(idf, dtype=np.float32)
        # vocab is sorted, so its top bits split it into contiguous buckets: a direct
        # table of where each bucket starts replaces a binary search per feature
        top = (self.vocab >> np.uint64(64 - LOOKUP_BITS)).astype(np.int64)
        self._starts = np.searchsorted(top, np.arange((1 << LOOKUP_BITS) + 1)).astype(np.int32)
        self._widest = int(np.diff(self._starts).max(initial=0))

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mask of known hashes, their vocabulary index)."""
        if not len(self.vocab):
            return np.zeros(len(hashes), bool), np.zeros(0, np.int64)
        slot = (hashes >> np.uint64(64 - LOOKUP_BITS)).astype(np.int64)
        lo, hi = self._starts[slot], self._starts[slot + 1]
        pos = lo.copy()
        hit = np.zeros(len(hashes), dtype=bool)
        for k in range(self._widest):  # buckets hold 0-2 hashes, rarely more
            cand = np.minimum(lo + k, len(self.vocab) - 1)
            found = (lo + k < hi) & (self.vocab[cand] == hashes)
            pos[found] = cand[found]
            hit |= found
        return hit, pos[hit]

    def transform(self, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, ...]:
        """Sparse tf-idf rows of (title, text) pairs: (row, col, value)."""
        rows, hashes = analyze_many(pairs)
        hit, cols = self.lookup(hashes)
        return tfidf_rows(rows[hit], cols, self.idf, len(self.vocab))


def sparse_dot(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, w: np.ndarray, n_rows: int
) -> np.ndarray:
    """(n_rows, k) product of a sparse matrix given as sorted (row, col, value) with w."""
    out = np.zeros((n_rows, w.shape[1]), dtype=np.float32)
    if not len(rows):
        return out
    wt = w.T  # one column per topic: gather it, weight it, sum it per row
    for k in range(w.shape[1]):
        out[:, k] = np.bincount(rows, weights=vals * wt[k][cols], minlength=n_rows)
    return out
