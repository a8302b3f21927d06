"""How instant the triage window stays at 100k and 1M articles.

Run: python tests/benchmarks/bench_window.py [--sizes 100k,1m] [--full] [--runs 5]
Default size: 5k articles (a smoke run). Databases come from
``scripts/generate_db.py`` (cached under /tmp/newsdesk-bench/); the mutating
measurements run on a copy. Qt runs on Xvfb when it is installed (else offscreen).

Measured per size:

* start-up: process start → first paint of the list with rows (the app's
  ``NEWSDESK_STARTUP_PROBE``), against a bare PySide6 window with a one-row
  QTableView started alternately in the same run (medians of ``--runs``);
* in one fresh process: key → end of the list's next paint for j/k/m/s/e
  (real key events; p50/p99), key → write committed (m/s/e), search → first
  page painted (p95), view switch (g i/g a/…) → first page painted, RSS after
  start and after scrolling 5k rows, and Shift+A over ~100k unread articles
  then undo: the longest UI-thread stall (a 5 ms timer's gaps) and total time;
* with ``--instructions``, start-up again as instructions counted by valgrind
  (app and bare window, once each): a figure the machine's load does not move.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.generate_db import cached, parse_size  # noqa: E402

PROBE_LINE = "NEWSDESK_FIRST_PAINT"
BARE_WINDOW = """
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
from PySide6.QtGui import QStandardItemModel, QStandardItem
from PySide6.QtCore import QTimer

class View(QTableView):
    def paintEvent(self, event):
        super().paintEvent(event)
        if not getattr(self, "done", False) and self.model().rowCount():
            self.done = True
            print("NEWSDESK_FIRST_PAINT %.6f" % time.time(), flush=True)
            QTimer.singleShot(0, QApplication.quit)

app = QApplication(sys.argv[:1])
win = QMainWindow()
model = QStandardItemModel(0, 3)
model.appendRow([QStandardItem("Bare window"), QStandardItem("source"), QStandardItem("now")])
view = View()
view.setModel(model)
win.setCentralWidget(view)
win.resize(1280, 800)
win.show()
app.exec()
"""
TO_FIRST_PAINT = """
import builtins, os, runpy, sys
_print = builtins.print
def probe(*a, **k):
    if a and str(a[0]).startswith("NEWSDESK_FIRST_PAINT"):
        sys.stdout.flush()
        os._exit(0)  # count to the first paint, not the teardown
    return _print(*a, **k)
builtins.print = probe
if sys.argv[1] == "bare":
    exec(compile(sys.argv[2], "<bare>", "exec"), {"__name__": "__main__"})
else:
    import desktop.ui.tasks as tasks
    tasks.Tasks.read = lambda self, *a, **k: None  # the backend opens after the paint
    sys.argv = ["newsdesk", "--data-dir", sys.argv[2]]
    runpy.run_module("desktop", run_name="__main__", alter_sys=True)
