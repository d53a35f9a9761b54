//! [`AccountStore`] on SQLite: people and sessions.

use clearline_domain::{Handle, HandlePrefix, SessionId, Timestamp, User, UserId};
use rusqlite::{OptionalExtension, Row};

use super::SqliteStore;
use super::rows::Prep;
use super::rows::{self, USER_COLS, conflict_as};
use crate::traits::{AccountStore, StoreResult};
use crate::{Credentials, NewSession, NewUser, SessionRecord};

const SESSION_COLS: &str = "id, user_id, secret_hash, user_agent, created_at, expires_at";

fn session(r: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    let hash: Vec<u8> = r.get(2)?;
    let secret_hash = <[u8; 32]>::try_from(hash.as_slice())
        .map_err(|_| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Blob, "hash length".into()))?;
    Ok(SessionRecord {
        id: SessionId::from_raw(r.get(0)?),
        user_id: UserId::from_raw(r.get(1)?),
        secret_hash,
        user_agent: r.get(3)?,
        created_at: Timestamp::from_millis(r.get(4)?),
        expires_at: Timestamp::from_millis(r.get(5)?),
    })
}

impl AccountStore for SqliteStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        self.workers
            .write(move |c, _| {
                let id: i64 = c
                    .prep(
                        "INSERT INTO users (handle, display_name, password_hash, created_at)
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )?
                    .query_row(
                        rusqlite::params![
                            new.handle.as_str(),
                            new.display_name.as_str(),
                            new.password_hash,
                            new.created_at.millis()
                        ],
                        |r| r.get(0),
                    )
                    .map_err(conflict_as("handle"))?;
                Ok(User {
                    id: UserId::from_raw(id),
                    handle: new.handle,
                    display_name: new.display_name,
                    created_at: new.created_at,
                })
            })
            .await
    }

    async fn credentials(&self, handle: Handle) -> StoreResult<Option<Credentials>> {
        self.workers
            .read(move |c| {
                let sql = format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.handle = $1");
                Ok(c.prep(&sql)?
                    .query_row([handle.as_str()], |r| {
                        Ok(Credentials { user: rows::user(r, 0)?, password_hash: r.get(4)? })
                    })
                    .optional()?)
            })
            .await
    }

    async fn users(&self, ids: Vec<UserId>) -> StoreResult<Vec<User>> {
        self.workers
            .read(move |c| {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(u) = rows::load_user(c, id)? {
                        out.push(u);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn search_users(&self, viewer: UserId, prefix: HandlePrefix, limit: u32) -> StoreResult<Vec<User>> {
        self.workers
            .read(move |c| {
                // Handles hold only [a-z0-9_]; '_' is escaped so it is not a LIKE wildcard.
                let pattern = format!("{}%", prefix.as_str().replace('_', "\\_"));
                let sql = format!(
                    "SELECT {USER_COLS} FROM users u
                     WHERE u.handle LIKE $1 ESCAPE '\\' AND u.id <> $2
                       AND NOT EXISTS (SELECT 1 FROM blocks b
                                       WHERE (b.blocker_id = u.id AND b.blocked_id = $2)
                                          OR (b.blocker_id = $2 AND b.blocked_id = u.id))
                     ORDER BY u.handle LIMIT $3"
                );
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map(rusqlite::params![pattern, viewer.raw(), limit], |r| rows::user(r, 0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn create_session(&self, new: NewSession) -> StoreResult<SessionId> {
        self.workers
            .write(move |c, _| {
                let id: i64 = c
                    .prep(
                        "INSERT INTO sessions (user_id, secret_hash, user_agent, created_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )?
                    .query_row(
                        rusqlite::params![
                            new.user_id.raw(),
                            &new.secret_hash[..],
                            new.user_agent,
                            new.created_at.millis(),
                            new.expires_at.millis()
                        ],
                        |r| r.get(0),
                    )?;
                Ok(SessionId::from_raw(id))
            })
            .await
    }

    async fn session(&self, id: SessionId) -> StoreResult<Option<SessionRecord>> {
        self.workers
            .read(move |c| {
                let sql = format!("SELECT {SESSION_COLS} FROM sessions WHERE id = $1 AND revoked_at IS NULL");
                Ok(c.prep(&sql)?.query_row([id.raw()], session).optional()?)
            })
            .await
    }

    async fn sessions_of(&self, user: UserId, now: Timestamp) -> StoreResult<Vec<SessionRecord>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {SESSION_COLS} FROM sessions
                     WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
                     ORDER BY id DESC"
                );
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map(rusqlite::params![user.raw(), now.millis()], session)?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn revoke_session(&self, user: UserId, id: SessionId, now: Timestamp) -> StoreResult<bool> {
        self.workers
            .write(move |c, _| {
                let n = c
                    .prep("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")?
                    .execute(rusqlite::params![now.millis(), id.raw(), user.raw()])?;
                Ok(n == 1)
            })
            .await
    }
}
