"""pytest-qt set-up for the window: offscreen Qt, a real data folder, a qasync loop.

``QT_QPA_PLATFORM`` is set before anything imports Qt. Qt warnings fail tests.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from desktop.paths import DataPaths
from tests.support.factories import add_source, entry, ingest

BASE = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(minutes_ago: int) -> str:
    """A timestamp ``minutes_ago`` before the sample clock."""
    return (BASE - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "gui: window tests")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Qt warnings fail the window tests (except the offscreen plugin's own notice)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore("propagateSizeHints"))


def build_sample(root: Path, articles: int = 24, database: str | None = None) -> dict[str, Any]:
    """A data folder (or the PostgreSQL ``database``) with three sources, one story
    reported by three of them, languages and topics; returns handy ids."""
    from desktop.service import Newsdesk

    paths = DataPaths(root)
    info: dict[str, Any] = {}
    with Newsdesk.open(paths, database) as desk:
        wire = add_source(desk, "https://wire.example/feed", "Global Wire", "World")
        planet = add_source(desk, "https://planet.example/rss", "Daily Planet", "World")
        local = add_source(desk, "https://local.example/atom", "Harbour Gazette", None)
        ids: list[int] = []
        for n in range(articles):
            src = (wire, planet, local)[n % 3]
            title = f"Report {n:02d} about {'markets' if n % 2 else 'elections'}"
            body = f"Body text {n} with harbour news and the word zebra{n}."
            ids += ingest(desk, src, [entry(f"a{n}", title, body, at(10 + n * 7))])
        story = []
        for src, key in ((wire, "s1"), (planet, "s2"), (local, "s3")):
            story += ingest(
                desk,
                src,
                [
                    entry(
                        key,
                        "Storm closes the harbour",
                        "Storm closes the harbour today.",
                        at(5 if key == "s1" else 6 + len(story)),
                    )
                ],
            )
        fr = ingest(
            desk,
            planet,
            [
                entry(
                    "fr1",
                    "Les marchés reculent",
                    "Les marchés financiers reculent ce matin.",
                    at(200),
                )
            ],
        )
        ids += fr

        def setup(conn: Any) -> None:
            conn.exec_driver_sql("UPDATE articles SET language = 'en', title_language = 'en'")
            conn.exec_driver_sql(
                "UPDATE articles SET language = 'fr', title_language = 'fr' WHERE id = ?",
                (fr[0],),
            )
            conn.exec_driver_sql(
                "UPDATE articles SET title_language = 'de' WHERE id = ?", (ids[1],)
            )
            conn.exec_driver_sql(
                "UPDATE articles SET story_id = ? WHERE id IN (?, ?, ?)", (story[0], *story)
            )
            conn.exec_driver_sql(
                "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
                "SELECT id, CASE WHEN title LIKE '%markets%' OR title LIKE '%marchés%' "
                "THEN 'economy' ELSE 'politics' END, 'model', 0.8, 0, '2026-03-02T00:00:00Z' "
                "FROM articles"
            )
            conn.exec_driver_sql(
                "INSERT INTO tags (article_id, tag, origin, score, removed, created_at) "
                "VALUES (?, 'weather', 'model', 0.9, 0, '2026-03-02T00:00:00Z')",
                (story[0],),
            )
            conn.exec_driver_sql(
                "UPDATE sources SET last_error = 'HTTP 503 Service Unavailable', "
                "last_error_at = '2026-03-02T11:00:00Z' WHERE id = ?",
                (local,),
            )

        desk.db.write(setup)
        info.update(sources=(wire, planet, local), ids=ids, story=story, french=fr[0])
    return info


@pytest.fixture
def sample(tmp_path: Path) -> tuple[DataPaths, dict[str, Any]]:
    """A sample data folder."""
    root = tmp_path / "data"
    root.mkdir()
    return DataPaths(root), build_sample(root)


@pytest.fixture
def loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop for one test, closed at its end."""
    from desktop.ui.tasks import make_loop

    lp = make_loop(qapp)
    yield lp
    lp.close()
    asyncio.set_event_loop(None)


