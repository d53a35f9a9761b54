//! Consent: a person's grant to an app, the ids apps see people by, and what a person lets
//! their friends' apps read.

use std::fmt;
use std::sync::Arc;

use crate::{AppId, GrantId, Scopes, Timestamp, UserId, ValidationError};

/// A person's consent to an app: the single source of truth for what the app may do for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Its id.
    pub id: GrantId,
    /// Who consented.
    pub user_id: UserId,
    /// To which app.
    pub app_id: AppId,
    /// What they allowed.
    pub scopes: Scopes,
    /// When.
    pub created_at: Timestamp,
    /// When it lapses on its own.
    pub expires_at: Timestamp,
    /// When it was withdrawn, if it was.
    pub revoked_at: Option<Timestamp>,
    /// When the app last used it.
    pub last_used_at: Option<Timestamp>,
}

impl Grant {
    /// Whether the grant still holds at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// How an app refers to a person: an opaque id unique to (partner, person), so two partners
/// can never join what they know on ids. `pu_` and 22 base64url characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppScopedId(Arc<str>);

impl AppScopedId {
    /// Wraps a freshly derived id (the services derive them; see `clearline_core`).
    pub fn from_derived(encoded: String) -> Self {
        Self(format!("pu_{encoded}").into())
    }

    /// Checks the shape of an id an app sent.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = raw
            .strip_prefix("pu_")
            .is_some_and(|r| r.len() == 22 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if ok { Ok(Self(raw.into())) } else { Err(ValidationError::AppScopedId) }
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AppScopedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for AppScopedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether apps that a person's friends connected may read that person's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReadPolicy {
    /// Never: apps see a redaction marker instead, even in app threads.
    Never,
    /// Only in app threads started from that app (the default).
    #[default]
    AppThreads,
    /// In any conversation an app may read (extended-tier whole-inbox reading).
    AllConversations,
}

impl ReadPolicy {
    /// The stable name used in storage and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::AppThreads => "app_threads",
            Self::AllConversations => "all_conversations",
        }
    }

    /// The inverse of [`ReadPolicy::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "never" => Some(Self::Never),
            "app_threads" => Some(Self::AppThreads),
            "all_conversations" => Some(Self::AllConversations),
            _ => None,
        }
    }

    /// Whether an app may see this person's message in a conversation that is (or is not) an
    /// app thread of that app.
    pub const fn lets_app_read(self, in_own_app_thread: bool) -> bool {
        match self {
            Self::Never => false,
            Self::AppThreads => in_own_app_thread,
            Self::AllConversations => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_policy_decides_by_thread_kind() {
        assert!(!ReadPolicy::Never.lets_app_read(true));
        assert!(ReadPolicy::AppThreads.lets_app_read(true));
        assert!(!ReadPolicy::AppThreads.lets_app_read(false));
        assert!(ReadPolicy::AllConversations.lets_app_read(false));
    }

    #[test]
    fn app_scoped_ids_have_one_shape() {
        assert!(AppScopedId::parse("pu_abcdefghijklmnopqrstuv").is_ok());
        for bad in ["usr_1", "pu_short", "pu_abcdefghijklmnopqrstu!", "abcdefghijklmnopqrstuvwx"] {
            assert!(AppScopedId::parse(bad).is_err(), "{bad}");
        }
    }
}
