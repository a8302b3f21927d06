"""Composition root of the window: build the objects, pass them in, run the loop.

Start-up fast path: while Qt loads, a thread reads the first page of the
default view with the standard library's ``sqlite3`` (read-only, only when
the schema is current). The window shows it at its first paint; right after
that paint the backend (SQLAlchemy, migrations, writer, background jobs)
opens on a worker thread and takes over. With no database yet, or one that
needs a migration, the window opens empty and fills once the backend is open.
On PostgreSQL (``--database URL``, ``$NEWSDESK_DATABASE_URL`` or the
``database_url`` setting) there is no fast path: the window opens empty and
reads its first page on a worker thread once the backend is open. The
setting is read from ``settings.json`` with plain ``json`` (as
``languages_shown`` is) before Qt loads; a SQLite file named there keeps the
fast path on that file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop.paths import DataPaths, raw_setting, resolve_data_dir, resources_dir

STARTUP_PROBE_ENV = "NEWSDESK_STARTUP_PROBE"
FIRST_ROWS = 100
"""Rows the start-up fast path reads: more than a list 2,000 px tall shows."""
PAINTED = 7
"""Exit code of the event loop that runs until the first paint (see run_window)."""


def app_icon_path() -> Path:
    """The application icon (SVG)."""
    return resources_dir() / "icons" / "newsdesk.svg"


def make_application(argv: list[str] | None = None, *, icon: bool = True) -> Any:
    """The QApplication (reused when one exists), with name, icon and style sheet
    (without ``icon``, :func:`set_window_icon` sets the icon later)."""
    from desktop.ui.qt import QApplication

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Newsdesk")
    app.setOrganizationName("Newsdesk")
    if icon:
        set_window_icon(app)
    style = resources_dir() / "styles" / "newsdesk.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def set_window_icon(app: Any) -> None:
    """The application's (and its windows') icon."""
    from desktop.ui.qt import QIcon

    app.setWindowIcon(QIcon(str(app_icon_path())))


def build_window(
    paths: DataPaths,
    *,
    open_url: Any = None,
    settings: Any = None,
    app_settings: Any = None,
    defer_setup: bool = False,
) -> Any:
    """The main window and its task bridge, not yet attached to a database.

    ``app_settings`` (a ``config.settings.Settings``) defaults to the data
    folder's ``settings.json``; the window follows its changes live. With
    ``defer_setup`` the caller calls ``window.finish_setup()`` after the first
    paint (the key filter is installed then).
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
        defer_setup=defer_setup,
    )
    window.keymap_path = paths.root / "keymap.json"
    app_settings = app_settings or Settings.load(paths.settings)
    window.use_settings(app_settings)
    if conflicts:
        window.report_problem("key map conflicts: " + "; ".join(map(str, conflicts)))
    if app_settings.problems:
        window.report_problem("settings: " + "; ".join(app_settings.problems))
    return window


def open_service(paths: DataPaths, database: Path | str | None = None) -> Any:
    """Open the backend (runs on a worker thread at start-up): ``database`` (a SQLite
    file or a PostgreSQL URL) when given, else the data folder's SQLite file."""
    from desktop.service import Newsdesk

    return Newsdesk.open(paths, database)


def _languages_shown(paths: DataPaths) -> tuple[str, ...]:
    """The ``languages_shown`` setting, read without the settings machinery."""
    value = raw_setting(paths, "languages_shown")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return ()


def read_first_page(
    paths: DataPaths, query: Any, database: Path | None = None
) -> tuple[Any, list[Any], dict[int, int], Any]:
    """(query, rows, story sizes, next cursor) of ``query``'s first page, read with plain
    ``sqlite3`` from ``database`` (default: the data folder's file); rows are empty when
    the database is absent or needs a migration."""
    from desktop.store import migrations
    from desktop.store.queries import ReadOnlyConnection, list_articles, story_sizes

    conn = ReadOnlyConnection.open(database or paths.database, migrations.LATEST)
    if conn is None:
        return query, [], {}, None
    try:
        rows = list_articles(conn, query)
        stories = [r.story_id for r in rows if r.story_id is not None]
        sizes = story_sizes(conn, stories) if stories else {}
    finally:
        conn.close()
    cursor = (rows[-1].published, rows[-1].id) if len(rows) == query.limit else None
    return query, rows, sizes, cursor


class FirstPage:
    """The first page, read on a plain thread while Qt starts."""

    def __init__(self, paths: DataPaths, database: Path | None = None) -> None:
        import threading

        from desktop.store.queries import ArticleQuery

        # the list's page size (article_list.PAGE; importing it would import Qt first:
        # a mismatch only means the page is read again by the full path)
        self.query = ArticleQuery(view="inbox", languages=_languages_shown(paths), limit=200)
        self.result: tuple[Any, list[Any], dict[int, int], Any] | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(paths, database), name="newsdesk-first-page", daemon=True
        )
        self._thread.start()

    def _run(self, paths: DataPaths, database: Path | None) -> None:
        from dataclasses import replace

        # The screen's worth (FIRST_ROWS), not the whole page: the list lays out and the
        # thread reads every row before the first paint; paging goes on from the cursor.
        screenful = replace(self.query, limit=FIRST_ROWS)
        try:
            _query, rows, sizes, cursor = read_first_page(paths, screenful, database)
            self.result = (self.query, rows, sizes, cursor)
        except Exception as exc:  # any problem: the full path reads it again and reports
            self.error = exc

    def show_in(self, window: Any, timeout: float = 2.0) -> bool:
        """Preload the window with the page (when it matches the window's query)."""
        self._thread.join(timeout)
        if self.result is None:
            return False
        query, rows, sizes, cursor = self.result
        if not rows or window.query() != query:
            return False
        window.preload(rows, sizes, cursor)
        return True


