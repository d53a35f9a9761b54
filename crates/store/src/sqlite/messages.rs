//! [`MessageStore`] on SQLite: sending (idempotent), paging, read marks and erasure.

use clearline_domain::{
    ConversationId, ConversationKind, Cursor, EventKind, Message, MessageId, Page, PageRequest, Timestamp, UserId,
};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::events::{emit, exists};
use super::rows::Prep;
use super::rows::{self, MESSAGE_COLS};
use super::workers::WriterState;
use crate::traits::{MessageStore, StoreResult};
use crate::{Created, NewMessage, SendContext, StoreError};

/// The sender's permission context and the current members, read in the write transaction.
fn send_context(
    c: &Connection,
    id: ConversationId,
    sender: UserId,
) -> Result<Option<(SendContext, Vec<UserId>)>, StoreError> {
    let kind: Option<String> =
        c.prep("SELECT kind FROM conversations WHERE id = $1")?.query_row([id.raw()], |r| r.get(0)).optional()?;
    let Some(kind) = kind.as_deref().and_then(ConversationKind::from_name) else { return Ok(None) };
    let members = rows::member_ids(c, id)?;
    let sender_is_member = members.contains(&sender);
    // Blocks and friendship only matter between the two people of a direct conversation or
    // app thread; groups skip both queries.
    let (blocked_with_a_member, friends_with_others) = if kind == ConversationKind::Group || !sender_is_member {
        (false, true)
    } else {
        c.prep(
            "SELECT
               EXISTS (SELECT 1 FROM members mb JOIN blocks b
                         ON (b.blocker_id = $1 AND b.blocked_id = mb.user_id)
                         OR (b.blocker_id = mb.user_id AND b.blocked_id = $1)
                       WHERE mb.conversation_id = $2 AND mb.user_id <> $1),
               NOT EXISTS (SELECT 1 FROM members mb
                           WHERE mb.conversation_id = $2 AND mb.user_id <> $1
                             AND NOT EXISTS (SELECT 1 FROM friendships f
                                             WHERE f.user_id = $1 AND f.friend_id = mb.user_id))",
        )?
        .query_row([sender.raw(), id.raw()], |r| Ok((r.get(0)?, r.get(1)?)))?
    };
    Ok(Some((SendContext { kind, sender_is_member, blocked_with_a_member, friends_with_others }, members)))
}

