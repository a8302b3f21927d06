"""Refresh benchmark: N loopback feeds × M items, cold and warm, beside two floors.

    python tests/benchmarks/bench_refresh.py              # smoke: 100 feeds × 50 items
    python tests/benchmarks/bench_refresh.py --full       # 1,000 × 50 (the issue's load)
    python tests/benchmarks/bench_refresh.py --full --newsboat   # plus Newsboat, if installed

Serves the feeds with ``../shared/bench/feedfarm.py`` on a free 127.0.0.1 port
(stopped at the end, bounded by its ``--max-seconds``), imports its OPML into a
fresh data folder and measures, each as a subprocess:

1. floor A, "download only": a bare asyncio + httpx loop with Newsdesk's default
   concurrency (connections per host), bodies decoded and discarded; warm = all 304;
2. floor B, "parse only": ``desktop.sources.parse.parse_feed`` over the
   pre-downloaded bodies, plain ``fastfeedparser`` for reference, and the whole
   CPU stage ``prepare_feed`` (parse + sanitise + plain text) for attribution,
   then the same plus storing every feed through the refresh's own group writes
   into a fresh database (the difference is the writer's share: upsert, triage
   rows, FTS indexing); floor C, "required, bare": only the stages the issue
   requires of a cold refresh (parse, nh3 allow-list, rows with their indexes,
   triage rows, FTS5), written bare (:func:`_floor_required`); floor A + C is
   what any implementation of the issue pays on this machine;
3. Newsdesk cold: ``fetch --all --no-enrich`` (then checked: article count = N×M
   and ``list --search`` finds the last feed's items through FTS);
4. Newsdesk warm: the same again (the farm's /stats must show N × 304);
5. ``newsdesk enrich`` on the stored articles (articles/s; failure is reported);
6. both ``--pool process`` and ``--pool thread``;
7. Newsboat cold/warm with ``--newsboat`` (three runs: it saves validators only
   from its second run, so warm is the third).

CPU is user + sys of the whole process tree: each command runs under a small
wrapper that makes itself a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``),
so orphaned grandchildren (multiprocessing's forkserver and its pool workers,
which the main process never reaps) are reaped by it and land in its
``RUSAGE_CHILDREN``. Peak RSS is the largest sum of the tree's resident memory
sampled every 50 ms, beside the largest single process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SMOKE = (100, 50)
FULL = (1000, 50)


def shared_dir() -> Path | None:
    """``<repo>/../shared`` (CI layout), else ``/work/shared``; None when absent."""
    for root in (REPO / ".." / "shared", Path("/work/shared")):
        if (root / "bench" / "feedfarm.py").is_file():
            return root.resolve()
    return None


# --------------------------------------------------------------------------- wrapper


def _reap_main(out: str, cmd: Sequence[str]) -> int:
    """Run ``cmd`` as a child subreaper; write the tree's rusage as JSON to ``out``."""
    import ctypes
    import resource

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come back to us
    started = time.perf_counter()
    proc = subprocess.Popen(cmd)
    rc = proc.wait()
    wall = time.perf_counter() - started
    while True:  # reap orphaned descendants (forkserver, pool workers, trackers)
        try:
            os.wait()
        except ChildProcessError:
            break
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out).write_text(
        json.dumps(
            {
                "rc": rc,
                "wall": wall,
                "user": ru.ru_utime,
                "sys": ru.ru_stime,
                "maxrss": ru.ru_maxrss,
            }
        )
    )
    return rc


