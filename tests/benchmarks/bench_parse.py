"""Parse throughput over the real shared corpus: ours vs feedparser vs fastfeedparser.

    python tests/benchmarks/bench_parse.py          # one pass per parser
    python tests/benchmarks/bench_parse.py --full   # 5 passes, best of

Prints feeds/s and entries/s (one core, single thread). Our parser includes
encoding normalisation, the fallback to feedparser for suspicious output and
JSON Feed; feedparser runs with sanitising off (we sanitise separately).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _corpus() -> list[Path]:
    for root in (
        Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures",
        Path("/work/shared/fixtures"),
    ):
        if root.is_dir():
            kinds = ("rss", "atom", "rdf", "json")
            return sorted(p for k in kinds for p in (root / "real" / k).iterdir() if p.is_file())
    return []


def _ours(data: bytes) -> int:
    from desktop.sources.feed import FeedParseError
    from desktop.sources.parse import parse_feed

    try:
        return len(parse_feed(data, "https://example.org/feed").entries)
    except FeedParseError:
        return 0


def _feedparser(data: bytes) -> int:
    import feedparser

    return len(feedparser.parse(data, sanitize_html=False).entries)


def _fastfeedparser(data: bytes) -> int:
    import fastfeedparser

    try:
        return len(fastfeedparser.parse(data).entries)
    except ValueError:
        return 0


def _synthetic(items: int = 50) -> bytes:
    """An RSS 2.0 feed like the ingest benchmark's: ``items`` items, ~1 KB bodies."""
    body = (
        "<p>" + "Some words of an article body, long enough to look real. " * 14 + "</p>"
        '<p>See <a href="https://example.com/a">this</a>, <a href="/about">that</a> and '
        '<img src="https://cdn.example.com/i.jpg" alt=""></p>'
    )
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Bench</title><link>http://127.0.0.1/</link><language>en</language>"
    ]
    for i in range(items):
        parts.append(
            f"<item><title>Headline number {i} &amp; more</title>"
            f"<link>http://127.0.0.1/a/{i}</link><guid>bench-{i}</guid>"
            f"<pubDate>Sat, 08 Jan 2022 12:{i % 60:02d}:00 +0000</pubDate>"
            f"<category>World</category><description><![CDATA[{body}]]></description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def _measure(fn: Callable[[bytes], int], docs: list[bytes], passes: int) -> tuple[float, int]:
    best = float("inf")
    entries = 0
    for _ in range(passes):
        started = time.process_time()
        entries = sum(fn(doc) for doc in docs)
        best = min(best, time.process_time() - started)
    return best, entries


def test_smoke() -> None:
    """A few documents through our parser (keeps this script from rotting)."""
    docs = [p.read_bytes() for p in _corpus()[:5]]
    if not docs:
        import pytest

        pytest.skip("shared fixtures not available")
    assert sum(_ours(doc) for doc in docs) > 0


def main() -> None:
    warnings.filterwarnings("ignore")
    full = "--full" in sys.argv
    passes = 5 if full else 1
    paths = _corpus()
    if not paths:
        sys.exit("shared fixtures not found")
    docs = [p.read_bytes() for p in paths]
    size = sum(map(len, docs)) / 1e6
    for fn in (_ours, _feedparser, _fastfeedparser):  # warm imports
        fn(docs[0])
    print(f"real corpus: {len(docs)} feeds, {size:.1f} MB, best of {passes} pass(es), CPU time")
    print(f"{'parser':<16}{'seconds':>9}{'feeds/s':>10}{'entries':>9}{'entries/s':>11}")
    for name, fn in (
        ("newsdesk", _ours),
        ("feedparser", _feedparser),
        ("fastfeedparser", _fastfeedparser),
    ):
        seconds, entries = _measure(fn, docs, passes)
        print(
            f"{name:<16}{seconds:>9.3f}{len(docs) / seconds:>10.0f}{entries:>9}"
            f"{entries / seconds:>11.0f}"
        )
    feed = _synthetic()
    copies = [feed] * (200 if full else 50)
    print(f"\nsynthetic RSS, 50 items x ~1 KB ({len(feed) / 1000:.0f} KB), {len(copies)} docs")
    print(f"{'parser':<16}{'ms/feed':>9}{'feeds/s':>10}{'1000 feeds':>12}")
    for name, fn in (
        ("newsdesk", _ours),
        ("feedparser", _feedparser),
        ("fastfeedparser", _fastfeedparser),
    ):
        docs_ = copies if fn is not _feedparser else copies[:10]
        seconds, _ = _measure(fn, docs_, 3 if full else 1)
        per = seconds / len(docs_)
        print(f"{name:<16}{per * 1000:>9.2f}{1 / per:>10.0f}{per * 1000:>11.1f}s")


if __name__ == "__main__":
    main()
