"""Managing sources through the backend: properties, rename, move, folders, disable,
delete (keeping flagged articles), OPML round trip and saved searches.

Every test runs on SQLite and on PostgreSQL (``store_desk``, see tests/conftest.py);
the dialogs that drive these calls are tested in tests/gui/test_sources_dialogs.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from desktop.service import UserError
from desktop.sources import manage
from desktop.store.queries import ArticleQuery
from tests.support.factories import add_source, entry, ingest


def _source(desk: Any, source_id: int) -> dict[str, Any] | None:
    return next((s for s in desk.sources() if s["id"] == source_id), None)


def test_properties_rename_move_folders_and_disable(store_desk: Any) -> None:
    desk = store_desk
    a = add_source(desk, "https://example.org/a", "Alpha")
    b = add_source(desk, "https://example.org/b", "Beta")
    ingest(desk, a, [entry("a1"), entry("a2")])
    desk.db.write(lambda c: c.exec_driver_sql("UPDATE articles SET enriched = 1"))
    changes = desk.update_source(a, title="  Alpha Wire ", folder=" World / News ")
    assert {"title", "folder", "source"} <= changes.fields
    assert desk.update_source(a, title="Alpha Wire").fields == {"source"}  # nothing changed
    desk.update_source(b, folder="World/News", refresh_minutes=15, language="PT-BR")
    p = desk.source_properties(b)
    assert (p.folder, p.refresh_minutes, p.language) == ("World/News", 15, "pt-br")
    assert desk.db.read(manage.folders) == ["World/News"]
    assert desk.db.write(manage.rename_folder, "World/News", "Daily") == 2
    assert {_source(desk, s)["folder"] for s in (a, b)} == {"Daily"}
    desk.update_source(a, language="de")  # the override re-enriches what is stored
    enriched = desk.db.read(
        lambda c: c.exec_driver_sql("SELECT enriched FROM articles WHERE source_id = ?", (a,))
    ).all()
    assert [r[0] for r in enriched] == [0, 0]
    desk.update_source(a, enabled=False)
    assert not _source(desk, a)["enabled"] and desk.source_properties(a).enabled is False
    assert desk.due_sources(include_all=True) == [b]
    desk.db.write(
        lambda c: c.exec_driver_sql(
            "UPDATE sources SET next_fetch_at = '2999-01-01T00:00:00Z', failures = 3"
        )
    )
    desk.update_source(a, enabled=True)  # enabling makes it due at once
    assert desk.source_properties(a).next_fetch_at is None
    assert desk.source_properties(a).failures == 0
    desk.retry_source(b)
    assert desk.due_sources() == sorted([a, b])
    with pytest.raises(UserError, match="language code"):
        desk.update_source(a, language="not a code!")
    with pytest.raises(UserError, match="cannot edit"):
        desk.update_source(a, url="https://elsewhere.example/")


def test_delete_keeps_flagged_articles_when_asked(store_desk: Any) -> None:
    desk = store_desk
    gone = add_source(desk, "https://example.org/gone", "Gone")
    other = add_source(desk, "https://example.org/other", "Other")
    ids = ingest(desk, gone, [entry(f"g{n}") for n in range(4)])
    ingest(desk, other, [entry("o1")])
    desk.mark([ids[0]], "flag", whole_story=False)
    desk.tag([ids[0]], "mine", True)
    assert desk.db.read(manage.flagged_count, gone) == 1
    changes = desk.delete_source(gone)
    assert changes.description == "deleted 3 articles, kept 1"
    assert _source(desk, gone) is None
    kept = [s for s in desk.sources() if s["url"] == manage.KEPT_URL]
    assert len(kept) == 1 and not kept[0]["enabled"]
    detail = desk.article(ids[0])
    assert detail["flagged"] and "mine" in detail["topics"]
    assert desk.existing_ids(ids) == {ids[0]}
    # a second source's flagged article joins the same "Kept articles" source
    (again,) = ingest(desk, other, [entry("o2")])
    desk.mark([again], "flag", whole_story=False)
    desk.delete_source(other)
    assert [s["url"] for s in desk.sources()] == [manage.KEPT_URL]
    assert {r.id for r in desk.list_articles(ArticleQuery(view="all"))} == {ids[0], again}
    # without keeping, flagged articles go too
    third = add_source(desk, "https://example.org/third", "Third")
    (lost,) = ingest(desk, third, [entry("t1")])
    desk.mark([lost], "flag", whole_story=False)
    desk.delete_source(third, keep_flagged=False)
    assert desk.existing_ids([lost]) == set()


def test_opml_round_trip_and_saved_searches(store_desk: Any) -> None:
    desk = store_desk
    add_source(desk, "https://example.org/existing", "Existing")
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        b'<outline text="Tech"><outline type="rss" text="Feed A" '
        b'xmlUrl="https://example.org/fa" htmlUrl="https://example.org/"/></outline>'
        b'<outline type="rss" text="Existing" xmlUrl="https://example.org/existing"/>'
        b"</body></opml>"
    )
    added, skipped = desk.import_opml(opml)
    assert [s.url for s in added] == ["https://example.org/fa"]
    assert len(skipped) == 1 and "example.org/existing" in skipped[0]
    row = next(s for s in desk.sources() if s["url"] == "https://example.org/fa")
    assert (row["folder"], row["site_url"]) == ("Tech", "https://example.org/")
    exported = desk.export_opml()
    assert "https://example.org/fa" in exported and "Tech" in exported

    def names() -> list[str]:
        return desk.db.read(
            lambda c: c.exec_driver_sql("SELECT name FROM saved_searches ORDER BY name")
        ).all()

    desk.save_search("Peru", "peru")
    desk.save_search("Wages", "wages")
    desk.rename_search("Peru", "Latin America")
    assert [r[0] for r in names()] == ["Latin America", "Wages"]
    desk.delete_search("Wages")
    assert [r[0] for r in names()] == ["Latin America"]
    desk.undo()
    assert [r[0] for r in names()] == ["Latin America", "Wages"]
