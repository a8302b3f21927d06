"""Story folding: accuracy on the labelled pair set, and folding speed at scale.

Run: python tests/benchmarks/bench_stories.py [--full] [--articles N]
Default folds 200,000 synthetic articles; --full folds 1,000,000.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desktop.enrich.stories import StoryIndex, analyse, is_duplicate  # noqa: E402

PAIRS = ROOT / "tests" / "fixtures" / "stories" / "pairs.jsonl.gz"


def load_pairs(path: Path = PAIRS) -> tuple[dict[int, dict], list[dict]]:
    """Docs by id and the pair records of the labelled set."""
    docs: dict[int, dict] = {}
    pairs: list[dict] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if "doc" in rec:
                docs[rec["doc"]] = rec
            else:
                pairs.append(rec)
    return docs, pairs


def predict_pairs(docs: dict[int, dict], pairs: list[dict]) -> list[bool]:
    """A pair folds when the two articles share a story key and verify as duplicates."""
    infos = {}
    for i, d in docs.items():
        infos[i] = analyse(title=d["title"], text=d["text"], url=d["url"], guid=d["guid"])
    out = []
    for p in pairs:
        a, b = infos[p["pair"][0]], infos[p["pair"][1]]
        shared = bool(set(a.keys) & set(b.keys))
        out.append(shared and is_duplicate(a.candidate, b.candidate))
    return out


def scores(pairs: list[dict], pred: list[bool]) -> dict[str, dict[str, float]]:
    """Precision/recall/F1 overall and per kind (positives: recall; negatives: false folds)."""
    by: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0])  # tp fp fn tn
    for p, y in zip(pairs, pred, strict=True):
        for k in ("all", p["kind"]):
            c = by[k]
            c[0 if p["label"] and y else 1 if y else 2 if p["label"] else 3] += 1
    out = {}
    for k, (tp, fp, fn, tn) in by.items():
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[k] = {"n": tp + fp + fn + tn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                  "precision": prec, "recall": rec, "f1": f1}  # fmt: skip
    return out


VOCAB_SIZE = 50_000


def synthetic_stream(n: int, seed: int = 7):
    """Yield (title, text, url, guid, base) with ~10% duplicates of earlier articles."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(VOCAB_SIZE)]
    weights = [1 / (i + 1) for i in range(VOCAB_SIZE)]  # Zipf-like
    cum = list(__import__("itertools").accumulate(weights))
    recent: collections.deque = collections.deque(maxlen=5000)
    for i in range(n):
        if recent and rng.random() < 0.1:
            base, title, words = rng.choice(recent)
            k = rng.randrange(3)
            if k == 0:
                text = " ".join(words[: rng.randint(15, max(16, len(words) - 5))]) + " … Read more"
            elif k == 1:
                text = "Follow us on Twitter.\n" + " ".join(words) + "\nAll rights reserved."
            else:
                text = " ".join(words)
                title = title + " - Aggregator"
            yield title, text, f"https://agg.example/{i}", None, base
            continue
        words = rng.choices(vocab, cum_weights=cum, k=rng.randint(40, 200))
        title = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(4, 10)))
        recent.append((i, title, words))
        yield title, " ".join(words), f"https://site{i % 500}.example/a/{i}", f"urn:x:{i}", i


