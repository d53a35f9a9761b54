-- The access file (attached as schema `access`): access events of partner calls that changed
-- nothing (reads, and denials outside a write), and the transparency log of all access events.
-- The main file keeps the events written together with their effect (an app's send or delete).
-- Event ids are one sequence across both files (the writer assigns them).

-- Same columns as main.access_events.
CREATE TABLE access.events (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    app_id    INTEGER,
    user_id   INTEGER,
    action    TEXT    NOT NULL,
    resources TEXT    NOT NULL,
    outcome   TEXT    NOT NULL,
    salt      BLOB    NOT NULL
);
CREATE INDEX access.events_by_user ON events (user_id, id);

-- Each leaf of the log names an event of one of the two files (in_main: 1 for main.access_events,
-- 0 for access.events). Within each file, events enter the log in id order. Ids are unique
-- across the files, so the index also keeps an event from entering the log twice.
CREATE TABLE access.log_leaves (
    leaf_index INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL,
    in_main    INTEGER NOT NULL
);
CREATE UNIQUE INDEX access.log_leaves_by_event ON log_leaves (in_main, event_id);

-- Every complete subtree hash (level 0: leaf hashes) and every signed checkpoint. Rows are only
-- ever added.
CREATE TABLE access.log_hashes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB    NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE access.log_checkpoints (
    size       INTEGER PRIMARY KEY,
    root       BLOB    NOT NULL,
    note       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The log so far, from the main file (0005 then removes it there).
INSERT INTO access.log_leaves (leaf_index, event_id, in_main)
    SELECT leaf_index, id, 1 FROM main.access_events WHERE leaf_index IS NOT NULL;
INSERT INTO access.log_hashes (level, idx, hash) SELECT level, idx, hash FROM main.log_hashes;
INSERT INTO access.log_checkpoints (size, root, note, created_at)
    SELECT size, root, note, created_at FROM main.log_checkpoints;
