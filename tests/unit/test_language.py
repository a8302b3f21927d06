"""Language detection on real text: seed feed, lingua-testdata sentences, und cases."""

from __future__ import annotations

import json
import pickle
import threading
from collections import Counter
from pathlib import Path

import pytest

from desktop.enrich.clean import html_to_text
from desktop.enrich.language import (
    LANGUAGES,
    UNKNOWN,
    ArticleLanguage,
    LanguageDetector,
    LanguageGuess,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "enrich"
ROOT = Path(__file__).resolve().parents[2]


def lingua_dir() -> Path | None:
    for base in (ROOT / ".." / "shared", Path("/work/shared")):
        path = base / "data" / "langid" / "lingua-testdata"
        if path.is_dir():
            return path
    return None


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    d = LanguageDetector()
    d.load()
    return d


def test_the_language_set() -> None:
    assert len(LANGUAGES) == len(set(LANGUAGES)) == 25
    assert set(
        [
            "en",
            "de",
            "fr",
            "es",
            "it",
            "pt",
            "ru",
            "uk",
            "bg",
            "pl",
            "nl",
            "sv",
            "tr",
            "ar",
            "he",
            "fa",
            "hi",
            "zh",
            "ja",
            "ko",
            "id",
            "vi",
            "el",
            "cs",
            "ro",
        ]
    ) == set(LANGUAGES)


def test_construction_is_cheap_and_loading_is_lazy() -> None:
    d = LanguageDetector()
    assert not d.loaded
    assert d.detect("Hello").code in (UNKNOWN, "en")  # a short word may stay unknown
    d2 = LanguageDetector()
    assert d2.detect("").code == UNKNOWN and not d2.loaded  # no model needed for empty text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!!!",
        "OK",
        "ok",
        "Emily Horne",
        "Vladimir Putin",
        "Zelenskyy",
        "2021-11-19 12:00",
        "100,000",
        "https://example.com/news/2021/article-1?utm_source=x",
        "user@example.com",
        "★ ★ ★",
    ],
)
def test_no_confident_answer_without_evidence(detector: LanguageDetector, text: str) -> None:
    guess = detector.detect(text)
    assert guess == LanguageGuess(UNKNOWN, guess.confidence)
    assert guess.confidence < detector.threshold or guess.confidence == 0.0


def test_each_supported_language_on_a_real_sentence(detector: LanguageDetector) -> None:
    sentences = json.loads((FIXTURES / "lingua-sentences.json").read_text(encoding="utf-8"))[
        "in_set"
    ]
    assert set(sentences) == set(LANGUAGES)
    got = {lang: detector.detect(text) for lang, text in sentences.items()}
    wrong = {lang: g for lang, g in got.items() if g.code != lang}
    assert not wrong
    assert all(0.0 < g.confidence <= 1.0 for g in got.values())


def test_out_of_set_sentences_are_not_forced_onto_a_neighbour(detector: LanguageDetector) -> None:
    other = json.loads((FIXTURES / "lingua-sentences.json").read_text(encoding="utf-8"))[
        "out_of_set"
    ]
    answers = Counter()
    for lang, lines in other.items():
        for line in lines:
            code = detector.detect(line).code
            answers["ok" if code in (UNKNOWN, lang) else f"{lang}->{code}"] += 1
    forced = sum(n for k, n in answers.items() if k != "ok")
    assert forced <= 2, answers  # Catalan, Slovak, Macedonian, Belarusian, Danish, Urdu


def test_restricting_the_set_gives_und_for_the_rest() -> None:
    d = LanguageDetector(languages=("en", "de"))
    assert (
        d.detect("Президент заявил, что переговоры продолжатся на следующей неделе.").code
        == UNKNOWN
    )
    assert (
        d.detect("Der Präsident sagte, die Gespräche würden nächste Woche fortgesetzt.").code
        == "de"
    )
    with pytest.raises(ValueError):
        LanguageDetector(languages=("en", "xx"))


def test_seed_feed_body_and_title_languages(detector: LanguageDetector) -> None:
    from lxml import etree

    expect = json.loads((FIXTURES / "index-of-news.expect.json").read_text(encoding="utf-8"))
    tree = etree.parse(str(FIXTURES / "index-of-news.rss"))
    items = {i.findtext("guid"): i for i in tree.iter("item")}
    assert len(expect["items"]) == 7
    for want in expect["items"]:
        item = items[want["guid"]]
        result = detector.detect_article(
            item.findtext("title"), html_to_text(item.findtext("description"))
        )
        assert isinstance(result, ArticleLanguage)
        assert (result.language, result.title_language) == (
            want["body_language"],
            want["title_language"],
        ), want["guid"]
        assert result.confidence >= detector.threshold


