"""Schema version 1: sources, articles, triage, tags, stories, log, rules, FTS5."""

SQL = """
-- Newsdesk schema version 1.
-- Triage state lives in its own table so that a refetch (which rewrites an
-- article's content) can never touch it; tags carry their origin.

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL DEFAULT '',
    folder          TEXT,
    site_url        TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    refresh_minutes INTEGER,
    username        TEXT,
    remote_images   INTEGER NOT NULL DEFAULT 0,
    full_article    INTEGER NOT NULL DEFAULT 0,
    language        TEXT,
    etag            TEXT,
    last_modified   TEXT,
    created_at      TEXT    NOT NULL,
    last_fetch      TEXT,
    last_success    TEXT,
    last_error      TEXT,
    last_error_at   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_fetch_at   TEXT
);
CREATE INDEX ix_sources_folder ON sources(folder);

CREATE TABLE articles (
    id                  INTEGER PRIMARY KEY,
    source_id           INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    entry_key           TEXT    NOT NULL,
    guid                TEXT,
    url                 TEXT,
    canonical_url       TEXT,
    title               TEXT    NOT NULL DEFAULT '',
    author              TEXT,
    published           TEXT    NOT NULL,
    updated             TEXT,
    fetched_at          TEXT    NOT NULL,
    content_html        TEXT    NOT NULL DEFAULT '',
    text                TEXT    NOT NULL DEFAULT '',
    content_hash        TEXT    NOT NULL DEFAULT '',
    categories          TEXT,
    feed_language       TEXT,
    language            TEXT,
    language_confidence REAL,
    title_language      TEXT,
    fingerprint         INTEGER,
    story_id            INTEGER,
    enriched            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, entry_key)
);
CREATE INDEX ix_articles_published ON articles(published DESC, id DESC);
CREATE INDEX ix_articles_source_published ON articles(source_id, published DESC, id DESC);
CREATE INDEX ix_articles_language_published ON articles(language, published DESC, id DESC);
CREATE INDEX ix_articles_story ON articles(story_id);
CREATE INDEX ix_articles_enriched ON articles(enriched);

CREATE TABLE triage (
    article_id  INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    read        INTEGER NOT NULL DEFAULT 0,
    flagged     INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0,
    changed_at  TEXT
);
CREATE INDEX ix_triage_flagged ON triage(article_id) WHERE flagged = 1;
CREATE INDEX ix_triage_unread ON triage(article_id) WHERE read = 0 AND archived = 0;
CREATE INDEX ix_triage_archived ON triage(article_id) WHERE archived = 1;

CREATE TABLE tags (
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    score       REAL,
    removed     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (article_id, tag)
) WITHOUT ROWID;
CREATE INDEX ix_tags_tag ON tags(tag, article_id) WHERE removed = 0;

CREATE TABLE story_keys (
    key       TEXT    PRIMARY KEY,
    story_id  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE triage_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    payload     TEXT    NOT NULL,
    undone      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    definition  TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL
);

CREATE TABLE tombstones (
    source_id   INTEGER NOT NULL,
    entry_key   TEXT    NOT NULL,
    purged_at   TEXT    NOT NULL,
    PRIMARY KEY (source_id, entry_key)
) WITHOUT ROWID;

CREATE TABLE saved_searches (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    query       TEXT    NOT NULL
);

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
"""

POSTGRES_SQL = """
CREATE TABLE sources (
    id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    url             TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL DEFAULT '',
    folder          TEXT,
    site_url        TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    refresh_minutes INTEGER,
    username        TEXT,
    remote_images   INTEGER NOT NULL DEFAULT 0,
    full_article    INTEGER NOT NULL DEFAULT 0,
    language        TEXT,
    etag            TEXT,
    last_modified   TEXT,
    created_at      TEXT    NOT NULL,
    last_fetch      TEXT,
    last_success    TEXT,
    last_error      TEXT,
    last_error_at   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_fetch_at   TEXT
);
CREATE INDEX ix_sources_folder ON sources(folder);

CREATE TABLE articles (
    id                  BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    source_id           BIGINT  NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    entry_key           TEXT    NOT NULL,
    guid                TEXT,
    url                 TEXT,
    canonical_url       TEXT,
    title               TEXT    NOT NULL DEFAULT '',
    author              TEXT,
    published           TEXT    NOT NULL,
    updated             TEXT,
    fetched_at          TEXT    NOT NULL,
    content_html        TEXT    NOT NULL DEFAULT '',
    text                TEXT    NOT NULL DEFAULT '',
    content_hash        TEXT    NOT NULL DEFAULT '',
    categories          TEXT,
    feed_language       TEXT,
    language            TEXT,
    language_confidence DOUBLE PRECISION,
    title_language      TEXT,
    fingerprint         BIGINT,
    story_id            BIGINT,
    enriched            INTEGER NOT NULL DEFAULT 0,
    -- search: what FTS5's articles_fts is on SQLite
    search              TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', title || ' ' || text)) STORED,
    UNIQUE (source_id, entry_key)
);
CREATE INDEX ix_articles_published ON articles(published DESC, id DESC);
CREATE INDEX ix_articles_source_published ON articles(source_id, published DESC, id DESC);
CREATE INDEX ix_articles_language_published ON articles(language, published DESC, id DESC);
CREATE INDEX ix_articles_story ON articles(story_id);
CREATE INDEX ix_articles_enriched ON articles(enriched);
CREATE INDEX ix_articles_search ON articles USING GIN (search);

CREATE TABLE triage (
    article_id  BIGINT  PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    read        INTEGER NOT NULL DEFAULT 0,
    flagged     INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0,
    changed_at  TEXT
);
CREATE INDEX ix_triage_flagged ON triage(article_id) WHERE flagged = 1;
CREATE INDEX ix_triage_unread ON triage(article_id) WHERE read = 0 AND archived = 0;
CREATE INDEX ix_triage_archived ON triage(article_id) WHERE archived = 1;

CREATE TABLE tags (
    article_id  BIGINT  NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    score       DOUBLE PRECISION,
    removed     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (article_id, tag)
);
CREATE INDEX ix_tags_tag ON tags(tag, article_id) WHERE removed = 0;

CREATE TABLE story_keys (
    key       TEXT    PRIMARY KEY,
    story_id  BIGINT  NOT NULL
);

CREATE TABLE triage_log (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at          TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    payload     TEXT    NOT NULL,
    undone      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rules (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    definition  TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL
);

CREATE TABLE tombstones (
    source_id   BIGINT  NOT NULL,
    entry_key   TEXT    NOT NULL,
    purged_at   TEXT    NOT NULL,
    PRIMARY KEY (source_id, entry_key)
);

CREATE TABLE saved_searches (
    id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    query       TEXT    NOT NULL
);
"""
