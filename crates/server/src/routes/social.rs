//! `/v1/friends`, `/v1/friend-requests`, `/v1/blocks`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use clearline_api_types::{
    CreateFriendRequest, FriendRequestResponse, FriendRequestResult, FriendRequestStatus, FriendRequestsResponse,
    FriendResponse, Problem, UserResponse,
};
use clearline_core::social::RequestOutcome;
use clearline_domain::{FriendRequest, UserId};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth, field_id, path_id};
use crate::state::AppState;

fn request(r: &FriendRequest) -> FriendRequestResponse {
    FriendRequestResponse { user: (&r.user).into(), created_at: r.created_at.millis() }
}

/// GET /v1/friends: my friends.
#[utoipa::path(get, path = "/v1/friends", tag = "social", security(("session" = [])),
    responses((status = 200, body = Vec<FriendResponse>), (status = 401, body = Problem)))]
pub async fn friends(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<Vec<FriendResponse>>, ApiError> {
    let friends = s.app.friends(me).await?;
    Ok(Json(friends.iter().map(|f| FriendResponse { user: (&f.user).into(), since: f.since.millis() }).collect()))
}

/// DELETE /v1/friends/{user_id}: end a friendship.
#[utoipa::path(delete, path = "/v1/friends/{user_id}", tag = "social", security(("session" = [])),
    params(("user_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_friend(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.remove_friend(me, path_id::<UserId>(&id, "friend")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /v1/friend-requests: pending requests, received and sent.
#[utoipa::path(get, path = "/v1/friend-requests", tag = "social", security(("session" = [])),
    responses((status = 200, body = FriendRequestsResponse)))]
pub async fn friend_requests(
    State(s): State<AppState>,
    Auth(me): Auth,
) -> Result<Json<FriendRequestsResponse>, ApiError> {
    let (received, sent) = s.app.friend_requests(me).await?;
    Ok(Json(FriendRequestsResponse {
        received: received.iter().map(request).collect(),
        sent: sent.iter().map(request).collect(),
    }))
}

/// POST /v1/friend-requests: ask someone to be friends (accepts theirs if they asked first).
#[utoipa::path(post, path = "/v1/friend-requests", tag = "social", security(("session" = [])),
    request_body = CreateFriendRequest,
    responses((status = 201, body = FriendRequestResult), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn send_friend_request(
    State(s): State<AppState>,
    Auth(me): Auth,
    ApiJson(req): ApiJson<CreateFriendRequest>,
) -> Result<(StatusCode, Json<FriendRequestResult>), ApiError> {
    let status = match s.app.send_friend_request(me, field_id(&req.user_id)?).await? {
        RequestOutcome::Requested => FriendRequestStatus::Requested,
        RequestOutcome::BecameFriends => FriendRequestStatus::Friends,
    };
    Ok((StatusCode::CREATED, Json(FriendRequestResult { status })))
}

/// DELETE /v1/friend-requests/{user_id}: withdraw the request I sent.
#[utoipa::path(delete, path = "/v1/friend-requests/{user_id}", tag = "social", security(("session" = [])),
    params(("user_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn cancel_friend_request(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.cancel_friend_request(me, path_id(&id, "friend request")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /v1/friend-requests/{user_id}/accept: accept a request I received.
#[utoipa::path(post, path = "/v1/friend-requests/{user_id}/accept", tag = "social", security(("session" = [])),
    params(("user_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn accept_friend_request(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.accept_friend_request(me, path_id(&id, "friend request")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /v1/friend-requests/{user_id}/decline: decline a request I received.
#[utoipa::path(post, path = "/v1/friend-requests/{user_id}/decline", tag = "social", security(("session" = [])),
    params(("user_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn decline_friend_request(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.decline_friend_request(me, path_id(&id, "friend request")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /v1/blocks: the people I blocked.
#[utoipa::path(get, path = "/v1/blocks", tag = "social", security(("session" = [])),
    responses((status = 200, body = Vec<UserResponse>)))]
pub async fn blocks(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<Vec<UserResponse>>, ApiError> {
    Ok(Json(s.app.blocked(me).await?.iter().map(UserResponse::from).collect()))
}

/// PUT /v1/blocks/{user_id}: block someone.
#[utoipa::path(put, path = "/v1/blocks/{user_id}", tag = "social", security(("session" = [])),
    params(("user_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem, description = "that is you")))]
pub async fn block(State(s): State<AppState>, Auth(me): Auth, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    s.app.block(me, path_id(&id, "user")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// DELETE /v1/blocks/{user_id}: unblock someone.
#[utoipa::path(delete, path = "/v1/blocks/{user_id}", tag = "social", security(("session" = [])),
    params(("user_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn unblock(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.app.unblock(me, path_id(&id, "block")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
