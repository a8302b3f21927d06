"""Schema version 2: counts kept up to date by triggers, for an instant sidebar at 1M.

``article_counts`` holds how many articles share each (source, language,
read, flagged, archived, hidden) combination; ``tag_counts`` how many
articles carry each tag (not removed). Triggers on ``triage``, ``articles``
and ``tags`` keep both exact, whoever writes (the window, the command line,
a refresh). Sidebar and status-bar counts then read a few thousand rows
instead of scanning every article.
"""

SQL = """
CREATE TABLE article_counts (
    source_id   INTEGER NOT NULL,
    language    TEXT    NOT NULL,
    read        INTEGER NOT NULL,
    flagged     INTEGER NOT NULL,
    archived    INTEGER NOT NULL,
    hidden      INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (source_id, language, read, flagged, archived, hidden)
) WITHOUT ROWID;

INSERT INTO article_counts (source_id, language, read, flagged, archived, hidden, n)
SELECT a.source_id, coalesce(a.language, 'und'), t.read, t.flagged, t.archived, t.hidden, count(*)
FROM articles a JOIN triage t ON t.article_id = a.id
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TABLE tag_counts (
    tag         TEXT    PRIMARY KEY,
    n           INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO tag_counts (tag, n)
SELECT tag, count(*) FROM tags WHERE removed = 0 GROUP BY tag;

CREATE INDEX ix_triage_hidden ON triage(article_id) WHERE hidden = 1;

CREATE TRIGGER article_counts_triage_ai AFTER INSERT ON triage BEGIN
    INSERT INTO article_counts (source_id, language, read, flagged, archived, hidden, n)
    SELECT a.source_id, coalesce(a.language, 'und'), new.read, new.flagged, new.archived,
           new.hidden, 1
    FROM articles a WHERE a.id = new.article_id
    ON CONFLICT (source_id, language, read, flagged, archived, hidden) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER article_counts_triage_au AFTER UPDATE OF read, flagged, archived, hidden ON triage
WHEN old.read != new.read OR old.flagged != new.flagged OR old.archived != new.archived
     OR old.hidden != new.hidden
BEGIN
    UPDATE article_counts SET n = n - 1
    WHERE (source_id, language, read, flagged, archived, hidden) = (
        SELECT a.source_id, coalesce(a.language, 'und'), old.read, old.flagged, old.archived,
               old.hidden
        FROM articles a WHERE a.id = old.article_id);
    INSERT INTO article_counts (source_id, language, read, flagged, archived, hidden, n)
    SELECT a.source_id, coalesce(a.language, 'und'), new.read, new.flagged, new.archived,
           new.hidden, 1
    FROM articles a WHERE a.id = new.article_id
    ON CONFLICT (source_id, language, read, flagged, archived, hidden) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER article_counts_triage_ad AFTER DELETE ON triage BEGIN
    UPDATE article_counts SET n = n - 1
    WHERE (source_id, language, read, flagged, archived, hidden) = (
        SELECT a.source_id, coalesce(a.language, 'und'), old.read, old.flagged, old.archived,
               old.hidden
        FROM articles a WHERE a.id = old.article_id);
END;

-- Delete the triage row while its article still exists, so the trigger above can count it.
CREATE TRIGGER article_counts_articles_bd BEFORE DELETE ON articles BEGIN
    DELETE FROM triage WHERE article_id = old.id;
END;

CREATE TRIGGER article_counts_articles_au AFTER UPDATE OF source_id, language ON articles
WHEN old.source_id != new.source_id
     OR coalesce(old.language, 'und') != coalesce(new.language, 'und')
BEGIN
    UPDATE article_counts SET n = n - 1
    WHERE (source_id, language, read, flagged, archived, hidden) = (
        SELECT old.source_id, coalesce(old.language, 'und'), t.read, t.flagged, t.archived,
               t.hidden
        FROM triage t WHERE t.article_id = old.id);
    INSERT INTO article_counts (source_id, language, read, flagged, archived, hidden, n)
    SELECT new.source_id, coalesce(new.language, 'und'), t.read, t.flagged, t.archived,
           t.hidden, 1
    FROM triage t WHERE t.article_id = new.id
    ON CONFLICT (source_id, language, read, flagged, archived, hidden) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tag_counts_ai AFTER INSERT ON tags WHEN new.removed = 0 BEGIN
    INSERT INTO tag_counts (tag, n) VALUES (new.tag, 1)
    ON CONFLICT (tag) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tag_counts_ad AFTER DELETE ON tags WHEN old.removed = 0 BEGIN
    UPDATE tag_counts SET n = n - 1 WHERE tag = old.tag;
END;

CREATE TRIGGER tag_counts_au AFTER UPDATE OF tag, removed ON tags
WHEN old.tag != new.tag OR old.removed != new.removed
BEGIN
    UPDATE tag_counts SET n = n - 1 WHERE tag = old.tag AND old.removed = 0;
    INSERT INTO tag_counts (tag, n) SELECT new.tag, 1 WHERE new.removed = 0
    ON CONFLICT (tag) DO UPDATE SET n = n + 1;
END;
"""

