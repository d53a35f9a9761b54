//! `/partner/v1`: the partner API, called by apps with an OAuth access token. Every decision
//! (token, grant, scope, tier, agreement, resource, redaction) and the access event of each
//! call are made in `clearline_core::partner_access`; handlers only extract and convert.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use clearline_api_types::{
    AccessEventPage, AccessProofResponse, BeforeQuery, MessagePageQuery, PartnerFriend, PartnerFriends, PartnerMessage,
    PartnerMessagePage, PartnerPerson, PartnerSendRequest, PartnerSent, PartnerThread, PartnerThreadPage, Problem,
};
use clearline_core::partner_access::{AppContent, AppMessage, AppThread};
use clearline_domain::{AccessEventId, ConversationId, MAX_PAGE_LIMIT, MessageId, PageRequest, ValidationError};

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PartnerBearer, path_id};
use crate::routes::apps::access_page;
use crate::routes::conversations::parse_cursor;
use crate::routes::messages::cursor;
use crate::state::AppState;

pub(crate) fn message(m: AppMessage) -> PartnerMessage {
    let mut out = PartnerMessage {
        id: m.id.to_string(),
        thread_id: m.conversation_id.to_string(),
        sender: m.sender.as_str().to_owned(),
        from_me: m.from_me,
        via_this_app: m.via_this_app,
        created_at: m.created_at.millis(),
        text: None,
        content_type: None,
        card: None,
        redacted: false,
        deleted: false,
    };
    match m.content {
        AppContent::Shown { content, card } => {
            let (content_type, body) = content.into_parts();
            // Text moves into the response as it is; any other type is named, not shown.
            match body.into_text() {
                Ok(text) if content_type.is_text_plain() => out.text = Some(text),
                _ => out.content_type = Some(content_type.as_str().to_owned()),
            }
            out.card = card.as_ref().map(Into::into);
        }
        AppContent::Redacted => out.redacted = true,
        AppContent::Deleted => out.deleted = true,
    }
    out
}

fn thread(t: AppThread) -> PartnerThread {
    PartnerThread {
        id: t.id.to_string(),
        kind: t.kind.as_str().to_owned(),
        started_by_this_app: t.started_by_this_app,
        members: t.members.iter().map(ToString::to_string).collect(),
        last_message: t.last_message.map(message),
        last_activity_at: t.last_activity_at.millis(),
    }
}

fn limit(raw: Option<u32>) -> Result<u32, ApiError> {
    let limit = raw.unwrap_or(50);
    if (1..=MAX_PAGE_LIMIT).contains(&limit) { Ok(limit) } else { Err(ValidationError::PageLimit.into()) }
}

