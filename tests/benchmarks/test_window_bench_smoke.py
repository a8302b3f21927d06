"""Smoke run of the window and query benchmarks on a tiny generated database.

Generates ~2k articles through the real schema, runs each measurement once
(offscreen Qt, in this process) and checks that it ran and that the
trigger-kept counts still match a full recount after every mutation the
benchmarks made. No timing is asserted.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import math
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: Any) -> Path:
    from scripts.generate_db import generate

    out = tmp_path_factory.mktemp("bench") / "data"
    generate(out, 2000, 200, quiet=True)
    return out


def test_generated_database_is_realistic(folder: Path) -> None:
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk
    from desktop.store import counts
    from desktop.store.queries import ArticleQuery, count_articles, list_articles

    with Newsdesk.open(DataPaths(folder)) as desk:
        views = desk.db.read(counts.view_counts)
        assert 0.2 * 2000 < views["unread"] < 0.7 * 2000
        assert views["flagged"] > 0 and views["archived"] > 0
        assert len(desk.db.read(counts.language_counts)) >= 10
        assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)
        hits = desk.list_articles(ArticleQuery(view="all", search="the", limit=5))
        assert hits, "FTS index was rebuilt after the bulk load"
        q = ArticleQuery(view="unread", language="en")
        assert desk.db.read(count_articles, q) == len(
            desk.db.read(list_articles, ArticleQuery(view="unread", language="en", limit=5000))
        )


def test_query_bench_runs(folder: Path) -> None:
    import bench_queries

    from desktop.paths import DataPaths
    from desktop.service import Newsdesk

    with Newsdesk.open(DataPaths(folder)) as desk:
        cases = bench_queries.cases(desk.db)
        for name, fn in cases:
            med, worst, _ = bench_queries.measure(lambda fn=fn: desk.db.read(fn), 1)
            assert med >= 0 and worst >= med, name
    assert len(cases) > 20


def test_window_bench_runs(folder: Path, qapp: Any) -> None:
    import bench_window

    from desktop.paths import DataPaths
    from desktop.service import Newsdesk
    from desktop.store import counts

    run = bench_window.WindowRun(folder)
    try:
        keys = bench_window.keystrokes(run, 3)
        assert set(keys) == set(bench_window.KEYS)
        assert all(not math.isnan(v["p99"]) for v in keys.values()), keys
        assert "commit_p50" in keys["m"]
        search = bench_window.searches(run)
        assert search["n"] == len(bench_window.SEARCH_WORDS)
        views = bench_window.view_switches(run, rounds=1)
        assert not math.isnan(views["max"])
        marked = bench_window.mark_all(run, target=500)
        assert marked["articles"] > 0 and marked["mark_s"] > 0 and marked["undo_s"] > 0
        scrolled = bench_window.scroll_rss(run, rows=400)
        assert scrolled["rows"] >= 400 and scrolled["rss_scrolled_mb"] > 0
    finally:
        run.close()
    with Newsdesk.open(DataPaths(folder)) as desk:
        assert desk.db.read(counts.recount) == desk.db.read(counts.stored_counts)
        after = desk.db.read(counts.view_counts)
    assert after["unread"] > 0  # the undo of "mark all read" brought them back


def test_start_up_probe_paints_the_first_page(folder: Path) -> None:
    """The real app process (start-up fast path) paints rows and prints its probe."""
    import bench_window

    env = dict(os.environ, NEWSDESK_STARTUP_PROBE="1", QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, "-m", "desktop", "--data-dir", str(folder)]
    assert bench_window.first_paint(cmd, env, timeout=120) > 0