def _import_qt_free_modules() -> None:
    """Import the window's Qt-free modules before PySide6: once PySide6 is loaded it
    reads the source of every module imported after it (its ``__feature__`` check),
    which cost ~1-2 ms a module at start-up."""
    import desktop.commands.manage
    import desktop.commands.navigation
    import desktop.commands.registry
    import desktop.commands.triage
    import desktop.config.settings  # noqa: F401


def window_data_dir(argv: Sequence[str]) -> tuple[bool, str | None]:
    """``(True, data_dir)`` when ``argv`` asks for the window and nothing else (no
    arguments, or only ``--data-dir DIR`` / ``--data-dir=DIR``), so the command line's
    parser need not load; ``(False, None)`` for anything else (the parser decides)."""
    if os.environ.get("NEWSDESK_DATABASE_URL"):  # the parser resolves the database
        return False, None
    args = list(argv)
    if not args:
        return True, None
    if len(args) == 1 and args[0].startswith("--data-dir="):
        value = args[0].split("=", 1)[1]
        return True, value or None
    if len(args) == 2 and args[0] == "--data-dir" and not args[1].startswith("-"):
        return True, args[1] or None
    return False, None


def open_window(data_dir: str | None, database: Path | str | None = None) -> int:
    """The no-command path of ``newsdesk``: remember ``--data-dir`` for child processes
    (as the command line does), then :func:`run_window`."""
    if data_dir:
        os.environ.setdefault("NEWSDESK_DATA_DIR", str(Path(data_dir).expanduser()))
    return run_window(data_dir, database)


def window_database(paths: DataPaths) -> Path | str:
    """The store of a window started without ``--database``: ``$NEWSDESK_DATABASE_URL``,
    else the ``database_url`` setting, else the data folder's SQLite file (see
    ``paths.resolve_database``). A value that is not valid (a password in the URL,
    say) is ignored here: the window reports it among the settings' problems and
    opens the data folder's file."""
    from desktop.paths import resolve_database

    try:
        return resolve_database(None, paths)
    except ValueError:
        return paths.database


def run_window(data_dir: str | None, database: Path | str | None = None) -> int:
    """Open the window on ``data_dir`` (or the default data folder) and ``database`` (a
    SQLite file or a PostgreSQL URL; default: :func:`window_database`); returns the
    exit code."""
    import gc

    # Start-up allocates ~200 enum classes and the widget tree: automatic collection
    # would walk the growing heap several times before the first paint. The window's
    # task bridge collects on the UI thread from then on (see ui.tasks).
    gc.disable()
    paths = resolve_data_dir(data_dir)
    if database is None:
        database = window_database(paths)
    # sqlite3 reads the first page while Qt loads; a server database has no such path
    first = FirstPage(paths, database) if not isinstance(database, str) else None
    _import_qt_free_modules()
    app = make_application(icon=False)  # the icon (an SVG) after the first paint
    try:
        window = build_window(paths, defer_setup=True)
    except Exception as exc:  # a broken keymap.json, say: tell the user, do not crash
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 1
    if os.environ.get(STARTUP_PROBE_ENV):
        window.list.install_startup_probe()
    if first is not None:
        first.show_in(window)
    window.show()
    opened: list[Any] = []

    def attach(desk: Any) -> None:
        opened.append(desk)
        window.attach(desk)
        window.start_background()

    def failed(exc: Any) -> None:
        window.drop_early_commands()
        window.report_problem(exc)

    def open_backend() -> None:
        gc.freeze()  # what start-up built lives on: later full collections skip it
        window.finish_setup()
        set_window_icon(app)
        window.tasks.read(open_service, paths, database, done=attach, error=failed)

    # Until the first paint only Qt's own event loop runs: asyncio and qasync (~40 ms
    # of imports) load right after it, while the backend opens on a worker thread.
    quitting = run_until_first_paint(app, window, open_backend)
    if not quitting:
        from desktop.ui.tasks import make_loop, run_loop

        run_loop(make_loop(app))
    window.tasks.close()
    for desk in opened:
        desk.close()
    return 0


def run_until_first_paint(app: Any, window: Any, then: Any) -> bool:
    """Run Qt's event loop until ``window`` has painted its list and ``then()`` ran;
    True when the window was closed meanwhile (the application should end).

    Qt ignores ``QApplication.quit()`` while only a local event loop runs: closing
    the window (``app.quit`` does that) is how to end the application this early."""
    from desktop.ui.qt import QEventLoop

    nested = QEventLoop()

    def painted() -> None:
        if window.isVisible():
            then()
        nested.exit(PAINTED)

    def closed() -> None:
        nested.exit(0)

    app.lastWindowClosed.connect(closed)
    window.after_first_paint(painted)
    code = nested.exec()
    app.lastWindowClosed.disconnect(closed)
    return code != PAINTED or not window.isVisible()
