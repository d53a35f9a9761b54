//! [`AccessStore`] on SQLite: app sends and deletes with their access events in the same
//! transaction, app threads, the access record, read policies and app blocks.

use clearline_domain::{
    AccessAction, AccessEvent, AccessEventId, AccessOutcome, AccessTokenId, AppId, ConversationId, ConversationKind,
    DenyReason, GrantId, Message, MessageId, NewAccessEvent, Page, PageRequest, ReadPolicy, Timestamp, UserId,
};
use rusqlite::{Connection, OptionalExtension, Row};

use super::SqliteStore;
use super::conversations::{inbox_page, insert_conversation};
use super::events::exists;
use super::messages::{erase_message, insert_message, page};
use super::partners::{APP_COLS, PARTNER_COLS, app_record};
use super::rows::{self, Prep, corrupt};
use super::workers::{WriterState, in_snapshot};
use crate::partner::{
    AccessFilter, AccessStore, AppRecord, AppSend, AppSendContext, AppSendOutcome, ReaderRule, ThreadRead, TokenRecord,
};
use crate::traits::StoreResult;
use crate::{ActivityCursor, ConversationSummary, Delivery, NewConversation, NewMessage, StoreError};

fn outcome_text(o: AccessOutcome) -> String {
    match o {
        AccessOutcome::Allowed => "allowed".to_owned(),
        AccessOutcome::Denied(r) => format!("denied:{}", r.as_str()),
    }
}

fn parse_outcome(text: &str) -> Option<AccessOutcome> {
    match text.strip_prefix("denied:") {
        Some(r) => DenyReason::from_name(r).map(AccessOutcome::Denied),
        None => (text == "allowed").then_some(AccessOutcome::Allowed),
    }
}

/// The columns [`access_event`] reads from an event table aliased `e`; the ninth, the leaf
/// index, comes from `access.log_leaves`.
pub(super) const EVENT_COLS: &str = "e.id, e.at, e.app_id, e.user_id, e.action, e.resources, e.outcome, e.salt";

/// Where an access event is written: with its effect in the main file, or alone (a call that
/// changed nothing) in the access file, whose commits leave the readers' cache of the main
/// file alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventFile {
    Main,
    Access,
}

pub(super) fn access_event(r: &Row<'_>) -> rusqlite::Result<AccessEvent> {
    let resources: String = r.get(5)?;
    let salt: Vec<u8> = r.get(7)?;
    Ok(AccessEvent {
        id: AccessEventId::from_raw(r.get(0)?),
        event: NewAccessEvent {
            at: Timestamp::from_millis(r.get(1)?),
            app_id: r.get::<_, Option<i64>>(2)?.map(AppId::from_raw),
            user_id: r.get::<_, Option<i64>>(3)?.map(UserId::from_raw),
            action: AccessAction::from_name(&r.get::<_, String>(4)?).ok_or_else(|| corrupt("action"))?,
            resources: split_resources(&resources),
            outcome: parse_outcome(&r.get::<_, String>(6)?).ok_or_else(|| corrupt("outcome"))?,
            salt: <[u8; 32]>::try_from(salt.as_slice()).map_err(|_| corrupt("salt"))?,
        },
        leaf_index: r.get::<_, Option<i64>>(8)?.and_then(|i| u64::try_from(i).ok()),
    })
}

