"""The start-up fast path: the first page read with plain sqlite3 before the backend
opens, kept (not reloaded) when it opens; triage keys typed meanwhile are not lost."""

from __future__ import annotations

from typing import Any

from desktop.app import FirstPage, build_window, make_application, read_first_page
from desktop.service import Newsdesk
from desktop.store.queries import ArticleQuery
from desktop.ui.main_window import WindowSettings


def test_first_page_matches_the_backend_and_attach_keeps_it(
    qtbot: Any, loop: Any, sample: Any
) -> None:
    paths, _info = sample
    make_application()
    window = build_window(
        paths, settings=WindowSettings(refresh_pool="thread", poll_ms=200), defer_setup=True
    )
    qtbot.addWidget(window)
    first = FirstPage(paths)
    assert first.show_in(window)
    window.show()
    qtbot.waitExposed(window)
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
        heads, stories = [], set()
        for r in desk.list_articles(ArticleQuery(view="inbox", limit=200)):
            if r.story_id is None or r.story_id not in stories:
                heads.append(r.id)
                stories.add(r.story_id)
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