class Harness:
    """The window on a sample folder, with helpers to press keys and wait."""

    def __init__(self, qtbot: Any, window: Any, desk: Any, info: dict[str, Any]) -> None:
        self.qtbot = qtbot
        self.window = window
        self.desk = desk
        self.info = info

    @property
    def model(self) -> Any:
        return self.window.model

    def settle(self, timeout: int = 5000) -> None:
        """Wait until no background job is pending."""
        self.qtbot.waitUntil(
            lambda: self.window.tasks.busy == 0 and not self.model.loading, timeout=timeout
        )

    def key(self, text: str, widget: Any = None) -> None:
        """Press keys given as chords separated by spaces (``g i``, ``Shift+E``, ``j``)."""
        from desktop.ui.qt import QApplication, Qt

        for chord in text.split(" "):
            mods = Qt.KeyboardModifier.NoModifier
            parts = chord.split("+") if chord != "+" else ["+"]
            for m in parts[:-1]:
                mods |= {
                    "Ctrl": Qt.KeyboardModifier.ControlModifier,
                    "Shift": Qt.KeyboardModifier.ShiftModifier,
                    "Alt": Qt.KeyboardModifier.AltModifier,
                }[m]
            name = parts[-1]
            named = {
                "Space": Qt.Key.Key_Space,
                "Return": Qt.Key.Key_Return,
                "Enter": Qt.Key.Key_Enter,
                "Esc": Qt.Key.Key_Escape,
                "Up": Qt.Key.Key_Up,
                "Down": Qt.Key.Key_Down,
                "Left": Qt.Key.Key_Left,
                "Right": Qt.Key.Key_Right,
                "?": Qt.Key.Key_Question,
                "/": Qt.Key.Key_Slash,
                "Home": Qt.Key.Key_Home,
                "End": Qt.Key.Key_End,
            }
            target = widget or QApplication.focusWidget() or self.window.list
            if name in named:
                key = named[name]
                if name == "?":
                    mods |= Qt.KeyboardModifier.ShiftModifier
                self.qtbot.keyClick(target, key, mods)
            else:
                key = getattr(Qt.Key, f"Key_{name.upper()}")
                self.qtbot.keyClick(target, key, mods)
            self.settle()

    def current_id(self) -> int | None:
        row = self.window.current_row()
        return row.id if row else None

    def state(self, article_id: int) -> dict[str, Any]:
        d = self.desk.article(article_id)
        assert d is not None
        return {k: d[k] for k in ("read", "flagged", "archived", "topics")}

    def titles(self) -> list[str]:
        return [
            self.model.item(self.model.index(n, 0)).row.title for n in range(self.model.rowCount())
        ]


@pytest.fixture
def harness(qtbot: Any, loop: Any, sample: Any) -> Iterator[Harness]:
    """The real window attached to a real service on the sample folder."""
    from desktop.app import build_window, make_application
    from desktop.service import Newsdesk
    from desktop.ui.main_window import WindowSettings

    paths, info = sample
    make_application()
    opened: list[str] = []
    window = build_window(
        paths,
        open_url=lambda url: opened.append(url.toString()),
        settings=WindowSettings(refresh_pool="thread", poll_ms=200),
    )
    qtbot.addWidget(window)
    desk = Newsdesk.open(paths)
    window.show()
    qtbot.waitExposed(window)
    window.attach(desk)
    h = Harness(qtbot, window, desk, info)
    qtbot.waitUntil(lambda: window.model.rowCount() > 0 and window.counts is not None)
    h.settle()
    window.list.setFocus()
    window.activateWindow()
    yield h
    window._poll_timer.stop()
    window.close()
    window.tasks.close()
    desk.close()
