//! `/v1/accounts`, `/v1/sessions`, `/v1/me`, `/v1/users`: signing up and in, sessions, people.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use clearline_api_types::{
    Problem, SearchQuery, SessionCreated, SessionResponse, SignInRequest, SignUpRequest, UserResponse,
};
use clearline_core::{SessionView, SignedIn};
use clearline_domain::{DisplayName, Handle, HandlePrefix, Password, SessionId};

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth, ClientAddr, UserAgent, path_id};
use crate::state::AppState;

fn session_created(s: SignedIn) -> (StatusCode, Json<SessionCreated>) {
    let body = SessionCreated {
        token: s.token.expose(),
        session_id: s.token.id().to_string(),
        expires_at: s.expires_at.millis(),
        user: (&s.user).into(),
    };
    (StatusCode::CREATED, Json(body))
}

fn session_response(s: SessionView) -> SessionResponse {
    SessionResponse {
        id: s.id.to_string(),
        user_agent: s.user_agent,
        created_at: s.created_at.millis(),
        expires_at: s.expires_at.millis(),
        current: s.current,
    }
}

/// POST /v1/accounts: sign up and get a session.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = SignUpRequest,
    responses((status = 201, body = SessionCreated), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem, description = "too many password attempts from this address; see Retry-After")))]
pub async fn sign_up(
    State(s): State<AppState>,
    UserAgent(ua): UserAgent,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<SignUpRequest>,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    let handle = Handle::parse(&req.handle)?;
    let name = DisplayName::parse(&req.display_name)?;
    let password = Password::parse(req.password)?;
    Ok(session_created(s.app.sign_up(handle, name, password, ua.as_deref(), from).await?))
}

/// POST /v1/sessions: sign in.
#[utoipa::path(post, path = "/v1/sessions", tag = "accounts", request_body = SignInRequest,
    responses((status = 201, body = SessionCreated), (status = 401, body = Problem),
              (status = 429, body = Problem, description = "too many failed sign-ins to this account from this address, or attempts from it; see Retry-After")))]
pub async fn sign_in(
    State(s): State<AppState>,
    UserAgent(ua): UserAgent,
    ClientAddr(from): ClientAddr,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<(StatusCode, Json<SessionCreated>), ApiError> {
    // A handle or password that could never be valid fails like a wrong one.
    let (Ok(handle), Ok(password)) = (Handle::parse(&req.handle), Password::parse(req.password)) else {
        return Err(clearline_core::CoreError::InvalidCredentials.into());
    };
    Ok(session_created(s.app.sign_in(handle, password, ua.as_deref(), from).await?))
}

/// GET /v1/sessions: my live sessions.
#[utoipa::path(get, path = "/v1/sessions", tag = "accounts", security(("session" = [])),
    responses((status = 200, body = Vec<SessionResponse>), (status = 401, body = Problem)))]
pub async fn list_sessions(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<Vec<SessionResponse>>, ApiError> {
    Ok(Json(s.app.sessions(me).await?.into_iter().map(session_response).collect()))
}

/// DELETE /v1/sessions/{id}: revoke a session; `current` signs out.
#[utoipa::path(delete, path = "/v1/sessions/{id}", tag = "accounts", security(("session" = [])),
    params(("id" = String, Path, description = "`ses_…` or `current`")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_session(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: SessionId = if id == "current" { me.session_id } else { path_id(&id, "session")? };
    s.app.revoke_session(me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /v1/me: who I am.
#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("session" = [])),
    responses((status = 200, body = UserResponse), (status = 401, body = Problem)))]
pub async fn me(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<UserResponse>, ApiError> {
    Ok(Json((&s.app.user(me.user_id).await?).into()))
}

/// GET /v1/users: find people by handle prefix.
#[utoipa::path(get, path = "/v1/users", tag = "accounts", security(("session" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<UserResponse>), (status = 422, body = Problem)))]
pub async fn search(
    State(s): State<AppState>,
    Auth(me): Auth,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<UserResponse>>, ApiError> {
    let prefix = HandlePrefix::parse(&q.prefix)?;
    let found = s.app.search_people(me, prefix, q.limit.unwrap_or(20)).await?;
    Ok(Json(found.iter().map(UserResponse::from).collect()))
}
