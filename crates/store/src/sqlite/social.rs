//! [`SocialStore`] on SQLite: friend requests, friendships (stored both ways) and blocks.

use clearline_domain::{EventKind, FriendRequest, Relationship, Timestamp, User, UserId};
use rusqlite::Connection;

use super::SqliteStore;
use super::events::{emit, exists};
use super::rows::Prep;
use super::rows::{self, USER_COLS};
use super::workers::WriterState;
use crate::traits::{SocialStore, StoreResult};
use crate::{Delivery, Friend, StoreError};

fn relationship(c: &Connection, viewer: UserId, other: UserId) -> Result<Relationship, StoreError> {
    let (v, o) = (viewer.raw(), other.raw());
    Ok(Relationship {
        friends: exists(c, "SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", [v, o])?,
        request_sent: exists(c, "SELECT 1 FROM friend_requests WHERE from_id = $1 AND to_id = $2", [v, o])?,
        request_received: exists(c, "SELECT 1 FROM friend_requests WHERE from_id = $1 AND to_id = $2", [o, v])?,
        blocked_by_viewer: exists(c, "SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", [v, o])?,
        blocked_by_other: exists(c, "SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2", [o, v])?,
    })
}

fn user_or_missing(c: &Connection, id: UserId) -> Result<User, StoreError> {
    rows::load_user(c, id)?.ok_or(StoreError::NotFound { what: "user" })
}

/// Ends the friendship between `a` and `b` if there is one, telling both.
fn unfriend(
    c: &Connection,
    state: &mut WriterState,
    a: UserId,
    b: UserId,
    now: Timestamp,
) -> Result<Vec<Delivery>, StoreError> {
    let n = c
        .prep("DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)")?
        .execute([a.raw(), b.raw()])?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut out = emit(c, state, &[a], &EventKind::FriendRemoved { user_id: b }, now)?;
    out.extend(emit(c, state, &[b], &EventKind::FriendRemoved { user_id: a }, now)?);
    Ok(out)
}

fn requests(c: &Connection, sql: &str, user: UserId) -> Result<Vec<FriendRequest>, StoreError> {
    let mut stmt = c.prep(sql)?;
    let rows = stmt.query_map([user.raw()], |r| {
        Ok(FriendRequest { user: rows::user(r, 0)?, created_at: Timestamp::from_millis(r.get(4)?) })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl SocialStore for SqliteStore {
    async fn relationship(&self, viewer: UserId, other: UserId) -> StoreResult<Relationship> {
        self.workers.read(move |c| relationship(c, viewer, other)).await
    }

    async fn create_friend_request(&self, from: UserId, to: UserId, now: Timestamp) -> StoreResult<Vec<Delivery>> {
        self.workers
            .write(move |c, state| {
                let n = c
                    .prep(
                        "INSERT INTO friend_requests (from_id, to_id, created_at) VALUES ($1, $2, $3)
                         ON CONFLICT (from_id, to_id) DO NOTHING",
                    )?
                    .execute([from.raw(), to.raw(), now.millis()])?;
                if n == 0 {
                    return Ok(Vec::new());
                }
                let sender = user_or_missing(c, from)?;
                emit(c, state, &[to], &EventKind::FriendRequestReceived { from: sender }, now)
            })
            .await
    }

    async fn accept_friend_request(
        &self,
        accepter: UserId,
        requester: UserId,
        now: Timestamp,
    ) -> StoreResult<Vec<Delivery>> {
        self.workers
            .write(move |c, state| {
                let n = c
                    .prep("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2")?
                    .execute([requester.raw(), accepter.raw()])?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "friend request" });
                }
                c.prep("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2")?
                    .execute([accepter.raw(), requester.raw()])?;
                let mut insert = c.prep(
                    "INSERT INTO friendships (user_id, friend_id, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (user_id, friend_id) DO NOTHING",
                )?;
                insert.execute([accepter.raw(), requester.raw(), now.millis()])?;
                insert.execute([requester.raw(), accepter.raw(), now.millis()])?;
                let (a, r) = (user_or_missing(c, accepter)?, user_or_missing(c, requester)?);
                let mut out = emit(c, state, &[requester], &EventKind::FriendAdded { friend: a }, now)?;
                out.extend(emit(c, state, &[accepter], &EventKind::FriendAdded { friend: r }, now)?);
                Ok(out)
            })
            .await
    }

    async fn delete_friend_request(&self, from: UserId, to: UserId) -> StoreResult<bool> {
        self.workers
            .write(move |c, _| {
                let n = c
                    .prep("DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2")?
                    .execute([from.raw(), to.raw()])?;
                Ok(n == 1)
            })
            .await
    }

    async fn friend_requests(&self, user: UserId) -> StoreResult<(Vec<FriendRequest>, Vec<FriendRequest>)> {
        self.workers
            .read(move |c| {
                let received = requests(
                    c,
                    &format!(
                        "SELECT {USER_COLS}, f.created_at FROM friend_requests f JOIN users u ON u.id = f.from_id
                         WHERE f.to_id = $1 ORDER BY f.created_at DESC"
                    ),
                    user,
                )?;
                let sent = requests(
                    c,
                    &format!(
                        "SELECT {USER_COLS}, f.created_at FROM friend_requests f JOIN users u ON u.id = f.to_id
                         WHERE f.from_id = $1 ORDER BY f.created_at DESC"
                    ),
                    user,
                )?;
                Ok((received, sent))
            })
            .await
    }

    async fn friends(&self, user: UserId) -> StoreResult<Vec<Friend>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {USER_COLS}, f.created_at FROM friendships f JOIN users u ON u.id = f.friend_id
                     WHERE f.user_id = $1 ORDER BY u.handle"
                );
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map([user.raw()], |r| {
                    Ok(Friend { user: rows::user(r, 0)?, since: Timestamp::from_millis(r.get(4)?) })
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn remove_friend(&self, user: UserId, friend: UserId, now: Timestamp) -> StoreResult<Vec<Delivery>> {
        self.workers
            .write(move |c, state| {
                let out = unfriend(c, state, user, friend, now)?;
                if out.is_empty() {
                    return Err(StoreError::NotFound { what: "friend" });
                }
                Ok(out)
            })
            .await
    }

    async fn block(&self, blocker: UserId, blocked: UserId, now: Timestamp) -> StoreResult<Vec<Delivery>> {
        self.workers
            .write(move |c, state| {
                c.prep(
                    "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (blocker_id, blocked_id) DO NOTHING",
                )?
                .execute([blocker.raw(), blocked.raw(), now.millis()])?;
                c.prep(
                    "DELETE FROM friend_requests WHERE (from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)",
                )?
                .execute([blocker.raw(), blocked.raw()])?;
                unfriend(c, state, blocker, blocked, now)
            })
            .await
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId) -> StoreResult<bool> {
        self.workers
            .write(move |c, _| {
                let n = c
                    .prep("DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2")?
                    .execute([blocker.raw(), blocked.raw()])?;
                Ok(n == 1)
            })
            .await
    }

    async fn blocked_by(&self, user: UserId) -> StoreResult<Vec<User>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {USER_COLS} FROM blocks b JOIN users u ON u.id = b.blocked_id
                     WHERE b.blocker_id = $1 ORDER BY u.handle"
                );
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map([user.raw()], |r| rows::user(r, 0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }
}
