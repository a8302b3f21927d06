"""Schema version 4: accounts on feed servers (Fever, Google Reader API, TT-RSS).

* ``accounts``: one row per server login (the password lives in the keyring).
* ``account_sources``: which local sources an account owns, and the server's
  feed id for each. The normal refresh leaves these sources alone.
* ``remote_items``: article ↔ server item id, with the read/flagged state last
  agreed with the server (the merge base of the next sync).
* ``outbox``: read/flagged changes waiting to be sent, one row per article and
  field (a newer change replaces an older one), with the time it was made.
* ``sync_guard``: set only inside the sync's own write transactions, so that
  state the sync copies from the server is not queued back to it.

A trigger on ``triage`` fills the outbox for account-owned articles whatever
the path (a triage action, undo/redo, rules, the command line). Archived maps
to read: the server sees ``read OR archived``.
"""

SQL = """
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('fever', 'greader', 'ttrss')),
    url           TEXT    NOT NULL,
    username      TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    last_sync_at  TEXT,
    last_error    TEXT,
    cursor        TEXT,
    UNIQUE (kind, url, username)
);

CREATE TABLE account_sources (
    source_id   INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    remote_id   TEXT    NOT NULL,
    UNIQUE (account_id, remote_id)
);

CREATE TABLE remote_items (
    article_id      INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    remote_id       TEXT    NOT NULL,
    remote_read     INTEGER NOT NULL DEFAULT 0,
    remote_flagged  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, remote_id)
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    article_id  INTEGER NOT NULL,
    remote_id   TEXT    NOT NULL,
    field       TEXT    NOT NULL CHECK (field IN ('read', 'flagged')),
    value       INTEGER NOT NULL,
    changed_at  TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE UNIQUE INDEX ix_outbox_article_field ON outbox(article_id, field);
CREATE INDEX ix_outbox_account ON outbox(account_id, id);

CREATE TABLE sync_guard (
    one  INTEGER PRIMARY KEY CHECK (one = 1)
);

CREATE TRIGGER outbox_triage_read AFTER UPDATE OF read, archived ON triage
WHEN (old.read OR old.archived) != (new.read OR new.archived)
     AND NOT EXISTS (SELECT 1 FROM sync_guard)
     AND EXISTS (SELECT 1 FROM remote_items WHERE article_id = new.article_id)
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
     AND EXISTS (SELECT 1 FROM remote_items WHERE article_id = new.article_id)
BEGIN
    INSERT INTO outbox (account_id, article_id, remote_id, field, value, changed_at)
    SELECT r.account_id, r.article_id, r.remote_id, 'flagged', new.flagged,
           coalesce(new.changed_at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    FROM remote_items r WHERE r.article_id = new.article_id
    ON CONFLICT (article_id, field) DO UPDATE SET value = excluded.value,
        changed_at = excluded.changed_at, attempts = 0, last_error = NULL;
END;
"""
