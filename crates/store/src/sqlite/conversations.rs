//! [`ConversationStore`] on SQLite: conversations, members and the inbox listing.

use clearline_domain::{Conversation, ConversationId, ConversationKind, EventKind, Page, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::events::emit;
use super::rows;
use super::rows::Prep;
use crate::traits::{ConversationStore, StoreResult};
use crate::{ActivityCursor, ConversationSummary, Created, Delivery, NewConversation, StoreError, UNREAD_CAP};

fn direct_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    format!("{}:{}", lo.raw(), hi.raw())
}

fn must_load(c: &Connection, id: ConversationId) -> Result<Conversation, StoreError> {
    rows::load_conversation(c, id)?.ok_or(StoreError::NotFound { what: "conversation" })
}

fn insert_member(c: &Connection, id: ConversationId, user: UserId, now: Timestamp) -> Result<bool, StoreError> {
    let n = c
        .prep(
            "INSERT INTO members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)
             ON CONFLICT (conversation_id, user_id) DO NOTHING",
        )?
        .execute([id.raw(), user.raw(), now.millis()])?;
    Ok(n == 1)
}

/// One inbox row; `last_message_id` and `activity` come from the listing query.
fn summary(
    c: &Connection,
    user: UserId,
    (id, last_message_id, activity): (ConversationId, Option<i64>, i64),
) -> Result<ConversationSummary, StoreError> {
    let conversation = must_load(c, id)?;
    let last_message = match last_message_id {
        Some(m) => rows::load_message(c, clearline_domain::MessageId::from_raw(m))?,
        None => None,
    };
    let read_up_to = conversation.member(user).and_then(|m| m.read_up_to).map_or(0, |m| m.raw());
    let unread: i64 = c
        .prep(
            "SELECT COUNT(*) FROM (SELECT 1 FROM messages
              WHERE conversation_id = $1 AND id > $2 AND sender_id <> $3 AND deleted_at IS NULL
              LIMIT $4)",
        )?
        .query_row(rusqlite::params![id.raw(), read_up_to, user.raw(), UNREAD_CAP], |r| r.get(0))?;
    Ok(ConversationSummary {
        conversation,
        last_message,
        unread_count: u32::try_from(unread).unwrap_or(UNREAD_CAP),
        activity,
    })
}

impl ConversationStore for SqliteStore {
    async fn create_conversation(&self, new: NewConversation) -> StoreResult<Created<Conversation>> {
        self.workers
            .write(move |c, state| {
                let key = match (new.kind, new.other_members.as_slice()) {
                    (ConversationKind::Direct, [other]) => Some(direct_key(new.creator_id, *other)),
                    (ConversationKind::Direct, _) => return Err(StoreError::Corrupt("direct needs one other".into())),
                    _ => None,
                };
                let now = new.created_at;
                let inserted: Option<i64> = c
                    .prep(
                        "INSERT INTO conversations (kind, title, creator_id, direct_key, created_at, last_activity_at, activity)
                         VALUES ($1, $2, $3, $4, $5, $5, (SELECT COALESCE(MAX(id), 0) FROM messages))
                         ON CONFLICT (direct_key) DO NOTHING RETURNING id",
                    )?
                    .query_row(
                        rusqlite::params![
                            new.kind.as_str(),
                            new.title.as_ref().map(|t| t.as_str()),
                            new.creator_id.raw(),
                            key,
                            now.millis()
                        ],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(id) = inserted.map(ConversationId::from_raw) else {
                    let existing: i64 =
                        c.prep("SELECT id FROM conversations WHERE direct_key = $1")?.query_row([key], |r| r.get(0))?;
                    let value = must_load(c, ConversationId::from_raw(existing))?;
                    return Ok(Created { value, created: false, deliveries: Vec::new() });
                };
                let mut everyone = vec![new.creator_id];
                everyone.extend(new.other_members.iter().copied().filter(|u| *u != new.creator_id));
                everyone.dedup();
                for user in &everyone {
                    insert_member(c, id, *user, now)?;
                }
                let deliveries =
                    emit(c, state, &everyone, &EventKind::ConversationUpdated { conversation_id: id }, now)?;
                Ok(Created { value: must_load(c, id)?, created: true, deliveries })
            })
            .await
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        self.workers.read(move |c| rows::load_conversation(c, id)).await
    }

    async fn conversations_of(
        &self,
        user: UserId,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>> {
        self.workers
            .read(move |c| {
                let (at, id) = before.map_or((i64::MAX, i64::MAX), |b| (b.activity, b.id.raw()));
                let mut stmt = c.prep(
                    "SELECT c.id, c.last_message_id, c.activity
                     FROM members mb JOIN conversations c ON c.id = mb.conversation_id
                     WHERE mb.user_id = $1
                       AND (c.activity < $2 OR (c.activity = $2 AND c.id < $3))
                     ORDER BY c.activity DESC, c.id DESC LIMIT $4",
                )?;
                let rows = stmt
                    .query_map(rusqlite::params![user.raw(), at, id, limit + 1], |r| {
                        Ok((ConversationId::from_raw(r.get(0)?), r.get(1)?, r.get(2)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let has_more = rows.len() > limit as usize;
                let items =
                    rows.into_iter().take(limit as usize).map(|row| summary(c, user, row)).collect::<Result<_, _>>()?;
                Ok(Page { items, has_more })
            })
            .await
    }

    async fn add_members(&self, id: ConversationId, users: Vec<UserId>, now: Timestamp) -> StoreResult<Vec<Delivery>> {
        self.workers
            .write(move |c, state| {
                must_load(c, id)?;
                for user in &users {
                    insert_member(c, id, *user, now)?;
                }
                let everyone = rows::member_ids(c, id)?;
                emit(c, state, &everyone, &EventKind::ConversationUpdated { conversation_id: id }, now)
            })
            .await
    }

    async fn remove_member(&self, id: ConversationId, user: UserId, now: Timestamp) -> StoreResult<Vec<Delivery>> {
        self.workers
            .write(move |c, state| {
                let n = c
                    .prep("DELETE FROM members WHERE conversation_id = $1 AND user_id = $2")?
                    .execute([id.raw(), user.raw()])?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "member" });
                }
                let mut told = rows::member_ids(c, id)?;
                told.push(user);
                emit(c, state, &told, &EventKind::ConversationUpdated { conversation_id: id }, now)
            })
            .await
    }
}
