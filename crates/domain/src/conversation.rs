//! Conversations and their members. A conversation is `direct` (exactly two friends, one per
//! pair), `group` (a creator and the friends they add) or `app_thread` (started from a partner
//! app; the partner platform fills these in).

use crate::{AppId, ConversationId, MessageId, Timestamp, UserId, ValidationError};

/// The most members a group may have, creator included.
pub const MAX_GROUP_MEMBERS: usize = 256;

/// What kind of conversation this is; it never changes after creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConversationKind {
    /// Two friends, one conversation per pair.
    Direct,
    /// A creator and the friends they added; members may leave, the creator may remove.
    Group,
    /// Started from a partner app between a person and a friend.
    AppThread,
}

impl ConversationKind {
    /// The stable name used in storage and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
            Self::AppThread => "app_thread",
        }
    }

    /// The inverse of [`ConversationKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "direct" => Some(Self::Direct),
            "group" => Some(Self::Group),
            "app_thread" => Some(Self::AppThread),
            _ => None,
        }
    }
}

/// A group's title: visible text of 1 to 100 characters (see [`crate::text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTitle(String);

impl GroupTitle {
    /// Normalises and checks a title.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        crate::text::visible_text(raw, 100).map(Self).ok_or(ValidationError::GroupTitle)
    }

    /// A title as stored: checked when it was written, under the rules of that day.
    pub fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    /// The title's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A current member of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Who.
    pub user_id: UserId,
    /// When they joined.
    pub joined_at: Timestamp,
    /// The newest message they have read, if any.
    pub read_up_to: Option<MessageId>,
}

/// A conversation with its current members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Its id.
    pub id: ConversationId,
    /// Direct, group or app thread.
    pub kind: ConversationKind,
    /// The group title; `None` for direct conversations and app threads.
    pub title: Option<GroupTitle>,
    /// Who started it.
    pub creator_id: UserId,
    /// The current members.
    pub members: Vec<Member>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When the last message was sent (or the creation time before any).
    pub last_activity_at: Timestamp,
    /// For app threads: the app that started it.
    pub app_id: Option<AppId>,
}

impl Conversation {
    /// The member record of `user`, if they are a current member.
    pub fn member(&self, user: UserId) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user)
    }
}
