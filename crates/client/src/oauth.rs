//! The authorization code flow from a person's side, for tools and tests that act as the
//! person's browser: PKCE values, and answering the consent page with a session token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{ClientError, Result};

/// A fresh PKCE verifier and its S256 challenge (RFC 7636).
pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The hidden fields of a server-rendered form, in order.
pub fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.strip_prefix(" value=\"")?.split('"').next()?;
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

/// Loads the consent page at `authorize_url` as the person holding `session` and answers it,
/// ticking `ticked` scopes; returns where the server redirects (`Location`).
pub async fn answer_consent(
    base: &str,
    session: &str,
    authorize_url: &str,
    ticked: &[&str],
    allow: bool,
) -> Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let page = http.get(authorize_url).bearer_auth(session).send().await?;
    let status = page.status().as_u16();
    let body = page.text().await?;
    if status != 200 {
        return Err(ClientError::Unexpected { status, body: body.chars().take(200).collect() });
    }
    let mut form = hidden_fields(&body);
    form.extend(ticked.iter().map(|s| (format!("grant_{s}"), "on".to_owned())));
    form.push(("decision".to_owned(), if allow { "allow" } else { "deny" }.to_owned()));
    let res = http
        .post(format!("{}/oauth/authorize", base.trim_end_matches('/')))
        .bearer_auth(session)
        .form(&form)
        .send()
        .await?;
    let status = res.status().as_u16();
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or(ClientError::Unexpected { status, body: "no redirect".to_owned() })
}

/// The value of query parameter `name` in a redirect `location`.
pub fn query_param(location: &str, name: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    let url = reqwest::Url::parse(&format!("http://x/?{query}")).ok()?;
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
