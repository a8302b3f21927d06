"""Words as Newsdesk's features, keywords and searches read them.

Python's ``\\w`` leaves out combining marks, so a ``\\w+`` split cuts Hindi
"समाचार" into "सम च र" (its vowel signs are marks) and vowelled Arabic or
Hebrew at every vowel point. Here a word is a run of ``\\w`` characters and
combining marks; Arabic harakat and Hebrew points, which writers may or may not
add to the same word, can be removed first (:func:`strip_points`).

The search index holds text without points on both stores (SQLite through the
``strip_points`` SQL function, ``store.db``; PostgreSQL in the generated
``articles.search`` column), as of migration ``v0008_search_points``, which keeps
its own frozen copy of :data:`_POINTS`: changing the points needs a migration that
rebuilds both indexes (a test checks the two lists agree).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Blocks holding the combining marks of living scripts (Latin to Sinhala and on to
# Mongolian, combining marks for symbols, Cyrillic extensions, kana voicing marks,
# Indic and South-East Asian extensions, Hebrew and half marks). Variation selectors
# (FE00-FE0F) stay out: after an emoji they are not part of a word.
_MARK_BLOCKS = (
    (0x0300, 0x1DFF),
    (0x20D0, 0x20FF),
    (0x2CEF, 0x2DFF),
    (0x302A, 0x309A),
    (0xA66F, 0xABFF),
    (0xFB1E, 0xFB1E),
    (0xFE20, 0xFE2F),
)

_POINTS = (
    (0x0591, 0x05BD),  # Hebrew cantillation and vowel points (05BE maqaf is punctuation)
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0610, 0x061A),  # Arabic honorific and Quranic marks
    (0x0640, 0x0640),  # tatweel (a stretch, not a letter)
    (0x064B, 0x065F),  # harakat: fathatan … wavy hamza below
    (0x0670, 0x0670),  # superscript alef
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
)


def _class_body(ranges: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> str:
    """The inside of a regex character class holding the code point ``ranges``."""
    return "".join(f"{chr(lo)}-{chr(hi)}" if lo != hi else chr(lo) for lo, hi in ranges)


_ANY_POINT = re.compile(f"[{_class_body(_POINTS)}]")


def strip_points(text: str) -> str:
    """``text`` without Arabic harakat and tatweel or Hebrew vowel points and cantillation.

    ASCII text is returned at once (``isascii`` is constant time); other text is
    ``text`` itself when it holds no point. A regex substitution, about three times
    faster than ``str.translate`` on pointed text: the search index strips every
    article's title and text as it is stored.
    """
    if text.isascii():
        return text
    return _ANY_POINT.sub("", text)


@lru_cache(maxsize=1)
def _marks() -> str:
    """A character-class body of the combining marks in :data:`_MARK_BLOCKS` (~2 ms once)."""
    ranges: list[tuple[int, int]] = []
    for lo, hi in _MARK_BLOCKS:
        for cp in range(lo, hi + 1):
            if unicodedata.category(chr(cp))[0] != "M":
                continue
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return _class_body(ranges)


@lru_cache(maxsize=1)
def word_re() -> re.Pattern[str]:
    """Runs of word characters and combining marks."""
    return re.compile(f"[\\w{_marks()}]+")


def point_free_words(text: str) -> list[str]:
    """The :func:`word_re` words of ``text`` without points: how search reads both the
    indexed text and the query, and how topic keywords read a document."""
    return word_re().findall(strip_points(text))


@lru_cache(maxsize=1)
def non_word_re() -> re.Pattern[str]:
    """Runs of anything else: the separators between :func:`word_re` words."""
    return re.compile(f"[^\\w{_marks()}]+")
