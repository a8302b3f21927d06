"""``run_self_test`` end to end: real feed files, real ingest and enrichment, the real window.

The samples come from ``tests/fixtures/refresh`` (copied to a temporary folder);
the app itself only ever reads ``resources/samples``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.selftest import run_self_test

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "refresh" / "index-of-news.rss"


def _run(samples: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_self_test(samples_dir=samples, out=out)
    return code, out.getvalue().splitlines()


def test_self_test_passes_on_a_real_feed(tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    samples.mkdir()
    shutil.copy(FIXTURE, samples / "index-of-news.xml")
    before = os.environ.get("NEWSDESK_DATA_DIR")
    code, lines = _run(samples)
    assert code == 0, "\n".join(lines)
    for check in ("resources", "ingest", "process pool", "enrich", "window", "triage keys"):
        assert any(line.startswith(f"self-test: ok {check}:") for line in lines), (check, lines)
    assert "new articles 7" in next(line for line in lines if " ingest:" in line)
    assert lines[-1].startswith("self-test: ok (")
    assert os.environ.get("NEWSDESK_DATA_DIR") == before  # the temporary folder is not left set


def test_self_test_fails_without_samples(tmp_path: Path) -> None:
    code, lines = _run(tmp_path)
    assert code == 1
    assert lines[0].startswith("self-test: FAILED resources: no sample feeds")
    assert not any(" ingest" in line for line in lines)  # later checks need samples: skipped
    assert lines[-1].startswith("self-test: 1 check(s) failed")


def test_self_test_names_a_feed_that_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "broken.xml").write_text("<html><body>not a feed</body></html>", encoding="utf-8")
    code, lines = _run(tmp_path)
    assert code == 1
    failed = [line for line in lines if line.startswith("self-test: FAILED ingest:")]
    assert failed, lines


def _cli_has_self_test() -> bool:
    from desktop.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return "self-test" in sub.choices


@pytest.mark.skipif(not _cli_has_self_test(), reason="`newsdesk self-test` is not wired yet")
@pytest.mark.skipif(
    not any((REPO / "resources" / "samples").glob("*.xml")), reason="no resources/samples"
)
def test_cli_self_test_on_the_shipped_samples(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NEWSDESK_DATA_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "desktop", "self-test"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("self-test: ok (")
    assert not any(tmp_path.iterdir())  # the user's data folder was not touched
