"""Words with their combining marks: features, keywords and searches (desktop.words)."""

from __future__ import annotations

import unicodedata

from desktop.enrich.topic_features import analyze_many, prepare
from desktop.enrich.topics import KeywordIndex
from desktop.words import non_word_re, strip_points, word_re


def test_a_word_keeps_its_vowel_signs() -> None:
    assert word_re().findall("आज का समाचार: भारत।") == ["आज", "का", "समाचार", "भारत"]
    assert word_re().findall("தமிழ் செய்திகள்") == ["தமிழ்", "செய்திகள்"]
    assert word_re().findall("café naïve") == ["café", "naïve"]
    nfd = unicodedata.normalize("NFD", "café")
    assert word_re().findall(nfd) == [nfd]  # a decomposed accent stays in its word
    assert non_word_re().sub(" ", "love ❤️ it").split() == ["love", "it"]


def test_arabic_and_hebrew_points_go() -> None:
    assert strip_points("عَرَبِيّ كِتَاب") == "عربي كتاب"
    assert strip_points("עִבְרִית") == "עברית"
    assert strip_points("ـمـرحـبـا") == "مرحبا"  # tatweel
    assert strip_points("ירושלים־העיר") == "ירושלים־העיר"  # maqaf is punctuation: kept
    assert strip_points("plain") == "plain"
    assert strip_points("Café crème; כֹּל") == "Café crème; כל"


def test_text_without_points_is_returned_as_it_is() -> None:
    for text in ("", "plain", "Café naïve", "Привет", "كتاب", "שלום", "समाचार"):
        assert strip_points(text) is text


def test_the_indexed_points_are_the_schemas() -> None:
    # v8 froze the points the search index leaves out (SQLite's triggers call
    # strip_points, PostgreSQL's generated column lists them): changing them needs a
    # migration that re-indexes both stores
    from desktop.store.migrations import v0008_search_points
    from desktop.words import _POINTS

    assert tuple(_POINTS) == v0008_search_points.POINTS


def test_topic_features_read_whole_words() -> None:
    assert prepare("समाचार", "भारत") == "समाचार भारत"
    assert prepare("كِتَابٌ جَدِيدٌ", "") == prepare("كتاب جديد", "")
    rows, hashes = analyze_many([("", "הַמֶּמְשָׁלָה הֶחְלִיטָה"), ("", "הממשלה החליטה")])
    assert sorted(hashes[rows == 0].tolist()) == sorted(hashes[rows == 1].tolist())


def test_keywords_match_whole_words() -> None:
    index = KeywordIndex()
    index.add("समाचार", "news")
    index.add("كتاب", "book")
    assert index.find("आज का समाचार") == {"news"}
    assert index.find("सम रचना च") == set()  # the pieces a \w+ split made of it
    assert index.find("كِتَابٌ جَدِيدٌ") == {"book"}
