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
//! - [`csrf`]: CSRF tokens of server-rendered forms.
//! - [`partners`]: the operator's side: partners, agreements, apps and client secrets.
//! - [`oauth`]: the OAuth 2 authorization server: authorize, consent, tokens, revocation, introspection.
//! - [`partner_access`]: the one place deciding what an app may do, and the partner API's use cases.
//! - [`disclosure`]: readable-by, Connected apps, read policies, app blocks, access history.
//! - [`recommendations`]: recommendations, tracked links and clicks, daily reports.
//! - [`receipt`]: signed consent receipts (Kantara CR v1.1 fields, JWS).
//! - [`signing`]: the server's Ed25519 key (receipts, webhooks).
//! - [`scoped_id`]: app-scoped person ids.
//! - [`ratelimit`]: per-app and per-person limits on partner calls.
//! - [`throttle`]: password attempts per account and client address.
//! - [`transparency`]: the access log: salted commitments, the sequencer, tiles and proofs.
//! - [`realtime`]: [`Hub`], the in-process fan-out of events to live connections.

pub mod accounts;
pub mod app;
pub mod clock;
pub mod csrf;
pub mod disclosure;
pub mod error;
pub mod messaging;
pub mod oauth;
pub mod partner_access;
pub mod partners;
pub mod ratelimit;
pub mod realtime;
pub mod receipt;
pub mod recommendations;
pub mod reports;
pub mod scoped_id;
pub mod signing;
pub mod social;
pub mod throttle;
pub mod token;
pub mod transparency;

pub use accounts::{Principal, SessionView, SignedIn};
pub use app::{App, Settings};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::CoreError;
pub use realtime::{FeedEnd, Hub, Subscription};
pub use token::{AccessToken, ClientSecret, SessionToken};