"""
VALGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
KEYS = ("j", "k", "m", "s", "e")
SEARCH_WORDS = [
    "government",
    "minister",
    "election",
    "market",
    "police",
    "water",
    "school",
    "football",
    "music",
    "hospital",
    "Regierung",
    "Polizei",
    "gobierno",
    "mercado",
    "marché",
    "école",
    "città",
    "governo",
    "rząd",
    "prezydent",
    "президент",
    "правительство",
]
VIEW_KEYS = ("a", "u", "s", "e", "i")


# -- display -------------------------------------------------------------------
class Display:
    """An Xvfb server for the run (or offscreen Qt when Xvfb is missing)."""

    def __init__(self, use_xvfb: bool = True) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = dict(os.environ)
        self.kind = "offscreen"
        if use_xvfb and shutil.which("Xvfb"):
            for num in range(91, 120):
                if Path(f"/tmp/.X11-unix/X{num}").exists() or Path(f"/tmp/.X{num}-lock").exists():
                    continue
                self.proc = subprocess.Popen(
                    ["Xvfb", f":{num}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for _ in range(50):
                    if Path(f"/tmp/.X11-unix/X{num}").exists():
                        break
                    time.sleep(0.1)
                self.env.update(DISPLAY=f":{num}", QT_QPA_PLATFORM="xcb")
                self.kind = f"Xvfb :{num}"
                break
        if self.proc is None:
            self.env["QT_QPA_PLATFORM"] = "offscreen"
        self.env["QT_LOGGING_RULES"] = "qt.qpa.*=false"

    def close(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


# -- start-up ------------------------------------------------------------------
def instructions_to_first_paint(
    folder: Path, display: Display, bytecode_cache: bool = True
) -> dict[str, Any]:
    """Instructions (valgrind's callgrind, every thread) from process start to the first
    painted list, app and bare window: a count the machine's load does not move.

    Valgrind runs each ~50× slower; neither process opens its backend (the app's
    starts right after the paint) nor tears down.
    """
    import re

    if not shutil.which(VALGRIND[0]):
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    env = dict(display.env, NEWSDESK_STARTUP_PROBE="1", PYTHONHASHSEED="0")
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder.parent / "pycache")

    def count(*args: str) -> int:
        out = subprocess.run(
            [*VALGRIND, sys.executable, "-c", TO_FIRST_PAINT, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        # one line per process; the largest is the window's (a forked helper counts less)
        counts = [int(n.replace(",", "")) for n in re.findall(r"Collected : ([\d,]+)", out.stderr)]
        if not counts:
            raise RuntimeError(f"no count from valgrind: {out.stderr[-2000:]}")
        return max(counts)

    count("app", str(folder))  # compile the app's bytecode once, outside the count
    app, bare = count("app", str(folder)), count("bare", BARE_WINDOW)
    return {"app_instructions": app, "bare_instructions": bare, "ratio": app / bare}


def first_paint(cmd: list[str], env: dict[str, str], timeout: float = 120) -> float:
    """Seconds from spawning ``cmd`` to its first painted row (its probe line)."""
    t0 = time.time()
    out = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    for line in out.stdout.splitlines():
        if line.startswith(PROBE_LINE):
            return float(line.split()[1]) - t0
    raise RuntimeError(f"no first paint from {cmd[:3]}: {out.stderr[-2000:]}")


def startup(
    folder: Path, display: Display, runs: int, bytecode_cache: bool = True
) -> dict[str, Any]:
    """Medians of app and bare-window start-up, alternating in the same run.

    With ``bytecode_cache`` (the default) both processes may keep compiled
    bytecode (under /tmp/newsdesk-bench/pycache, not in the work tree), as an
    installed application does; otherwise the environment's
    ``PYTHONDONTWRITEBYTECODE`` stands and the app recompiles every module of
    its own at each start (the bare window has none to compile).
    """
    env = dict(display.env, NEWSDESK_STARTUP_PROBE="1")
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder.parent / "pycache")
    app_cmd = [sys.executable, "-m", "desktop", "--data-dir", str(folder)]
    bare_cmd = [sys.executable, "-c", BARE_WINDOW]
    first_paint(bare_cmd, env)  # warm the file cache for both
    first_paint(app_cmd, env)
    apps, bares = [], []
    for _ in range(runs):
        bares.append(first_paint(bare_cmd, env))
        apps.append(first_paint(app_cmd, env))
    app, bare = statistics.median(apps), statistics.median(bares)
    return {
        "app_s": app,
        "bare_s": bare,
        "ratio": app / bare,
        "apps": apps,
        "bares": bares,
        "bytecode_cache": bytecode_cache,
    }


# -- in-process measurements -----------------------------------------------------
def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class WindowRun:
    """The real window on a data folder, driven by real key events in this process."""

    def __init__(self, folder: Path) -> None:
        from desktop.app import build_window, make_application
        from desktop.paths import DataPaths
        from desktop.service import Newsdesk
        from desktop.ui.main_window import WindowSettings
        from desktop.ui.tasks import make_loop

        self.app = make_application()
        self.loop = make_loop(self.app)
        paths = DataPaths(folder)
        self.window = build_window(paths, settings=WindowSettings(refresh_pool="thread"))
        self.paints: list[float] = []
        self.window.list.paint_hook = lambda: self.paints.append(time.perf_counter())
        self.window.show()
        self.desk = Newsdesk.open(paths)
        self.commits: list[float] = []
        original = self.desk.mark

        def mark(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            self.commits.append(time.perf_counter())  # db.write returned: committed
            return result

        self.desk.mark = mark  # type: ignore[method-assign]
        self.window.attach(self.desk)
        self.wait(lambda: self.window.model.rowCount() > 0 and self.window.counts is not None, 120)
        self.settle()

    # helpers
    def wait(self, predicate: Callable[[], bool], timeout: float = 30) -> bool:
        from desktop.ui.qt import QApplication

        end = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > end:
                return False
            QApplication.processEvents()
            time.sleep(0.0005)
        return True

    def settled(self) -> bool:
        w = self.window
        return w.tasks.busy == 0 and not w.model.loading and w._writes == 0

    def settle(self, timeout: float = 120) -> None:
        self.wait(self.settled, timeout)

    def key(self, name: str, shift: bool = False, widget: Any = None) -> float:
        """Send one key; returns the perf_counter time just before it was sent."""
        from PySide6.QtTest import QTest

        from desktop.ui.qt import Qt

        mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
        named = {"Return": Qt.Key.Key_Return, "Esc": Qt.Key.Key_Escape, "End": Qt.Key.Key_End}
        key = named.get(name) or getattr(Qt.Key, f"Key_{name.upper()}")
        t0 = time.perf_counter()
        QTest.keyClick(widget or self.window.list, key, mods)
        return t0

    def press_to_paint(self, name: str, until: Callable[[], bool] | None = None) -> float:
        """ms from a key to the end of the list's next paint (that satisfies ``until``)."""
        n = len(self.paints)
        t0 = self.key(name)
        ok = self.wait(lambda: len(self.paints) > n and (until is None or until()), 30)
        if not ok:
            return float("nan")
        return (self.paints[n if until is None else -1] - t0) * 1000

    def close(self) -> None:
        self.window._poll_timer.stop()
        self.window.close()
        self.window.tasks.close()
        self.desk.close()
        self.loop.close()


def keystrokes(run: WindowRun, presses: int) -> dict[str, Any]:
    """p50/p99 key → repaint for each key; key → commit for m/s/e; key → settled."""
    out: dict[str, Any] = {}
    w = run.window
    for name in KEYS:
        paint, settle, commit = [], [], []
        for n in range(presses):
            if name == "k" and w.current_index().row() <= 0:
                run.window.set_current(w.model.index(min(w.model.rowCount() - 1, presses), 0))
                run.settle()
            commits_before = len(run.commits)
            t0 = time.perf_counter()
            ms = run.press_to_paint(name)
            paint.append(ms)
            run.settle()
            settle.append((time.perf_counter() - t0) * 1000)
            if name in "mse" and len(run.commits) > commits_before:
                commit.append((run.commits[commits_before] - t0) * 1000)
            if name == "j" and n % 50 == 49:
                run.settle()
        out[name] = {
            "p50": pct(paint, 50),
            "p99": pct(paint, 99),
            "max": max(paint),
            "settled_p50": pct(settle, 50),
            "settled_p99": pct(settle, 99),
        }
        if commit:
            out[name].update(commit_p50=pct(commit, 50), commit_p99=pct(commit, 99))
    return out


def searches(run: WindowRun) -> dict[str, Any]:
    """Search (typed, then Return) → first page painted; then Esc clears it."""
    w = run.window
    times = []
    for word in SEARCH_WORDS:
        w.focus_search()
        w.search.setText(word)
        n = len(run.paints)
        t0 = run.key("Return", widget=w.search)
        run.wait(lambda n=n: not w.model.loading and len(run.paints) > n, 30)
        times.append((run.paints[-1] - t0) * 1000 if len(run.paints) > n else float("nan"))
        run.settle()
        run.key("Esc")
        run.settle()
    return {"p50": pct(times, 50), "p95": pct(times, 95), "max": max(times), "n": len(times)}


def view_switches(run: WindowRun, rounds: int = 4) -> dict[str, Any]:
    """g x → first page of the new view painted."""
    w = run.window
    times = []
    for _ in range(rounds):
        for v in VIEW_KEYS:
            run.key("g")
            ms = run.press_to_paint(v, until=lambda: not w.model.loading)
            times.append(ms)
            run.settle()
    return {"p50": pct(times, 50), "p95": pct(times, 95), "max": max(times), "n": len(times)}


def scroll_rss(run: WindowRun, rows: int = 5000) -> dict[str, Any]:
    """RSS after start; after loading and scrolling through ``rows`` rows."""
    w = run.window
    before = rss_mb()
    t0 = time.perf_counter()
    while w.model.rowCount() < rows and w.model.canFetchMore(w.model.index(-1, 0).parent()):
        w.list.scrollToBottom()
        w.model.fetchMore(w.model.index(-1, 0).parent())
        run.wait(lambda: not w.model.loading, 30)
    w.list.scrollToBottom()
    run.settle()
    return {
        "rss_start_mb": before,
        "rss_scrolled_mb": rss_mb(),
        "rows": w.model.rowCount(),
        "scroll_s": time.perf_counter() - t0,
    }


class StallMonitor:
    """A 5 ms timer on the UI thread; the longest gap between its ticks is the worst stall."""

    def __init__(self) -> None:
        from desktop.ui.qt import QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def __enter__(self) -> StallMonitor:
        self.ticks = [time.perf_counter()]
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()

    def worst_ms(self) -> float:
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False)]
        return max(gaps, default=0.0) * 1000


