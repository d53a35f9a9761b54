//! Clearline's domain: validated value types, ids and the records the services work with.
//! It knows no HTTP, no SQL and no clock; every function here is pure.
//!
//! # Layout
//! - [`id`]: typed, prefixed ids (`usr_…`, `cnv_…`, `msg_…`, `ses_…`).
//! - [`time`]: [`Timestamp`], milliseconds since the Unix epoch.
//! - [`user`]: handles, display names, passwords and the [`User`] record.
//! - [`social`]: friend requests, friendships and blocks between two people.
//! - [`conversation`]: conversation kinds, titles, members and read marks.
//! - [`message`]: content types, bodies, idempotency keys and the [`Message`] record.
//! - [`event`]: the per-person realtime event stream and its sequence numbers.
//! - [`page`]: cursor paging requests shared by every listing.
//! - [`error`]: [`ValidationError`], why an input was refused.

pub mod conversation;
pub mod error;
pub mod event;
pub mod id;
pub mod message;
pub mod page;
pub mod social;
pub mod time;
pub mod user;

pub use conversation::{Conversation, ConversationKind, GroupTitle, MAX_GROUP_MEMBERS, Member};
pub use error::ValidationError;
pub use event::{Event, EventKind, EventSeq};
pub use id::{ConversationId, Id, IdKind, MessageId, SessionId, UserId};
pub use message::{Body, ContentType, IdempotencyKey, MAX_BODY_BYTES, Message, MessageContent};
pub use page::{Cursor, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, Page, PageRequest};
pub use social::{FriendRequest, Relationship};
pub use time::Timestamp;
pub use user::{DisplayName, Handle, HandlePrefix, Password, User};