pub(super) fn insert_message(
    c: &Connection,
    state: &mut WriterState,
    new: NewMessage,
    members: &[UserId],
) -> Result<Created<Message>, StoreError> {
    let key = new.idempotency_key.as_ref().map(|k| k.as_str());
    let card =
        new.card.as_ref().map(serde_json::to_string).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let inserted: Option<i64> = c
        .prep(
            "INSERT INTO messages (conversation_id, sender_id, content_type, body, created_at, idempotency_key, via_app_id, card)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (sender_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
             RETURNING id",
        )?
        .query_row(
            rusqlite::params![
                new.conversation_id.raw(),
                new.sender_id.raw(),
                new.content.content_type().as_str(),
                new.content.body().as_bytes(),
                new.created_at.millis(),
                key,
                new.via.map(|a| a.raw()),
                card
            ],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = inserted else {
        let sql = format!("SELECT {MESSAGE_COLS} FROM messages m WHERE m.sender_id = $1 AND m.idempotency_key = $2");
        let first = c.prep(&sql)?.query_row(rusqlite::params![new.sender_id.raw(), key], |r| rows::message(r, 0))?;
        return Ok(Created { value: first, created: false, deliveries: Vec::new() });
    };
    c.prep("UPDATE conversations SET last_activity_at = $1, last_message_id = $2, activity = $2 WHERE id = $3")?
        .execute([new.created_at.millis(), id, new.conversation_id.raw()])?;
    let message = Message {
        id: MessageId::from_raw(id),
        conversation_id: new.conversation_id,
        sender_id: new.sender_id,
        content: Some(new.content),
        created_at: new.created_at,
        deleted_at: None,
        via: new.via,
        card: new.card,
    };
    let deliveries = emit(c, state, members, &EventKind::MessageCreated(message.clone()), new.created_at)?;
    Ok(Created { value: message, created: true, deliveries })
}

pub(super) fn page(c: &Connection, id: ConversationId, req: PageRequest) -> Result<Page<Message>, StoreError> {
    let (sql, edge) = match req.cursor {
        Cursor::Latest => ("m.conversation_id = $1 AND m.id < $2 ORDER BY m.id DESC", i64::MAX),
        Cursor::Before(b) => ("m.conversation_id = $1 AND m.id < $2 ORDER BY m.id DESC", b),
        Cursor::After(a) => ("m.conversation_id = $1 AND m.id > $2 ORDER BY m.id ASC", a),
    };
    let sql = format!("SELECT {MESSAGE_COLS} FROM messages m WHERE {sql} LIMIT $3");
    let mut stmt = c.prep(&sql)?;
    let mut items = stmt
        .query_map(rusqlite::params![id.raw(), edge, req.limit + 1], |r| rows::message(r, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = items.len() > req.limit as usize;
    items.truncate(req.limit as usize);
    Ok(Page { items, has_more })
}

/// Erases a message's content and card, leaving a tombstone; members get an event.
pub(super) fn erase_message(
    c: &Connection,
    state: &mut WriterState,
    id: MessageId,
    now: Timestamp,
) -> Result<(Message, Vec<crate::Delivery>), StoreError> {
    let n = c
        .prep(
            "UPDATE messages SET content_type = NULL, body = NULL, card = NULL, deleted_at = $1
             WHERE id = $2 AND deleted_at IS NULL",
        )?
        .execute([now.millis(), id.raw()])?;
    if n == 0 {
        return Err(StoreError::NotFound { what: "message" });
    }
    state.erased = true;
    let tombstone = rows::load_message(c, id)?.ok_or(StoreError::NotFound { what: "message" })?;
    let members = rows::member_ids(c, tombstone.conversation_id)?;
    let kind = EventKind::MessageDeleted { conversation_id: tombstone.conversation_id, message_id: id };
    let deliveries = emit(c, state, &members, &kind, now)?;
    Ok((tombstone, deliveries))
}

impl MessageStore for SqliteStore {
    async fn send_message<E: Send + 'static>(
        &self,
        new: NewMessage,
        check: impl FnOnce(&SendContext) -> Result<(), E> + Send + 'static,
    ) -> StoreResult<Result<Created<Message>, E>> {
        self.workers
            .write(move |c, state| {
                let Some((ctx, members)) = send_context(c, new.conversation_id, new.sender_id)? else {
                    return Err(StoreError::NotFound { what: "conversation" });
                };
                if let Err(e) = check(&ctx) {
                    return Ok(Err(e));
                }
                insert_message(c, state, new, &members).map(Ok)
            })
            .await
    }

    async fn messages(&self, id: ConversationId, req: PageRequest) -> StoreResult<Page<Message>> {
        self.workers.read(move |c| page(c, id, req)).await
    }

    async fn message(&self, id: MessageId) -> StoreResult<Option<Message>> {
        self.workers.read(move |c| rows::load_message(c, id)).await
    }

    async fn mark_read(
        &self,
        id: ConversationId,
        user: UserId,
        up_to: MessageId,
        now: Timestamp,
    ) -> StoreResult<Vec<crate::Delivery>> {
        self.workers
            .write(move |c, state| {
                if !exists(c, "SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2", [up_to.raw(), id.raw()])?
                {
                    return Err(StoreError::NotFound { what: "message" });
                }
                let n = c
                    .prep(
                        "UPDATE members SET read_up_to = $1
                         WHERE conversation_id = $2 AND user_id = $3 AND (read_up_to IS NULL OR read_up_to < $1)",
                    )?
                    .execute([up_to.raw(), id.raw(), user.raw()])?;
                if n == 0 {
                    return Ok(Vec::new());
                }
                let members = rows::member_ids(c, id)?;
                emit(c, state, &members, &EventKind::ReadMarked { conversation_id: id, user_id: user, up_to }, now)
            })
            .await
    }

    async fn delete_message(&self, id: MessageId, now: Timestamp) -> StoreResult<(Message, Vec<crate::Delivery>)> {
        self.workers.write(move |c, state| erase_message(c, state, id, now)).await
    }
}
