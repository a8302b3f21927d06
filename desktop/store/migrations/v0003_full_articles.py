"""Schema version 3: remember full-article extractions, so each is fetched once."""

SQL = """
CREATE TABLE IF NOT EXISTS full_articles (
    article_id  INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    fetched_at  TEXT    NOT NULL,
    chars       INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
"""

POSTGRES_SQL = """
CREATE TABLE IF NOT EXISTS full_articles (
    article_id  BIGINT  PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    fetched_at  TEXT    NOT NULL,
    chars       INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
"""
