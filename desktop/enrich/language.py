"""Language identification for article bodies and headlines.

Design (measured in ``tests/benchmarks/bench_language.py``):

1. Script routing: the dominant writing system of the text picks the candidate
   languages (Hangul -> ko, kana -> ja, Hebrew -> he, Greek -> el, Han -> zh/ja,
   Cyrillic -> ru/uk/bg, Arabic letters -> ar/fa, Devanagari -> hi, Latin -> the
   Latin-script languages). A non-Latin script with a fair share of the letters wins
   over Latin (Latin names inside Hebrew or Persian text). Scripts no supported
   language uses give ``und``; so do too few letters and lone names.
2. Fast path: fastText's compressed lid.176 model (``langid_fasttext``). On text with
   enough letters, when its best label is a supported language of the routed script
   with high probability, that is the answer.
3. Otherwise an ensemble: py3langid's byte n-gram naive Bayes (``langid_ngram``,
   scores per byte-length as py3langid's confidence) plus ``FT_WEIGHT`` x the log of
   fastText's probability plus ``WORD_WEIGHT`` x the common-word log10 likelihood
   (``langid_words``, wordfreq's most frequent words; the layer that lifts word pairs
   and headlines), over the routed candidates and *guard* languages (close neighbours
   outside the set: Catalan, Slovak, Malay, Macedonian, Urdu...). A guard that wins
   gives ``und`` (low confidence) instead of a forced near neighbour. A small penalty
   per letter that a language's alphabet lacks (ы for uk/bg, ї for ru, پ for ar...).
   Han text without kana leans to Chinese (``HAN_ZH_PRIOR``).
4. Confidence is the softmax of the combined scores; below ``threshold`` the answer
   is ``und``. Short texts need ``SHORT_THRESHOLD``, and fragments of one or two words
   ``FRAGMENT_THRESHOLD``: on word pairs that trades coverage (~83%) for precision
   (~99.3%). A fragment that ends like a sentence ("Сцена первая.") is a complete
   utterance rather than a headline scrap and needs only ``SHORT_THRESHOLD``.
   Words typed without diacritics ("pujde klicove utkani") reach the accent-folded
   entries of the word table (see ``resources/language/build_words.py``).

Text that is UTF-8 mis-read as a one-byte code page ("NejlĂ©pe", "cafÃ©", common in
scraped feeds) is repaired with ftfy before any of this.

Constants were tuned on the odd lines of lingua-testdata; the bench reports the even
lines apart. Models (~1-2 s, ~115 MB) load lazily or through
:meth:`LanguageDetector.load`; after that the detector is read-only and safe to share
between threads. Pickling keeps only the settings: a worker process re-loads.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.enrich.langid_words import OOV_LOG10

if TYPE_CHECKING:
    from desktop.enrich.langid_fasttext import FastTextScorer
    from desktop.enrich.langid_ngram import NgramScorer
    from desktop.enrich.langid_words import WordScorer

LANGUAGES: tuple[str, ...] = (
    "en", "de", "fr", "es", "it", "pt", "ru", "uk", "bg", "pl", "nl", "sv", "tr",
    "ar", "he", "fa", "hi", "zh", "ja", "ko", "id", "vi", "el", "cs", "ro",
)  # fmt: skip
UNKNOWN = "und"

# Tuned on the odd lines of lingua-testdata (see the bench).
DEFAULT_THRESHOLD = 0.1  # minimum confidence to answer
SHORT_LETTERS = 25  # texts with fewer letters than this are "short"...
SHORT_THRESHOLD = 0.13  # ...and need at least this confidence...
FRAGMENT_WORDS = 2  # ...and short texts of at most this many words (fragments)...
FRAGMENT_THRESHOLD = 0.7  # ...this much from the models, unless they end like a sentence
FT_WEIGHT = 0.5  # weight of log(fastText probability) against the n-gram score
FT_FLOOR = 1e-2  # probability given to labels outside fastText's top FT_TOP_K
FT_TOP_K = 30
FAST_MIN_LETTERS = 60  # the fastText-only path needs at least this many letters...
FAST_MIN_PROB = 0.9  # ...and this probability for its best label
WORD_WEIGHT = 2.0  # weight of the common-word log10 likelihood (langid_words)...
WORD_POWER = 0.5  # ...divided by (words found) ** WORD_POWER
WORD_NEUTRAL = 0.0  # a language without a word list scores this far from best to all-unknown
HAN_ZH_PRIOR = 2.0  # Han characters without kana: log-score bonus for Chinese over Japanese
GUARD_MARGIN = 2.5  # a guard must beat the best supported language by this
ALPHABET_PENALTY = 1.0  # raw log-score cost of one letter outside a language's alphabet
NON_LATIN_RATIO = 0.3  # a non-Latin script wins if its letters >= this x Latin letters
MAX_SAMPLE_CHARS = 500  # characters of a long body that are looked at (speed)
SCRIPT_SAMPLE_CHARS = 250  # characters whose letters are counted to find the script
MAX_SAMPLE_BYTES = 700  # bytes of that sample scored by the n-gram model (speed)
MIN_LETTERS = 3
MIN_LETTERS_CJK = 2

# Neighbours outside the supported set that the models know: text that scores
# clearly best as one of these is "und", not a forced near miss.
GUARDS: frozenset[str] = frozenset(
    [
        "af",
        "az",
        "bs",
        "ca",
        "cy",
        "da",
        "et",
        "eu",
        "fi",
        "ga",
        "gl",
        "hr",
        "hu",
        "is",
        "lt",
        "lv",
        "ms",
        "mt",
        "no",
        "nn",
        "sk",
        "sl",
        "sq",
        "sw",
        "tl",
        "so",
        "yo",
        "zu",
        "xh",
        "ha",
        "ig",
        "be",
        "mk",
        "sr",
        "kk",
        "ky",
        "mn",
        "tg",
        "tt",
        "ba",
        "ur",
        "ps",
        "ug",
        "ku",
        "sdh",
        "mr",
        "ne",
        "la",
        "eo",
    ]
)

_BASIC_LATIN = "abcdefghijklmnopqrstuvwxyz"
_LATIN_EXTRA = {
    "en": "é", "de": "äöüßé", "fr": "àâæçéèêëîïôœùûüÿ", "es": "áéíñóúü",
    "it": "àèéìíîòóùú", "pt": "áâãàçéêíóôõúü", "pl": "ąćęłńóśźż", "nl": "éëïöüèáóêç",
    "sv": "åäöéü", "tr": "çğıöşüâîû", "id": "é", "cs": "áčďéěíňóřšťúůýž", "ro": "ăâîșțşţ",
    "vi": "àáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
    "sk": "áäčďéíĺľňóôŕšťúýž", "ca": "àçèéíïòóúü·", "gl": "áéíñóúü", "ms": "é",
    "af": "éèêëîïôûŉ", "da": "æøåé", "no": "æøåéó", "nn": "æøåéó", "az": "çəğıöşü",
    "hr": "čćđšž", "bs": "čćđšž", "sl": "čšž", "hu": "áéíóöőúüű", "fi": "äöå",
    "et": "äöõüšž", "lt": "ąčęėįšųūž", "lv": "āčēģīķļņšūž", "is": "áðéíóúýþæö",
}  # fmt: skip
_CYR = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
_CYRILLIC = {
    "ru": _CYR + "ё",
    "uk": _CYR.translate(str.maketrans("", "", "ъыэ")) + "ґєії",
    "bg": _CYR.translate(str.maketrans("", "", "ыэ")) + "ѝ",
    "be": _CYR.translate(str.maketrans("", "", "ищъ")) + "ёіў",
    "mk": "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
    "sr": "абвгдђежзијклљмнњопрстћуфхцчџш",
    "kk": _CYR + "ёәғқңөұүһі", "ky": _CYR + "ёңөү", "mn": _CYR + "ёөү",
    "tg": _CYR + "ёғӣқӯҳҷ", "tt": _CYR + "ёәөүҗңһ", "ba": _CYR + "ёәөүғҡңҙҫһ",
}  # fmt: skip
_FA = "ءآأؤئابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیۀيكة"  # Arabic ي ك ة are common in Persian text
_ARABIC = {
    "ar": "ءآأؤإئابتثجحخدذرزسشصضطظعغفقلمنهوىيةك",
    "fa": _FA, "ur": _FA + "ٹڈڑںےھہۓ", "ps": _FA + "ټډړږښګڼېۍ",
}  # fmt: skip
ALPHABETS: dict[str, frozenset[str]] = {
    **{k: frozenset(_BASIC_LATIN + v) for k, v in _LATIN_EXTRA.items()},
    **{k: frozenset(v) for k, v in _CYRILLIC.items()},
    **{k: frozenset(v) for k, v in _ARABIC.items()},
}


_SCRIPT_RE = {
    "kana": re.compile("[\u3040-\u30ff\u31f0-\u31ff]"),
    "hangul": re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "han": re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "hebrew": re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]"),
    "arabic": re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"),
    "greek": re.compile("[\u0370-\u03ff\u1f00-\u1fff]"),
    "cyrillic": re.compile("[\u0400-\u052f]"),
    "devanagari": re.compile("[\u0900-\u097f]"),
    "latin": re.compile(
        "[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"
    ),
}
_CJK_SCRIPTS = frozenset({"kana", "hangul", "han"})
_NON_LATIN = ("han", "hebrew", "arabic", "greek", "cyrillic", "devanagari")
# Scripts whose supported language is fixed: no model needed.
_SINGLE = {"hangul": "ko", "kana": "ja", "hebrew": "he", "greek": "el"}
_LETTERS_RE = re.compile(r"[^\W\d_]", re.UNICODE)
_NOISE_RE = re.compile(
    r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|[@#]\w+|\b\w+\.(?:com|org|net|html?|php)\b",
    re.IGNORECASE,
)
_NOISE_CUES = ("@", "#", "://", "www.", ".com", ".org", ".net", ".htm", ".php")
_SENTENCE_END = frozenset(".!?…。！？")
# Lead characters of UTF-8 read as Latin-1, Windows-1252 or Windows-1250 ("Ã©", "Ä›",
# "Ĺ™", "â€™"): only text holding one is handed to ftfy, which repairs it when it is
# mojibake and leaves correct text (German "Ä", Swedish "Å") alone.
_MOJIBAKE_LEADS = frozenset("ÂÃÄÅĂĹâ")
_CLOSERS = " \t\n\"'”’»)]"
_TOKEN_RE = re.compile(r"[^\W\d_][^\W\d_'’.\-]*", re.UNICODE)


@dataclass(frozen=True)
class LanguageGuess:
    """One detection: an ISO 639-1 code or ``und``, and a confidence in [0, 1]."""

    code: str
    confidence: float


@dataclass(frozen=True)
class ArticleLanguage:
    """An article's language (from the body) and its headline's, kept apart."""

    language: str
    confidence: float
    title_language: str
    title_confidence: float


_UNKNOWN_GUESS = LanguageGuess(UNKNOWN, 0.0)


@dataclass(frozen=True)
class _Prepared:
    """Text that needs the models: cleaned sample, its script and letter count."""

    sample: str
    script: str
    letters: int
    fragment: bool  # short, and at most FRAGMENT_WORDS words
    sentence: bool  # ends like a sentence (full stop, question or exclamation mark)


@dataclass
class _Models:
    ngram: NgramScorer
    fasttext: FastTextScorer
    words: WordScorer


def _dominant_script(sample: str) -> tuple[str, int]:
    """The script the text is written in ('' if none) and its letter count."""
    counts = {name: len(rx.findall(sample)) for name, rx in _SCRIPT_RE.items()}
    latin = counts["latin"]
    floor = NON_LATIN_RATIO * latin
    cjk = counts["kana"] + counts["han"]
    if counts["kana"] and counts["kana"] * 10 >= counts["han"] and cjk >= floor:
        return "kana", cjk
    if counts["hangul"] and counts["hangul"] >= counts["han"] and counts["hangul"] >= floor:
        return "hangul", counts["hangul"]
    other = max(_NON_LATIN, key=counts.__getitem__)
    best = other if counts[other] and counts[other] >= floor else "latin"
    if not counts[best]:
        return "", 0
    rest = len(_LETTERS_RE.findall(sample)) - sum(counts.values())
    if rest > counts[best]:
        return "other", rest
    return best, counts[best]


def _strip_noise(text: str) -> str:
    """``text`` without URLs, e-mail addresses, handles and hashtags."""
    lowered = text.lower()
    if any(cue in lowered for cue in _NOISE_CUES):
        return _NOISE_RE.sub(" ", text)
    return text


def _repair_mojibake(sample: str) -> str:
    """``sample`` with UTF-8 mis-decoded as a one-byte code page repaired (ftfy)."""
    from ftfy import fix_encoding

    return fix_encoding(sample)


def _looks_like_name(text: str) -> bool:
    """One to three capitalised words and nothing else: a name, not evidence of a language."""
    tokens = _TOKEN_RE.findall(text)
    if not 1 <= len(tokens) <= 3 or sum(len(t) for t in tokens) > 30:
        return False
    return (
        all(t[0].isupper() and not t.isupper() for t in tokens) and text.strip()[-1:] not in ".!?"
    )


class LanguageDetector:
    """Detects the language of text among ``languages`` (default :data:`LANGUAGES`).

    Construction is cheap; the models load on first use or through :meth:`load`.
    """

    def __init__(
        self, languages: Sequence[str] = LANGUAGES, threshold: float | None = None
    ) -> None:
        unknown = set(languages) - set(LANGUAGES)
        if unknown:
            raise ValueError(f"unsupported language code(s): {sorted(unknown)}")
        self.languages: tuple[str, ...] = tuple(languages)
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self._supported = frozenset(self.languages)
        self._models: _Models | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"languages": self.languages, "threshold": self.threshold}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["languages"], state["threshold"])  # type: ignore[misc]

    @property
    def loaded(self) -> bool:
        """Whether the models are in memory."""
        return self._models is not None

    def load(self) -> None:
        """Load the models now (slow: ~1-2 s, ~115 MB); call it off the UI thread."""
        if self._models is None:
            with self._lock:
                if self._models is None:
                    from desktop.enrich.langid_fasttext import FastTextScorer
                    from desktop.enrich.langid_ngram import NgramScorer
                    from desktop.enrich.langid_words import WordScorer

                    self._models = _Models(
                        NgramScorer(self._supported | GUARDS), FastTextScorer(), WordScorer()
                    )

    def detect(self, text: str) -> LanguageGuess:
        """The language of ``text``, or ``und`` when there is too little evidence."""
        prepared = self._prepare(text)
        if isinstance(prepared, LanguageGuess):
            return prepared
        models = self._loaded_models()
        candidates = _route_candidates(prepared.script, self._supported)
        if not any(c in self._supported for c in candidates):
            return _UNKNOWN_GUESS
        ft = models.fasttext.probabilities(prepared.sample, FT_TOP_K)
        fast = self._fast_answer(ft, candidates, prepared.letters)
        if fast is not None:
            return fast
        ngram = _ngram_scores(models.ngram, prepared, candidates)
        if ngram is None:
            return _UNKNOWN_GUESS
        words = _word_scores(models.words, prepared.sample, ngram)
        if prepared.script == "han" and "zh" in ngram:
            ngram["zh"] += HAN_ZH_PRIOR
        return self._combine(ngram, ft, words, prepared)

    def detect_article(self, title: str, body_text: str) -> ArticleLanguage:
        """Body language first (headline only when the body has no text), and the headline's."""
        title_guess = self.detect(title or "")
        body = body_text or ""
        body_guess = self.detect(body) if _LETTERS_RE.search(body) else title_guess
        return ArticleLanguage(
            language=body_guess.code,
            confidence=body_guess.confidence,
            title_language=title_guess.code,
            title_confidence=title_guess.confidence,
        )

    def _loaded_models(self) -> _Models:
        self.load()
        assert self._models is not None
        return self._models

    def _prepare(self, text: str) -> _Prepared | LanguageGuess:
        """Cleaned sample and script, or the final guess when no model is needed."""
        if not text:
            return _UNKNOWN_GUESS
        sample = _strip_noise(text[:MAX_SAMPLE_CHARS])
        if not _MOJIBAKE_LEADS.isdisjoint(sample):
            sample = _repair_mojibake(sample)
        script, letters = _dominant_script(sample[:SCRIPT_SAMPLE_CHARS])
        if not script or script == "other":
            return _UNKNOWN_GUESS
        if letters < (MIN_LETTERS_CJK if script in _CJK_SCRIPTS else MIN_LETTERS):
            return _UNKNOWN_GUESS
        if script not in _CJK_SCRIPTS and _looks_like_name(sample):
            return _UNKNOWN_GUESS
        single = _SINGLE.get(script)
        if single is not None:
            if single not in self._supported:
                return _UNKNOWN_GUESS
            total = len(_LETTERS_RE.findall(sample[:SCRIPT_SAMPLE_CHARS])) or 1
            return self._final(single, min(1.0, letters / total), letters)
        if sample.isupper():
            sample = sample.lower()
        fragment = letters < SHORT_LETTERS and len(_TOKEN_RE.findall(sample)) <= FRAGMENT_WORDS
        sentence = sample.rstrip(_CLOSERS)[-1:] in _SENTENCE_END
        return _Prepared(unicodedata.normalize("NFC", sample), script, letters, fragment, sentence)

    def _fast_answer(
        self, ft: dict[str, float], candidates: Sequence[str], letters: int
    ) -> LanguageGuess | None:
        """fastText alone, when the text is long and its answer is clear and in the route."""
        if letters < FAST_MIN_LETTERS or not ft:
            return None
        code = max(ft, key=ft.__getitem__)
        prob = ft[code]
        if prob >= FAST_MIN_PROB and code in self._supported and code in candidates:
            return self._final(code, prob, letters)
        return None

    def _combine(
        self,
        ngram: dict[str, float],
        ft: dict[str, float],
        words: dict[str, float],
        prepared: _Prepared,
    ) -> LanguageGuess:
        """Ensemble of the n-gram scores, fastText's log-probabilities and common words."""
        combined = {
            c: s + FT_WEIGHT * math.log(ft.get(c, 0.0) + FT_FLOOR) + words.get(c, 0.0)
            for c, s in ngram.items()
        }
        inside = {c: s for c, s in combined.items() if c in self._supported}
        if not inside:
            return _UNKNOWN_GUESS
        code = max(inside, key=inside.__getitem__)
        guard_best = max((s for c, s in combined.items() if c not in self._supported), default=None)
        if guard_best is not None and guard_best - inside[code] > GUARD_MARGIN:
            return _UNKNOWN_GUESS
        top = max(combined.values())
        total = sum(math.exp(s - top) for s in combined.values())
        confidence = math.exp(inside[code] - top) / total
        return self._final(code, confidence, prepared.letters, prepared)

    def _final(
        self, code: str, confidence: float, letters: int, prepared: _Prepared | None = None
    ) -> LanguageGuess:
        need = self.threshold
        if letters < SHORT_LETTERS:
            scrap = prepared is not None and prepared.fragment and not prepared.sentence
            short = FRAGMENT_THRESHOLD if scrap else SHORT_THRESHOLD
            need = max(need, short)
        if confidence < need:
            return LanguageGuess(UNKNOWN, confidence)
        return LanguageGuess(code, confidence)


