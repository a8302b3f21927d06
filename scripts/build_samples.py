"""Build the sample feeds shipped in ``resources/samples/`` from SIB-200 sentences.

Run: python scripts/build_samples.py   (deterministic: same input, same files)

Input: ``shared/data/topics/sib200`` (FLORES-200 sentences from Wikinews, Wikivoyage
and Wikibooks, CC BY-SA 4.0, the same sentence in ten languages under one
``index_id``). Output: a few RSS 2.0 and Atom feeds in several languages, with
English headlines over other-language bodies (as aggregators do), a few stories
repeated across feeds (so folding shows) and dates spread over the days before
``ANCHOR``. The app shifts those dates to "now" when it loads the samples.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "samples"
SHARED_CANDIDATES = (ROOT / ".." / "shared", Path("/work/shared"))
ANCHOR = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
"""The newest sample article is published at ``ANCHOR``; loading shifts it to now."""
SEED = 20260101
SITE = "https://samples.newsdesk.invalid"

LANGS = {
    "en": "eng_Latn",
    "de": "deu_Latn",
    "fr": "fra_Latn",
    "es": "spa_Latn",
    "ru": "rus_Cyrl",
    "uk": "ukr_Cyrl",
    "ar": "arb_Arab",
    "zh": "zho_Hans",
}


@dataclass(frozen=True, slots=True)
class FeedPlan:
    """One sample feed: file name, title, format, language of titles and bodies, size."""

    name: str
    title: str
    kind: str  # "rss" or "atom"
    title_lang: str | tuple[str, ...]
    body_lang: str | tuple[str, ...]
    items: int
    declared_lang: str | None


PLANS = (
    FeedPlan("global-wire.xml", "Global Wire (sample)", "rss", "en", "en", 42, "en"),
    FeedPlan(
        "europe-digest.xml",
        "Europe Digest (sample aggregator)",
        "atom",
        "en",
        ("de", "fr", "es"),
        36,
        None,
    ),
    FeedPlan("le-fil.xml", "Le Fil (exemple)", "rss", "fr", "fr", 30, "fr"),
    FeedPlan("tagesblick.xml", "Tagesblick (Beispiel)", "atom", "de", "de", 28, "de"),
    FeedPlan("el-correo.xml", "El Correo (ejemplo)", "rss", "es", "es", 24, "es"),
    FeedPlan("vostok.xml", "Восток-Обзор (пример)", "rss", ("ru", "uk"), ("ru", "uk"), 22, None),
    FeedPlan(
        "asia-mideast.xml",
        "Asia & Middle East Brief (sample)",
        "atom",
        "en",
        ("ar", "zh"),
        20,
        None,
    ),
)
DUPLICATES = 8
"""Stories from Global Wire that Europe Digest also carries (same text, tracking URL)."""


def shared_dir() -> Path:
    for cand in SHARED_CANDIDATES:
        if (cand / "data" / "topics" / "sib200").is_dir():
            return cand.resolve()
    raise SystemExit("shared/data/topics/sib200 not found")


def load_sentences(base: Path) -> tuple[dict[str, dict[int, str]], dict[int, str]]:
    """Language → index_id → sentence, and index_id → category (train split)."""
    texts: dict[str, dict[int, str]] = {}
    labels: dict[int, str] = {}
    for code, folder in LANGS.items():
        rows: dict[int, str] = {}
        with (base / folder / "train.tsv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                rows[int(row["index_id"])] = row["text"].strip()
                labels[int(row["index_id"])] = row["category"]
        texts[code] = rows
    return texts, labels


_WEAK_ENDINGS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "for",
        "and",
        "or",
        "with",
        "on",
        "at",
        "by",
        "from",
        "his",
        "her",
        "their",
        "its",
        "is",
        "was",
        "who",
        "which",
        "that",
        "as",
        "be",
        "are",
        "were",
        "this",
        "these",
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "et",
        "à",
        "en",
        "un",
        "une",
        "der",
        "die",
        "das",
        "und",
        "von",
        "zu",
        "mit",
        "el",
        "los",
        "las",
        "y",
        "del",
        "al",
    ]
)


def headline(sentence: str, lang: str) -> str:
    """A short headline from a sentence: its first clause, or its first words."""
    if lang == "zh":
        cut = re.split(r"[，。；：]", sentence)[0]
        return cut[:28]
    clause = re.split(r"[,;:—(]| - ", sentence)[0].strip().rstrip(".")
    words = clause.split()
    if len(words) < 4:
        words = sentence.rstrip(".").split()
    if len(words) > 11:
        words = words[:10]
    while len(words) > 4 and words[-1].lower().strip(",.") in _WEAK_ENDINGS:
        words = words[:-1]
    text = " ".join(words).rstrip(",.;:")
    return text[:1].upper() + text[1:]


def pick(value: str | tuple[str, ...], n: int) -> str:
    return value if isinstance(value, str) else value[n % len(value)]


def build() -> dict[str, int]:
    """Write every sample feed; returns file name → item count."""
    texts, labels = load_sentences(shared_dir() / "data" / "topics" / "sib200")
    rng = random.Random(SEED)
    by_cat: dict[str, list[int]] = {}
    for idx in sorted(labels):
        if all(idx in texts[c] for c in LANGS):
            by_cat.setdefault(labels[idx], []).append(idx)
    for ids in by_cat.values():
        rng.shuffle(ids)
    cats = sorted(by_cat)
    cursor = dict.fromkeys(cats, 0)

    def take(n: int) -> list[int]:
        """n ids of one category (consecutive sentences make a small article)."""
        cat = cats[rng.randrange(len(cats))]
        if cursor[cat] + n > len(by_cat[cat]):
            cat = max(cats, key=lambda c: len(by_cat[c]) - cursor[c])
        start = cursor[cat]
        cursor[cat] += n
        return by_cat[cat][start : start + n]

    OUT.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    shared_stories: list[dict[str, object]] = []
    for plan in PLANS:
        items: list[dict[str, object]] = []
        for n in range(plan.items):
            ids = take(3)
            tl, bl = pick(plan.title_lang, n), pick(plan.body_lang, n)
            slug = f"{plan.name.split('.')[0]}/{ids[0]}"
            items.append(
                {
                    "guid": f"{SITE}/{slug}",
                    "link": f"{SITE}/{slug}",
                    "title": headline(texts[tl][ids[0]], tl),
                    "paragraphs": [texts[bl][i] for i in ids],
                    "category": labels[ids[0]],
                    "minutes": rng.randrange(5, 60 * 24 * 4),
                    "lang": bl,
                }
            )
        if plan.name == "global-wire.xml":
            shared_stories = items[:DUPLICATES]
        elif plan.name == "europe-digest.xml":
            for k, story in enumerate(shared_stories):
                copy = dict(story)
                copy["guid"] = f"{story['guid']}#digest"
                copy["link"] = f"{story['link']}?utm_source=digest&utm_medium=rss"
                copy["minutes"] = int(story["minutes"]) + 7 + k  # type: ignore[call-overload]
                items[k] = copy
        items.sort(key=lambda it: int(it["minutes"]))  # type: ignore[call-overload]
        path = OUT / plan.name
        path.write_text(
            render_rss(plan, items) if plan.kind == "rss" else render_atom(plan, items),
            encoding="utf-8",
        )
        counts[plan.name] = len(items)
    return counts


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def _when(minutes: int) -> datetime:
    return ANCHOR - timedelta(minutes=minutes)


def render_rss(plan: FeedPlan, items: list[dict[str, object]]) -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0">',
        "<channel>",
        f"<title>{escape(plan.title)}</title>",
        f"<link>{SITE}/{plan.name}</link>",
        "<description>Sample feed built from FLORES-200/SIB-200 sentences "
        "(Wikinews, Wikivoyage, Wikibooks; CC BY-SA 4.0).</description>",
    ]
    if plan.declared_lang:
        out.append(f"<language>{plan.declared_lang}</language>")
    for it in items:
        out += [
            "<item>",
            f"<title>{escape(str(it['title']))}</title>",
            f"<link>{escape(str(it['link']))}</link>",
            f'<guid isPermaLink="false">{escape(str(it["guid"]))}</guid>',
            f"<pubDate>{format_datetime(_when(int(it['minutes'])))}</pubDate>",  # type: ignore[call-overload]
            f"<category>{escape(str(it['category']))}</category>",
            f"<description>{escape(_html(it['paragraphs']))}</description>",  # type: ignore[arg-type]
            "</item>",
        ]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def render_atom(plan: FeedPlan, items: list[dict[str, object]]) -> str:
    newest = _when(min(int(it["minutes"]) for it in items))  # type: ignore[call-overload]
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(plan.title)}</title>",
        f"<id>{SITE}/{plan.name}</id>",
        f'<link rel="alternate" href="{SITE}/{plan.name}"/>',
        f"<updated>{newest.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>",
        "<author><name>Newsdesk samples</name></author>",
        "<rights>CC BY-SA 4.0; see LICENSE.md</rights>",
    ]
    for it in items:
        when = _when(int(it["minutes"])).strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[call-overload]
        out += [
            "<entry>",
            f"<title>{escape(str(it['title']))}</title>",
            f"<id>{escape(str(it['guid']))}</id>",
            f"<link rel={quoteattr('alternate')} href={quoteattr(str(it['link']))}/>",
            f"<published>{when}</published>",
            f"<updated>{when}</updated>",
            f"<category term={quoteattr(str(it['category']))}/>",
            f'<content type="html" xml:lang="{it["lang"]}">'
            f"{escape(_html(it['paragraphs']))}</content>",  # type: ignore[arg-type]
            "</entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out)


if __name__ == "__main__":
    made = build()
    for name, n in made.items():
        print(f"{name:24} {n:4d} items")
    print(f"{'total':24} {sum(made.values()):4d} items -> {OUT}")