def mark_all(run: WindowRun, target: int = 100_000) -> dict[str, Any]:
    """Shift+A on the view nearest ``target`` unread articles, then u: stalls and totals."""
    from desktop.store.queries import ArticleQuery, count_articles

    w = run.window
    view, language = "unread", None
    total = run.desk.db.read(count_articles, ArticleQuery(view="unread"))
    if total > target * 1.5:
        langs = run.desk.db.read(
            lambda c: c.exec_driver_sql(
                "SELECT language FROM articles GROUP BY language ORDER BY count(*) DESC LIMIT 8"
            ).fetchall()
        )
        best = None
        for (lang,) in langs:
            n = run.desk.db.read(count_articles, ArticleQuery(view="unread", language=lang))
            if best is None or abs(n - target) < abs(best[1] - target):
                best = (lang, n)
        assert best is not None
        language, total = best
    w.view, w.language = view, language
    w.reload()
    run.settle()
    out: dict[str, Any] = {"view": f"unread lang={language}", "articles": total}
    for label, key, shift in (("mark", "a", True), ("undo", "u", False)):
        with StallMonitor() as mon:
            t0 = time.perf_counter()
            run.key(key, shift=shift)
            run.wait(lambda: w._writes > 0 or run.settled(), 5)
            run.settle(600)
            done = time.perf_counter() - t0
        out[f"{label}_s"] = done
        out[f"{label}_worst_stall_ms"] = mon.worst_ms()
    w.language = None
    w.reload()
    run.settle()
    return out


