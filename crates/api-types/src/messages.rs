//! Messages, message pages and read marks.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clearline_domain::Message;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /v1/conversations/{id}/messages`. Give exactly one of `body` (UTF-8 text) and
/// `body_base64` (any bytes). The decoded body is 1 to 65,536 bytes. Send an
/// `Idempotency-Key` header (1 to 64 printable ASCII characters) to make retries safe.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// `type/subtype`, default `text/plain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as standard base64, for content that is not text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

/// A message, or the tombstone of a deleted one (no content, `deleted_at` set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageResponse {
    /// `msg_…`; ids grow with time.
    pub id: String,
    /// `cnv_…`.
    pub conversation_id: String,
    /// `usr_…`.
    pub sender_id: String,
    /// Absent once deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body as text, for `text/*` content that is valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as base64, for any other content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
    /// Sent, ms since the epoch.
    pub created_at: i64,
    /// Deleted, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// The partner app it was sent through (`app_…`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_app_id: Option<String>,
    /// The app's link card, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardBody>,
}

/// A link card: title, link and optional image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardBody {
    /// 1 to 200 characters.
    pub title: String,
    /// An absolute http(s) URL, at most 2048 bytes.
    pub url: String,
    /// An absolute http(s) URL, at most 2048 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

impl From<&clearline_domain::Card> for CardBody {
    fn from(c: &clearline_domain::Card) -> Self {
        Self { title: c.title().to_owned(), url: c.url().to_owned(), image_url: c.image_url().map(str::to_owned) }
    }
}

impl From<&Message> for MessageResponse {
    fn from(m: &Message) -> Self {
        let (content_type, body, body_base64) = match &m.content {
            None => (None, None, None),
            Some(c) => {
                let ct = c.content_type().as_str();
                match c.body().as_text() {
                    Some(text) if ct.starts_with("text/") => (Some(ct.to_owned()), Some(text.to_owned()), None),
                    _ => (Some(ct.to_owned()), None, Some(STANDARD.encode(c.body().as_bytes()))),
                }
            }
        };
        Self {
            id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            sender_id: m.sender_id.to_string(),
            content_type,
            body,
            body_base64,
            created_at: m.created_at.millis(),
            deleted_at: m.deleted_at.map(|t| t.millis()),
            via_app_id: m.via.map(|a| a.to_string()),
            card: m.card.as_ref().map(Into::into),
        }
    }
}

/// `GET /v1/conversations/{id}/messages` query. Without a cursor: the newest messages,
/// newest first. `before=msg_…`: older ones, newest first. `after=msg_…`: newer ones, oldest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagePageQuery {
    /// Messages older than this one.
    pub before: Option<String>,
    /// Messages newer than this one.
    pub after: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<u32>,
}

/// A page of messages.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    /// Newest first, or oldest first when paging with `after`.
    pub items: Vec<MessageResponse>,
    /// More messages lie beyond the last item in the paging direction.
    pub has_more: bool,
}

/// `POST /v1/conversations/{id}/read`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadRequest {
    /// The newest message read, `msg_…`.
    pub up_to: String,
}
