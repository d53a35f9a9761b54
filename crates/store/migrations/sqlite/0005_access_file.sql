-- The transparency log moved to the access file (access/0001_access copied it): drop it here,
-- and rebuild access_events without leaf_index (a UNIQUE column cannot be dropped in place).
-- From now on this table holds only events written together with their effect. Events are
-- listed by person (and app, among the person's), never by app alone: no index by app.
CREATE TABLE main.access_events_new (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    app_id    INTEGER,
    user_id   INTEGER,
    action    TEXT    NOT NULL,
    resources TEXT    NOT NULL,
    outcome   TEXT    NOT NULL,
    salt      BLOB    NOT NULL
);
INSERT INTO main.access_events_new (id, at, app_id, user_id, action, resources, outcome, salt)
    SELECT id, at, app_id, user_id, action, resources, outcome, salt FROM main.access_events;
DROP TABLE main.access_events;
ALTER TABLE main.access_events_new RENAME TO access_events;
CREATE INDEX main.access_events_by_user ON access_events (user_id, id);
DROP TABLE main.log_hashes;
DROP TABLE main.log_checkpoints;
