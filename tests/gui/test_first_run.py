"""First run: a fresh data folder shows the welcome page; the samples load through the
real refresh path and give tagged, folded, multilingual articles; the starter list is
only ever offered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.paths import DataPaths
from desktop.ui.qt import QDialog, Qt
from tests.gui.windows import open_window, run_until, settle


def _fresh(tmp_path: Path) -> DataPaths:
    root = tmp_path / "fresh"
    root.mkdir()
    return DataPaths(root)


def test_fresh_folder_welcomes_and_samples_give_tagged_articles(
    qtbot: Any, loop: Any, tmp_path: Path
) -> None:
    with open_window(qtbot, _fresh(tmp_path)) as (w, desk):
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.welcome)
        assert w.welcome.isVisible() and not w.list.isVisible()
        qtbot.mouseClick(w.welcome.buttons["file.load_samples"], Qt.MouseButton.LeftButton)
        run_until(loop, lambda: w.last_report is not None and not w.refreshing, 60)
        settle(qtbot, w)
        # the list replaced the welcome page and holds the samples
        assert w.stack.currentWidget() is not w.welcome
        qtbot.waitUntil(lambda: w.model.rowCount() > 50, timeout=10000)
        sources = desk.sources()
        assert len(sources) == 7 and {s["folder"] for s in sources} == {"Samples"}
        assert all(s["url"].startswith("file://") and not s["last_error"] for s in sources)
        stats = desk.db.read(
            lambda c: c.exec_driver_sql(
                "SELECT count(*), count(DISTINCT language), "
                "(SELECT count(DISTINCT article_id) FROM tags WHERE removed = 0), "
                "(SELECT count(*) FROM (SELECT story_id FROM articles WHERE story_id IS NOT NULL "
                " GROUP BY story_id HAVING count(*) > 1)) FROM articles"
            ).one()
        )
        total, languages, tagged, folded = stats
        assert 150 <= total <= 250
        assert languages >= 6, f"enrichment did not run: {w.last_problem}"
        assert tagged >= total // 2  # topics come from the enrichment modules
        assert folded >= 5  # the same stories reached through two sample feeds
        # rows show topics and languages; keyboard triage works on them
        rows = [it.row for _i, it in w.model.items()]
        assert sum(1 for r in rows if r.topics) >= len(rows) // 2
        assert all(r.language for r in rows)
        row = w.current_row()
        assert row is not None
        w.list.setFocus()
        qtbot.keyClick(w.list, Qt.Key.Key_S)
        qtbot.waitUntil(lambda: desk.article(row.id)["flagged"], timeout=5000)
        # the sample dates are fresh: the newest is minutes old, the oldest a few days
        newest, oldest = desk.db.read(
            lambda c: c.exec_driver_sql("SELECT max(published), min(published) FROM articles").one()
        )
        from desktop.timeutil import from_iso, utcnow

        assert (utcnow() - from_iso(newest)).total_seconds() < 3600
        assert 2 <= (utcnow() - from_iso(oldest)).days <= 5


def test_enrichment_failure_is_said_and_articles_still_show(
    qtbot: Any, loop: Any, tmp_path: Path
) -> None:
    with open_window(qtbot, _fresh(tmp_path)) as (w, desk):

        def broken(**_kw: Any) -> Any:
            raise RuntimeError("topic model missing")

        desk.enrich_pending = broken  # another engineer's module failing
        w.run_command("file.load_samples")
        run_until(loop, lambda: w.last_report is not None and not w.refreshing, 60)
        settle(qtbot, w)
        assert "enrichment: topic model missing" in w.last_problem
        qtbot.waitUntil(lambda: w.model.rowCount() > 50, timeout=10000)
        assert w.stack.currentWidget() is not w.welcome


def test_starter_feeds_are_offered_never_subscribed_silently(
    qtbot: Any, loop: Any, tmp_path: Path
) -> None:
    with open_window(qtbot, _fresh(tmp_path)) as (w, desk):
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.welcome)
        qtbot.mouseClick(w.welcome.buttons["file.starter_feeds"], Qt.MouseButton.LeftButton)
        dialog = w._dialog
        assert dialog is not None and dialog.objectName() == "opmlPick"
        assert dialog.list.count() >= 15
        languages = {
            dialog.list.item(n).data(Qt.ItemDataRole.UserRole + 1).folder
            for n in range(dialog.list.count())
        }
        assert len(languages) >= 6
        assert dialog.chosen() == []  # nothing ticked
        dialog.accept()  # "Subscribe" with nothing ticked
        settle(qtbot, w)
        assert desk.sources() == []
        assert w.stack.currentWidget() is w.welcome
        # cancelling after ticking subscribes nothing either
        w.run_command("file.starter_feeds")
        dialog = w._dialog
        dialog.list.item(0).setCheckState(Qt.CheckState.Checked)
        dialog.done(QDialog.DialogCode.Rejected)
        settle(qtbot, w)
        assert desk.sources() == []
