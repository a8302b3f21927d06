"""Schema version 5: live updates on PostgreSQL (LISTEN/NOTIFY carrying article ids).

Statement-level triggers with transition tables send one notification per
statement on the channel ``newsdesk_changes`` (``desktop.store.live.CHANNEL``),
its payload ``KIND:ID,ID,…`` with the affected article ids, or ``KIND:*``
when they would not fit (payloads are capped near 8,000 bytes; more than
:data:`MAX_IDS` ids become ``*``, "reload what you show"). Kinds:

* ``triage``: read/flagged/archived/hidden rows inserted or changed (undo too);
* ``tags``: tags added, changed or removed (the user's, rules', the model's);
* ``new``: articles inserted (ingest);
* ``articles``: what the list shows of an article changed (title, languages,
  story, source);
* ``gone``: articles deleted (purge, source removal).

Notifications reach listeners when the transaction commits, and not at all
when it rolls back. The triggers name only ``article_id`` of ``triage`` and
``tags``, nothing of their keys. SQLite has no notifications: the window polls
``PRAGMA data_version`` there.

Several clients committing at once also met on the trigger-kept
``article_counts`` rows (v0002): every triage action moves one article from one
count row to another, so two clients marking articles of one source took the
same two row locks, each held until commit, in opposite orders (a deadlock,
broken by PostgreSQL after its 1 s ``deadlock_timeout``). On PostgreSQL the
counts now spread over ``slot`` rows (the writing connection's server process
id modulo :data:`COUNT_SLOTS`; readers sum, as they always did), and one change
takes its two count rows in one fixed order. SQLite (one writer) keeps one row
per bucket (its ``slot`` column stays 0).
"""

COUNT_SLOTS = 64
"""Count rows per bucket at most on PostgreSQL (one per concurrent writer, hashed)."""
MAX_IDS = 700
"""Ids per notification at most (700 ids of 10 digits and commas < 7,900 bytes)."""

SQL = """
-- SQLite: no notifications (the window polls PRAGMA data_version); one writer, so the
-- counts keep one row per bucket (slot 0): the column keeps both schemas alike
ALTER TABLE article_counts ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
"""

