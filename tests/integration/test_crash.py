"""SIGKILL ``newsdesk fetch`` mid-ingest, again and again: nothing committed is lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.store.db import integrity_ok
from tests.support.cli import REPO, run, run_json

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "refresh"


def _make_feeds(folder: Path, count: int, items: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(count):
        entries = "".join(
            f"<item><guid>f{f}-i{i}</guid><title>Feed {f} item {i}</title>"
            f"<link>https://example.org/{f}/{i}</link>"
            f"<pubDate>Mon, 0{1 + i % 9} Jan 2024 10:{i % 60:02d}:00 GMT</pubDate>"
            f"<description>&lt;p&gt;Body {f}/{i} with words to search and index, "
            f"paragraph after paragraph of text.&lt;/p&gt;</description></item>"
            for i in range(items)
        )
        path = folder / f"feed{f}.rss"
        path.write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {f}</title>'
            f"<link>https://example.org/{f}</link>{entries}</channel></rss>",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def _search_index_intact(path: Path) -> None:
    """A kill mid-batch (FTS trigger suspended) leaves the trigger and a consistent index."""
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert "articles_fts_ai" in names
        conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        indexed = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
        assert indexed == conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_mid_fetch_loses_nothing_committed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    feeds = _make_feeds(tmp_path / "feeds", 40, 60)
    run(data, "add", str(FEEDS / "index-of-news.rss"))
    run(data, "fetch", "--no-enrich")
    base = run_json(data, "list", "--json", "--limit", "100")
    flagged = {base[0]["id"], base[2]["id"]}
    run(data, "mark", *map(str, flagged), "--flag")
    run(data, "mark", str(base[1]["id"]), "--archive")
    for path in feeds:
        run(data, "add", str(path))

    rng = random.Random(7)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("NEWSDESK_DATA_DIR", None)
    seen_counts = []
    for attempt in range(8):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "desktop",
                "--data-dir",
                str(data),
                "fetch",
                "--all",
                "--no-enrich",
                "--pool",
                "thread",
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.6, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ok, message = integrity_ok(data / "newsdesk.sqlite3")
        assert ok, f"attempt {attempt}: {message}"
        _search_index_intact(data / "newsdesk.sqlite3")
        rows = run_json(data, "list", "--view", "all", "--json", "--limit", "100000")
        by_id = {r["id"]: r for r in rows}
        assert {i for i in flagged if by_id[i]["flagged"]} == flagged
        assert by_id[base[1]["id"]]["archived"]
        seen_counts.append(len(rows))
        # a triage change committed between kills must survive the next kill
        newest = rows[-1]["id"]
        run(data, "mark", str(newest), "--read")
        assert run_json(data, "show", str(newest), "--json")["read"]
        flagged.add(newest)
        run(data, "mark", str(newest), "--flag")
    assert seen_counts == sorted(seen_counts), "articles never disappear"
    final = run(data, "fetch", "--all", "--no-enrich").stdout
    assert "failed 0" in final
    rows = run_json(data, "list", "--view", "all", "--json", "--limit", "100000")
    assert len(rows) == 7 + 40 * 60
    assert {r["id"] for r in rows if r["flagged"]} == flagged
