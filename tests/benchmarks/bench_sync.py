"""Sync benchmark: first sync of N items, then 100 local changes pushed (issue 7 goals).

    python tests/benchmarks/bench_sync.py            # GReader double 10,000 items; coldsweat 1,000
    python tests/benchmarks/bench_sync.py --full     # coldsweat with 10,000 items too
    python tests/benchmarks/bench_sync.py --pool process --repeat 3

Servers, all on 127.0.0.1: the Google Reader API double
(``tests/support/greader_server.py``, FreshRSS and Miniflux flavours) and a
real coldsweat 0.10.2 (Fever API) from ``.venv-coldsweat`` fed by the
project's test feed server (skipped when that venv is absent).

Rows per server:

- **floor: download only** — the same API calls with a bare httpx client, the
  answers decoded and discarded (what the network and the server cost);
- **first sync** — ``SyncEngine.sync`` into an empty database (login, feeds,
  items, sanitising, storing, state merge), wall seconds, items/s, ratio to
  the floor, and the event loop's longest stall (a 5 ms ticker runs beside the
  sync: the window's loop would be stalled as long);
- **100 changes pushed** — 100 articles marked read and 10 of them flagged here,
  then a sync: the whole sync, and the push phase alone (the ``_push`` call).

Goals (issue 7): first sync of 10,000 items ≤ 10 s; 100 changes pushed ≤ 1 s.
Enrichment (languages, topics, stories) is not part of these figures: it runs
after a sync as for any refresh (``bench_refresh.py`` measures it).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from desktop.store.database import Database  # noqa: E402
from desktop.sync import accounts  # noqa: E402
from desktop.sync.engine import SyncEngine  # noqa: E402
from desktop.triage import actions  # noqa: E402

ROWS: list[tuple[str, str, str, str, str]] = []


def row(server: str, case: str, seconds: float, per_s: str = "", note: str = "") -> None:
    ROWS.append((server, case, f"{seconds:.2f}", per_s, note))


async def lag_probe(stop: asyncio.Event, out: list[float]) -> None:
    """Longest gap between 5 ms ticks of the loop while the sync runs."""
    last = time.perf_counter()
    worst = 0.0
    while not stop.is_set():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        worst = max(worst, now - last - 0.005)
        last = now
    out.append(worst)


async def timed_sync(engine: SyncEngine) -> tuple[Any, float, float]:
    stop = asyncio.Event()
    lag: list[float] = []
    probe = asyncio.create_task(lag_probe(stop, lag))
    started = time.perf_counter()
    [report] = await engine.sync()
    seconds = time.perf_counter() - started
    stop.set()
    await probe
    if not report.ok:
        raise RuntimeError(report.error)
    return report, seconds, lag[0]


def make_engine(db: Database, password: str, pool: str) -> SyncEngine:
    from desktop.workers import cpu_pool

    cpu = None if pool == "none" else cpu_pool(pool)
    return SyncEngine(db, lambda account: password, cpu)


def push_phase(engine: SyncEngine) -> list[float]:
    """Wrap the engine's push to time it alone."""
    spent: list[float] = []
    original: Callable[..., Awaitable[None]] = engine._push

    async def timed(*args: Any) -> None:
        started = time.perf_counter()
        await original(*args)
        spent.append(time.perf_counter() - started)

    engine._push = timed  # type: ignore[method-assign]
    return spent


