//! The partner API's use cases, each deciding through the one access policy
//! ([`clearline_domain::policy`]) and recording its verdict.
//!
//! Every call: bearer access token → stored token, grant, app and agreement (one read) →
//! [`decide`] (token, then the policy: grant, agreement, tier, scope, overdue reports) → the resource check (app threads only,
//! friends only, sent via this app) → redaction of participants who did not allow apps →
//! an [`NewAccessEvent`] recorded whether the call was allowed or denied, in the same
//! transaction as any effect (sends, deletes). A denial names its [`DenyReason`]; nothing the
//! app was not allowed to see is in it.

use std::collections::HashMap;

use clearline_domain::policy::{self, Bystander, FriendsAccess, ReadAccess, Standing};
use clearline_domain::{
    AccessAction, AccessEvent, AccessEventId, AccessOutcome, AppScopedId, Card, Conversation, ConversationId,
    ConversationKind, DenyReason, Grant, Message, MessageContent, MessageId, NewAccessEvent, Page, PageRequest,
    Partner, PartnerApp, Scope, Timestamp, UserId,
};
use clearline_store::{
    AccessFilter, ActivityCursor, AppSend, ConversationSummary, EventToRecord, ReaderRule, Store, TokenKind,
    TokenRecord,
};

use crate::scoped_id::ScopedIdKey;
use crate::token::AccessToken;
use crate::{App, CoreError};

/// The name the app-scoped id key is stored under.
const SCOPED_ID_KEY: &str = "app_scoped_ids";

/// An authenticated partner call: the person, the app, its partner and the grant.
#[derive(Debug, Clone)]
pub struct AppCall {
    /// The person the app acts for.
    pub user_id: UserId,
    /// The app.
    pub app: PartnerApp,
    /// Its partner and agreement.
    pub partner: Partner,
    /// The grant the token derives from.
    pub grant: Grant,
    /// Whether the extended-tier scopes are suspended because reports are overdue.
    pub extended_suspended: bool,
}

impl AppCall {
    /// What the access policy reads about this call.
    pub fn standing(&self) -> Standing<'_> {
        Standing { grant: &self.grant, agreement: &self.partner.agreement, reports_overdue: self.extended_suspended }
    }
}

/// What a call needs from the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Only a live grant.
    Grant,
    /// A live grant holding this scope, allowed by the agreement.
    Scope(Scope),
}

/// Decides whether a stored access token may make a call needing `need` at `now`: the token
/// itself (revoked with its grant, or expired), then [`policy::permit`] on its standing.
pub fn decide(token: &TokenRecord, need: Need, reports_overdue: bool, now: Timestamp) -> Result<(), DenyReason> {
    if token.revoked_at.is_some() || !token.grant.is_live(now) {
        return Err(DenyReason::GrantRevoked);
    }
    if now >= token.expires_at {
        return Err(DenyReason::ExpiredToken);
    }
    let standing = Standing { grant: &token.grant, agreement: &token.app.partner.agreement, reports_overdue };
    let scope = match need {
        Need::Grant => None,
        Need::Scope(scope) => Some(scope),
    };
    policy::permit(standing, scope, now)
}

/// A message as an app sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppMessage {
    /// The message's id.
    pub id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Its sender, by app-scoped id.
    pub sender: AppScopedId,
    /// Whether the person the app acts for sent it.
    pub from_me: bool,
    /// Whether it was sent through this app.
    pub via_this_app: bool,
    /// When it was sent.
    pub created_at: Timestamp,
    /// What the app may see of it.
    pub content: AppContent,
}

/// What an app may see of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppContent {
    /// The content and card.
    Shown {
        /// The content.
        content: MessageContent,
        /// The card, if any.
        card: Option<Card>,
    },
    /// The sender did not allow apps to read their messages here.
    Redacted,
    /// The message was deleted.
    Deleted,
}

