"""Shared PostgreSQL store: five clients triaging while one fetcher ingests (issue #7).

    python tests/benchmarks/bench_shared.py            # smoke: 100 feeds × 50 items, 20 s phases
    python tests/benchmarks/bench_shared.py --full     # 1,000 feeds × 50 items, 90 s phases

A throwaway PostgreSQL server (``tests/support/postgres.py``; or the admin URL
in ``$NEWSDESK_TEST_POSTGRES_URL``) gets a fresh database, seeded with
``SEED_FEEDS`` × M articles from the loopback feed farm
(``../shared/bench/feedfarm.py``, started as ``bench_refresh.py`` does). Then
three phases:

0. **solo**: one client alone for at most 10 s (the floor: this machine, no contention);
1. **baseline**: ``--clients`` client *processes* (default 5) triage, nothing else runs;
2. **loaded**: the same while one fetcher, ``newsdesk --database URL serve``
   (refresh + enrichment, the headless fetcher's own code path), ingests N
   new feeds × M items from the farm (stopped at the end of the phase).

Each client is its own person (``alice``, ``bob``, ``carol``, ``dave``, ``eve``;
``client5``… beyond five), as a desk of analysts runs the window with ``--user``:
it opens ``Newsdesk`` on the URL for that person (created, and their triage
rows backfilled, before the phase starts) and acts the way the window's keys
do — ``Newsdesk.mark(ids, action)`` (m / s / e, whole story) and
``Newsdesk.undo()`` (u) — at ``--rate`` actions per second (uniform jitter
±50 %), on its own share of the seeded articles: read/unread 35 %, flag/unflag
25 %, archive/unarchive 25 %, undo 15 % (one's own actions: the undo log is per
person). Every client also listens (``Newsdesk.listen``, as the window does) and,
like the window's reconcile, re-reads the notified rows — its own person's state
of them — (``counts.fresh_rows``) on a reader thread: notices name articles, not
people, so each commit reaches every other client. The seeding commands run as
``alice``; the fetcher (``serve``) is no person.

Figures:

* **commit latency** — wall time of each ``mark``/``undo`` call (queue on the
  writer, the transaction, the commit), per action and overall: p50/p95/p99/max;
* **visibility** — from the moment client A's commit call returned to the
  moment client B has received the notification carrying one of the changed ids
  and re-read the rows, for every other client B: p50/p99/max, and how many
  (commit, client) pairs were never seen (``missed``). A reload marker received
  after the commit counts as seeing it. A value below zero (B heard the commit
  before A's call returned) counts as 0.

Goals (issue #7): commit p99 ≤ 50 ms, visibility ≤ 1 s. Ratios compare the
loaded phase with the baseline measured in the same run (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(Path(__file__).resolve().parent))

SMOKE = (100, 50, 20.0)
FULL = (1000, 50, 90.0)
SEED_FEEDS = 20
MIX = (("read", 0.35), ("flag", 0.25), ("archive", 0.25), ("undo", 0.15))
INVERSE = {"read": "unread", "flag": "unflag", "archive": "unarchive"}
FIELD = {"read": "read", "flag": "flagged", "archive": "archived"}
PEOPLE = ("alice", "bob", "carol", "dave", "eve")
"""The clients' ``--user`` names (client k > 4: ``client{k}``)."""
MATCH_S = 10.0
"""A notice arriving later than this after a commit is another commit's (see visibility)."""
LINGER_S = 2.0
"""Clients keep listening this long after their last action (late notifications)."""


# --------------------------------------------------------------------------- client


