"""Benchmark language detection on lingua-testdata (Apache-2.0, Leipzig corpora text).

    python tests/benchmarks/bench_language.py [--full]

Prints, for the full detector and with a layer turned off (``no words``: without the
common-word table of ``langid_words``; ``no fast path``: always the ensemble):
accuracy on sentences and word pairs (``und`` counts as wrong), coverage (share
answered) and precision (correct when answered), the rate at which text in the 50
languages outside the set gets a supported code (forced; lower is better), and
throughput on article-length bodies (~1,200 chars) on one core by CPU time. Then load
time and RSS cost, per-language accuracy and single words for the full detector.
Constants (weights, thresholds) were tuned on the odd lines of each file (1st, 3rd,
...): the "held-out" rows, on the even lines only, are the figures to report.
Without --full, 200 lines per file are used.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

GOALS = {"sentences": 0.997, "word-pairs": 0.96}


def data_dir() -> Path | None:
    for base in (ROOT / ".." / "shared", Path("/work/shared")):
        path = base / "data" / "langid" / "lingua-testdata"
        if path.is_dir():
            return path
    return None


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def read_lines(path: Path, limit: int | None) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[:limit] if limit else lines


@contextmanager
def layers(variant: str) -> Iterator[None]:
    """Turn layers of the detector off by patching its module constants."""
    import desktop.enrich.language as lang

    saved = {k: getattr(lang, k) for k in ("WORD_WEIGHT", "FAST_MIN_LETTERS")}
    if variant == "no fast path":
        lang.FAST_MIN_LETTERS = 10**9
    if variant == "no words":
        lang.WORD_WEIGHT = 0.0
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(lang, k, v)


def score(detector, data: Path, kind: str, langs, limit) -> tuple[dict, dict]:
    """{lang: Counter(predicted code)} for the odd lines (tuned on) and the even lines."""
    odd: dict[str, Counter] = {}
    even: dict[str, Counter] = {}
    for lang in langs:
        file = data / kind / f"{lang}.txt"
        if not file.exists():
            continue
        odd[lang], even[lang] = Counter(), Counter()
        for i, line in enumerate(read_lines(file, limit)):
            (odd if i % 2 == 0 else even)[lang][detector.detect(line).code] += 1
    return odd, even


def summarise(result: dict[str, Counter]) -> tuple[float, float, float]:
    total = correct = answered = 0
    for lang, counts in result.items():
        n = sum(counts.values())
        total += n
        correct += counts[lang]
        answered += n - counts["und"]
    acc = correct / total if total else 0.0
    cov = answered / total if total else 0.0
    prec = correct / answered if answered else 0.0
    return acc, cov, prec


def forced_rate(result: dict[str, Counter]) -> float:
    total = sum(sum(c.values()) for c in result.values())
    wrong = sum(sum(c.values()) - c["und"] - c[lang] for lang, c in result.items())
    return wrong / total if total else 0.0


def bodies_per_second(detector, bodies: list[str]) -> float:
    t0 = time.process_time()
    for body in bodies:
        detector.detect(body)
    return len(bodies) / (time.process_time() - t0)


def make_bodies(data: Path, langs) -> list[str]:
    """Article-length bodies (~1,200 chars) from consecutive sentences, 20 per language."""
    bodies = []
    for lang in langs:
        lines = read_lines(data / "sentences" / f"{lang}.txt", None)[::-1]
        for _ in range(20):
            body = ""
            while len(body) < 1200 and lines:
                body += lines.pop() + " "
            bodies.append(body[:1400])
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="all 1,000 lines per file")
    args = parser.parse_args()
    limit = None if args.full else 200
    data = data_dir()
    if data is None:
        print("lingua-testdata not found: nothing to measure")
        return

    import numpy  # noqa: F401  (so the RSS delta is the models, not numpy)

    from desktop.enrich.language import LANGUAGES, LanguageDetector

    before = rss_mb()
    t0 = time.perf_counter()
    detector = LanguageDetector()
    detector.load()
    load_s = time.perf_counter() - t0
    load_mb = rss_mb() - before
    print(f"load: {load_s:.2f} s wall, RSS +{load_mb:.0f} MB (goal <= 150 MB for the detector)")
    print(f"lines per file: {'all 1,000' if args.full else 200}; pid {os.getpid()}")

    others = sorted(
        p.stem for p in (data / "sentences").glob("*.txt") if p.stem not in set(LANGUAGES)
    )
    bodies = make_bodies(data, LANGUAGES)
    mean_chars = sum(map(len, bodies)) / len(bodies)
    header = (
        f"{'variant':<14}{'set':<12}{'half':<10}{'accuracy':>9}{'coverage':>9}"
        f"{'precision':>10}{'forced':>8}"
    )
    rows = []
    kept: dict[str, tuple[dict, dict]] = {}
    for variant in ("full", "no words", "no fast path"):
        with layers(variant):
            for kind in ("sentences", "word-pairs"):
                odd, even = score(detector, data, kind, LANGUAGES, limit)
                o_odd, o_even = score(detector, data, kind, others, limit)
                if variant == "full":
                    kept[kind] = (odd, even)
                both = {k: odd[k] + even[k] for k in odd}
                o_both = {k: o_odd[k] + o_even[k] for k in o_odd}
                for half, res, ores in (
                    ("tuned-on", odd, o_odd),
                    ("held-out", even, o_even),
                    ("all", both, o_both),
                ):
                    acc, cov, prec = summarise(res)
                    rows.append(
                        f"{variant:<14}{kind:<12}{half:<10}{acc:>9.4f}{cov:>9.4f}"
                        f"{prec:>10.4f}{forced_rate(ores):>8.4f}"
                    )
            rate = bodies_per_second(detector, bodies)
            rows.append(
                f"{variant:<14}throughput: {rate:,.0f} bodies/s on one core "
                f"(CPU time; {len(bodies)} bodies, mean {mean_chars:,.0f} chars)"
            )
    print("\n" + header)
    print("\n".join(rows))
    print(f"goals: sentences >= {GOALS['sentences']}, word pairs >= {GOALS['word-pairs']} ")
    print("  (or precision >= 0.99 at coverage >= 0.80), >= 2,000 bodies/s")

    single = score(detector, data, "single-words", LANGUAGES, limit)
    print(f"\n{'lang':<6}{'sentences':>11}{'word-pairs':>12}{'single':>9}")
    for lang in LANGUAGES:
        row = f"{lang:<6}"
        for odd, even in (kept["sentences"], kept["word-pairs"], single):
            counts = odd.get(lang, Counter()) + even.get(lang, Counter())
            n = sum(counts.values())
            row += f"{(counts[lang] / n if n else 0):>{11 if len(row) < 7 else 10}.3f}"
        print(row)
    acc, cov, prec = summarise({k: single[0][k] + single[1][k] for k in single[0]})
    print(f"single words (all): accuracy {acc:.4f}, coverage {cov:.4f}, precision {prec:.4f}")

    odd, even = kept["sentences"]
    o_odd, o_even = score(detector, data, "sentences", others, limit)
    worst = []
    for lang in others:
        counts = o_odd[lang] + o_even[lang]
        n = sum(counts.values())
        wrong = n - counts["und"] - counts[lang]
        top = [c for c, _ in counts.most_common() if c not in ("und", lang)][:1]
        worst.append((wrong / n if n else 0.0, lang, top[0] if top else "-"))
    worst.sort(reverse=True)
    print(
        "out-of-set sentences, worst forced: "
        + ", ".join(f"{lang} {r:.0%}->{t}" for r, lang, t in worst[:10])
    )


if __name__ == "__main__":
    main()