def test_headline_is_used_only_when_there_is_no_body(detector: LanguageDetector) -> None:
    title = "Russische Börse: Kaufen, in der Hoffnung, dass die Kanonen nie donnern"
    assert detector.detect_article(title, "").language == "de"
    assert detector.detect_article(title, "  \n ").language == "de"
    body = "Перу отчете рекордни нива на инфлация в края на 2021 г. достигащи 13-годишен връх."
    result = detector.detect_article("Inflation in Peru has reached a 13-year high", body)
    assert (result.language, result.title_language) == ("bg", "en")
    empty = detector.detect_article("", "")
    assert (empty.language, empty.title_language) == (UNKNOWN, UNKNOWN)


def test_script_cues(detector: LanguageDetector) -> None:
    assert detector.detect("これは日本語の文章です。東京で会議が開かれました。").code == "ja"
    assert detector.detect("国务院总理今天在北京主持召开国务院常务会议").code == "zh"
    assert detector.detect("서울에서 열린 회의에서 정부는 새로운 정책을 발표했다").code == "ko"
    assert detector.detect("Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία").code == "el"
    assert (
        detector.detect("Україна отримала нову партію допомоги від європейських партнерів").code
        == "uk"
    )
    assert detector.detect("این گزارش نشان می‌دهد که اقتصاد کشور در حال بهبود است").code == "fa"
    assert detector.detect("أعلنت الحكومة عن إجراءات جديدة لدعم الاقتصاد الوطني").code == "ar"
    assert (
        detector.detect("ภาษาไทยเป็นภาษาราชการของประเทศไทย").code == UNKNOWN
    )  # Thai: not in the set


def test_pickle_and_threads(detector: LanguageDetector) -> None:
    clone = pickle.loads(pickle.dumps(detector))
    assert not clone.loaded and clone.threshold == detector.threshold
    assert len(pickle.dumps(detector)) < 2_000
    texts = [
        "Der Präsident sagte, die Gespräche würden nächste Woche fortgesetzt.",
        "Le président a déclaré que les discussions reprendraient la semaine prochaine.",
    ] * 50
    results: list[str] = []

    def work() -> None:
        results.extend(detector.detect(t).code for t in texts)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(results) == Counter({"de": 200, "fr": 200})


def _sample_accuracy(detector: LanguageDetector, kind: str) -> tuple[float, float, float]:
    """(accuracy, coverage, precision when answered) on the first 100 lines per language."""
    data = lingua_dir()
    if data is None:
        pytest.skip("shared lingua-testdata not found")
    correct = answered = total = 0
    for lang in LANGUAGES:
        lines = (data / kind / f"{lang}.txt").read_text(encoding="utf-8").splitlines()[:100]
        for line in lines:
            code = detector.detect(line).code
            total += 1
            correct += code == lang
            answered += code != UNKNOWN
    return correct / total, answered / total, correct / answered


def test_sentence_accuracy_on_lingua_sample(detector: LanguageDetector) -> None:
    """100 sentences per language (the first 100 lines); guards against regressions."""
    accuracy, _, precision = _sample_accuracy(detector, "sentences")
    # Measured 0.9964, precision 0.9980 (und counted wrong; most misses are in the noisy
    # cs file: English titles, Polish lines).
    assert accuracy >= 0.995
    assert precision >= 0.996


def test_word_pair_accuracy_on_lingua_sample(detector: LanguageDetector) -> None:
    """Headline-like fragments: 100 word pairs per language. One- or two-word texts need a
    high confidence, so the issue's alternative goal applies: >= 99% correct when answering
    >= 80%."""
    _, coverage, precision = _sample_accuracy(detector, "word-pairs")
    # Measured coverage 0.8528, precision 0.9939.
    assert coverage >= 0.83
    assert precision >= 0.99


def test_mixed_scripts_follow_the_non_latin_text(detector: LanguageDetector) -> None:
    """Latin names inside Hebrew or Greek text do not make it Latin-script text, and a
    Japanese name inside Dutch text does not make it Japanese."""
    assert detector.detect("כולם הופיעו ב-Journal of Biological Chemistry.").code == "he"
    assert detector.detect("Όχι για extreme gaming και άλλα παιχνίδια.").code == "el"
    dutch = (
        "Fairy Tail (フェアリーテイル Fearī Teiru, geromaniseerd als FAIRY TAIL in Japan) "
        "is een Japanse mangaserie."
    )
    assert detector.detect(dutch).code == "nl"


