"""py3langid's byte n-gram naive-Bayes model, restricted to the classes we use.

py3langid (BSD licence) ships the model; we keep its DFA that finds the n-gram
features and only the columns of its probability table that we score.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

# Model classes that are varieties of a language we name otherwise.
NGRAM_ALIASES: dict[str, str] = {
    "arz": "ar", "ary": "ar", "wuu": "zh", "yue": "zh", "hbo": "he", "grc": "el",
}  # fmt: skip


class NgramScorer:
    """Raw log-scores of UTF-8 bytes for each wanted language (read-only after init)."""

    def __init__(self, wanted: frozenset[str]) -> None:
        import numpy as np
        from py3langid.langid import MODEL_DIR, MODEL_FILE
        from py3langid.modelio import load_model

        ptc, pc, classes, nextmove, rows, output = load_model(MODEL_DIR / MODEL_FILE)
        columns: list[int] = []
        names: list[str] = []
        for i, name in enumerate(classes):
            label = NGRAM_ALIASES.get(name, name)
            if label in wanted and name not in names:  # py3langid repeats 'sr' and 'uz'
                columns.append(i)
                names.append(name)
        labels = [NGRAM_ALIASES.get(n, n) for n in names]
        # The columns of one label side by side, so one reduceat takes every label's best.
        groups: dict[str, list[int]] = {}
        for column, label in zip(columns, labels, strict=True):
            groups.setdefault(label, []).append(column)
        self.labels: tuple[str, ...] = tuple(groups)
        grouped = [column for cols in groups.values() for column in cols]
        sizes = [len(cols) for cols in groups.values()]
        self._starts = np.cumsum([0, *sizes[:-1]], dtype=np.intp)
        self._table = np.ascontiguousarray(ptc[:, grouped], dtype=np.float32)
        self._prior = np.asarray(pc[grouped], dtype=np.float32)
        self._nextmove = nextmove
        self._rowbase = [r << 8 for r in rows]
        self._output = output
        self._np = np

    def scores(self, data: bytes) -> dict[str, float] | None:
        """Best raw log-score per label for ``data``, or None if no feature is found."""
        nextmove, rowbase, output = self._nextmove, self._rowbase, self._output
        seen: list[int] = []
        append = seen.append
        state = 0
        for byte in data:
            state = nextmove[rowbase[state] + byte]
            feature = output[state]
            if feature >= 0:
                append(feature)
        if not seen:
            return None
        counts = Counter(seen)
        np = self._np
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        weights = np.log1p(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        raw: Any = weights @ self._table[idx] + self._prior
        best = np.maximum.reduceat(raw, self._starts).tolist()
        return dict(zip(self.labels, best, strict=True))
