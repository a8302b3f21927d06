"""The dialect's PostgreSQL count slots match migration v0005's; the window's start-up
path (the dialect, via the first-page query) does not import the migrations."""

from __future__ import annotations

import subprocess
import sys


def test_count_slots_agree_with_the_migration() -> None:
    from desktop.store import dialect
    from desktop.store.migrations import v0005_notify

    assert dialect.COUNT_SLOTS == v0005_notify.COUNT_SLOTS


def test_the_dialect_does_not_import_the_migrations() -> None:
    code = "import sys, desktop.store.dialect; print('desktop.store.migrations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
