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
``PRAGMA data_version`` there, so this step changes nothing on SQLite.
"""

MAX_IDS = 700
"""Ids per notification at most (700 ids of 10 digits and commas < 7,900 bytes)."""

SQL = """
-- SQLite: nothing (no LISTEN/NOTIFY; the window polls PRAGMA data_version)
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
