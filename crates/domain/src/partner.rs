//! Partners, their agreements and their apps, and the scopes an app may ask a person for.
//! What a given grant allows at a given moment is decided in the services; this module only
//! holds the values and their rules.

use std::fmt;

use crate::{AppId, PartnerId, ReportZone, Timestamp, ValidationError};

/// A partner's tier: which scopes its agreement may include at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Any approved partner: app threads and app friends only.
    Standard,
    /// Also whole-inbox reading (with redaction) and non-app friends.
    Extended,
}

impl Tier {
    /// The stable name used in storage and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Extended => "extended",
        }
    }

    /// The inverse of [`Tier::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "standard" => Some(Self::Standard),
            "extended" => Some(Self::Extended),
            _ => None,
        }
    }
}

/// One permission an app can ask a person for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Message the person's friends, in app threads.
    InboxSend,
    /// Read the app threads this app started.
    InboxRead,
    /// Read every conversation (extended tier), with other people's messages redacted unless
    /// they allowed it.
    InboxReadAll,
    /// Delete messages the person sent through this app.
    InboxDelete,
    /// List friends who also use this app.
    FriendsRead,
    /// List every friend (extended tier), by app-scoped id and display name only.
    FriendsReadAll,
}

impl Scope {
    /// Every scope, in the order consent pages list them.
    pub const ALL: [Self; 6] = [
        Self::InboxSend,
        Self::InboxRead,
        Self::InboxReadAll,
        Self::InboxDelete,
        Self::FriendsRead,
        Self::FriendsReadAll,
    ];

    /// The OAuth scope token.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InboxSend => "inbox:send",
            Self::InboxRead => "inbox:read",
            Self::InboxReadAll => "inbox:read_all",
            Self::InboxDelete => "inbox:delete",
            Self::FriendsRead => "friends:read",
            Self::FriendsReadAll => "friends:read_all",
        }
    }

    /// The inverse of [`Scope::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether only extended-tier agreements may include this scope.
    pub const fn extended_only(self) -> bool {
        matches!(self, Self::InboxReadAll | Self::FriendsReadAll)
    }

    /// What the scope lets the app do, in plain words for a consent page.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::InboxSend => "Send messages to your friends for you, in conversations marked as coming from this app",
            Self::InboxRead => "Read the conversations this app started for you, and replies in them",
            Self::InboxReadAll => {
                "Read all your conversations, including ones not started from this app; messages of people who did not allow apps to read them stay hidden"
            }
            Self::InboxDelete => "Delete messages you sent through this app",
            Self::FriendsRead => "See which of your friends also use this app",
            Self::FriendsReadAll => "See all your friends' display names, including friends who do not use this app",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes; displayed and parsed as OAuth's space-separated list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scopes(u8);

impl Scopes {
    /// No scopes.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Parses a space-separated list; unknown scopes are an error, repeats are ignored.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        raw.split(' ').filter(|s| !s.is_empty()).try_fold(Self::empty(), |acc, name| {
            Scope::from_name(name).map(|s| acc.with(s)).ok_or(ValidationError::Scope)
        })
    }

    /// This set plus `scope`.
    pub const fn with(self, scope: Scope) -> Self {
        Self(self.0 | scope.bit())
    }

    /// Whether `scope` is in the set.
    pub const fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `other` is in this set.
    pub const fn includes(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The scopes in both sets.
    pub const fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in [`Scope::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(Self::empty(), Self::with)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

/// A short lowercase name of a partner, e.g. `streamflix`: 2 to 32 of a-z, 0-9 and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartnerSlug(String);

impl PartnerSlug {
    /// Checks a slug.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (2..=32).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && raw.as_bytes()[0].is_ascii_lowercase();
        if ok { Ok(Self(raw.to_owned())) } else { Err(ValidationError::PartnerSlug) }
    }

    /// The slug's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A partner's or app's name as people see it: visible text of 1 to 64 characters (see
/// [`crate::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgName(String);

impl OrgName {
    /// Normalises and checks a name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        crate::text::visible_text(raw, 64).map(Self).ok_or(ValidationError::OrgName)
    }

    /// A name as stored: checked when it was written, under the rules of that day.
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The terms a partner works under. One current agreement per partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// Standard or extended.
    pub tier: Tier,
    /// The scopes its apps may request.
    pub scopes: Scopes,
    /// The longest a grant to its apps may last, in days.
    pub max_grant_days: u32,
    /// How often the partner reports, in days.
    pub report_cadence_days: u32,
    /// The time zone whose civil days the reports count.
    pub time_zone: ReportZone,
    /// From when the agreement holds.
    pub effective_from: Timestamp,
    /// Until when, if it ends.
    pub effective_until: Option<Timestamp>,
    /// Since when it is suspended, if it is: every call of its apps is then denied.
    pub suspended_at: Option<Timestamp>,
}

/// The longest grant any agreement may allow, in days.
pub const MAX_GRANT_DAYS: u32 = 365;

impl Agreement {
    /// Checks the agreement's own rules: extended scopes need the extended tier, durations
    /// are in range and the dates are ordered.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.tier == Tier::Standard && self.scopes.iter().any(Scope::extended_only) {
            return Err(ValidationError::ScopeNeedsExtendedTier);
        }
        if !(1..=MAX_GRANT_DAYS).contains(&self.max_grant_days) || !(1..=366).contains(&self.report_cadence_days) {
            return Err(ValidationError::AgreementDays);
        }
        if self.effective_until.is_some_and(|u| u <= self.effective_from) {
            return Err(ValidationError::AgreementDates);
        }
        Ok(())
    }

    /// Whether the agreement lets its apps act at `now`: effective and not suspended.
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.suspended_at.is_none() && self.effective_from <= now && self.effective_until.is_none_or(|u| now < u)
    }

    /// Whether this agreement may grant `scope` right now: listed, and not an extended scope
    /// on a standard tier.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(scope) && (self.tier == Tier::Extended || !scope.extended_only())
    }
}