def _ngram_scores(
    model: NgramScorer, prepared: _Prepared, candidates: Sequence[str]
) -> dict[str, float] | None:
    """Per-byte scaled n-gram log-scores of the candidates, less the alphabet penalties."""
    data = prepared.sample.encode("utf-8", "surrogatepass")[:MAX_SAMPLE_BYTES]
    raw = model.scores(data)
    if raw is None:
        return None
    penalties = _alphabet_penalties(prepared.sample, prepared.script, candidates)
    scale = 1.0 / math.sqrt(len(data))
    return {
        code: (raw[code] - ALPHABET_PENALTY * penalty) * scale
        for code, penalty in zip(candidates, penalties, strict=True)
        if code in raw
    }


def _word_scores(model: WordScorer, sample: str, ngram: dict[str, float]) -> dict[str, float]:
    """Weighted common-word log-likelihoods of the candidates, relative to the best.

    A candidate without a word list scores ``WORD_NEUTRAL`` of the way from the best to
    "no word known" (0: words are no evidence against it).
    """
    if not WORD_WEIGHT:
        return {}
    raw, found = model.scores(sample, ngram)
    if not raw:
        return {}
    best = max(raw.values())
    neutral = best - WORD_NEUTRAL * (best - found * OOV_LOG10)
    scale = WORD_WEIGHT / found**WORD_POWER
    return {c: (raw.get(c, neutral) - best) * scale for c in ngram}


