"""Schema version 6: people, and triage state per person (on top of v5, notify).

* ``people``: one row per name (``--user``, ``$NEWSDESK_USER`` or the login
  name); ``backfill_left`` tracks the creation of a new person's triage rows
  (see ``desktop.store.people``).
* ``triage`` is keyed by ``(article_id, person_id)``. Existing rows become
  the rows of person 1, named after the user who runs the migration (read
  from ``migration_context``, a temporary table the caller fills). A database
  without any triage, log, account or user tag gets no person here: the
  first one to open it is created then.
* ``triage_log.person_id``: undo and redo only ever touch one's own actions.
* ``tags.person_id``: who set a user tag (NULL for feed, rule and model tags).
* ``article_counts`` gains ``person_id`` (read, flagged, archived and hidden
  are per person) and keeps v5's ``slot`` (the writer's server process id
  modulo ``COUNT_SLOTS`` on PostgreSQL, always 0 on SQLite): the key is
  ``(person_id, source_id, language, read, flagged, archived, hidden, slot)``
  and readers sum over slots. ``tag_counts`` stays shared, like the tags.
* ``accounts.person_id``: whose triage an account syncs; the outbox triggers
  queue only that person's changes.
* ``counts_guard``: like ``sync_guard``, set only within a transaction that
  backfills a new person's triage rows and counts them with one ``GROUP BY``
  instead of one trigger call per row.

On SQLite ``triage`` and ``article_counts`` are rebuilt (WITHOUT ROWID, every
row copied); on PostgreSQL they are altered in place, and the count functions
are redefined per person keeping v5's slot and fixed lock order (the two count
rows of a move are taken in key order; a source or language change walks the
article's people in id order). v5's statement-level ``notify_*`` triggers are
left as they are: they name only ``article_id``, so one person's change
notifies every window with the article ids, and each window re-reads its own
person's state for them.
"""

from desktop.store.migrations.v0005_notify import COUNT_SLOTS

