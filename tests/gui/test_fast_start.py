"""The start-up fast path: the first page read with plain sqlite3 before the backend
opens, kept (not reloaded) when it opens; triage keys typed meanwhile are not lost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.app import FirstPage, build_window, make_application, read_first_page
from desktop.service import Newsdesk
from desktop.store.queries import ArticleQuery
from desktop.ui.main_window import WindowSettings


def inbox_heads(desk: Any) -> list[int]:
    """The ids the backend lists first in the inbox, copies folded into their story."""
    heads, stories = [], set()
    for r in desk.list_articles(ArticleQuery(view="inbox", limit=200)):
        if r.story_id is None or r.story_id not in stories:
            heads.append(r.id)
            stories.add(r.story_id)
    return heads


def fast_started(qtbot: Any, paths: Any) -> Any:
    """A window built as at start-up, preloaded by the fast path and shown."""
    make_application()
    window = build_window(
        paths, settings=WindowSettings(refresh_pool="thread", poll_ms=200), defer_setup=True
    )
    qtbot.addWidget(window)
    first = FirstPage(paths)
    assert first.show_in(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def run_to_first_paint(paths: Any, prelude: str, at_paint: str) -> str:
    """Standard output of ``newsdesk`` started on ``paths`` as a process (offscreen) that
    runs ``prelude`` first and ``at_paint`` (a line in ``probe``) at the first paint."""
    import subprocess
    import sys

    Newsdesk.open(paths).close()
    root = Path(__file__).resolve().parents[2]
    code = (
        "import builtins, runpy, sys\n"
        f"{prelude}"
        "_print = builtins.print\n"
        "def probe(*a, **k):\n"
        "    if a and str(a[0]).startswith('NEWSDESK_FIRST_PAINT'):\n"
        f"        {at_paint}\n"
        "    return _print(*a, **k)\n"
        "builtins.print = probe\n"
        "sys.argv = ['newsdesk', '--data-dir', sys.argv[1]]\n"
        "runpy.run_module('desktop', run_name='__main__', alter_sys=True)\n"
    )
    env = dict(os.environ, NEWSDESK_STARTUP_PROBE="1", QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code, str(paths.root)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return out.stdout + "\n" + out.stderr[-2000:]


@pytest.fixture
def deferred(qtbot: Any, loop: Any, sample: Any) -> Iterator[tuple[Any, Any]]:
    """(window built as at start-up, before its first paint; data paths), closed after."""
    paths, _info = sample
    make_application()
    window = build_window(paths, settings=WindowSettings(refresh_pool="thread"), defer_setup=True)
    qtbot.addWidget(window)
    try:
        yield window, paths
    finally:
        window.close()
        window.tasks.close()


def test_first_page_matches_the_backend_and_attach_keeps_it(
    qtbot: Any, loop: Any, sample: Any
) -> None:
    paths, _info = sample
    window = fast_started(qtbot, paths)
    ids = window.model.head_ids()
    assert len(ids) == 26 and window.current_row().id == ids[0]
    assert "Inbox" in window.windowTitle()
    window.finish_setup()  # the key filter: keys work before the database is open
    qtbot.keyClick(window.list, "j")
    assert window.current_row().id == ids[1]
    qtbot.keyClick(window.list, "s")  # flag: waits for the database
    assert window._early_commands == ["triage.toggle_flag"]
    desk = Newsdesk.open(paths)
    try:
        # the same rows the backend lists, in the same order (copies fold into a story)
        heads = inbox_heads(desk)
        assert heads == ids
        resets: list[int] = []
        window.model.modelReset.connect(lambda: resets.append(1))
        window.attach(desk)
        qtbot.waitUntil(lambda: window.counts is not None and window.tasks.busy == 0)
        assert resets == []  # kept, not reloaded
        assert window.model.head_ids() == ids
        assert window.reader.article_id == ids[1]  # the pane opens once the data is there
        assert desk.article(ids[1])["flagged"] is True  # the early key ran
        assert window._early_commands is None
    finally:
        window._poll_timer.stop()
        window.close()
        window.tasks.close()
        desk.close()


def test_a_short_first_page_reads_on_once_the_backend_opens(
    qtbot: Any, loop: Any, sample: Any, monkeypatch: Any
) -> None:
    """The fast path reads a screenful (``FIRST_ROWS``), not a whole page: once the
    backend is open the list reads on from its cursor, without a reset."""
    import desktop.app

    paths, _info = sample
    monkeypatch.setattr(desktop.app, "FIRST_ROWS", 8)
    window = fast_started(qtbot, paths)
    window.finish_setup()
    assert 0 < window.model.rowCount() <= 8
    desk = Newsdesk.open(paths)
    try:
        heads = inbox_heads(desk)
        assert len(heads) > 8
        assert window.model.head_ids() == heads[: window.model.rowCount()]
        resets: list[int] = []
        window.model.modelReset.connect(lambda: resets.append(1))
        window.attach(desk)
        qtbot.waitUntil(lambda: window.model.head_ids() == heads)
        qtbot.waitUntil(lambda: window.tasks.busy == 0)
        assert resets == []
        assert window.model.exhausted
    finally:
        window._poll_timer.stop()
        window.close()
        window.tasks.close()
        desk.close()


def test_no_fast_page_without_a_current_database(tmp_path: Any, sample: Any) -> None:
    paths, _info = sample
    query = ArticleQuery(view="inbox", limit=200)
    assert len(read_first_page(paths, query)[1]) == 28  # rows, before stories fold
    desk = Newsdesk.open(paths)
    desk.db.write(lambda c: c.exec_driver_sql("PRAGMA user_version = 1"))  # needs a migration
    desk.close()
    assert read_first_page(paths, query)[1] == []
    from desktop.paths import DataPaths

    assert read_first_page(DataPaths(tmp_path / "none"), query)[1] == []


def test_window_arguments_skip_the_parser_only_without_a_command() -> None:
    from desktop.app import window_data_dir

    assert window_data_dir([]) == (True, None)
    assert window_data_dir(["--data-dir", "/x/y"]) == (True, "/x/y")
    assert window_data_dir(["--data-dir=/x/y"]) == (True, "/x/y")
    assert window_data_dir(["--data-dir="]) == (True, None)
    # anything else goes to the command line's parser (which decides, or reports)
    for argv in (
        ["list"],
        ["--data-dir", "/x", "list"],
        ["--data-dir"],
        ["--data-dir", "--version"],
        ["--version"],
        ["-h"],
        ["--data"],
    ):
        assert window_data_dir(argv) == (False, None), argv


def test_the_window_defers_what_the_first_paint_does_not_show(deferred: Any) -> None:
    window, _paths = deferred
    menus = window.menuBar().actions()
    assert menus and all(not m.menu().actions() for m in menus)  # titles only
    assert window.actions_by_id == {} and not window.search.isClearButtonEnabled()
    assert window._welcome is None and window.stack.count() == 1
    assert window._reader is None  # a frame of the pane's size holds its place
    split = window.list.parentWidget()
    assert split.widget(1).objectName() == "readerSlot"
    window.show()
    sizes = split.sizes()
    assert sizes[0] > 0 and sizes[1] > sizes[0]  # the list above, the taller pane below
    window.finish_setup()
    assert split.widget(1) is window.reader and window.reader.isVisible()
    assert split.sizes() == sizes and split.count() == 2
    assert not window.reader.blank  # the empty state
    assert window.actions_by_id["triage.archive"].text().endswith("\te")
    assert sum(len(m.menu().actions()) for m in menus) == len(window.actions_by_id)
    assert window.search.isClearButtonEnabled()
    window.show_welcome(True)  # made when first needed
    assert window.stack.currentWidget() is window.welcome and window.stack.count() == 2
    window.show_welcome(False)
    assert window.stack.currentWidget() is not window.welcome


def test_closing_before_the_first_paint_ends_the_start(qtbot: Any, sample: Any) -> None:
    from desktop.app import run_until_first_paint
    from desktop.ui.qt import QTimer

    paths, _info = sample
    app = make_application()
    ran: list[str] = []
    window = build_window(paths, settings=WindowSettings(refresh_pool="thread"), defer_setup=True)
    window.show()
    assert run_until_first_paint(app, window, lambda: ran.append("painted")) is False
    assert ran == ["painted"]  # the list painted: the caller goes on to the asyncio loop
    window.close()
    window.tasks.close()

    again = build_window(paths, settings=WindowSettings(refresh_pool="thread"), defer_setup=True)
    again.show()
    QTimer.singleShot(0, again.close)  # closed before its list could paint
    assert run_until_first_paint(app, again, lambda: ran.append("late")) is True
    assert ran == ["painted"]  # nothing started for a closed window
    again.tasks.close()


def test_nothing_heavy_loads_before_the_first_paint(sample: Any) -> None:
    """``python -m desktop``: neither the command line (and its parser), asyncio nor
    the backend (SQLAlchemy) is imported before the list is painted."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    paths, _info = sample
    Newsdesk.open(paths).close()  # a current database: the first page comes early
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, NEWSDESK_STARTUP_PROBE="1", QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(  # importtime's lines (stderr) and the probe's in one stream
        [sys.executable, "-X", "importtime", "-m", "desktop", "--data-dir", str(paths.root)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )
    assert "NEWSDESK_FIRST_PAINT" in out.stdout, out.stdout[-3000:]
    early, late = out.stdout.split("NEWSDESK_FIRST_PAINT", 1)

    def modules(text: str) -> set[str]:
        return {
            line.rsplit("|", 1)[-1].strip()
            for line in text.splitlines()
            if line.startswith("import time:")
        }

    assert "desktop.ui.main_window" in modules(early)
    assert not modules(early) & {"desktop.cli", "asyncio", "qasync", "sqlalchemy"}
    assert {"asyncio", "sqlalchemy"} <= modules(late)  # they do load, after the paint


def test_the_window_opens_a_database_url_without_the_fast_path(
    tmp_path: Path, monkeypatch: Any, postgres_admin_url: str
) -> None:
    """``newsdesk --database URL`` (and ``$NEWSDESK_DATABASE_URL``) opens the window on
    PostgreSQL: no sqlite3 fast path, the first page comes from the server."""
    import subprocess
    import sys

    from desktop.app import window_data_dir
    from tests.gui.conftest import build_sample
    from tests.support import postgres

    url = postgres.fresh_database(postgres_admin_url)
    try:
        build_sample(tmp_path / "sample", database=url)
        repo = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": str(repo), "QT_QPA_PLATFORM": "offscreen"}
        env.update(NEWSDESK_STARTUP_PROBE="1")
        env.pop("NEWSDESK_DATABASE_URL", None)
        base = [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path / "d")]
        for extra, more_env in (
            (["--database", url], {}),
            ([], {"NEWSDESK_DATABASE_URL": url}),
        ):
            proc = subprocess.run(
                [*base, *extra],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=repo,
                env={**env, **more_env},
            )
            # the probe prints at the first paint with rows, then closes the window
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert "NEWSDESK_FIRST_PAINT" in proc.stdout, proc.stderr[-3000:]
        assert not (tmp_path / "d" / "newsdesk.sqlite3").exists()
    finally:
        postgres.drop_database(postgres_admin_url, url)
    monkeypatch.setenv("NEWSDESK_DATABASE_URL", url)
    assert window_data_dir([]) == (False, None)  # the parser resolves the database


