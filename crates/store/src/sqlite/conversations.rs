//! [`ConversationStore`] on SQLite: conversations, members and the inbox listing.

use clearline_domain::{AppId, Conversation, ConversationId, ConversationKind, EventKind, Page, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension};

use super::SqliteStore;
use super::events::emit;
use super::rows;
use super::rows::Prep;
use super::workers::WriterState;
use crate::traits::{ConversationStore, StoreResult};
use crate::{ActivityCursor, ConversationSummary, Created, Delivery, NewConversation, StoreError, UNREAD_CAP};

/// The unique key of a two-person conversation: `low:high` user ids for direct ones,
/// `low:high:app` for app threads (one per pair and app); `None` for groups.
pub(super) fn pair_key(new: &NewConversation) -> Result<Option<String>, StoreError> {
    let other = match (new.kind, new.other_members.as_slice()) {
        (ConversationKind::Group, _) => return Ok(None),
        (_, [other]) => *other,
        _ => return Err(StoreError::Corrupt("a two-person conversation needs one other member".into())),
    };
    let (lo, hi) = if new.creator_id < other { (new.creator_id, other) } else { (other, new.creator_id) };
    Ok(Some(match (new.kind, new.app_id) {
        (ConversationKind::AppThread, Some(app)) => format!("{}:{}:{}", lo.raw(), hi.raw(), app.raw()),
        (ConversationKind::AppThread, None) => return Err(StoreError::Corrupt("an app thread needs its app".into())),
        _ => format!("{}:{}", lo.raw(), hi.raw()),
    }))
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

/// Creates a conversation, or returns the pair's existing one for direct conversations and
/// app threads; members get an event when it is new.
pub(super) fn insert_conversation(
    c: &Connection,
    state: &mut WriterState,
    new: NewConversation,
) -> Result<Created<Conversation>, StoreError> {
    let key = pair_key(&new)?;
    let now = new.created_at;
    let inserted: Option<i64> = c
        .prep(
            "INSERT INTO conversations (kind, title, creator_id, direct_key, created_at, last_activity_at, activity, app_id)
             VALUES ($1, $2, $3, $4, $5, $5, (SELECT COALESCE(MAX(id), 0) FROM messages), $6)
             ON CONFLICT (direct_key) DO NOTHING RETURNING id",
        )?
        .query_row(
            rusqlite::params![
                new.kind.as_str(),
                new.title.as_ref().map(|t| t.as_str()),
                new.creator_id.raw(),
                key,
                now.millis(),
                new.app_id.map(|a| a.raw())
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
    let deliveries = emit(c, state, &everyone, &EventKind::ConversationUpdated { conversation_id: id }, now)?;
    Ok(Created { value: must_load(c, id)?, created: true, deliveries })
}

/// A page of a person's conversations (only those started from `app`, when given), most
/// recently active first.
pub(super) fn inbox_page(
    c: &Connection,
    user: UserId,
    app: Option<AppId>,
    before: Option<ActivityCursor>,
    limit: u32,
) -> Result<Page<ConversationSummary>, StoreError> {
    let (at, id) = before.map_or((i64::MAX, i64::MAX), |b| (b.activity, b.id.raw()));
    let head = "SELECT c.id, c.last_message_id, c.activity
                FROM members mb JOIN conversations c ON c.id = mb.conversation_id
                WHERE mb.user_id = $1 AND (c.activity < $2 OR (c.activity = $2 AND c.id < $3))";
    let rows = match app {
        None => {
            let sql = format!("{head} ORDER BY c.activity DESC, c.id DESC LIMIT $4");
            let mut stmt = c.prep(&sql)?;
            stmt.query_map(rusqlite::params![user.raw(), at, id, limit + 1], inbox_row)?
                .collect::<Result<Vec<_>, _>>()?
        }
        Some(app) => {
            let sql = format!("{head} AND c.app_id = $4 ORDER BY c.activity DESC, c.id DESC LIMIT $5");
            let mut stmt = c.prep(&sql)?;
            stmt.query_map(rusqlite::params![user.raw(), at, id, app.raw(), limit + 1], inbox_row)?
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    let has_more = rows.len() > limit as usize;
    let items = rows.into_iter().take(limit as usize).map(|row| summary(c, user, row)).collect::<Result<_, _>>()?;
    Ok(Page { items, has_more })
}

fn inbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ConversationId, Option<i64>, i64)> {
    Ok((ConversationId::from_raw(r.get(0)?), r.get(1)?, r.get(2)?))
}

impl ConversationStore for SqliteStore {
    async fn create_conversation(&self, new: NewConversation) -> StoreResult<Created<Conversation>> {
        self.workers.write(move |c, state| insert_conversation(c, state, new)).await
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
        self.workers.read(move |c| inbox_page(c, user, None, before, limit)).await
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