def run_account(label: str, kind: str, url: str, user: str, password: str, args: Any) -> None:
    for attempt in range(args.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
        db = Database(tmp / "newsdesk.sqlite3")
        try:
            db.write(accounts.add, kind, url, user)
            engine = make_engine(db, password, args.pool)
            report, seconds, lag = asyncio.run(timed_sync(engine))
            n = len(report.new_ids)
            row(
                label,
                f"first sync ({args.pool} pool) #{attempt + 1}",
                seconds,
                f"{n / seconds:,.0f} items/s",
                f"{n:,} items, loop stall max {lag * 1000:.0f} ms",
            )
            ids = db.read(
                lambda c: [
                    r[0]
                    for r in c.exec_driver_sql(
                        "SELECT article_id FROM remote_items "
                        "ORDER BY CAST(remote_id AS INTEGER) LIMIT 100"
                    ).fetchall()
                ]
            )
            undo = attempt % 2  # a repeat finds the server changed by the run before
            read, flag = ("unread", "unflag") if undo else ("read", "flag")
            db.write(lambda c, ids=ids, a=read: actions.set_state(c, ids, a))
            db.write(lambda c, ids=ids, a=flag: actions.set_state(c, ids[:10], a))
            spent = push_phase(engine)
            report, seconds, lag = asyncio.run(timed_sync(engine))
            assert report.pushed == 110 and report.pending == 0, report.summary()
            row(label, f"sync with 110 changes #{attempt + 1}", seconds, "", "whole sync")
            row(
                label,
                f"  push phase #{attempt + 1}",
                spent[0],
                f"{110 / spent[0]:,.0f} changes/s",
                "100 read + 10 flagged",
            )
            engine.cpu and engine.cpu.shutdown()  # type: ignore[func-returns-value]
        finally:
            db.close()


async def greader_floor(url: str, user: str, password: str) -> tuple[float, int]:
    import httpx

    from desktop.sync.greader import CONTENTS_BATCH, READING_LIST, long_id

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        r = await client.post(
            f"{url}/accounts/ClientLogin", data={"Email": user, "Passwd": password}
        )
        auth = r.text.split("Auth=")[1].strip()
        headers = {"Authorization": f"GoogleLogin auth={auth}"}
        token = (await client.get(f"{url}/reader/api/0/token", headers=headers)).text.strip()
        r = await client.get(
            f"{url}/reader/api/0/stream/items/ids",
            params={"output": "json", "s": READING_LIST, "n": 10000},
            headers=headers,
        )
        ids = [x["id"] for x in r.json()["itemRefs"]]
        gate = asyncio.Semaphore(4)

        async def batch(chunk: list[str]) -> int:
            async with gate:
                from urllib.parse import urlencode

                body = urlencode(
                    [("T", token), ("output", "json")] + [("i", long_id(i)) for i in chunk]
                )
                resp = await client.post(
                    f"{url}/reader/api/0/stream/items/contents?output=json",
                    content=body,
                    headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
                )
                return len(resp.json()["items"])

        got = await asyncio.gather(
            *(batch(ids[k : k + CONTENTS_BATCH]) for k in range(0, len(ids), CONTENTS_BATCH))
        )
    return time.perf_counter() - started, sum(got)


SERVE_GREADER = """
import sys
sys.path.insert(0, sys.argv[3])
from tests.support.greader_server import GReaderServer
server = GReaderServer(flavour=sys.argv[1]).start()
per_feed = int(sys.argv[2]) // 50
for f in range(50):
    server.add_items(server.add_feed(f"Feed {f}", folder=f"Folder {f % 5}"), per_feed)
print(server.base_url, server.users["alice"], sep="\\t", flush=True)
sys.stdin.read()
"""


def bench_greader(args: Any) -> None:
    """The double runs in its own process, so its CPU does not stall this loop."""
    import subprocess

    for flavour in ("freshrss", "miniflux"):
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_GREADER, flavour, str(args.items), str(REPO)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            url, password = proc.stdout.readline().rstrip("\n").split("\t")
            seconds, n = asyncio.run(greader_floor(url, "alice", password))
            label = f"greader/{flavour}"
            row(
                label,
                "floor: download only",
                seconds,
                f"{n / seconds:,.0f} items/s",
                f"{n:,} items",
            )
            run_account(label, "greader", url, "alice", password, args)
        finally:
            proc.kill()
            proc.wait(timeout=10)


async def fever_floor(url: str, key: str) -> tuple[float, int]:
    import httpx

    started = time.perf_counter()
    n = 0
    since = 0
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            r = await client.post(f"{url}?api&items&since_id={since}", data={"api_key": key})
            items = r.json().get("items") or []
            if not items:
                break
            n += len(items)
            since = max(int(i["id"]) for i in items)
            if len(items) < 50:
                break
    return time.perf_counter() - started, n


async def fever_push_floor(url: str, key: str) -> float:
    """What 110 Fever ``mark`` calls cost on this server (one item per call, 8 in flight)."""
    import httpx

    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=60) as client:

        async def mark(item: int, status: str) -> None:
            async with gate:
                await client.post(
                    f"{url}?api", data={"api_key": key, "mark": "item", "as": status, "id": item}
                )

        started = time.perf_counter()
        await asyncio.gather(*(mark(i, "read") for i in range(1, 111)))
        seconds = time.perf_counter() - started
        await asyncio.gather(*(mark(i, "unread") for i in range(1, 111)))
    return seconds


def bench_coldsweat(args: Any) -> None:
    sys.path.insert(0, str(REPO / "tests" / "integration"))
    from test_sync_fever import COLDSWEAT, EMAIL, PASSWORD, start_coldsweat

    from tests.support.feedserver import FeedServer

    if not COLDSWEAT.exists():
        print(f"coldsweat: skipped ({COLDSWEAT} missing: run scripts/setup)")
        return
    count = 10_000 if args.full else 1_000
    tmp = Path(tempfile.mkdtemp(prefix="bench-coldsweat-"))
    with FeedServer() as feeds:
        started = time.perf_counter()
        proc, url = start_coldsweat(tmp, feeds, {f"feed{f}": count // 20 for f in range(20)})
        row(
            "fever/coldsweat",
            "server setup + its own fetch",
            time.perf_counter() - started,
            "",
            f"{count:,} items",
        )
        try:
            key = hashlib.md5(f"{EMAIL}:{PASSWORD}".encode()).hexdigest()
            seconds, n = asyncio.run(fever_floor(url, key))
            row(
                "fever/coldsweat",
                "floor: download only",
                seconds,
                f"{n / seconds:,.0f} items/s",
                f"{n:,} items",
            )
            seconds = asyncio.run(fever_push_floor(url, key))
            row(
                "fever/coldsweat",
                "floor: 110 mark calls, 8 at a time",
                seconds,
                f"{110 / seconds:,.0f} changes/s",
                "bare httpx, read then unread",
            )
            run_account("fever/coldsweat", "fever", url, EMAIL, PASSWORD, args)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="coldsweat with 10,000 items too")
    parser.add_argument("--items", type=int, default=10_000, help="items on the GReader double")
    parser.add_argument("--pool", choices=("thread", "process", "none"), default="thread")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-coldsweat", action="store_true")
    parser.add_argument("--skip-greader", action="store_true")
    args = parser.parse_args()
    if not args.skip_greader:
        bench_greader(args)
    if not args.skip_coldsweat:
        bench_coldsweat(args)
    widths = [
        max(len(r[i]) for r in [*ROWS, ("server", "case", "s", "rate", "note")]) for i in range(5)
    ]
    header = ("server", "case", "s", "rate", "note")
    for r in [header, *ROWS]:
        print(
            "  ".join(
                cell.ljust(widths[i]) if i != 2 else cell.rjust(widths[i])
                for i, cell in enumerate(r)
            )
        )
    print("goals: first sync of 10,000 items <= 10 s; 100 changes pushed <= 1 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
