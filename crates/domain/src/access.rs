//! Access events: the record of every partner call that touched a person's data, allowed or
//! denied. The transparency log commits to these; the services write one per call, in the
//! same transaction as the call's effect.

use crate::{AccessEventId, AppId, Timestamp, UserId};

/// What a partner call tried to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessAction {
    /// Read the person's app-scoped id and name.
    Me,
    /// List friends.
    Friends,
    /// Send messages.
    Send,
    /// List conversations.
    Threads,
    /// Read a conversation's messages.
    Messages,
    /// Delete a message.
    Delete,
}

impl AccessAction {
    /// Every action.
    pub const ALL: [Self; 6] = [Self::Me, Self::Friends, Self::Send, Self::Threads, Self::Messages, Self::Delete];

    /// The stable name used in storage, on the wire and in the log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Me => "me",
            Self::Friends => "friends",
            Self::Send => "send",
            Self::Threads => "threads",
            Self::Messages => "messages",
            Self::Delete => "delete",
        }
    }

    /// The inverse of [`AccessAction::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// Why a partner call was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    /// No bearer token was sent.
    NoToken,
    /// The token was not of the access-token form.
    MalformedToken,
    /// No such token, or its secret did not match.
    UnknownToken,
    /// The token is past its lifetime.
    ExpiredToken,
    /// The grant was revoked, replaced or has lapsed.
    GrantRevoked,
    /// The grant does not include the scope the call needs.
    MissingScope,
    /// The scope needs the extended tier and the partner's agreement is standard.
    WrongTier,
    /// The partner's agreement is suspended or not in force.
    AgreementSuspended,
    /// The resource does not exist for this app and person.
    NotFound,
    /// A recipient is not a friend of the person, or has blocked the app or the person.
    NotFriend,
    /// The message was not sent by this person through this app.
    NotSentViaApp,
    /// The app or person is over its rate limit.
    RateLimited,
    /// The scope needs the extended tier, which is suspended while the partner's reports are overdue.
    ReportsOverdue,
}

impl DenyReason {
    /// Every reason.
    pub const ALL: [Self; 13] = [
        Self::NoToken,
        Self::MalformedToken,
        Self::UnknownToken,
        Self::ExpiredToken,
        Self::GrantRevoked,
        Self::MissingScope,
        Self::WrongTier,
        Self::AgreementSuspended,
        Self::NotFound,
        Self::NotFriend,
        Self::NotSentViaApp,
        Self::RateLimited,
        Self::ReportsOverdue,
    ];

    /// The stable name used in storage, on the wire and in the log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NoToken => "no_token",
            Self::MalformedToken => "malformed_token",
            Self::UnknownToken => "unknown_token",
            Self::ExpiredToken => "expired_token",
            Self::GrantRevoked => "grant_revoked",
            Self::MissingScope => "missing_scope",
            Self::WrongTier => "wrong_tier",
            Self::AgreementSuspended => "agreement_suspended",
            Self::NotFound => "not_found",
            Self::NotFriend => "not_friend",
            Self::NotSentViaApp => "not_sent_via_app",
            Self::RateLimited => "rate_limited",
            Self::ReportsOverdue => "reports_overdue",
        }
    }

    /// The inverse of [`DenyReason::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// Whether the call went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessOutcome {
    /// It did.
    Allowed,
    /// It did not, and why.
    Denied(DenyReason),
}

/// The most resource ids one event names; a call touching more names the first ones and the
/// count (`+N more`).
pub const MAX_EVENT_RESOURCES: usize = 100;

/// An access event before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessEvent {
    /// When.
    pub at: Timestamp,
    /// Which app, when the token named one.
    pub app_id: Option<AppId>,
    /// Whose data, when the token named someone.
    pub user_id: Option<UserId>,
    /// What was tried.
    pub action: AccessAction,
    /// The ids of what was touched (conversations, messages, app-scoped ids of people).
    pub resources: Vec<String>,
    /// Allowed or denied, and why.
    pub outcome: AccessOutcome,
    /// 32 random bytes hashed into the event's log entry, so the public log reveals nothing.
    pub salt: [u8; 32],
}

/// A stored access event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEvent {
    /// Its id, in recording order.
    pub id: AccessEventId,
    /// What happened.
    pub event: NewAccessEvent,
    /// Its leaf in the transparency log, once integrated.
    pub leaf_index: Option<u64>,
}
