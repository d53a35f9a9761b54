//! A typed Rust client for Clearline's HTTP API, used by the CLI, the load generator and the
//! tests. Every call returns the wire types of `clearline-api-types`; errors carry the server's
//! RFC 9457 problem.
//!
//! # Layout
//! - [`Client`]: one method per API call (this file).
//! - [`partner`]: the partner API (with an access token), a person's app controls, the admin API.
//! - [`oauth`]: PKCE and answering the consent page as a person's browser would.
//! - [`events`]: [`EventStream`], the realtime WebSocket.

pub mod events;
pub mod oauth;
pub mod partner;

use clearline_api_types::*;
use reqwest::{RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use events::EventStream;
pub use reqwest::{Method, StatusCode as Status};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a problem.
    #[error("{status}: {}", problem.detail.as_deref().unwrap_or(&problem.title))]
    Api {
        /// The HTTP status.
        status: u16,
        /// The problem details.
        problem: Problem,
    },
    /// The server answered with an error that is not a problem document.
    #[error("unexpected {status} response: {body}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The body, cut to 200 bytes.
        body: String,
    },
    /// The request could not be sent or the response read.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The WebSocket failed.
    #[error("websocket: {0}")]
    WebSocket(String),
}

impl ClientError {
    /// The problem's stable code, if the server sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { problem, .. } => Some(problem.code),
            _ => None,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Unexpected { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Result of client calls.
pub type Result<T> = std::result::Result<T, ClientError>;

/// A client of one server, optionally signed in. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("clearline-client/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(1024)
            .build()
            .unwrap_or_default();
        Self { http, base: base_url.trim_end_matches('/').to_owned(), token: None }
    }

    /// The same client acting with `token`.
    pub fn with_token(&self, token: &str) -> Self {
        Self { token: Some(token.to_owned()), ..self.clone() }
    }

