"""Managing sources from the window: add with autodiscovery, properties, rename, disable,
delete keeping flagged articles, drag to a folder, errors where the source is, OPML in
and out through the File menu. Real dialogs, a real local HTTP server, real SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop.sources.opml import read_opml
from desktop.ui.qt import QDialogButtonBox, QDropEvent, QPoint, QPointF, Qt
from tests.gui.windows import run_until, settle
from tests.support.feedserver import FeedServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gui"

# the offscreen platform cannot grab the keyboard (menus) or raise windows: not our warnings
OFFSCREEN = pytest.mark.qt_log_ignore(
    "propagateSizeHints", "does not support grabbing the keyboard", r"support raise\(\)"
)


def _pick_source(w: Any, source_id: int) -> None:
    w.sidebar._clicked(w.sidebar.item_for("source", source_id))


def _source(desk: Any, source_id: int) -> dict[str, Any] | None:
    return next((s for s in desk.sources() if s["id"] == source_id), None)


@OFFSCREEN
def test_add_source_discovers_the_feeds_of_a_page(harness: Any, loop: Any) -> None:
    w, desk = harness.window, harness.desk
    with FeedServer() as server:
        server.add(
            "/feed.xml",
            (FIXTURES / "index-of-news.rss").read_bytes(),
            content_type="application/rss+xml",
        )
        feed_url = server.url("/feed.xml")
        w.run_command("file.add_source")
        dialog = w._dialog
        assert dialog.objectName() == "addSourceDialog"
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert not ok.isEnabled()
        harness.qtbot.keyClicks(dialog.url, server.url("/fault/html"))
        harness.qtbot.mouseClick(dialog.find, Qt.MouseButton.LeftButton)
        run_until(loop, lambda: dialog.choices.count() > 0 or "⚠" in dialog.message.text())
        assert dialog.choices.count() == 1
        assert server.url("/feed.xml") in dialog.choices.item(0).text()
        assert ok.isEnabled()
        dialog.folder.setCurrentText("Tech")
        harness.qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        run_until(loop, lambda: w.last_report is not None and not w.refreshing, 30)
        settle(harness.qtbot, w)
    added = [s for s in desk.sources() if s["url"] == feed_url]
    assert len(added) == 1 and added[0]["folder"] == "Tech"
    assert added[0]["article_count"] >= 7
    assert w.sidebar.item_for("folder", "Tech") is not None


@OFFSCREEN
def test_add_source_reports_a_page_without_feeds(harness: Any, loop: Any) -> None:
    w = harness.window
    with FeedServer() as server:
        server.add(
            "/plain.html", b"<html><body>nothing here</body></html>", content_type="text/html"
        )
        w.run_command("file.add_source")
        dialog = w._dialog
        dialog.url.setText(server.url("/plain.html"))
        dialog.find.click()
        run_until(loop, lambda: "⚠" in dialog.message.text())
    assert "links to none" in dialog.message.text()
    assert dialog.choices.count() == 0
    dialog.reject()


@OFFSCREEN
def test_properties_dialog_saves_and_shows_the_error(harness: Any) -> None:
    w, desk = harness.window, harness.desk
    local = harness.info["sources"][2]
    _pick_source(w, local)
    harness.settle()
    w.run_command("source.properties")
    harness.qtbot.waitUntil(
        lambda: w._dialog is not None and w._dialog.objectName() == "sourceProperties"
    )
    dialog = w._dialog
    assert "HTTP 503" in dialog.error_label.text()
    assert dialog.retry.isEnabled()
    dialog.title.setText("Harbour Gazette (local)")
    dialog.folder.setCurrentText("Local")
    dialog.interval.setValue(30)
    dialog.full.setChecked(True)
    dialog.images.setChecked(True)
    dialog.language.setText("de")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    harness.qtbot.waitUntil(lambda: not dialog.isVisible())
    harness.settle()
    p = desk.source_properties(local)
    assert (p.title, p.folder, p.refresh_minutes, p.full_article, p.remote_images, p.language) == (
        "Harbour Gazette (local)",
        "Local",
        30,
        True,
        True,
        "de",
    )
    harness.qtbot.waitUntil(lambda: w.sidebar.item_for("folder", "Local") is not None)
    # a bad language code is refused, the dialog stays open and says why
    w.run_command("source.properties")
    harness.qtbot.waitUntil(lambda: w._dialog is not None and w._dialog is not dialog)
    again = w._dialog
    again.language.setText("not a code!")
    again.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    harness.qtbot.waitUntil(lambda: "⚠" in again.message.text())
    assert again.isVisible() and "language code" in again.message.text()
    again.reject()


@OFFSCREEN
def test_rename_disable_and_error_menu(harness: Any) -> None:
    w, desk = harness.window, harness.desk
    wire, _planet, local = harness.info["sources"]
    _pick_source(w, wire)
    harness.settle()
    w.run_command("source.rename")
    dialog = w._dialog
    assert dialog.objectName() == "renameSource"
    dialog.setTextValue("World Wire")
    dialog.accept()
    harness.qtbot.waitUntil(lambda: _source(desk, wire)["title"] == "World Wire")
    w.run_command("source.toggle_enabled")
    harness.qtbot.waitUntil(lambda: not _source(desk, wire)["enabled"])
    harness.qtbot.waitUntil(
        lambda: w.sidebar.item_for("source", wire).text(0) == "World Wire (disabled)"
    )
    assert desk.due_sources(include_all=True) == sorted(harness.info["sources"][1:])
    # the failing source shows its error and when, and offers a retry
    item = w.sidebar.item_for("source", local)
    assert item.text(0).startswith("⚠")
    assert "Last error (2026-03-02 11:00:00 UTC): HTTP 503" in item.toolTip(0)
    menu = w.app_actions.sidebar_menu("source", local, QPoint(10, 10))
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == "Retry now" and "Delete…" in texts and "Properties…" in texts
    menu.close()


@OFFSCREEN
def test_delete_keeps_flagged_articles_when_asked(harness: Any) -> None:
    w, desk = harness.window, harness.desk
    planet = harness.info["sources"][1]
    rows = [r for r in desk.list_articles(_all()) if r.source_id == planet]
    flagged = rows[0].id
    desk.mark([flagged], "flag", whole_story=False)
    total = _source(desk, planet)["article_count"]
    _pick_source(w, planet)
    harness.settle()
    w.run_command("source.delete")
    harness.qtbot.waitUntil(
        lambda: w._dialog is not None and w._dialog.objectName() == "deleteSource"
    )
    dialog = w._dialog
    assert dialog.keep.isVisible() and dialog.keep.isChecked()
    assert "1 flagged" in dialog.keep.text()
    dialog.accept()
    harness.qtbot.waitUntil(lambda: _source(desk, planet) is None)
    harness.settle()
    detail = desk.article(flagged)
    assert detail is not None and detail["flagged"]
    kept = [s for s in desk.sources() if s["url"] == "newsdesk:kept-articles"]
    assert kept and kept[0]["article_count"] == 1 and not kept[0]["enabled"]
    gone = [r.id for r in rows if r.id != flagged]
    assert len(gone) == total - 1 and desk.existing_ids(gone) == set()
    assert w.source_ids == ()


@OFFSCREEN
def test_drag_a_source_onto_a_folder(harness: Any) -> None:
    w, desk = harness.window, harness.desk
    local = harness.info["sources"][2]
    sidebar = w.sidebar
    source_item = sidebar.item_for("source", local)
    target = sidebar.item_for("folder", "World")
    sidebar.setCurrentItem(source_item)
    mime = sidebar.model().mimeData([sidebar.indexFromItem(source_item)])
    pos = QPointF(sidebar.visualItemRect(target).center())
    event = QDropEvent(
        pos,
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    sidebar.dropEvent(event)
    harness.qtbot.waitUntil(lambda: _source(desk, local)["folder"] == "World")
    harness.qtbot.waitUntil(
        lambda: sidebar.item_for("source", local).parent() is sidebar.item_for("folder", "World")
    )
    # and out of the folder again, onto the Sources heading
    sidebar.setCurrentItem(sidebar.item_for("source", local))
    heading = sidebar._sections["sources"]
    event = QDropEvent(
        QPointF(sidebar.visualItemRect(heading).center()),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    sidebar.dropEvent(event)
    harness.qtbot.waitUntil(lambda: _source(desk, local)["folder"] is None)


@OFFSCREEN
def test_opml_import_and_export_from_the_file_menu(harness: Any, loop: Any, tmp_path: Path) -> None:
    w, desk = harness.window, harness.desk
    feed = (FIXTURES / "index-of-news.rss").resolve()
    opml = tmp_path / "mine.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Imported"><outline type="rss" text="Index of news" '
        f'xmlUrl="{feed.as_uri()}"/></outline>'
        '<outline type="rss" text="Already" xmlUrl="https://wire.example/feed"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    menu_action = w.actions_by_id["file.import_opml"]
    assert menu_action.text().startswith("Import OPML")
    menu_action.trigger()
    files = w._dialog
    assert files.objectName() == "opmlOpen"
    files.selectFile(str(opml))
    files.accept()
    harness.qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.objectName() == "opmlPick")
    pick = w._dialog
    assert pick.list.count() == 2
    assert [o.url for o in pick.chosen()] == [feed.as_uri()]  # the subscribed one is greyed
    pick.accept()
    run_until(loop, lambda: w.last_report is not None and not w.refreshing, 30)
    settle(harness.qtbot, w)
    imported = [s for s in desk.sources() if s["url"] == feed.as_uri()]
    assert imported and imported[0]["folder"] == "Imported" and imported[0]["article_count"] >= 7
    # export
    out = tmp_path / "out.opml"
    w.actions_by_id["file.export_opml"].trigger()
    save = w._dialog
    assert save.objectName() == "opmlSave"
    save.selectFile(str(out))
    save.accept()
    harness.qtbot.waitUntil(out.exists)
    harness.settle()
    outlines = read_opml(out.read_bytes())
    assert {o.url for o in outlines} == {s["url"] for s in desk.sources()}
    assert {o.folder for o in outlines} >= {"World", "Imported"}


def _all() -> Any:
    from desktop.store.queries import ArticleQuery

    return ArticleQuery(view="all", limit=500)
