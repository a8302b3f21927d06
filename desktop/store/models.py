"""SQLModel tables mirroring the migrated schema (see ``migrations``).

The DDL lives in the migrations; these classes are how Python code reads and
writes rows. ``tests/unit/test_schema.py`` checks that both agree.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Source(SQLModel, table=True):
    __tablename__ = "sources"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True)
    title: str = ""
    folder: str | None = None
    site_url: str | None = None
    enabled: bool = True
    refresh_minutes: int | None = None
    username: str | None = None
    remote_images: bool = False
    full_article: bool = False
    language: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    created_at: str
    last_fetch: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    failures: int = 0
    next_fetch_at: str | None = None


class Article(SQLModel, table=True):
    __tablename__ = "articles"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id")
    entry_key: str
    guid: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    title: str = ""
    author: str | None = None
    published: str
    updated: str | None = None
    fetched_at: str
    content_html: str = ""
    text: str = ""
    content_hash: str = ""
    categories: str | None = None
    feed_language: str | None = None
    language: str | None = None
    language_confidence: float | None = None
    title_language: str | None = None
    fingerprint: int | None = None
    story_id: int | None = None
    enriched: int = 0


class Person(SQLModel, table=True):
    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: str
    backfill_left: int | None = None


class Triage(SQLModel, table=True):
    __tablename__ = "triage"

    article_id: int = Field(primary_key=True, foreign_key="articles.id")
    person_id: int = Field(primary_key=True, foreign_key="people.id")
    read: bool = False
    flagged: bool = False
    archived: bool = False
    hidden: bool = False
    changed_at: str | None = None


class Tag(SQLModel, table=True):
    __tablename__ = "tags"

    article_id: int = Field(primary_key=True, foreign_key="articles.id")
    tag: str = Field(primary_key=True)
    origin: str
    score: float | None = None
    removed: bool = False
    created_at: str
    person_id: int | None = None
    """Always None since v7 (this table holds machine tags only; see ``UserTag``)."""


class UserTag(SQLModel, table=True):
    """One person's word on one article's tag (v7): added (removed False) or removed."""

    __tablename__ = "user_tags"

    article_id: int = Field(primary_key=True, foreign_key="articles.id")
    tag: str = Field(primary_key=True)
    person_id: int = Field(primary_key=True, foreign_key="people.id")
    removed: bool = False
    created_at: str


class StoryKey(SQLModel, table=True):
    __tablename__ = "story_keys"

    key: str = Field(primary_key=True)
    story_id: int


class TriageLog(SQLModel, table=True):
    __tablename__ = "triage_log"

    id: int | None = Field(default=None, primary_key=True)
    at: str
    action: str
    description: str = ""
    payload: str
    undone: int = 0
    person_id: int | None = Field(default=None, foreign_key="people.id")


class RuleRow(SQLModel, table=True):
    __tablename__ = "rules"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    definition: str
    enabled: bool = True
    position: int = 0
    created_at: str


class Tombstone(SQLModel, table=True):
    __tablename__ = "tombstones"

    source_id: int = Field(primary_key=True)
    entry_key: str = Field(primary_key=True)
    purged_at: str


class SavedSearch(SQLModel, table=True):
    __tablename__ = "saved_searches"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    query: str


class FullArticle(SQLModel, table=True):
    __tablename__ = "full_articles"

    article_id: int = Field(primary_key=True, foreign_key="articles.id")
    fetched_at: str
    chars: int = 0
    error: str | None = None