def bench_scale(n: int) -> dict[str, float]:
    """Fold n synthetic articles through StoryIndex; print fold cost per tenth of the run.

    Only the time inside ``StoryIndex.add`` counts (not generating the articles).
    """
    # The dict stand-in grows the Python heap by millions of objects; the cyclic GC's full
    # passes then grow with it. The SQLite key table has no such cost, so freeze what exists.
    import gc

    index = StoryIndex()
    story_of_base: dict[int, int] = {}
    joined = missed = 0
    slice_n = max(n // 10, 1)
    spent = slice_spent = 0.0
    print(f"{'articles':>10} {'µs/article':>10} {'keys':>10} {'stories':>9}")
    for i, (title, text, url, guid, base) in enumerate(synthetic_stream(n), 1):
        t = time.perf_counter()
        sid = index.add(title=title, text=text, url=url, guid=guid)
        dt = time.perf_counter() - t
        spent += dt
        slice_spent += dt
        if base not in story_of_base:
            story_of_base[base] = sid
        elif story_of_base[base] == sid:
            joined += 1
        else:
            missed += 1
        if i % 10_000 == 0:
            gc.freeze()
        if i % slice_n == 0:
            print(f"{i:>10} {slice_spent / slice_n * 1e6:>10.1f} {len(index.keys):>10}"
                  f" {len(index.members):>9}")  # fmt: skip
            slice_spent = 0.0
    dups = joined + missed
    false_joins = n - len(index.members) - joined
    print(f"folded {n:,} articles in {spent:.1f} s of folding = {n / spent:,.0f} articles/s; "
          f"{len(index.members):,} stories; injected duplicates joined {joined:,}/{dups:,}; "
          f"articles wrongly joined to another story {false_joins:,}")  # fmt: skip
    return {"articles_per_s": n / spent, "recall": joined / dups if dups else 1.0}


def bench_rules(n: int = 2000) -> float:
    """Cost of a 50-rule RuleSet on one 2,400-character article (µs per article)."""
    from desktop.enrich.rules import ArticleFacts, RuleSet, parse_rule

    rules = [
        parse_rule({"id": i, "name": f"r{i}", "match": "any", "actions": ["flag"],
                    "conditions": [
                        {"field": "any", "op": "contains",
                         "value": [f"kw{i}", f"word{i}", "bitcoin", "new york"]},
                        {"field": "title", "op": "matches", "value": rf"\bterm{i}\b"},
                        {"field": "language", "op": "in", "value": ["en", "de"]}]})
        for i in range(50)
    ]  # fmt: skip
    rs = RuleSet(rules)
    facts = ArticleFacts(title="An ordinary headline about markets", text="word " * 480)
    t = time.perf_counter()
    for _ in range(n):
        rs.apply(facts)
    us = (time.perf_counter() - t) / n * 1e6
    print(f"rules: 50 rules (150 conditions) on a 2,400-char article: {us:.0f} µs/article")
    return us


def main() -> None:
    """Print the pair-set table and the scale table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full", action="store_true", help="fold 1,000,000 articles")
    ap.add_argument("--articles", type=int, default=None)
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args()
    docs, pairs = load_pairs()
    t0 = time.perf_counter()
    pred = predict_pairs(docs, pairs)
    dt = time.perf_counter() - t0
    table = scores(pairs, pred)
    print(f"pair set: {len(docs)} docs, {len(pairs)} pairs, evaluated in {dt:.1f} s")
    print(f"{'kind':22} {'n':>6} {'tp':>5} {'fp':>4} {'fn':>4} {'prec':>7} {'recall':>7} {'f1':>6}")
    for kind in sorted(table, key=lambda k: (k != "all", k)):
        s = table[kind]
        print(f"{kind:22} {s['n']:>6} {s['tp']:>5} {s['fp']:>4} {s['fn']:>4} "
              f"{s['precision']:>7.4f} {s['recall']:>7.4f} {s['f1']:>6.4f}")  # fmt: skip
    # Ablation: the same pairs with URLs and guids removed, so only text and titles decide.
    bare = {i: {**d, "url": "", "guid": ""} for i, d in docs.items()}
    t = scores(pairs, predict_pairs(bare, pairs))["all"]
    print(f"without URLs/guids: precision {t['precision']:.4f} recall {t['recall']:.4f} "
          f"(fp {t['fp']}, fn {t['fn']})")  # fmt: skip
    bench_rules()
    if not args.skip_scale:
        bench_scale(args.articles or (1_000_000 if args.full else 200_000))


if __name__ == "__main__":
    main()