/// A conversation as an app sees it.
#[derive(Debug, Clone)]
pub struct AppThread {
    /// Its id.
    pub id: ConversationId,
    /// Its kind.
    pub kind: ConversationKind,
    /// Whether this app started it.
    pub started_by_this_app: bool,
    /// Its members, by app-scoped id.
    pub members: Vec<AppScopedId>,
    /// The newest message, as the app may see it.
    pub last_message: Option<AppMessage>,
    /// When it was last active.
    pub last_activity_at: Timestamp,
    /// The paging cursor of this entry.
    pub cursor: ActivityCursor,
}

/// A friend as an app sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppFriend {
    /// Their app-scoped id.
    pub id: AppScopedId,
    /// Their display name.
    pub display_name: String,
    /// Whether they granted this app too.
    pub uses_app: bool,
}

/// Who the app acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPerson {
    /// Their app-scoped id.
    pub id: AppScopedId,
    /// Their display name.
    pub display_name: String,
}

impl<S: Store> App<S> {
    /// The key app-scoped ids are derived under (loaded, or created, once).
    pub(crate) async fn scoped_ids(&self) -> Result<&ScopedIdKey, CoreError> {
        self.scoped_key
            .get_or_try_init(|| async {
                let key = self.store.server_secret(SCOPED_ID_KEY, crate::token::random_key()).await?;
                Ok::<_, CoreError>(ScopedIdKey::new(key))
            })
            .await
    }

    /// The id `call`'s partner knows `user` by.
    pub async fn scoped_id(&self, call: &AppCall, user: UserId) -> Result<AppScopedId, CoreError> {
        Ok(self.scoped_ids().await?.derive(call.partner.id, user))
    }

    async fn record(&self, event: NewAccessEvent, grant: Option<&Grant>) -> Result<AccessEventId, CoreError> {
        Ok(self.store.record_access(event, grant.map(|g| g.id)).await?)
    }

    /// Records the event of an allowed call that changed nothing; with
    /// `integrate_before_release`, as part of the next integration, which the answer waits for.
    async fn record_and_release(&self, event: NewAccessEvent, grant: &Grant) -> Result<(), CoreError> {
        if self.settings.integrate_before_release {
            self.record_in_log(EventToRecord { event, grant: Some(grant.id) }).await?;
        } else {
            self.record(event, Some(grant)).await?;
        }
        Ok(())
    }

    pub(crate) fn event(&self, call: Option<&AppCall>, action: AccessAction, resources: Vec<String>) -> NewAccessEvent {
        NewAccessEvent {
            at: self.clock.now(),
            app_id: call.map(|c| c.app.id),
            user_id: call.map(|c| c.user_id),
            action,
            resources,
            outcome: AccessOutcome::Allowed,
            salt: crate::token::random_key(),
        }
    }

    /// Records a denial and returns it as the call's error.
    async fn deny(
        &self,
        call: Option<&AppCall>,
        action: AccessAction,
        reason: DenyReason,
        resources: Vec<String>,
    ) -> CoreError {
        let mut event = self.event(call, action, resources);
        event.outcome = AccessOutcome::Denied(reason);
        match self.record(event, None).await {
            Ok(_) => CoreError::PartnerDenied(reason),
            Err(e) => e,
        }
    }

    /// Checks the bearer token and `need`; every failure is recorded and returned.
    pub async fn open_call(
        &self,
        bearer: Option<&str>,
        action: AccessAction,
        need: Need,
    ) -> Result<AppCall, CoreError> {
        let token = self.parse_bearer(bearer, action).await?;
        let record = self.store.token(TokenKind::Access, token.id().raw()).await?;
        self.check_call(&token, record, action, need).await
    }

    /// The bearer token, or the recorded denial of a missing or malformed one.
    async fn parse_bearer(&self, bearer: Option<&str>, action: AccessAction) -> Result<AccessToken, CoreError> {
        let Some(raw) = bearer else { return Err(self.deny(None, action, DenyReason::NoToken, vec![]).await) };
        match raw.parse::<AccessToken>() {
            Ok(token) => Ok(token),
            Err(_) => Err(self.deny(None, action, DenyReason::MalformedToken, vec![]).await),
        }
    }