/// A partner organisation and its current agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// Its id.
    pub id: PartnerId,
    /// Its short name.
    pub slug: PartnerSlug,
    /// Its display name.
    pub name: OrgName,
    /// Its agreement.
    pub agreement: Agreement,
    /// When it was created.
    pub created_at: Timestamp,
}

/// Whether an app can keep a client secret (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// A server-side app that authenticates at the token endpoint with its secret.
    Confidential,
    /// A native or browser app; PKCE is its only proof.
    Public,
}

impl ClientKind {
    /// The stable name used in storage and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }

    /// The inverse of [`ClientKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "confidential" => Some(Self::Confidential),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

/// An absolute redirect URI registered for an app and matched exactly (RFC 9700 §2.1):
/// `https://…`, or `http://` on a loopback host for native apps and development; no fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Checks a redirect URI.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::check_url(raw).map(|()| Self(raw.to_owned())).map_err(|()| ValidationError::RedirectUri)
    }

    fn check_url(raw: &str) -> Result<(), ()> {
        // Printable ASCII only: the URI ends up in a `Location` header.
        if raw.len() > 512 || raw.contains('#') || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(());
        }
        let loopback = |rest: &str| ["127.0.0.1", "localhost", "[::1]"].iter().any(|h| host_is(rest, h));
        match raw.split_once("://") {
            Some(("https", rest)) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
            Some(("http", rest)) if loopback(rest) => Ok(()),
            _ => Err(()),
        }
    }

    /// The URI's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn host_is(rest: &str, host: &str) -> bool {
    rest.strip_prefix(host).is_some_and(|after| after.is_empty() || after.starts_with([':', '/', '?']))
}

/// An `https://` (or loopback `http://`) URL an app receives signed notices at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Checks a webhook URL with the same rules as a redirect URI.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        RedirectUri::check_url(raw).map(|()| Self(raw.to_owned())).map_err(|()| ValidationError::WebhookUrl)
    }

    /// The URL's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl WebhookUrl {
    /// The URL's host: a name, or an IP literal (IPv6 without its brackets).
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or(self.0.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        }
    }

    /// Whether notices may be sent to this URL's host as far as it can be told without DNS: an
    /// IP literal or `localhost` must pass [`webhook_target_allowed`]; a name is checked on
    /// every delivery against the addresses it resolves to.
    pub fn host_allowed(&self, allow_private: bool) -> bool {
        let host = self.host();
        if host.eq_ignore_ascii_case("localhost") {
            return allow_private;
        }
        host.parse::<std::net::IpAddr>().map_or(true, |ip| webhook_target_allowed(ip, allow_private))
    }
}

/// Whether a webhook may be delivered to `ip` (server-side request forgery): never to an
/// unspecified, multicast or broadcast address, and to loopback, private (RFC 1918, RFC 4193),
/// shared (RFC 6598), link-local or documentation addresses only when the operator allows
/// private targets.
pub fn webhook_target_allowed(ip: std::net::IpAddr, allow_private: bool) -> bool {
    use std::net::IpAddr;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (never, private) = match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            (
                v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast() || a == 0 || a >= 240,
                v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_documentation()
                    || (a == 100 && (64..128).contains(&b)),
            )
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (
                v6.is_unspecified() || v6.is_multicast(),
                v6.is_loopback()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || (first == 0x2001 && v6.segments()[1] == 0x0db8),
            )
        }
    };
    !never && (allow_private || !private)
}