    /// The session token in use, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `path` with the token attached, for calls this SDK does not wrap.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub(crate) async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<(StatusCode, T)> {
        let res = check(req.send().await?).await?;
        let status = res.status();
        Ok((status, res.json().await?))
    }

    pub(crate) async fn send_empty(&self, req: RequestBuilder) -> Result<()> {
        check(req.send().await?).await.map(drop)
    }

    pub(crate) async fn send_for_text(&self, req: RequestBuilder) -> Result<String> {
        Ok(check(req.send().await?).await?.text().await?)
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        Ok(self.send(self.request(Method::GET, path)).await?.1)
    }

    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(StatusCode, T)> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    // Accounts and sessions.

    /// POST /v1/accounts.
    pub async fn sign_up(&self, handle: &str, display_name: &str, password: &str) -> Result<SessionCreated> {
        let body =
            SignUpRequest { handle: handle.into(), display_name: display_name.into(), password: password.into() };
        Ok(self.post("/v1/accounts", &body).await?.1)
    }

    /// POST /v1/sessions.
    pub async fn sign_in(&self, handle: &str, password: &str) -> Result<SessionCreated> {
        let body = SignInRequest { handle: handle.into(), password: password.into() };
        Ok(self.post("/v1/sessions", &body).await?.1)
    }

    /// GET /v1/sessions.
    pub async fn sessions(&self) -> Result<Vec<SessionResponse>> {
        self.get("/v1/sessions").await
    }

    /// DELETE /v1/sessions/{id} (`current` signs out).
    pub async fn revoke_session(&self, id: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/sessions/{id}"))).await
    }

    /// GET /v1/me.
    pub async fn me(&self) -> Result<UserResponse> {
        self.get("/v1/me").await
    }

    /// GET /v1/users?prefix=.
    pub async fn search(&self, prefix: &str) -> Result<Vec<UserResponse>> {
        Ok(self.send(self.request(Method::GET, "/v1/users").query(&[("prefix", prefix)])).await?.1)
    }

    // Friends and blocks.

    /// GET /v1/friends.
    pub async fn friends(&self) -> Result<Vec<FriendResponse>> {
        self.get("/v1/friends").await
    }

    /// GET /v1/friend-requests.
    pub async fn friend_requests(&self) -> Result<FriendRequestsResponse> {
        self.get("/v1/friend-requests").await
    }

    /// POST /v1/friend-requests.
    pub async fn send_friend_request(&self, user_id: &str) -> Result<FriendRequestStatus> {
        let body = CreateFriendRequest { user_id: user_id.into() };
        let (_, res): (_, FriendRequestResult) = self.post("/v1/friend-requests", &body).await?;
        Ok(res.status)
    }

    /// POST /v1/friend-requests/{user_id}/accept.
    pub async fn accept_friend_request(&self, user_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::POST, &format!("/v1/friend-requests/{user_id}/accept"))).await
    }

    /// POST /v1/friend-requests/{user_id}/decline.
    pub async fn decline_friend_request(&self, user_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::POST, &format!("/v1/friend-requests/{user_id}/decline"))).await
    }

    /// DELETE /v1/friend-requests/{user_id}.
    pub async fn cancel_friend_request(&self, user_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/friend-requests/{user_id}"))).await
    }

    /// DELETE /v1/friends/{user_id}.
    pub async fn remove_friend(&self, user_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/friends/{user_id}"))).await
    }

    /// PUT /v1/blocks/{user_id}.
    pub async fn block(&self, user_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::PUT, &format!("/v1/blocks/{user_id}"))).await
    }

    /// DELETE /v1/blocks/{user_id}.
    pub async fn unblock(&self, user_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/blocks/{user_id}"))).await
    }

    /// GET /v1/blocks.
    pub async fn blocks(&self) -> Result<Vec<UserResponse>> {
        self.get("/v1/blocks").await
    }

    // Conversations.

    /// GET /v1/conversations.
    pub async fn inbox(&self, before: Option<&str>, limit: Option<u32>) -> Result<InboxPage> {
        let q = InboxQuery { before: before.map(str::to_owned), limit };
        Ok(self.send(self.request(Method::GET, "/v1/conversations").query(&q)).await?.1)
    }

    /// POST /v1/conversations (direct); `true` if it was created by this call.
    pub async fn open_direct(&self, user_id: &str) -> Result<(ConversationResponse, bool)> {
        let body = CreateConversationRequest::Direct { user_id: user_id.into() };
        let (status, conv) = self.post("/v1/conversations", &body).await?;
        Ok((conv, status == StatusCode::CREATED))
    }

    /// POST /v1/conversations (group).
    pub async fn create_group(&self, title: &str, member_ids: &[&str]) -> Result<ConversationResponse> {
        let body = CreateConversationRequest::Group {
            title: title.into(),
            member_ids: member_ids.iter().map(|s| (*s).to_owned()).collect(),
        };
        Ok(self.post("/v1/conversations", &body).await?.1)
    }

    /// GET /v1/conversations/{id}.
    pub async fn conversation(&self, id: &str) -> Result<ConversationResponse> {
        self.get(&format!("/v1/conversations/{id}")).await
    }

    /// POST /v1/conversations/{id}/members.
    pub async fn add_members(&self, id: &str, user_ids: &[&str]) -> Result<ConversationResponse> {
        let body = AddMembersRequest { user_ids: user_ids.iter().map(|s| (*s).to_owned()).collect() };
        Ok(self.post(&format!("/v1/conversations/{id}/members"), &body).await?.1)
    }

    /// DELETE /v1/conversations/{id}/members/{user_id}.
    pub async fn remove_member(&self, id: &str, user_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/conversations/{id}/members/{user_id}"))).await
    }

    // Messages.

    /// GET /v1/conversations/{id}/messages.
    pub async fn messages(&self, id: &str, query: &MessagePageQuery) -> Result<MessagePage> {
        let req = self.request(Method::GET, &format!("/v1/conversations/{id}/messages")).query(query);
        Ok(self.send(req).await?.1)
    }

    /// POST /v1/conversations/{id}/messages; `true` if this call created the message.
    pub async fn send_message(
        &self,
        id: &str,
        body: &SendMessageRequest,
        idempotency_key: Option<&str>,
    ) -> Result<(MessageResponse, bool)> {
        let mut req = self.request(Method::POST, &format!("/v1/conversations/{id}/messages")).json(body);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let (status, msg) = self.send(req).await?;
        Ok((msg, status == StatusCode::CREATED))
    }

    /// Sends a `text/plain` message.
    pub async fn send_text(&self, id: &str, text: &str, idempotency_key: Option<&str>) -> Result<MessageResponse> {
        let body = SendMessageRequest { body: Some(text.to_owned()), ..Default::default() };
        Ok(self.send_message(id, &body, idempotency_key).await?.0)
    }

    /// DELETE /v1/conversations/{id}/messages/{message_id}; returns the tombstone.
    pub async fn delete_message(&self, id: &str, message_id: &str) -> Result<MessageResponse> {
        let req = self.request(Method::DELETE, &format!("/v1/conversations/{id}/messages/{message_id}"));
        Ok(self.send(req).await?.1)
    }

    /// POST /v1/conversations/{id}/read.
    pub async fn mark_read(&self, id: &str, up_to: &str) -> Result<()> {
        let body = MarkReadRequest { up_to: up_to.into() };
        self.send_empty(self.request(Method::POST, &format!("/v1/conversations/{id}/read")).json(&body)).await
    }

    /// GET /v1/events as a WebSocket; `since` replays what came after that number first.
    pub async fn events(&self, since: Option<i64>) -> Result<EventStream> {
        EventStream::connect(&self.base, self.token.as_deref(), since).await
    }
}

/// Turns a non-success response into the error it carries.
async fn check(res: reqwest::Response) -> Result<reqwest::Response> {
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let bytes = res.bytes().await?;
    match serde_json::from_slice::<Problem>(&bytes) {
        Ok(problem) => Err(ClientError::Api { status: status.as_u16(), problem }),
        Err(_) => Err(ClientError::Unexpected {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
        }),
    }
}
