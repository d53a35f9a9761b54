//! Clearline's domain: validated value types, ids and the records the services work with.
//! It knows no HTTP, no SQL and no clock; every function here is pure.
//!
//! # Layout
//! - [`id`]: typed, prefixed ids (`usr_…`, `cnv_…`, `msg_…`, `ses_…`).
//! - [`time`]: [`Timestamp`], milliseconds since the Unix epoch.
//! - [`user`]: handles, display names, passwords and the [`User`] record.
//! - [`social`]: friend requests, friendships and blocks between two people.
//! - [`conversation`]: conversation kinds, titles, members and read marks.
//! - [`message`]: content types, bodies, idempotency keys and the [`Message`] record.
//! - [`event`]: the per-person realtime event stream and its sequence numbers.
//! - [`partner`]: partners, agreements, tiers, scopes and apps (OAuth clients).
//! - [`grant`]: grants (consent), app-scoped person ids, read policies.
//! - [`access`]: access events, the record of every partner call.
//! - [`policy`]: the access policy: what an app may do for a person and see of others.
//! - [`recommendation`]: recommendations, report dimensions, recipient kinds, report days.
//! - [`zone`]: [`ReportZone`], the IANA time zone an agreement counts report days in.
//! - [`text`]: free text other people see: NFC, visible, no controls.
//! - [`page`]: cursor paging requests shared by every listing.
//! - [`error`]: [`ValidationError`], why an input was refused.

pub mod access;
pub mod conversation;
pub mod error;
pub mod event;
pub mod grant;
pub mod id;
pub mod message;
pub mod page;
pub mod partner;
pub mod policy;
pub mod recommendation;
pub mod report;
pub mod social;
pub mod text;
pub mod time;
pub mod user;
pub mod zone;

pub use access::{AccessAction, AccessEvent, AccessOutcome, DenyReason, MAX_EVENT_RESOURCES, NewAccessEvent};
pub use conversation::{Conversation, ConversationKind, GroupTitle, MAX_GROUP_MEMBERS, Member};
pub use error::ValidationError;
pub use event::{Event, EventKind, EventSeq};
pub use grant::{AppScopedId, Grant, ReadPolicy};
pub use id::{
    AccessEventId, AccessTokenId, AppId, AuthCodeId, ConversationId, GrantId, Id, IdKind, MessageId, PartnerId,
    RefreshTokenId, SessionId, UserId,
};
pub use message::{Body, Card, ContentType, IdempotencyKey, MAX_BODY_BYTES, Message, MessageContent};
pub use partner::{
    Agreement, ClientKind, MAX_GRANT_DAYS, MAX_REDIRECT_URIS, OrgName, Partner, PartnerApp, PartnerSlug, RedirectUri,
    Scope, Scopes, Tier, WebhookUrl, webhook_target_allowed,
};
pub use recommendation::{Dimension, Dimensions, MAX_EXTERNAL_RECIPIENTS, RecipientKind, Title, format_day, parse_day};

/// The most friends one partner send may address.
pub const MAX_RECIPIENTS: usize = 50;
pub use page::{Cursor, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, Page, PageRequest};
pub use social::{FriendRequest, Relationship};
pub use time::{DAY_MS, Timestamp};
pub use user::{DisplayName, Handle, HandlePrefix, Password, User};
pub use zone::ReportZone;
