"""The enrichment writer stores a batch with a few statements, not a few per article.

``desktop.store.enrichment.apply_outputs`` folds stories, applies rules and writes
languages, fingerprints and story ids for a whole batch at once; each article must
still see every earlier article of its batch, as if they had been written one by
one. These tests compare a batch of everything against batches of one article, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.paths import resolve_data_dir
from tests.support.factories import add_source, entry, ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FEEDS = (
    "refresh/index-of-news.rss",
    "feeds/rssparser__uolNoticias.rss",
    "feeds/nnw__DaringFireball.atom",
    "feeds/kde__zeit.de.xml",
    "feeds/kde__tagesschau.de.xml",
    "refresh/bbc.xml",
)
COPIED = FEEDS[:3]


def _mirror(path: Path, into: Path) -> Path:
    """An aggregator's copy of ``path``: other guids and ids, tracking parameters on
    the links."""
    body = path.read_text(encoding="latin-1")  # any ASCII-compatible encoding, kept byte for byte
    body = re.sub(r"<guid([^>]*)>([^<]+)</guid>", r"<guid\1>mirror-\2</guid>", body)
    body = re.sub(r"<id>([^<]+)</id>", r"<id>mirror-\1</id>", body)
    body = re.sub(r"(<link>[^<?]+)(</link>)", r"\1?utm_source=mirror\2", body)
    body = re.sub(r'(<link[^>]* href="[^"?]+)(")', r"\1?utm_source=mirror\2", body)
    copy = into / f"mirror-{path.name}"
    copy.write_text(body, encoding="latin-1")
    return copy


@pytest.fixture(params=["sqlite", "postgres"])
def two_stores(request, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """Two empty stores of one kind, each with its own data folder."""
    from desktop.service import Newsdesk

    urls: list[str | None] = [None, None]
    admin = None
    if request.param == "postgres":
        from tests.support import postgres

        admin = request.getfixturevalue("postgres_admin_url")
        urls = [postgres.fresh_database(admin), postgres.fresh_database(admin)]
    desks = [Newsdesk.open(resolve_data_dir(tmp_path / f"d{i}"), url) for i, url in enumerate(urls)]
    try:
        yield desks[0], desks[1]
    finally:
        for desk in desks:
            desk.close()
        if admin is not None:
            from tests.support import postgres

            for url in urls:
                postgres.drop_database(admin, url)


def _load(desk: Any, tmp_path: Path) -> None:
    """Real feeds and aggregator copies of three of them, fetched one after the other
    (the same ids in every store), not enriched; a reader's marks on two originals
    and a rule, before enrichment runs."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = [FIXTURES / name for name in FEEDS]
    files += [_mirror(FIXTURES / name, tmp_path) for name in COPIED]
    for f in files:
        sid = add_source(desk, f.as_uri(), f.name)
        report = asyncio.run(desk.refresh([sid], pool="thread"))
        assert not report.failures and report.new_articles, f
    desk.add_rule(
        {
            "name": "Peru",
            "conditions": [{"field": "title", "op": "contains", "value": "Peru"}],
            "actions": [{"kind": "flag"}, {"kind": "tag", "value": "latam"}],
        }
    )
    originals = desk.db.read(
        lambda c: c.exec_driver_sql(
            "SELECT a.id FROM articles a JOIN sources s ON s.id = a.source_id "
            "WHERE s.title IN ('index-of-news.rss', 'nnw__DaringFireball.atom') ORDER BY a.id"
        ).fetchall()
    )
    desk.mark([originals[0][0]], "read", whole_story=False)
    desk.mark([originals[-1][0]], "archive", whole_story=False)


def _state(desk: Any) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Per article (source, entry key): its enrichment, its story's first article,
    its triage state and its machine tags."""
    rows = desk.db.read(
        lambda c: c.exec_driver_sql(
            "SELECT s.title, a.entry_key, a.language, a.title_language, a.fingerprint, "
            "a.enriched, hs.title, h.entry_key, t.read, t.flagged, t.archived, "
            "(SELECT count(*) FROM tags g WHERE g.article_id = a.id) "
            "FROM articles a JOIN sources s ON s.id = a.source_id "
            "JOIN articles h ON h.id = a.story_id JOIN sources hs ON hs.id = h.source_id "
            "JOIN triage t ON t.article_id = a.id"
        ).fetchall()
    )
    tags = desk.db.read(
        lambda c: c.exec_driver_sql(
            "SELECT s.title, a.entry_key, g.tag, g.origin FROM tags g "
            "JOIN articles a ON a.id = g.article_id JOIN sources s ON s.id = a.source_id"
        ).fetchall()
    )
    by_article: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for source, key, tag, origin in tags:
        by_article.setdefault((source, key), set()).add((tag, origin))
    return {(r[0], r[1]): (*r[2:], frozenset(by_article.get((r[0], r[1]), ()))) for r in rows}


def test_one_batch_stores_what_article_by_article_does(two_stores, tmp_path: Path) -> None:
    batched, single = two_stores
    _load(batched, tmp_path / "a")
    _load(single, tmp_path / "b")
    total = batched.db.read(lambda c: c.exec_driver_sql("SELECT count(*) FROM articles").scalar())
    assert total < 256  # one batch holds them all
    assert batched.enrich_pending(batch=256)[0] == total
    assert single.enrich_pending(batch=1)[0] == total
    got, want = _state(batched), _state(single)
    assert len(want) == total
    assert got == want
    # the comparison has teeth: copies folded inside the one batch, states followed,
    # the rule acted
    folded = [k for k, v in want.items() if (v[4], v[5]) != k]
    assert len(folded) >= 50
    assert any(v[6] for k, v in want.items() if k in folded)  # a copy arrived read
    assert any(v[8] for k, v in want.items() if k in folded)  # and one arrived archived
    assert sum(v[7] for v in want.values()) == 2  # the rule flagged both copies


def test_re_enrichment_keeps_stories_and_follows_the_batch(two_stores, tmp_path: Path) -> None:
    desk, _other = two_stores
    _load(desk, tmp_path)
    desk.enrich_pending(batch=64)
    before = _state(desk)
    desk.enrich_pending(redo_all=True, batch=256)
    assert _state(desk) == before


def test_an_article_deleted_meanwhile_is_skipped_not_fatal(store_desk) -> None:
    from desktop.enrich.pipeline import ENRICH_VERSION, enrich_batch
    from desktop.store import enrichment

    desk = store_desk
    src = add_source(desk, "https://example.org/feed", "Wire")
    ids = ingest(desk, src, [entry(f"k{i}", f"Harbour story {i}") for i in range(3)])
    items = desk.db.read(enrichment.pending_inputs, ENRICH_VERSION, 0, 10)
    outputs = enrich_batch(items, None)
    # a purge removes one article while its enrichment is being computed
    desk.db.write(lambda c: c.exec_driver_sql("DELETE FROM articles WHERE id = ?", (ids[1],)))
    desk.db.write(enrichment.apply_outputs, outputs, ENRICH_VERSION)
    left = desk.db.read(
        lambda c: c.exec_driver_sql("SELECT id, enriched FROM articles ORDER BY id").fetchall()
    )
    assert [tuple(r) for r in left] == [(ids[0], ENRICH_VERSION), (ids[2], ENRICH_VERSION)]
