"""Smoke run of ``bench_refresh.py``: 20 loopback feeds, one pool, no floors;
and floor C on three feeds.

Checks only that the benchmark machinery runs end to end, that a cold
refresh stored every served item, and that floor C does the work it stands
for (the figures themselves are not asserted).
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

HERE = Path(__file__).resolve().parent


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_refresh", HERE / "bench_refresh.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_refresh_benchmark_smoke() -> None:
    bench = _bench_module()
    if bench.shared_dir() is None:
        pytest.skip("shared/bench/feedfarm.py not found (../shared or /work/shared)")
    n, m = 20, 10
    res = bench.run_benchmark(n, m, pools=("thread",), floors=False, enrich=False, max_seconds=300)
    assert res is not None
    assert res.stored == {"thread": n * m}, res.problems
    names = [r.name for r in res.runs]
    assert names == ["newsdesk cold (thread)", "newsdesk warm (thread)"]
    assert all(r.rc == 0 for r in res.runs), res.problems
    assert not res.problems, res.problems
    assert "newsdesk cold (thread)" in bench.table(res)


def test_required_floor_stores_sanitises_and_indexes(tmp_path: Path) -> None:
    """Floor C does the work it stands for: every entry stored, sanitised, searchable."""
    bench = _bench_module()
    feeds = HERE.parent / "fixtures" / "feeds"
    hostile = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><guid>x1</guid><title>Zanzibar harbour</title><link>http://e.test/1</link>"
        b"<description>&lt;p onclick=&quot;evil()&quot;&gt;quokka&lt;script&gt;alert(1)"
        b"&lt;/script&gt;&lt;/p&gt;</description></item></channel></rss>"
    )
    docs = [
        ((feeds / "kde__zeit.de.xml").read_bytes(), "https://www.zeit.de/index", None),
        ((feeds / "nnw__DaringFireball.atom").read_bytes(), "https://daringfireball.net/", None),
        (hostile, "http://e.test/feed", None),
    ]
    path = tmp_path / "floor.sqlite3"
    entries = bench._floor_required(path, docs)
    conn = sqlite3.connect(path)
    try:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        triaged = conn.execute("SELECT count(*) FROM triage").fetchone()[0]
        html = conn.execute("SELECT content_html FROM articles WHERE entry_key = 'x1'").fetchone()[
            0
        ]
        found = conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'quokka'"
        ).fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
    finally:
        conn.close()
    assert entries == stored > 10
    assert triaged == stored
    assert "quokka" in html and "script" not in html and "onclick" not in html
    assert found == 1 and indexed == stored
