"""Common-word evidence for language identification of short text.

``resources/language/words.npz`` (built by ``resources/language/build_words.py`` from
wordfreq's word lists, CC BY-SA 4.0; see the README beside it) holds, for ~35 languages,
the log-frequency of their most common words, keyed by the CRC-32 of the NFC lowercase
word. A text's score for a language is the sum over its words of log10(frequency),
a word missing from that language's list counting as ``OOV_LOG10``. Words missing
from every list add the same to every language and are left out.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MODEL_NAME = "words.npz"
Q_BASE = -8.0  # quantised log10 frequency q stands for Q_BASE + q / Q_SCALE
Q_SCALE = 20.0
OOV_LOG10 = -6.5  # log10 frequency of a word absent from a language's list
MAX_WORDS = 64  # words of a text that are looked up
# A word: letters, with combining marks (Latin, Arabic, Devanagari vowel signs) and the
# zero-width non-joiner of Persian.
WORD_RE = re.compile(
    r"[^\W\d_](?:[^\W\d_]|[\u0300-\u036f\u064b-\u065f\u0670\u0900-\u0903\u093a-\u094f"
    r"\u0951-\u0957\u0962\u0963\u200c])*"
)


def model_path() -> Path:
    """Where the shipped word table lives."""
    from desktop.paths import resources_dir

    return resources_dir() / "language" / MODEL_NAME


# Arabic and Persian forms of yeh and kaf are typed interchangeably in Persian text,
# and Romanian s and t with cedilla (ş ţ, older keyboards) for those with comma below
# (ș ț): words are keyed with one form (the letters themselves still count, in
# language.py). Turkish ş is keyed as ș too, consistently in the table and at run time.
_FOLD = str.maketrans(
    {"İ": "i", "ي": "ی", "ى": "ی", "ك": "ک", "ş": "ș", "Ş": "ș", "ţ": "ț", "Ţ": "ț"}
)


def words_of(text: str) -> list[str]:
    """The lowercase NFC words of ``text`` as the table keys them."""
    return WORD_RE.findall(unicodedata.normalize("NFC", text).translate(_FOLD).lower())


class WordScorer:
    """Per-language common-word log-likelihoods (read-only after init, thread-safe)."""

    def __init__(self, path: Path | None = None) -> None:
        import numpy as np

        path = path or model_path()
        if not path.is_file():
            raise FileNotFoundError(f"language word table missing: {path}")
        with np.load(path) as data:
            langs = [str(x) for x in data["languages"]]
            self._keys = data["hashes"]
            self._table = data["log_freq"]  # [word, language]; 0: not in that list
        self.languages: tuple[str, ...] = tuple(langs)
        self._column = {code: i for i, code in enumerate(langs)}
        lut = np.maximum(Q_BASE + np.arange(256, dtype=np.float32) / Q_SCALE, OOV_LOG10)
        lut[0] = OOV_LOG10
        self._lut = lut
        self._np = np

    def scores(self, text: str, codes: Iterable[str]) -> tuple[dict[str, float], int]:
        """``({code: summed log10 frequency}, words found)`` for the ``codes`` in the table."""
        np = self._np
        words = words_of(text)[:MAX_WORDS]
        cols = [(c, self._column[c]) for c in codes if c in self._column]
        if not words or not cols:
            return {}, 0
        hashes = np.fromiter(
            (zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words)
        )
        pos = self._keys.searchsorted(hashes)
        pos[pos >= len(self._keys)] = 0
        found = pos[self._keys[pos] == hashes]
        if not len(found):
            return {}, 0
        total: Any = self._lut[self._table[found]].sum(axis=0)
        return {c: float(total[i]) for c, i in cols}, len(found)
