//! Decoding rows into domain values. Stored text is re-checked on the way out; a value that no
//! longer passes its rules is reported as corruption, never silently accepted.

use clearline_domain::{
    AppId, Body, ContentType, Conversation, ConversationId, ConversationKind, DisplayName, GroupTitle, Handle, Member,
    Message, MessageContent, MessageId, Timestamp, User, UserId,
};
use rusqlite::{Connection, OptionalExtension, Row};

use crate::StoreError;

/// The columns [`user`] reads, for a `users` table aliased `u`.
pub(super) const USER_COLS: &str = "u.id, u.handle, u.display_name, u.created_at";

/// The columns [`message`] reads, for a `messages` table aliased `m`.
pub(super) const MESSAGE_COLS: &str =
    "m.id, m.conversation_id, m.sender_id, m.content_type, m.body, m.created_at, m.deleted_at, m.via_app_id, m.card";

pub(super) fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.to_owned().into())
}

/// The number of columns in [`MESSAGE_COLS`].
pub(super) const MESSAGE_WIDTH: usize = 9;

/// A user from [`USER_COLS`] starting at column `i`.
pub(super) fn user(row: &Row<'_>, i: usize) -> rusqlite::Result<User> {
    let handle: String = row.get(i + 1)?;
    let name: String = row.get(i + 2)?;
    Ok(User {
        id: UserId::from_raw(row.get(i)?),
        handle: Handle::parse(&handle).map_err(|_| corrupt("handle"))?,
        display_name: DisplayName::from_stored(name),
        created_at: Timestamp::from_millis(row.get(i + 3)?),
    })
}

/// A message from [`MESSAGE_COLS`] starting at column `i`.
pub(super) fn message(row: &Row<'_>, i: usize) -> rusqlite::Result<Message> {
    debug_assert_eq!(MESSAGE_COLS.split(',').count(), MESSAGE_WIDTH);
    let content_type: Option<String> = row.get(i + 3)?;
    let body: Option<Vec<u8>> = row.get(i + 4)?;
    let content = match (content_type, body) {
        (Some(ct), Some(body)) => Some(MessageContent::from_stored(
            ContentType::parse(&ct).map_err(|_| corrupt("content type"))?,
            Body::from_stored(body),
        )),
        _ => None,
    };
    Ok(Message {
        id: MessageId::from_raw(row.get(i)?),
        conversation_id: ConversationId::from_raw(row.get(i + 1)?),
        sender_id: UserId::from_raw(row.get(i + 2)?),
        content,
        created_at: Timestamp::from_millis(row.get(i + 5)?),
        deleted_at: row.get::<_, Option<i64>>(i + 6)?.map(Timestamp::from_millis),
        via: row.get::<_, Option<i64>>(i + 7)?.map(AppId::from_raw),
        card: match row.get::<_, Option<String>>(i + 8)? {
            Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("card"))?),
            None => None,
        },
    })
}

/// One message by id.
pub(super) fn load_message(conn: &Connection, id: MessageId) -> Result<Option<Message>, StoreError> {
    let sql = format!("SELECT {MESSAGE_COLS} FROM messages m WHERE m.id = $1");
    Ok(conn.prep(&sql)?.query_row([id.raw()], |r| message(r, 0)).optional()?)
}

/// A conversation and its current members.
pub(super) fn load_conversation(conn: &Connection, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
    let head = conn
        .prep("SELECT kind, title, creator_id, created_at, last_activity_at, app_id FROM conversations WHERE id = $1")?
        .query_row([id.raw()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })
        .optional()?;
    let Some((kind, title, creator, created, active, app)) = head else { return Ok(None) };
    let kind = ConversationKind::from_name(&kind).ok_or_else(|| StoreError::Corrupt("kind".into()))?;
    let title = title.map(GroupTitle::from_stored);
    Ok(Some(Conversation {
        id,
        kind,
        title,
        creator_id: UserId::from_raw(creator),
        members: load_members(conn, id)?,
        created_at: Timestamp::from_millis(created),
        last_activity_at: Timestamp::from_millis(active),
        app_id: app.map(AppId::from_raw),
    }))
}

/// The current members of a conversation, in joining order.
pub(super) fn load_members(conn: &Connection, id: ConversationId) -> Result<Vec<Member>, StoreError> {
    let mut stmt = conn.prep(
        "SELECT user_id, joined_at, read_up_to FROM members WHERE conversation_id = $1 ORDER BY joined_at, user_id",
    )?;
    let rows = stmt.query_map([id.raw()], |r| {
        Ok(Member {
            user_id: UserId::from_raw(r.get(0)?),
            joined_at: Timestamp::from_millis(r.get(1)?),
            read_up_to: r.get::<_, Option<i64>>(2)?.map(MessageId::from_raw),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The ids of a conversation's current members.
pub(super) fn member_ids(conn: &Connection, id: ConversationId) -> Result<Vec<UserId>, StoreError> {
    let mut stmt = conn.prep("SELECT user_id FROM members WHERE conversation_id = $1")?;
    let rows = stmt.query_map([id.raw()], |r| r.get::<_, i64>(0).map(UserId::from_raw))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One user by id.
pub(super) fn load_user(conn: &Connection, id: UserId) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1");
    Ok(conn.prep(&sql)?.query_row([id.raw()], |r| user(r, 0)).optional()?)
}

/// Maps a unique-constraint failure to `Conflict { what }`, anything else to `Database`.
pub(super) fn conflict_as(what: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict { what },
        _ => StoreError::Database(e),
    }
}

/// `prepare_cached` that also checks the `$n` placeholders appear in order of first use.
///
/// SQLite numbers `$name` parameters by first appearance, not by the digits in the name, so
/// `SET a = $2 WHERE id = $1` would silently bind the values the wrong way round.
pub(super) trait Prep {
    /// Prepares (or reuses) `sql` after checking its placeholders.
    fn prep(&self, sql: &str) -> rusqlite::Result<rusqlite::CachedStatement<'_>>;
}

impl Prep for Connection {
    fn prep(&self, sql: &str) -> rusqlite::Result<rusqlite::CachedStatement<'_>> {
        let stmt = self.prepare_cached(sql)?;
        // Checked in debug builds (every test run); release builds skip the per-call cost.
        #[cfg(debug_assertions)]
        for i in 1..=stmt.parameter_count() {
            let expected = format!("${i}");
            match stmt.parameter_name(i) {
                Some(name) if name == expected => {}
                other => return Err(rusqlite::Error::InvalidParameterName(other.unwrap_or("?").to_owned())),
            }
        }
        Ok(stmt)
    }
}
