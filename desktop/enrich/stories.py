"""Fold copies of one article (other URL, other source, aggregator copy) into one story.

Pure functions; the store keeps the keys. The ingest, for each new article:

1. ``info = analyse(title=..., text=..., url=..., guid=...)`` (or ``fingerprint`` +
   ``story_keys``) gives the article's blocking keys and its ``StoryCandidate``.
2. It looks the keys up in ``story_keys(key TEXT PRIMARY KEY, story_id)`` (indexed
   equality; no pairwise scan), loads the few candidate articles of those stories
   (fingerprint, title, url, guid and their cleaned text) and asks ``is_duplicate``.
3. The first verified candidate's story is joined; otherwise the article starts a
   story. Either way its keys are inserted with ``INSERT OR IGNORE`` (first story wins).

``StoryIndex`` is the same procedure over in-memory dicts: tests and benchmarks use it,
and it is the reference for the SQL version.

Keys: ``u:`` canonical URL, ``g:`` globally unique-looking guid, ``t:`` normalised title,
``p:`` the first words of the body (finds truncated aggregator copies), ``f:`` the exact
text fingerprint and ``b<i>:`` MinHash LSH bands over word shingles (finds copies with
other boilerplate). Verification is deliberately strict: a false fold hides news.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:  # NumPy is imported where fingerprints are computed, not by canonical_url users
    import numpy as np

# --- tuning constants (see tests/fixtures/stories/README.md for how they were chosen) ---
MAX_TOKENS = 2000  # tokens of body text used for fingerprints and verification
SHINGLE = 3  # words per shingle (dense scripts: characters per shingle)
PREFIX_TOKENS = 12  # tokens hashed into the "p:" key
MIN_TEXT_TOKENS = 12  # below this a body is "short": titles must carry the match
BANDS = 4  # MinHash LSH bands ...
ROWS = 2  # ... of this many minima each
MIN_BAND_SHINGLES = 16  # no band keys for texts with fewer shingles
MAX_HAMMING = 3  # fingerprint-only verification (no text available)

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "igshid", "twclid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "vero_id",
        "vero_conv", "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "ocid",
        "icid", "ncid", "ito", "s_cid", "sr_share", "share", "smid", "soc_src",
        "soc_trk", "rss", "rss_id", "from_rss", "feed_id", "at_medium", "at_campaign",
        "wt.mc_id", "wt_mc_id", "spm", "_ga", "_gl", "oly_anon_id", "oly_enc_id",
        "__twitter_impression", "xtor", "guccounter", "guce_referrer", "guce_referrer_sig",
        "src", "via", "source", "campaign", "trk", "trkcampaign", "ns_mchannel",
        "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "sh", "amp", "outputtype",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "__hs", "itm_", "at_", "ga_")
_AMP_HOSTS = ("amp.", "m.", "mobile.", "www.")
_AMP_PATH = re.compile(r"(?:/amp|/amp\.html|\.amp)/?$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_SLASHES = re.compile(r"/{2,}")

_WORD = re.compile(r"\w+")
_DENSE_CHARS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
)
_DENSE = re.compile(f"[{_DENSE_CHARS}]")
_DENSE_SPLIT = re.compile(f"[{_DENSE_CHARS}]|[^{_DENSE_CHARS}]+")
_NUMBER = re.compile(r"\d")
_TAGS = re.compile(r"<[^>]{0,2000}>")
# Aggregator and feed boilerplate that must not decide a match (matched case-insensitively).
_TRAILING = re.compile(
    r"(?:"
    r"the post\b.{1,400}?\bappeared first on\b.{0,200}"
    r"|(?:this|the) (?:article|entry|post|story)\b.{0,200}?\b(?:was |is )?(?:originally |first )?"
    r"(?:published|posted|appeared)\b.{0,200}"
    r"|(?:read more|read on|continue reading|keep reading|read (?:the )?(?:full|whole|rest of the)"
    r" (?:story|article|post)|weiterlesen|lire la suite|leer más|leggi tutto|подробнее|далее"
    r"|続きを読む|阅读全文|더 보기)\b.{0,60}"
    r"|\[(?:…|\.\.\.|&hellip;)\]|…|\.\.\.+|»|›|→|\(more\)|\[more\]"
    r")\s*$",
    re.IGNORECASE | re.DOTALL,
)
_LEADING = re.compile(
    r"^\s*(?:(?:originally |first )?(?:published|posted) (?:on|at|by|in)\b[^\n]{0,200}\n"
    r"|(?:via|source|from)\s*:?[^\n]{0,120}\n)",
    re.IGNORECASE,
)
_TITLE_SUFFIX = re.compile(r"\s+(?:[-|–—:·•]|::)\s+([^-|–—:·•]{1,60})$")
_MASK64 = (1 << 64) - 1
_TRAILING_CUES = (
    "appeared", "published", "posted", "read", "continu", "weiterlesen", "suite", "más",
    "leggi", "подробнее", "далее", "続き", "阅读", "더 보기", "...", "»", "›", "→", "more",
)  # fmt: skip
MAX_TOKEN_CHARS = 48  # longer tokens are hashed on their first characters


def _splitmix_seq(seed: int, n: int) -> list[int]:
    """Deterministic 64-bit constants (pure Python: stable across NumPy versions)."""
    out = []
    for _ in range(n):
        seed = (seed + 0x9E3779B97F4A7C15) & _MASK64
        z = seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        out.append(z ^ (z >> 31))
    return out


@lru_cache(maxsize=1)
def _hash_constants() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-position character coefficients, MinHash multipliers and offsets.

    Stored keys and fingerprints depend on these constants: changing them means re-keying.
    """
    import numpy as np

    char_coef = np.array(_splitmix_seq(1, MAX_TOKEN_CHARS), dtype=np.uint64) | np.uint64(1)
    mh_mul = np.array(_splitmix_seq(2, BANDS * ROWS), dtype=np.uint64) | np.uint64(1)
    mh_add = np.array(_splitmix_seq(3, BANDS * ROWS), dtype=np.uint64)
    return char_coef, mh_mul, mh_add


