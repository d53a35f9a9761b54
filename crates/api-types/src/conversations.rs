//! Conversations and the inbox listing.

use clearline_domain::Conversation;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::MessageResponse;

/// `POST /v1/conversations`: a direct conversation with a friend (`kind: direct`, `user_id`)
/// or a group of friends (`kind: group`, `title`, `member_ids`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CreateConversationRequest {
    /// The direct conversation with a friend; returns the existing one if there is one.
    Direct {
        /// The friend, `usr_…`.
        user_id: String,
    },
    /// A new group.
    Group {
        /// 1 to 100 characters.
        title: String,
        /// Friends to add, `usr_…`; at most 255.
        member_ids: Vec<String>,
    },
}

/// A member of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MemberResponse {
    /// `usr_…`.
    pub user_id: String,
    /// Joined, ms since the epoch.
    pub joined_at: i64,
    /// The newest message they read.
    pub read_up_to: Option<String>,
}

/// A conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConversationResponse {
    /// `cnv_…`.
    pub id: String,
    /// `direct`, `group` or `app_thread`.
    pub kind: String,
    /// Group title.
    pub title: Option<String>,
    /// `usr_…`.
    pub creator_id: String,
    /// Current members.
    pub members: Vec<MemberResponse>,
    /// Created, ms since the epoch.
    pub created_at: i64,
    /// Last message (or creation), ms since the epoch.
    pub last_activity_at: i64,
    /// For app threads: the app that started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by_app: Option<AppRef>,
    /// Every app that can read this conversation, and which member allowed it.
    #[serde(default)]
    pub readable_by: Vec<ReadableBy>,
}

/// An app, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppRef {
    /// `app_…`.
    pub app_id: String,
    /// The app's name.
    pub name: String,
}

/// An app that can read a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadableBy {
    /// `app_…`.
    pub app_id: String,
    /// The app's name.
    pub app_name: String,
    /// The partner's name.
    pub partner_name: String,
    /// The member whose grant allows it, `usr_…`.
    pub allowed_by: String,
    /// `inbox:read` (as the app that started this app thread) or `inbox:read_all` (whole inbox).
    pub scope: String,
}

impl From<&Conversation> for ConversationResponse {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.to_string(),
            kind: c.kind.as_str().to_owned(),
            title: c.title.as_ref().map(|t| t.as_str().to_owned()),
            creator_id: c.creator_id.to_string(),
            members: c
                .members
                .iter()
                .map(|m| MemberResponse {
                    user_id: m.user_id.to_string(),
                    joined_at: m.joined_at.millis(),
                    read_up_to: m.read_up_to.map(|r| r.to_string()),
                })
                .collect(),
            created_at: c.created_at.millis(),
            last_activity_at: c.last_activity_at.millis(),
            started_by_app: None,
            readable_by: Vec::new(),
        }
    }
}

/// A conversation in my inbox.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboxItem {
    /// The conversation.
    pub conversation: ConversationResponse,
    /// The newest message (a tombstone if deleted).
    pub last_message: Option<MessageResponse>,
    /// Messages from others after my read mark; stops counting at 1000.
    pub unread_count: u32,
}

/// `GET /v1/conversations` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// The `next` cursor of the previous page.
    pub before: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<u32>,
}

/// A page of my inbox, most recently active first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboxPage {
    /// The conversations.
    pub items: Vec<InboxItem>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// `POST /v1/conversations/{id}/members`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMembersRequest {
    /// Friends to add, `usr_…`.
    pub user_ids: Vec<String>,
}
