//! The per-person event stream behind realtime delivery. Each person's events are numbered
//! 1, 2, 3, … without gaps, so a client that reconnects with the last number it saw gets
//! exactly what it missed. Events that concern a message point at it rather than copy it:
//! deleting a message erases its content everywhere, the event stream included.

use crate::{ConversationId, Message, MessageId, Timestamp, User, UserId};

/// A person's event number; the first event is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventSeq(pub i64);

/// One event delivered to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its number in the recipient's stream.
    pub seq: EventSeq,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A message was sent in one of the person's conversations (a tombstone if since deleted).
    MessageCreated(Message),
    /// A message was deleted; its content is gone.
    MessageDeleted {
        /// Where.
        conversation_id: ConversationId,
        /// Which message.
        message_id: MessageId,
    },
    /// A member marked a conversation read up to a message.
    ReadMarked {
        /// Where.
        conversation_id: ConversationId,
        /// Who read.
        user_id: UserId,
        /// The newest message they have read.
        up_to: MessageId,
    },
    /// Someone asked the person to be friends.
    FriendRequestReceived {
        /// Who asked.
        from: User,
    },
    /// Two people became friends (sent to both).
    FriendAdded {
        /// The new friend.
        friend: User,
    },
    /// A friendship ended (sent to both).
    FriendRemoved {
        /// The former friend.
        user_id: UserId,
    },
    /// A conversation the person is or was in changed: created, members added, removed or left.
    ConversationUpdated {
        /// Which conversation.
        conversation_id: ConversationId,
    },
}

impl EventKind {
    /// The stable code stored for this kind of event.
    pub const fn code(&self) -> i64 {
        match self {
            Self::MessageCreated(_) => 1,
            Self::MessageDeleted { .. } => 2,
            Self::ReadMarked { .. } => 3,
            Self::FriendRequestReceived { .. } => 4,
            Self::FriendAdded { .. } => 5,
            Self::FriendRemoved { .. } => 6,
            Self::ConversationUpdated { .. } => 7,
        }
    }
}
