//! Why an input was refused. Each variant names the rule it broke, so the HTTP layer can
//! turn it into a stable problem type without parsing strings.

/// A value did not satisfy the rules of its domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A handle broke the handle rules (see [`crate::Handle`]).
    #[error("handle must be 3 to 32 characters of a-z, 0-9 and _, starting with a letter")]
    Handle,
    /// A display name was empty, too long or held control characters.
    #[error("display name must be 1 to 64 characters without control characters")]
    DisplayName,
    /// A password was shorter than 8 or longer than 256 bytes.
    #[error("password must be 8 to 256 bytes long")]
    Password,
    /// An id did not have the expected prefix and number.
    #[error("malformed {kind} id")]
    Id {
        /// The prefix that was expected, e.g. `usr`.
        kind: &'static str,
    },
    /// A content type was not a `type/subtype` token.
    #[error("content type must look like type/subtype (at most 127 characters)")]
    ContentType,
    /// A body was empty or larger than the limit.
    #[error("message body must be 1 to {max} bytes", max = crate::MAX_BODY_BYTES)]
    BodySize,
    /// A `text/plain` body was not valid UTF-8.
    #[error("a text/plain body must be valid UTF-8")]
    BodyNotUtf8,
    /// An idempotency key was empty, too long or not printable ASCII.
    #[error("idempotency key must be 1 to 64 printable ASCII characters")]
    IdempotencyKey,
    /// A group title was empty, too long or held control characters.
    #[error("group title must be 1 to 100 characters without control characters")]
    GroupTitle,
    /// A page limit was 0 or above the maximum.
    #[error("limit must be between 1 and {max}", max = crate::MAX_PAGE_LIMIT)]
    PageLimit,
    /// Both `before` and `after` were given for one page.
    #[error("give at most one of before and after")]
    PageCursor,
    /// A search prefix was empty or longer than a handle can be.
    #[error("search prefix must be 1 to 32 handle characters")]
    HandlePrefix,
    /// A scope list named an unknown scope.
    #[error(
        "unknown scope; scopes are inbox:send, inbox:read, inbox:read_all, inbox:delete, friends:read, friends:read_all"
    )]
    Scope,
    /// A standard-tier agreement listed an extended-only scope.
    #[error("inbox:read_all and friends:read_all need the extended tier")]
    ScopeNeedsExtendedTier,
    /// An agreement's grant lifetime or reporting cadence was out of range.
    #[error("max_grant_days must be 1 to 365 and report_cadence_days 1 to 366")]
    AgreementDays,
    /// An agreement ended before it began.
    #[error("effective_until must be after effective_from")]
    AgreementDates,
    /// An agreement tier was not `standard` or `extended`.
    #[error("tier must be standard or extended")]
    Tier,
    /// A redirect URI was not https (or loopback http), had a fragment or was too long.
    #[error(
        "redirect URIs must be absolute https:// (or http:// on a loopback host) URLs without a fragment, at most 512 bytes"
    )]
    RedirectUri,
    /// An app had no redirect URI or too many.
    #[error("an app needs 1 to 10 redirect URIs")]
    RedirectUriCount,
    /// A webhook URL broke the redirect URI rules.
    #[error("webhook URLs must be absolute https:// (or http:// on a loopback host) URLs, at most 512 bytes")]
    WebhookUrl,
    /// A webhook URL points at an address the server does not deliver to.
    #[error("webhook URLs must not point at loopback, private, link-local or other non-public addresses")]
    WebhookTarget,
    /// A client kind was not `public` or `confidential`.
    #[error("client kind must be public or confidential")]
    ClientKind,
    /// A partner slug broke the slug rules.
    #[error("partner slug must be 2 to 32 characters of a-z, 0-9 and -, starting with a letter")]
    PartnerSlug,
    /// A partner or app name was empty, too long or held control characters.
    #[error("name must be 1 to 64 characters without control characters")]
    OrgName,
    /// An app-scoped person id was malformed.
    #[error("malformed app-scoped id (pu_ and 22 characters)")]
    AppScopedId,
    /// A card's title or URLs broke the card rules.
    #[error("card needs a 1 to 200 character title and http(s) URLs of at most 2048 bytes")]
    Card,
    /// A read policy was not one of the three names.
    #[error("apps_may_read_my_messages must be never, app_threads or all_conversations")]
    ReadPolicy,
    /// Too many recipients in one partner send.
    #[error("a send has 1 to {max} recipients", max = crate::MAX_RECIPIENTS)]
    Recipients,
    /// A report dimension was not a short token.
    #[error("interface, initiation_surface and variant must be 1 to 64 of a-z, A-Z, 0-9, _ - . :")]
    Dimension,
    /// A title id was empty, too long or not printable ASCII.
    #[error("title id must be 1 to 128 printable ASCII characters")]
    TitleId,
    /// A recommendation had no recipients, or too many external ones.
    #[error("a recommendation needs a friend or external recipients (at most 100 external)")]
    RecommendationRecipients,
    /// A date was not a real `YYYY-MM-DD` date.
    #[error("dates are YYYY-MM-DD")]
    Date,
    /// A time zone was not an IANA zone name.
    #[error("time_zone must be an IANA time zone name, such as UTC or Europe/Amsterdam")]
    TimeZone,
}