    /// Decides on a looked-up token (secret, [`decide`], rate limits); every refusal recorded.
    async fn check_call(
        &self,
        token: &AccessToken,
        record: Option<TokenRecord>,
        action: AccessAction,
        need: Need,
    ) -> Result<AppCall, CoreError> {
        let record = match record {
            Some(r) if token.matches(&r.secret_hash) => r,
            _ => return Err(self.deny(None, action, DenyReason::UnknownToken, vec![]).await),
        };
        // Only a grant holding an extended scope can be affected by the suspension.
        let overdue = record.grant.scopes.iter().any(Scope::extended_only)
            && self.extended_suspended(&record.app.partner).await?;
        let verdict = decide(&record, need, overdue, self.clock.now());
        let call = AppCall {
            user_id: record.grant.user_id,
            app: record.app.app,
            partner: record.app.partner,
            grant: record.grant,
            extended_suspended: overdue,
        };
        if let Err(reason) = verdict {
            return Err(self.deny(Some(&call), action, reason, vec![]).await);
        }
        if let Err(retry_after_secs) = self.limits.check(call.app.id, call.user_id) {
            let err = self.deny(Some(&call), action, DenyReason::RateLimited, vec![]).await;
            return Err(match err {
                CoreError::PartnerDenied(_) => CoreError::RateLimited { retry_after_secs },
                other => other,
            });
        }
        Ok(call)
    }

    /// `me`: the person's app-scoped id and display name.
    pub async fn partner_me(&self, bearer: Option<&str>) -> Result<AppPerson, CoreError> {
        let call = self.open_call(bearer, AccessAction::Me, Need::Grant).await?;
        let user = self.store.users(vec![call.user_id]).await?.pop().ok_or(CoreError::NotFound { what: "person" })?;
        let id = self.scoped_id(&call, call.user_id).await?;
        self.record_and_release(self.event(Some(&call), AccessAction::Me, vec![id.to_string()]), &call.grant).await?;
        Ok(AppPerson { id, display_name: user.display_name.as_str().to_owned() })
    }

    /// `friends`: friends who granted this app too; with `friends:read_all`, every friend.
    /// People who blocked the app are never listed.
    pub async fn partner_friends(&self, bearer: Option<&str>) -> Result<Vec<AppFriend>, CoreError> {
        let call = self.open_call(bearer, AccessAction::Friends, Need::Grant).await?;
        let all = match policy::list_friends(call.standing(), self.clock.now()) {
            Ok(access) => access == FriendsAccess::All,
            Err(reason) => return Err(self.deny(Some(&call), AccessAction::Friends, reason, vec![]).await),
        };
        let friends = self.store.friends(call.user_id).await?;
        let ids: Vec<UserId> = friends.iter().map(|f| f.user.id).collect();
        let now = self.clock.now();
        let users = self.store.app_users(call.app.id, ids.clone(), now).await?;
        let blockers = self.store.app_blockers(call.app.id, ids).await?;
        let key = self.scoped_ids().await?;
        let out: Vec<AppFriend> = friends
            .into_iter()
            .filter(|f| policy::shows_friend(blockers.contains(&f.user.id)))
            .map(|f| (users.contains(&f.user.id), f))
            .filter(|(uses_app, _)| all || *uses_app)
            .map(|(uses_app, f)| AppFriend {
                id: key.derive(call.partner.id, f.user.id),
                display_name: f.user.display_name.as_str().to_owned(),
                uses_app,
            })
            .collect();
        let resources = out.iter().map(|f| f.id.to_string()).collect();
        self.record_and_release(self.event(Some(&call), AccessAction::Friends, resources), &call.grant).await?;
        Ok(out)
    }