# --------------------------------------------------------------------------- URLs


# http(s), a lower-case host, maybe a port, a plain path; no user, query or fragment.
_SIMPLE_URL = re.compile(
    r"(https?)://([a-z0-9][a-z0-9.-]*)(?::([0-9]{1,5}))?(/[A-Za-z0-9/:@!$&'()*+,;=._~-]*)?"
)
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*")
"""Path characters that ``quote(unquote(...))`` leaves alone (no ``%``, nothing non-ASCII)."""


def canonical_url(url: str) -> str:
    """The URL with case, default port, fragment, tracking parameters and mirrors normalised.

    ``www.``, ``m.``, ``mobile.`` and ``amp.`` host prefixes and ``/amp`` path suffixes are
    dropped (mirrors of one page); remaining query parameters are sorted, so two links to
    the same content compare equal. Content-identifying parameters (``?id=``, ``?p=``,
    ``?v=``, ...) are kept. Not an absolute URL: returned stripped, unchanged otherwise.
    """
    url = (url or "").strip()
    simple = _SIMPLE_URL.fullmatch(url)
    if simple:  # the common case, without urlsplit's cost: the same result
        host, port, path = simple.group(2, 3, 4)
        host = host.rstrip(".")
        while host.startswith(_AMP_HOSTS) and host.count(".") >= 2:
            host = host[host.index(".") + 1 :]
        if port is not None and (int(port) > 65535 or str(int(port)) == _DEFAULT_PORTS[simple[1]]):
            port = None
        path = _AMP_PATH.sub("", path or "")
        if "//" in path:
            path = _SLASHES.sub("/", path)
        path = path.rstrip("/") or "/"
        return f"https://{host}{path}" if port is None else f"https://{host}:{int(port)}{path}"
    return _canonical_url_general(url)