/// GET /partner/v1/me: the person's app-scoped id and display name.
#[utoipa::path(get, path = "/partner/v1/me", tag = "partner", security(("oauth" = [])),
    responses((status = 200, body = PartnerPerson), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn me(State(s): State<AppState>, PartnerBearer(t): PartnerBearer) -> Result<Json<PartnerPerson>, ApiError> {
    let p = s.app.partner_me(t.as_deref()).await?;
    Ok(Json(PartnerPerson { id: p.id.to_string(), display_name: p.display_name }))
}

/// GET /partner/v1/friends: friends who use this app (`friends:read`), or all friends
/// (`friends:read_all`, extended tier). People who blocked the app are never listed.
#[utoipa::path(get, path = "/partner/v1/friends", tag = "partner", security(("oauth" = ["friends:read"])),
    responses((status = 200, body = PartnerFriends), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn friends(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
) -> Result<Json<PartnerFriends>, ApiError> {
    let items = s.app.partner_friends(t.as_deref()).await?;
    let items = items
        .into_iter()
        .map(|f| PartnerFriend { id: f.id.to_string(), display_name: f.display_name, uses_app: f.uses_app })
        .collect();
    Ok(Json(PartnerFriends { items }))
}

/// POST /partner/v1/messages: send to friends, each in the app thread with them (`inbox:send`).
/// All or nothing: one recipient who is not a friend refuses the whole send.
#[utoipa::path(post, path = "/partner/v1/messages", tag = "partner", security(("oauth" = ["inbox:send"])),
    request_body = PartnerSendRequest,
    responses((status = 201, body = PartnerSent), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn send(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    ApiJson(req): ApiJson<PartnerSendRequest>,
) -> Result<(StatusCode, Json<PartnerSent>), ApiError> {
    let (to, content, card) = req.parse()?;
    let sent = s.app.partner_send(t.as_deref(), to, content, card).await?;
    Ok((StatusCode::CREATED, Json(PartnerSent { items: sent.into_iter().map(message).collect() })))
}

async fn threads_page(
    s: &AppState,
    t: Option<String>,
    all: bool,
    q: BeforeQuery,
) -> Result<PartnerThreadPage, ApiError> {
    let before = q.before.as_deref().map(parse_cursor).transpose()?;
    let page = s.app.partner_threads(t.as_deref(), all, before, limit(q.limit)?).await?;
    let next =
        if page.has_more { page.items.last().map(|i| format!("{}.{}", i.cursor.activity, i.cursor.id)) } else { None };
    Ok(PartnerThreadPage { items: page.items.into_iter().map(thread).collect(), next })
}

/// GET /partner/v1/threads: the person's app threads of this app (`inbox:read`).
#[utoipa::path(get, path = "/partner/v1/threads", tag = "partner", security(("oauth" = ["inbox:read"])),
    params(BeforeQuery),
    responses((status = 200, body = PartnerThreadPage), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn threads(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    ApiQuery(q): ApiQuery<BeforeQuery>,
) -> Result<Json<PartnerThreadPage>, ApiError> {
    Ok(Json(threads_page(&s, t, false, q).await?))
}

/// GET /partner/v1/conversations: all the person's conversations (`inbox:read_all`, extended
/// tier); other people's messages are redacted unless they allow apps everywhere.
#[utoipa::path(get, path = "/partner/v1/conversations", tag = "partner", security(("oauth" = ["inbox:read_all"])),
    params(BeforeQuery),
    responses((status = 200, body = PartnerThreadPage), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn conversations(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    ApiQuery(q): ApiQuery<BeforeQuery>,
) -> Result<Json<PartnerThreadPage>, ApiError> {
    Ok(Json(threads_page(&s, t, true, q).await?))
}

/// GET /partner/v1/threads/{id}/messages: a page of a thread's messages, redacted. Other
/// conversations do not exist for the app (404) unless it holds `inbox:read_all`.
#[utoipa::path(get, path = "/partner/v1/threads/{id}/messages", tag = "partner", security(("oauth" = ["inbox:read"])),
    params(("id" = String, Path), MessagePageQuery),
    responses((status = 200, body = PartnerMessagePage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn messages(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MessagePageQuery>,
) -> Result<Json<PartnerMessagePage>, ApiError> {
    let id: ConversationId = path_id(&id, "thread")?;
    let page = PageRequest::new(cursor(q.before.as_deref())?, cursor(q.after.as_deref())?, q.limit)?;
    let page = s.app.partner_messages(t.as_deref(), id, page).await?;
    Ok(Json(PartnerMessagePage { items: page.items.into_iter().map(message).collect(), has_more: page.has_more }))
}

/// DELETE /partner/v1/messages/{id}: erase a message the person sent through this app (`inbox:delete`).
#[utoipa::path(delete, path = "/partner/v1/messages/{id}", tag = "partner", security(("oauth" = ["inbox:delete"])),
    params(("id" = String, Path)),
    responses((status = 200, body = PartnerMessage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    Path(id): Path<String>,
) -> Result<Json<PartnerMessage>, ApiError> {
    let id: MessageId = path_id(&id, "message")?;
    Ok(Json(message(s.app.partner_delete(t.as_deref(), id).await?)))
}

/// GET /partner/v1/access-log: this app's own recorded calls about the person, newest first.
#[utoipa::path(get, path = "/partner/v1/access-log", tag = "partner", security(("oauth" = [])), params(BeforeQuery),
    responses((status = 200, body = AccessEventPage), (status = 401, body = Problem)))]
pub async fn access_log(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    ApiQuery(q): ApiQuery<BeforeQuery>,
) -> Result<Json<AccessEventPage>, ApiError> {
    let before: Option<AccessEventId> = q.before.as_deref().map(str::parse).transpose()?;
    let page = s.app.partner_access_log(t.as_deref(), before, limit(q.limit)?).await?;
    Ok(Json(access_page(page)))
}

/// GET /partner/v1/access-log/{id}/proof: one of this app's calls about the person, with its
/// salt and a C2SP tlog-proof@v1 receipt.
#[utoipa::path(get, path = "/partner/v1/access-log/{id}/proof", tag = "partner", security(("oauth" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AccessProofResponse), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn access_proof(
    State(s): State<AppState>,
    PartnerBearer(t): PartnerBearer,
    Path(id): Path<String>,
) -> Result<Json<AccessProofResponse>, ApiError> {
    let id: AccessEventId = path_id(&id, "access event")?;
    Ok(Json(crate::routes::apps::proof_response(s.app.partner_access_proof(t.as_deref(), id).await?)))
}
