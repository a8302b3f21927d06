"""Run the real ``newsdesk`` command line in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run(
    data_dir: Path,
    *args: str,
    input: str | None = None,
    check: bool = True,
    timeout: float = 120,
    database: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``newsdesk --data-dir DATA [--database URL] ARGS…`` (``env`` added to the
    environment); raises with the output when it fails and ``check``."""
    base = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    for name in ("NEWSDESK_DATA_DIR", "NEWSDESK_DATABASE_URL", "NEWSDESK_USER"):
        base.pop(name, None)
    env = {**base, **(env or {})}
    store = ["--database", database] if database else []
    proc = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), *store, *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"newsdesk {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def run_json(data_dir: Path, *args: str, database: str | None = None) -> Any:
    """Run a command with ``--json`` output and decode it."""
    return json.loads(run(data_dir, *args, database=database).stdout)


def add_account(data_dir: Path, kind: str, url: str, username: str, password: str) -> int:
    """``newsdesk accounts add KIND URL --username U`` with the password on stdin; its id."""
    out = run(data_dir, "accounts", "add", kind, url, "--username", username, input=password + "\n")
    return int(out.stdout.strip())