def _canonical_url_general(url: str) -> str:
    """``canonical_url`` of any stripped URL, through ``urlsplit``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return url
    host = (parts.hostname or "").rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in _AMP_HOSTS:
            if host.startswith(prefix) and host.count(".") >= 2:
                host, changed = host[len(prefix) :], True
    try:
        port = parts.port  # parsed on every access: once is enough
    except ValueError:
        port = None
    netloc = host if port is None or str(port) == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = parts.path
    if not _PLAIN_PATH.fullmatch(path):  # quoting a plain ASCII path changes nothing
        path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~%")
    path = _AMP_PATH.sub("", path)
    if "//" in path:
        path = _SLASHES.sub("/", path)
    path = path.rstrip("/") or "/"
    query = ""
    if parts.query:
        pairs = [
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
        ]
        pairs.sort()
        query = urlencode(pairs)
    # https and http serve the same article: the scheme is not part of its identity.
    return urlunsplit(("https", netloc, path, query, ""))


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_PARAMS or k.startswith(TRACKING_PREFIXES)


def _url_is_specific(canon: str) -> bool:
    """False for site roots and section pages that many items may share as their link."""
    try:
        parts = urlsplit(canon)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https"):
        return len(canon) >= 12 and "/" in canon.strip("/")
    segments = [s for s in parts.path.split("/") if s]
    return bool(parts.query) or len(segments) >= 2 or (len(segments) == 1 and len(segments[0]) > 12)


def _guid_is_unique(guid: str) -> bool:
    """Guids like "1" or "post-12" repeat across feeds; URLs, tag: URIs and UUIDs do not."""
    g = guid.strip()
    return len(g) >= 16 or (len(g) >= 10 and any(c in g for c in ":/@."))


# --------------------------------------------------------------------------- text


def normalise_text(text: str) -> str:
    """Unescaped, tag-free, NFKC, case-folded text without trailing aggregator boilerplate."""
    if not text:
        return ""
    t = html.unescape(text)
    if "<" in t:
        t = _TAGS.sub(" ", t)
    t = unicodedata.normalize("NFKC", t).casefold().strip()
    for _ in range(4):
        head, tail = t[:-600], t[-600:]
        if not any(cue in tail for cue in _TRAILING_CUES):
            break
        new = _TRAILING.sub("", tail).rstrip()
        if new == tail:
            break
        t = head + new
    for _ in range(2):
        t2 = _LEADING.sub("", t, count=1)
        if t2 == t:
            break
        t = t2
    return t


def tokenize(text: str, limit: int = MAX_TOKENS) -> list[str]:
    """Word tokens; scripts written without spaces (CJK, Thai, ...) become characters."""
    norm = normalise_text(text)
    if not _DENSE.search(norm):
        return _WORD.findall(norm, 0, limit * 40)[:limit]
    out: list[str] = []
    for word in _WORD.findall(norm):
        if _DENSE.search(word):
            out.extend(_DENSE_SPLIT.findall(word))
        else:
            out.append(word)
        if len(out) >= limit:
            break
    return out[:limit]


def _title_variants(title: str) -> list[list[str]]:
    """Title tokens, and also without a trailing " - Site" style suffix when it has one."""
    t = unicodedata.normalize("NFKC", html.unescape(title or "")).strip()
    out = [tokenize(t, 64)]
    m = _TITLE_SUFFIX.search(t)
    if m and len(m.group(1).split()) <= 4 and len(t) - len(m.group(0)) >= 8:
        out.append(tokenize(t[: m.start()], 64))
    return out


def _title_tokens(title: str) -> list[str]:
    return _title_variants(title)[-1]


def _dense(tokens: list[str]) -> bool:
    if not tokens or not _DENSE.search("".join(tokens[:200])):
        return False
    return bool(tokens) and sum(len(t) == 1 and bool(_DENSE.match(t)) for t in tokens) * 2 > len(
        tokens
    )


def _hash64(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")


def _token_hashes(tokens: list[str]) -> np.ndarray:
    """Vectorised 64-bit hash of each token: code points times per-position constants."""
    import numpy as np

    if tokens and max(map(len, tokens)) > MAX_TOKEN_CHARS:
        tokens = [t[:MAX_TOKEN_CHARS] for t in tokens]
    arr = np.array(tokens, dtype=str)
    width = arr.dtype.itemsize // 4
    codes = arr.view(np.uint32).reshape(len(tokens), width).astype(np.uint64)
    with np.errstate(over="ignore"):
        acc = codes @ _hash_constants()[0][:width] if width else np.zeros(len(tokens), np.uint64)
    return _mix(acc.astype(np.uint64))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised, wrapping uint64 arithmetic)."""
    import numpy as np

    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _shingle_hashes(tokens: list[str]) -> np.ndarray:
    import numpy as np

    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    th = _token_hashes(tokens)
    n = len(th) - SHINGLE + 1
    if n <= 0:
        return _mix(th)
    acc = th[:n].copy()
    with np.errstate(over="ignore"):
        for i in range(1, SHINGLE):
            acc = _mix(acc * np.uint64(0x9E3779B97F4A7C15) + th[i : i + n])
    return np.unique(acc)


