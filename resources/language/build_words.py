"""Build ``words.npz``, the common-word table of ``desktop/enrich/langid_words.py``.

    python -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1 numpy
    /tmp/wf/bin/python resources/language/build_words.py

Not run by the application: ``wordfreq`` (Apache-2.0 code, CC BY-SA 4.0 data) is only
needed here. Keeps, per language, the ``TOP_WORDS`` most frequent words of wordfreq's
"small" list (words with frequency >= 1e-6), as 32-bit CRC hashes of the NFC lowercase
word with a quantised log-frequency. Tokens are split the way the runtime splits them
(apostrophes and other punctuation separate words), and the frequencies of the parts
are added up.

Accent-folded forms: people often type Czech, Polish, Romanian, Turkish... without
diacritics ("prilis zlutoucky kun"). For the Latin-script languages in ``FOLDED`` each
word that has diacritics is also stored under its folded form (``fold``), at its
frequency less ``FOLD_PENALTY`` (log10), unless the list already holds that form as a
word of its own at a higher frequency. The runtime looks words up as typed: only text
typed without diacritics reaches the folded entries.
"""

from __future__ import annotations

import sys
import unicodedata
import zlib
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from desktop.enrich.langid_words import Q_BASE, Q_SCALE, words_of  # noqa: E402

# Our code -> wordfreq's code. Supported languages whose script decides them alone
# (he, el, ko, ja, zh) need no word table.
SOURCES: dict[str, str] = {
    **{c: c for c in ("en", "de", "fr", "es", "it", "pt", "pl", "nl", "sv", "tr", "id")},
    **{c: c for c in ("vi", "cs", "ro", "ru", "uk", "bg", "ar", "fa", "hi")},
    # Neighbours outside the set (guards), so that the table does not push their text
    # onto a supported language.
    **{c: c for c in ("ca", "da", "fi", "hu", "is", "lt", "lv", "mk", "ms", "sk", "sl", "ur")},
    "no": "nb",
    "hr": "sh",
    "tl": "fil",
}
TOP_WORDS = 40_000
# Latin-script languages whose words also get an accent-folded entry.
FOLDED = frozenset([
    "cs", "sk", "pl", "ro", "tr", "vi", "de", "fr", "es", "it", "pt", "sv", "nl", "ca",
    "da", "no", "fi", "hu", "is", "lt", "lv", "sl", "hr", "en", "id", "ms", "tl",
])  # fmt: skip
FOLD_PENALTY = 0.5  # log10: typing without diacritics is the exception
_FOLD_EXTRA = str.maketrans(
    {"ł": "l", "đ": "d", "ı": "i", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)


def fold(word: str) -> str:
    """``word`` without diacritics (NFD marks dropped, ł -> l, ß -> ss...)."""
    decomposed = unicodedata.normalize("NFD", word.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def main() -> None:
    import numpy as np
    import wordfreq

    langs = sorted(SOURCES)
    rows: dict[int, dict[int, int]] = defaultdict(dict)
    for li, code in enumerate(langs):
        freqs = wordfreq.get_frequency_dict(SOURCES[code], wordlist="small")
        merged: dict[str, float] = defaultdict(float)
        for word, freq in sorted(freqs.items(), key=lambda kv: -kv[1])[:TOP_WORDS]:
            for token in words_of(word):
                merged[token] += freq
        entries = {token: float(np.log10(freq)) for token, freq in merged.items()}
        if code in FOLDED:
            folded: dict[str, float] = defaultdict(float)
            for token, freq in merged.items():
                plain = fold(token)
                if plain != token:
                    folded[plain] += freq
            for plain, freq in folded.items():
                log_freq = float(np.log10(freq)) - FOLD_PENALTY
                if log_freq > entries.get(plain, -99.0):
                    entries[plain] = log_freq
        for token, log_freq in entries.items():
            q = round((log_freq - Q_BASE) * Q_SCALE)
            if q >= 1:
                rows[zlib.crc32(token.encode("utf-8"))][li] = min(255, q)
        print(f"{code}: {len(merged):,} words, {len(entries):,} entries", file=sys.stderr)
    hashes = sorted(rows)
    table = np.zeros((len(hashes), len(langs)), dtype=np.uint8)  # 0: not in the list
    for i, h in enumerate(hashes):
        for li, q in rows[h].items():
            table[i, li] = q
    np.savez_compressed(
        Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "words.npz",
        languages=np.array(langs),
        hashes=np.array(hashes, dtype=np.uint32),
        log_freq=table,
    )
    print(f"{len(hashes):,} distinct words, {int((table > 0).sum()):,} entries", file=sys.stderr)


if __name__ == "__main__":
    main()
