"""Drive the real command line against a data folder on a disk that fills up.

    unshare -rm python tests/support/full_disk.py WORK_DIR RESULT_JSON

Run inside a private mount namespace (``unshare -rm``: no root needed where user
namespaces are allowed), it mounts a small tmpfs on ``WORK_DIR/disk`` (gone with the
namespace), keeps the data folder there, fetches a small feed, triages it, fills
the disk, fetches a big feed (which cannot fit), checks the file, frees the space
and fetches again. Every step's exit code and output go to ``RESULT_JSON`` (outside
the tmpfs) for ``tests/integration/test_full_disk.py`` to judge.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.support.cli import run  # noqa: E402

DISK_SIZE = "12m"
BIG_ITEMS = 400


def big_feed(path: Path, items: int = BIG_ITEMS) -> None:
    """An RSS feed of ``items`` entries with ~4 KB of varied text each (~2 MB)."""
    rng = random.Random(7)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
        for _ in range(3000)
    ]
    parts = []
    for i in range(items):
        body = " ".join(rng.choice(words) for _ in range(600))
        parts.append(
            f"<item><title>Big story {i} {rng.choice(words)}</title>"
            f"<link>https://big.example/{i}</link><guid>big-{i}</guid>"
            f"<pubDate>Mon, 02 Jan 2023 10:{i % 60:02d}:00 GMT</pubDate>"
            f"<description>&lt;p&gt;{body}&lt;/p&gt;</description></item>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Big</title><link>https://big.example/</link>" + "".join(parts) + "</channel></rss>",
        encoding="utf-8",
    )


def fill(disk: Path) -> Path:
    """Write a filler file until the disk refuses more."""
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def step(data: Path, *args: str) -> dict[str, Any]:
    proc = run(data, *args, check=False, timeout=300)
    return {"rc": proc.returncode, "out": proc.stdout, "err": proc.stderr}


def check_file(db: Path) -> dict[str, Any]:
    """Integrity and what the file holds, read without writing."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
            "articles": conn.execute("SELECT count(*) FROM articles").fetchone()[0],
        }
    finally:
        conn.close()


SETTINGS_ON_A_FULL_DISK = """
import json, sys
from pathlib import Path
from desktop.config.settings import Settings
path = Path(sys.argv[1])
settings = Settings.load(path)
before = settings["refresh_minutes"]
try:
    settings.update({"refresh_minutes": before + 7})
    outcome = "saved"
except OSError as exc:
    from desktop.store.errors import describe
    outcome = describe(exc)
print(json.dumps({"outcome": outcome, "kept": settings["refresh_minutes"] == before,
                  "leftovers": sorted(p.name for p in path.parent.glob("*.tmp"))}))
"""


def settings_on_full_disk(data: Path) -> dict[str, Any]:
    """Change a setting through the real Settings class while the disk is full."""
    proc = subprocess.run(
        [sys.executable, "-c", SETTINGS_ON_A_FULL_DISK, str(data / "settings.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr}


def main(work: Path, result: Path) -> None:
    disk = work / "disk"
    disk.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "none", str(disk)], check=True
    )
    data = disk / "data"
    small = REPO / "tests" / "fixtures" / "feeds" / "nnw__DaringFireball.atom"
    big = work / "big.rss"
    big_feed(big)
    out: dict[str, Any] = {}
    out["add_small"] = step(data, "add", small.as_uri())
    out["add_big"] = step(data, "add", big.as_uri())
    small_id, big_id = out["add_small"]["out"].strip(), out["add_big"]["out"].strip()
    out["fetch_small"] = step(data, "fetch", "--source", small_id)
    listed = json.loads(step(data, "list", "--json", "--limit", "3")["out"])
    first = str(listed[0]["id"])
    out["triaged_id"] = listed[0]["id"]
    out["mark_flag"] = step(data, "mark", first, "--flag")
    out["mark_read"] = step(data, "mark", first, "--read")
    out["before"] = check_file(data / "newsdesk.sqlite3")
    (data / "settings.json").write_text('{"refresh_minutes": 30}', encoding="utf-8")
    filler = fill(disk)
    out["settings_full"] = settings_on_full_disk(data)
    out["fetch_full"] = step(data, "fetch", "--source", big_id)
    out["full"] = check_file(data / "newsdesk.sqlite3")
    out["show_full"] = step(data, "show", first, "--json")
    out["mark_full"] = step(data, "mark", first, "--unflag")
    out["show_marked"] = step(data, "show", first, "--json")
    filler.unlink()
    out["fetch_freed"] = step(data, "fetch", "--source", big_id)
    out["after"] = check_file(data / "newsdesk.sqlite3")
    out["show_after"] = step(data, "show", first, "--json")
    result.write_text(json.dumps(out), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
