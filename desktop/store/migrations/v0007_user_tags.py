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
* ``user_tag_counts (person_id, tag, n)``: what a person's words change in
  the shared counts, kept by triggers on ``user_tags`` *and* on ``tags``
  (a word counts +1 when it adds a tag the machine does not give the
  article, -1 when it removes one the machine gives, 0 otherwise; a machine
  row arriving or leaving moves every word on its ``(article, tag)`` by one).
  A person's sidebar topic count is ``tag_counts`` + their ``user_tag_counts``
  less their hidden articles' share: a few rows, not one probe per word. On
  PostgreSQL an article's words are deleted before the article (a ``BEFORE
  DELETE`` trigger), so their counts are taken while its machine rows exist;
  SQLite runs each cascaded row's triggers at once and needs none.
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

CREATE TABLE user_tag_counts (
    person_id  INTEGER NOT NULL,
    tag        TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (person_id, tag)
) WITHOUT ROWID;

INSERT INTO user_tag_counts (person_id, tag, n)
SELECT u.person_id, u.tag, sum(CASE WHEN u.removed = 0 THEN 1 ELSE -1 END) FROM user_tags u
WHERE (u.removed = 0) != EXISTS (SELECT 1 FROM tags g WHERE g.article_id = u.article_id
                                 AND g.tag = u.tag AND g.removed = 0)
GROUP BY u.person_id, u.tag;

-- a word counts when it adds what the machine lacks (+1) or removes what it gives (-1)
CREATE TRIGGER user_tag_counts_ai AFTER INSERT ON user_tags
WHEN (new.removed = 0) != EXISTS (SELECT 1 FROM tags g WHERE g.article_id = new.article_id
                                  AND g.tag = new.tag AND g.removed = 0)
BEGIN
    INSERT INTO user_tag_counts (person_id, tag, n)
    VALUES (new.person_id, new.tag, CASE WHEN new.removed = 0 THEN 1 ELSE -1 END)
    ON CONFLICT (person_id, tag) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER user_tag_counts_ad AFTER DELETE ON user_tags
WHEN (old.removed = 0) != EXISTS (SELECT 1 FROM tags g WHERE g.article_id = old.article_id
                                  AND g.tag = old.tag AND g.removed = 0)
BEGIN
    UPDATE user_tag_counts SET n = n - (CASE WHEN old.removed = 0 THEN 1 ELSE -1 END)
    WHERE person_id = old.person_id AND tag = old.tag;
END;

-- a change of word moves the count by 2 (-1 to +1 or back) or not at all
CREATE TRIGGER user_tag_counts_au AFTER UPDATE OF removed ON user_tags
WHEN old.removed != new.removed
BEGIN
    INSERT INTO user_tag_counts (person_id, tag, n)
    SELECT new.person_id, new.tag, CASE WHEN new.removed = 0 THEN 1 ELSE -1 END
    WHERE NOT EXISTS (SELECT 1 FROM tags g WHERE g.article_id = new.article_id
                      AND g.tag = new.tag AND g.removed = 0) = (new.removed = 0)
    ON CONFLICT (person_id, tag) DO UPDATE SET n = n + excluded.n;
    UPDATE user_tag_counts SET n = n - (CASE WHEN old.removed = 0 THEN 1 ELSE -1 END)
    WHERE person_id = old.person_id AND tag = old.tag
      AND NOT EXISTS (SELECT 1 FROM tags g WHERE g.article_id = old.article_id
                      AND g.tag = old.tag AND g.removed = 0) = (old.removed = 0);
END;

-- a machine row arriving: every word on it counts one less (+1 → 0, 0 → -1); leaving: one more
CREATE TRIGGER user_tag_counts_tags_ai AFTER INSERT ON tags WHEN new.removed = 0 BEGIN
    INSERT INTO user_tag_counts (person_id, tag, n)
    SELECT u.person_id, u.tag, -1 FROM user_tags u
    WHERE u.article_id = new.article_id AND u.tag = new.tag
    ON CONFLICT (person_id, tag) DO UPDATE SET n = n - 1;
END;

CREATE TRIGGER user_tag_counts_tags_ad AFTER DELETE ON tags WHEN old.removed = 0 BEGIN
    INSERT INTO user_tag_counts (person_id, tag, n)
    SELECT u.person_id, u.tag, 1 FROM user_tags u
    WHERE u.article_id = old.article_id AND u.tag = old.tag
    ON CONFLICT (person_id, tag) DO UPDATE SET n = n + 1;
END;
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

