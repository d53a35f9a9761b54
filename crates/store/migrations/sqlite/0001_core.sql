-- Clearline core schema: people, sessions, friendships, conversations, messages, events.
-- Timestamps are integer milliseconds since the Unix epoch.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    handle        TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    secret_hash BLOB    NOT NULL,
    user_agent  TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE friend_requests (
    from_id    INTEGER NOT NULL REFERENCES users (id),
    to_id      INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_id)
);
CREATE INDEX friend_requests_to ON friend_requests (to_id, from_id);

-- Each friendship is stored in both directions so either side lists friends by key.
CREATE TABLE friendships (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    friend_id  INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, friend_id)
);

CREATE TABLE blocks (
    blocker_id INTEGER NOT NULL REFERENCES users (id),
    blocked_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL,
    title            TEXT,
    creator_id       INTEGER NOT NULL REFERENCES users (id),
    -- 'low:high' user ids for direct conversations: one per pair.
    direct_key       TEXT UNIQUE,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    last_message_id  INTEGER,
    -- Inbox order: the id of the last message, or the newest message id when created. Unlike
    -- timestamps it never ties between two conversations with different last messages.
    activity         INTEGER NOT NULL
);

CREATE TABLE members (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    joined_at       INTEGER NOT NULL,
    read_up_to      INTEGER,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id, conversation_id);

-- content_type and body are NULL once a message is deleted (a tombstone).
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    sender_id       INTEGER NOT NULL REFERENCES users (id),
    content_type    TEXT,
    body            BLOB,
    created_at      INTEGER NOT NULL,
    deleted_at      INTEGER,
    idempotency_key TEXT
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
CREATE UNIQUE INDEX messages_idempotency ON messages (sender_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Each person's event stream, numbered 1, 2, 3, ... Rows point at messages and people
-- instead of copying them, so erasing a message erases it here too.
CREATE TABLE events (
    user_id         INTEGER NOT NULL REFERENCES users (id),
    seq             INTEGER NOT NULL,
    kind            INTEGER NOT NULL,
    conversation_id INTEGER,
    message_id      INTEGER,
    subject_id      INTEGER,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