    /// `send`: one message per friend, each in the app thread with that friend, marked as sent
    /// through the app. Refused as a whole if any recipient is unknown, not a friend, blocked
    /// either way, or blocked the app.
    pub async fn partner_send(
        &self,
        bearer: Option<&str>,
        to: Vec<AppScopedId>,
        content: MessageContent,
        card: Option<Card>,
    ) -> Result<Vec<AppMessage>, CoreError> {
        let call = self.open_call(bearer, AccessAction::Send, Need::Scope(Scope::InboxSend)).await?;
        let names: Vec<String> = to.iter().map(ToString::to_string).collect();
        let recipients = self.resolve_friends(&call, &to, &names).await?;
        let send = AppSend {
            sender_id: call.user_id,
            app_id: call.app.id,
            recipients: recipients.into_iter().map(|r| (r, card.clone())).collect(),
            content,
            created_at: self.clock.now(),
        };
        let event = self.event(Some(&call), AccessAction::Send, names);
        let (event_id, outcome) = self.store.send_via_app(send, event, check_send).await?;
        let (messages, deliveries) = outcome.map_err(CoreError::PartnerDenied)?;
        self.deliver(deliveries);
        self.release(event_id).await?;
        // The person's own messages are never redacted for their app, so this reads nothing more.
        self.redact(&call, ReadAccess::OwnThread, messages).await
    }

    /// The people the app addresses by app-scoped id, who must all be the person's friends
    /// (a recorded `NotFriend` denial otherwise, naming `names`).
    pub(crate) async fn resolve_friends(
        &self,
        call: &AppCall,
        to: &[AppScopedId],
        names: &[String],
    ) -> Result<Vec<UserId>, CoreError> {
        let key = self.scoped_ids().await?;
        let by_scoped: HashMap<AppScopedId, UserId> = self
            .store
            .friends(call.user_id)
            .await?
            .into_iter()
            .map(|f| (key.derive(call.partner.id, f.user.id), f.user.id))
            .collect();
        let mut recipients = Vec::with_capacity(to.len());
        for id in to {
            match by_scoped.get(id) {
                Some(u) if !recipients.contains(u) => recipients.push(*u),
                Some(_) => {}
                None => {
                    return Err(self.deny(Some(call), AccessAction::Send, DenyReason::NotFriend, names.to_vec()).await);
                }
            }
        }
        Ok(recipients)
    }

