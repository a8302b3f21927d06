"""A full disk: the command line says so in words, stops, keeps the file whole and
loses nothing; once space is free the same command completes.

The disk is real: a 12 MB tmpfs mounted in a private mount namespace (``unshare
-rm``, see ``tests/support/full_disk.py``), filled with a filler file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.store.errors import DISK_FULL

DRIVER = Path(__file__).resolve().parents[1] / "support" / "full_disk.py"


def _can_mount() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m none /mnt || exit 3"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not _can_mount():
        pytest.skip("no private mount namespace here (unshare -rm) to mount a small disk")
    work = tmp_path_factory.mktemp("full-disk")
    out = work / "result.json"
    proc = subprocess.run(
        ["unshare", "-rm", sys.executable, str(DRIVER), str(work), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def _flagged(step: dict[str, Any]) -> bool:
    assert step["rc"] == 0, step["err"]
    return bool(json.loads(step["out"])["flagged"])


def test_fetch_on_a_full_disk_stops_with_a_clear_message(result: dict[str, Any]) -> None:
    assert result["fetch_small"]["rc"] == 0 and result["before"]["articles"] > 0
    full = result["fetch_full"]
    assert full["rc"] == 1
    assert f"fetch stopped: {DISK_FULL}" in full["err"]
    assert "Traceback" not in full["err"] + full["out"]
    assert "stopped:" in full["out"]  # the summary line says so too


def test_a_full_disk_loses_nothing_and_keeps_the_file_whole(result: dict[str, Any]) -> None:
    assert result["full"] == result["before"]  # integrity ok, the same articles
    assert result["full"]["integrity"] == "ok"
    show = json.loads(result["show_full"]["out"])
    assert show["flagged"] and show["read"]  # triage made before the disk filled


def test_triage_on_a_full_disk_either_lands_or_says_why(result: dict[str, Any]) -> None:
    mark = result["mark_full"]
    assert "Traceback" not in mark["err"]
    if mark["rc"] == 0:  # SQLite reused space its write-ahead log already had
        assert not _flagged(result["show_marked"])
    else:
        assert mark["rc"] == 1 and DISK_FULL in mark["err"]
        assert _flagged(result["show_marked"])


def test_once_space_is_free_the_same_fetch_completes(result: dict[str, Any]) -> None:
    freed = result["fetch_freed"]
    assert freed["rc"] == 0, freed["err"]
    assert "new articles 400" in freed["out"]
    assert result["after"]["integrity"] == "ok"
    assert result["after"]["articles"] == result["before"]["articles"] + 400
    show = json.loads(result["show_after"]["out"])
    assert show["read"]
    assert show["flagged"] == _flagged(result["show_marked"])


def test_a_setting_changed_on_a_full_disk_is_neither_saved_nor_applied(
    result: dict[str, Any],
) -> None:
    out = result["settings_full"]
    assert out.get("outcome") == DISK_FULL, out
    assert out["kept"] and out["leftovers"] == []