_LATIN_MODEL = (
    "en", "de", "fr", "es", "it", "pt", "pl", "nl", "sv", "tr", "id", "vi", "cs", "ro",
    "af", "az", "bs", "ca", "cy", "da", "et", "eu", "fi", "ga", "gl", "hr", "hu", "is", "lt",
    "lv", "ms", "mt", "no", "nn", "sk", "sl", "sq", "sw", "tl", "so", "yo", "zu", "xh", "ha",
    "ig", "la", "eo",
)  # fmt: skip
_ROUTES: dict[str, tuple[str, ...]] = {
    "latin": _LATIN_MODEL,
    "cyrillic": ("ru", "uk", "bg", "be", "mk", "sr", "kk", "ky", "mn", "tg", "tt", "ba"),
    "arabic": ("ar", "fa", "ur", "ps", "ug", "ku", "sdh"),
    "devanagari": ("hi", "mr", "ne"),
    "han": ("zh", "ja"),
}


def _route_candidates(script: str, supported: frozenset[str]) -> tuple[str, ...]:
    return tuple(c for c in _ROUTES.get(script, ()) if c in supported or c in GUARDS)


def _alphabet_penalties(sample: str, script: str, candidates: Sequence[str]) -> list[int]:
    """Per candidate, how many letters of ``sample`` its alphabet lacks (same script only)."""
    if script not in ("latin", "cyrillic", "arabic"):
        return [0] * len(candidates)
    rx = _SCRIPT_RE[script]
    letters = Counter(rx.findall(sample.lower() if script != "arabic" else sample))
    if script == "latin":  # plain ASCII letters are in every Latin alphabet
        letters = Counter({ch: n for ch, n in letters.items() if ch > "z"})
    out = []
    for code in candidates:
        alphabet = ALPHABETS.get(code)
        out.append(
            0 if alphabet is None else sum(n for ch, n in letters.items() if ch not in alphabet)
        )
    return out
