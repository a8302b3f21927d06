"""Composition root of the window: build the objects, pass them in, run the loop.

The window appears first; the database (and SQLAlchemy with it) opens right
after on a worker thread, and the list fills when its first page arrives.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from desktop.paths import DataPaths, resolve_data_dir, resources_dir

STARTUP_PROBE_ENV = "NEWSDESK_STARTUP_PROBE"


def app_icon_path() -> Path:
    """The application icon (SVG)."""
    return resources_dir() / "icons" / "newsdesk.svg"


def make_application(argv: list[str] | None = None) -> Any:
    """The QApplication (reused when one exists), with name, icon and style sheet."""
    from desktop.ui.qt import QApplication, QIcon

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Newsdesk")
    app.setOrganizationName("Newsdesk")
    app.setWindowIcon(QIcon(str(app_icon_path())))
    style = resources_dir() / "styles" / "newsdesk.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def build_window(
    paths: DataPaths, *, open_url: Any = None, settings: Any = None, app_settings: Any = None
) -> Any:
    """The main window and its task bridge, not yet attached to a database.

    ``app_settings`` (a ``config.settings.Settings``) defaults to the data
    folder's ``settings.json``; the window follows its changes live.
    """
    from desktop.commands import load_registry
    from desktop.config.settings import Settings
    from desktop.ui.main_window import MainWindow, WindowSettings
    from desktop.ui.tasks import Tasks

    registry = load_registry(paths.root / "keymap.json")
    conflicts = registry.conflicts()
    window = MainWindow(
        registry,
        Tasks(),
        settings or WindowSettings.load(paths.settings),
        open_url=open_url,
    )
    window.keymap_path = paths.root / "keymap.json"
    app_settings = app_settings or Settings.load(paths.settings)
    window.use_settings(app_settings)
    if conflicts:
        window.report_problem("key map conflicts: " + "; ".join(map(str, conflicts)))
    if app_settings.problems:
        window.report_problem("settings: " + "; ".join(app_settings.problems))
    return window


def open_service(paths: DataPaths) -> Any:
    """Open the backend (runs on a worker thread at start-up)."""
    from desktop.service import Newsdesk

    return Newsdesk.open(paths)


def run_window(data_dir: str | None) -> int:
    """Open the window on ``data_dir`` (or the default data folder); returns the exit code."""
    from desktop.ui.qt import QTimer
    from desktop.ui.tasks import make_loop, run_loop

    paths = resolve_data_dir(data_dir)
    app = make_application()
    loop = make_loop(app)
    try:
        window = build_window(paths)
    except Exception as exc:  # a broken keymap.json, say: tell the user, do not crash
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 1
    if os.environ.get(STARTUP_PROBE_ENV):
        window.list.install_startup_probe()
    window.show()
    opened: list[Any] = []

    def attach(desk: Any) -> None:
        opened.append(desk)
        window.attach(desk)
        window.start_background()

    QTimer.singleShot(
        0, lambda: window.tasks.read(open_service, paths, done=attach, error=window.report_problem)
    )
    run_loop(loop)
    window.tasks.close()
    for desk in opened:
        desk.close()
    return 0