SQL = """
CREATE TABLE people (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    created_at     TEXT    NOT NULL,
    backfill_left  INTEGER
);

INSERT INTO people (id, name, created_at)
SELECT 1, coalesce((SELECT name FROM temp.migration_context), 'owner'),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
WHERE EXISTS (SELECT 1 FROM triage) OR EXISTS (SELECT 1 FROM triage_log)
   OR EXISTS (SELECT 1 FROM accounts) OR EXISTS (SELECT 1 FROM tags WHERE origin = 'user');

DROP TRIGGER article_counts_articles_bd;
DROP TRIGGER article_counts_articles_au;

CREATE TABLE triage_v6 (
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    read        INTEGER NOT NULL DEFAULT 0,
    flagged     INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0,
    changed_at  TEXT,
    PRIMARY KEY (article_id, person_id)
) WITHOUT ROWID;

INSERT INTO triage_v6 (article_id, person_id, read, flagged, archived, hidden, changed_at)
SELECT article_id, 1, read, flagged, archived, hidden, changed_at FROM triage ORDER BY article_id;

DROP TABLE triage;
ALTER TABLE triage_v6 RENAME TO triage;
CREATE INDEX ix_triage_flagged ON triage(article_id, person_id) WHERE flagged = 1;
CREATE INDEX ix_triage_unread ON triage(article_id, person_id) WHERE read = 0 AND archived = 0;
CREATE INDEX ix_triage_archived ON triage(article_id, person_id) WHERE archived = 1;
CREATE INDEX ix_triage_hidden ON triage(article_id, person_id) WHERE hidden = 1;

-- SQLite has one writer: slot stays 0 (the column keeps both schemas alike). Key columns
-- come before n: SQLite 3.40's integrity_check reports a NULL n in a WITHOUT ROWID table
-- whose non-key column precedes a key column.
CREATE TABLE article_counts_v6 (
    person_id   INTEGER NOT NULL,
    source_id   INTEGER NOT NULL,
    language    TEXT    NOT NULL,
    read        INTEGER NOT NULL,
    flagged     INTEGER NOT NULL,
    archived    INTEGER NOT NULL,
    hidden      INTEGER NOT NULL,
    slot        INTEGER NOT NULL DEFAULT 0,
    n           INTEGER NOT NULL,
    PRIMARY KEY (person_id, source_id, language, read, flagged, archived, hidden, slot)
) WITHOUT ROWID;
INSERT INTO article_counts_v6
    (person_id, source_id, language, read, flagged, archived, hidden, slot, n)
SELECT 1, source_id, language, read, flagged, archived, hidden, 0, sum(n) FROM article_counts
WHERE EXISTS (SELECT 1 FROM people WHERE id = 1)
GROUP BY source_id, language, read, flagged, archived, hidden HAVING sum(n) != 0;
DROP TABLE article_counts;
ALTER TABLE article_counts_v6 RENAME TO article_counts;

ALTER TABLE triage_log ADD COLUMN person_id INTEGER REFERENCES people(id) ON DELETE CASCADE;
UPDATE triage_log SET person_id = 1;
CREATE INDEX ix_triage_log_person ON triage_log(person_id, undone, id);

ALTER TABLE tags ADD COLUMN person_id INTEGER;
UPDATE tags SET person_id = 1 WHERE origin = 'user';

ALTER TABLE accounts ADD COLUMN person_id INTEGER REFERENCES people(id);
UPDATE accounts SET person_id = 1;

-- set only inside a new person's backfill, which counts its rows in one statement
CREATE TABLE counts_guard (
    one  INTEGER PRIMARY KEY CHECK (one = 1)
);

CREATE TRIGGER article_counts_triage_ai AFTER INSERT ON triage
WHEN NOT EXISTS (SELECT 1 FROM counts_guard)
BEGIN
    INSERT INTO article_counts
        (person_id, source_id, language, read, flagged, archived, hidden, slot, n)
    SELECT new.person_id, a.source_id, coalesce(a.language, 'und'), new.read, new.flagged,
           new.archived, new.hidden, 0, 1
    FROM articles a WHERE a.id = new.article_id
    ON CONFLICT (person_id, source_id, language, read, flagged, archived, hidden, slot)
    DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER article_counts_triage_au AFTER UPDATE OF read, flagged, archived, hidden ON triage
WHEN old.read != new.read OR old.flagged != new.flagged OR old.archived != new.archived
     OR old.hidden != new.hidden
BEGIN
    UPDATE article_counts SET n = n - 1
    WHERE (person_id, source_id, language, read, flagged, archived, hidden, slot) = (
        SELECT old.person_id, a.source_id, coalesce(a.language, 'und'), old.read, old.flagged,
               old.archived, old.hidden, 0
        FROM articles a WHERE a.id = old.article_id);
    INSERT INTO article_counts
        (person_id, source_id, language, read, flagged, archived, hidden, slot, n)
    SELECT new.person_id, a.source_id, coalesce(a.language, 'und'), new.read, new.flagged,
           new.archived, new.hidden, 0, 1
    FROM articles a WHERE a.id = new.article_id
    ON CONFLICT (person_id, source_id, language, read, flagged, archived, hidden, slot)
    DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER article_counts_triage_ad AFTER DELETE ON triage BEGIN
    UPDATE article_counts SET n = n - 1
    WHERE (person_id, source_id, language, read, flagged, archived, hidden, slot) = (
        SELECT old.person_id, a.source_id, coalesce(a.language, 'und'), old.read, old.flagged,
               old.archived, old.hidden, 0
        FROM articles a WHERE a.id = old.article_id);
END;

-- Delete the triage rows while their article still exists, so the trigger above can count them.
CREATE TRIGGER article_counts_articles_bd BEFORE DELETE ON articles BEGIN
    DELETE FROM triage WHERE article_id = old.id;
END;

CREATE TRIGGER article_counts_articles_au AFTER UPDATE OF source_id, language ON articles
WHEN old.source_id != new.source_id
     OR coalesce(old.language, 'und') != coalesce(new.language, 'und')
BEGIN
    UPDATE article_counts SET n = n - 1
    WHERE (person_id, source_id, language, read, flagged, archived, hidden, slot) IN (
        SELECT t.person_id, old.source_id, coalesce(old.language, 'und'), t.read, t.flagged,
               t.archived, t.hidden, 0
        FROM triage t WHERE t.article_id = old.id);
    INSERT INTO article_counts
        (person_id, source_id, language, read, flagged, archived, hidden, slot, n)
    SELECT t.person_id, new.source_id, coalesce(new.language, 'und'), t.read, t.flagged,
           t.archived, t.hidden, 0, 1
    FROM triage t WHERE t.article_id = new.id
    ON CONFLICT (person_id, source_id, language, read, flagged, archived, hidden, slot)
    DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER outbox_triage_read AFTER UPDATE OF read, archived ON triage
WHEN (old.read OR old.archived) != (new.read OR new.archived)
     AND NOT EXISTS (SELECT 1 FROM sync_guard)
     AND EXISTS (SELECT 1 FROM remote_items r JOIN accounts c ON c.id = r.account_id
                 WHERE r.article_id = new.article_id AND c.person_id = new.person_id)
BEGIN
    INSERT INTO outbox (account_id, article_id, remote_id, field, value, changed_at)
    SELECT r.account_id, r.article_id, r.remote_id, 'read', (new.read OR new.archived),
           coalesce(new.changed_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    FROM remote_items r WHERE r.article_id = new.article_id
    ON CONFLICT (article_id, field) DO UPDATE SET value = excluded.value,
        changed_at = excluded.changed_at, attempts = 0, last_error = NULL;
END;

CREATE TRIGGER outbox_triage_flagged AFTER UPDATE OF flagged ON triage
WHEN old.flagged != new.flagged
     AND NOT EXISTS (SELECT 1 FROM sync_guard)
     AND EXISTS (SELECT 1 FROM remote_items r JOIN accounts c ON c.id = r.account_id
                 WHERE r.article_id = new.article_id AND c.person_id = new.person_id)
BEGIN
    INSERT INTO outbox (account_id, article_id, remote_id, field, value, changed_at)
    SELECT r.account_id, r.article_id, r.remote_id, 'flagged', new.flagged,
           coalesce(new.changed_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    FROM remote_items r WHERE r.article_id = new.article_id
    ON CONFLICT (article_id, field) DO UPDATE SET value = excluded.value,
        changed_at = excluded.changed_at, attempts = 0, last_error = NULL;
END;
"""

