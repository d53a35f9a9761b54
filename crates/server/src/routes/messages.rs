//! `/v1/conversations/{id}/messages` and `/read`: history, sending, deleting, read marks.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use clearline_api_types::{
    MarkReadRequest, MessagePage, MessagePageQuery, MessageResponse, Problem, SendMessageRequest,
};
use clearline_domain::{ContentType, ConversationId, MessageContent, MessageId, PageRequest};

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth, IdempotencyHeader, field_id, path_id};
use crate::state::AppState;

fn content(req: SendMessageRequest) -> Result<MessageContent, ApiError> {
    let content_type = match req.content_type.as_deref() {
        Some(ct) => ContentType::parse(ct)?,
        None => ContentType::text_plain(),
    };
    let bytes = match (req.body, req.body_base64) {
        (Some(text), None) => text.into_bytes(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| ApiError::Malformed("body_base64 is not valid base64".to_owned()))?,
        _ => return Err(ApiError::Malformed("give exactly one of body and body_base64".to_owned())),
    };
    Ok(MessageContent::new(content_type, bytes)?)
}

pub(crate) fn cursor(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|r| r.parse::<MessageId>().map(MessageId::raw).map_err(ApiError::from)).transpose()
}

/// GET /v1/conversations/{id}/messages: a page of history.
#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "messages", security(("session" = [])),
    params(("id" = String, Path), MessagePageQuery),
    responses((status = 200, body = MessagePage), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MessagePageQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let page = PageRequest::new(cursor(q.before.as_deref())?, cursor(q.after.as_deref())?, q.limit)?;
    let page = s.app.messages(me, id, page).await?;
    Ok(Json(MessagePage { items: page.items.iter().map(Into::into).collect(), has_more: page.has_more }))
}

/// POST /v1/conversations/{id}/messages: send. 201 when created; 200 with the first message
/// when the `Idempotency-Key` was already used for the same content.
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "messages", security(("session" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = SendMessageRequest,
    responses((status = 201, body = MessageResponse), (status = 200, body = MessageResponse),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn send(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    IdempotencyHeader(key): IdempotencyHeader,
    ApiJson(req): ApiJson<SendMessageRequest>,
) -> Result<(StatusCode, Json<MessageResponse>), ApiError> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let sent = s.app.send_message(me, id, content(req)?, key).await?;
    let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json((&sent.value).into())))
}

/// DELETE /v1/conversations/{id}/messages/{message_id}: delete a message I sent; returns the tombstone.
#[utoipa::path(delete, path = "/v1/conversations/{id}/messages/{message_id}", tag = "messages",
    security(("session" = [])), params(("id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = MessageResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path((id, message)): Path<(String, String)>,
) -> Result<Json<MessageResponse>, ApiError> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let tombstone = s.app.delete_message(me, id, path_id(&message, "message")?).await?;
    Ok(Json((&tombstone).into()))
}

/// POST /v1/conversations/{id}/read: mark read up to a message.
#[utoipa::path(post, path = "/v1/conversations/{id}/read", tag = "messages", security(("session" = [])),
    params(("id" = String, Path)), request_body = MarkReadRequest,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn mark_read(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MarkReadRequest>,
) -> Result<StatusCode, ApiError> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let up_to: MessageId = field_id(&req.up_to)?;
    s.app.mark_read(me, id, up_to).await?;
    Ok(StatusCode::NO_CONTENT)
}
