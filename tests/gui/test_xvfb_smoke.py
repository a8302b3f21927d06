"""The real app as a process on a virtual X display, driven by xdotool.

Skips when Xvfb or xdotool is missing (CI installs them: see docs/README or
the lead's CI recipe).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.gui.conftest import build_sample

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool"
)


def _run(*args: str, env: dict[str, str], timeout: float = 30) -> str:
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return out.stdout


def _cli(data: Path, *args: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(data), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _wait(predicate: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on a free display number; returns it once its socket accepts clients."""
    for number in range(90 + os.getpid() % 50, 400):
        if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
            continue
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        socket = Path(f"/tmp/.X11-unix/X{number}")
        started = _wait(lambda s=socket, p=proc: s.exists() or p.poll() is not None, 10)
        if started and proc.poll() is None:
            return proc, f":{number}"
        proc.kill()
        proc.wait()
    raise AssertionError("could not start Xvfb on any free display")


def test_real_app_on_xvfb_takes_keys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    info = build_sample(data)
    xvfb, display = _start_xvfb()
    app = None
    try:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        env.pop("WAYLAND_DISPLAY", None)
        app = subprocess.Popen(
            [sys.executable, "-m", "desktop", "--data-dir", str(data)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wid = _run(
            "xdotool", "search", "--sync", "--name", "Newsdesk — Inbox", env=env, timeout=30
        ).split()[0]
        time.sleep(1.0)  # the first page lands right after the title changes
        _run("xdotool", "windowfocus", "--sync", wid, env=env)
        story, ids = info["story"], info["ids"]

        def keys(*names: str) -> None:
            for name in names:
                _run("xdotool", "key", "--delay", "60", name, env=env)
                time.sleep(0.15)

        keys("s")  # flag the folded story: every copy
        assert _wait(
            lambda: (
                {r["id"] for r in _cli(data, "list", "--view", "flagged", "--json")} == set(story)
            )
        )
        keys("j", "e")  # next row, archive it (and move on)
        assert _wait(
            lambda: ids[0] in {r["id"] for r in _cli(data, "list", "--view", "archived", "--json")}
        )
        keys("m")  # toggles read on the row the cursor moved to (ids[1]; opening read it)
        rows = {r["id"]: r for r in _cli(data, "list", "--view", "all", "--json", "--limit", "100")}
        assert _wait(
            lambda: (
                not {
                    r["id"]: r
                    for r in _cli(data, "list", "--view", "all", "--json", "--limit", "100")
                }[ids[1]]["read"]
            )
        )
        assert rows[ids[0]]["archived"] and rows[ids[0]]["read"]
        keys("u")  # undo the m
        assert _wait(
            lambda: {
                r["id"]: r for r in _cli(data, "list", "--view", "all", "--json", "--limit", "100")
            }[ids[1]]["read"]
        )
        keys("g", "e", "shift+e")  # the archive: unarchive the only row
        assert _wait(lambda: _cli(data, "list", "--view", "archived", "--json") == [])
        # the app is alive and closes on Ctrl+Q
        keys("ctrl+q")
        app.wait(timeout=15)
        assert app.returncode == 0, app.stdout.read() if app.stdout else ""
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.wait()
        xvfb.terminate()
        xvfb.wait(timeout=10)