POSTGRES_SQL = f"""
CREATE TABLE people (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    created_at     TEXT    NOT NULL,
    backfill_left  BIGINT
);

INSERT INTO people (id, name, created_at)
SELECT 1, coalesce((SELECT name FROM migration_context), 'owner'),
       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
WHERE EXISTS (SELECT 1 FROM triage) OR EXISTS (SELECT 1 FROM triage_log)
   OR EXISTS (SELECT 1 FROM accounts) OR EXISTS (SELECT 1 FROM tags WHERE origin = 'user');
SELECT setval(pg_get_serial_sequence('people', 'id'), coalesce(max(id), 0) + 1, false)
FROM people;

DROP TRIGGER article_counts_triage_ai ON triage;
DROP TRIGGER article_counts_triage_au ON triage;
DROP TRIGGER article_counts_triage_ad ON triage;
DROP TRIGGER outbox_triage_read ON triage;
DROP TRIGGER outbox_triage_flagged ON triage;
DROP TRIGGER article_counts_articles_au ON articles;
DROP FUNCTION nd_counts_triage();
DROP FUNCTION nd_counts_articles_au();
DROP FUNCTION nd_count_add(BIGINT, TEXT, INTEGER, INTEGER, INTEGER, INTEGER, INTEGER);

ALTER TABLE triage ADD COLUMN person_id BIGINT REFERENCES people(id) ON DELETE CASCADE;
UPDATE triage SET person_id = 1;
ALTER TABLE triage ALTER COLUMN person_id SET NOT NULL;
ALTER TABLE triage DROP CONSTRAINT triage_pkey;
ALTER TABLE triage ADD PRIMARY KEY (article_id, person_id);
DROP INDEX ix_triage_flagged;
DROP INDEX ix_triage_unread;
DROP INDEX ix_triage_archived;
DROP INDEX ix_triage_hidden;
CREATE INDEX ix_triage_flagged ON triage(article_id, person_id) WHERE flagged = 1;
CREATE INDEX ix_triage_unread ON triage(article_id, person_id) WHERE read = 0 AND archived = 0;
CREATE INDEX ix_triage_archived ON triage(article_id, person_id) WHERE archived = 1;
CREATE INDEX ix_triage_hidden ON triage(article_id, person_id) WHERE hidden = 1;

ALTER TABLE article_counts ADD COLUMN person_id BIGINT;
DELETE FROM article_counts WHERE n = 0 OR NOT EXISTS (SELECT 1 FROM people WHERE id = 1);
UPDATE article_counts SET person_id = 1;
ALTER TABLE article_counts ALTER COLUMN person_id SET NOT NULL;
ALTER TABLE article_counts DROP CONSTRAINT article_counts_pkey;
ALTER TABLE article_counts
    ADD PRIMARY KEY (person_id, source_id, language, read, flagged, archived, hidden, slot);

ALTER TABLE triage_log ADD COLUMN person_id BIGINT REFERENCES people(id) ON DELETE CASCADE;
UPDATE triage_log SET person_id = 1;
CREATE INDEX ix_triage_log_person ON triage_log(person_id, undone, id);

ALTER TABLE tags ADD COLUMN person_id BIGINT;
UPDATE tags SET person_id = 1 WHERE origin = 'user';

ALTER TABLE accounts ADD COLUMN person_id BIGINT REFERENCES people(id);
UPDATE accounts SET person_id = 1;

-- v5's slot per writing connection, now per person too
CREATE FUNCTION nd_count_add(p_person BIGINT, p_source BIGINT, p_language TEXT,
                             p_read INTEGER, p_flagged INTEGER, p_archived INTEGER,
                             p_hidden INTEGER, p_delta INTEGER) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_counts AS c
        (person_id, source_id, language, read, flagged, archived, hidden, slot, n)
    VALUES (p_person, p_source, coalesce(p_language, 'und'), p_read, p_flagged, p_archived,
            p_hidden, pg_backend_pid() % {COUNT_SLOTS}, p_delta)
    ON CONFLICT (person_id, source_id, language, read, flagged, archived, hidden, slot)
    DO UPDATE SET n = c.n + p_delta;
END $$;

-- set only inside a new person's backfill, which counts its rows in one statement
CREATE TABLE counts_guard (
    one  INTEGER PRIMARY KEY CHECK (one = 1)
);

CREATE FUNCTION nd_counts_triage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a_source BIGINT;
    a_language TEXT;
BEGIN
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM counts_guard) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        SELECT source_id, language INTO a_source, a_language FROM articles WHERE id = OLD.article_id;
        IF FOUND THEN
            PERFORM nd_count_add(OLD.person_id, a_source, a_language, OLD.read, OLD.flagged,
                                 OLD.archived, OLD.hidden, -1);
        END IF;
        RETURN OLD;
    END IF;
    SELECT source_id, language INTO a_source, a_language FROM articles WHERE id = NEW.article_id;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    -- a move takes its two count rows in key order (v5: no deadlock between clients)
    IF TG_OP = 'UPDATE' AND (OLD.person_id, OLD.read, OLD.flagged, OLD.archived, OLD.hidden)
                            < (NEW.person_id, NEW.read, NEW.flagged, NEW.archived, NEW.hidden)
    THEN
        PERFORM nd_count_add(OLD.person_id, a_source, a_language, OLD.read, OLD.flagged,
                             OLD.archived, OLD.hidden, -1);
        PERFORM nd_count_add(NEW.person_id, a_source, a_language, NEW.read, NEW.flagged,
                             NEW.archived, NEW.hidden, 1);
    ELSE
        PERFORM nd_count_add(NEW.person_id, a_source, a_language, NEW.read, NEW.flagged,
                             NEW.archived, NEW.hidden, 1);
        IF TG_OP = 'UPDATE' THEN
            PERFORM nd_count_add(OLD.person_id, a_source, a_language, OLD.read, OLD.flagged,
                                 OLD.archived, OLD.hidden, -1);
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER article_counts_triage_ai AFTER INSERT ON triage
FOR EACH ROW EXECUTE FUNCTION nd_counts_triage();

CREATE TRIGGER article_counts_triage_au AFTER UPDATE OF read, flagged, archived, hidden ON triage
FOR EACH ROW
WHEN (OLD.read != NEW.read OR OLD.flagged != NEW.flagged OR OLD.archived != NEW.archived
      OR OLD.hidden != NEW.hidden)
EXECUTE FUNCTION nd_counts_triage();

CREATE TRIGGER article_counts_triage_ad AFTER DELETE ON triage
FOR EACH ROW EXECUTE FUNCTION nd_counts_triage();

CREATE FUNCTION nd_counts_articles_au() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
BEGIN
    -- people in id order, and each person's two rows in key order (see v5)
    FOR t IN SELECT person_id, read, flagged, archived, hidden FROM triage
             WHERE article_id = OLD.id ORDER BY person_id LOOP
        IF (OLD.source_id, coalesce(OLD.language, 'und'))
           < (NEW.source_id, coalesce(NEW.language, 'und')) THEN
            PERFORM nd_count_add(t.person_id, OLD.source_id, OLD.language, t.read, t.flagged,
                                 t.archived, t.hidden, -1);
            PERFORM nd_count_add(t.person_id, NEW.source_id, NEW.language, t.read, t.flagged,
                                 t.archived, t.hidden, 1);
        ELSE
            PERFORM nd_count_add(t.person_id, NEW.source_id, NEW.language, t.read, t.flagged,
                                 t.archived, t.hidden, 1);
            PERFORM nd_count_add(t.person_id, OLD.source_id, OLD.language, t.read, t.flagged,
                                 t.archived, t.hidden, -1);
        END IF;
    END LOOP;
    RETURN NEW;
END $$;

CREATE TRIGGER article_counts_articles_au AFTER UPDATE OF source_id, language ON articles
FOR EACH ROW
WHEN (OLD.source_id != NEW.source_id
      OR coalesce(OLD.language, 'und') != coalesce(NEW.language, 'und'))
EXECUTE FUNCTION nd_counts_articles_au();

CREATE OR REPLACE FUNCTION nd_outbox_triage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    f TEXT := TG_ARGV[0];
    v INTEGER;
BEGIN
    IF EXISTS (SELECT 1 FROM sync_guard)
       OR NOT EXISTS (SELECT 1 FROM remote_items r JOIN accounts c ON c.id = r.account_id
                      WHERE r.article_id = NEW.article_id AND c.person_id = NEW.person_id) THEN
        RETURN NULL;
    END IF;
    IF f = 'read' THEN
        v := CASE WHEN NEW.read != 0 OR NEW.archived != 0 THEN 1 ELSE 0 END;
    ELSE
        v := NEW.flagged;
    END IF;
    INSERT INTO outbox (account_id, article_id, remote_id, field, value, changed_at)
    SELECT r.account_id, r.article_id, r.remote_id, f, v,
           coalesce(NEW.changed_at,
                    to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
    FROM remote_items r WHERE r.article_id = NEW.article_id
    ON CONFLICT (article_id, field) DO UPDATE SET value = excluded.value,
        changed_at = excluded.changed_at, attempts = 0, last_error = NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_triage_read AFTER UPDATE OF read, archived ON triage
FOR EACH ROW
WHEN ((OLD.read != 0 OR OLD.archived != 0) != (NEW.read != 0 OR NEW.archived != 0))
EXECUTE FUNCTION nd_outbox_triage('read');

CREATE TRIGGER outbox_triage_flagged AFTER UPDATE OF flagged ON triage
FOR EACH ROW WHEN (OLD.flagged != NEW.flagged)
EXECUTE FUNCTION nd_outbox_triage('flagged');
"""