def _simhash(hashes: np.ndarray) -> int:
    import numpy as np

    if hashes.size == 0:
        return 0
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8)).reshape(-1, 64)
    counts = bits.sum(axis=0, dtype=np.int64)
    packed = np.packbits(counts * 2 > hashes.size)
    value = int.from_bytes(packed.tobytes(), "big")
    return value - (1 << 64) if value >= 1 << 63 else value


def _minhash_bands(hashes: np.ndarray) -> list[int]:
    import numpy as np

    _, mh_mul, mh_add = _hash_constants()
    with np.errstate(over="ignore"):
        perm = _mix(hashes[None, :] * mh_mul[:, None] + mh_add[:, None])
    mins = perm.min(axis=1).reshape(BANDS, ROWS)
    return [_hash64(",".join(str(int(v)) for v in row)) for row in mins]


def hamming(a: int, b: int) -> int:
    """Bits that differ between two 64-bit fingerprints (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


# --------------------------------------------------------------------------- public API


@dataclass(slots=True)
class StoryCandidate:
    """What verification needs of one article: the store's columns plus its cleaned text.

    ``text`` may be empty (then only the fingerprint, length and title can be compared,
    which is stricter); ``url`` is the canonical URL.
    """

    fingerprint: int
    title: str
    text_len: int = 0
    url: str | None = None
    guid: str | None = None
    text: str = ""
    _tokens: list[str] | None = field(default=None, repr=False, compare=False)

    def tokens(self) -> list[str]:
        """Body tokens (cached)."""
        if self._tokens is None:
            self._tokens = tokenize(self.text)
        return self._tokens


@dataclass(slots=True)
class StoryInfo:
    """An analysed article: its candidate (for verification) and its blocking keys."""

    candidate: StoryCandidate
    keys: list[str]


def analyse(*, title: str, text: str, url: str | None = None, guid: str | None = None) -> StoryInfo:
    """Tokenise once; return the article's fingerprint, candidate and story keys."""
    toks = tokenize(text)
    hashes = _shingle_hashes(toks if len(toks) >= 3 else _title_tokens(title))
    fp = _simhash(hashes)
    canon = canonical_url(url) if url else None
    cand = StoryCandidate(
        fingerprint=fp, title=title or "", text_len=len(toks), url=canon, guid=guid, text=text
    )
    cand._tokens = toks
    return StoryInfo(cand, _keys(cand, toks, hashes if len(toks) >= 3 else None))


def fingerprint(title: str, text: str) -> int:
    """64-bit signed SimHash over word shingles of the normalised body (title if no body)."""
    toks = tokenize(text)
    return _simhash(_shingle_hashes(toks if len(toks) >= 3 else _title_tokens(title)))


def story_keys(
    *, guid: str | None, url: str | None, title: str, text: str, fingerprint: int
) -> list[str]:
    """Blocking keys of an article: a duplicate shares at least one with high probability."""
    toks = tokenize(text)
    cand = StoryCandidate(
        fingerprint=fingerprint,
        title=title or "",
        text_len=len(toks),
        url=canonical_url(url) if url else None,
        guid=guid,
    )
    return _keys(cand, toks, _shingle_hashes(toks) if len(toks) >= 3 else None)


