-- The partner platform: partners and their agreements, apps (OAuth clients), grants, OAuth
-- codes and tokens, app blocks, read policies and access events.

ALTER TABLE users ADD COLUMN is_operator INTEGER NOT NULL DEFAULT 0;
-- Whether friends' apps may read this person's messages: never, app_threads, all_conversations.
ALTER TABLE users ADD COLUMN app_read_policy TEXT NOT NULL DEFAULT 'app_threads';

-- One current agreement per partner, kept on the partner row.
CREATE TABLE partners (
    id                  INTEGER PRIMARY KEY,
    slug                TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    tier                TEXT    NOT NULL,
    scopes              TEXT    NOT NULL,
    max_grant_days      INTEGER NOT NULL,
    report_cadence_days INTEGER NOT NULL,
    effective_from      INTEGER NOT NULL,
    effective_until     INTEGER,
    suspended_at        INTEGER
);

CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    name          TEXT    NOT NULL,
    client_kind   TEXT    NOT NULL,
    -- Exact redirect URIs, one per line.
    redirect_uris TEXT    NOT NULL,
    -- SHA-256 of the client secret (confidential clients only).
    secret_hash   BLOB,
    webhook_url   TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX apps_by_partner ON apps (partner_id);

-- App threads: which app started a conversation. The pair key (direct_key) of an app thread
-- is 'low:high:app' so there is one thread per pair and app.
ALTER TABLE conversations ADD COLUMN app_id INTEGER REFERENCES apps (id);
-- Messages sent through an app, and their card (JSON, erased with the content).
ALTER TABLE messages ADD COLUMN via_app_id INTEGER REFERENCES apps (id);
ALTER TABLE messages ADD COLUMN card TEXT;

CREATE TABLE grants (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    app_id       INTEGER NOT NULL REFERENCES apps (id),
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX grants_by_user ON grants (user_id, app_id);
CREATE INDEX grants_by_app ON grants (app_id, user_id);

CREATE TABLE oauth_codes (
    id             INTEGER PRIMARY KEY,
    grant_id       INTEGER NOT NULL REFERENCES grants (id),
    secret_hash    BLOB    NOT NULL,
    code_challenge TEXT    NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);

-- Access and refresh tokens. A refresh token is 'replaced' when rotated; presenting a
-- replaced one revokes its grant.
CREATE TABLE oauth_tokens (
    id          INTEGER PRIMARY KEY,
    grant_id    INTEGER NOT NULL REFERENCES grants (id),
    kind        TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    replaced_at INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX oauth_tokens_by_grant ON oauth_tokens (grant_id);

CREATE TABLE app_blocks (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    app_id     INTEGER NOT NULL REFERENCES apps (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, app_id)
);

-- One row per partner call touching a person's data. app_id and user_id are NULL when the
-- token named nobody (missing or malformed). resources: ids separated by spaces. The salt
-- makes the event's commitment in the transparency log unguessable; leaf_index is its place
-- in the log once the sequencer has integrated it.
CREATE TABLE access_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    app_id     INTEGER,
    user_id    INTEGER,
    action     TEXT    NOT NULL,
    resources  TEXT    NOT NULL,
    outcome    TEXT    NOT NULL,
    salt       BLOB    NOT NULL,
    leaf_index INTEGER UNIQUE
);
CREATE INDEX access_events_by_user ON access_events (user_id, id);
CREATE INDEX access_events_by_app ON access_events (app_id, id);
CREATE INDEX access_events_pending ON access_events (id) WHERE leaf_index IS NULL;

-- The transparency log: every complete subtree hash (level 0: leaf hashes) and every signed
-- checkpoint. Rows are only ever added.
CREATE TABLE log_hashes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB    NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE log_checkpoints (
    size       INTEGER PRIMARY KEY,
    root       BLOB    NOT NULL,
    note       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Server-wide random keys (e.g. for app-scoped ids), created on first use.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
