//! Clearline's storage: one trait per aggregate, written in the vocabulary of the domain, and
//! their SQLite implementation (embedded default). Services call these traits and never see SQL,
//! transactions or driver types. Each trait method is one unit of work: one transaction.
//!
//! # Layout
//! - [`error`]: [`StoreError`], the one error type of this crate.
//! - [`records`]: inputs and outputs of the traits that are not domain types.
//! - [`partner`]: the partner platform's traits and records (partners, grants, access).
//! - [`traits`]: the per-aggregate traits and [`Store`], the bundle the services take.
//! - [`sqlite`]: the SQLite implementation: a single writer thread that commits concurrent
//!   writes in one transaction (group commit), a pool of reader threads, and migrations.

pub mod error;
pub mod partner;
pub mod records;
pub mod sqlite;
pub mod traits;

pub use error::StoreError;
pub use partner::*;
pub use records::*;
pub use sqlite::{SqliteOptions, SqliteStore, Synchronous, WriteStats};
pub use traits::{AccountStore, ConversationStore, EventStore, MessageStore, SocialStore, Store};

/// The store the server runs on.
pub type DefaultStore = SqliteStore;
