//! The one mapping from errors to HTTP: every [`CoreError`] and every request rejection becomes
//! an RFC 9457 `application/problem+json` response with a stable code. 5xx bodies say nothing
//! about the cause; it is logged inside the request's span. [`uniform_errors`] is the net
//! under it all: an error answer that anything else produced bare (a framework rejection, a
//! wrong method) leaves in the documented shape too.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clearline_api_types::problem::PROBLEM_JSON;
use clearline_api_types::{ErrorCode, FieldProblem, Problem};
use clearline_core::CoreError;
use clearline_domain::ValidationError;

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub enum ApiError {
    /// A refused use case.
    Core(CoreError),
    /// The body or query could not be read as the expected JSON or form.
    Malformed(String),
    /// The body was over the limit.
    TooLarge,
    /// The server is serving as many requests as it takes at once.
    Overloaded,
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::Core(CoreError::Validation(e))
    }
}

impl ApiError {
    /// `NotFound` for ids in paths: a malformed id names nothing that exists.
    pub fn not_found(what: &'static str) -> Self {
        Self::Core(CoreError::NotFound { what })
    }

    fn parts(&self) -> (StatusCode, ErrorCode, String) {
        use StatusCode as S;
        match self {
            Self::Malformed(detail) => (S::BAD_REQUEST, ErrorCode::MalformedRequest, detail.clone()),
            Self::Overloaded => (
                S::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "the server is serving as many requests as it takes at once; retry after a second".to_owned(),
            ),
            Self::TooLarge => (
                S::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                format!("request bodies are limited to {} bytes", crate::routes::BODY_LIMIT),
            ),
            Self::Core(e) => match e {
                CoreError::Validation(v) => (S::UNPROCESSABLE_ENTITY, ErrorCode::ValidationFailed, v.to_string()),
                CoreError::Unauthenticated => (S::UNAUTHORIZED, ErrorCode::Unauthenticated, e.to_string()),
                CoreError::InvalidCredentials => (S::UNAUTHORIZED, ErrorCode::InvalidCredentials, e.to_string()),
                CoreError::HandleTaken => (S::CONFLICT, ErrorCode::HandleTaken, e.to_string()),
                CoreError::NotFound { .. } => (S::NOT_FOUND, ErrorCode::NotFound, e.to_string()),
                CoreError::NotFriends => (S::FORBIDDEN, ErrorCode::NotFriends, e.to_string()),
                CoreError::Blocked => (S::FORBIDDEN, ErrorCode::Blocked, e.to_string()),
                CoreError::Forbidden { .. } => (S::FORBIDDEN, ErrorCode::Forbidden, e.to_string()),
                CoreError::Conflict { .. } => (S::CONFLICT, ErrorCode::Conflict, e.to_string()),
                CoreError::IdempotencyKeyReused => (S::CONFLICT, ErrorCode::IdempotencyKeyReused, e.to_string()),
                CoreError::Unprocessable { .. } => (S::UNPROCESSABLE_ENTITY, ErrorCode::Unprocessable, e.to_string()),
                CoreError::PartnerDenied(reason) => {
                    use clearline_domain::DenyReason as R;
                    let (status, code) = match reason {
                        R::NoToken | R::MalformedToken | R::UnknownToken | R::ExpiredToken | R::GrantRevoked => {
                            (S::UNAUTHORIZED, ErrorCode::InvalidToken)
                        }
                        R::MissingScope | R::WrongTier => (S::FORBIDDEN, ErrorCode::InsufficientScope),
                        R::AgreementSuspended => (S::FORBIDDEN, ErrorCode::AgreementSuspended),
                        R::NotFound => (S::NOT_FOUND, ErrorCode::NotFound),
                        R::NotFriend => (S::FORBIDDEN, ErrorCode::NotFriends),
                        R::NotSentViaApp => (S::FORBIDDEN, ErrorCode::Forbidden),
                        R::RateLimited => (S::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
                        R::ReportsOverdue => (S::FORBIDDEN, ErrorCode::ReportsOverdue),
                    };
                    (status, code, format!("denied: {}", reason.as_str()))
                }
                CoreError::RateLimited { .. } => (S::TOO_MANY_REQUESTS, ErrorCode::RateLimited, e.to_string()),
                CoreError::NotOperator => (S::FORBIDDEN, ErrorCode::NotOperator, e.to_string()),
                CoreError::InvalidClient => (S::UNAUTHORIZED, ErrorCode::InvalidCredentials, e.to_string()),
                CoreError::ReportInvalid(problems) => (
                    S::UNPROCESSABLE_ENTITY,
                    ErrorCode::ReportInvalid,
                    format!("the report has {} problem(s); see errors", problems.len()),
                ),
                CoreError::LogUnavailable => (S::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, e.to_string()),
                CoreError::Store(clearline_store::StoreError::Closed) => {
                    (S::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, "the server is shutting down".to_owned())
                }
                CoreError::Store(_) | CoreError::Hashing => {
                    (S::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error".to_owned())
                }
            },
        }
    }
}

fn title(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::MalformedRequest => "Malformed request",
        ErrorCode::ValidationFailed => "Validation failed",
        ErrorCode::PayloadTooLarge => "Payload too large",
        ErrorCode::Unauthenticated => "Authentication required",
        ErrorCode::InvalidCredentials => "Invalid credentials",
        ErrorCode::HandleTaken => "Handle taken",
        ErrorCode::NotFound => "Not found",
        ErrorCode::NotFriends => "Not friends",
        ErrorCode::Blocked => "Blocked",
        ErrorCode::Forbidden => "Forbidden",
        ErrorCode::Conflict => "Conflict",
        ErrorCode::IdempotencyKeyReused => "Idempotency key reused",
        ErrorCode::Unprocessable => "Unprocessable",
        ErrorCode::InvalidToken => "Invalid access token",
        ErrorCode::InsufficientScope => "Insufficient scope",
        ErrorCode::AgreementSuspended => "Agreement suspended",
        ErrorCode::RateLimited => "Rate limited",
        ErrorCode::NotOperator => "Operators only",
        ErrorCode::Internal => "Internal error",
        ErrorCode::Unavailable => "Unavailable",
        ErrorCode::ReportInvalid => "Report invalid",
        ErrorCode::ReportsOverdue => "Reports overdue",
        ErrorCode::MethodNotAllowed => "Method not allowed",
        ErrorCode::UnsupportedMediaType => "Unsupported media type",
    }
}

fn problem(status: StatusCode, code: ErrorCode, detail: String) -> Problem {
    Problem {
        type_uri: code.type_uri(),
        title: title(code).to_owned(),
        status: status.as_u16(),
        detail: Some(detail),
        code,
        errors: Vec::new(),
    }
}

/// Renders a problem response.
pub fn problem_response(status: StatusCode, code: ErrorCode, detail: String) -> Response {
    let body = problem(status, code, detail);
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, detail) = self.parts();
        if let (true, Self::Core(e)) = (status.is_server_error(), &self) {
            tracing::error!(error = %e, "request failed");
        }
        // When to come back, for refusals that pass.
        let retry_after = match &self {
            Self::Core(CoreError::RateLimited { retry_after_secs }) => Some(*retry_after_secs),
            Self::Overloaded => Some(1),
            _ => None,
        };
        let mut res = match self {
            Self::Core(CoreError::ReportInvalid(problems)) => {
                let errors = problems
                    .into_iter()
                    .map(|p| FieldProblem { row: p.row, field: p.field, problem: p.problem })
                    .collect();
                let body = Problem { errors, ..problem(status, code, detail) };
                let mut res = (status, axum::Json(body)).into_response();
                res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
                res
            }
            Self::Core(CoreError::InvalidClient) => {
                let mut res = problem_response(status, code, detail);
                res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"partner\""));
                res
            }
            _ => problem_response(status, code, detail),
        };
        if let Some(secs) = retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The problem code of an error status that reached [`uniform_errors`] without a body.
fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::CONFLICT => ErrorCode::Conflict,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::ValidationFailed,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::MalformedRequest,
    }
}

/// The answer for an error known only by its status: a problem, or under `/oauth/` RFC 6749's
/// `{"error","error_description"}`.
pub fn status_error(oauth: bool, status: StatusCode) -> Response {
    let code = code_for_status(status);
    if !oauth {
        return problem_response(status, code, title(code).to_owned());
    }
    let error = if status.is_server_error() { "server_error" } else { "invalid_request" };
    let body = clearline_api_types::OAuthErrorResponse {
        error: error.to_owned(),
        error_description: title(code).to_lowercase(),
    };
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Whether a response already carries a body in one of the documented shapes.
fn documented_shape(res: &Response) -> bool {
    let Some(ct) = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let ct = ct.split(';').next().unwrap_or_default().trim();
    ["application/problem+json", "application/json", "text/html"].contains(&ct)
}

/// Middleware: any 4xx or 5xx answer without a documented body becomes a problem (RFC 6749's
/// `{"error","error_description"}` under `/oauth/`), keeping its status and headers (`Allow`,
/// `Retry-After`). The original text is dropped: framework messages are not part of the API.
pub async fn uniform_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let oauth = req.uri().path().starts_with("/oauth/");
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || documented_shape(&res) {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let (new_parts, body) = status_error(oauth, status).into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(new_parts.headers);
    Response::from_parts(parts, body)
}
