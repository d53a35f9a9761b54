-- A counter that moves forward in the same transaction as every change to what an access
-- token lookup reads: the token, its grant, the app and the partner with its agreement,
-- whichever process makes the change (the server or `clearline admin`). A server keeps the
-- records of access tokens it looked up in memory, and uses one only while its read sees the
-- counter the record was loaded at, so a revocation or a suspension holds on the very next
-- call. A grant's last use is left out: it decides nothing, and it changes once a minute.
-- A later migration that adds a column to one of these tables must cover it here too
-- (a test checks the grants trigger names every column but last_used_at).
CREATE TABLE auth_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);

CREATE TRIGGER oauth_tokens_auth_epoch_update AFTER UPDATE ON oauth_tokens
BEGIN UPDATE auth_epoch SET n = n + 1; END;
CREATE TRIGGER oauth_tokens_auth_epoch_delete AFTER DELETE ON oauth_tokens
BEGIN UPDATE auth_epoch SET n = n + 1; END;

CREATE TRIGGER grants_auth_epoch_update
AFTER UPDATE OF id, user_id, app_id, scopes, created_at, expires_at, revoked_at ON grants
BEGIN UPDATE auth_epoch SET n = n + 1; END;
CREATE TRIGGER grants_auth_epoch_delete AFTER DELETE ON grants
BEGIN UPDATE auth_epoch SET n = n + 1; END;

CREATE TRIGGER apps_auth_epoch_update AFTER UPDATE ON apps
BEGIN UPDATE auth_epoch SET n = n + 1; END;
CREATE TRIGGER apps_auth_epoch_delete AFTER DELETE ON apps
BEGIN UPDATE auth_epoch SET n = n + 1; END;

CREATE TRIGGER partners_auth_epoch_update AFTER UPDATE ON partners
BEGIN UPDATE auth_epoch SET n = n + 1; END;
CREATE TRIGGER partners_auth_epoch_delete AFTER DELETE ON partners
BEGIN UPDATE auth_epoch SET n = n + 1; END;
