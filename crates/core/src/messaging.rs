//! Conversations and messages: who may create, join, read, send, mark read and delete.
//!
//! Rules: a conversation a person is not a member of does not exist for them (`NotFound`, never
//! `Forbidden`); direct conversations are between friends, one per pair; groups are made of the
//! creator's friends, only the creator adds or removes, anyone may leave; a direct message needs
//! the two to still be friends and no block either way; only the sender deletes a message, and deletion erases its content.

use clearline_domain::{
    Conversation, ConversationId, ConversationKind, Event, EventSeq, GroupTitle, IdempotencyKey, MAX_GROUP_MEMBERS,
    Message, MessageContent, MessageId, Page, PageRequest, UserId,
};
use clearline_store::{ActivityCursor, ConversationSummary, Created, NewConversation, NewMessage, Store};

use crate::{App, CoreError, Principal};

/// The most events one replay call returns.
pub const MAX_REPLAY: u32 = 500;

impl<S: Store> App<S> {
    /// A conversation I am a member of.
    pub async fn conversation(&self, me: Principal, id: ConversationId) -> Result<Conversation, CoreError> {
        match self.store.conversation(id).await? {
            Some(c) if c.member(me.user_id).is_some() => Ok(c),
            _ => Err(CoreError::NotFound { what: "conversation" }),
        }
    }

    async fn require_friend(&self, me: Principal, other: UserId) -> Result<(), CoreError> {
        let rel = self.visible_relationship(me, other).await?;
        if rel.blocked_by_viewer {
            return Err(CoreError::Blocked);
        }
        if !rel.friends {
            return Err(CoreError::NotFriends);
        }
        Ok(())
    }

    /// The direct conversation with a friend, created on first use.
    pub async fn open_direct(&self, me: Principal, friend: UserId) -> Result<Created<Conversation>, CoreError> {
        self.require_friend(me, friend).await?;
        let created = self
            .store
            .create_conversation(NewConversation {
                kind: ConversationKind::Direct,
                title: None,
                creator_id: me.user_id,
                other_members: vec![friend],
                app_id: None,
                created_at: self.clock.now(),
            })
            .await?;
        self.deliver(created.deliveries.clone());
        Ok(created)
    }

    /// A new group of my friends.
    pub async fn create_group(
        &self,
        me: Principal,
        title: GroupTitle,
        mut members: Vec<UserId>,
    ) -> Result<Conversation, CoreError> {
        members.sort();
        members.dedup();
        members.retain(|m| *m != me.user_id);
        if members.len() + 1 > MAX_GROUP_MEMBERS {
            return Err(CoreError::Unprocessable { reason: "a group has at most 256 members" });
        }
        for m in &members {
            self.require_friend(me, *m).await?;
        }
        let created = self
            .store
            .create_conversation(NewConversation {
                kind: ConversationKind::Group,
                title: Some(title),
                creator_id: me.user_id,
                other_members: members,
                app_id: None,
                created_at: self.clock.now(),
            })
            .await?;
        self.deliver(created.deliveries);
        Ok(created.value)
    }

    /// My conversations, most recently active first.
    pub async fn inbox(
        &self,
        me: Principal,
        before: Option<ActivityCursor>,
        limit: u32,
    ) -> Result<Page<ConversationSummary>, CoreError> {
        Ok(self.store.conversations_of(me.user_id, before, limit).await?)
    }

    /// Adds my friends to a group I created.
    pub async fn add_members(
        &self,
        me: Principal,
        id: ConversationId,
        users: Vec<UserId>,
    ) -> Result<Conversation, CoreError> {
        let conv = self.conversation(me, id).await?;
        if conv.kind != ConversationKind::Group {
            return Err(CoreError::Unprocessable { reason: "only groups take new members" });
        }
        if conv.creator_id != me.user_id {
            return Err(CoreError::Forbidden { reason: "only the group's creator adds members" });
        }
        let new: Vec<UserId> = users.into_iter().filter(|u| conv.member(*u).is_none()).collect();
        if conv.members.len() + new.len() > MAX_GROUP_MEMBERS {
            return Err(CoreError::Unprocessable { reason: "a group has at most 256 members" });
        }
        for u in &new {
            self.require_friend(me, *u).await?;
        }
        self.deliver(self.store.add_members(id, new, self.clock.now()).await?);
        self.conversation(me, id).await
    }