def test_no_qt_enum_namespace_before_the_first_paint(sample: Any) -> None:
    """Touching ``Qt`` (or a call that resolves to it) builds its ~90 enum classes at
    once (~13 ms): the first paint uses plain ints instead, and the chips, the sort
    arrow and the sidebar's flags follow it. PySide6 adds ``Qt`` to its module's
    namespace when that happens, which is what this looks for."""
    paths, _info = sample
    out = run_to_first_paint(
        paths,
        "",
        "import PySide6.QtCore as core, PySide6.QtWidgets as widgets; "
        "_print('BUILT', 'Qt' in vars(core), 'QStyle' in vars(widgets), flush=True)",
    )
    assert "BUILT False False" in out, out[-4000:]


def test_pyside_reads_no_module_source_before_the_first_paint(sample: Any) -> None:
    """PySide6's ``__feature__`` hook reads the source of each module imported after it
    (``inspect.getsource``) unless told the answer: ``desktop.ui.qt`` tells it for the
    modules loaded before PySide6 and for the window's own. Only the few standard
    modules first imported after PySide6 may be read."""
    paths, _info = sample
    out = run_to_first_paint(
        paths,
        "import inspect\n"
        "read = []\n"
        "_getsource = inspect.getsource\n"
        "def getsource(obj):\n"
        "    read.append(getattr(obj, '__name__', '?'))\n"
        "    return _getsource(obj)\n"
        "inspect.getsource = getsource\n",
        "hook = sys.modules.get('shibokensupport.feature'); "
        "known = getattr(hook, 'pyside_feature_dict', None); "
        "_print('HOOK', isinstance(known, dict), flush=True); "
        "_print('READ', ' '.join(read), flush=True)",
    )
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert "HOOK" in lines, out[-4000:]
    if lines["HOOK"] != "True":
        pytest.skip("this PySide6 has no __feature__ hook to tell")
    read = lines.get("READ", "").split()
    assert not [name for name in read if name.startswith("desktop")], read
    assert len(read) <= 5, read


