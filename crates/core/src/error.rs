//! Why a use case was refused. The server maps each variant to one HTTP status and one stable
//! problem type; nothing else decides what a caller is told.

use clearline_domain::ValidationError;
use clearline_store::StoreError;

/// The outcome of a refused call.
/// Matched exhaustively by the server (no `non_exhaustive`), so a new variant must be mapped.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input broke a domain rule.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// No valid session: the token is missing, malformed, unknown, revoked or expired.
    #[error("a valid session token is required")]
    Unauthenticated,
    /// Sign-in failed: unknown handle or wrong password (never says which).
    #[error("handle or password is wrong")]
    InvalidCredentials,
    /// The handle is taken.
    #[error("that handle is taken")]
    HandleTaken,
    /// The thing does not exist, or the caller may not know it exists.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// The action needs the two people to be friends.
    #[error("you can only do this with friends")]
    NotFriends,
    /// One of the two people blocked the other.
    #[error("this person is not available")]
    Blocked,
    /// The caller is a member but not allowed to do this.
    #[error("not allowed: {reason}")]
    Forbidden {
        /// What rule refused it.
        reason: &'static str,
    },
    /// The request conflicts with the current state.
    #[error("conflict: {reason}")]
    Conflict {
        /// What conflicts.
        reason: &'static str,
    },
    /// The idempotency key was already used for a different message.
    #[error("this idempotency key was already used for a different message")]
    IdempotencyKeyReused,
    /// The request is well-formed but makes no sense for this target.
    #[error("unprocessable: {reason}")]
    Unprocessable {
        /// Why.
        reason: &'static str,
    },
    /// A partner call was denied; the access event naming the reason is recorded.
    #[error("partner access denied: {}", .0.as_str())]
    PartnerDenied(clearline_domain::DenyReason),
    /// Too many calls; try again after this many seconds.
    #[error("rate limit exceeded; retry after {retry_after_secs} s")]
    RateLimited {
        /// When to retry.
        retry_after_secs: u64,
    },
    /// A partner's app did not authenticate (HTTP Basic with a confidential app's credentials).
    #[error("client authentication failed: use HTTP Basic with a confidential app's client id and secret")]
    InvalidClient,
    /// A submitted report has problems, each named.
    #[error("the report is invalid")]
    ReportInvalid(Vec<clearline_domain::report::ReportProblem>),
    /// The caller is signed in but is not an operator.
    #[error("only operators may do this")]
    NotOperator,
    /// The transparency log did not integrate the call's access event in time; nothing revealing
    /// was released.
    #[error("the transparency log is not available; try again")]
    LogUnavailable,
    /// Storage failed; the caller gets a bare 5xx, the cause is logged.
    #[error("storage failure: {0}")]
    Store(#[source] StoreError),
    /// Password hashing failed (a bug or resource exhaustion).
    #[error("password hashing failed")]
    Hashing,
}

impl CoreError {
    /// A store `NotFound` renamed to what the caller asked about; other errors unchanged.
    pub(crate) fn not_found_as(e: StoreError, what: &'static str) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::NotFound { what },
            other => other.into(),
        }
    }

    /// `Ok` when a store call found something to act on, `NotFound { what }` otherwise.
    pub(crate) fn found(found: bool, what: &'static str) -> Result<(), Self> {
        if found { Ok(()) } else { Err(Self::NotFound { what }) }
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => Self::NotFound { what },
            other => Self::Store(other),
        }
    }
}