    /// Leaves a group (when `user` is me) or removes a member from a group I created.
    pub async fn remove_member(&self, me: Principal, id: ConversationId, user: UserId) -> Result<(), CoreError> {
        let conv = self.conversation(me, id).await?;
        if conv.kind != ConversationKind::Group {
            return Err(CoreError::Unprocessable { reason: "only groups can be left" });
        }
        if user != me.user_id && conv.creator_id != me.user_id {
            return Err(CoreError::Forbidden { reason: "only the group's creator removes members" });
        }
        if conv.member(user).is_none() {
            return Err(CoreError::NotFound { what: "member" });
        }
        self.deliver(self.store.remove_member(id, user, self.clock.now()).await?);
        Ok(())
    }

    /// Sends a message. With an idempotency key I already used, returns the first message
    /// (`created: false`) if the content is the same, and refuses otherwise.
    pub async fn send_message(
        &self,
        me: Principal,
        id: ConversationId,
        content: MessageContent,
        key: Option<IdempotencyKey>,
    ) -> Result<Created<Message>, CoreError> {
        let new = NewMessage {
            conversation_id: id,
            sender_id: me.user_id,
            content: content.clone(),
            idempotency_key: key,
            via: None,
            card: None,
            created_at: self.clock.now(),
        };
        let sent = self
            .store
            .send_message(new, |ctx| {
                if !ctx.sender_is_member {
                    return Err(CoreError::NotFound { what: "conversation" });
                }
                if ctx.kind != ConversationKind::Group && ctx.blocked_with_a_member {
                    return Err(CoreError::Blocked);
                }
                if !ctx.friends_with_others {
                    return Err(CoreError::NotFriends);
                }
                Ok(())
            })
            .await
            .map_err(|e| CoreError::not_found_as(e, "conversation"))??;
        if !sent.created {
            let first = &sent.value;
            let same = first.conversation_id == id && first.content.as_ref().is_none_or(|c| *c == content);
            if !same {
                return Err(CoreError::IdempotencyKeyReused);
            }
        }
        self.deliver(sent.deliveries.clone());
        Ok(sent)
    }

    /// A page of a conversation's messages.
    pub async fn messages(
        &self,
        me: Principal,
        id: ConversationId,
        page: PageRequest,
    ) -> Result<Page<Message>, CoreError> {
        self.conversation(me, id).await?;
        Ok(self.store.messages(id, page).await?)
    }

    /// Marks a conversation read up to a message of it.
    pub async fn mark_read(&self, me: Principal, id: ConversationId, up_to: MessageId) -> Result<(), CoreError> {
        self.conversation(me, id).await?;
        self.deliver(self.store.mark_read(id, me.user_id, up_to, self.clock.now()).await?);
        Ok(())
    }

    /// Deletes a message I sent: its content is erased and everyone sees a tombstone.
    /// Deleting an already deleted message of mine returns the tombstone again.
    pub async fn delete_message(
        &self,
        me: Principal,
        id: ConversationId,
        message: MessageId,
    ) -> Result<Message, CoreError> {
        self.conversation(me, id).await?;
        let found = match self.store.message(message).await? {
            Some(m) if m.conversation_id == id => m,
            _ => return Err(CoreError::NotFound { what: "message" }),
        };
        if found.sender_id != me.user_id {
            return Err(CoreError::Forbidden { reason: "only the sender deletes a message" });
        }
        if found.deleted_at.is_some() {
            return Ok(found);
        }
        match self.store.delete_message(message, self.clock.now()).await {
            Ok((tombstone, deliveries)) => {
                self.deliver(deliveries);
                Ok(tombstone)
            }
            Err(clearline_store::StoreError::NotFound { .. }) => {
                self.store.message(message).await?.ok_or(CoreError::NotFound { what: "message" })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// My events after `after`, oldest first, for resuming a realtime connection.
    pub async fn events_since(&self, me: UserId, after: EventSeq, limit: u32) -> Result<Vec<Event>, CoreError> {
        Ok(self.store.events_since(me, after, limit.clamp(1, MAX_REPLAY)).await?)
    }

    /// The number of my newest event.
    pub async fn last_event_seq(&self, me: UserId) -> Result<EventSeq, CoreError> {
        Ok(self.store.last_event_seq(me).await?)
    }
}