def _client_main(args: argparse.Namespace) -> int:
    """One client process: wait for GO, triage for ``seconds``, listen, dump JSON."""
    import queue
    from dataclasses import replace

    from desktop.paths import DataPaths
    from desktop.service import Newsdesk
    from desktop.store import counts
    from desktop.store.queries import ArticleQuery

    sys.setswitchinterval(0.001)  # as the window's task bridge sets it (ui/tasks.py)
    ids_all: list[int] = json.loads(Path(args.ids).read_text())
    mine = [i for n, i in enumerate(ids_all) if n % args.of == args.client]
    rng = random.Random(1000 + args.client)
    desk = Newsdesk.open(DataPaths(Path(args.data)), args.url, user=person_name(args.client))
    inbox: queue.Queue[tuple[float, list[Any]] | None] = queue.Queue()
    receipts: list[tuple[int, float, float]] = []
    reloads: list[tuple[float, float]] = []
    other_kinds = {"new": 0, "tags": 0, "articles": 0, "gone": 0}
    q = ArticleQuery(view="inbox", limit=200)
    sticky = replace(q, view="inbox")

    def deliver(batch: list[Any]) -> None:
        inbox.put((time.time(), batch))

    def reader() -> None:  # the window's reconcile: re-read the notified rows
        while True:
            item = inbox.get()
            if item is None:
                return
            batches = [item]
            while not inbox.empty():  # take what queued meanwhile, as the window does
                more = inbox.get()
                if more is None:
                    inbox.put(None)
                    break
                batches.append(more)
            triage: dict[int, float] = {}  # id → when its latest notice arrived
            other: set[int] = set()
            reload_at = None
            for received, batch in batches:
                for n in batch:
                    if n.reload:
                        reload_at = reload_at or received
                    elif n.kind == "triage":
                        for i in n.ids:
                            triage[i] = received
                    else:
                        other_kinds[n.kind] = other_kinds.get(n.kind, 0) + 1
                        other.update(n.ids)
            wanted = sorted(set(triage) | other)[:1000]
            desk.db.read(counts.fresh_rows, q, sticky, wanted, reload_at is not None)
            done = time.time()
            receipts.extend((i, at, done) for i, at in triage.items())
            if reload_at is not None:
                reloads.append((reload_at, done))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    listener = desk.listen(deliver)
    listener.wait_listening()
    state = {
        r["id"]: r
        for r in (
            desk.article(i) for i in mine[:400]
        )  # the articles this client works on, with their state
        if r is not None
    }
    pool = list(state)
    print("READY", flush=True)
    if sys.stdin.readline().strip() != "GO":
        return 1
    commits: list[tuple[str, float, float, list[int]]] = []
    errors = 0
    start = time.monotonic()
    due = start
    weights = [w for _a, w in MIX]
    while True:
        due += rng.uniform(0.5, 1.5) / args.rate
        if due - start > args.seconds:
            break
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        kind = rng.choices([a for a, _w in MIX], weights)[0]
        t0 = time.time()
        try:
            if kind == "undo":
                changes = desk.undo()
                action = "undo"
            else:
                article = rng.choice(pool)
                on = bool(state[article][FIELD[kind]])
                action = INVERSE[kind] if on else kind
                changes = desk.mark([article], action)
                state[article][FIELD[kind]] = not on
        except Exception as exc:  # a failed commit is counted, not fatal
            errors += 1
            print(f"client {args.client}: {exc}", file=sys.stderr)
            continue
        t1 = time.time()
        ids = sorted(changes.article_ids) if changes is not None else []
        commits.append((action, t0, t1, ids))
    time.sleep(LINGER_S)
    listener.stop()
    inbox.put(None)
    thread.join(10)
    desk.close()
    out = {
        "client": args.client,
        "commits": commits,
        "receipts": receipts,
        "reloads": reloads,
        "other_notices": other_kinds,
        "errors": errors,
    }
    Path(args.out).write_text(json.dumps(out))
    return 0


# --------------------------------------------------------------------------- coordinator


def person_name(client: int) -> str:
    """Client ``client``'s person (``--user``)."""
    return PEOPLE[client] if client < len(PEOPLE) else f"client{client}"