POSTGRES_SQL = f"""
CREATE FUNCTION nd_notify_send(kind TEXT, ids TEXT, n BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL THEN
        RETURN;
    END IF;
    IF n > {MAX_IDS} OR octet_length(ids) > 7900 THEN
        ids := '*';
    END IF;
    PERFORM pg_notify('newsdesk_changes', kind || ':' || ids);
END $$;

CREATE FUNCTION nd_notify_article_ids() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT;
    n BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT string_agg(article_id::text, ','), count(*) INTO ids, n
        FROM (SELECT DISTINCT article_id FROM old_rows LIMIT {MAX_IDS + 1}) d;
    ELSE
        SELECT string_agg(article_id::text, ','), count(*) INTO ids, n
        FROM (SELECT DISTINCT article_id FROM new_rows LIMIT {MAX_IDS + 1}) d;
    END IF;
    PERFORM nd_notify_send(TG_ARGV[0], ids, n);
    RETURN NULL;
END $$;

CREATE FUNCTION nd_notify_articles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT;
    n BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT string_agg(id::text, ','), count(*) INTO ids, n
        FROM (SELECT id FROM new_rows LIMIT {MAX_IDS + 1}) d;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT string_agg(id::text, ','), count(*) INTO ids, n
        FROM (SELECT id FROM old_rows LIMIT {MAX_IDS + 1}) d;
    ELSE
        SELECT string_agg(id::text, ','), count(*) INTO ids, n
        FROM (SELECT nr.id FROM new_rows nr JOIN old_rows o ON o.id = nr.id
              WHERE (nr.title, nr.language, nr.title_language, nr.story_id, nr.source_id)
                    IS DISTINCT FROM
                    (o.title, o.language, o.title_language, o.story_id, o.source_id)
              LIMIT {MAX_IDS + 1}) d;
    END IF;
    PERFORM nd_notify_send(TG_ARGV[0], ids, n);
    RETURN NULL;
END $$;

-- counts: a slot per writing connection, and one lock order for the two rows of a move
ALTER TABLE article_counts ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE article_counts DROP CONSTRAINT article_counts_pkey;
ALTER TABLE article_counts
    ADD PRIMARY KEY (source_id, language, read, flagged, archived, hidden, slot);

CREATE OR REPLACE FUNCTION nd_count_add(p_source BIGINT, p_language TEXT, p_read INTEGER,
                                        p_flagged INTEGER, p_archived INTEGER,
                                        p_hidden INTEGER, p_delta INTEGER)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_counts AS c
        (source_id, language, read, flagged, archived, hidden, slot, n)
    VALUES (p_source, coalesce(p_language, 'und'), p_read, p_flagged, p_archived, p_hidden,
            pg_backend_pid() % {COUNT_SLOTS}, p_delta)
    ON CONFLICT (source_id, language, read, flagged, archived, hidden, slot)
    DO UPDATE SET n = c.n + p_delta;
END $$;

CREATE OR REPLACE FUNCTION nd_counts_triage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a_source BIGINT;
    a_language TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT source_id, language INTO a_source, a_language
        FROM articles WHERE id = OLD.article_id;
        IF FOUND THEN
            PERFORM nd_count_add(a_source, a_language, OLD.read, OLD.flagged, OLD.archived,
                                 OLD.hidden, -1);
        END IF;
        RETURN OLD;
    END IF;
    SELECT source_id, language INTO a_source, a_language FROM articles WHERE id = NEW.article_id;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND (OLD.read, OLD.flagged, OLD.archived, OLD.hidden)
                            < (NEW.read, NEW.flagged, NEW.archived, NEW.hidden) THEN
        PERFORM nd_count_add(a_source, a_language, OLD.read, OLD.flagged, OLD.archived,
                             OLD.hidden, -1);
        PERFORM nd_count_add(a_source, a_language, NEW.read, NEW.flagged, NEW.archived,
                             NEW.hidden, 1);
    ELSE
        PERFORM nd_count_add(a_source, a_language, NEW.read, NEW.flagged, NEW.archived,
                             NEW.hidden, 1);
        IF TG_OP = 'UPDATE' THEN
            PERFORM nd_count_add(a_source, a_language, OLD.read, OLD.flagged, OLD.archived,
                                 OLD.hidden, -1);
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION nd_counts_articles_au() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
BEGIN
    SELECT read, flagged, archived, hidden INTO t FROM triage WHERE article_id = OLD.id;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF (OLD.source_id, coalesce(OLD.language, 'und'))
       < (NEW.source_id, coalesce(NEW.language, 'und')) THEN
        PERFORM nd_count_add(OLD.source_id, OLD.language, t.read, t.flagged, t.archived,
                             t.hidden, -1);
        PERFORM nd_count_add(NEW.source_id, NEW.language, t.read, t.flagged, t.archived,
                             t.hidden, 1);
    ELSE
        PERFORM nd_count_add(NEW.source_id, NEW.language, t.read, t.flagged, t.archived,
                             t.hidden, 1);
        PERFORM nd_count_add(OLD.source_id, OLD.language, t.read, t.flagged, t.archived,
                             t.hidden, -1);
    END IF;
    RETURN NEW;
END $$;

-- notifications
CREATE TRIGGER notify_triage_ins AFTER INSERT ON triage
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('triage');

CREATE TRIGGER notify_triage_upd AFTER UPDATE ON triage
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('triage');

CREATE TRIGGER notify_tags_ins AFTER INSERT ON tags
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('tags');

CREATE TRIGGER notify_tags_upd AFTER UPDATE ON tags
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('tags');

CREATE TRIGGER notify_tags_del AFTER DELETE ON tags
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_article_ids('tags');

CREATE TRIGGER notify_articles_ins AFTER INSERT ON articles
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_articles('new');

CREATE TRIGGER notify_articles_upd AFTER UPDATE ON articles
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_articles('articles');

CREATE TRIGGER notify_articles_del AFTER DELETE ON articles
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION nd_notify_articles('gone');
"""