def in_process(folder: Path, presses: int) -> dict[str, Any]:
    """Every in-process measurement on ``folder`` (a copy: it gets modified)."""
    t0 = time.perf_counter()

    def note(text: str) -> None:
        print(f"[{time.perf_counter() - t0:7.1f} s] {text}", file=sys.stderr, flush=True)

    run = WindowRun(folder)
    out: dict[str, Any] = {"rss_after_start_mb": rss_mb()}
    note("window open")
    try:
        out["keys"] = keystrokes(run, presses)
        note("keys")
        out["search"] = searches(run)
        note("search")
        out["views"] = view_switches(run)
        note("views")
        out["mark_all"] = mark_all(run)
        note("mark all")
        out["scroll"] = scroll_rss(run)
        note("scroll")
    finally:
        run.close()
    return out


def work_copy(folder: Path) -> Path:
    """A throwaway copy of a cached data folder."""
    dest = Path(tempfile.mkdtemp(prefix="work-", dir=folder.parent))
    for f in folder.iterdir():
        if f.is_file() and f.name.startswith("newsdesk.sqlite3"):
            shutil.copy2(f, dest / f.name)
    return dest


# -- report -------------------------------------------------------------------------
def report(size: str, s: dict[str, Any], p: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(measurement, figure, goal) rows for one size."""
    rows = [
        (
            "start → first painted list" + ("" if s.get("bytecode_cache", True) else " (no .pyc)"),
            f"{s['app_s']:.2f} s vs bare {s['bare_s']:.2f} s = {s['ratio']:.2f}×",
            "≤ 1.5×",
        )
    ]
    if "instructions" in s:
        n = s["instructions"]
        rows.append(
            (
                "  the same, in instructions",
                f"{n['app_instructions'] / 1e6:.0f} M vs bare {n['bare_instructions'] / 1e6:.0f} M"
                f" = {n['ratio']:.2f}×",
                "(callgrind)",
            )
        )
    if p is None:
        return rows
    for k, v in p["keys"].items():
        rows.append(
            (
                f"key {k} → repaint",
                f"p50 {v['p50']:.1f} ms, p99 {v['p99']:.1f} ms (settled p50 "
                f"{v['settled_p50']:.0f} ms)",
                "p99 ≤ 16 ms",
            )
        )
        if "commit_p50" in v:
            rows.append(
                (
                    f"key {k} → committed",
                    f"p50 {v['commit_p50']:.1f} ms, p99 {v['commit_p99']:.1f} ms",
                    "≤ 50 ms",
                )
            )
    sr = p["search"]
    rows.append(
        ("search → first page", f"p50 {sr['p50']:.0f} ms, p95 {sr['p95']:.0f} ms", "p95 ≤ 100 ms")
    )
    vs = p["views"]
    rows.append(
        ("view switch → first page", f"p50 {vs['p50']:.0f} ms, p95 {vs['p95']:.0f} ms", "—")
    )
    sc = p["scroll"]
    rows.append(("RSS after start", f"{p['rss_after_start_mb']:.0f} MB", "≤ 300 MB at 1M"))
    rows.append(
        (f"RSS after {sc['rows']} rows", f"{sc['rss_scrolled_mb']:.0f} MB", "≤ 300 MB at 1M")
    )
    ma = p["mark_all"]
    rows.append(
        (
            f"Shift+A {ma['articles']:,} ({ma['view']})",
            f"{ma['mark_s']:.2f} s, worst UI stall {ma['mark_worst_stall_ms']:.0f} ms",
            "no frame > 100 ms",
        )
    )
    rows.append(
        (
            "undo it",
            f"{ma['undo_s']:.2f} s, worst UI stall {ma['undo_worst_stall_ms']:.0f} ms",
            "no frame > 100 ms",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5k", help="comma-separated sizes (5k, 100k, 1m)")
    parser.add_argument("--full", action="store_true", help="same as --sizes 100k,1m")
    parser.add_argument("--runs", type=int, default=5, help="start-up runs of each kind")
    parser.add_argument("--presses", type=int, default=200, help="presses of each key")
    parser.add_argument("--offscreen", action="store_true", help="no Xvfb")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="start-up without compiled bytecode (each start recompiles the app's modules)",
    )
    parser.add_argument("--startup-only", action="store_true", help="only the start-up comparison")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count start-up instructions under valgrind (app vs bare; needs valgrind)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process:
        print(json.dumps(in_process(args.in_process, args.presses)))
        return 0
    display = Display(use_xvfb=not args.offscreen)
    results: dict[str, Any] = {"display": display.kind}
    try:
        for size in ("100k,1m" if args.full else args.sizes).split(","):
            folder = cached(parse_size(size))
            s = startup(folder, display, args.runs, not args.no_bytecode_cache)
            if args.instructions:
                s["instructions"] = instructions_to_first_paint(
                    folder, display, not args.no_bytecode_cache
                )
            if args.startup_only:
                results[size] = {"startup": s}
                print(f"\n## {size} articles ({display.kind})")
                for name, figure, goal in report(size, s, None):
                    print(f"{name:38} {figure:62} {goal}")
                continue
            copy = work_copy(folder)
            try:
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--in-process",
                        str(copy),
                        "--presses",
                        str(args.presses),
                    ],
                    env=display.env,
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    text=True,
                    check=False,
                )
                if out.returncode != 0:
                    raise RuntimeError(f"in-process run failed ({out.returncode})")
                p = json.loads(out.stdout.strip().splitlines()[-1])
            finally:
                shutil.rmtree(copy, ignore_errors=True)
            results[size] = {"startup": s, "in_process": p}
            print(f"\n## {size} articles ({display.kind})")
            print(f"{'measurement':38} {'figure':62} goal")
            for name, figure, goal in report(size, s, p):
                print(f"{name:38} {figure:62} {goal}")
    finally:
        display.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
