//! RFC 9457 problem details. Every error the API returns is one of these, with a stable
//! `type` URI built from a snake_case [`ErrorCode`] that clients can match on.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every error code the API can return. Codes never change meaning once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or query was not valid JSON or did not have the expected fields.
    MalformedRequest,
    /// A field broke a validation rule; `detail` says which.
    ValidationFailed,
    /// The body is larger than the documented limit.
    PayloadTooLarge,
    /// The request needs a valid session token.
    Unauthenticated,
    /// Wrong handle or password.
    InvalidCredentials,
    /// The handle is taken.
    HandleTaken,
    /// No such resource, or it is not visible to the caller.
    NotFound,
    /// The action needs the two people to be friends.
    NotFriends,
    /// One person blocked the other.
    Blocked,
    /// The caller may not do this.
    Forbidden,
    /// The request conflicts with the current state.
    Conflict,
    /// The idempotency key was already used for a different message.
    IdempotencyKeyReused,
    /// Well-formed, but not applicable to this target.
    Unprocessable,
    /// The partner access token is missing, malformed, unknown, expired or its grant revoked.
    InvalidToken,
    /// The grant lacks the scope this call needs, or the partner's tier does not allow it.
    InsufficientScope,
    /// The partner's agreement is suspended or not in force.
    AgreementSuspended,
    /// Too many calls; see `Retry-After`.
    RateLimited,
    /// Only operators may do this.
    NotOperator,
    /// A submitted report has problems; `errors` names every bad row and field.
    ReportInvalid,
    /// The partner's reports are overdue, so its extended-tier scopes are suspended.
    ReportsOverdue,
    /// The server failed; nothing about the cause is disclosed.
    Internal,
    /// The server is not ready or shutting down.
    Unavailable,
    /// The route exists but not with this method; `Allow` lists the methods it takes.
    MethodNotAllowed,
    /// The body's content type is not one this route reads.
    UnsupportedMediaType,
}

impl ErrorCode {
    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::ValidationFailed => "validation_failed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid_credentials",
            Self::HandleTaken => "handle_taken",
            Self::NotFound => "not_found",
            Self::NotFriends => "not_friends",
            Self::Blocked => "blocked",
            Self::Forbidden => "forbidden",
            Self::Conflict => "conflict",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::Unprocessable => "unprocessable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AgreementSuspended => "agreement_suspended",
            Self::RateLimited => "rate_limited",
            Self::NotOperator => "not_operator",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::ReportInvalid => "report_invalid",
            Self::ReportsOverdue => "reports_overdue",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnsupportedMediaType => "unsupported_media_type",
        }
    }

    /// The problem `type` URI for this code.
    pub fn type_uri(self) -> String {
        format!("urn:clearline:problem:{}", self.as_str())
    }
}

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// `urn:clearline:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The stable code, the last part of `type`.
    pub code: ErrorCode,
    /// For `report_invalid`: every problem found, by row and field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One problem in a submitted document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The data row (1 = the first row after any header); absent for the document as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The field or column.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}
