//! Per-person event streams: numbering and recording events on the writer, and reading them
//! back (joined with the messages and people they point at) on the readers.

use clearline_domain::{ConversationId, Event, EventKind, EventSeq, MessageId, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::rows::Prep;
use super::rows::{self, MESSAGE_COLS, USER_COLS};
use super::workers::WriterState;
use crate::traits::{EventStore, StoreResult};
use crate::{Delivery, StoreError};

/// The next event number of `user`, from the writer's cache or the table.
fn next_seq(conn: &Connection, state: &mut WriterState, user: UserId) -> Result<i64, StoreError> {
    let last = match state.event_seqs.get(&user.raw()) {
        Some(&seq) => seq,
        None => last_seq(conn, user)?,
    };
    state.event_seqs.insert(user.raw(), last + 1);
    Ok(last + 1)
}

fn last_seq(conn: &Connection, user: UserId) -> Result<i64, StoreError> {
    Ok(conn
        .prep("SELECT MAX(seq) FROM events WHERE user_id = $1")?
        .query_row([user.raw()], |r| r.get::<_, Option<i64>>(0))?
        .unwrap_or(0))
}

/// Records `kind` in the stream of each of `recipients` and returns the numbered events.
pub(super) fn emit(
    conn: &Connection,
    state: &mut WriterState,
    recipients: &[UserId],
    kind: &EventKind,
    at: Timestamp,
) -> Result<Vec<Delivery>, StoreError> {
    let (conversation, message, subject): (Option<i64>, Option<i64>, Option<i64>) = match kind {
        EventKind::MessageCreated(m) => (Some(m.conversation_id.raw()), Some(m.id.raw()), None),
        EventKind::MessageDeleted { conversation_id, message_id } => {
            (Some(conversation_id.raw()), Some(message_id.raw()), None)
        }
        EventKind::ReadMarked { conversation_id, user_id, up_to } => {
            (Some(conversation_id.raw()), Some(up_to.raw()), Some(user_id.raw()))
        }
        EventKind::FriendRequestReceived { from } => (None, None, Some(from.id.raw())),
        EventKind::FriendAdded { friend } => (None, None, Some(friend.id.raw())),
        EventKind::FriendRemoved { user_id } => (None, None, Some(user_id.raw())),
        EventKind::ConversationUpdated { conversation_id } => (Some(conversation_id.raw()), None, None),
    };
    let mut stmt = conn.prep(
        "INSERT INTO events (user_id, seq, kind, conversation_id, message_id, subject_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )?;
    let mut out = Vec::with_capacity(recipients.len());
    for &user in recipients {
        let seq = next_seq(conn, state, user)?;
        stmt.execute(rusqlite::params![user.raw(), seq, kind.code(), conversation, message, subject, at.millis()])?;
        out.push((user, Event { seq: EventSeq(seq), at, kind: kind.clone() }));
    }
    Ok(out)
}

/// Where the user columns start in [`read_events`]'s rows: after six event columns and the
/// message columns.
const USER_AT: usize = 6 + rows::MESSAGE_WIDTH;

fn read_events(conn: &Connection, user: UserId, after: EventSeq, limit: u32) -> Result<Vec<Event>, StoreError> {
    let sql = format!(
        "SELECT e.seq, e.kind, e.conversation_id, e.message_id, e.subject_id, e.created_at,
                {MESSAGE_COLS}, {USER_COLS}
         FROM events e
         LEFT JOIN messages m ON e.kind = 1 AND m.id = e.message_id
         LEFT JOIN users u ON u.id = e.subject_id
         WHERE e.user_id = $1 AND e.seq > $2
         ORDER BY e.seq
         LIMIT $3"
    );
    let mut stmt = conn.prep(&sql)?;
    let rows = stmt.query_map(rusqlite::params![user.raw(), after.0, limit], |r| {
        let code: i64 = r.get(1)?;
        let conversation = r.get::<_, Option<i64>>(2)?.map(ConversationId::from_raw);
        let message = r.get::<_, Option<i64>>(3)?.map(MessageId::from_raw);
        let subject = r.get::<_, Option<i64>>(4)?.map(UserId::from_raw);
        let missing = || rusqlite::Error::InvalidColumnType(0, "event reference".into(), rusqlite::types::Type::Null);
        let kind = match code {
            1 => EventKind::MessageCreated(rows::message(r, 6)?),
            2 => EventKind::MessageDeleted {
                conversation_id: conversation.ok_or_else(missing)?,
                message_id: message.ok_or_else(missing)?,
            },
            3 => EventKind::ReadMarked {
                conversation_id: conversation.ok_or_else(missing)?,
                user_id: subject.ok_or_else(missing)?,
                up_to: message.ok_or_else(missing)?,
            },
            4 => EventKind::FriendRequestReceived { from: rows::user(r, USER_AT)? },
            5 => EventKind::FriendAdded { friend: rows::user(r, USER_AT)? },
            6 => EventKind::FriendRemoved { user_id: subject.ok_or_else(missing)? },
            7 => EventKind::ConversationUpdated { conversation_id: conversation.ok_or_else(missing)? },
            _ => return Err(missing()),
        };
        Ok(Event { seq: EventSeq(r.get(0)?), at: Timestamp::from_millis(r.get(5)?), kind })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl EventStore for SqliteStore {
    async fn events_since(&self, user: UserId, after: EventSeq, limit: u32) -> StoreResult<Vec<Event>> {
        self.workers.read(move |c| read_events(c, user, after, limit)).await
    }

    async fn last_event_seq(&self, user: UserId) -> StoreResult<EventSeq> {
        self.workers.read(move |c| last_seq(c, user).map(EventSeq)).await
    }
}

/// Whether a row exists for `sql` with `params` (a `SELECT 1 ...` query).
pub(super) fn exists(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<bool, StoreError> {
    Ok(conn.prep(sql)?.query_row(params, |_| Ok(())).optional()?.is_some())
}
