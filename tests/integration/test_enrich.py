"""Enrichment end to end: the seed feed through fetch, languages, topics, stories, rules.

Tests taking ``store_desk`` (story folding, user tags against the model, rules) run on
SQLite and on PostgreSQL; the language and topic checks are about the classifiers, not
the store, and stay on SQLite."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from desktop.store.queries import ArticleQuery
from tests.support.cli import run, run_json
from tests.support.factories import add_source

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "refresh"
EXPECT = json.loads((FEEDS / "index-of-news.expect.json").read_text(encoding="utf-8"))["items"]


def _load_seed(desk, url: str | None = None) -> int:
    sid = add_source(desk, url or (FEEDS / "index-of-news.rss").as_uri(), "Index of News")
    report = asyncio.run(desk.refresh([sid], pool="thread"))
    assert report.new_articles == 7, report.failures
    count, _ = desk.enrich_pending()
    assert count == 7
    return sid


def _by_guid(desk) -> dict[str, dict]:
    rows = desk.list_articles(ArticleQuery(view="all"))
    return {desk.article(r.id)["guid"]: desk.article(r.id) for r in rows}


def test_seed_languages_body_and_headline(desk) -> None:
    _load_seed(desk)
    got = _by_guid(desk)
    for item in EXPECT:
        art = got[item["guid"]]
        assert art["language"] == item["body_language"], (item["title"], art["language"])
        assert art["title_language"] == item["title_language"], item["title"]


def test_seed_topics_agree_with_the_editor(desk) -> None:
    from desktop.enrich.topics import load_taxonomy

    _load_seed(desk)
    got = _by_guid(desk)
    aliases: dict[str, str] = {}
    for topic in load_taxonomy():
        aliases[topic.id] = topic.id
        for alias in getattr(topic, "aliases", ()) or ():
            aliases[alias] = topic.id
    hits = total = 0
    for item in EXPECT:
        expected = {aliases.get(t, t) for t in item["topics"]}
        tagged = {aliases.get(t, t) for t in got[item["guid"]]["topics"]}
        hits += len(expected & tagged)
        total += len(expected)
    # The editor's tags are a target, not an exact-match requirement: most must be found.
    assert hits / total >= 0.7, f"{hits}/{total} expected topics found"


def test_copies_from_two_sources_fold_into_one_story(store_desk, tmp_path: Path) -> None:
    desk = store_desk
    _load_seed(desk)
    body = (FEEDS / "index-of-news.rss").read_text(encoding="utf-8")
    # An aggregator copy: other guids, tracking parameters on the links.
    mirror = re.sub(r"<guid[^>]*>([^<]+)</guid>", r"<guid>mirror-\1</guid>", body)
    mirror = re.sub(r"(<link>[^<?]+)(</link>)", r"\1?utm_source=rss&utm_medium=feed\2", mirror)
    copy = tmp_path / "mirror.rss"
    copy.write_text(mirror, encoding="utf-8")
    sid = add_source(desk, copy.as_uri(), "Mirror")
    asyncio.run(desk.refresh([sid], pool="thread"))
    desk.enrich_pending()
    rows = desk.list_articles(ArticleQuery(view="all", limit=100))
    assert len(rows) == 14
    stories = {r.story_id for r in rows}
    assert len(stories) == 7
    # triage of the story applies to every copy
    first = rows[0]
    changes = desk.mark([first.id], "archive")
    assert len(changes.article_ids) == 2


def test_user_tags_win_over_the_model_across_re_enrichment(store_desk) -> None:
    desk = store_desk
    _load_seed(desk)
    art = next(iter(_by_guid(desk).values()))
    model_tag = art["topics"][0] if art["topics"] else None
    desk.tag([art["id"]], "my-topic", True)
    if model_tag:
        desk.tag([art["id"]], model_tag, False)
    desk.enrich_pending(redo_all=True)
    after = desk.article(art["id"])
    assert "my-topic" in after["topics"]
    if model_tag:
        assert model_tag not in after["topics"]
        assert {
            "name": model_tag,
            "origin": "user",
            "score": None,
            "removed": True,
            "by": desk.user,
        } in after["tags"]


def test_rules_at_ingest_and_on_demand(store_desk) -> None:
    desk = store_desk
    from desktop.service import UserError

    with pytest.raises(UserError, match="regular expression"):
        desk.add_rule(
            {
                "name": "Broken",
                "conditions": [{"field": "title", "op": "matches", "value": "("}],
                "actions": [{"kind": "flag"}],
            }
        )
    desk.add_rule(
        {
            "name": "Peru",
            "conditions": [{"field": "title", "op": "contains", "value": "Peru"}],
            "actions": [{"kind": "tag", "value": "latam"}, {"kind": "flag"}],
        }
    )
    _load_seed(desk)
    flagged = desk.list_articles(ArticleQuery(view="flagged"))
    assert [r.title for r in flagged] == ["Inflation in Peru has reached a 13-year high"]
    assert "latam" in flagged[0].topics
    desk.add_rule(
        {
            "name": "Archive wages",
            "conditions": [{"field": "title", "op": "contains", "value": "wages"}],
            "actions": [{"kind": "archive"}],
        }
    )
    changes = desk.apply_rules()
    assert len(changes.article_ids) == 1
    desk.undo()
    assert desk.list_articles(ArticleQuery(view="archived")) == []


def test_classify_cli_contract(tmp_path: Path) -> None:
    lines = [
        {
            "title": "Inflation in Peru has reached a 13-year high",
            "body": "Инфлацията в Перу достигна най-високото си ниво от 13 години насам, "
            "съобщи централната банка на страната в понеделник.",
        },
        {"title": "", "body": ""},
        {
            "title": "Bundestag debattiert",
            "body": "<p>Der Bundestag hat am Donnerstag über "
            "das neue Gesetz zur Energiepolitik beraten.</p>",
        },
    ]
    out = run(
        tmp_path / "d",
        "classify",
        "--json",
        input="\n".join(json.dumps(x, ensure_ascii=False) for x in lines),
    ).stdout
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 3
    for r in results:
        assert set(r) >= {"language", "language_confidence", "title_language", "topics"}
        scores = [t["score"] for t in r["topics"]]
        assert scores == sorted(scores, reverse=True)
        assert all(set(t) == {"name", "score"} for t in r["topics"])
    assert (results[0]["language"], results[0]["title_language"]) == ("bg", "en")
    assert results[1]["language"] == "und"
    assert results[2]["language"] == "de"
    plain = run(tmp_path / "d", "classify", input="Der Bundestag hat heute beraten.").stdout
    assert "language de" in plain


def test_cli_fetch_enriches_and_filters(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "add", str(FEEDS / "index-of-news.rss"))
    out = run(data, "fetch").stdout
    assert "enriched 7" in out
    bulgarian = run_json(data, "list", "--lang", "bg", "--json")
    assert [r["title"] for r in bulgarian] == ["Inflation in Peru has reached a 13-year high"]
    assert all(r["story_id"] is not None for r in run_json(data, "list", "--json"))
    topics = {t for r in run_json(data, "list", "--json") for t in r["topics"]}
    assert topics
    some = sorted(topics)[0]
    assert all(some in r["topics"] for r in run_json(data, "list", "--topic", some, "--json"))
    assert "enriched 7" in run(data, "enrich", "--all").stdout


def test_corrections_teach_the_users_model(desk) -> None:
    """A tag the user adds becomes a label; the refitted model is used by enrichment."""
    _load_seed(desk)
    rows = desk.list_articles(ArticleQuery(view="all"))
    desk.tag([rows[0].id, rows[1].id], "watchlist", True)
    assert desk.learn_from_labels() is True
    assert desk.paths.topic_model.exists()
    assert desk.learn_from_labels() is False  # nothing new to learn
    desk.tag([rows[2].id], "watchlist", True)
    assert desk.learn_from_labels() is True
