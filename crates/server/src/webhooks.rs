//! Tells apps about revoked grants: each notice is POSTed as JSON to the app's webhook URL,
//! retried with exponential backoff (1 s, 2 s, 4 s, … up to 6 attempts) until it gets a 2xx.
//!
//! Signed as the Standard Webhooks specification's asymmetric scheme: `webhook-id` (the same
//! on every retry of one notice), `webhook-timestamp` (Unix seconds of this attempt) and
//! `webhook-signature: v1a,<base64 Ed25519 signature>` of `{id}.{timestamp}.{body}` under the
//! server key, whose public half is `whpk_<base64>` (the key in every consent receipt).
//! Receivers reject a timestamp more than 5 minutes away and an id they have seen (replays).
//! `clearline-key` also names the key, base64url, for receivers that pin it from receipts.
//!
//! Server-side request forgery: redirects are never followed, and a notice is sent only to
//! public addresses ([`clearline_domain::webhook_target_allowed`]): an IP literal is checked
//! before sending, a name on every delivery through the resolver, which connects only to the
//! addresses it checked (no DNS rebinding in between). Operators of a single private network
//! may allow private targets (`webhooks.allow_private_targets`).
//!
//! Notices live in memory: a restart drops undelivered ones (the app still learns of the
//! revocation from `invalid_token` on its next call).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clearline_core::disclosure::RevocationNotice;
use clearline_core::signing::ServerKey;
use clearline_domain::webhook_target_allowed;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;

/// The most delivery attempts per notice.
const ATTEMPTS: u32 = 6;

/// The body POSTed to the webhook.
#[derive(Debug, Serialize)]
struct GrantRevoked<'a> {
    /// Always `grant.revoked`.
    r#type: &'static str,
    /// `app_…`.
    app_id: String,
    /// `grt_…`.
    grant_id: String,
    /// The person, `pu_…`: purge what you hold about them.
    sub: &'a str,
    /// ms since the epoch.
    revoked_at: i64,
}

/// Resolves webhook hosts to their public addresses only.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| webhook_target_allowed(a.ip(), allow_private)).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client notices go out on: no redirects, public addresses only, 10 s per attempt.
fn client(allow_private: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(PublicOnly { allow_private }))
        .build()
        .unwrap_or_default()
}

/// The Standard Webhooks signature header of `body` sent as message `id` at `timestamp`.
pub fn signature(key: &ServerKey, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!("v1a,{}", STANDARD.encode(key.sign_raw(&signed)))
}

/// The server key's public half in Standard Webhooks form, `whpk_<base64>`.
pub fn public_key(key: &ServerKey) -> String {
    format!("whpk_{}", STANDARD.encode(key.public_key_bytes()))
}

/// Delivers notices until the feed closes.
pub async fn deliver(mut feed: UnboundedReceiver<RevocationNotice>, key: Option<ServerKey>, allow_private: bool) {
    let client = client(allow_private);
    while let Some(notice) = feed.recv().await {
        tokio::spawn(deliver_one(client.clone(), notice, key.clone(), allow_private));
    }
}

async fn deliver_one(client: reqwest::Client, n: RevocationNotice, key: Option<ServerKey>, allow_private: bool) {
    if !n.webhook_url.host_allowed(allow_private) {
        tracing::warn!(app = %n.app_id, "webhook target is not a public address; not sent");
        return;
    }
    let body = GrantRevoked {
        r#type: "grant.revoked",
        app_id: n.app_id.to_string(),
        grant_id: n.grant_id.to_string(),
        sub: n.subject.as_str(),
        revoked_at: n.revoked_at.millis(),
    };
    // A plain struct of strings and numbers: serializing cannot fail.
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let random = clearline_core::token::random_key();
    let id = format!("msg_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&random[..16]));
    for attempt in 0..ATTEMPTS {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let mut req = client
            .post(n.webhook_url.as_str())
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(k) = &key {
            req = req
                .header("webhook-signature", signature(k, &id, timestamp, &bytes))
                .header("clearline-key", k.public_key());
        }
        match req.body(bytes.clone()).send().await {
            Ok(res) if res.status().is_success() => return,
            Ok(res) => tracing::warn!(app = %n.app_id, status = %res.status(), attempt, "webhook refused"),
            Err(e) => tracing::warn!(app = %n.app_id, error = %e, attempt, "webhook failed"),
        }
        tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
    }
    tracing::error!(app = %n.app_id, grant = %n.grant_id, "webhook given up");
}

#[cfg(test)]
mod tests {
    use reqwest::dns::Resolve;

    use super::*;

    #[tokio::test]
    async fn names_that_resolve_only_to_private_addresses_are_not_connected_to() {
        let name = |n: &str| n.parse::<reqwest::dns::Name>().expect("a host name");
        assert!(PublicOnly { allow_private: false }.resolve(name("localhost")).await.is_err());
        let allowed = PublicOnly { allow_private: true }.resolve(name("localhost")).await.expect("resolves");
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn the_signature_covers_id_timestamp_and_body() {
        use ed25519_dalek::{Signature, Verifier, VerifyingKey};
        let key = ServerKey::from_seed([3; 32]);
        let header = signature(&key, "msg_1", 1_700_000_000, b"{}");
        let raw: [u8; 64] = STANDARD.decode(header.strip_prefix("v1a,").unwrap()).unwrap().try_into().unwrap();
        let public = public_key(&key);
        let pk: [u8; 32] = STANDARD.decode(public.strip_prefix("whpk_").unwrap()).unwrap().try_into().unwrap();
        let vk = VerifyingKey::from_bytes(&pk).unwrap();
        assert!(vk.verify(b"msg_1.1700000000.{}", &Signature::from_bytes(&raw)).is_ok());
        assert!(vk.verify(b"msg_2.1700000000.{}", &Signature::from_bytes(&raw)).is_err());
    }
}
