"""Ingest cost of the point-free search index (schema v8), per script.

    python tests/benchmarks/bench_search_points.py                      # this checkout
    python tests/benchmarks/bench_search_points.py --against /tmp/v7    # and a baseline
    python tests/benchmarks/bench_search_points.py --against /tmp/v7 --full

Writes prepared articles the way a refresh does (``refresh._write_batch``: 20
sources × 50 entries per transaction, FTS indexing deferred to one statement per
transaction) into a fresh SQLite store, and reports the process CPU per article
(user + system of every thread: the writer's) for each corpus. Articles are
real sentences of SIB-200 (``shared/data/topics/sib200``; a title of one
sentence, a text of eight): English, German, Russian, Arabic and Hebrew as
published (without points), and Arabic and Hebrew with a point after every
letter (a worst case: fully vowelled text).

With ``--against DIR`` (another checkout, e.g. ``git archive <commit> | tar -x``)
each round runs the measurement in a subprocess on both checkouts, alternating
which goes first, and the table gives each one's median and their ratio (this
checkout / DIR). Smoke: 3,000 articles per corpus, 3 rounds; ``--full``: 20,000
and 5 rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPORA = {
    "English": ("eng_Latn", None),
    "German": ("deu_Latn", None),
    "Russian": ("rus_Cyrl", None),
    "Arabic": ("arb_Arab", None),
    "Hebrew": ("heb_Hebr", None),
    "Arabic vowelled": ("arb_Arab", (0x0621, 0x064A, "\u064e")),  # a fatha after each letter
    "Hebrew pointed": ("heb_Hebr", (0x05D0, 0x05EA, "\u05b8")),  # a qamats after each letter
}
"""Name → (SIB-200 folder, None or (first letter, last letter, point added after each))."""


def _sib200() -> Path | None:
    for root in (REPO / ".." / "shared", Path("/work/shared")):
        folder = root / "data" / "topics" / "sib200"
        if folder.is_dir():
            return folder
    return None


def _sentences(folder: Path, point: tuple[int, int, str] | None) -> list[str]:
    out = []
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()[1:]
        out += [line.split("\t", 2)[2] for line in lines if line.count("\t") >= 2]
    if point is not None:
        lo, hi, mark = point
        out = ["".join(c + mark if lo <= ord(c) <= hi else c for c in s) for s in out]
    return out


def _measure(n: int) -> dict[str, float]:
    """CPU microseconds per article written, per corpus (this process's checkout)."""
    from desktop.sources.refresh import _write_batch
    from desktop.store.database import Database
    from desktop.store.ingest import write_entries
    from desktop.timeutil import now_iso
    from tests.support.factories import add_source, entry

    sib = _sib200()
    assert sib is not None
    figures = {}
    for name, (folder, point) in CORPORA.items():
        sentences = _sentences(sib / folder, point)
        entries = [
            entry(
                f"k{i}",
                sentences[i % len(sentences)][:120],
                " ".join(sentences[(i * 8 + j) % len(sentences)] for j in range(8)),
                published="2026-01-01T00:00:00Z",
            )
            for i in range(n)
        ]
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(Path(tmp) / "bench.sqlite3", user="bench")

            class _Desk:  # what factories.add_source needs
                pass

            desk = _Desk()
            desk.db = db  # type: ignore[attr-defined]
            per_source, per_batch = 50, 20
            chunks = [entries[i : i + per_source] for i in range(0, n, per_source)]
            sources = [add_source(desk, f"https://example.org/{i}") for i in range(len(chunks))]
            now = now_iso()
            start = time.process_time()
            for b in range(0, len(chunks), per_batch):
                ops = [
                    (write_entries, (sid, chunk, now))
                    for sid, chunk in zip(
                        sources[b : b + per_batch], chunks[b : b + per_batch], strict=True
                    )
                ]
                out = db.write(_write_batch, ops, True)
                assert all(ok for ok, _ in out)
            figures[name] = (time.process_time() - start) / n * 1e6
            db.close()
    return figures


def _child(tree: Path, n: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(n)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="20,000 articles, 5 rounds")
    parser.add_argument("--against", type=Path, help="a baseline checkout to compare with")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_measure(args.child)))
        return 0
    if _sib200() is None:
        print("shared/data/topics/sib200 is missing: nothing to measure")
        return 0
    n, rounds = (20_000, 5) if args.full else (3_000, 3)
    trees = {"this": REPO}
    if args.against:
        trees["base"] = args.against.resolve()
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    for r in range(rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for key in order:
            runs[key].append(_child(trees[key], n))
    print(f"{n:,} articles per corpus, {rounds} rounds; CPU µs per article written (median)")
    head = f"{'corpus':<16} {'this':>8}"
    if "base" in trees:
        head += f" {'base':>8} {'ratio':>6}"
    print(head)
    for name in CORPORA:
        this = statistics.median(run[name] for run in runs["this"])
        line = f"{name:<16} {this:8.1f}"
        if "base" in trees:
            base = statistics.median(run[name] for run in runs["base"])
            line += f" {base:8.1f} {this / base:6.2f}"
        print(line)
    if "base" in trees:
        total = {
            k: sum(statistics.median(run[c] for run in runs[k]) for c in CORPORA) for k in runs
        }
        print(
            f"{'all corpora':<16} {total['this']:8.1f} {total['base']:8.1f} "
            f"{total['this'] / total['base']:6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
