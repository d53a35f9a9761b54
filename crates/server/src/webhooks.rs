//! Tells apps about revoked grants: each notice is POSTed as JSON to the app's webhook URL,
//! retried with exponential backoff (1 s, 2 s, 4 s, … up to 6 attempts) until it gets a 2xx.
//! The body is signed with the server key: `Clearline-Signature` holds the base64url Ed25519
//! signature of the exact body bytes, `Clearline-Key` the base64url public key.
//! Notices live in memory: a restart drops undelivered ones (the app still learns of the
//! revocation from `invalid_token` on its next call).

use std::time::Duration;

use clearline_core::disclosure::RevocationNotice;
use clearline_core::signing::ServerKey;
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

/// Delivers notices until the feed closes.
pub async fn deliver(mut feed: UnboundedReceiver<RevocationNotice>, key: Option<ServerKey>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
    while let Some(notice) = feed.recv().await {
        tokio::spawn(deliver_one(client.clone(), notice, key.clone()));
    }
}

async fn deliver_one(client: reqwest::Client, n: RevocationNotice, key: Option<ServerKey>) {
    let body = GrantRevoked {
        r#type: "grant.revoked",
        app_id: n.app_id.to_string(),
        grant_id: n.grant_id.to_string(),
        sub: n.subject.as_str(),
        revoked_at: n.revoked_at.millis(),
    };
    // A plain struct of strings and numbers: serializing cannot fail.
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    for attempt in 0..ATTEMPTS {
        let mut req = client.post(n.webhook_url.as_str()).header("content-type", "application/json");
        if let Some(k) = &key {
            req = req.header("clearline-signature", k.sign(&bytes)).header("clearline-key", k.public_key());
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
