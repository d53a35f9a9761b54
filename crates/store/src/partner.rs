//! The partner platform's store traits and records: partners and apps, grants and OAuth
//! credentials, and partner access (app threads, app sends, access events, read policies,
//! app blocks). Each method is one transaction; the effect of a partner call and its access
//! event are always written together.

use std::future::Future;

use clearline_domain::{
    AccessEvent, AccessEventId, AccessTokenId, Agreement, AppId, AuthCodeId, Card, ClientKind, Conversation,
    ConversationId, DenyReason, Grant, GrantId, Message, MessageContent, MessageId, NewAccessEvent, OrgName, Page,
    PageRequest, Partner, PartnerApp, PartnerId, PartnerSlug, ReadPolicy, RedirectUri, RefreshTokenId, Scopes,
    Timestamp, UserId, WebhookUrl,
};

use crate::traits::StoreResult;
use crate::{ActivityCursor, ConversationSummary, Delivery};

/// A new partner with its first agreement.
#[derive(Debug, Clone)]
pub struct NewPartner {
    /// Its short name.
    pub slug: PartnerSlug,
    /// Its display name.
    pub name: OrgName,
    /// Its agreement.
    pub agreement: Agreement,
    /// Now.
    pub created_at: Timestamp,
}

/// A new app of a partner.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Whose.
    pub partner_id: PartnerId,
    /// Its name.
    pub name: OrgName,
    /// Public or confidential.
    pub kind: ClientKind,
    /// Its exact redirect URIs.
    pub redirect_uris: Vec<RedirectUri>,
    /// SHA-256 of its client secret (confidential clients).
    pub secret_hash: Option<[u8; 32]>,
    /// Where it is told of revocations.
    pub webhook_url: Option<WebhookUrl>,
    /// Now.
    pub created_at: Timestamp,
}

/// An app with its partner (and agreement) and its secret's hash.
#[derive(Debug, Clone)]
pub struct AppRecord {
    /// The app.
    pub app: PartnerApp,
    /// Its partner and the current agreement.
    pub partner: Partner,
    /// SHA-256 of its client secret, if it has one.
    pub secret_hash: Option<[u8; 32]>,
}

/// A grant to create, with the authorization code that hands it to the app.
#[derive(Debug, Clone)]
pub struct NewGrant {
    /// Who consents.
    pub user_id: UserId,
    /// To which app.
    pub app_id: AppId,
    /// What they allowed.
    pub scopes: Scopes,
    /// Now.
    pub created_at: Timestamp,
    /// When the grant lapses.
    pub expires_at: Timestamp,
    /// SHA-256 of the code's secret.
    pub code_hash: [u8; 32],
    /// The PKCE S256 challenge the code is bound to.
    pub code_challenge: String,
    /// The redirect URI the code was issued for.
    pub redirect_uri: RedirectUri,
    /// When the code stops working.
    pub code_expires_at: Timestamp,
}

/// An authorization code as stored.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    /// The grant it hands over.
    pub grant: Grant,
    /// SHA-256 of its secret.
    pub secret_hash: [u8; 32],
    /// Its PKCE S256 challenge.
    pub code_challenge: String,
    /// The redirect URI it was issued for.
    pub redirect_uri: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was first redeemed, if it was.
    pub used_at: Option<Timestamp>,
}

/// A token's secret hash and lifetime, to store.
#[derive(Debug, Clone, Copy)]
pub struct NewToken {
    /// SHA-256 of the secret.
    pub secret_hash: [u8; 32],
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// Which kind of OAuth token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bearer access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// A stored access or refresh token with everything needed to decide a call: its grant, the
/// app and the partner's current agreement (one read).
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The raw id of the token (its kind is known to the caller).
    pub id: i64,
    /// SHA-256 of its secret.
    pub secret_hash: [u8; 32],
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was rotated (refresh tokens), if it was.
    pub replaced_at: Option<Timestamp>,
    /// When it was revoked on its own, if it was.
    pub revoked_at: Option<Timestamp>,
    /// Its grant.
    pub grant: Grant,
    /// The app, partner and agreement.
    pub app: AppRecord,
}

/// A grant as its person sees it in Connected apps.
#[derive(Debug, Clone)]
pub struct GrantView {
    /// The grant.
    pub grant: Grant,
    /// The app.
    pub app: PartnerApp,
    /// The partner's name.
    pub partner_name: OrgName,
}

