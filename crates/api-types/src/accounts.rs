//! Sign-up, sign-in, sessions and people.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /v1/accounts`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// 3 to 32 of a-z, 0-9 and `_`, starting with a letter; case-insensitive.
    pub handle: String,
    /// 1 to 64 characters.
    pub display_name: String,
    /// 8 to 256 bytes.
    pub password: String,
}

/// `POST /v1/sessions`.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// The handle.
    pub handle: String,
    /// The password.
    pub password: String,
}

/// A person as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    /// `usr_…`.
    pub id: String,
    /// Unique handle.
    pub handle: String,
    /// Display name.
    pub display_name: String,
}

impl From<&clearline_domain::User> for UserResponse {
    fn from(u: &clearline_domain::User) -> Self {
        Self { id: u.id.to_string(), handle: u.handle.to_string(), display_name: u.display_name.as_str().to_owned() }
    }
}

/// A new session and its token (shown once).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionCreated {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// `ses_…`.
    pub session_id: String,
    /// Expiry, ms since the epoch.
    pub expires_at: i64,
    /// Who signed in.
    pub user: UserResponse,
}

/// One of my sessions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// `ses_…`.
    pub id: String,
    /// The client's User-Agent when it signed in.
    pub user_agent: Option<String>,
    /// Created, ms since the epoch.
    pub created_at: i64,
    /// Expiry, ms since the epoch.
    pub expires_at: i64,
    /// The session making this request.
    pub current: bool,
}

/// `GET /v1/users` query.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Handle prefix, 1 to 32 handle characters.
    pub prefix: String,
    /// At most 20 (default 20).
    pub limit: Option<u32>,
}