CREATE TABLE user_tag_counts (
    person_id  BIGINT  NOT NULL,
    tag        TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (person_id, tag)
);

INSERT INTO user_tag_counts (person_id, tag, n)
SELECT u.person_id, u.tag, sum(CASE WHEN u.removed = 0 THEN 1 ELSE -1 END) FROM user_tags u
WHERE (u.removed = 0) != EXISTS (SELECT 1 FROM tags g WHERE g.article_id = u.article_id
                                 AND g.tag = u.tag AND g.removed = 0)
GROUP BY u.person_id, u.tag;

-- the count of one word: +1 adds what the machine lacks, -1 removes what it gives
CREATE FUNCTION nd_user_word_count(p_article BIGINT, p_tag TEXT, p_removed INTEGER)
RETURNS INTEGER LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_removed = 0 AND NOT m THEN 1 WHEN p_removed != 0 AND m THEN -1
                ELSE 0 END
    FROM (SELECT EXISTS (SELECT 1 FROM tags g WHERE g.article_id = p_article
                         AND g.tag = p_tag AND g.removed = 0) AS m) e
$$;

CREATE FUNCTION nd_user_tag_count_add(p_person BIGINT, p_tag TEXT, p_delta INTEGER)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_delta != 0 THEN
        INSERT INTO user_tag_counts AS c (person_id, tag, n) VALUES (p_person, p_tag, p_delta)
        ON CONFLICT (person_id, tag) DO UPDATE SET n = c.n + p_delta;
    END IF;
END $$;

CREATE FUNCTION nd_user_tag_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        PERFORM nd_user_tag_count_add(OLD.person_id, OLD.tag,
                                      -nd_user_word_count(OLD.article_id, OLD.tag, OLD.removed));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM nd_user_tag_count_add(NEW.person_id, NEW.tag,
                                      nd_user_word_count(NEW.article_id, NEW.tag, NEW.removed));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER user_tag_counts_ai AFTER INSERT ON user_tags
FOR EACH ROW EXECUTE FUNCTION nd_user_tag_counts();

CREATE TRIGGER user_tag_counts_ad AFTER DELETE ON user_tags
FOR EACH ROW EXECUTE FUNCTION nd_user_tag_counts();

CREATE TRIGGER user_tag_counts_au AFTER UPDATE OF removed ON user_tags
FOR EACH ROW WHEN (OLD.removed != NEW.removed) EXECUTE FUNCTION nd_user_tag_counts();

-- Machine rows arriving: every word on them counts one less; leaving: one more. One
-- set-based statement per INSERT/DELETE statement (an ingest writes hundreds of thousands
-- of machine rows, nearly all on articles nobody spoke about: a row trigger cost a PL/pgSQL
-- call each, on the server every client shares). Count rows are taken in (person, tag)
-- order, as everywhere, so concurrent statements cannot deadlock on them.
CREATE FUNCTION nd_user_tag_counts_machine() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO user_tag_counts (person_id, tag, n)
        SELECT u.person_id, u.tag, count(*) FROM old_rows o
        JOIN user_tags u ON u.article_id = o.article_id AND u.tag = o.tag
        WHERE o.removed = 0
        GROUP BY u.person_id, u.tag ORDER BY u.person_id, u.tag
        ON CONFLICT (person_id, tag) DO UPDATE SET n = user_tag_counts.n + excluded.n;
    ELSE
        INSERT INTO user_tag_counts (person_id, tag, n)
        SELECT u.person_id, u.tag, -count(*) FROM new_rows o
        JOIN user_tags u ON u.article_id = o.article_id AND u.tag = o.tag
        WHERE o.removed = 0
        GROUP BY u.person_id, u.tag ORDER BY u.person_id, u.tag
        ON CONFLICT (person_id, tag) DO UPDATE SET n = user_tag_counts.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER user_tag_counts_tags_ai AFTER INSERT ON tags
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_user_tag_counts_machine();

CREATE TRIGGER user_tag_counts_tags_ad AFTER DELETE ON tags
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_user_tag_counts_machine();

-- An article's deletion cascades to its tags and words alike, and PostgreSQL runs the row
-- triggers of both only after both are gone: a word's count would then be taken without
-- its machine row. The words go first, while the machine rows are still there.
CREATE FUNCTION nd_user_tags_articles_bd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_tags WHERE article_id = OLD.id;
    RETURN OLD;
END $$;

CREATE TRIGGER user_tags_articles_bd BEFORE DELETE ON articles
FOR EACH ROW EXECUTE FUNCTION nd_user_tags_articles_bd();

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
