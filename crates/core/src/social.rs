//! People search, friend requests, friendships and blocks.
//!
//! Rules: nobody befriends themselves; a person who blocked you does not exist for you (search,
//! requests); a person you blocked must be unblocked first; a request to someone who already
//! asked you makes you friends at once.

use clearline_domain::{FriendRequest, HandlePrefix, Relationship, User, UserId};
use clearline_store::{Friend, Store};

use crate::{App, CoreError, Principal};

/// The most people one search returns.
pub const MAX_SEARCH_RESULTS: u32 = 20;

/// What a friend request led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The request waits for the other person.
    Requested,
    /// They had asked too: you are friends now.
    BecameFriends,
}

impl<S: Store> App<S> {
    /// People whose handle starts with `prefix`, minus blocked people either way.
    pub async fn search_people(&self, me: Principal, prefix: HandlePrefix, limit: u32) -> Result<Vec<User>, CoreError> {
        Ok(self.store.search_users(me.user_id, prefix, limit.clamp(1, MAX_SEARCH_RESULTS)).await?)
    }

    /// The relationship of `other` to me, after checking `other` exists and has not blocked me.
    pub(crate) async fn visible_relationship(&self, me: Principal, other: UserId) -> Result<Relationship, CoreError> {
        if other == me.user_id {
            return Err(CoreError::Unprocessable { reason: "that is you" });
        }
        self.user(other).await?;
        let rel = self.store.relationship(me.user_id, other).await?;
        if rel.blocked_by_other {
            return Err(CoreError::NotFound { what: "user" });
        }
        Ok(rel)
    }

    /// Asks `to` to be friends.
    pub async fn send_friend_request(&self, me: Principal, to: UserId) -> Result<RequestOutcome, CoreError> {
        let rel = self.visible_relationship(me, to).await?;
        if rel.blocked_by_viewer {
            return Err(CoreError::Blocked);
        }
        if rel.friends {
            return Err(CoreError::Conflict { reason: "already friends" });
        }
        let now = self.clock.now();
        if rel.request_received {
            self.deliver(self.store.accept_friend_request(me.user_id, to, now).await?);
            return Ok(RequestOutcome::BecameFriends);
        }
        self.deliver(self.store.create_friend_request(me.user_id, to, now).await?);
        Ok(RequestOutcome::Requested)
    }

    /// Accepts the request `from` sent me.
    pub async fn accept_friend_request(&self, me: Principal, from: UserId) -> Result<(), CoreError> {
        let deliveries = self
            .store
            .accept_friend_request(me.user_id, from, self.clock.now())
            .await
            .map_err(|e| CoreError::not_found_as(e, "friend request"))?;
        self.deliver(deliveries);
        Ok(())
    }

    /// Declines the request `from` sent me.
    pub async fn decline_friend_request(&self, me: Principal, from: UserId) -> Result<(), CoreError> {
        CoreError::found(self.store.delete_friend_request(from, me.user_id).await?, "friend request")
    }

    /// Withdraws the request I sent `to`.
    pub async fn cancel_friend_request(&self, me: Principal, to: UserId) -> Result<(), CoreError> {
        CoreError::found(self.store.delete_friend_request(me.user_id, to).await?, "friend request")
    }

    /// My pending requests: (received, sent).
    pub async fn friend_requests(&self, me: Principal) -> Result<(Vec<FriendRequest>, Vec<FriendRequest>), CoreError> {
        Ok(self.store.friend_requests(me.user_id).await?)
    }

    /// My friends.
    pub async fn friends(&self, me: Principal) -> Result<Vec<Friend>, CoreError> {
        Ok(self.store.friends(me.user_id).await?)
    }

    /// Ends my friendship with `friend`.
    pub async fn remove_friend(&self, me: Principal, friend: UserId) -> Result<(), CoreError> {
        let deliveries = self
            .store
            .remove_friend(me.user_id, friend, self.clock.now())
            .await
            .map_err(|e| CoreError::not_found_as(e, "friend"))?;
        self.deliver(deliveries);
        Ok(())
    }

    /// Blocks `other`: ends any friendship and pending requests; they can no longer find,
    /// befriend or directly message me.
    pub async fn block(&self, me: Principal, other: UserId) -> Result<(), CoreError> {
        if other == me.user_id {
            return Err(CoreError::Unprocessable { reason: "that is you" });
        }
        self.user(other).await?;
        self.deliver(self.store.block(me.user_id, other, self.clock.now()).await?);
        Ok(())
    }

    /// Lifts my block of `other`.
    pub async fn unblock(&self, me: Principal, other: UserId) -> Result<(), CoreError> {
        CoreError::found(self.store.unblock(me.user_id, other).await?, "block")
    }

    /// The people I blocked.
    pub async fn blocked(&self, me: Principal) -> Result<Vec<User>, CoreError> {
        Ok(self.store.blocked_by(me.user_id).await?)
    }
}
