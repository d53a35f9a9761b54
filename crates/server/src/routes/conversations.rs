//! `/v1/conversations`: my inbox, creating direct conversations and groups, members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use clearline_api_types::{
    AddMembersRequest, ConversationResponse, CreateConversationRequest, InboxItem, InboxPage, InboxQuery, Problem,
};
use clearline_domain::{Conversation, ConversationId, GroupTitle, MAX_PAGE_LIMIT, UserId, ValidationError};
use clearline_store::ActivityCursor;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth, field_id, path_id};
use crate::state::AppState;

pub(crate) fn parse_cursor(raw: &str) -> Result<ActivityCursor, ApiError> {
    let (activity, id) = raw.split_once('.').ok_or(ValidationError::PageCursor)?;
    let activity: i64 = activity.parse().map_err(|_| ValidationError::PageCursor)?;
    Ok(ActivityCursor { activity, id: id.parse()? })
}

/// A conversation with the apps that can read it.
async fn described(s: &AppState, c: &Conversation) -> Result<ConversationResponse, ApiError> {
    Ok(crate::routes::apps::conversation_response(c, s.app.disclosure(c).await?))
}

fn ids(raw: &[String]) -> Result<Vec<UserId>, ApiError> {
    raw.iter().map(|r| field_id(r)).collect()
}

/// GET /v1/conversations: my conversations, most recently active first.
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations", security(("session" = [])),
    params(InboxQuery), responses((status = 200, body = InboxPage), (status = 422, body = Problem)))]
pub async fn inbox(
    State(s): State<AppState>,
    Auth(me): Auth,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<InboxPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(ValidationError::PageLimit.into());
    }
    let before = q.before.as_deref().map(parse_cursor).transpose()?;
    let page = s.app.inbox(me, before, limit).await?;
    let next =
        if page.has_more { page.items.last().map(|i| format!("{}.{}", i.activity, i.conversation.id)) } else { None };
    let mut items = Vec::with_capacity(page.items.len());
    for i in &page.items {
        items.push(InboxItem {
            conversation: described(&s, &i.conversation).await?,
            last_message: i.last_message.as_ref().map(Into::into),
            unread_count: i.unread_count,
        });
    }
    Ok(Json(InboxPage { items, next }))
}

/// POST /v1/conversations: open the direct conversation with a friend (200 if it existed),
/// or create a group of friends.
#[utoipa::path(post, path = "/v1/conversations", tag = "conversations", security(("session" = [])),
    request_body = CreateConversationRequest,
    responses((status = 201, body = ConversationResponse), (status = 200, body = ConversationResponse),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(me): Auth,
    ApiJson(req): ApiJson<CreateConversationRequest>,
) -> Result<(StatusCode, Json<ConversationResponse>), ApiError> {
    match req {
        CreateConversationRequest::Direct { user_id } => {
            let created = s.app.open_direct(me, field_id(&user_id)?).await?;
            let status = if created.created { StatusCode::CREATED } else { StatusCode::OK };
            Ok((status, Json(described(&s, &created.value).await?)))
        }
        CreateConversationRequest::Group { title, member_ids } => {
            let conv = s.app.create_group(me, GroupTitle::parse(&title)?, ids(&member_ids)?).await?;
            Ok((StatusCode::CREATED, Json(described(&s, &conv).await?)))
        }
    }
}

/// GET /v1/conversations/{id}: one of my conversations.
#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = ConversationResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<Json<ConversationResponse>, ApiError> {
    let id: ConversationId = path_id(&id, "conversation")?;
    Ok(Json(described(&s, &s.app.conversation(me, id).await?).await?))
}

/// POST /v1/conversations/{id}/members: add friends to a group I created.
#[utoipa::path(post, path = "/v1/conversations/{id}/members", tag = "conversations", security(("session" = [])),
    params(("id" = String, Path)), request_body = AddMembersRequest,
    responses((status = 200, body = ConversationResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn add_members(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddMembersRequest>,
) -> Result<Json<ConversationResponse>, ApiError> {
    let id: ConversationId = path_id(&id, "conversation")?;
    Ok(Json(described(&s, &s.app.add_members(me, id, ids(&req.user_ids)?).await?).await?))
}

/// DELETE /v1/conversations/{id}/members/{user_id}: leave a group, or remove a member of mine.
#[utoipa::path(delete, path = "/v1/conversations/{id}/members/{user_id}", tag = "conversations",
    security(("session" = [])), params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem, description = "only groups can be left")))]
pub async fn remove_member(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id: ConversationId = path_id(&id, "conversation")?;
    s.app.remove_member(me, id, path_id(&user, "member")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
