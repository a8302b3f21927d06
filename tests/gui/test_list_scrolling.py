"""Moving the cursor past the list's edge scrolls by moving pixels: only the rows that
changed are repainted, and what is on screen equals a full repaint of the list."""

from __future__ import annotations

from typing import Any

from tests.gui.windows import open_window, settle


def test_scrolling_repaints_only_the_new_rows_and_matches_a_full_paint(
    qtbot: Any, loop: Any, sample: Any
) -> None:
    from desktop.ui.qt import QApplication, QObject, Qt

    paths, _info = sample
    with open_window(qtbot, paths) as (window, _desk):
        settle(qtbot, window)
        window.resize(900, 420)  # fewer rows than the sample has: j and k scroll
        qtbot.wait(50)
        view = window.list
        viewport = view.viewport()
        assert viewport.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        assert view.verticalScrollBar().maximum() > 3, "the list must scroll for this test"

        painted: list[int] = []

        class Heights(QObject):
            def eventFilter(self, obj: Any, event: Any) -> bool:
                if obj is viewport and event.type() == event.Type.Paint:
                    painted.append(event.region().boundingRect().height())
                return False

        spy = Heights()
        viewport.installEventFilter(spy)
        scrolled: list[int] = []
        moves = window.model.rowCount() - 1
        for key in "j" * moves + "k" * moves:
            before = view.verticalScrollBar().value()
            row = window.current_index().row()
            painted.clear()
            qtbot.keyClick(view, key)
            assert window.current_index().row() == row + (1 if key == "j" else -1)
            qtbot.waitUntil(lambda: bool(painted))
            settle(qtbot, window)
            if view.verticalScrollBar().value() != before:
                scrolled.append(max(painted))
        viewport.removeEventFilter(spy)
        assert len(scrolled) >= 6
        # most scrolling keystrokes repaint a strip of rows, not the whole list
        height = view.rowHeight(window.model.index(0, 0))
        assert sorted(scrolled)[len(scrolled) // 2] <= 3 * height < viewport.height()

        qtbot.wait(50)
        shown = QApplication.primaryScreen().grabWindow(window.winId()).toImage()
        origin = viewport.mapTo(window, viewport.rect().topLeft())
        ratio = shown.devicePixelRatio()
        on_screen = shown.copy(
            int(origin.x() * ratio),
            int(origin.y() * ratio),
            int(viewport.width() * ratio),
            int(viewport.height() * ratio),
        )
        fresh = viewport.grab().toImage().convertToFormat(on_screen.format())
        assert on_screen.size() == fresh.size()
        assert on_screen == fresh