def pct(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    commits: dict[str, list[float]] = field(default_factory=dict)
    visibility: list[float] = field(default_factory=list)
    missed: int = 0
    missed_undo: int = 0
    pairs: int = 0
    errors: int = 0
    actions_per_s: float = 0.0
    ingested: int = 0
    fetch_note: str = ""
    other_notices: dict[str, int] = field(default_factory=dict)


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for name in ("NEWSDESK_DATA_DIR", "NEWSDESK_DATABASE_URL"):
        env.pop(name, None)
    return env


def _newsdesk(work: Path, url: str, name: str, *args: str) -> list[str]:
    """A command line on ``url``; every command but ``serve`` runs as ``alice`` (the first
    client's person), so that no person but the clients' exists."""
    data = work / name
    user = [] if args[:1] == ("serve",) else ["--user", PEOPLE[0]]
    return [
        *(sys.executable, "-m", "desktop", "--data-dir", str(data), "--database", url),
        *user,
        *args,
    ]


def _count(url: str) -> int:
    import psycopg

    from desktop.store.postgres import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def visibility(results: list[dict[str, Any]]) -> tuple[list[float], int, int, int]:
    """(latencies in s, missed mark pairs, missed undo pairs, pairs) of every commit in
    every other client.

    A commit (started at t0, returned at t1, changing ids S) is visible in client B
    at the end of B's first re-read of an id of S whose notice arrived at or after
    t0 (a re-read covers every notice gathered before it, as the window's does),
    or of B's first reload after t0; the latency counts from t1. An undo reports the
    ids of the action it undoes even when it changed no row (sending no notice), so
    undo misses are counted apart. A notice later than :data:`MATCH_S` after the commit
    is taken for a later commit's (the commit counts as missed)."""
    import bisect

    commits = [
        (t0, t1, c["client"], ids, action == "undo")
        for c in results
        for action, t0, t1, ids in c["commits"]
        if ids
    ]
    values: list[float] = []
    missed = missed_undo = pairs = 0
    for receiver in results:
        by_id: dict[int, list[tuple[float, float]]] = {}
        for article_id, at, done in receiver["receipts"]:
            by_id.setdefault(article_id, []).append((at, done))
        for v in by_id.values():
            v.sort()
        reloads = sorted(receiver["reloads"])
        for t0, t1, sender, ids, is_undo in commits:
            if sender == receiver["client"]:
                continue
            pairs += 1
            best: float | None = None
            for article_id in ids:
                seen = by_id.get(article_id, [])
                k = bisect.bisect_left(seen, (t0 - 0.001, 0.0))
                if k < len(seen) and seen[k][0] <= t1 + MATCH_S:
                    done = min(d for _at, d in seen[k:])
                    best = done if best is None else min(best, done)
            k = bisect.bisect_left(reloads, [t0 - 0.001, 0.0])
            if k < len(reloads) and reloads[k][0] <= t1 + MATCH_S:
                done = reloads[k][1]
                best = done if best is None else min(best, done)
            if best is None:
                if is_undo:
                    missed_undo += 1
                else:
                    missed += 1
            else:
                values.append(max(0.0, best - t1))
    return values, missed, missed_undo, pairs


def run_phase(
    name: str,
    work: Path,
    url: str,
    ids_file: Path,
    clients: int,
    seconds: float,
    rate: float,
    fetcher: list[str] | None,
) -> Phase:
    """Start ``clients`` client processes (and the fetcher), run them, gather figures."""
    phase = Phase(name)
    before = _count(url)
    procs = []
    for k in range(clients):
        out = work / f"{name}-client{k}.json"
        cmd = [
            *(sys.executable, __file__, "--client", str(k), "--of", str(clients)),
            *("--url", url, "--ids", str(ids_file), "--data", str(work / f"client{k}")),
            *("--seconds", str(seconds), "--rate", str(rate), "--out", str(out)),
        ]
        procs.append(
            (
                out,
                subprocess.Popen(
                    cmd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    env=_env(),
                    cwd=REPO,
                ),
            )
        )
    fetch = None
    fetch_log = work / f"{name}-fetcher.log"
    for _out, p in procs:
        line = p.stdout.readline() if p.stdout else ""
        if line.strip() != "READY":
            raise RuntimeError(f"a client did not start: {line!r}")
    if fetcher is not None:
        log = fetch_log.open("w")
        fetch = subprocess.Popen(fetcher, stdout=log, stderr=subprocess.STDOUT, env=_env())
        time.sleep(1.0)  # its imports and the first requests: the load is on when clients go
    started = time.monotonic()
    for _out, p in procs:
        assert p.stdin is not None
        p.stdin.write("GO\n")
        p.stdin.flush()
    for _out, p in procs:
        p.wait(timeout=seconds + 120)
    wall = time.monotonic() - started - LINGER_S
    if fetch is not None:
        running = fetch.poll() is None
        if running:
            fetch.terminate()
            try:
                fetch.wait(30)
            except subprocess.TimeoutExpired:
                fetch.kill()
                fetch.wait()
        text = fetch_log.read_text(errors="replace").strip().splitlines()
        tail = " / ".join(t.strip()[:120] for t in text[-3:])
        phase.fetch_note = ("still running at the end; " if running else "") + tail
    phase.ingested = _count(url) - before
    results = []
    for out, p in procs:
        if p.returncode != 0 or not out.exists():
            raise RuntimeError(f"client failed (exit {p.returncode})")
        results.append(json.loads(out.read_text()))
    total = 0
    for r in results:
        phase.errors += r["errors"]
        for kind, n in r["other_notices"].items():
            phase.other_notices[kind] = phase.other_notices.get(kind, 0) + n
        for action, t0, t1, _ids in r["commits"]:
            base = INVERSE_BASE.get(action, action)
            phase.commits.setdefault(base, []).append(t1 - t0)
            total += 1
    phase.actions_per_s = total / max(wall, 1e-9)
    phase.visibility, phase.missed, phase.missed_undo, phase.pairs = visibility(results)
    return phase


INVERSE_BASE = {v: k for k, v in INVERSE.items()}
"""unread → read, … (a row per key: m, s, e, u)."""


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v * 1000:.1f}"


