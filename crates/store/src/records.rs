//! Inputs and outputs of the store traits that are not domain types themselves.

use clearline_domain::{
    Conversation, ConversationId, ConversationKind, DisplayName, Event, GroupTitle, Handle, IdempotencyKey, Message,
    MessageContent, SessionId, Timestamp, User, UserId,
};

/// A person's event, to be pushed to their live connections after commit.
pub type Delivery = (UserId, Event);

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The unique handle.
    pub handle: Handle,
    /// The display name.
    pub display_name: DisplayName,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Now.
    pub created_at: Timestamp,
}

/// A person together with their password hash, for signing in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The person.
    pub user: User,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Whose.
    pub user_id: UserId,
    /// SHA-256 of the token's secret part.
    pub secret_hash: [u8; 32],
    /// The client's User-Agent, if it sent one (at most 256 characters).
    pub user_agent: Option<String>,
    /// Now.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// A live (not revoked) session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its id, also the token's public selector.
    pub id: SessionId,
    /// Whose.
    pub user_id: UserId,
    /// SHA-256 of the token's secret part.
    pub secret_hash: [u8; 32],
    /// The client's User-Agent.
    pub user_agent: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// A friend and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Friend {
    /// The friend.
    pub user: User,
    /// When the friendship began.
    pub since: Timestamp,
}

/// A new conversation. For `direct`, `members` holds exactly the two people.
#[derive(Debug, Clone)]
pub struct NewConversation {
    /// Direct, group or app thread.
    pub kind: ConversationKind,
    /// The group title.
    pub title: Option<GroupTitle>,
    /// Who starts it; also a member.
    pub creator_id: UserId,
    /// Everyone else who is in it from the start.
    pub other_members: Vec<UserId>,
    /// For app threads: the app starting it.
    pub app_id: Option<clearline_domain::AppId>,
    /// Now.
    pub created_at: Timestamp,
}

/// A conversation that was created, or the one that already existed (direct pairs).
#[derive(Debug, Clone)]
pub struct Created<T> {
    /// The record.
    pub value: T,
    /// Whether this call created it.
    pub created: bool,
    /// Events to push to live connections.
    pub deliveries: Vec<Delivery>,
}

/// Where a page of conversations starts: the edge item's activity mark and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCursor {
    /// The edge conversation's [`ConversationSummary::activity`].
    pub activity: i64,
    /// The edge conversation's id.
    pub id: ConversationId,
}

/// A conversation as listed in a person's inbox.
#[derive(Debug, Clone)]
pub struct ConversationSummary {
    /// The conversation and its members.
    pub conversation: Conversation,
    /// The newest message (a tombstone if deleted).
    pub last_message: Option<Message>,
    /// Messages from others after the person's read mark, at most [`UNREAD_CAP`].
    pub unread_count: u32,
    /// The inbox order key: higher is more recent (for paging cursors).
    pub activity: i64,
}

/// Unread counts stop counting here; clients show it as "1000+".
pub const UNREAD_CAP: u32 = 1000;

/// A message to send.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Where.
    pub conversation_id: ConversationId,
    /// Who.
    pub sender_id: UserId,
    /// What.
    pub content: MessageContent,
    /// The client's retry key, if any.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The app it is sent through, if any.
    pub via: Option<clearline_domain::AppId>,
    /// An app's link card, if any.
    pub card: Option<clearline_domain::Card>,
    /// Now.
    pub created_at: Timestamp,
}

/// What the services need to know before a message may be sent, read inside the write.
#[derive(Debug, Clone)]
pub struct SendContext {
    /// The conversation's kind.
    pub kind: ConversationKind,
    /// Whether the sender is a current member.
    pub sender_is_member: bool,
    /// Whether the sender and any other member blocked each other (not checked for groups:
    /// always false there).
    pub blocked_with_a_member: bool,
    /// For direct conversations and app threads: whether the sender is friends with every
    /// other member (always true for groups, where it is not checked).
    pub friends_with_others: bool,
}