def test_plain_ints_stand_for_the_qt_enums() -> None:
    """The ints the first paint passes match the enums they replace."""
    from desktop.ui import qt
    from desktop.ui.qt import Qt

    roles = Qt.ItemDataRole
    assert roles.UserRole.value == qt.USER_ROLE
    assert (
        roles.DisplayRole.value,
        roles.ToolTipRole.value,
        roles.FontRole.value,
    ) == (qt.DISPLAY_ROLE, qt.TOOLTIP_ROLE, qt.FONT_ROLE)
    assert (
        roles.TextAlignmentRole.value,
        roles.ForegroundRole.value,
        roles.AccessibleTextRole.value,
    ) == (qt.ALIGNMENT_ROLE, qt.FOREGROUND_ROLE, qt.ACCESSIBLE_TEXT_ROLE)
    align = Qt.AlignmentFlag
    assert (align.AlignRight | align.AlignVCenter).value == qt.ALIGN_RIGHT_VCENTER
    assert align.AlignCenter.value == qt.ALIGN_CENTER
    assert Qt.Orientation.Vertical.value == qt.VERTICAL
    assert Qt.FocusPolicy.ClickFocus.value == qt.CLICK_FOCUS
    assert Qt.ContextMenuPolicy.CustomContextMenu.value == qt.CUSTOM_CONTEXT_MENU


