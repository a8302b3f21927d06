"""Schema version 8: search finds Arabic and Hebrew words with or without points.

Writers may or may not add Arabic harakat (and tatweel) or Hebrew vowel points
and cantillation to the same word. The query side drops them
(``desktop.words.strip_points``); from this version the index holds the text
without them too:

* SQLite: the ``articles_fts`` triggers index ``strip_points(title)`` and
  ``strip_points(text)``, a Python function every Newsdesk connection registers
  (``store.db.add_functions``; a connection without it, such as the ``sqlite3``
  shell, cannot insert, delete or retitle articles any more, and reads as
  before). The index keeps ``articles`` as its external content, so FTS5's
  ``'integrity-check'`` with rank 1 and ``'rebuild'`` see the pointed text: not
  what is indexed for the articles that carry points. Only the articles whose
  title or text holds a point are re-indexed here (each is deleted from the
  index with the pointed text it was indexed with, and added without points):
  the others index the same as before, and a full rebuild at a million articles
  would hold the migration for minutes.
* PostgreSQL: the generated ``articles.search`` column becomes
  ``to_tsvector('simple', regexp_replace(title || ' ' || text, <points>, '', 'g'))``
  (a generated expression cannot be altered in PostgreSQL 15: the column and its
  GIN index are dropped and added again, which rewrites the table once).
  ``regexp_replace`` rather than ``translate``: translate compares each character
  with every point, about seven times the cost of ``to_tsvector`` itself.

:data:`POINTS` is this version's copy of ``desktop.words._POINTS``, frozen with
the schema: a test checks they agree (changing the points needs a migration that
re-indexes both stores).
"""

POINTS: tuple[tuple[int, int], ...] = (
    (0x0591, 0x05BD),
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0610, 0x061A),
    (0x0640, 0x0640),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
)
"""Code point ranges removed from indexed text (inclusive), as of this version."""


def _regex_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """A PostgreSQL ``E''`` literal of a regex bracket expression over ``ranges``
    (``\\uXXXX`` escapes: the SQL stays ASCII and the literal means the same
    whatever ``standard_conforming_strings`` says)."""
    body = "".join(
        f"\\\\u{lo:04X}-\\\\u{hi:04X}" if lo != hi else f"\\\\u{lo:04X}" for lo, hi in ranges
    )
    return f"E'[{body}]'"


SQL = """
DROP TRIGGER IF EXISTS articles_fts_ai;
DROP TRIGGER IF EXISTS articles_fts_ad;
DROP TRIGGER IF EXISTS articles_fts_au;

-- Re-index the articles with points (the others index the same without the function).
CREATE TEMP TABLE fts_pointed AS
SELECT id FROM articles WHERE strip_points(title) != title OR strip_points(text) != text;
INSERT INTO articles_fts (articles_fts, rowid, title, text)
SELECT 'delete', a.id, a.title, a.text
FROM temp.fts_pointed p JOIN articles a ON a.id = p.id ORDER BY a.id;
INSERT INTO articles_fts (rowid, title, text)
SELECT a.id, strip_points(a.title), strip_points(a.text)
FROM temp.fts_pointed p JOIN articles a ON a.id = p.id ORDER BY a.id;
DROP TABLE temp.fts_pointed;

CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, strip_points(new.title), strip_points(new.text));
END;
CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, strip_points(old.title), strip_points(old.text));
END;
CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, strip_points(old.title), strip_points(old.text));
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, strip_points(new.title), strip_points(new.text));
END;
"""

POSTGRES_SQL = f"""
ALTER TABLE articles DROP COLUMN search;
ALTER TABLE articles ADD COLUMN search TSVECTOR GENERATED ALWAYS AS (
    to_tsvector('simple', regexp_replace(title || ' ' || text, {_regex_class(POINTS)}, '', 'g'))
) STORED;
CREATE INDEX ix_articles_search ON articles USING GIN (search);
"""
