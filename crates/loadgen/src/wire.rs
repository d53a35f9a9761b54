//! A lean HTTP/1.1 client for the hot loops: one hyper connection per worker, kept alive, one
//! request at a time. The client SDK (reqwest) costs 25–45 µs of CPU per request on this
//! machine, which the load generator takes from the server's two cores; a bare connection costs
//! a fraction of that, so a send benchmark measures the server rather than the client.
//! Setting the world up still goes through the SDK.

use std::cell::RefCell;

use bytes::Bytes;
use clearline_api_types::SendMessageRequest;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;

/// The `HOST:PORT` of a base URL `http://HOST:PORT` (the load generator speaks plain HTTP).
pub fn host(url: &str) -> anyhow::Result<&str> {
    url.strip_prefix("http://")
        .map(|h| h.trim_end_matches('/'))
        .ok_or_else(|| anyhow::anyhow!("the load generator speaks plain http://, not {url}"))
}

/// One keep-alive connection to the server.
pub struct Conn {
    send: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    /// Connects to `url` (`http://HOST:PORT`).
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let host = host(url)?.to_owned();
        let stream = tokio::net::TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        let (send, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                eprintln!("connection failed: {e}");
            }
        });
        Ok(Self { send, host })
    }

    /// Posts a `text/plain` message as `token` to `conversation`; fails unless the server
    /// answers 201 Created (or 200 for a repeated idempotency key). The answer is read whole
    /// (the connection stays usable) and dropped.
    pub async fn send_text(
        &mut self,
        token: &str,
        conversation: &str,
        text: &str,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&SendMessageRequest { body: Some(text.to_owned()), ..Default::default() })?;
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(format!("/v1/conversations/{conversation}/messages"))
            .header(header::HOST, &self.host)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = idempotency_key {
            req = req.header("idempotency-key", key);
        }
        self.send.ready().await?;
        let res = self.send.send_request(req.body(Full::new(Bytes::from(body)))?).await?;
        let status = res.status();
        let answer = res.into_body().collect().await?.to_bytes();
        if status != StatusCode::CREATED && status != StatusCode::OK {
            anyhow::bail!("send answered {status}: {}", String::from_utf8_lossy(&answer[..answer.len().min(200)]));
        }
        Ok(())
    }
}

/// Connections to one server, opened as needed and reused; for a single-threaded runtime.
pub struct Pool {
    url: String,
    idle: RefCell<Vec<Conn>>,
}

impl Pool {
    /// An empty pool of connections to `url`.
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), idle: RefCell::new(Vec::new()) }
    }

    /// [`Conn::send_text`] on an idle connection, or a new one if none is idle.
    pub async fn send_text(
        &self,
        token: &str,
        conversation: &str,
        text: &str,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<()> {
        let idle = self.idle.borrow_mut().pop();
        let mut conn = match idle {
            Some(c) => c,
            None => Conn::open(&self.url).await?,
        };
        conn.send_text(token, conversation, text, idempotency_key).await?;
        self.idle.borrow_mut().push(conn);
        Ok(())
    }
}