def test_long_bodies_take_the_fasttext_path_and_agree_with_the_ensemble(
    detector: LanguageDetector,
) -> None:
    """A long body answered by fastText alone gets the same code as the full ensemble."""
    import desktop.enrich.language as language

    data = lingua_dir()
    if data is None:
        pytest.skip("shared lingua-testdata not found")
    slow = LanguageDetector()
    slow.load()
    for lang in ("ru", "uk", "bg", "es", "pt", "id", "fa", "cs"):
        lines = (data / "sentences" / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
        body = " ".join(lines[200:210])
        fast = detector.detect(body)
        saved = language.FAST_MIN_LETTERS
        language.FAST_MIN_LETTERS = 10**9
        try:
            full = slow.detect(body)
        finally:
            language.FAST_MIN_LETTERS = saved
        assert fast.code == full.code == lang


def test_fasttext_model_is_shipped_and_never_downloaded(tmp_path: Path) -> None:
    from desktop.enrich.langid_fasttext import FastTextScorer, model_path

    assert model_path().is_file()
    notice = (model_path().parent / "README.md").read_text(encoding="utf-8")
    assert "Attribution-Share-Alike 3.0" in notice
    with pytest.raises(FileNotFoundError):
        FastTextScorer(tmp_path / "missing.ftz")
    probs = FastTextScorer().probabilities("Der Präsident sagte,\ndie Gespräche gehen weiter.", 5)
    assert max(probs, key=probs.__getitem__) == "de" and len(probs) <= 5


def test_word_table_is_shipped_and_ranks_common_words() -> None:
    from desktop.enrich.langid_words import WordScorer, model_path, words_of

    assert model_path().is_file()
    notice = (model_path().parent / "README.md").read_text(encoding="utf-8")
    assert "wordfreq" in notice and "CC BY-SA 4.0" in notice
    # Persian text typed with Arabic yeh/kaf is keyed like the Persian forms.
    assert words_of("كشيدند می\u200cدهد l'homme İstanbul") == [
        "کشیدند",
        "می\u200cدهد",
        "l",
        "homme",
        "istanbul",
    ]
    scorer = WordScorer()
    for text, want, rival in (
        ("entre verde", "pt", "ro"),
        ("los campos", "es", "pt"),
        ("увеличение капитала", "ru", "uk"),
        ("които бяха", "bg", "ru"),
        ("مجموعه مقالات", "fa", "ar"),
        ("zpráva vlády", "cs", "pl"),
    ):
        scores, found = scorer.scores(text, (want, rival))
        assert found == 2 and scores[want] > scores[rival], text
    assert scorer.scores("qqqxz zzkvw", ("en", "de")) == ({}, 0)


def test_word_table_knows_words_typed_without_diacritics() -> None:
    from desktop.enrich.langid_words import WordScorer, words_of

    # Romanian s/t with cedilla are keyed like the comma-below letters wordfreq uses.
    assert words_of("Şi ştiu ţara") == ["și", "știu", "țara"]
    scorer = WordScorer()
    for text, want, rival in (
        ("prilis zlutoucky kun", "cs", "pl"),  # příliš žluťoučký kůň
        ("pujde klicove utkani", "cs", "pt"),  # půjde klíčové utkání
        ("stiu daca veti", "ro", "it"),  # știu dacă veți
        ("zolw wlasnie", "pl", "cs"),  # żółw właśnie
        ("gunes cicek", "tr", "id"),  # güneş çiçek
    ):
        scores, found = scorer.scores(text, (want, rival))
        assert found >= 2 and scores[want] > scores[rival], text
    # A folded form costs more than the accented word it stands for.
    plain, _ = scorer.scores("prilis", ("cs",))
    accented, _ = scorer.scores("příliš", ("cs",))
    assert accented["cs"] > plain["cs"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Pro nas pujde o klicove utkani.", "cs"),
        ("Prilis zlutoucky kun upel dabelske ody a pak sel domu.", "cs"),
        ("Nu ştiu dacă veţi veni mâine la şcoală.", "ro"),
        ("Сцена первая.", "ru"),  # a two-word sentence, not a headline fragment
    ],
)
def test_text_typed_without_diacritics_and_short_sentences(
    detector: LanguageDetector, text: str, code: str
) -> None:
    assert detector.detect(text).code == code


def test_word_table_missing_raises(tmp_path: Path) -> None:
    from desktop.enrich.langid_words import WordScorer

    with pytest.raises(FileNotFoundError):
        WordScorer(tmp_path / "missing.npz")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # UTF-8 read as Windows-1250 (a line of lingua-testdata's Czech file)
        ("NejlĂ©pe to vysvÄ›tlĂ­ nĂˇsledujĂ­cĂ­ pĹ™Ă­klad:", "cs"),
        # UTF-8 read as Windows-1252
        ("Le gouvernement a annoncÃ© une rÃ©forme des retraites trÃ¨s contestÃ©e.", "fr"),
    ],
)
def test_mojibake_is_repaired_before_detection(
    detector: LanguageDetector, text: str, code: str
) -> None:
    guess = detector.detect(text)
    assert guess.code == code and guess.confidence > 0.5


def test_correct_text_with_mojibake_lead_letters_is_left_alone(
    detector: LanguageDetector,
) -> None:
    from desktop.enrich.language import _repair_mojibake

    for text in ("Äpfel und Öl kosten mehr.", "Åsa läser en bok på tåget.", "Ăsta e bine."):
        assert _repair_mojibake(text) == text
    assert detector.detect("Åsa läser en bok på tåget i Stockholm.").code == "sv"
