//! Clearline's services: every business and authorization rule of the messaging core, written
//! once over the [`clearline_store::Store`] traits. No HTTP, no SQL.
//!
//! # Layout
//! - [`app`]: [`App`], the bundle of store, clock, realtime hub and settings every use case takes.
//! - [`error`]: [`CoreError`], the typed outcome of every refused call.
//! - [`clock`]: [`Clock`], injected time ([`SystemClock`], [`ManualClock`] for tests).
//! - [`token`]: session tokens: generation, parsing, hashing, constant-time checks.
//! - [`accounts`]: sign-up, sign-in, sessions, authentication ([`Principal`]).
//! - [`social`]: people search, friend requests, friends, blocks.
//! - [`messaging`]: conversations, messages, read marks, deletion, event replay.
//! - [`realtime`]: [`Hub`], the in-process fan-out of events to live connections.

pub mod accounts;
pub mod app;
pub mod clock;
pub mod error;
pub mod messaging;
pub mod realtime;
pub mod social;
pub mod token;

pub use accounts::{Principal, SessionView, SignedIn};
pub use app::{App, Settings};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::CoreError;
pub use realtime::{Hub, Subscription};
pub use token::SessionToken;
