"""``newsdesk serve``: the headless fetcher fetches on schedule; only one runs at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.serve import LOCK_NAME, FetcherLock, fetcher_running
from tests.support.cli import REPO, add_account, run, run_json
from tests.support.feedserver import FeedServer

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "refresh"


def _serve(data: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("NEWSDESK_DATA_DIR", None)
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", "--data-dir", str(data), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )


def _wait_line(proc: subprocess.Popen[str], needle: str, timeout: float = 60) -> list[str]:
    """Read ``proc``'s output until a line contains ``needle``; returns the lines read."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not printed; got: {''.join(lines)}")


def _stop(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def test_lock_is_exclusive_and_dies_with_its_holder(tmp_path: Path) -> None:
    path = tmp_path / LOCK_NAME
    first, second = FetcherLock(path), FetcherLock(path)
    assert first.try_acquire()
    assert not second.try_acquire()
    holder = second.holder()
    assert holder is not None and holder["pid"] == os.getpid()
    first.release()
    assert second.holder() is None
    assert second.try_acquire()
    second.release()

    # A holder killed with SIGKILL leaves the lock free for the next one.
    code = (
        "import sys, time; from pathlib import Path; from desktop.serve import FetcherLock; "
        f"lock = FetcherLock(Path({str(path)!r})); assert lock.try_acquire(); "
        "print('held', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        assert not FetcherLock(path).try_acquire()
        assert fetcher_running(tmp_path)["pid"] == proc.pid
    finally:
        proc.kill()
        proc.wait()
    assert fetcher_running(tmp_path) is None


@pytest.mark.slow
def test_serve_fetches_and_a_second_one_stands_by_then_takes_over(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FeedServer() as server:
        url = server.add("/news.rss", (FEEDS / "index-of-news.rss").read_bytes())
        run(data, "add", url)
        first = _serve(data, "--check", "0.5", "--standby-poll", "0.2", "--no-enrich")
        second = None
        try:
            _wait_line(first, "fetcher: running")
            _wait_line(first, "new")  # the refresh summary line
            stored = run_json(data, "list", "--json", "--limit", "500")
            assert stored, "serve stored nothing"
            flagged = stored[0]["id"]
            run(data, "mark", str(flagged), "--flag")

            second = _serve(data, "--check", "0.5", "--standby-poll", "0.2", "--no-enrich")
            _wait_line(second, "stand-by")
            assert fetcher_running(data)["pid"] == first.pid
            once = run(data, "serve", "--once", check=False)
            assert once.returncode == 3 and "stand-by" in once.stdout

            first.kill()  # no clean exit: the OS must drop the lock
            first.wait(timeout=10)
            started = time.monotonic()
            _wait_line(second, "fetcher: running", timeout=20)
            took_over = time.monotonic() - started
            assert took_over < 10
            assert _stop(second) == 0
            assert fetcher_running(data) is None
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.kill()
                    proc.wait()
        after = run_json(data, "list", "--json", "--limit", "500")
        assert len(after) == len(stored)
        assert next(a for a in after if a["id"] == flagged)["flagged"]


def test_serve_once_does_one_pass(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with FeedServer() as server:
        url = server.add("/news.rss", (FEEDS / "index-of-news.rss").read_bytes())
        run(data, "add", url)  # checks the URL: one request
        before = server.hits["/news.rss"]
        proc = run(data, "serve", "--once", "--no-enrich")
        assert "fetcher: running" in proc.stdout and "fetcher: stopped" in proc.stdout
        assert server.hits["/news.rss"] == before + 1
        assert run_json(data, "list", "--json", "--limit", "5")
        # Nothing is due any more: a second pass does not fetch.
        run(data, "serve", "--once", "--no-enrich")
        assert server.hits["/news.rss"] == before + 1


def test_serve_syncs_accounts_too(tmp_path: Path, keyring_ok: None) -> None:
    from tests.support.greader_server import GReaderServer

    data = tmp_path / "data"
    with GReaderServer(flavour="freshrss", users={"bob": "a long enough password"}) as server:
        feed = server.add_feed("World", folder="News")
        server.add_items(feed, 7)
        add_account(data, "greader", server.base_url, "bob", "a long enough password")
        proc = run(data, "serve", "--once")
        assert "fetcher: running" in proc.stdout, proc.stdout
        assert "7 new" in proc.stdout, proc.stdout
        articles = run_json(data, "list", "--view", "all", "--json", "--limit", "50")
        assert len(articles) == 7
        assert all(a["language"] for a in articles)  # enriched after the sync


def test_on_postgresql_an_advisory_lock_keeps_one_fetcher(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    from desktop.serve import PostgresFetcherLock
    from tests.support import postgres

    url = postgres.fresh_database(postgres_admin_url)
    try:
        first, second = PostgresFetcherLock(url), PostgresFetcherLock(url)
        assert second.holder() is None
        assert first.try_acquire() and not second.try_acquire()
        holder = second.holder()
        assert holder is not None and holder["pid"] == os.getpid()
        first.release()
        assert second.holder() is None

        # `serve` against the shared store: a holder elsewhere makes it a stand-by; when
        # that holder is killed, the server drops its lock and serve runs.
        code = (
            "import time; from desktop.serve import PostgresFetcherLock; "
            f"lock = PostgresFetcherLock({url!r}); assert lock.try_acquire(); "
            "print('held', flush=True); time.sleep(60)"
        )
        env = dict(os.environ, PYTHONPATH=str(REPO))
        holder_proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO, env=env
        )
        data = tmp_path / "data"
        try:
            assert holder_proc.stdout is not None
            assert holder_proc.stdout.readline().strip() == "held"
            assert second.holder()["pid"] == holder_proc.pid
            once = run(data, "--database", url, "serve", "--once", check=False)
            assert once.returncode == 3 and "stand-by" in once.stdout, once.stdout + once.stderr
            assert f"pid {holder_proc.pid}" in once.stdout
        finally:
            holder_proc.kill()
            holder_proc.wait()
        deadline = time.monotonic() + 10
        while second.holder() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        done = run(data, "--database", url, "serve", "--once", "--no-enrich")
        assert "fetcher: running" in done.stdout and "fetcher: stopped" in done.stdout
        assert not (data / "newsdesk.sqlite3").exists()
    finally:
        postgres.drop_database(postgres_admin_url, url)