def _tree_rss(root: int) -> int:
    """Resident bytes of every descendant of ``root`` (not ``root`` itself)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid, size in rss.items():
        p = parents.get(pid, 0)
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += size
    return total


@dataclass(slots=True)
class Run:
    """One measured command."""

    name: str
    wall: float
    cpu: float
    peak_tree_mb: float
    peak_proc_mb: float
    rc: int
    articles: int = 0
    stdout: str = ""
    stderr: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.articles / self.wall if self.articles and self.wall else None


def measure(name: str, cmd: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` under the subreaper wrapper; wall, tree CPU and peak RSS."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = tmp.name
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--reap", out, "--", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    try:
        ru = json.loads(Path(out).read_text())
    except (OSError, ValueError):
        ru = {"rc": proc.returncode, "wall": wall, "user": 0.0, "sys": 0.0, "maxrss": 0}
    finally:
        Path(out).unlink(missing_ok=True)
    return Run(
        name,
        wall=ru["wall"],
        cpu=ru["user"] + ru["sys"],
        peak_tree_mb=peak[0] / 1e6,
        peak_proc_mb=ru["maxrss"] / 1024,
        rc=ru["rc"],
        stdout=stdout.decode(errors="replace"),
        stderr=stderr.decode(errors="replace"),
    )


# --------------------------------------------------------------------------- floors


async def _download(
    urls: list[str], per_host: int, conns: int, save: Path | None, validators: Path | None
) -> int:
    import httpx

    etags: dict[str, str] = json.loads(validators.read_text()) if validators else {}
    seen: dict[str, str] = {}
    index: list[str] = []
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    gate = asyncio.Semaphore(per_host)  # the farm is one host
    count = 0
    async with httpx.AsyncClient(
        limits=limits, trust_env=False, headers={"Accept-Encoding": "gzip, deflate, br"}
    ) as client:

        async def one(i: int, url: str) -> None:
            nonlocal count
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            async with gate:
                response = await client.get(url, headers=headers)
            body = response.content  # decoded, then dropped (or saved)
            count += response.status_code in (200, 304)
            if save is not None:
                (save / f"{i}.feed").write_bytes(body)
                index.append(f"{i}\t{url}\t{response.headers.get('content-type', '')}")
                seen[url] = response.headers.get("etag", "")

        await asyncio.gather(*(one(i, u) for i, u in enumerate(urls)))
    if save is not None:
        (save / "index.tsv").write_text("\n".join(index) + "\n")
        (save / "etags.json").write_text(json.dumps(seen))
    return count


def _floor_download(args: argparse.Namespace) -> int:
    urls = Path(args.floor_download).read_text().split()
    save = Path(args.save) if args.save else None
    validators = Path(args.validators) if args.validators else None
    got = asyncio.run(_download(urls, args.per_host, args.conns, save, validators))
    print(f"downloaded {got} of {len(urls)}")
    return 0 if got == len(urls) else 1


def _floor_parse(args: argparse.Namespace) -> int:
    root = Path(args.floor_parse)
    rows = [line.split("\t") for line in (root / "index.tsv").read_text().splitlines() if line]
    docs = [((root / f"{r[0]}.feed").read_bytes(), r[1], r[2] or None) for r in rows]
    entries = 0
    if args.parser == "required":
        with tempfile.TemporaryDirectory(prefix="bench-required-", dir=root) as tmp:
            entries = _floor_required(Path(tmp) / "store.sqlite3", docs)
    elif args.parser == "ours":
        from desktop.sources.parse import parse_feed

        for body, url, ctype in docs:
            entries += len(parse_feed(body, url, ctype).entries)
    elif args.parser == "fastfeedparser":
        import fastfeedparser

        for body, _url, _ctype in docs:
            entries += len(fastfeedparser.parse(body).entries)
    else:
        from desktop.sources.prepare import prepare_feed
        from desktop.timeutil import now_iso

        now = now_iso()
        feeds = []
        for body, url, ctype in docs:
            feeds.append(prepare_feed(body, url, ctype, now))
            entries += len(feeds[-1].entries)
        if args.parser == "store":
            _store_all(root, [d[1] for d in docs], feeds)
    print(f"entries {entries}")
    return 0


def _floor_required(path: Path, docs: Sequence[tuple[bytes, str, str | None]]) -> int:
    """Floor C: only what the issue itself requires of a cold refresh, bare, one process.

    Stores ``docs`` (body, url, content type) into a new database at ``path``:
    fastfeedparser; the same nh3 allow-list sanitiser (``sanitize_html``); plain
    text for the index by a regex tag strip; rows into Newsdesk's real migrated
    schema (its indexes and count triggers) through plain ``sqlite3``
    ``executemany`` in transactions of 50 feeds, FTS5 filled once per
    transaction, one triage row per article. No boilerplate rules, no canonical
    URLs, no encoding repair, no update detection: a floor, not a reader.
    Returns the number of entries parsed.
    """
    import html as htmllib
    import re

    import fastfeedparser

    from desktop.enrich.sanitize import sanitize_html
    from desktop.store.database import Database
    from desktop.store.db import connect_raw

    tag = re.compile(r"<[^>]*>")
    entries = 0
    Database(path).close()  # the real schema, migrated
    conn = connect_raw(path)  # Newsdesk's pragmas
    person = conn.execute("SELECT min(id) FROM people").fetchone()[0]
    # FTS5 indexes a transaction's rows in one INSERT … SELECT, as ingest does: the
    # per-row trigger costs several times more.
    conn.execute("DROP TRIGGER articles_fts_ai")
    now = "2026-01-01T00:00:00Z"
    try:
        for start in range(0, len(docs), 50):
            conn.execute("BEGIN")
            before = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
            for body, url, _ctype in docs[start : start + 50]:
                sid = conn.execute(
                    "INSERT INTO sources (url, created_at) VALUES (?, ?) RETURNING id", (url, now)
                ).fetchone()[0]
                rows = []
                for e in fastfeedparser.parse(body).entries:
                    link = e.get("link") or ""
                    title = e.get("title") or ""
                    content = e.get("content")
                    raw = (content[0].get("value") if content else None) or e.get("description")
                    safe = sanitize_html(raw or "", link or url)
                    text = htmllib.unescape(tag.sub(" ", safe))
                    key = e.get("id") or link or title
                    date = e.get("published") or e.get("updated") or now
                    rows.append((sid, key, link, title, date, now, safe, text))
                conn.executemany(
                    "INSERT INTO articles (source_id, entry_key, url, title, published, "
                    "fetched_at, content_html, text) VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT(source_id, entry_key) DO NOTHING",
                    rows,
                )
                entries += len(rows)
            conn.execute(
                "INSERT INTO articles_fts (rowid, title, text) "
                "SELECT id, title, text FROM articles WHERE id > ? ORDER BY id",
                (before,),
            )
            if person is not None:
                conn.execute(
                    "INSERT INTO triage (article_id, person_id) SELECT id, ? FROM articles "
                    "WHERE id > ?",
                    (person, before),
                )
            conn.execute("COMMIT")
    finally:
        conn.close()
    return entries


def _store_all(root: Path, urls: list[str], feeds: list) -> None:
    """Write prepared feeds the way a refresh does (group transactions, one writer)."""
    from desktop.sources import refresh
    from desktop.sources.feed import FetchResult
    from desktop.store.database import Database

    with tempfile.TemporaryDirectory(prefix="bench-store-", dir=root) as tmp:
        db = Database(Path(tmp) / "store.sqlite3")
        try:
            ids = db.write(
                lambda conn: [
                    conn.exec_driver_sql(
                        "INSERT INTO sources (url, created_at) VALUES (?, '2026-01-01T00:00:00Z') "
                        "RETURNING id",
                        (url,),
                    ).scalar()
                    for url in urls
                ]
            )
            batch: list = []
            weight = 0
            for sid, url, feed in zip(ids, urls, feeds, strict=True):
                result = FetchResult(url=url, final_url=url, status=200)
                batch.append((refresh._store_feed, (sid, result, feed, 60)))
                weight += len(feed.entries)
                if weight >= refresh.BATCH_ENTRIES or len(batch) >= refresh.BATCH_SOURCES:
                    db.write(refresh._write_batch, batch, True)
                    batch, weight = [], 0
            if batch:
                db.write(refresh._write_batch, batch, True)
        finally:
            db.close()


def _lag_probe(args: argparse.Namespace) -> int:
    """Refresh in-process while a ticker measures event-loop lag (the UI's view)."""
    from desktop.paths import resolve_data_dir
    from desktop.service import Newsdesk

    async def go(app: Newsdesk) -> dict[str, float]:
        lags: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            loop = asyncio.get_running_loop()
            while not stop.is_set():
                before = loop.time()
                await asyncio.sleep(0.01)
                lags.append(loop.time() - before - 0.01)

        task = asyncio.create_task(ticker())
        ids = app.due_sources(include_all=True)
        report = await app.refresh(ids, pool=args.parser)
        stop.set()
        await task
        lags.sort()
        return {
            "new": report.new_articles,
            "max_ms": lags[-1] * 1000 if lags else 0.0,
            "p99_ms": lags[int(len(lags) * 0.99)] * 1000 if lags else 0.0,
        }

    app = Newsdesk.open(resolve_data_dir(args.lag_probe))
    try:
        print(json.dumps(asyncio.run(go(app))))
    finally:
        app.close()
    return 0


# --------------------------------------------------------------------------- the farm


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 30) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # loopback only
        return bytes(r.read())


