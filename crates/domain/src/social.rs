//! What two people are to each other: friends, a pending request either way, and blocks.
//! The rules that follow from it (who may befriend or message whom) live in the services;
//! this module only describes the state.

use crate::{Timestamp, User};

/// The state between a viewer and another person, as seen from the viewer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relationship {
    /// They are friends.
    pub friends: bool,
    /// The viewer asked the other to be friends and is waiting.
    pub request_sent: bool,
    /// The other asked the viewer to be friends and is waiting.
    pub request_received: bool,
    /// The viewer blocked the other.
    pub blocked_by_viewer: bool,
    /// The other blocked the viewer.
    pub blocked_by_other: bool,
}

impl Relationship {
    /// Either side blocked the other: no messages, requests or search results between them.
    pub fn blocked_either_way(&self) -> bool {
        self.blocked_by_viewer || self.blocked_by_other
    }
}

/// A pending friend request, with the other person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRequest {
    /// The other person (the sender for incoming, the recipient for outgoing requests).
    pub user: User,
    /// When the request was sent.
    pub created_at: Timestamp,
}
