"""Enrichment of one article: language, topics, story fingerprint and keys.

The same code path serves ingest (``enrich_batch`` in the CPU pool) and the
``classify`` command. The writer side, which needs the database (story
folding, rules, tags), lives in ``desktop.store.enrichment``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

ENRICH_VERSION = 2
"""Bump when models or enrichment logic change: stored articles below it get re-enriched."""


@dataclass(slots=True)
class EnrichInput:
    """What enrichment reads of a stored article."""

    id: int
    title: str
    text: str
    url: str | None = None
    guid: str | None = None
    categories: list[str] = field(default_factory=list)
    language_override: str | None = None


@dataclass(slots=True)
class EnrichOutput:
    """What enrichment found; the writer turns it into columns, tags and a story."""

    id: int
    language: str
    confidence: float
    title_language: str
    topics: list[tuple[str, float, str]]
    """(topic id, score, origin) with origin in 'model', 'rule', 'feed'."""
    fingerprint: int
    story_keys: list[str]


class Enricher:
    """Holds the loaded detector and tagger; build one per worker and reuse it.

    ``user_model`` is the file of the user's own topic model (learnt from their
    corrections), if any.
    """

    def __init__(self, user_model: str | None = None) -> None:
        from pathlib import Path

        from desktop.enrich.language import LanguageDetector
        from desktop.enrich.topics import TopicTagger

        self.detector = LanguageDetector()
        self.detector.load()
        self.tagger = TopicTagger.load(user_model=Path(user_model) if user_model else None)

    def run(self, items: Sequence[EnrichInput]) -> list[EnrichOutput]:
        """Enrich a batch (topics are tagged in one batched call)."""
        from desktop.enrich.stories import analyse

        langs = [self.detector.detect_article(i.title, i.text) for i in items]
        docs = [
            (i.title, i.text, lang.language, tuple(i.categories))
            for i, lang in zip(items, langs, strict=True)
        ]
        topic_lists = self.tagger.tag_many(docs)
        out: list[EnrichOutput] = []
        for item, lang, topics in zip(items, langs, topic_lists, strict=True):
            info = analyse(title=item.title, text=item.text, url=item.url, guid=item.guid)
            language = item.language_override or lang.language
            out.append(
                EnrichOutput(
                    id=item.id,
                    language=language,
                    confidence=1.0 if item.language_override else lang.confidence,
                    title_language=lang.title_language,
                    topics=[(t.topic, float(t.score), t.origin) for t in topics],
                    fingerprint=info.candidate.fingerprint,
                    story_keys=info.keys,
                )
            )
        return out

    def classify(self, title: str, body: str) -> dict[str, Any]:
        """The ``classify --json`` object for one document (body may be HTML)."""
        text = body_text(body)
        lang = self.detector.detect_article(title, text)
        topics = self.tagger.tag(title, text, lang.language, ())
        return {
            "language": lang.language,
            "language_confidence": round(float(lang.confidence), 4),
            "title_language": lang.title_language,
            "topics": [{"name": t.topic, "score": round(float(t.score), 4)} for t in topics],
        }


def body_text(body: str) -> str:
    """Plain text of a body that may be HTML, through the same cleaning as ingest."""
    from desktop.enrich.clean import html_to_text
    from desktop.enrich.sanitize import sanitize_html

    if "<" in body and ">" in body:
        return html_to_text(sanitize_html(body))
    return html_to_text(body)


@functools.lru_cache(maxsize=2)
def worker_enricher(user_model: str | None = None, stamp: float = 0.0) -> Enricher:
    """The per-process enricher, loaded once per worker and user-model version."""
    return Enricher(user_model)


def _model_stamp(user_model: str | None) -> float:
    import os

    try:
        return os.stat(user_model).st_mtime if user_model else 0.0
    except OSError:
        return 0.0


def enrich_batch(items: Sequence[EnrichInput], user_model: str | None = None) -> list[EnrichOutput]:
    """Pool entry point: enrich ``items`` with this process's enricher.

    A changed user-model file (newer modification time) is picked up.
    """
    return worker_enricher(user_model, _model_stamp(user_model)).run(items)


def classify_documents(docs: Iterable[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    """Classify (title, body) pairs in input order."""
    enricher = Enricher()
    for title, body in docs:
        yield enricher.classify(title, body)
