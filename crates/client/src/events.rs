//! The realtime WebSocket as a stream of [`EventEnvelope`]s.

use clearline_api_types::EventEnvelope;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{ClientError, Result};

/// An open `/v1/events` connection.
pub struct EventStream {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    close_code: Option<u16>,
}

impl EventStream {
    pub(crate) async fn connect(base: &str, token: Option<&str>, since: Option<i64>) -> Result<Self> {
        let ws_base = base.replacen("http", "ws", 1);
        let url = match since {
            Some(n) => format!("{ws_base}/v1/events?since={n}"),
            None => format!("{ws_base}/v1/events"),
        };
        let mut req = url.into_client_request().map_err(|e| ClientError::WebSocket(e.to_string()))?;
        if let Some(t) = token {
            let value = format!("Bearer {t}").parse().map_err(|_| ClientError::WebSocket("bad token".into()))?;
            req.headers_mut().insert("authorization", value);
        }
        // Nagle off: an event or a pong should not wait for the server's delayed ACK.
        let (socket, _) = tokio_tungstenite::connect_async_with_config(req, None, true).await.map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(res) => ClientError::Unexpected {
                status: res.status().as_u16(),
                body: String::from_utf8_lossy(res.body().as_deref().unwrap_or_default()).into_owned(),
            },
            other => ClientError::WebSocket(other.to_string()),
        })?;
        Ok(Self { socket, close_code: None })
    }

    /// The next event; `None` when the server closed the connection.
    pub async fn next(&mut self) -> Option<Result<EventEnvelope>> {
        loop {
            match self.socket.next().await? {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(&text).map_err(|e| ClientError::WebSocket(e.to_string())));
                }
                Ok(Message::Close(frame)) => {
                    self.close_code = frame.map(|f| u16::from(f.code));
                    return None;
                }
                Ok(_) => continue,
                Err(e) => return Some(Err(ClientError::WebSocket(e.to_string()))),
            }
        }
    }

    /// The close code the server sent, once closed: [`clearline_api_types::CLOSE_RESUME`] (fell
    /// behind, resume with `since`) or [`clearline_api_types::CLOSE_SESSION_ENDED`] (sign in again).
    pub fn close_code(&self) -> Option<u16> {
        self.close_code
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Sends a ping (keeps the connection busy in tests of idle connections).
    pub async fn ping(&mut self) -> Result<()> {
        self.socket.send(Message::Ping(Default::default())).await.map_err(|e| ClientError::WebSocket(e.to_string()))
    }
}
