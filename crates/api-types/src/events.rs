//! Realtime events, one JSON text frame each on `GET /v1/events` (WebSocket).

use clearline_domain::{Event, EventKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{MessageResponse, UserResponse};

/// WebSocket close code: the connection fell behind; reconnect with `since` = the last `seq`.
pub const CLOSE_RESUME: u16 = 4000;
/// WebSocket close code: the session was revoked, signed out or expired; sign in again rather
/// than reconnect with the same token.
pub const CLOSE_SESSION_ENDED: u16 = 4001;

/// `GET /v1/events` query.
#[derive(Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Deliver every event numbered above this first (the last `seq` you saw); 0 for all.
    /// Without it, only events from now on.
    pub since: Option<i64>,
    /// The session token, for clients that cannot set an `Authorization` header (browsers).
    pub access_token: Option<String>,
}

/// One event in my stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventEnvelope {
    /// My event number: 1, 2, 3, … without gaps.
    pub seq: i64,
    /// When it happened, ms since the epoch.
    pub at: i64,
    /// What happened.
    #[serde(flatten)]
    pub data: EventData,
}

/// What happened, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventData {
    /// A new message (a tombstone if it was deleted since).
    MessageCreated {
        /// The message.
        message: MessageResponse,
    },
    /// A message was deleted.
    MessageDeleted {
        /// `cnv_…`.
        conversation_id: String,
        /// `msg_…`.
        message_id: String,
    },
    /// A member read up to a message.
    ReadMarked {
        /// `cnv_…`.
        conversation_id: String,
        /// `usr_…`.
        user_id: String,
        /// `msg_…`.
        up_to: String,
    },
    /// Someone asked me to be friends.
    FriendRequestReceived {
        /// Who.
        from: UserResponse,
    },
    /// A new friend.
    FriendAdded {
        /// Who.
        friend: UserResponse,
    },
    /// A friendship ended.
    FriendRemoved {
        /// `usr_…`.
        user_id: String,
    },
    /// A conversation of mine was created or its members changed.
    ConversationUpdated {
        /// `cnv_…`.
        conversation_id: String,
    },
}

impl From<&Event> for EventEnvelope {
    fn from(e: &Event) -> Self {
        let data = match &e.kind {
            EventKind::MessageCreated(m) => EventData::MessageCreated { message: m.into() },
            EventKind::MessageDeleted { conversation_id, message_id } => EventData::MessageDeleted {
                conversation_id: conversation_id.to_string(),
                message_id: message_id.to_string(),
            },
            EventKind::ReadMarked { conversation_id, user_id, up_to } => EventData::ReadMarked {
                conversation_id: conversation_id.to_string(),
                user_id: user_id.to_string(),
                up_to: up_to.to_string(),
            },
            EventKind::FriendRequestReceived { from } => EventData::FriendRequestReceived { from: from.into() },
            EventKind::FriendAdded { friend } => EventData::FriendAdded { friend: friend.into() },
            EventKind::FriendRemoved { user_id } => EventData::FriendRemoved { user_id: user_id.to_string() },
            EventKind::ConversationUpdated { conversation_id } => {
                EventData::ConversationUpdated { conversation_id: conversation_id.to_string() }
            }
        };
        Self { seq: e.seq.0, at: e.at.millis(), data }
    }
}
