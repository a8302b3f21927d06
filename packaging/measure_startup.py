"""Start-up of the frozen bundle against the venv, in the same run, on the same data.

For each build it times ``newsdesk --version`` (interpreter and CLI import) and
process start → first paint of the article list with rows (the window's own
``NEWSDESK_STARTUP_PROBE=1`` hook prints the moment and quits). Runs alternate
between the two builds; the first run of each is a warm-up and is not counted.

    .venv/bin/python packaging/measure_startup.py [--frozen dist/newsdesk/newsdesk] [--runs 5]

Prints a table of medians and minima (seconds) and the load average, which on
a shared machine says how far to trust the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = "NEWSDESK_FIRST_PAINT"


def make_data(root: Path, samples: Path) -> int:
    """A data folder holding the sample feeds, enriched; the number of articles."""
    sys.path.insert(0, str(REPO))
    from desktop.paths import DataPaths
    from desktop.service import Newsdesk

    with Newsdesk.open(DataPaths(root)) as desk:

        async def load() -> int:
            ids = [
                (await desk.add_source(str(p), discover=False)).id
                for p in sorted(samples.glob("*.xml"))
            ]
            return (await desk.refresh(ids, pool="thread")).new_articles

        count = asyncio.run(load())
        desk.enrich_pending()
    return count


def first_paint(cmd: list[str], data: Path, timeout: float = 60.0) -> float | None:
    """Seconds from process start to the first painted row, or None without the probe."""
    env = {
        **os.environ,
        "NEWSDESK_STARTUP_PROBE": "1",
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "NEWSDESK_DATA_DIR": str(data),
    }
    started = time.time()
    proc = subprocess.Popen(
        [*cmd, "--data-dir", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    painted = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(PROBE):
            painted = float(line.split()[1]) - started
            break
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return painted


def version_time(cmd: list[str]) -> float:
    """Wall seconds of ``newsdesk --version``."""
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--version"], check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frozen", default=str(REPO / "dist" / "newsdesk" / "newsdesk"))
    ap.add_argument("--python", default=sys.executable, help="the venv's Python")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--samples", default=str(REPO / "resources" / "samples"))
    args = ap.parse_args()
    builds = {"venv": [args.python, "-m", "desktop"], "frozen": [args.frozen]}
    results: dict[str, dict[str, list[float]]] = {b: {"version": [], "paint": []} for b in builds}
    with tempfile.TemporaryDirectory(prefix="newsdesk-startup-") as tmp:
        count = make_data(Path(tmp), Path(args.samples))
        for run in range(args.runs + 1):
            for name, cmd in builds.items():
                v = version_time(cmd)
                p = first_paint(cmd, Path(tmp))
                if run == 0:
                    continue  # warm-up
                results[name]["version"].append(v)
                if p is not None:
                    results[name]["paint"].append(p)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"start-up, {args.runs} warm runs each, {count} articles, load average {load:.1f}")
    print(f"{'build':<8} {'--version median':>17} {'min':>6} {'first paint median':>19} {'min':>6}")
    for name, r in results.items():
        paint = r["paint"]
        pm = f"{statistics.median(paint):19.2f} {min(paint):6.2f}" if paint else f"{'no probe':>19}"
        print(f"{name:<8} {statistics.median(r['version']):17.2f} {min(r['version']):6.2f} {pm}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
