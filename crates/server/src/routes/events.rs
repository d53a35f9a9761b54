//! `GET /v1/events`: the realtime WebSocket. Each text frame is one [`EventEnvelope`] of the
//! signed-in person's stream. With `since=N` the server first replays every event after N
//! from the store, then streams live ones; a client that reconnects with the last `seq` it
//! saw gets everything it missed and nothing twice.
//!
//! Live events come from the in-process hub. If one arrives ahead of the next expected number
//! (another write committed first but was announced later), the gap is filled from the store
//! before it is sent. A connection that falls too far behind is closed with code 4000; the
//! client reconnects with `since`. A connection whose session is revoked, signed out or expired
//! is closed with code 4001 and must not reconnect with that token: at once when the session
//! ends on this node, and within the session re-check period otherwise.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use clearline_api_types::{CLOSE_RESUME, CLOSE_SESSION_ENDED, EventEnvelope, EventsQuery, Problem};
use clearline_core::messaging::MAX_REPLAY;
use clearline_core::{FeedEnd, Principal, SessionToken};
use clearline_domain::{Event, EventSeq, UserId};

use crate::error::ApiError;
use crate::extract::{ApiQuery, authenticate, bearer};
use crate::state::AppState;

/// How often an idle connection is pinged.
const PING_EVERY: Duration = Duration::from_secs(30);

/// GET /v1/events: upgrade to a WebSocket carrying my events.
#[utoipa::path(get, path = "/v1/events", tag = "events", security(("session" = [])), params(EventsQuery),
    responses((status = 101, description = "WebSocket of EventEnvelope text frames", body = EventEnvelope),
              (status = 400, body = Problem), (status = 401, body = Problem),
              (status = 429, body = Problem, description = "too many open WebSockets or requests for this person; see Retry-After")))]
pub async fn events(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let raw = bearer(&headers).or(q.access_token);
    let raw = raw.as_deref();
    let me = authenticate(&s, raw).await?;
    // Kept to re-check the session for as long as the connection lives.
    let token: SessionToken = raw.and_then(|t| t.parse().ok()).ok_or(clearline_core::CoreError::Unauthenticated)?;
    let upgrade = upgrade.map_err(|_| ApiError::Malformed("this endpoint needs a WebSocket upgrade".to_owned()))?;
    if !s.app.hub().has_room(me.user_id) {
        return Err(clearline_core::CoreError::RateLimited { retry_after_secs: 1 }.into());
    }
    // Fix the starting point before the handshake completes: anything committed after the
    // client sees the upgrade is numbered above it and will be replayed. A `since` beyond the
    // newest event (a client restored from a backup, say) starts from now.
    let newest = s.app.last_event_seq(me.user_id).await?;
    let start = q.since.map_or(newest, |n| EventSeq(n.max(0)).min(newest));
    Ok(upgrade
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| connection(s, me, token, start, socket)))
}

enum Stop {
    ClientGone,
    FellBehind,
    SessionEnded,
    Full,
    Failed,
}

async fn send(socket: &mut WebSocket, event: &Event) -> Result<(), Stop> {
    let text = serde_json::to_string(&EventEnvelope::from(event)).map_err(|_| Stop::Failed)?;
    socket.send(Message::Text(text.into())).await.map_err(|_| Stop::ClientGone)
}

/// Sends every stored event after `*last`, advancing it.
async fn replay(s: &AppState, user: UserId, last: &mut EventSeq, socket: &mut WebSocket) -> Result<(), Stop> {
    loop {
        let batch = s.app.events_since(user, *last, MAX_REPLAY).await.map_err(|_| Stop::Failed)?;
        for event in &batch {
            send(socket, event).await?;
            *last = event.seq;
        }
        if batch.len() < MAX_REPLAY as usize {
            return Ok(());
        }
    }
}

async fn connection(s: AppState, me: Principal, token: SessionToken, start: EventSeq, mut socket: WebSocket) {
    s.metrics.websockets.inc();
    // Subscribe before reading the store, so no event falls between the two.
    let stop = match s.app.hub().subscribe(me.user_id, me.session_id) {
        Some(mut live) => run(&s, me.user_id, &token, start, &mut live, &mut socket).await,
        // Another connection took the last place after the upgrade was accepted.
        None => Err(Stop::Full),
    };
    if let Err(stop) = stop {
        let (code, reason) = match stop {
            Stop::FellBehind => (CLOSE_RESUME, "fell behind; reconnect with since"),
            Stop::SessionEnded => (CLOSE_SESSION_ENDED, "session ended; sign in again"),
            Stop::Full => (1013, "too many open connections; try again later"),
            Stop::Failed => (1011, "server error"),
            Stop::ClientGone => (1000, ""),
        };
        let frame = CloseFrame { code, reason: reason.into() };
        if socket.send(Message::Close(Some(frame))).await.is_ok() {
            // The closing handshake (RFC 6455 §7.1.1): wait briefly for the client's Close before
            // dropping the connection, so it reads ours instead of a reset.
            let answered = async {
                while let Some(Ok(message)) = socket.recv().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(1), answered).await;
        }
    }
    s.metrics.websockets.dec();
}

async fn run(
    s: &AppState,
    user: UserId,
    token: &SessionToken,
    start: EventSeq,
    live: &mut clearline_core::Subscription,
    socket: &mut WebSocket,
) -> Result<(), Stop> {
    let mut last = start;
    // The session may have ended between the handshake and the subscription.
    if !Box::pin(s.app.session_alive_now(token)).await.map_err(|_| Stop::Failed)? {
        return Err(Stop::SessionEnded);
    }
    // Replays are boxed: their store reads would otherwise widen every idle connection's task.
    Box::pin(replay(s, user, &mut last, socket)).await?;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    // A session revoked elsewhere (another node, `clearline admin`) or expired is noticed here.
    let recheck_every = Duration::from_millis(u64::try_from(s.app.session_recheck_ms()).unwrap_or(10_000));
    let mut recheck = tokio::time::interval(recheck_every);
    recheck.tick().await;
    loop {
        tokio::select! {
            event = live.next() => {
                let event = event.map_err(|end| match end {
                    FeedEnd::FellBehind => Stop::FellBehind,
                    FeedEnd::SessionEnded => Stop::SessionEnded,
                })?;
                if event.seq.0 > last.0 + 1 {
                    Box::pin(replay(s, user, &mut last, socket)).await?;
                }
                if event.seq.0 == last.0 + 1 {
                    send(socket, &event).await?;
                    last = event.seq;
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                socket.send(Message::Ping(Default::default())).await.map_err(|_| Stop::ClientGone)?;
            }
            _ = recheck.tick() => {
                if !Box::pin(s.app.session_alive(token)).await.map_err(|_| Stop::Failed)? {
                    return Err(Stop::SessionEnded);
                }
            }
        }
    }
}
