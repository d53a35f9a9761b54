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
}