POSTGRES_SQL = """
CREATE TABLE article_counts (
    source_id   BIGINT  NOT NULL,
    language    TEXT    NOT NULL,
    read        INTEGER NOT NULL,
    flagged     INTEGER NOT NULL,
    archived    INTEGER NOT NULL,
    hidden      INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (source_id, language, read, flagged, archived, hidden)
);

INSERT INTO article_counts (source_id, language, read, flagged, archived, hidden, n)
SELECT a.source_id, coalesce(a.language, 'und'), t.read, t.flagged, t.archived, t.hidden, count(*)
FROM articles a JOIN triage t ON t.article_id = a.id
GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TABLE tag_counts (
    tag         TEXT    PRIMARY KEY,
    n           INTEGER NOT NULL
);

INSERT INTO tag_counts (tag, n)
SELECT tag, count(*) FROM tags WHERE removed = 0 GROUP BY tag;

CREATE INDEX ix_triage_hidden ON triage(article_id) WHERE hidden = 1;

CREATE FUNCTION nd_count_add(p_source BIGINT, p_language TEXT, p_read INTEGER,
                             p_flagged INTEGER, p_archived INTEGER, p_hidden INTEGER,
                             p_delta INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_counts AS c (source_id, language, read, flagged, archived, hidden, n)
    VALUES (p_source, coalesce(p_language, 'und'), p_read, p_flagged, p_archived, p_hidden,
            p_delta)
    ON CONFLICT (source_id, language, read, flagged, archived, hidden)
    DO UPDATE SET n = c.n + p_delta;
END $$;

CREATE FUNCTION nd_counts_triage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a_source BIGINT;
    a_language TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT source_id, language INTO a_source, a_language FROM articles WHERE id = OLD.article_id;
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
    IF TG_OP = 'UPDATE' THEN
        PERFORM nd_count_add(a_source, a_language, OLD.read, OLD.flagged, OLD.archived,
                             OLD.hidden, -1);
    END IF;
    PERFORM nd_count_add(a_source, a_language, NEW.read, NEW.flagged, NEW.archived,
                         NEW.hidden, 1);
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

-- Delete the triage row while its article still exists, so the trigger above can count it.
CREATE FUNCTION nd_counts_articles_bd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM triage WHERE article_id = OLD.id;
    RETURN OLD;
END $$;

CREATE TRIGGER article_counts_articles_bd BEFORE DELETE ON articles
FOR EACH ROW EXECUTE FUNCTION nd_counts_articles_bd();

CREATE FUNCTION nd_counts_articles_au() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
BEGIN
    SELECT read, flagged, archived, hidden INTO t FROM triage WHERE article_id = OLD.id;
    IF FOUND THEN
        PERFORM nd_count_add(OLD.source_id, OLD.language, t.read, t.flagged, t.archived,
                             t.hidden, -1);
        PERFORM nd_count_add(NEW.source_id, NEW.language, t.read, t.flagged, t.archived,
                             t.hidden, 1);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER article_counts_articles_au AFTER UPDATE OF source_id, language ON articles
FOR EACH ROW
WHEN (OLD.source_id != NEW.source_id
      OR coalesce(OLD.language, 'und') != coalesce(NEW.language, 'und'))
EXECUTE FUNCTION nd_counts_articles_au();

CREATE FUNCTION nd_tag_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.removed = 0 THEN
        UPDATE tag_counts SET n = n - 1 WHERE tag = OLD.tag;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.removed = 0 THEN
        INSERT INTO tag_counts AS c (tag, n) VALUES (NEW.tag, 1)
        ON CONFLICT (tag) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tag_counts_ai AFTER INSERT ON tags
FOR EACH ROW WHEN (NEW.removed = 0) EXECUTE FUNCTION nd_tag_counts();

CREATE TRIGGER tag_counts_ad AFTER DELETE ON tags
FOR EACH ROW WHEN (OLD.removed = 0) EXECUTE FUNCTION nd_tag_counts();

CREATE TRIGGER tag_counts_au AFTER UPDATE OF tag, removed ON tags
FOR EACH ROW WHEN (OLD.tag != NEW.tag OR OLD.removed != NEW.removed)
EXECUTE FUNCTION nd_tag_counts();
"""