    /// `threads`: the person's app threads of this app, or with `all` (`inbox:read_all`) every
    /// conversation, most recently active first.
    pub async fn partner_threads(
        &self,
        bearer: Option<&str>,
        all: bool,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> Result<Page<AppThread>, CoreError> {
        let scope = if all { Scope::InboxReadAll } else { Scope::InboxRead };
        let call = self.open_call(bearer, AccessAction::Threads, Need::Scope(scope)).await?;
        let filter = if all { None } else { Some(call.app.id) };
        let page = self.store.conversations_for_app(call.user_id, filter, before, limit).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for s in page.items {
            items.push(self.app_thread(&call, s).await?);
        }
        let resources = items.iter().map(|t| t.id.to_string()).collect();
        self.record_and_release(self.event(Some(&call), AccessAction::Threads, resources), &call.grant).await?;
        Ok(Page { items, has_more: page.has_more })
    }

    async fn app_thread(&self, call: &AppCall, s: ConversationSummary) -> Result<AppThread, CoreError> {
        let c = &s.conversation;
        let key = self.scoped_ids().await?;
        let members = c.members.iter().map(|m| key.derive(call.partner.id, m.user_id)).collect();
        let own_thread = c.app_id == Some(call.app.id);
        let access = if own_thread { ReadAccess::OwnThread } else { ReadAccess::WholeInbox };
        let last_message = match s.last_message {
            Some(m) => self.redact(call, access, vec![m]).await?.pop(),
            None => None,
        };
        Ok(AppThread {
            id: c.id,
            kind: c.kind,
            started_by_this_app: own_thread,
            members,
            last_message,
            last_activity_at: c.last_activity_at,
            cursor: ActivityCursor { activity: s.activity, id: c.id },
        })
    }

    /// Turns messages into what the app may see: other people's messages are redacted unless
    /// [`policy::shows_message`] allows them (their setting, their app block).
    pub(crate) async fn redact(
        &self,
        call: &AppCall,
        access: ReadAccess,
        messages: Vec<Message>,
    ) -> Result<Vec<AppMessage>, CoreError> {
        let rules = self.store.read_policies(Some(call.app.id), senders_of(call, &messages)).await?;
        self.redact_with(call, access, messages, rules).await
    }

    /// [`Self::redact`] with the senders' rules already read.
    async fn redact_with(
        &self,
        call: &AppCall,
        access: ReadAccess,
        messages: Vec<Message>,
        rules: Vec<ReaderRule>,
    ) -> Result<Vec<AppMessage>, CoreError> {
        // Who may be shown, and by which id: one derivation per distinct sender.
        let key = self.scoped_ids().await?;
        let mut senders_seen: HashMap<UserId, (bool, AppScopedId)> = rules
            .into_iter()
            .map(|r| {
                let shown = policy::shows_message(access, Bystander { policy: r.policy, blocked_app: r.blocked_app });
                (r.user_id, (shown, key.derive(call.partner.id, r.user_id)))
            })
            .collect();
        senders_seen.insert(call.user_id, (true, key.derive(call.partner.id, call.user_id)));
        Ok(messages
            .into_iter()
            .map(|m| {
                let from_me = m.sender_id == call.user_id;
                let (allowed, sender) = match senders_seen.get(&m.sender_id) {
                    Some((shown, id)) => (*shown, id.clone()),
                    // A sender whose account is gone: nothing to show, but a stable id.
                    None => (false, key.derive(call.partner.id, m.sender_id)),
                };
                let content = match (m.content, allowed) {
                    (None, _) => AppContent::Deleted,
                    (Some(_), false) => AppContent::Redacted,
                    (Some(content), true) => AppContent::Shown { content, card: m.card },
                };
                AppMessage {
                    id: m.id,
                    conversation_id: m.conversation_id,
                    sender,
                    from_me,
                    via_this_app: m.via == Some(call.app.id),
                    created_at: m.created_at,
                    content,
                }
            })
            .collect())
    }

    /// How `call` may read a conversation, or the denial to record: one the person is not in
    /// does not exist for the app; otherwise [`policy::read_conversation`] decides.
    fn readable(&self, call: &AppCall, conv: Option<&Conversation>) -> Result<ReadAccess, DenyReason> {
        let conv = match conv {
            Some(c) if c.member(call.user_id).is_some() => c,
            _ => return Err(DenyReason::NotFound),
        };
        policy::read_conversation(call.standing(), conv.app_id == Some(call.app.id), self.clock.now())
    }

    /// `messages`: a page of a readable conversation's messages, redacted.
    pub async fn partner_messages(
        &self,
        bearer: Option<&str>,
        id: ConversationId,
        page: PageRequest,
    ) -> Result<Page<AppMessage>, CoreError> {
        // One read: the token with its grant and agreement, the conversation, the page and its
        // senders' rules. Nothing of the thread is used unless every check below passes.
        let token = self.parse_bearer(bearer, AccessAction::Messages).await?;
        let (record, read) = match self.store.read_thread(token.id(), id, page).await? {
            Some((record, read)) => (Some(record), read),
            None => (None, None),
        };
        let call = self.check_call(&token, record, AccessAction::Messages, Need::Grant).await?;
        let (access, read) = match (self.readable(&call, read.as_ref().map(|r| &r.conversation)), read) {
            (Ok(access), Some(read)) => (access, read),
            (verdict, _) => {
                let reason = verdict.err().unwrap_or(DenyReason::NotFound);
                return Err(self.deny(Some(&call), AccessAction::Messages, reason, vec![id.to_string()]).await);
            }
        };
        let has_more = read.messages.has_more;
        let items = self.redact_with(&call, access, read.messages.items, read.rules).await?;
        // A page is a contiguous run of one conversation's messages: name it by its ends.
        let mut resources = vec![id.to_string()];
        let ids = items.iter().map(|m| m.id);
        if let (Some(lo), Some(hi)) = (ids.clone().min(), ids.max()) {
            resources.push(if lo == hi { lo.to_string() } else { format!("{lo}..{hi}") });
        }
        self.record_and_release(self.event(Some(&call), AccessAction::Messages, resources), &call.grant).await?;
        Ok(Page { items, has_more })
    }

    /// `delete`: erases a message the person sent through this app.
    pub async fn partner_delete(&self, bearer: Option<&str>, id: MessageId) -> Result<AppMessage, CoreError> {
        let call = self.open_call(bearer, AccessAction::Delete, Need::Scope(Scope::InboxDelete)).await?;
        let resources = vec![id.to_string()];
        let message = match self.store.message(id).await? {
            Some(m) => m,
            None => return Err(self.deny(Some(&call), AccessAction::Delete, DenyReason::NotFound, resources).await),
        };
        let member =
            self.store.conversation(message.conversation_id).await?.is_some_and(|c| c.member(call.user_id).is_some());
        if !member {
            return Err(self.deny(Some(&call), AccessAction::Delete, DenyReason::NotFound, resources).await);
        }
        if message.sender_id != call.user_id || message.via != Some(call.app.id) {
            return Err(self.deny(Some(&call), AccessAction::Delete, DenyReason::NotSentViaApp, resources).await);
        }
        let tombstone = if message.deleted_at.is_some() {
            self.record_and_release(self.event(Some(&call), AccessAction::Delete, resources), &call.grant).await?;
            message
        } else {
            let event = self.event(Some(&call), AccessAction::Delete, resources);
            match self.store.delete_via_app(id, event).await {
                Ok((event_id, tombstone, deliveries)) => {
                    self.deliver(deliveries);
                    self.release(event_id).await?;
                    tombstone
                }
                Err(clearline_store::StoreError::NotFound { .. }) => {
                    self.store.message(id).await?.ok_or(CoreError::NotFound { what: "message" })?
                }
                Err(e) => return Err(e.into()),
            }
        };
        self.redact(&call, ReadAccess::OwnThread, vec![tombstone])
            .await?
            .pop()
            .ok_or(CoreError::NotFound { what: "message" })
    }

    /// The app's own calls about this person, newest first.
    pub async fn partner_access_log(
        &self,
        bearer: Option<&str>,
        before: Option<AccessEventId>,
        limit: u32,
    ) -> Result<Page<AccessEvent>, CoreError> {
        let call = self.open_call(bearer, AccessAction::Me, Need::Grant).await?;
        Ok(self.store.access_events(AccessFilter::AppAndPerson(call.app.id, call.user_id), before, limit).await?)
    }
}

/// The distinct senders of `messages` other than the person the app acts for.
fn senders_of(call: &AppCall, messages: &[Message]) -> Vec<UserId> {
    let mut senders: Vec<UserId> = messages.iter().map(|m| m.sender_id).filter(|s| *s != call.user_id).collect();
    senders.sort();
    senders.dedup();
    senders
}

/// The rule of every app send, checked inside its transaction: each recipient is still a
/// friend, nobody blocked anybody, and neither side blocked the app.
pub(crate) fn check_send(ctx: &clearline_store::AppSendContext) -> Result<(), DenyReason> {
    let refused = !ctx.not_friends.is_empty() || !ctx.blocked.is_empty() || !ctx.app_blocked.is_empty();
    if refused || ctx.sender_blocked_app { Err(DenyReason::NotFriend) } else { Ok(()) }
}
