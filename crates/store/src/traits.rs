//! The per-aggregate store traits. Each method is one transaction; methods that change what
//! people see return the events to deliver, already numbered in each person's stream.

use std::future::Future;

use clearline_domain::{
    Conversation, ConversationId, Event, EventSeq, FriendRequest, Handle, HandlePrefix, Message, MessageId, Page,
    PageRequest, Relationship, SessionId, Timestamp, User, UserId,
};

use crate::partner::{AccessStore, GrantStore, LogStore, PartnerStore, ReportStore};
use crate::{
    ActivityCursor, ConversationSummary, Created, Credentials, Delivery, Friend, NewConversation, NewMessage,
    NewSession, NewUser, SendContext, SessionRecord, StoreError,
};

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// People and their sessions.
pub trait AccountStore: Send + Sync {
    /// Creates an account; `Conflict` if the handle is taken.
    fn create_user(&self, new: NewUser) -> impl Future<Output = StoreResult<User>> + Send;
    /// The person with this handle and their password hash.
    fn credentials(&self, handle: Handle) -> impl Future<Output = StoreResult<Option<Credentials>>> + Send;
    /// The people with these ids that exist, in no particular order.
    fn users(&self, ids: Vec<UserId>) -> impl Future<Output = StoreResult<Vec<User>>> + Send;
    /// People whose handle starts with `prefix`, excluding `viewer` and anyone blocked either way.
    fn search_users(
        &self,
        viewer: UserId,
        prefix: HandlePrefix,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<User>>> + Send;
    /// Stores a new session and returns its id.
    fn create_session(&self, new: NewSession) -> impl Future<Output = StoreResult<SessionId>> + Send;
    /// A session that has not been revoked.
    fn session(&self, id: SessionId) -> impl Future<Output = StoreResult<Option<SessionRecord>>> + Send;
    /// A person's sessions that are neither revoked nor expired at `now`, newest first.
    fn sessions_of(&self, user: UserId, now: Timestamp)
    -> impl Future<Output = StoreResult<Vec<SessionRecord>>> + Send;
    /// Revokes a session of `user`; false if there was no such live session.
    fn revoke_session(
        &self,
        user: UserId,
        id: SessionId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Friend requests, friendships and blocks.
pub trait SocialStore: Send + Sync {
    /// What `other` is to `viewer`.
    fn relationship(&self, viewer: UserId, other: UserId) -> impl Future<Output = StoreResult<Relationship>> + Send;
    /// Records a request from `from` to `to`; the recipient gets an event.
    fn create_friend_request(
        &self,
        from: UserId,
        to: UserId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;
    /// Turns the request from `requester` to `accepter` into a friendship; `NotFound` if none.
    fn accept_friend_request(
        &self,
        accepter: UserId,
        requester: UserId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;
    /// Removes the pending request from `from` to `to`; false if there was none.
    fn delete_friend_request(&self, from: UserId, to: UserId) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Pending requests: (received, sent), newest first.
    fn friend_requests(
        &self,
        user: UserId,
    ) -> impl Future<Output = StoreResult<(Vec<FriendRequest>, Vec<FriendRequest>)>> + Send;
    /// A person's friends, by handle.
    fn friends(&self, user: UserId) -> impl Future<Output = StoreResult<Vec<Friend>>> + Send;
    /// Ends a friendship; `NotFound` if they were not friends.
    fn remove_friend(
        &self,
        user: UserId,
        friend: UserId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;
    /// `blocker` blocks `blocked`: any friendship and pending requests between them end.
    fn block(
        &self,
        blocker: UserId,
        blocked: UserId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;
    /// Lifts a block; false if there was none.
    fn unblock(&self, blocker: UserId, blocked: UserId) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The people `user` blocked.
    fn blocked_by(&self, user: UserId) -> impl Future<Output = StoreResult<Vec<User>>> + Send;
}

/// Conversations and their members.
pub trait ConversationStore: Send + Sync {
    /// Creates a conversation; for `direct`, returns the pair's existing one if there is one.
    fn create_conversation(
        &self,
        new: NewConversation,
    ) -> impl Future<Output = StoreResult<Created<Conversation>>> + Send;
    /// A conversation with its current members.
    fn conversation(&self, id: ConversationId) -> impl Future<Output = StoreResult<Option<Conversation>>> + Send;
    /// A person's conversations, most recently active first.
    fn conversations_of(
        &self,
        user: UserId,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Page<ConversationSummary>>> + Send;
    /// Adds people to a conversation; members get an event.
    fn add_members(
        &self,
        id: ConversationId,
        users: Vec<UserId>,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;
    /// Removes a member (leaving or removed); `NotFound` if not a member.
    fn remove_member(
        &self,
        id: ConversationId,
        user: UserId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;
}

/// Messages and read marks.
pub trait MessageStore: Send + Sync {
    /// Sends a message after `check` approves the [`SendContext`] read in the same
    /// transaction. With an idempotency key already used by the sender, returns the first
    /// message with `created: false` and writes nothing.
    fn send_message<E: Send + 'static>(
        &self,
        new: NewMessage,
        check: impl FnOnce(&SendContext) -> Result<(), E> + Send + 'static,
    ) -> impl Future<Output = StoreResult<Result<Created<Message>, E>>> + Send;
    /// A page of a conversation's messages: newest first for `Latest` and `Before`, oldest
    /// first for `After`.
    fn messages(
        &self,
        id: ConversationId,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Message>>> + Send;
    /// One message.
    fn message(&self, id: MessageId) -> impl Future<Output = StoreResult<Option<Message>>> + Send;
    /// Moves `user`'s read mark forward to `up_to` (never back); members get an event if it moved.
    fn mark_read(
        &self,
        id: ConversationId,
        user: UserId,
        up_to: MessageId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;
    /// Erases a message's content, leaving a tombstone; members get an event.
    /// `NotFound` if it does not exist or is already deleted.
    fn delete_message(
        &self,
        id: MessageId,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<(Message, Vec<Delivery>)>> + Send;
}

/// The per-person event streams.
pub trait EventStore: Send + Sync {
    /// Up to `limit` of `user`'s events after `after`, oldest first.
    fn events_since(
        &self,
        user: UserId,
        after: EventSeq,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Event>>> + Send;
    /// The number of `user`'s newest event (0 if none).
    fn last_event_seq(&self, user: UserId) -> impl Future<Output = StoreResult<EventSeq>> + Send;
}

/// Everything the services need from storage.
pub trait Store:
    AccountStore
    + SocialStore
    + ConversationStore
    + MessageStore
    + EventStore
    + PartnerStore
    + GrantStore
    + AccessStore
    + LogStore
    + ReportStore
    + Clone
    + 'static
{
}
impl<T> Store for T where
    T: AccountStore
        + SocialStore
        + ConversationStore
        + MessageStore
        + EventStore
        + PartnerStore
        + GrantStore
        + AccessStore
        + LogStore
        + ReportStore
        + Clone
        + 'static
{
}
