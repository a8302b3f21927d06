"""The command line contract, end to end in subprocesses on a real data folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.cli import run, run_json
from tests.support.cli import run as _run
from tests.support.cli import run_json as _run_json

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "refresh"
LIST_FIELDS = {
    "id",
    "source_id",
    "source",
    "title",
    "url",
    "published",
    "language",
    "title_language",
    "topics",
    "story_id",
    "read",
    "flagged",
    "archived",
}
SOURCE_FIELDS = {
    "id",
    "title",
    "url",
    "folder",
    "enabled",
    "last_success",
    "last_error",
    "article_count",
}


def test_add_fetch_list_mark_undo(tmp_path: Path, database: str | None) -> None:
    """Runs on SQLite and on PostgreSQL (``--database URL``)."""
    data = tmp_path / "data"

    def run(*args: str, check: bool = True):
        return _run(data, *args, check=check, database=database)

    def run_json(*args: str):
        return _run_json(data, *args, database=database)

    sid = int(run("add", str(FEEDS / "index-of-news.rss"), "--folder", "World").stdout)
    out = run("fetch", "--no-enrich").stdout
    assert "ok 1" in out and "new articles 7" in out, out
    rows = run_json("list", "--json")
    assert len(rows) == 7 and set(rows[0]) >= LIST_FIELDS
    assert [r["published"] for r in rows] == sorted((r["published"] for r in rows), reverse=True)
    assert all(r["published"].endswith("Z") for r in rows)
    sources = run_json("sources", "--json")
    assert set(sources[0]) >= SOURCE_FIELDS
    assert sources[0]["id"] == sid and sources[0]["folder"] == "World"
    assert sources[0]["article_count"] == 7 and sources[0]["last_error"] is None

    first, second = rows[0]["id"], rows[1]["id"]
    run("mark", str(first), str(second), "--flag")
    run("mark", str(first), "--archive")
    flagged = {r["id"] for r in run_json("list", "--view", "flagged", "--json")}
    assert flagged == {first, second}
    assert [r["id"] for r in run_json("list", "--view", "archived", "--json")] == [first]
    assert len(run_json("list", "--json")) == 6
    run("undo")
    assert len(run_json("list", "--json")) == 7
    run("undo")
    assert run_json("list", "--view", "flagged", "--json") == []
    assert "nothing to undo" in run("undo").stdout

    detail = run_json("show", str(first), "--json")
    assert detail["content_html"] and detail["text"] and "<script" not in detail["content_html"]
    assert run("mark", "999999", "--read", check=False).returncode == 1

    search = run_json("list", "--search", "Peru", "--json")
    assert [r["title"] for r in search] == ["Inflation in Peru has reached a 13-year high"]
    assert (data / "newsdesk.sqlite3").exists() == (database is None)


def test_opml_round_trip(tmp_path: Path) -> None:
    data, other = tmp_path / "a", tmp_path / "b"
    run(data, "add", str(FEEDS / "bbc.xml"), "--folder", "News/UK")
    run(data, "add", str(FEEDS / "ilgiornale.xml"), "--folder", "News")
    run(data, "add", str(FEEDS / "feed.json"), "--title", "JSON one")
    opml = tmp_path / "out.opml"
    run(data, "export-opml", str(opml))
    run(other, "import-opml", str(opml))

    def shape(d):
        return sorted((s["url"], s["folder"], s["title"]) for s in run_json(d, "sources", "--json"))

    assert shape(data) == shape(other)
    import re

    def undated(text: str) -> str:
        return re.sub(r"<dateCreated>.*?</dateCreated>", "", text)

    assert undated(run(data, "export-opml").stdout) == undated(opml.read_text(encoding="utf-8"))


def test_bad_input_gets_clear_messages(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = run(data, "add", "definitely not a url", check=False)
    assert proc.returncode == 1 and "newsdesk:" in proc.stderr
    run(data, "add", str(FEEDS / "bbc.xml"))
    dup = run(data, "add", str(FEEDS / "bbc.xml"), check=False)
    assert dup.returncode == 1 and "already subscribed" in dup.stderr
    junk = tmp_path / "junk.opml"
    junk.write_text("<html>nope</html>")
    bad = run(data, "import-opml", str(junk), check=False)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_broken_local_feed_is_reported_not_fatal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    broken = tmp_path / "broken.xml"
    broken.write_text("<html><body>not a feed</body></html>")
    good = tmp_path / "good.rss"
    shutil.copy(FEEDS / "bbc.xml", good)
    run(data, "add", str(good))
    bad_id = int(
        run(data, "add", good.as_uri().replace("good.rss", "broken.xml"), check=False).stdout or 0
    )
    assert bad_id == 0  # add refuses a non-feed page with no feed links
    proc = run(
        data, "add", "--title", "Missing", str(good).replace("good.rss", "missing.rss"), check=False
    )
    assert proc.returncode == 1
    out = run(data, "fetch", "--all", "--no-enrich").stdout
    assert "failed 0" in out


def test_data_dir_from_environment(tmp_path: Path, monkeypatch) -> None:
    import os
    import subprocess
    import sys

    from tests.support.cli import REPO

    env = dict(os.environ, NEWSDESK_DATA_DIR=str(tmp_path / "env"), PYTHONPATH=str(REPO))
    subprocess.run(
        [sys.executable, "-m", "desktop", "add", str(FEEDS / "bbc.xml")],
        check=True,
        env=env,
        capture_output=True,
        cwd=REPO,
    )
    assert (tmp_path / "env" / "newsdesk.sqlite3").exists()
    assert json.loads(run(tmp_path / "env", "sources", "--json").stdout)[0]["url"].startswith(
        "file:"
    )
