"""Generate a realistic Newsdesk data folder for benchmarks (100k–1M articles).

Run: python scripts/generate_db.py --articles 100000 [--sources 2000] [--out DIR]

The folder is created through the real schema (``Newsdesk.open`` migrates it),
then filled in large transactions on the writer: multilingual titles and
300–3000 character texts drawn from the lingua test sentences (synthetic words
when that data is absent), 26 languages, 1–3 topic tags per article with
origins, ~10% of articles folded into stories of 2–5, 60% read, 3% flagged,
20% archived, published over two years, sources in folders. The FTS index is
built once at the end (``'rebuild'``) with its insert trigger dropped meanwhile.

Without ``--out`` the folder is cached under ``/tmp/newsdesk-bench/`` keyed by
size, source count and generator version, so reruns reuse it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 1
CACHE = Path(os.environ.get("NEWSDESK_BENCH_CACHE", "/tmp/newsdesk-bench"))
"""Cached databases (``NEWSDESK_BENCH_CACHE`` points elsewhere, e.g. for a branch
whose schema is newer than the one other checkouts use)."""
LANGUAGES = [
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "uk",
    "pl",
    "ar",
    "zh",
    "ja",
    "ko",
    "tr",
    "fa",
    "hi",
    "sv",
    "el",
    "he",
    "cs",
    "da",
    "fi",
    "hu",
    "ro",
    "id",
]
LANGUAGE_WEIGHTS = [30, 8, 7, 7, 4, 4, 3, 5, 2, 2, 3, 4, 3, 2, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
FOLDERS = [
    "World",
    "Europe",
    "Americas",
    "Asia",
    "Africa",
    "Politics",
    "Economy",
    "Markets",
    "Technology",
    "Science",
    "Health",
    "Sports",
    "Culture",
    "Climate",
    "Energy",
    "Defence",
    "Media",
    "Local",
    "Opinion",
    "Wires",
]
TOPICS = [
    "politics",
    "conflict",
    "economy",
    "crypto",
    "business",
    "technology",
    "science",
    "health",
    "sports",
    "culture",
]
USER_TAGS = ("follow-up", "briefing", "desk-a", "desk-b", "legal")
ORIGINS = (("model", 70), ("feed", 15), ("rule", 10), ("user", 5))
BATCH = 20_000
SPAN = timedelta(days=730)
END = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN\n"
    "    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);\n"
    "END"
)


def shared_dir() -> Path:
    """The shared data folder (beside the checkout in CI, else /work/shared)."""
    beside = ROOT / ".." / "shared"
    return beside if beside.exists() else Path("/work/shared")


def load_sentences(langs: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """Sentences per language from the lingua test data; synthetic words where absent."""
    folder = shared_dir() / "data" / "langid" / "lingua-testdata" / "sentences"
    out: dict[str, list[str]] = {}
    rng = random.Random(1)
    for lang in langs:
        path = folder / f"{lang}.txt"
        lines: list[str] = []
        if path.exists():
            lines = [s.strip() for s in path.read_text(encoding="utf-8").splitlines()]
            lines = [s for s in lines if len(s) > 20]
        if not lines:
            syll = ["ka", "lo", "ri", "sen", "mar", "tu", "vel", "dor", "pi", "nes", "ul", "gra"]
            lines = [
                " ".join(
                    "".join(rng.choice(syll) for _ in range(rng.randint(1, 4)))
                    for _ in range(rng.randint(6, 18))
                ).capitalize()
                + "."
                for _ in range(400)
            ]
        out[lang] = lines
    return out


def cache_dir(articles: int, sources: int) -> Path:
    """Where the cached folder for this size lives."""
    return CACHE / f"a{articles}-s{sources}-g{GENERATOR_VERSION}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _title(rng: random.Random, lang: str, sentences: list[str]) -> str:
    s = rng.choice(sentences)
    if lang in ("zh", "ja"):
        return s[: rng.randint(14, 36)].rstrip("，。、 ")
    words = s.split()
    return " ".join(words[: rng.randint(5, 13)]).rstrip(",.;:")


def _text(rng: random.Random, sentences: list[str]) -> list[str]:
    target = int(min(3000, max(300, rng.lognormvariate(7.2, 0.6))))
    parts: list[str] = []
    size = 0
    while size < target:
        s = rng.choice(sentences)
        parts.append(s)
        size += len(s) + 1
    return parts


class Plan:
    """The random layout of sources and the article stream (deterministic per seed)."""

    def __init__(self, articles: int, sources: int, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.articles = articles
        self.sources = sources
        rng = self.rng
        self.source_lang = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS, k=sources)
        self.source_folder = [
            rng.choice(FOLDERS) if rng.random() < 0.85 else None for _ in range(sources)
        ]
        # Zipf-like volumes: a few wires publish a lot, most sources a little.
        weights = [1.0 / (n + 10) ** 0.9 for n in range(sources)]
        rng.shuffle(weights)
        self.source_weights = weights

    def source_rows(self, created: str) -> list[tuple[Any, ...]]:
        """Rows for the sources table."""
        rng = self.rng
        rows = []
        for n in range(self.sources):
            sid = n + 1
            name = f"{rng.choice(['The', 'Daily', 'Global', 'Metro', 'Evening'])} " + (
                f"{rng.choice(['Courier', 'Wire', 'Herald', 'Post', 'Chronicle', 'Times'])} {sid}"
            )
            error = "HTTP 503 Service Unavailable" if rng.random() < 0.02 else None
            rows.append(
                (
                    sid,
                    f"https://news{sid}.example/feed.xml",
                    name,
                    self.source_folder[n],
                    f"https://news{sid}.example/",
                    self.source_lang[n],
                    created,
                    created,
                    error,
                    created if error else None,
                    3 if error else 0,
                )
            )
        return rows


def article_batches(plan: Plan, sentences: dict[str, list[str]]) -> Iterator[dict[str, list]]:
    """Yield batches of rows for articles, triage and tags, in id order (oldest first)."""
    rng = plan.rng
    n = plan.articles
    start = END - SPAN
    step = SPAN.total_seconds() / n
    src_ids = rng.choices(range(1, plan.sources + 1), plan.source_weights, k=n)
    story_head: dict[int, tuple[int, int]] = {}  # story slot → (head id, members left)
    open_stories: list[int] = []
    created = _iso(END)
    batch: dict[str, list] = {"articles": [], "triage": [], "tags": []}
    for i in range(n):
        aid = i + 1
        sid = src_ids[i]
        published = start + timedelta(seconds=i * step + rng.uniform(-3600, 3600))
        lang = plan.source_lang[sid - 1] if rng.random() < 0.9 else rng.choice(LANGUAGES)
        pool = sentences[lang]
        title = _title(rng, lang, pool)
        parts = _text(rng, pool)
        text = " ".join(parts)
        html = (
            "<p>"
            + "</p><p>".join(" ".join(parts[k : k + 3]) for k in range(0, len(parts), 3))
            + "</p>"
        )
        title_lang = lang if rng.random() < 0.95 else rng.choice(LANGUAGES)
        # stories: ~10% of articles are members of stories of 2–5 (head = first member)
        story = aid
        if open_stories and rng.random() < 0.07:
            slot = rng.choice(open_stories)
            head, left = story_head[slot]
            story = head
            if left <= 1:
                open_stories.remove(slot)
                del story_head[slot]
            else:
                story_head[slot] = (head, left - 1)
        elif rng.random() < 0.03:
            story_head[aid] = (aid, rng.randint(1, 4))
            open_stories.append(aid)
            if len(open_stories) > 50:
                old = open_stories.pop(0)
                story_head.pop(old, None)
        age = (END - published).total_seconds() / SPAN.total_seconds()  # 0 new … 1 old
        read = rng.random() < 0.3 + 0.6 * age
        archived = rng.random() < (0.33 if read else 0.0)
        flagged = rng.random() < 0.03
        changed = _iso(published + timedelta(hours=rng.randint(1, 48)))
        fetched = _iso(published + timedelta(minutes=rng.randint(1, 90)))
        pub = _iso(published)
        url = f"https://news{sid}.example/{pub[:10]}/{aid}"
        cats = json.dumps([rng.choice(FOLDERS)]) if rng.random() < 0.5 else None
        batch["articles"].append(
            (
                aid,
                sid,
                url,
                url,
                url,
                url,
                title,
                None,
                pub,
                fetched,
                html,
                text,
                hashlib.blake2b(text.encode(), digest_size=8).hexdigest(),
                cats,
                plan.source_lang[sid - 1],
                lang,
                round(rng.uniform(0.55, 1.0), 3),
                title_lang,
                rng.getrandbits(62),
                story,
            )
        )
        batch["triage"].append(
            (
                aid,
                int(read),
                int(flagged),
                int(archived),
                changed if (read or flagged or archived) else None,
            )
        )
        for tag in rng.sample(TOPICS, rng.choice((1, 1, 2, 2, 3))):
            origin = rng.choices([o for o, _ in ORIGINS], [w for _, w in ORIGINS])[0]
            batch["tags"].append((aid, tag, origin, round(rng.uniform(0.3, 0.99), 3), 0, created))
        if rng.random() < 0.005:
            batch["tags"].append((aid, rng.choice(USER_TAGS), "user", None, 0, created))
        if len(batch["articles"]) >= BATCH:
            yield batch
            batch = {"articles": [], "triage": [], "tags": []}
    if batch["articles"]:
        yield batch


_ARTICLE_SQL = (
    "INSERT INTO articles (id, source_id, entry_key, guid, url, canonical_url, title, author, "
    "published, fetched_at, content_html, text, content_hash, categories, feed_language, "
    "language, language_confidence, title_language, fingerprint, story_id, enriched) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)"
)
_TRIAGE_SQL = (
    "INSERT INTO triage (article_id, read, flagged, archived, changed_at, person_id) "
    "VALUES (?,?,?,?,?,{person})"
)
_TAG_SQL = (
    "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) VALUES (?,?,?,?,?,?)"
)
_USER_TAG_SQL = (
    "INSERT INTO user_tags (article_id, tag, person_id, removed, created_at) VALUES (?,?,?,?,?)"
)
"""Since schema v7 the machine's tags and the user's words live apart (store.tagging)."""


def _raw(conn: Any) -> Any:
    """The sqlite3 connection under a SQLAlchemy connection (for executemany speed)."""
    return conn.connection.driver_connection


def generate(
    out: Path, articles: int, sources: int = 2000, *, seed: int = 42, quiet: bool = False
) -> dict[str, float]:
    """Build the data folder ``out`` (must not hold a database yet); returns timings."""
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    sentences = load_sentences(LANGUAGES)
    plan = Plan(articles, sources, seed)
    with Newsdesk.open(DataPaths(out)) as desk:
        db = desk.db
        person = db.person_id
        if db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM articles").scalar()):
            raise SystemExit(f"{out} already holds articles")

        def prepare(conn: Any) -> None:
            raw = _raw(conn)
            raw.execute("DROP TRIGGER articles_fts_ai")
            raw.executemany(
                "INSERT INTO sources (id, url, title, folder, site_url, language, created_at, "
                "last_success, last_error, last_error_at, failures) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                plan.source_rows(_iso(END - SPAN)),
            )

        db.write(prepare)
        done = 0
        for batch in article_batches(plan, sentences):

            def load(conn: Any, batch: dict[str, list] = batch) -> None:
                raw = _raw(conn)
                raw.executemany(_ARTICLE_SQL, batch["articles"])
                # the state is the generating user's (the person the store was opened for)
                raw.executemany(_TRIAGE_SQL.format(person=int(person)), batch["triage"])
                raw.executemany(_TAG_SQL, [t for t in batch["tags"] if t[2] != "user"])
                raw.executemany(
                    _USER_TAG_SQL,
                    [(t[0], t[1], person, t[4], t[5]) for t in batch["tags"] if t[2] == "user"],
                )

            db.write(load)
            done += len(batch["articles"])
            if done % 100_000 < BATCH:
                say(f"  {done:>9,} articles  {time.perf_counter() - t0:6.1f} s")
        timings["rows_s"] = time.perf_counter() - t0

        def fts(conn: Any) -> None:
            raw = _raw(conn)
            raw.execute("INSERT INTO articles_fts(articles_fts) VALUES('rebuild')")
            raw.execute(FTS_INSERT_TRIGGER)

        t1 = time.perf_counter()
        db.write(fts)
        timings["fts_s"] = time.perf_counter() - t1
        say(f"  FTS rebuilt in {timings['fts_s']:.1f} s")

        def log(conn: Any) -> None:
            conn.exec_driver_sql("DELETE FROM triage_log")

        db.write(log)
    timings["total_s"] = time.perf_counter() - t0
    (out / "generated.json").write_text(
        json.dumps({"articles": articles, "sources": sources, "seed": seed, **timings}, indent=1),
        encoding="utf-8",
    )
    return timings


def cached(articles: int, sources: int = 2000, *, quiet: bool = False) -> Path:
    """The cached folder for this size, generated on first use, migrated to the latest schema."""
    out = cache_dir(articles, sources)
    if not (out / "generated.json").exists():
        if out.exists():
            shutil.rmtree(out)
        generate(out, articles, sources, quiet=quiet)
    else:
        migrate(out)
    return out


def migrate(out: Path) -> None:
    """Bring a cached folder to the latest schema (dropping the pre-migration backup)."""
    from desktop.store import migrations
    from desktop.store.db import prepare, schema_version

    db = out / "newsdesk.sqlite3"
    if schema_version(db) < migrations.LATEST:
        prepare(db)
        shutil.rmtree(out / "backups", ignore_errors=True)


def parse_size(text: str) -> int:
    """``100k`` → 100000, ``1m`` → 1000000, ``2500`` → 2500."""
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="100k", help="how many articles (100k, 1m, 2500)")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--out", type=Path, help="data folder (default: cached under /tmp)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    n = parse_size(args.articles)
    if args.out:
        timings = generate(args.out, n, args.sources, seed=args.seed)
        out = args.out
    else:
        out = cached(n, args.sources)
        timings = json.loads((out / "generated.json").read_text(encoding="utf-8"))
    size = (out / "newsdesk.sqlite3").stat().st_size / 1e6
    print(
        f"{out}: {n:,} articles over {args.sources} sources, {size:,.0f} MB, "
        f"rows {timings['rows_s']:.1f} s + FTS {timings['fts_s']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