/// Resources as stored: ids separated by spaces.
fn split_resources(joined: &str) -> Vec<String> {
    joined.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// `e` exactly as [`access_event`] would read it back once written.
pub(super) fn as_stored(mut e: NewAccessEvent) -> NewAccessEvent {
    if e.resources.iter().any(|r| r.is_empty() || r.contains(' ')) {
        e.resources = split_resources(&e.resources.join(" "));
    }
    e
}

/// Writes an access event to `file` (and marks its grant used, at most once a minute);
/// returns its id, the next of the one sequence both files share.
pub(super) fn insert_event(
    c: &Connection,
    state: &mut WriterState,
    file: EventFile,
    e: &NewAccessEvent,
    grant: Option<GrantId>,
) -> Result<AccessEventId, StoreError> {
    let id = state.next_event_id;
    let sql = match file {
        EventFile::Main => {
            "INSERT INTO main.access_events (id, at, app_id, user_id, action, resources, outcome, salt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        }
        EventFile::Access => {
            "INSERT INTO access.events (id, at, app_id, user_id, action, resources, outcome, salt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        }
    };
    c.prep(sql)?.execute(rusqlite::params![
        id,
        e.at.millis(),
        e.app_id.map(|a| a.raw()),
        e.user_id.map(|u| u.raw()),
        e.action.as_str(),
        e.resources.join(" "),
        outcome_text(e.outcome),
        e.salt.as_slice()
    ])?;
    state.next_event_id += 1;
    if let Some(g) = grant {
        let stale = c
            .prep("SELECT 1 FROM grants WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2 - 60000)")?
            .exists([g.raw(), e.at.millis()])?;
        if stale {
            c.prep("UPDATE grants SET last_used_at = $1 WHERE id = $2")?.execute([e.at.millis(), g.raw()])?;
            state.wrote.main = true;
        }
    }
    Ok(AccessEventId::from_raw(id))
}

pub(super) fn send_context(c: &Connection, send: &AppSend) -> Result<AppSendContext, StoreError> {
    let (me, app) = (send.sender_id.raw(), send.app_id.raw());
    let mut ctx = AppSendContext {
        not_friends: Vec::new(),
        blocked: Vec::new(),
        app_blocked: Vec::new(),
        sender_blocked_app: exists(c, "SELECT 1 FROM app_blocks WHERE user_id = $1 AND app_id = $2", [me, app])?,
    };
    for &(r, _) in &send.recipients {
        if !exists(c, "SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", [me, r.raw()])? {
            ctx.not_friends.push(r);
        }
        if exists(
            c,
            "SELECT 1 FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)",
            [me, r.raw()],
        )? {
            ctx.blocked.push(r);
        }
        if exists(c, "SELECT 1 FROM app_blocks WHERE user_id = $1 AND app_id = $2", [r.raw(), app])? {
            ctx.app_blocked.push(r);
        }
    }
    Ok(ctx)
}

/// An app send in the writer's transaction: `check` on the recipients' context (a refusal
/// writes only the denied event), then `before` (e.g. the recommendation's links), the
/// messages, and the allowed event naming them.
pub(super) fn checked_app_send(
    c: &Connection,
    state: &mut WriterState,
    send: AppSend,
    mut event: NewAccessEvent,
    check: impl FnOnce(&AppSendContext) -> Result<(), DenyReason>,
    before: impl FnOnce(&Connection, &AppSend) -> Result<(), StoreError>,
) -> Result<(AccessEventId, AppSendOutcome), StoreError> {
    if let Err(reason) = check(&send_context(c, &send)?) {
        event.outcome = AccessOutcome::Denied(reason);
        return Ok((insert_event(c, state, EventFile::Main, &event, None)?, Err(reason)));
    }
    before(c, &send)?;
    let (messages, deliveries) = deliver_app_send(c, state, send)?;
    event.resources.extend(messages.iter().map(|m| m.id.to_string()));
    event.outcome = AccessOutcome::Allowed;
    Ok((insert_event(c, state, EventFile::Main, &event, None)?, Ok((messages, deliveries))))
}

fn deliver_app_send(
    c: &Connection,
    state: &mut WriterState,
    send: AppSend,
) -> Result<(Vec<Message>, Vec<Delivery>), StoreError> {
    let mut messages = Vec::with_capacity(send.recipients.len());
    let mut deliveries = Vec::new();
    for (recipient, card) in send.recipients {
        let thread = insert_conversation(
            c,
            state,
            NewConversation {
                kind: ConversationKind::AppThread,
                title: None,
                creator_id: send.sender_id,
                other_members: vec![recipient],
                app_id: Some(send.app_id),
                created_at: send.created_at,
            },
        )?;
        deliveries.extend(thread.deliveries);
        let members = rows::member_ids(c, thread.value.id)?;
        let sent = insert_message(
            c,
            state,
            NewMessage {
                conversation_id: thread.value.id,
                sender_id: send.sender_id,
                content: send.content.clone(),
                idempotency_key: None,
                via: Some(send.app_id),
                card,
                created_at: send.created_at,
            },
            &members,
        )?;
        deliveries.extend(sent.deliveries);
        messages.push(sent.value);
    }
    Ok((messages, deliveries))
}

/// Each person's read policy and whether they blocked `app`.
fn reader_rules(c: &Connection, app: Option<AppId>, users: Vec<UserId>) -> Result<Vec<ReaderRule>, StoreError> {
    let mut stmt = c.prep(
        "SELECT u.app_read_policy,
                EXISTS (SELECT 1 FROM app_blocks b WHERE b.user_id = u.id AND b.app_id = $1)
         FROM users u WHERE u.id = $2",
    )?;
    let mut out = Vec::with_capacity(users.len());
    for u in users {
        let row: Option<(String, bool)> = stmt
            .query_row(rusqlite::params![app.map(|a| a.raw()), u.raw()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((name, blocked_app)) = row {
            let policy = ReadPolicy::from_name(&name).ok_or_else(|| StoreError::Corrupt("policy".into()))?;
            out.push(ReaderRule { user_id: u, policy, blocked_app });
        }
    }
    Ok(out)
}

impl AccessStore for SqliteStore {
    async fn record_access(&self, event: NewAccessEvent, grant: Option<GrantId>) -> StoreResult<AccessEventId> {
        self.workers.write_access(move |c, state| insert_event(c, state, EventFile::Access, &event, grant)).await
    }

    async fn send_via_app(
        &self,
        send: AppSend,
        event: NewAccessEvent,
        check: impl FnOnce(&AppSendContext) -> Result<(), DenyReason> + Send + 'static,
    ) -> StoreResult<(AccessEventId, AppSendOutcome)> {
        self.workers.write(move |c, state| checked_app_send(c, state, send, event, check, |_, _| Ok(()))).await
    }

    async fn delete_via_app(
        &self,
        id: MessageId,
        event: NewAccessEvent,
    ) -> StoreResult<(AccessEventId, Message, Vec<Delivery>)> {
        self.workers
            .write(move |c, state| {
                let (tombstone, deliveries) = erase_message(c, state, id, event.at)?;
                Ok((insert_event(c, state, EventFile::Main, &event, None)?, tombstone, deliveries))
            })
            .await
    }

    async fn conversations_for_app(
        &self,
        user: UserId,
        app: Option<AppId>,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> StoreResult<Page<ConversationSummary>> {
        self.workers.read(move |c| inbox_page(c, user, app, before, limit)).await
    }

    async fn thread_app(&self, id: ConversationId) -> StoreResult<Option<AppId>> {
        self.workers
            .read(move |c| {
                let app: Option<Option<i64>> = c
                    .prep("SELECT app_id FROM conversations WHERE id = $1")?
                    .query_row([id.raw()], |r| r.get(0))
                    .optional()?;
                Ok(app.flatten().map(AppId::from_raw))
            })
            .await
    }

    async fn access_events(
        &self,
        filter: AccessFilter,
        before: Option<AccessEventId>,
        limit: u32,
    ) -> StoreResult<Page<AccessEvent>> {
        self.workers
            .read(move |c| {
                let before = before.map_or(i64::MAX, |b| b.raw());
                // The newest of each file, merged.
                let (filter_sql, mut params) = match filter {
                    AccessFilter::All => ("", vec![]),
                    AccessFilter::Person(u) => ("e.user_id = $1 AND", vec![u.raw()]),
                    AccessFilter::AppAndPerson(a, u) => {
                        ("e.user_id = $1 AND e.app_id = $2 AND", vec![u.raw(), a.raw()])
                    }
                };
                let (before_n, limit_n) = (params.len() + 1, params.len() + 2);
                params.extend([before, i64::from(limit) + 1]);
                let arm = |table: &str, in_main: u8| {
                    format!(
                        "SELECT * FROM (SELECT {EVENT_COLS}, l.leaf_index FROM {table} e
                         LEFT JOIN access.log_leaves l ON l.in_main = {in_main} AND l.event_id = e.id
                         WHERE {filter_sql} e.id < ${before_n} ORDER BY e.id DESC LIMIT ${limit_n})"
                    )
                };
                let sql = format!(
                    "{} UNION ALL {} ORDER BY id DESC LIMIT ${limit_n}",
                    arm("main.access_events", 1),
                    arm("access.events", 0)
                );
                let mut items = c
                    .prep(&sql)?
                    .query_map(rusqlite::params_from_iter(params), access_event)?
                    .collect::<Result<Vec<_>, _>>()?;
                let has_more = items.len() > limit as usize;
                items.truncate(limit as usize);
                Ok(Page { items, has_more })
            })
            .await
    }

    async fn read_policies(&self, app: Option<AppId>, users: Vec<UserId>) -> StoreResult<Vec<ReaderRule>> {
        self.workers.read(move |c| reader_rules(c, app, users)).await
    }

    async fn read_thread(
        &self,
        token: AccessTokenId,
        id: ConversationId,
        req: PageRequest,
    ) -> StoreResult<Option<(TokenRecord, Option<ThreadRead>)>> {
        let tokens = self.tokens.clone();
        self.workers
            .read(move |c| {
                in_snapshot(c, |c| {
                    let Some(record) = tokens.access(c, token.raw())? else { return Ok(None) };
                    let Some(conversation) = rows::load_conversation(c, id)? else { return Ok(Some((record, None))) };
                    let messages = page(c, id, req)?;
                    let mut senders: Vec<UserId> = messages.items.iter().map(|m| m.sender_id).collect();
                    senders.sort();
                    senders.dedup();
                    let rules = reader_rules(c, Some(record.app.app.id), senders)?;
                    Ok(Some((record, Some(ThreadRead { conversation, messages, rules }))))
                })
            })
            .await
    }

    async fn set_read_policy(&self, user: UserId, policy: ReadPolicy) -> StoreResult<()> {
        self.workers
            .write(move |c, _| {
                c.prep("UPDATE users SET app_read_policy = $1 WHERE id = $2")?
                    .execute(rusqlite::params![policy.as_str(), user.raw()])?;
                Ok(())
            })
            .await
    }

    async fn set_app_block(
        &self,
        user: UserId,
        app: AppId,
        blocked: bool,
        now: Timestamp,
    ) -> StoreResult<Vec<clearline_domain::Grant>> {
        self.workers
            .write(move |c, _| {
                if !blocked {
                    c.prep("DELETE FROM app_blocks WHERE user_id = $1 AND app_id = $2")?
                        .execute([user.raw(), app.raw()])?;
                    return Ok(Vec::new());
                }
                c.prep(
                    "INSERT INTO app_blocks (user_id, app_id, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (user_id, app_id) DO NOTHING",
                )?
                .execute([user.raw(), app.raw(), now.millis()])?;
                super::grants::revoke_live(c, user, app, now)
            })
            .await
    }

    async fn app_blockers(&self, app: AppId, users: Vec<UserId>) -> StoreResult<Vec<UserId>> {
        self.workers
            .read(move |c| {
                let mut out = Vec::new();
                for u in users {
                    if exists(c, "SELECT 1 FROM app_blocks WHERE user_id = $1 AND app_id = $2", [u.raw(), app.raw()])? {
                        out.push(u);
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn blocked_apps(&self, user: UserId) -> StoreResult<Vec<AppRecord>> {
        self.workers
            .read(move |c| {
                let sql = format!(
                    "SELECT {APP_COLS}, {PARTNER_COLS} FROM app_blocks b
                       JOIN apps a ON a.id = b.app_id JOIN partners p ON p.id = a.partner_id
                     WHERE b.user_id = $1 ORDER BY b.created_at DESC"
                );
                let mut stmt = c.prep(&sql)?;
                let rows = stmt.query_map([user.raw()], |r| app_record(r, 0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    async fn server_secret(&self, name: &'static str, fresh: [u8; 32]) -> StoreResult<[u8; 32]> {
        self.workers
            .write(move |c, _| {
                c.prep("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")?
                    .execute(rusqlite::params![name, fresh.as_slice()])?;
                let value: Vec<u8> =
                    c.prep("SELECT value FROM server_secrets WHERE name = $1")?.query_row([name], |r| r.get(0))?;
                <[u8; 32]>::try_from(value.as_slice()).map_err(|_| StoreError::Corrupt("server secret".into()))
            })
            .await
    }
}
