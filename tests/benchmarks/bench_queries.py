"""Raw SQL figures behind the window: list pages per view and filter, counts, search.

Run: python tests/benchmarks/bench_queries.py [--sizes 100k,1m] [--repeat 5]
Default size: 5k articles (a smoke run). Databases come from
``scripts/generate_db.py`` (cached under /tmp/newsdesk-bench/).

Every case prints its median and worst time over ``--repeat`` runs and flags
its query plan: ``SCAN`` of a large table or a temporary B-tree for ORDER BY
(``SORT``) means the query reads far more than one page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.generate_db import cached, parse_size  # noqa: E402

BIG_TABLES = ("articles", "triage", "tags", "user_tags", " a", " t", " g", " u")


def plan_flags(conn: Any, sql: str, params: tuple[Any, ...]) -> str:
    """Short verdict on a query plan: '' when every big table is searched by index."""
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    flags = []
    for r in rows:
        detail = str(r[-1])
        big = any(t in detail for t in ("articles", "triage", "tags"))
        if detail.startswith("SCAN") and "USING" not in detail and "VIRTUAL" not in detail and big:
            flags.append(detail)
        if "TEMP B-TREE FOR ORDER BY" in detail:
            flags.append("SORT")
    return "; ".join(flags)


class SqlRecorder:
    """Remembers the last statement a connection ran (for EXPLAIN QUERY PLAN)."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[Any, ...]] = {}

    def attach(self, engine: Any) -> None:
        from sqlalchemy import event

        @event.listens_for(engine, "before_cursor_execute")
        def _record(conn: Any, cursor: Any, statement: str, params: Any, *_a: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                self.seen.setdefault(statement, tuple(params) if params else ())


def measure(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median ms, max ms, last result) of ``repeat`` calls."""
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), result


def cases(db: Any) -> list[tuple[str, Callable[[Any], Any]]]:
    """(name, fn(conn)) for every query the window runs at scale."""
    from desktop.store import counts, queries
    from desktop.store.queries import ArticleQuery

    big_source, mid_folder, lang, word = db.read(_probe_values)

    def page(q: ArticleQuery, deep: bool = False) -> Callable[[Any], Any]:
        def run(conn: Any) -> Any:
            rows = queries.list_articles(conn, q)
            if deep:  # the 20th page: keyset cursor from a row far down
                for _ in range(19):
                    if len(rows) < q.limit:
                        break
                    rows = queries.list_articles(
                        conn, replace(q, after=(rows[-1].published, rows[-1].id))
                    )
            counts.story_sizes(conn, [r.story_id for r in rows if r.story_id is not None])
            return len(rows)

        return run

    base = ArticleQuery(limit=200)
    out: list[tuple[str, Callable[[Any], Any]]] = []
    for view in queries.VIEWS:
        out.append((f"page {view}", page(replace(base, view=view))))
    out.append(("page inbox, 20th", page(base, deep=True)))
    out.append(("page unread, 20th", page(replace(base, view="unread"), deep=True)))
    out.append((f"page inbox lang={lang}", page(replace(base, language=lang))))
    out.append((f"page unread lang={lang}", page(replace(base, view="unread", language=lang))))
    out.append(("page inbox topic=sports", page(replace(base, topic="sports"))))
    out.append(("page unread topic=sports", page(replace(base, view="unread", topic="sports"))))
    out.append(("page flagged topic=sports", page(replace(base, view="flagged", topic="sports"))))
    # a rare tag that only the user's own words carry (v7: user_tags, not tags)
    out.append(("page inbox topic=follow-up (words)", page(replace(base, topic="follow-up"))))
    out.append(("page inbox source", page(replace(base, source_ids=(big_source,)))))
    out.append(("page unread source", page(replace(base, view="unread", source_ids=(big_source,)))))
    out.append((f"page inbox folder={mid_folder}", page(replace(base, folder=mid_folder))))
    out.append((f"page inbox search '{word}'", page(replace(base, search=word))))
    out.append((f"page all search '{word}'", page(replace(base, view="all", search=word))))
    out.append(("page inbox search 2 words", page(replace(base, search=f"{word} the"))))
    out.append(("sorted by title", lambda c: counts.sorted_page(c, base, "title", False, None)))
    out.append(("count inbox (status bar)", lambda c: queries.count_articles(c, base)))
    out.append(
        (
            f"count inbox lang={lang}",
            lambda c: queries.count_articles(c, replace(base, language=lang)),
        )
    )
    out.append(("sidebar: view_counts", counts.view_counts))
    out.append(("sidebar: source_rows", queries.source_rows))
    out.append(("sidebar: language_counts", counts.language_counts))
    out.append(("sidebar: topic_counts", counts.topic_counts))
    out.append(("sidebar_counts (all)", counts.sidebar_counts))
    out.append(
        ("view_ids unread (Shift+A)", lambda c: counts.view_ids(c, replace(base, view="unread")))
    )
    return out


def _probe_values(conn: Any) -> tuple[int, str, str, str]:
    """A big source, a folder, a common language and a mid-frequency search word."""
    src = conn.exec_driver_sql(
        "SELECT source_id FROM articles WHERE id % 97 = 0 GROUP BY source_id "
        "ORDER BY count(*) DESC LIMIT 1"
    ).scalar()
    folder = conn.exec_driver_sql(
        "SELECT folder FROM sources WHERE folder IS NOT NULL GROUP BY folder "
        "ORDER BY count(*) DESC LIMIT 1"
    ).scalar()
    return int(src or 1), str(folder or "World"), "de", "government"


def run_size(n: int, repeat: int) -> list[tuple[str, float, float, str]]:
    """Every case on the cached database of ``n`` articles."""
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk
    from desktop.store.counts import ChangeProbe

    folder = cached(n, quiet=False)
    desk = Newsdesk.open(DataPaths(folder))
    recorder = SqlRecorder()
    recorder.attach(desk.db._read_engine)
    results = []
    try:
        for name, fn in cases(desk.db):
            recorder.seen = {}
            med, worst, _ = measure(lambda fn=fn: desk.db.read(fn), repeat)
            found = [
                desk.db.read(lambda c, s=sql, p=params: plan_flags(c, s, p))
                for sql, p in list(recorder.seen.items())
                for params in (p,)
            ]
            flags = " | ".join(f for f in found if f)
            results.append((name, med, worst, flags))
        probe = ChangeProbe(desk.db.path)
        med, worst, _ = measure(probe.changed, max(repeat, 50))
        probe.close()
        results.append(("data_version poll", med, worst, ""))
    finally:
        desk.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5k", help="comma-separated sizes (5k, 100k, 1m)")
    parser.add_argument("--full", action="store_true", help="same as --sizes 100k,1m")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = "100k,1m" if args.full else args.sizes
    for size in sizes.split(","):
        n = parse_size(size)
        print(f"\n## {size} articles")
        print(f"{'case':42} {'median ms':>10} {'max ms':>9}  plan")
        for name, med, worst, flags in run_size(n, args.repeat):
            print(f"{name:42} {med:10.2f} {worst:9.2f}  {flags}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
