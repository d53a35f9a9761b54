//! Typed ids. Every id is a positive 64-bit integer assigned by the store, shown to clients
//! with a short prefix naming its kind (`usr_42`), so an id of one kind can never be passed
//! where another is expected, neither in code nor on the wire.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use crate::ValidationError;

/// The kind of thing an [`Id`] names; only its prefix matters.
pub trait IdKind: 'static {
    /// The prefix shown before the underscore, e.g. `usr`.
    const PREFIX: &'static str;
}

/// A typed id: a positive integer and, through `K`, the kind of thing it names.
pub struct Id<K: IdKind> {
    raw: i64,
    kind: PhantomData<fn() -> K>,
}

impl<K: IdKind> Id<K> {
    /// Wraps a raw integer id read from storage.
    pub const fn from_raw(raw: i64) -> Self {
        Self { raw, kind: PhantomData }
    }

    /// The integer stored in the database.
    pub const fn raw(self) -> i64 {
        self.raw
    }
}

impl<K: IdKind> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: IdKind> Copy for Id<K> {}
impl<K: IdKind> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<K: IdKind> Eq for Id<K> {}
impl<K: IdKind> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: IdKind> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<K: IdKind> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}

impl<K: IdKind> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", K::PREFIX, self.raw)
    }
}

impl<K: IdKind> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<K: IdKind> FromStr for Id<K> {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = ValidationError::Id { kind: K::PREFIX };
        let digits = s.strip_prefix(K::PREFIX).and_then(|rest| rest.strip_prefix('_')).ok_or(err.clone())?;
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err);
        }
        match digits.parse::<i64>() {
            Ok(raw) if raw > 0 => Ok(Self::from_raw(raw)),
            _ => Err(err),
        }
    }
}

impl<K: IdKind> serde::Serialize for Id<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, K: IdKind> serde::Deserialize<'de> for Id<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Marker for person ids (`usr_`).
pub enum UserKind {}
impl IdKind for UserKind {
    const PREFIX: &'static str = "usr";
}
/// Marker for conversation ids (`cnv_`).
pub enum ConversationKindMarker {}
impl IdKind for ConversationKindMarker {
    const PREFIX: &'static str = "cnv";
}
/// Marker for message ids (`msg_`).
pub enum MessageKind {}
impl IdKind for MessageKind {
    const PREFIX: &'static str = "msg";
}
/// Marker for session ids (`ses_`).
pub enum SessionKind {}
impl IdKind for SessionKind {
    const PREFIX: &'static str = "ses";
}

/// Marker for partner ids (`prt_`).
pub enum PartnerKind {}
impl IdKind for PartnerKind {
    const PREFIX: &'static str = "prt";
}
/// Marker for partner app ids (`app_`), which are also OAuth `client_id`s.
pub enum AppKind {}
impl IdKind for AppKind {
    const PREFIX: &'static str = "app";
}
/// Marker for grant ids (`grt_`).
pub enum GrantKind {}
impl IdKind for GrantKind {
    const PREFIX: &'static str = "grt";
}
/// Marker for OAuth authorization codes (`oac_`).
pub enum AuthCodeKind {}
impl IdKind for AuthCodeKind {
    const PREFIX: &'static str = "oac";
}
/// Marker for OAuth access tokens (`oat_`).
pub enum AccessTokenKind {}
impl IdKind for AccessTokenKind {
    const PREFIX: &'static str = "oat";
}
/// Marker for OAuth refresh tokens (`ort_`).
pub enum RefreshTokenKind {}
impl IdKind for RefreshTokenKind {
    const PREFIX: &'static str = "ort";
}
/// Marker for access event ids (`aev_`).
pub enum AccessEventKind {}
impl IdKind for AccessEventKind {
    const PREFIX: &'static str = "aev";
}

/// A person.
pub type UserId = Id<UserKind>;
/// A conversation.
pub type ConversationId = Id<ConversationKindMarker>;
/// A message.
pub type MessageId = Id<MessageKind>;
/// A signed-in session.
pub type SessionId = Id<SessionKind>;
/// A partner organisation.
pub type PartnerId = Id<PartnerKind>;
/// A partner's app (OAuth client).
pub type AppId = Id<AppKind>;
/// A person's consent to an app.
pub type GrantId = Id<GrantKind>;
/// An OAuth authorization code's selector.
pub type AuthCodeId = Id<AuthCodeKind>;
/// An OAuth access token's selector.
pub type AccessTokenId = Id<AccessTokenKind>;
/// An OAuth refresh token's selector.
pub type RefreshTokenId = Id<RefreshTokenKind>;
/// A recorded partner access.
pub type AccessEventId = Id<AccessEventKind>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_its_text_form() {
        let id = UserId::from_raw(42);
        assert_eq!(id.to_string(), "usr_42");
        assert_eq!("usr_42".parse::<UserId>(), Ok(id));
    }

    #[test]
    fn id_of_another_kind_is_refused() {
        assert!("msg_42".parse::<UserId>().is_err());
        assert!("usr_".parse::<UserId>().is_err());
        assert!("usr_0".parse::<UserId>().is_err());
        assert!("usr_-1".parse::<UserId>().is_err());
        assert!("usr_1x".parse::<UserId>().is_err());
        assert!("usr_99999999999999999999".parse::<UserId>().is_err());
    }
}