def table(phases: list[Phase], n: int, m: int, clients: int, rate: float) -> str:
    """The figures as a Markdown table (plus the goals)."""
    lines = [
        f"bench_shared: {clients} clients × {rate:g} actions/s; fetcher on {n} feeds × {m} items",
        "",
        "| phase | action | n | commit p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    overall: dict[str, list[float]] = {}
    for ph in phases:
        every: list[float] = []
        for action in ("read", "flag", "archive", "undo"):
            v = ph.commits.get(action, [])
            every += v
            lines.append(
                f"| {ph.name} | {action} | {len(v)} | {_ms(pct(v, 50))} | {_ms(pct(v, 95))} | "
                f"{_ms(pct(v, 99))} | {_ms(max(v) if v else None)} |"
            )
        overall[ph.name] = every
        lines.append(
            f"| {ph.name} | **all** | {len(every)} | {_ms(pct(every, 50))} | "
            f"{_ms(pct(every, 95))} | **{_ms(pct(every, 99))}** | "
            f"{_ms(max(every) if every else None)} |"
        )
    lines += [
        "",
        "| phase | visibility pairs | p50 ms | p99 ms | max ms | missed (undo) | actions/s | "
        "errors | ingested | other notices |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ph in phases:
        v = ph.visibility
        notices = ", ".join(f"{k} {c}" for k, c in sorted(ph.other_notices.items()) if c)
        lines.append(
            f"| {ph.name} | {ph.pairs} | {_ms(pct(v, 50))} | **{_ms(pct(v, 99))}** | "
            f"{_ms(max(v) if v else None)} | {ph.missed} ({ph.missed_undo}) | "
            f"{ph.actions_per_s:.1f} | "
            f"{ph.errors} | {ph.ingested} | {notices or '—'} |"
        )
    for ph in phases:
        if ph.fetch_note:
            lines.append(f"\nfetcher ({ph.name}): {ph.fetch_note}")
    if len(phases) == 3:
        _solo, base, loaded = phases
        b99, l99 = pct(overall[base.name], 99), pct(overall[loaded.name], 99)
        bv, lv = pct(base.visibility, 99), pct(loaded.visibility, 99)
        if b99 and l99:
            lines.append(f"\ncommit p99 loaded / baseline: ×{l99 / b99:.2f}")
        if bv and lv:
            lines.append(f"visibility p99 loaded / baseline: ×{lv / bv:.2f}")
    lines.append("")
    for ph in phases:
        if not ph.pairs:
            continue  # one client: nobody else to see its commits
        c99 = pct(overall[ph.name], 99)
        v99 = pct(ph.visibility, 99)
        ok_c = c99 is not None and c99 <= 0.050
        ok_v = v99 is not None and v99 <= 1.0 and ph.missed == 0
        lines.append(
            f"goal ({ph.name}): commit p99 ≤ 50 ms {'MET' if ok_c else 'NOT MET'}; "
            f"visibility p99 ≤ 1 s with none missed {'MET' if ok_v else 'NOT MET'}"
        )
    return "\n".join(lines)


def run_benchmark(
    n: int, m: int, seconds: float, clients: int, rate: float, max_seconds: int = 3600
) -> str | None:
    """The whole run; None when the shared feed farm is absent."""
    from bench_refresh import Farm, shared_dir

    from tests.support import postgres

    shared = shared_dir()
    if shared is None:
        return None
    admin = os.environ.get(postgres.ENV_URL)
    server = None
    if not admin:
        why = postgres.available()
        if why is not None:
            print(f"skipped: {why}")
            return ""
        server = postgres.start()
        admin = server.url
    farm = Farm(shared / "bench" / "feedfarm.py", n + SEED_FEEDS, m, max_seconds)
    try:
        url = postgres.fresh_database(admin)
        with tempfile.TemporaryDirectory(prefix="bench-shared-") as tmp:
            work = Path(tmp)
            seed = work / "seed.opml"
            seed.write_bytes(farm.get(f"/opml?n={SEED_FEEDS}"))
            for args in (("import-opml", str(seed)), ("fetch", "--all", "--no-enrich")):
                subprocess.run(
                    _newsdesk(work, url, "seed", *args),
                    check=True,
                    capture_output=True,
                    env=_env(),
                    cwd=REPO,
                )
            import psycopg

            from desktop.store.postgres import libpq_url

            with psycopg.connect(libpq_url(url)) as conn:
                ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id")]
            ids_file = work / "ids.json"
            ids_file.write_text(json.dumps(ids))
            phases = [
                run_phase("solo", work, url, ids_file, 1, min(seconds, 10.0), rate, None),
                run_phase("baseline", work, url, ids_file, clients, seconds, rate, None),
            ]
            everything = work / "all.opml"
            everything.write_bytes(farm.get(f"/opml?n={n + SEED_FEEDS}"))
            subprocess.run(
                _newsdesk(work, url, "fetcher", "import-opml", str(everything)),
                check=True,
                capture_output=True,
                env=_env(),
                cwd=REPO,
            )
            fetcher = _newsdesk(work, url, "fetcher", "serve", "--check", "5")
            phases.append(run_phase("loaded", work, url, ids_file, clients, seconds, rate, fetcher))
        postgres.drop_database(admin, url)
        return table(phases, n, m, clients, rate)
    finally:
        farm.stop()
        if server is not None:
            server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help="1,000 feeds × 50 items, 90 s phases")
    p.add_argument("--feeds", type=int)
    p.add_argument("--items", type=int)
    p.add_argument("--seconds", type=float, help="length of each phase")
    p.add_argument("--clients", type=int, default=5)
    p.add_argument("--rate", type=float, default=7.0, help="actions per second per client")
    # one client process (internal)
    p.add_argument("--client", type=int, help=argparse.SUPPRESS)
    p.add_argument("--of", type=int, help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--ids", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.client is not None:
        return _client_main(args)
    n, m, seconds = FULL if args.full else SMOKE
    n, m = args.feeds or n, args.items or m
    seconds = args.seconds or seconds
    report = run_benchmark(n, m, seconds, args.clients, args.rate)
    if report is None:
        print("skipped: ../shared/bench/feedfarm.py not found")
        return 0
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
