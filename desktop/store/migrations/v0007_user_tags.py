"""Schema version 7: a user's tag words are per person (on top of v6, people).

Until v6 ``tags`` held the machine's tags (origin 'model', 'feed', 'rule') and
the user's words (origin 'user', ``removed`` 0 or 1) in one row per
``(article_id, tag)``: a word *replaced* the machine row and ``person_id`` only
said who spoke last, so alice's word silently overrode bob's.

* ``user_tags (article_id, tag, person_id, removed, created_at)``, keyed by
  ``(article_id, tag, person_id)`` (WITHOUT ROWID), holds every person's words:
  removed = 0 "this tag applies" (an addition), removed = 1 "it does not" (a
  removal). ``ix_user_tags_person (person_id, tag, article_id)`` serves
  ``list --tagged-by`` and a person's count deltas; the primary key serves the
  per-article look-ups of the topic filter and of a page's tags.
* ``tags`` now holds machine tags only (its ``removed`` column stays 0 and
  ``person_id`` NULL; both are kept so that v2's partial index and count
  triggers stay as they are). A user's word never deletes or changes a machine
  row any more: a removal can be taken back per person, and the others still
  see the machine's tag. ``tag_counts`` (v2) therefore counts machine rows
  only; a person's topic counts add their own words at read time
  (``desktop.store.tagging``).
* Every ``origin = 'user'`` row moves to ``user_tags`` under its
  ``person_id``; a row without one (or naming nobody) goes to the person
  running the migration (``migration_context``), created here, with a triage
  backfill to run, when they do not exist yet. The machine row a v6 word had
  replaced was already gone; the next re-enrichment (``enrich --all``) brings
  it back.
* On PostgreSQL ``user_tags`` gets v5's statement-level ``notify_*`` triggers
  (kind ``tags``), so a tag word still reaches every other window.

Effective tags of person P on article A: A's machine tags that P did not
remove, plus the tags P added. Others' additions are shown attributed ("crypto
— alice") but are not P's: P's topic filter and topic counts ignore them.
"""

SQL = """
CREATE TABLE user_tags (
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    removed     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (article_id, tag, person_id)
) WITHOUT ROWID;
CREATE INDEX ix_user_tags_person ON user_tags(person_id, tag, article_id);

-- a word without a (known) person goes to the one migrating (none exist after v6)
INSERT INTO people (name, created_at, backfill_left)
SELECT coalesce((SELECT name FROM temp.migration_context), 'owner'),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT max(id) FROM articles)
WHERE EXISTS (SELECT 1 FROM tags g WHERE g.origin = 'user'
              AND NOT EXISTS (SELECT 1 FROM people p WHERE p.id = g.person_id))
ON CONFLICT (name) DO NOTHING;

INSERT INTO user_tags (article_id, tag, person_id, removed, created_at)
SELECT g.article_id, g.tag,
       coalesce((SELECT p.id FROM people p WHERE p.id = g.person_id),
                (SELECT p.id FROM people p
                 WHERE p.name = coalesce((SELECT name FROM temp.migration_context), 'owner'))),
       g.removed, g.created_at
FROM tags g WHERE g.origin = 'user' ORDER BY g.article_id, g.tag;

DELETE FROM tags WHERE origin = 'user';
"""

POSTGRES_SQL = """
CREATE TABLE user_tags (
    article_id  BIGINT  NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    person_id   BIGINT  NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    removed     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (article_id, tag, person_id)
);
CREATE INDEX ix_user_tags_person ON user_tags(person_id, tag, article_id);

INSERT INTO people (name, created_at, backfill_left)
SELECT coalesce((SELECT name FROM migration_context), 'owner'),
       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       (SELECT max(id) FROM articles)
WHERE EXISTS (SELECT 1 FROM tags g WHERE g.origin = 'user'
              AND NOT EXISTS (SELECT 1 FROM people p WHERE p.id = g.person_id))
ON CONFLICT (name) DO NOTHING;

INSERT INTO user_tags (article_id, tag, person_id, removed, created_at)
SELECT g.article_id, g.tag,
       coalesce((SELECT p.id FROM people p WHERE p.id = g.person_id),
                (SELECT p.id FROM people p
                 WHERE p.name = coalesce((SELECT name FROM migration_context), 'owner'))),
       g.removed, g.created_at
FROM tags g WHERE g.origin = 'user';

DELETE FROM tags WHERE origin = 'user';

CREATE TRIGGER notify_user_tags_ins AFTER INSERT ON user_tags
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('tags');

CREATE TRIGGER notify_user_tags_upd AFTER UPDATE ON user_tags
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('tags');

CREATE TRIGGER notify_user_tags_del AFTER DELETE ON user_tags
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('tags');
"""