/// An app send to one or more friends: one message per recipient, each in the app thread
/// between the sender and that recipient for this app.
#[derive(Debug, Clone)]
pub struct AppSend {
    /// The person the app acts for.
    pub sender_id: UserId,
    /// The app.
    pub app_id: AppId,
    /// The friends to send to, each with the card their message carries.
    pub recipients: Vec<(UserId, Option<Card>)>,
    /// What to say.
    pub content: MessageContent,
    /// Now.
    pub created_at: Timestamp,
}

/// What the services check before an app send, read inside the write.
#[derive(Debug, Clone)]
pub struct AppSendContext {
    /// Recipients who are not (or no longer) friends of the sender.
    pub not_friends: Vec<UserId>,
    /// Recipients blocked by, or blocking, the sender.
    pub blocked: Vec<UserId>,
    /// Recipients who blocked the app.
    pub app_blocked: Vec<UserId>,
    /// Whether the sender blocked the app themselves.
    pub sender_blocked_app: bool,
}

/// What an app send did: the messages and their deliveries, or why it was refused.
pub type AppSendOutcome = Result<(Vec<Message>, Vec<Delivery>), DenyReason>;

/// What one person lets an app see of their messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderRule {
    /// Who.
    pub user_id: UserId,
    /// Their read policy.
    pub policy: ReadPolicy,
    /// Whether they blocked the app.
    pub blocked_app: bool,
}

/// A conversation read for an app: the conversation, a page and the page's senders' rules.
#[derive(Debug, Clone)]
pub struct ThreadRead {
    /// The conversation and its members.
    pub conversation: Conversation,
    /// The page.
    pub messages: Page<Message>,
    /// The rules of the page's senders.
    pub rules: Vec<ReaderRule>,
}

/// Whose access events to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessFilter {
    /// Every event (operators, audits).
    All,
    /// Events about a person.
    Person(UserId),
    /// Events of one app about one person (what the app may see of its own calls).
    AppAndPerson(AppId, UserId),
}

