"""Text features for the fast topic layer: word and in-word character n-grams.

Pure Python and numpy, so the shipped tagger needs no scikit-learn. The same
function produces the features at training time (scripts/train_topics.py) and
at run time, so the two cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable
from itertools import repeat

import numpy as np

# Only the title and the lead are read: topics are decided early in a news
# text, and it bounds the cost per article.
MAX_BODY_CHARS = 600
CHAR_NGRAMS = (3, 4, 5)
WORD_RE = re.compile(r"\w+")
# Scripts written without spaces: every run of these is split into characters.
CJK_MIN = "\u3040"
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def lead(title: str, text: str) -> str:
    """The title and the first MAX_BODY_CHARS of the body, as one string."""
    body = (text or "")[:MAX_BODY_CHARS]
    title = (title or "").strip()
    return f"{title}\n{body}" if title else body


def prepare(title: str, text: str) -> str:
    """Normalised, casefolded lead: the string the fast features are taken from."""
    return unicodedata.normalize("NFKC", lead(title, text)).casefold()


def features(doc: str) -> list[str]:
    """Return the feature strings of a prepared document (with repeats)."""
    out: list[str] = []
    append = out.append
    words = WORD_RE.findall(doc)
    prev = ""
    for w in words:
        if (w[0] >= CJK_MIN or w[-1] >= CJK_MIN) and CJK_RE.search(w):
            # character unigrams and bigrams stand in for words
            for i, ch in enumerate(w):
                append(ch)
                if i + 1 < len(w):
                    append(w[i : i + 2])
            prev = ""
            continue
        append("w" + w)
        if prev:
            append(prev + " " + w)
        prev = w
        padded = f" {w} "
        n = len(padded)
        for k in CHAR_NGRAMS:
            if n < k:
                break
            for i in range(n - k + 1):
                append(padded[i : i + k])
    return out


def analyze(title: str, text: str) -> list[str]:
    """Features of one article (title and lead)."""
    return features(prepare(title, text))


class Vectorizer:
    """Maps feature strings to a fixed vocabulary with sublinear tf-idf and L2 norm."""

    def __init__(self, vocab: Iterable[str], idf: np.ndarray) -> None:
        self.vocab: dict[str, int] = {f: i for i, f in enumerate(vocab)}
        self.idf = np.asarray(idf, dtype=np.float32)

    def row(self, feats: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and weights of one document's known features."""
        found = np.fromiter(
            map(self.vocab.get, feats, repeat(-1, len(feats))), dtype=np.int64, count=len(feats)
        )
        idx, tf = np.unique(found[found >= 0], return_counts=True)
        if not len(idx):
            return idx, np.zeros(0, dtype=np.float32)
        w = (1.0 + np.log(tf.astype(np.float32))) * self.idf[idx]
        norm = float(np.sqrt(np.dot(w, w)))
        return idx, w / norm if norm > 0 else w


def stable_hash(feature: str, dim: int) -> int:
    """Process-independent hash of a feature into [0, dim) (Python's hash() is salted)."""
    return zlib.crc32(feature.encode("utf-8")) % dim


def hashed_counts(feats: list[str], dim: int) -> Counter[int]:
    """Counts of hashed features, for models whose vocabulary is open (user topics)."""
    return Counter(stable_hash(f, dim) for f in feats)