def test_what_follows_the_first_paint_arrives_with_finish_setup(deferred: Any) -> None:
    from desktop.ui.article_list import COL_TIME, COLUMNS
    from desktop.ui.qt import Qt

    window, _paths = deferred
    header = window.list.header()
    titles = [header.model().headerData(i, Qt.Orientation.Horizontal) for i in range(6)]
    assert titles == list(COLUMNS)
    assert window.list.chips.plain and not header.isSortIndicatorShown()
    assert window.sidebar._sections == {} and window.sidebar.topLevelItemCount() == 0
    assert window.reader.blank and window.reader.toPlainText() == ""
    right = window.list.parentWidget()
    assert right.orientation() == Qt.Orientation.Vertical  # set as an int
    assert window.sidebar.focusPolicy() == Qt.FocusPolicy.ClickFocus
    window.finish_setup()
    assert not window.list.chips.plain
    assert header.isSortIndicatorShown() and header.sortIndicatorSection() == COL_TIME
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    sections = list(window.sidebar._sections.values())
    assert len(sections) == 5 and window.sidebar.topLevelItemCount() == 5
    assert not any(s.flags() & Qt.ItemFlag.ItemIsSelectable for s in sections)
    sources = window.sidebar._sections["sources"]
    assert sources.flags() & Qt.ItemFlag.ItemIsDropEnabled
    assert window.sidebar.currentItem().text(0) == "Inbox"
    assert not window.reader.blank and "No article selected" in window.reader.toPlainText()


def test_cells_do_not_inherit_the_previous_cells_roles(deferred: Any) -> None:
    """A delegate reuses its role span from cell to cell: a title must not come out
    right-aligned (the time column's) or amber (the state column's)."""
    from desktop.ui.article_list import COL_STATE, COL_TIME, COL_TITLE
    from desktop.ui.qt import QStyleOptionViewItem, Qt

    window, paths = deferred
    assert FirstPage(paths).show_in(window)
    model, delegate = window.model, window.list.itemDelegate()
    row = next(r for r in range(model.rowCount()) if not model.item(model.index(r, 0)).row.read)

    def option(col: int) -> Any:
        opt = QStyleOptionViewItem()
        delegate.initStyleOption(opt, model.index(row, col))
        return opt

    time_cell, state_cell, title = option(COL_TIME), option(COL_STATE), option(COL_TITLE)
    assert time_cell.displayAlignment & Qt.AlignmentFlag.AlignRight
    assert state_cell.palette.text().color().name() == "#d97706"  # unread: amber mark
    assert not title.displayAlignment & Qt.AlignmentFlag.AlignRight
    assert title.palette.text().color().name() != "#d97706"
    assert title.font.bold()  # unread
