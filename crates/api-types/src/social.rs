//! Friends, friend requests and blocks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::UserResponse;

/// A friend.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FriendResponse {
    /// The friend.
    pub user: UserResponse,
    /// Friends since, ms since the epoch.
    pub since: i64,
}

/// A pending friend request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FriendRequestResponse {
    /// The other person.
    pub user: UserResponse,
    /// Sent, ms since the epoch.
    pub created_at: i64,
}

/// `GET /v1/friend-requests`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FriendRequestsResponse {
    /// Requests others sent me.
    pub received: Vec<FriendRequestResponse>,
    /// Requests I sent.
    pub sent: Vec<FriendRequestResponse>,
}

/// `POST /v1/friend-requests`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFriendRequest {
    /// Whom to ask, `usr_…`.
    pub user_id: String,
}

/// What a friend request led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FriendRequestStatus {
    /// Waiting for the other person.
    Requested,
    /// They had asked too: you are friends.
    Friends,
}

/// Response to `POST /v1/friend-requests`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FriendRequestResult {
    /// The outcome.
    pub status: FriendRequestStatus,
}