class Farm:
    """``feedfarm.py`` in a subprocess on a free loopback port."""

    def __init__(self, script: Path, n: int, m: int, max_seconds: int) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.n = n
        # The farm needs feedparser once (to harvest text), so run it with our interpreter.
        self.proc = subprocess.Popen(
            [
                *(sys.executable, str(script), "-n", str(n), "-m", str(m)),
                *("--port", str(self.port), "--max-seconds", str(max_seconds)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"feedfarm exited: {err[-2000:]}")
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("feedfarm did not start within 300 s")

    def stats(self, reset: bool = False) -> dict[str, int]:
        return json.loads(_get(f"{self.base}/stats" + ("?reset=1" if reset else ""), 5))

    def get(self, path: str) -> bytes:
        return _get(self.base + path)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


# --------------------------------------------------------------------------- the runs


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    env.pop("NEWSDESK_DATA_DIR", None)
    return env


def _newsdesk(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "desktop", "--data-dir", str(data), *args]


def _count(data: Path) -> int:
    conn = sqlite3.connect(f"file:{data / 'newsdesk.sqlite3'}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


def _check_search(data: Path, n: int, m: int) -> str | None:
    """FTS must find exactly the last feed's items by the token in their titles."""
    word = f"f{n - 1}"
    proc = subprocess.run(
        [
            *_newsdesk(data, "list", "--view", "all", "--search", word),
            *("--limit", str(m + 10), "--json"),
        ],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=REPO,
        timeout=120,
    )
    if proc.returncode != 0:
        return f"list --search failed: {proc.stderr.strip()[-300:]}"
    found = json.loads(proc.stdout)
    if len(found) != m:
        return f"search {word!r} found {len(found)} articles, expected {m}"
    return None


@dataclass(slots=True)
class Results:
    """Everything one benchmark run measured."""

    n: int
    m: int
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    """Article count after each Newsdesk cold run, by pool kind."""

    def get(self, name: str) -> Run | None:
        return next((r for r in self.runs if r.name == name), None)


def _newsdesk_runs(
    res: Results, farm: Farm, opml: Path, work: Path, pool: str, enrich: bool, lag: bool
) -> None:
    n, m = res.n, res.m
    data = work / f"data-{pool}"
    subprocess.run(
        _newsdesk(data, "import-opml", str(opml)),
        check=True,
        capture_output=True,
        env=_env(),
        cwd=REPO,
    )
    for phase in ("cold", "warm"):
        farm.stats(reset=True)
        run = measure(
            f"newsdesk {phase} ({pool})",
            _newsdesk(data, "fetch", "--all", "--no-enrich", "--pool", pool),
            _env(),
        )
        stats = farm.stats()
        stats["200"] = stats.get("200", 0) - 1  # the /stats request itself
        res.runs.append(run)
        run.notes.append(run.stdout.strip().splitlines()[0] if run.stdout.strip() else "")
        run.notes.append(
            f"farm: 200={stats['200']} 304={stats.get('304')} conns={stats.get('conns')}"
        )
        if run.rc != 0:
            res.problems.append(f"{run.name} exited {run.rc}: {run.stderr.strip()[-500:]}")
            return
        if phase == "cold":
            stored = _count(data)
            res.stored[pool] = stored
            run.articles = stored
            if stored != n * m:
                res.problems.append(f"{run.name}: stored {stored} articles, expected {n * m}")
            problem = _check_search(data, n, m)
            if problem:
                res.problems.append(f"{run.name}: {problem}")
        else:
            run.articles = n * m  # checked, not re-stored
            if stats.get("304", 0) != n or stats["200"]:
                res.problems.append(f"{run.name}: farm saw {stats}, expected {n} × 304")
    if lag:
        data = work / f"lag-{pool}"
        subprocess.run(
            _newsdesk(data, "import-opml", str(opml)),
            check=True,
            capture_output=True,
            env=_env(),
            cwd=REPO,
        )
        me = [sys.executable, __file__, "--lag-probe", str(data), "--parser", pool]
        run = measure(f"loop-lag probe cold ({pool})", me, _env())
        res.runs.append(run)
        try:
            got = json.loads(run.stdout.strip().splitlines()[-1])
            run.articles = int(got["new"])
            run.notes.append(
                f"event-loop lag during refresh: p99 {got['p99_ms']:.0f} ms, "
                f"max {got['max_ms']:.0f} ms"
            )
        except (ValueError, IndexError, KeyError):
            res.problems.append(f"{run.name} failed: {run.stderr.strip()[-500:]}")
    if enrich:
        run = measure(f"enrich ({pool})", _newsdesk(data, "enrich"), _env())
        res.runs.append(run)
        if run.rc != 0:
            res.problems.append(f"enrich failed (exit {run.rc}): {run.stderr.strip()[-800:]}")
        else:
            words = run.stdout.split()
            run.articles = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
            run.notes.append(run.stdout.strip())


def _newsboat_runs(res: Results, farm: Farm, work: Path, conf: Path) -> None:
    exe = shutil.which("newsboat")
    if exe is None:
        res.problems.append("newsboat not installed (apt-get install -y newsboat)")
        return
    home = work / "newsboat-home"
    home.mkdir()
    urls = work / "urls.txt"
    env = dict(os.environ, HOME=str(home))
    cmd = [exe, "-q", "-u", str(urls), "-c", str(home / "cache.db"), "-C", str(conf)]
    for i in (1, 2, 3):
        farm.stats(reset=True)
        run = measure(f"newsboat run {i}", [*cmd, "-x", "reload"], env)
        stats = farm.stats()
        run.notes.append(f"farm 200={stats.get('200')} 304={stats.get('304')}")
        run.articles = res.n * res.m if i == 1 else 0
        if i == 1:
            run.name = "newsboat cold"
        elif i == 3:
            run.name = "newsboat warm (3rd run)"
            run.articles = res.n * res.m
        res.runs.append(run)


def run_benchmark(
    n: int,
    m: int,
    *,
    pools: Sequence[str] = ("process", "thread"),
    floors: bool = True,
    enrich: bool = True,
    newsboat: bool = False,
    lag: bool = False,
    max_seconds: int = 1800,
) -> Results | None:
    """Run the whole benchmark; None when the shared feed farm is absent."""
    shared = shared_dir()
    if shared is None:
        return None
    from desktop.sources.http import HttpSettings

    settings = HttpSettings()
    res = Results(n, m)
    farm = Farm(shared / "bench" / "feedfarm.py", n, m, max_seconds)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
            work = Path(tmp)
            opml = work / "farm.opml"
            opml.write_bytes(farm.get(f"/opml?n={n}"))
            urls = work / "urls.txt"
            urls.write_bytes(farm.get(f"/urls?n={n}"))
            me = [sys.executable, __file__]
            knobs = ["--per-host", str(settings.max_per_host), "--conns"]
            knobs.append(str(settings.max_connections))
            if floors:
                bodies = work / "bodies"
                bodies.mkdir()
                # Unmeasured: keep the bodies and their validators for floor B and warm A.
                subprocess.run(
                    [*me, "--floor-download", str(urls), *knobs, "--save", str(bodies)],
                    check=True,
                    capture_output=True,
                    env=_env(),
                    cwd=REPO,
                )
                down = measure(
                    "floor A: download cold", [*me, "--floor-download", str(urls), *knobs], _env()
                )
                down.articles = n * m
                warm = measure(
                    "floor A: download warm (304)",
                    [
                        *(*me, "--floor-download", str(urls), *knobs),
                        *("--validators", str(bodies / "etags.json")),
                    ],
                    _env(),
                )
                warm.articles = n * m
                res.runs += [down, warm]
                for parser, label in (
                    ("ours", "floor B: parse_feed"),
                    ("fastfeedparser", "floor B: fastfeedparser"),
                    ("prepare", "ref: prepare_feed (1 core)"),
                    ("store", "ref: prepare + store (1 core)"),
                    ("required", "floor C: required, bare"),
                ):
                    run = measure(
                        label, [*me, "--floor-parse", str(bodies), "--parser", parser], _env()
                    )
                    run.articles = n * m
                    res.runs.append(run)
                for run in res.runs:
                    if run.rc != 0:
                        res.problems.append(f"{run.name} exited {run.rc}: {run.stderr[-500:]}")
            for i, pool in enumerate(pools):
                _newsdesk_runs(res, farm, opml, work, pool, enrich and i == 0, lag)
            if newsboat:
                _newsboat_runs(res, farm, work, shared / "bench" / "newsboat.conf")
    finally:
        farm.stop()
    return res


# --------------------------------------------------------------------------- report


def table(res: Results) -> str:
    """The figures as a fixed-width table with ratios to the floors and Newsboat."""
    floor_cold = res.get("floor A: download cold")
    floor_warm = res.get("floor A: download warm (304)")
    parse = res.get("floor B: parse_feed")
    nb_cold = res.get("newsboat cold")
    nb_warm = res.get("newsboat warm (3rd run)")
    head = (
        f"{'case':<30} {'wall s':>7} {'CPU s':>7} {'RSS MB':>7} {'(1 proc)':>8} "
        f"{'art/s':>8} {'×A CPU':>7} {'×A+B':>6} {'×NB CPU':>8}"
    )
    lines = [f"refresh benchmark: {res.n} feeds × {res.m} items", head, "-" * len(head)]
    for r in res.runs:
        warm = "warm" in r.name
        a = floor_warm if warm else floor_cold
        ab = (a.cpu + (0 if warm or parse is None else parse.cpu)) if a else None
        nb = nb_warm if warm else nb_cold
        rate = f"{r.rate:8.0f}" if r.rate else f"{'':>8}"
        lines.append(
            f"{r.name:<30} {r.wall:7.2f} {r.cpu:7.2f} {r.peak_tree_mb:7.0f} "
            f"{r.peak_proc_mb:8.0f} {rate} "
            + (f"{r.cpu / a.cpu:7.2f} " if a and a.cpu else f"{'':>7} ")
            + (f"{r.cpu / ab:6.2f} " if ab else f"{'':>6} ")
            + (f"{r.cpu / nb.cpu:8.3f}" if nb and nb.cpu and r.name.startswith("newsdesk") else "")
        )
    required = res.get("floor C: required, bare")
    if floor_cold and required:
        bare = floor_cold.cpu + required.cpu
        versus = f" = {bare / nb_cold.cpu:.3f} × Newsboat's CPU" if nb_cold and nb_cold.cpu else ""
        lines.append(f"{'floor A + C (cold, bare)':<30} {'':>7} {bare:7.2f}{versus}")
    notes = [f"  {r.name}: {'; '.join(x for x in r.notes if x)}" for r in res.runs if any(r.notes)]
    if notes:
        lines += ["", "notes:", *notes]
    lines.append(
        "CPU = user+sys of the process tree; RSS = peak sum over the tree (largest process); "
        "×A = CPU / floor A (download) CPU, ×A+B = / (A + parse_feed) CPU (cold), "
        "×NB = / Newsboat CPU."
    )
    if res.problems:
        lines += ["", "PROBLEMS:", *(f"  - {p}" for p in res.problems)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: the benchmark, or one of its measured worker modes."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--reap"]:
        return _reap_main(argv[1], argv[3:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true", help=f"{FULL[0]} feeds × {FULL[1]} items")
    p.add_argument("-n", type=int, help="feeds (default: smoke or full size)")
    p.add_argument("-m", type=int, help="items per feed")
    p.add_argument("--newsboat", action="store_true", help="also measure Newsboat")
    p.add_argument("--pool", action="append", choices=("process", "thread"))
    p.add_argument("--no-floors", action="store_true")
    p.add_argument("--no-enrich", action="store_true")
    p.add_argument("--lag", action="store_true", help="also probe event-loop lag per pool")
    p.add_argument("--lag-probe", help=argparse.SUPPRESS)
    p.add_argument("--max-seconds", type=int, default=1800, help="farm lifetime bound")
    p.add_argument("--floor-download", help=argparse.SUPPRESS)
    p.add_argument("--floor-parse", help=argparse.SUPPRESS)
    p.add_argument("--parser", default="ours", help=argparse.SUPPRESS)
    p.add_argument("--save", help=argparse.SUPPRESS)
    p.add_argument("--validators", help=argparse.SUPPRESS)
    p.add_argument("--per-host", type=int, default=4, help=argparse.SUPPRESS)
    p.add_argument("--conns", type=int, default=32, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.floor_download:
        return _floor_download(args)
    if args.floor_parse:
        return _floor_parse(args)
    if args.lag_probe:
        return _lag_probe(args)
    n, m = FULL if args.full else SMOKE
    n, m = args.n or n, args.m or m
    res = run_benchmark(
        n,
        m,
        pools=args.pool or ("process", "thread"),
        floors=not args.no_floors,
        enrich=not args.no_enrich,
        newsboat=args.newsboat,
        lag=args.lag,
        max_seconds=args.max_seconds,
    )
    if res is None:
        print("skipped: shared/bench/feedfarm.py not found (../shared or /work/shared)")
        return 0
    print(table(res))
    return 1 if any("stored" in p or "search" in p for p in res.problems) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
