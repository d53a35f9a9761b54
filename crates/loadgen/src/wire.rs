//! A lean HTTP/1.1 client for the hot loops (sends and page reads): one hyper connection per
//! worker, kept alive, one request at a time. The client SDK (reqwest) costs 25–45 µs of CPU per
//! request on this machine, which the load generator takes from the server's two cores; a bare
//! connection costs a fraction of that, so a benchmark measures the server rather than the
//! client. Setting the world up still goes through the SDK.

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

    /// Sends one request as `token` and reads the answer whole (so the connection stays
    /// usable); its body, or an error unless its status is one of `ok`.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        json: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
        ok: &[StatusCode],
    ) -> anyhow::Result<Bytes> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, &self.host)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if json.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(key) = idempotency_key {
            req = req.header("idempotency-key", key);
        }
        self.send.ready().await?;
        let res = self.send.send_request(req.body(Full::new(json.map(Bytes::from).unwrap_or_default()))?).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        anyhow::ensure!(ok.contains(&status), "{method} {path} answered {status}: {}", excerpt(&body));
        Ok(body)
    }

    /// Posts a `text/plain` message as `token` to `conversation`; fails unless the server
    /// answers 201 Created (or 200 for a repeated idempotency key).
    pub async fn send_text(
        &mut self,
        token: &str,
        conversation: &str,
        text: &str,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&SendMessageRequest { body: Some(text.to_owned()), ..Default::default() })?;
        let path = format!("/v1/conversations/{conversation}/messages");
        let ok = [StatusCode::CREATED, StatusCode::OK];
        self.call(Method::POST, &path, token, Some(body), idempotency_key, &ok).await?;
        Ok(())
    }

    /// Sends a `text/plain` message as `token` to `conversation` and deletes it again (the
    /// person erasing what they just wrote); fails unless both succeed.
    pub async fn send_and_delete(&mut self, token: &str, conversation: &str, text: &str) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&SendMessageRequest { body: Some(text.to_owned()), ..Default::default() })?;
        let path = format!("/v1/conversations/{conversation}/messages");
        let sent = self.call(Method::POST, &path, token, Some(body), None, &[StatusCode::CREATED]).await?;
        let id = serde_json::from_slice::<serde_json::Value>(&sent)?["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no message id in {}", excerpt(&sent)))?
            .to_owned();
        self.call(Method::DELETE, &format!("{path}/{id}"), token, None, None, &[StatusCode::OK]).await?;
        Ok(())
    }

    /// Gets a page of messages (`path` with its query) as `token`; fails unless the server
    /// answers 200. Returns how many messages it holds and, if there are more, the id of its
    /// last one (see [`page_summary`]).
    pub async fn page(&mut self, token: &str, path: &str) -> anyhow::Result<(u64, Option<String>)> {
        page_summary(&self.call(Method::GET, path, token, None, None, &[StatusCode::OK]).await?)
    }
}

/// The start of an answer, for an error message.
fn excerpt(body: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&body[..body.len().min(200)])
}

/// How many messages a page of them holds (`{"items":[…],…,"has_more":…}`, from either API)
/// and, when `has_more` is true, the id of its last one; found by scanning for the start of
/// each item (`{"id":"`) rather than by parsing the page, so reading a page costs the load
/// generator a few microseconds. The scan cannot be fooled by message text: inside a JSON
/// string every `"` is escaped, so that sequence only ever starts an object whose first
/// field is `id`, and of the objects on a page only messages start with `id`.
pub fn page_summary(body: &[u8]) -> anyhow::Result<(u64, Option<String>)> {
    const ITEM: &[u8] = b"{\"id\":\"";
    if !body.starts_with(b"{\"items\":[") {
        anyhow::bail!("not a page: {}", excerpt(body));
    }
    let (mut count, mut last) = (0u64, None);
    for at in memchr::memmem::find_iter(body, ITEM) {
        count += 1;
        last = Some(at + ITEM.len());
    }
    let has_more = memchr::memmem::rfind(body, b"\"has_more\":true").is_some();
    let next = match last {
        Some(start) if has_more => {
            let len = memchr::memchr(b'"', &body[start..]).ok_or_else(|| anyhow::anyhow!("unterminated id"))?;
            Some(std::str::from_utf8(&body[start..start + len])?.to_owned())
        }
        _ => None,
    };
    Ok((count, next))
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

    /// Runs `f` on an idle connection, or a new one if none is idle; the connection goes back
    /// to the pool only if `f` succeeds (a failed request may leave it unusable).
    pub async fn with<T>(&self, f: impl AsyncFnOnce(&mut Conn) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let idle = self.idle.borrow_mut().pop();
        let mut conn = match idle {
            Some(c) => c,
            None => Conn::open(&self.url).await?,
        };
        let value = f(&mut conn).await?;
        self.idle.borrow_mut().push(conn);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use clearline_api_types::{MessagePage, MessageResponse, PartnerMessage, PartnerMessagePage};

    use super::page_summary;

    fn message(id: u32, body: &str) -> MessageResponse {
        MessageResponse {
            id: format!("msg_{id}"),
            conversation_id: "cnv_1".into(),
            sender_id: "usr_1".into(),
            content_type: Some("text/plain".into()),
            body: Some(body.into()),
            body_base64: None,
            created_at: 1,
            deleted_at: None,
            via_app_id: None,
            card: None,
        }
    }

    #[test]
    fn a_page_summary_counts_messages_not_text_that_looks_like_them() {
        let tricky = r#"{"id":"msg_999"} and {"items":[ and "has_more":true"#;
        let items = vec![message(7, tricky), message(6, "plain"), message(5, tricky)];
        let page = serde_json::to_vec(&MessagePage { items, has_more: true }).unwrap();
        assert_eq!(page_summary(&page).unwrap(), (3, Some("msg_5".into())));
        let last = serde_json::to_vec(&MessagePage { items: vec![message(4, tricky)], has_more: false }).unwrap();
        assert_eq!(page_summary(&last).unwrap(), (1, None));
        let empty = serde_json::to_vec(&MessagePage { items: vec![], has_more: false }).unwrap();
        assert_eq!(page_summary(&empty).unwrap(), (0, None));
    }

    #[test]
    fn a_page_summary_reads_partner_pages_and_refuses_other_answers() {
        let item = |id: u32| PartnerMessage {
            id: format!("msg_{id}"),
            thread_id: "cnv_1".into(),
            sender: "pu_aaaaaaaaaaaaaaaaaaaaaa".into(),
            from_me: true,
            via_this_app: false,
            created_at: 1,
            text: Some(r#"{"id":"msg_1"}"#.into()),
            content_type: None,
            card: None,
            redacted: false,
            deleted: false,
        };
        let page = PartnerMessagePage { items: vec![item(9), item(8)], has_more: true };
        assert_eq!(page_summary(&serde_json::to_vec(&page).unwrap()).unwrap(), (2, Some("msg_8".into())));
        assert!(page_summary(br#"{"type":"https://clearline.example/problems/not-found"}"#).is_err());
    }
}