def _keys(cand: StoryCandidate, toks: list[str], hashes: np.ndarray | None) -> list[str]:
    keys: list[str] = []
    if cand.url and _url_is_specific(cand.url):
        keys.append(f"u:{_hash64(cand.url):016x}")
    if cand.guid and _guid_is_unique(cand.guid):
        g = cand.guid.strip()
        g = canonical_url(g) if g.startswith(("http://", "https://")) else g
        keys.append(f"g:{_hash64(g):016x}")
    dense = _dense(toks)
    for ttoks in _title_variants(cand.title):
        if len(ttoks) >= (8 if _dense(ttoks) else 3):
            keys.append(f"t:{_hash64(' '.join(ttoks)):016x}")
    plen = PREFIX_TOKENS * (2 if dense else 1)
    if len(toks) >= plen:
        keys.append(f"p:{_hash64(' '.join(toks[:plen])):016x}")
    if hashes is not None and hashes.size >= MIN_BAND_SHINGLES:
        keys.append(f"f:{cand.fingerprint & _MASK64:016x}")
        keys.extend(f"b{i}:{band:016x}" for i, band in enumerate(_minhash_bands(hashes)))
    return keys


def _numbers(tokens: Iterable[str]) -> frozenset[str]:
    return frozenset(t for t in tokens if _NUMBER.search(t))


def title_similarity(a: str, b: str) -> float:
    """Token overlap of two titles (site suffixes ignored); 0 when their numbers differ."""
    best = 0.0
    for ta in _title_variants(a):
        for tb in _title_variants(b):
            if not ta or not tb:
                continue
            na, nb = _numbers(ta), _numbers(tb)
            if na and nb and na != nb:
                continue
            sa, sb = set(ta), set(tb)
            best = max(best, len(sa & sb) / len(sa | sb))
    return best


def _numbers_conflict(a: str, b: str) -> bool:
    """Both titles carry numbers and no variant of them carries the same numbers."""
    pairs = [(_numbers(x), _numbers(y)) for x in _title_variants(a) for y in _title_variants(b)]
    return all(na and nb and na != nb for na, nb in pairs)


def _shingle_set(tokens: list[str]) -> set[tuple[str, ...]]:
    if len(tokens) < SHINGLE:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


def is_duplicate(a: StoryCandidate, b: StoryCandidate) -> bool:
    """True when ``a`` and ``b`` are copies of one article (strict: precision first)."""
    tsim = title_similarity(a.title, b.title)
    if a.guid and b.guid and a.guid.strip() == b.guid.strip() and _guid_is_unique(a.guid):
        return _not_contradicted(a, b, tsim)
    if a.url and b.url and a.url == b.url and _url_is_specific(a.url):
        return _not_contradicted(a, b, tsim)
    if _numbers_conflict(a.title, b.title):
        return False  # "Episode 101" vs "Episode 102", "v2.0" vs "v2.1": distinct items
    # Two different pages of one site are two articles (recurring titles, templates)
    # unless their texts are near copies.
    same_site = bool(a.url and b.url and _host(a.url) == _host(b.url))
    if not (a.text and b.text):
        return not same_site and _fingerprint_match(a, b, tsim)
    ta, tb = a.tokens(), b.tokens()
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if len(short) < MIN_TEXT_TOKENS:
        return not same_site and _short_match(short, long_, a, b, tsim)
    sa, sb = _shingle_set(short), _shingle_set(long_)
    inter = len(sa & sb)
    jaccard = inter / (len(sa) + len(sb) - inter)
    # Whole-text near copies (other boilerplate, re-encoding, small edits).
    if jaccard >= 0.8 or (jaccard >= 0.6 and tsim >= 0.3):
        return True
    if same_site:
        return False
    # Truncated copies: the shorter one (its last, maybe cut, word aside) is a prefix or
    # almost wholly contained, and the titles agree (or the excerpt is long by itself).
    # A few lines of boilerplate before either text are skipped first.
    short_al, long_al = _align(short, long_)
    if len(short_al) < MIN_TEXT_TOKENS:
        short_al, long_al = short, long_
    sal = _shingle_set(short_al)
    containment = len(sal & sb) / len(sal)
    body = short_al[:-1]
    prefix = long_al[: len(body)] == body
    if prefix or containment >= 0.9:
        if tsim >= 0.5:
            return True
        return prefix and len(short) >= 40 and tsim >= 0.2
    # Copies whose boilerplate differs on both sides: same title, mostly shared text.
    return containment >= 0.6 and jaccard >= 0.4 and tsim >= 0.7


