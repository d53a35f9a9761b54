//! End-to-end tests: real servers on ephemeral ports with temporary data directories, driven
//! through the client SDK. One test binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod conversations;
mod events;
mod interop;
mod log;
mod messages;
mod oauth;
mod ops;
mod partner;
mod process;
mod recommendations;
mod reports;
mod social;

use clearline_api_types::ErrorCode;
use clearline_client::ClientError;

/// Asserts a call failed with `status` and problem `code`.
#[track_caller]
pub fn assert_problem<T: std::fmt::Debug>(result: Result<T, ClientError>, status: u16, code: ErrorCode) {
    match result {
        Err(ClientError::Api { status: s, problem }) => {
            assert_eq!((s, problem.code), (status, code), "problem: {problem:?}");
            assert_eq!(problem.status, status);
            assert_eq!(problem.type_uri, code.type_uri());
        }
        other => panic!("expected {status} {code:?}, got {other:?}"),
    }
}
