"""Every default binding with real key presses on the real window (offscreen)."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.ui.qt import QApplication


def test_every_default_key_reaches_its_command(harness: Any) -> None:
    """Each key sequence of the registry, pressed for real, runs its command."""
    w = harness.window
    ran: list[str] = []
    w._handlers = {cid: (lambda cid=cid: ran.append(cid)) for cid in w._handlers}
    checked = 0
    for command in w.registry:
        for keys in command.keys:
            ran.clear()
            w.list.setFocus()
            harness.key(keys, w.list)
            assert ran == [command.id], f"{keys} ran {ran}, expected {command.id}"
            checked += 1
    assert checked >= 40


def test_j_k_and_arrows_move(harness: Any) -> None:
    ids = harness.model.head_ids()
    assert harness.current_id() == ids[0]
    harness.key("j")
    assert harness.current_id() == ids[1]
    harness.key("Down")
    assert harness.current_id() == ids[2]
    harness.key("k")
    assert harness.current_id() == ids[1]
    harness.key("Up")
    assert harness.current_id() == ids[0]
    harness.key("k")  # at the top: stays
    assert harness.current_id() == ids[0]
    harness.key("End")
    assert harness.current_id() == ids[-1]
    harness.key("Home")
    assert harness.current_id() == ids[0]
    # the reading pane follows
    harness.key("j")
    harness.qtbot.waitUntil(lambda: harness.window.reader.article_id == ids[1])


def test_m_toggles_read_and_s_toggles_flag(harness: Any) -> None:
    harness.key("j")
    a = harness.current_id()
    harness.qtbot.waitUntil(lambda: harness.state(a)["read"])
    harness.key("m")
    assert harness.state(a)["read"] is False
    assert harness.window.current_row().read is False
    harness.key("m")
    assert harness.state(a)["read"] is True
    harness.key("s")
    assert harness.state(a)["flagged"] is True
    assert harness.model.index(1, 0).data() == "⚑"
    harness.key("s")
    assert harness.state(a)["flagged"] is False
    assert harness.current_id() == a


def test_e_archives_and_moves_on_then_undo_and_redo(harness: Any) -> None:
    ids = harness.model.head_ids()
    harness.key("j")
    harness.key("e")
    assert harness.state(ids[1])["archived"] is True
    assert ids[1] not in harness.model.head_ids()
    assert harness.current_id() == ids[2]
    assert harness.window.list.hasFocus()
    harness.key("u")
    assert harness.state(ids[1])["archived"] is False
    harness.qtbot.waitUntil(lambda: ids[1] in harness.model.head_ids())
    assert harness.model.head_ids() == ids
    assert harness.current_id() == ids[1]
    harness.key("Ctrl+Shift+Z")
    assert harness.state(ids[1])["archived"] is True
    harness.qtbot.waitUntil(lambda: ids[1] not in harness.model.head_ids())
    harness.key("Ctrl+Z")
    assert harness.state(ids[1])["archived"] is False
    harness.qtbot.waitUntil(lambda: ids[1] in harness.model.head_ids())


def test_archive_the_last_row_lands_on_the_one_above(harness: Any) -> None:
    ids = harness.model.head_ids()
    harness.key("End")
    harness.key("e")
    assert harness.current_id() == ids[-2]


def test_story_triage_applies_to_every_copy(harness: Any) -> None:
    story = harness.info["story"]
    assert harness.current_id() == story[0]
    harness.key("s")
    assert all(harness.state(i)["flagged"] for i in story)
    harness.key("e")
    assert all(harness.state(i)["archived"] for i in story)
    harness.key("u")
    assert not any(harness.state(i)["archived"] for i in story)


def test_story_expands_to_its_copies(harness: Any) -> None:
    w = harness.window
    story = harness.info["story"]
    head = harness.model.index(0, 0)
    harness.key("Right")
    harness.qtbot.waitUntil(lambda: harness.model.rowCount(head) == 2)
    assert w.list.isExpanded(head)
    copies = {harness.model.item(harness.model.index(n, 0, head)).row.id for n in range(2)}
    assert copies == set(story[1:])
    sources = {harness.model.index(n, 2, head).data() for n in range(2)}
    assert sources == {"Daily Planet", "Harbour Gazette"}
    harness.key("j")
    assert harness.current_id() in copies
    harness.key("Left")
    assert harness.current_id() == story[0]
    assert not w.list.isExpanded(head)


def test_shift_e_unarchives_in_the_archive(harness: Any) -> None:
    ids = harness.model.head_ids()
    harness.key("j")
    harness.key("e")
    harness.key("g e")
    assert harness.window.windowTitle() == "Newsdesk — Archive"
    harness.qtbot.waitUntil(lambda: harness.model.head_ids() == [ids[1]])
    harness.key("Shift+E")
    assert harness.state(ids[1])["archived"] is False
    assert harness.model.rowCount() == 0
    harness.key("g i")
    harness.qtbot.waitUntil(lambda: harness.model.head_ids() == ids)


def test_shift_a_marks_the_view_read_and_undo_restores_it_whole(harness: Any) -> None:
    w = harness.window
    harness.key("Shift+A")
    assert harness.desk.list_articles(_q("unread")) == []
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("view", "inbox").text(1) == "")
    assert all(
        harness.model.item(harness.model.index(n, 0)).row.read
        for n in range(harness.model.rowCount())
    )
    harness.key("u")
    assert len(harness.desk.list_articles(_q("unread"))) == 28


def _q(view: str, **kw: Any) -> Any:
    from desktop.store.queries import ArticleQuery

    return ArticleQuery(view=view, limit=1000, **kw)


def test_x_selects_and_bulk_actions_act_on_the_selection(harness: Any) -> None:
    ids = harness.model.head_ids()
    harness.key("j")
    harness.key("x")
    harness.key("j")
    harness.key("j")
    harness.key("x")
    assert harness.model.marked == {ids[1], ids[3]}
    assert harness.model.index(1, 0).data() == "✓"
    harness.key("s")
    assert harness.state(ids[1])["flagged"] and harness.state(ids[3])["flagged"]
    assert not harness.state(ids[2])["flagged"]
    assert harness.model.marked == set()
    harness.key("u")  # one undo takes back the whole bulk action
    assert not harness.state(ids[1])["flagged"] and not harness.state(ids[3])["flagged"]
    assert harness.current_id() == ids[1]  # undo lands on what it touched
    harness.key("j")
    harness.key("x")
    harness.key("j")
    harness.key("x")
    harness.key("e")
    assert harness.state(ids[3])["archived"] and harness.state(ids[2])["archived"]
    assert ids[2] not in harness.model.head_ids() and ids[3] not in harness.model.head_ids()
    assert harness.current_id() == ids[4]


@pytest.mark.parametrize(
    ("keys", "view", "title"),
    [
        ("g i", "inbox", "Inbox"),
        ("g u", "unread", "Unread"),
        ("g s", "flagged", "Flagged"),
        ("g e", "archived", "Archive"),
        ("g a", "all", "All"),
    ],
)
def test_g_keys_go_to_views(harness: Any, keys: str, view: str, title: str) -> None:
    harness.key("s")  # flag the story so Flagged has a row
    harness.key("j")
    harness.key("e")  # archive one so Archive has a row
    harness.key(keys)
    w = harness.window
    assert w.view == view
    assert w.windowTitle() == f"Newsdesk — {title}"
    harness.settle()
    expected = harness.desk.list_articles(_q(view))
    heads = {r.story_id or r.id for r in expected}
    assert harness.model.rowCount() == len(heads)
    assert w.sidebar.currentItem() is w.sidebar.item_for("view", view)


def test_g_then_a_wrong_key_does_nothing_harmful(harness: Any) -> None:
    harness.key("g")
    assert harness.window.keys_pending.text() == "g"
    harness.key("j")  # not a sequence: j alone runs
    assert harness.window.keys_pending.text() == ""
    assert harness.current_id() == harness.model.head_ids()[1]


def test_slash_searches_with_fts_and_esc_clears(harness: Any) -> None:
    w = harness.window
    harness.key("/")
    assert w.search.hasFocus()
    harness.qtbot.keyClicks(w.search, "zebra5")
    harness.qtbot.waitUntil(lambda: w.search_text == "zebra5")
    harness.settle()
    assert [r for r in harness.titles()] == ["Report 05 about markets"]
    assert "“zebra5”" in w.windowTitle()
    harness.key("Return", w.search)
    assert w.list.hasFocus()
    harness.key("Esc")
    assert w.search_text == "" and w.search.text() == ""
    harness.qtbot.waitUntil(lambda: harness.model.rowCount() == 26)


def test_l_picks_a_language_and_filters_combine(harness: Any) -> None:
    w = harness.window
    harness.key("l")
    picker = w._dialog
    assert picker is not None and picker.isVisible()
    harness.qtbot.keyClicks(picker.search, "fre")
    harness.key("Return", picker.search)
    harness.settle()
    assert w.language == "fr"
    assert harness.titles() == ["Les marchés reculent"]
    assert w.windowTitle() == "Newsdesk — Inbox · French"
    assert w.list.hasFocus()
    # × topic
    harness.key("Shift+T")
    harness.qtbot.keyClicks(w._dialog.search, "politics")
    harness.key("Return", w._dialog.search)
    harness.settle()
    assert harness.model.rowCount() == 0
    assert w.windowTitle() == "Newsdesk — Inbox · French · topic politics"
    harness.key("Esc")
    harness.settle()
    assert (w.language, w.topic) == (None, None)
    assert harness.model.rowCount() == 26


def test_shift_t_topic_filter(harness: Any) -> None:
    w = harness.window
    harness.key("Shift+T")
    harness.qtbot.keyClicks(w._dialog.search, "weather")
    harness.key("Return", w._dialog.search)
    harness.settle()
    assert w.topic == "weather"
    assert harness.titles() == ["Storm closes the harbour"]


def test_sidebar_source_and_folder_filters(harness: Any) -> None:
    w = harness.window
    _wire, _planet, local = harness.info["sources"]
    w.sidebar._clicked(w.sidebar.item_for("source", local))
    harness.settle()
    assert w.source_ids == (local,)
    assert "Harbour Gazette" in w.windowTitle()
    assert {harness.model.index(n, 2).data() for n in range(harness.model.rowCount())} == {
        "Harbour Gazette"
    }
    w.sidebar._clicked(w.sidebar.item_for("folder", "World"))
    harness.settle()
    assert w.folder == "World" and w.source_ids == ()
    sources = {harness.model.index(n, 2).data() for n in range(harness.model.rowCount())}
    assert "Harbour Gazette" not in sources
    assert w.list.hasFocus()


def test_t_edits_topics_as_user_tags(harness: Any) -> None:
    w = harness.window
    harness.key("j")
    a = harness.current_id()
    before = harness.state(a)["topics"]
    harness.key("t")
    dialog = w._dialog
    assert dialog is not None
    dialog.edit.setText("")
    harness.qtbot.keyClicks(dialog.edit, "harbour, ports")
    harness.key("Return", dialog.edit)
    harness.settle()
    assert harness.state(a)["topics"][:2] == ["harbour", "ports"]
    detail = harness.desk.article(a)
    removed = [t for t in detail["tags"] if t["removed"]]
    assert [t["name"] for t in removed] == before
    assert all(t["origin"] == "user" for t in detail["tags"])
    harness.qtbot.waitUntil(lambda: w.current_row().topics[:2] == ["harbour", "ports"])
    assert w.list.hasFocus()
    harness.key("u")  # undo takes back the last tag change (the removal)
    assert before[0] in harness.state(a)["topics"]


def test_v_opens_the_original_and_links_go_to_the_browser(harness: Any) -> None:
    w = harness.window
    harness.key("v")
    assert w.opened_urls == ["https://example.org/s1"]


def test_o_and_enter_open_and_mark_read_when_auto_read_is_off(harness: Any) -> None:
    from desktop.ui.main_window import WindowSettings

    w = harness.window
    w.settings = WindowSettings(mark_read_on_open="never")
    harness.key("j")
    a = harness.current_id()
    harness.qtbot.waitUntil(lambda: w.reader.article_id == a)
    assert harness.state(a)["read"] is False
    w.settings = WindowSettings(mark_read_on_open="now")
    harness.key("o")
    assert harness.state(a)["read"] is True
    harness.key("m")
    harness.key("Return")
    assert harness.state(a)["read"] is True


def test_space_scrolls_then_goes_to_the_next_unread(harness: Any) -> None:
    w = harness.window
    long_body = "<p>" + "Long paragraph of harbour news. " * 40 + "</p>"
    w.reader.show_article(
        {**harness.desk.article(harness.current_id()), "content_html": long_body * 30}
    )
    bar = w.reader.verticalScrollBar()
    assert bar.maximum() > 0
    harness.key("Space")
    assert bar.value() > 0
    assert harness.current_id() == harness.model.head_ids()[0]
    bar.setValue(bar.maximum())
    ids = harness.model.head_ids()
    harness.key("Space")
    assert harness.current_id() == ids[1]


def test_help_overlay_and_palette(harness: Any) -> None:
    w = harness.window
    harness.key("?")
    overlay = w._dialog
    assert overlay is not None and overlay.isVisible()
    text = overlay.text.toPlainText()
    assert "Archive and move on" in text and "Shift+E" in text and "g i" in text
    harness.key("Esc", overlay.text)
    assert not overlay.isVisible()
    assert w.list.hasFocus()
    harness.key("Ctrl+K")
    palette = w._dialog
    assert palette is not None and palette.isVisible()
    harness.qtbot.keyClicks(palette.search, "flagged")
    first = palette.list.item(0).text()
    assert first.startswith("Views: Go to Flagged")
    assert "g s" in first
    harness.key("Return", palette.search)
    harness.qtbot.waitUntil(lambda: w.view == "flagged")
    assert QApplication.focusWidget() is w.list


def test_palette_finds_commands_by_key(harness: Any) -> None:
    w = harness.window
    harness.key("Ctrl+K")
    harness.qtbot.keyClicks(w._dialog.search, "Shift+E")
    assert "Unarchive" in w._dialog.list.item(0).text()
    harness.key("Esc", w._dialog.search)


def test_header_click_sorts_by_title(harness: Any) -> None:
    from desktop.ui.article_list import COL_TIME, COL_TITLE

    w = harness.window
    w.list.header().sectionClicked.emit(COL_TITLE)  # as a click on the header does
    harness.settle()
    titles = harness.titles()
    assert titles == sorted(titles, key=str.lower) or titles == sorted(
        titles, key=str.lower, reverse=True
    )
    assert titles[0] != "Storm closes the harbour" or titles[-1] != "Storm closes the harbour"
    w.list.header().setSortIndicator(COL_TIME, w.list.header().sortIndicatorOrder().DescendingOrder)
    w.list.header().sectionClicked.emit(COL_TIME)
    harness.settle()
    assert harness.titles()[0] == "Storm closes the harbour"
