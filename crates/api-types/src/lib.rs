//! The wire types of Clearline's HTTP API, shared by the server (which renders them and
//! generates the OpenAPI document from them) and the client SDK (which parses them).
//! Ids are strings with a kind prefix (`usr_1`); times are integer milliseconds since the epoch.
//!
//! # Layout
//! - [`problem`]: RFC 9457 problem details and the stable [`ErrorCode`]s.
//! - [`accounts`]: sign-up, sign-in, sessions, people.
//! - [`social`]: friends, friend requests, blocks.
//! - [`conversations`]: conversations and the inbox listing.
//! - [`messages`]: messages, paging, read marks.
//! - [`partner`]: the partner API, OAuth responses, the admin API and a person's app controls.
//! - [`reports`]: reports partners hand in, obligations, reconciliation.
//! - [`events`]: realtime events sent over the WebSocket.
//! - `redact`: `Debug` of the types that carry secrets, which never shows them.

pub mod accounts;
pub mod conversations;
pub mod events;
pub mod messages;
pub mod partner;
pub mod problem;
mod redact;
pub mod reports;
pub mod social;

pub use accounts::*;
pub use conversations::*;
pub use events::*;
pub use messages::*;
pub use partner::*;
pub use problem::{ErrorCode, FieldProblem, Problem};
pub use reports::*;
pub use social::*;