/// The most redirect URIs one app may register.
pub const MAX_REDIRECT_URIS: usize = 10;

/// A partner's app: an OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerApp {
    /// Its id, also its OAuth `client_id`.
    pub id: AppId,
    /// The partner it belongs to.
    pub partner_id: PartnerId,
    /// Its name as people see it on consent pages.
    pub name: OrgName,
    /// Public or confidential.
    pub kind: ClientKind,
    /// The exact redirect URIs it may use (1 to [`MAX_REDIRECT_URIS`]).
    pub redirect_uris: Vec<RedirectUri>,
    /// Where it is told of revoked grants, if anywhere.
    pub webhook_url: Option<WebhookUrl>,
    /// When it was registered.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print_as_oauth_lists() {
        let s = Scopes::parse("inbox:read  inbox:send inbox:read").unwrap();
        assert_eq!(s.to_string(), "inbox:send inbox:read");
        assert!(s.contains(Scope::InboxRead) && !s.contains(Scope::InboxDelete));
        assert_eq!(Scopes::parse("inbox:everything"), Err(ValidationError::Scope));
        assert!(Scopes::parse("").unwrap().is_empty());
    }

    #[test]
    fn standard_tier_cannot_hold_extended_scopes() {
        let mut a = Agreement {
            tier: Tier::Standard,
            scopes: Scopes::parse("inbox:send inbox:read_all").unwrap(),
            max_grant_days: 90,
            report_cadence_days: 14,
            time_zone: ReportZone::utc(),
            effective_from: Timestamp::from_millis(0),
            effective_until: None,
            suspended_at: None,
        };
        assert_eq!(a.validate(), Err(ValidationError::ScopeNeedsExtendedTier));
        assert!(!a.allows(Scope::InboxReadAll));
        a.tier = Tier::Extended;
        assert_eq!(a.validate(), Ok(()));
        assert!(a.allows(Scope::InboxReadAll) && !a.allows(Scope::InboxDelete));
    }

    #[test]
    fn agreement_is_in_force_only_between_its_dates_and_unsuspended() {
        let mut a = Agreement {
            tier: Tier::Standard,
            scopes: Scopes::empty(),
            max_grant_days: 90,
            report_cadence_days: 14,
            time_zone: ReportZone::utc(),
            effective_from: Timestamp::from_millis(100),
            effective_until: Some(Timestamp::from_millis(200)),
            suspended_at: None,
        };
        assert!(!a.in_force(Timestamp::from_millis(99)));
        assert!(a.in_force(Timestamp::from_millis(100)));
        assert!(!a.in_force(Timestamp::from_millis(200)));
        a.suspended_at = Some(Timestamp::from_millis(150));
        assert!(!a.in_force(Timestamp::from_millis(150)));
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback_without_fragment() {
        for ok in ["https://app.example/cb", "http://127.0.0.1:8123/cb", "http://localhost/cb", "http://[::1]:9/x"] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.example/cb",
            "https://a/cb#frag",
            "ftp://x",
            "https://",
            "http://localhost.evil/x",
            "",
            "https://é.example/",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn webhook_targets_are_public_unless_private_ones_are_allowed() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let ip = private.parse().unwrap();
            assert!(!webhook_target_allowed(ip, false), "{private}");
            assert!(webhook_target_allowed(ip, true), "{private} allowed by the operator");
        }
        for never in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::", "ff02::1"] {
            assert!(!webhook_target_allowed(never.parse().unwrap(), true), "{never}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(webhook_target_allowed(public.parse().unwrap(), false), "{public}");
        }
        let url = |u: &str| WebhookUrl::parse(u).unwrap();
        assert_eq!(url("https://user@hooks.example:8443/x?y").host(), "hooks.example");
        assert_eq!(url("http://[::1]:9/x").host(), "::1");
        assert!(!url("http://127.0.0.1:9/h").host_allowed(false));
        assert!(!url("http://localhost/h").host_allowed(false));
        assert!(url("http://localhost/h").host_allowed(true));
        assert!(!url("https://169.254.169.254/latest/meta-data").host_allowed(false));
        assert!(url("https://hooks.example/h").host_allowed(false), "names are checked when resolved");
    }

    #[test]
    fn slugs_are_short_lowercase_names() {
        assert!(PartnerSlug::parse("streamflix").is_ok());
        for bad in ["S", "Streamflix", "1flix", "stream flix", &"a".repeat(33)] {
            assert!(PartnerSlug::parse(bad).is_err(), "{bad}");
        }
    }
}