def _host(canon: str) -> str:
    try:
        return urlsplit(canon).netloc if "://" in canon else ""
    except ValueError:
        return ""


def _align(short: list[str], long_: list[str], window: int = 60) -> tuple[list[str], list[str]]:
    """Drop leading tokens (boilerplate) so both sequences start with the same 4 tokens."""
    head = long_[:4]
    if short[:4] == head:
        return short, long_
    for i in range(1, min(window, len(short) - 4)):
        if short[i : i + 4] == head:
            return short[i:], long_
    head = short[:4]
    for i in range(1, min(window, len(long_) - 4)):
        if long_[i : i + 4] == head:
            return short, long_[i:]
    return short, long_


def _not_contradicted(a: StoryCandidate, b: StoryCandidate, tsim: float) -> bool:
    """Same URL/guid: one article unless both titles and both bodies clearly differ."""
    if tsim >= 0.2 or not (a.title and b.title):
        return True
    if a.text and b.text:
        sa, sb = _shingle_set(a.tokens()), _shingle_set(b.tokens())
        if not sa or not sb:
            return True
        return len(sa & sb) / min(len(sa), len(sb)) >= 0.3
    return hamming(a.fingerprint, b.fingerprint) <= 16


def _short_match(
    short: list[str], long_: list[str], a: StoryCandidate, b: StoryCandidate, tsim: float
) -> bool:
    """At least one body is too short to decide: the titles must be (nearly) the same."""
    ta = _title_tokens(a.title)
    if tsim < 0.9 or len(ta) < (8 if _dense(ta) else 4):
        return False
    if not short:
        # A headline-only copy: fine beside a short body, or with a long, specific title.
        return not long_ or len(long_) < 3 * MIN_TEXT_TOKENS or len(ta) >= 6
    if len(short) < 4:
        return len(long_) < 4 and short == long_
    return long_[: len(short) - 1] == short[:-1] or set(short) <= set(long_)


def _fingerprint_match(a: StoryCandidate, b: StoryCandidate, tsim: float) -> bool:
    """Verification without text: close fingerprints of long, similar-length bodies."""
    n, m = sorted((a.text_len, b.text_len))
    if n < 3 * MIN_TEXT_TOKENS or n < 0.8 * m:
        return False
    return hamming(a.fingerprint, b.fingerprint) <= MAX_HAMMING and tsim >= 0.3


class StoryIndex:
    """In-memory stand-in for the ``story_keys`` table: fold articles one by one.

    ``add`` returns the story id of the article. Per article it does one dict lookup per
    key and verifies only the candidates those keys point to (never a scan).
    """

    def __init__(self, candidates_per_story: int = 4) -> None:
        self.keys: dict[str, int] = {}
        self.members: dict[int, list[StoryCandidate]] = {}
        self._per_story = candidates_per_story
        self._next = 1

    def add(self, *, title: str, text: str, url: str | None = None, guid: str | None = None) -> int:
        """Fold one article; return its story id."""
        info = analyse(title=title, text=text, url=url, guid=guid)
        return self.add_info(info)

    def add_info(self, info: StoryInfo) -> int:
        """Fold an analysed article; return its story id."""
        seen: set[int] = set()
        story = None
        for key in info.keys:
            sid = self.keys.get(key)
            if sid is None or sid in seen:
                continue
            seen.add(sid)
            if any(is_duplicate(info.candidate, c) for c in self.members[sid]):
                story = sid
                break
        if story is None:
            story = self._next
            self._next += 1
            self.members[story] = []
        members = self.members[story]
        if len(members) < self._per_story:
            info.candidate._tokens = None  # re-tokenised on demand; keeps memory flat
            members.append(info.candidate)
        for key in info.keys:
            self.keys.setdefault(key, story)
        return story