/// Operators, partners, agreements and apps.
pub trait PartnerStore: Send + Sync {
    /// Makes a person an operator (or not); false if there is no such person.
    fn set_operator(&self, user: UserId, on: bool) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Whether a person is an operator.
    fn is_operator(&self, user: UserId) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Creates a partner; `Conflict` if the slug is taken.
    fn create_partner(&self, new: NewPartner) -> impl Future<Output = StoreResult<Partner>> + Send;
    /// A partner by id.
    fn partner(&self, id: PartnerId) -> impl Future<Output = StoreResult<Option<Partner>>> + Send;
    /// A partner by slug.
    fn partner_by_slug(&self, slug: PartnerSlug) -> impl Future<Output = StoreResult<Option<Partner>>> + Send;
    /// Every partner, oldest first.
    fn partners(&self) -> impl Future<Output = StoreResult<Vec<Partner>>> + Send;
    /// Replaces a partner's agreement; `NotFound` if there is no such partner.
    fn set_agreement(&self, id: PartnerId, agreement: Agreement) -> impl Future<Output = StoreResult<Partner>> + Send;
    /// Registers an app; `NotFound` if there is no such partner.
    fn create_app(&self, new: NewApp) -> impl Future<Output = StoreResult<PartnerApp>> + Send;
    /// An app with its partner.
    fn app(&self, id: AppId) -> impl Future<Output = StoreResult<Option<AppRecord>>> + Send;
    /// A partner's apps, oldest first.
    fn apps_of(&self, partner: PartnerId) -> impl Future<Output = StoreResult<Vec<PartnerApp>>> + Send;
    /// Replaces an app's client secret hash; `NotFound` if there is no such app.
    fn set_client_secret(&self, id: AppId, secret_hash: [u8; 32]) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Grants and the OAuth credentials derived from them.
pub trait GrantStore: Send + Sync {
    /// Stores a grant and its authorization code. Any earlier live grant of the same person to
    /// the same app is revoked (with its tokens) in the same transaction: one grant per pair.
    fn create_grant(&self, new: NewGrant) -> impl Future<Output = StoreResult<(Grant, AuthCodeId)>> + Send;
    /// A grant by id.
    fn grant(&self, id: GrantId) -> impl Future<Output = StoreResult<Option<Grant>>> + Send;
    /// Marks a code used and returns it as it was before (with `used_at` of an earlier use, if any).
    fn redeem_code(
        &self,
        id: AuthCodeId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Option<CodeRecord>>> + Send;
    /// Stores an access and a refresh token for a grant.
    fn issue_tokens(
        &self,
        grant: GrantId,
        access: NewToken,
        refresh: NewToken,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<(AccessTokenId, RefreshTokenId)>> + Send;
    /// Replaces a refresh token by a new pair, unless it was already replaced or revoked
    /// (`Ok(None)`, nothing written).
    fn rotate_refresh(
        &self,
        old: RefreshTokenId,
        access: NewToken,
        refresh: NewToken,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Option<(AccessTokenId, RefreshTokenId)>>> + Send;
    /// A token with its grant, app and agreement.
    fn token(&self, kind: TokenKind, id: i64) -> impl Future<Output = StoreResult<Option<TokenRecord>>> + Send;
    /// Revokes one token; false if there was no such live token.
    fn revoke_token(&self, kind: TokenKind, id: i64, now: Timestamp) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Revokes a grant and every token derived from it; with `owner`, only if it is theirs.
    /// Returns the grant as it was, if it was live.
    fn revoke_grant(
        &self,
        id: GrantId,
        owner: Option<UserId>,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Option<Grant>>> + Send;
    /// A person's live grants with their apps, newest first.
    fn grants_of(&self, user: UserId, now: Timestamp) -> impl Future<Output = StoreResult<Vec<GrantView>>> + Send;
    /// Which of `users` hold a live grant to `app`.
    fn app_users(
        &self,
        app: AppId,
        users: Vec<UserId>,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<UserId>>> + Send;
    /// The live grants of a conversation's current members, with their apps.
    fn member_grants(
        &self,
        conversation: ConversationId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<(Grant, AppRecord)>>> + Send;
}

/// What apps do with people's data, and what people allow them.
pub trait AccessStore: Send + Sync {
    /// Records an access event (and marks the grant used); returns its id.
    fn record_access(
        &self,
        event: NewAccessEvent,
        grant: Option<GrantId>,
    ) -> impl Future<Output = StoreResult<AccessEventId>> + Send;
    /// Sends through an app after `check` approves the context read in the same transaction.
    /// The access event is written in that transaction either way: allowed, naming the new
    /// messages, or denied with the reason `check` gave (and nothing else written).
    fn send_via_app(
        &self,
        send: AppSend,
        event: NewAccessEvent,
        check: impl FnOnce(&AppSendContext) -> Result<(), DenyReason> + Send + 'static,
    ) -> impl Future<Output = StoreResult<(AccessEventId, AppSendOutcome)>> + Send;
    /// Erases a message as [`crate::MessageStore::delete_message`] does and records the allowed
    /// access event in the same transaction.
    fn delete_via_app(
        &self,
        id: MessageId,
        event: NewAccessEvent,
    ) -> impl Future<Output = StoreResult<(AccessEventId, Message, Vec<Delivery>)>> + Send;
    /// A person's conversations started from `app` (all of them with `None`), most recently
    /// active first.
    fn conversations_for_app(
        &self,
        user: UserId,
        app: Option<AppId>,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Page<ConversationSummary>>> + Send;
    /// The app that started a conversation, if it is an app thread.
    fn thread_app(&self, id: ConversationId) -> impl Future<Output = StoreResult<Option<AppId>>> + Send;
    /// Access events, newest first, before `before`.
    fn access_events(
        &self,
        filter: AccessFilter,
        before: Option<AccessEventId>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Page<AccessEvent>>> + Send;
    /// What these people let `app` see: each one's read policy and whether they blocked the app
    /// (never, without an app).
    fn read_policies(
        &self,
        app: Option<AppId>,
        users: Vec<UserId>,
    ) -> impl Future<Output = StoreResult<Vec<ReaderRule>>> + Send;
    /// In one read transaction: an access token with its grant, app and agreement, and, when
    /// the token exists, the conversation, a page of its messages and what each sender of the
    /// page lets the token's app see (`None` if there is no such conversation). The caller
    /// decides on the token before anything of the thread is used.
    fn read_thread(
        &self,
        token: AccessTokenId,
        id: ConversationId,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Option<(TokenRecord, Option<ThreadRead>)>>> + Send;
    /// Sets a person's read policy.
    fn set_read_policy(&self, user: UserId, policy: ReadPolicy) -> impl Future<Output = StoreResult<()>> + Send;
    /// A person blocks an app (or lifts the block). Blocking also revokes the person's own
    /// live grants to the app and their tokens, in the same transaction; those grants are
    /// returned as they were.
    fn set_app_block(
        &self,
        user: UserId,
        app: AppId,
        blocked: bool,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Grant>>> + Send;
    /// Which of `users` blocked `app`.
    fn app_blockers(&self, app: AppId, users: Vec<UserId>) -> impl Future<Output = StoreResult<Vec<UserId>>> + Send;
    /// The apps a person blocked.
    fn blocked_apps(&self, user: UserId) -> impl Future<Output = StoreResult<Vec<AppRecord>>> + Send;
    /// A server-wide 32-byte key: the stored one, or `fresh` stored now if there was none.
    fn server_secret(&self, name: &'static str, fresh: [u8; 32]) -> impl Future<Output = StoreResult<[u8; 32]>> + Send;
}

/// A signed checkpoint of the transparency log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCheckpoint {
    /// Leaves in the tree.
    pub size: u64,
    /// The tree head.
    pub root: [u8; 32],
    /// The signed note (C2SP tlog-checkpoint in a signed-note).
    pub note: Vec<u8>,
    /// When it was signed.
    pub created_at: Timestamp,
}

/// What [`LogStore::integrate`] hands the code that extends the log.
#[derive(Debug, Clone)]
pub struct LogBatch {
    /// The log's size (the first new leaf's index).
    pub from: u64,
    /// Events not yet in the log, oldest first (never empty).
    pub events: Vec<AccessEvent>,
}

/// Reads stored subtree hashes while [`LogStore::integrate`] runs.
pub trait HashLookup {
    /// The stored hashes among `wanted` (level, index); absent ones are left out.
    fn hashes(&self, wanted: &[(u8, u64)]) -> StoreResult<Vec<(u8, u64, [u8; 32])>>;
}

/// What one [`LogStore::integrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrated {
    /// The log's new size, or `None` when no event was waiting.
    pub size: Option<u64>,
    /// The ids the recorded events got, in the order given.
    pub recorded: Vec<AccessEventId>,
    /// Every event with an id up to this one is now in the log (or never existed).
    pub complete_through: AccessEventId,
}

/// An access event to record as [`AccessStore::record_access`] does (marking its grant used).
#[derive(Debug, Clone)]
pub struct EventToRecord {
    /// The event.
    pub event: NewAccessEvent,
    /// The grant the call used.
    pub grant: Option<GrantId>,
}

/// What one integration adds to the log, all in one transaction.
#[derive(Debug, Clone)]
pub struct LogAppend {
    /// The log's size before (the first new leaf's index).
    pub from: u64,
    /// The events that become leaves `from`, `from + 1`, … in this order.
    pub leaves: Vec<AccessEventId>,
    /// Every complete-subtree hash the new leaves complete: (level, index, hash).
    pub hashes: Vec<(u8, u64, [u8; 32])>,
    /// The checkpoint of the new size.
    pub checkpoint: LogCheckpoint,
}

/// The transparency log's storage: subtree hashes, checkpoints, and which events are leaves.
pub trait LogStore: Send + Sync {
    /// The latest checkpoint, if any.
    fn log_head(&self) -> impl Future<Output = StoreResult<Option<LogCheckpoint>>> + Send;
    /// Stores the checkpoint of the empty tree (size 0) if the log has no checkpoint yet;
    /// false if it had one.
    fn log_start(&self, empty: LogCheckpoint) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The stored hashes among `wanted` (level, index); absent ones are left out.
    fn log_hashes(&self, wanted: Vec<(u8, u64)>) -> impl Future<Output = StoreResult<Vec<(u8, u64, [u8; 32])>>> + Send;
    /// `count` hashes of one level from `start`, as far as they exist.
    fn log_level(&self, level: u8, start: u64, count: u64) -> impl Future<Output = StoreResult<Vec<[u8; 32]>>> + Send;
    /// The events at leaves `[start, start + count)`, in leaf order.
    fn log_entries(&self, start: u64, count: u64) -> impl Future<Output = StoreResult<Vec<AccessEvent>>> + Send;
    /// Records `record` (events of calls that changed nothing, whose answers wait for the
    /// log), then extends the log in the same transaction: takes up to `limit` events not yet
    /// in the log, oldest first, hands them to `extend` (which computes the new hashes and
    /// signs the checkpoint, and may look up stored hashes) and stores what it returns.
    /// Resolves once all of it is durable. If `extend` fails, or returns a `LogAppend` that
    /// does not fit (another size, or leaves other than the batch's events in their order:
    /// `Conflict`), nothing is written, not even `record`.
    fn integrate<F>(
        &self,
        record: Vec<EventToRecord>,
        limit: u32,
        extend: F,
    ) -> impl Future<Output = StoreResult<Integrated>> + Send
    where
        F: FnOnce(&LogBatch, &dyn HashLookup) -> StoreResult<LogAppend> + Send + 'static;
}

/// A recommendation to record with its app send.
#[derive(Debug, Clone)]
pub struct NewRecommendation {
    /// The partner (whose counters grow).
    pub partner_id: PartnerId,
    /// The title.
    pub title: clearline_domain::Title,
    /// Its dimensions.
    pub dimensions: clearline_domain::Dimensions,
    /// One tracked link per recipient: SHA-256 of its code, the kind, the friend (platform).
    pub links: Vec<([u8; 32], clearline_domain::RecipientKind, Option<UserId>)>,
    /// When the links stop working.
    pub links_expire_at: Timestamp,
    /// The report day of the send.
    pub day: i64,
    /// The most sends and clicks one platform recipient adds to the counts per day.
    pub max_daily_contributions: u32,
}

/// One cell of a daily report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    /// Days since 1970-01-01.
    pub day: i64,
    /// The dimensions.
    pub dimensions: clearline_domain::Dimensions,
    /// Platform or external recipients.
    pub recipient_kind: clearline_domain::RecipientKind,
    /// Recommendations sent (one per recipient).
    pub sends: u64,
    /// Links clicked (once per link per day).
    pub clicks: u64,
}

/// Where a tracked link leads, and whether this click counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// The title's URL.
    pub url: String,
    /// Whether the click was counted (the link's first counted click that day).
    pub counted: bool,
}

/// One version of a report a partner handed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedReport {
    /// The period it covers.
    pub period: clearline_domain::report::Period,
    /// 1 for the first, then one more for each resubmission.
    pub version: u32,
    /// When it came in.
    pub submitted_at: Timestamp,
}

/// Why a report was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitRefusal {
    /// The period's due day has passed and a version is already in: it is closed.
    PeriodClosed,
}

/// Report cells: sends and clicks per cell.
pub type Cells = std::collections::BTreeMap<clearline_domain::report::CellKey, (u64, u64)>;

/// Recommendations, tracked links, clicks and the counters reports read.
pub trait ReportStore: Send + Sync {
    /// An app send of a recommendation: the messages (with each friend's tracked card), the
    /// recommendation, its links, the send counters and the access event, in one transaction
    /// (only the event, denied, if `check` refuses).
    fn recommend(
        &self,
        send: AppSend,
        rec: NewRecommendation,
        event: NewAccessEvent,
        check: impl FnOnce(&AppSendContext) -> Result<(), DenyReason> + Send + 'static,
    ) -> impl Future<Output = StoreResult<(AccessEventId, AppSendOutcome)>> + Send;
    /// Follows a tracked link at `now`; with `count`, records the click once per link per report
    /// day (the day of `now` in the partner's agreed time zone; counted unless its recipient is
    /// over `cap` for the day). `None` for unknown or expired links.
    fn follow_link(
        &self,
        code_hash: [u8; 32],
        now: Timestamp,
        count: bool,
        cap: u32,
    ) -> impl Future<Output = StoreResult<Option<Followed>>> + Send;
    /// A partner's daily counts for days `[from, to]`.
    fn report_counts(
        &self,
        partner: PartnerId,
        from: i64,
        to: i64,
    ) -> impl Future<Output = StoreResult<Vec<CountRow>>> + Send;
    /// Stores a new version of a partner's report for its period, unless the period is closed:
    /// past `due_day` (on `today`) with a version already in.
    fn submit_report(
        &self,
        partner: PartnerId,
        submission: clearline_domain::report::Submission,
        now: Timestamp,
        today: i64,
        due_day: i64,
    ) -> impl Future<Output = StoreResult<Result<SubmittedReport, SubmitRefusal>>> + Send;
    /// Every version of every report a partner handed in, newest period first, then newest version.
    fn submitted_reports(&self, partner: PartnerId) -> impl Future<Output = StoreResult<Vec<SubmittedReport>>> + Send;
    /// The cells of one version (the latest if `version` is `None`) of the report for the
    /// period starting on `period_start`.
    fn submitted_cells(
        &self,
        partner: PartnerId,
        period_start: i64,
        version: Option<u32>,
    ) -> impl Future<Output = StoreResult<Option<(SubmittedReport, Cells)>>> + Send;
    /// Adds counts recorded elsewhere (history imported by an operator, the demo, benchmarks).
    fn backfill_counts(&self, partner: PartnerId, rows: Vec<CountRow>) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records that a noisy report for the period starting `period_start` spent `epsilon_micros`;
    /// returns the period's total spent so far.
    fn record_release(
        &self,
        partner: PartnerId,
        period_start: i64,
        epsilon_micros: u64,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// The privacy budget spent on the period starting `period_start` (epsilon in millionths).
    fn budget_spent(&self, partner: PartnerId, period_start: i64) -> impl Future<Output = StoreResult<u64>> + Send;
}
