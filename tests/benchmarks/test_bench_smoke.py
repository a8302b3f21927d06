"""Smoke run of ``bench_refresh.py``: 20 loopback feeds, one pool, no floors.

Checks only that the benchmark machinery runs end to end and that a cold
refresh stored every served item (the figures themselves are not asserted).
"""

from __future__ import annotations

import importlib.util
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
