//! The OAuth flow driven by a standard client (the `oauth2` crate): PKCE, state, the consent
//! page, code exchange, refresh rotation and reuse detection, revocation and introspection, and
//! the refusals of each step.

use clearline_client::oauth::query_param;
use clearline_testkit::TestServer;
use clearline_testkit::partner::{REDIRECT_URI, TestApp, no_redirects, pkce};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, IntrospectionUrl,
    PkceCodeChallenge, RedirectUrl, RevocationUrl, Scope, TokenIntrospectionResponse, TokenResponse, TokenUrl,
};

type Oauth = oauth2::basic::BasicClient<EndpointSet, EndpointNotSet, EndpointSet, EndpointSet, EndpointSet>;

fn client(ts: &TestServer, app: &TestApp) -> Oauth {
    BasicClient::new(ClientId::new(app.app.client_id.clone()))
        .set_client_secret(ClientSecret::new(app.app.client_secret.clone().unwrap()))
        .set_auth_uri(AuthUrl::new(format!("{}/oauth/authorize", ts.url)).unwrap())
        .set_token_uri(TokenUrl::new(format!("{}/oauth/token", ts.url)).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap())
        .set_revocation_url(RevocationUrl::new(format!("{}/oauth/revoke", ts.url)).unwrap())
        .set_introspection_url(IntrospectionUrl::new(format!("{}/oauth/introspect", ts.url)).unwrap())
}

async fn setup() -> (TestServer, clearline_testkit::Person, TestApp) {
    let ts = TestServer::spawn().await;
    let op = ts.operator("root").await;
    let app = ts.partner_app(&op, "streamflix", "extended", "inbox:send inbox:read friends:read").await;
    let alice = ts.person("alice").await;
    (ts, alice, app)
}

/// A fresh grant of `inbox:read` by the person holding `session`, through the oauth2 client.
async fn grant_inbox_read(
    ts: &TestServer,
    oauth: &Oauth,
    http: &reqwest::Client,
    session: &str,
) -> oauth2::basic::BasicTokenResponse {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = oauth
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("inbox:read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let code = query_param(&ts.consent_at(session, url.as_str(), &["inbox:read"], true).await, "code").unwrap();
    oauth.exchange_code(AuthorizationCode::new(code)).set_pkce_verifier(verifier).request_async(http).await.unwrap()
}

#[tokio::test]
async fn standard_client_completes_pkce_flow_rotates_refresh_and_detects_reuse() {
    let (ts, alice, app) = setup().await;
    let oauth = client(&ts, &app);
    let http = no_redirects();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = oauth
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("inbox:read".into()))
        .add_scope(Scope::new("friends:read".into()))
        .set_pkce_challenge(challenge)
        .url();
    let session = alice.client.token().unwrap();
    // The person unticks friends:read on the consent page.
    let location = ts.consent_at(session, url.as_str(), &["inbox:read"], true).await;
    assert!(location.starts_with(REDIRECT_URI));
    assert_eq!(query_param(&location, "state").as_deref(), Some(state.secret().as_str()), "state round-trips");
    assert_eq!(query_param(&location, "iss").as_deref(), Some(ts.url.as_str()), "RFC 9207 issuer");
    let code = query_param(&location, "code").unwrap();

    let tokens = oauth
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let granted: Vec<String> = tokens.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(granted, vec!["inbox:read"], "the unticked scope is not granted");
    let access = tokens.access_token().secret().clone();
    let me = ts.client().with_token(&access).partner_me().await.unwrap();
    assert!(me.id.starts_with("pu_"));

    // The code is single use.
    let reused = oauth
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(oauth2::PkceCodeVerifier::new("x".repeat(43)));
    assert!(reused.request_async(&http).await.is_err());
    assert_eq!(
        ts.client().with_token(&access).partner_me().await.unwrap_err().status(),
        Some(401),
        "code reuse revokes"
    );

    // A fresh grant: refresh rotates; the old refresh token is dead and its reuse revokes all.
    let first = grant_inbox_read(&ts, &oauth, &http, session).await;
    let old_refresh = first.refresh_token().unwrap().clone();
    let second = oauth.exchange_refresh_token(&old_refresh).request_async(&http).await.unwrap();
    assert_ne!(second.refresh_token().unwrap().secret(), old_refresh.secret(), "refresh tokens rotate");
    let live = second.access_token().secret().clone();
    ts.client().with_token(&live).partner_me().await.unwrap();
    let introspected = oauth.introspect(second.access_token()).request_async(&http).await.unwrap();
    assert!(introspected.active());
    assert!(oauth.exchange_refresh_token(&old_refresh).request_async(&http).await.is_err(), "rotated token refused");
    assert_eq!(
        ts.client().with_token(&live).partner_me().await.unwrap_err().status(),
        Some(401),
        "reuse revokes the grant"
    );
    assert!(oauth.exchange_refresh_token(second.refresh_token().unwrap()).request_async(&http).await.is_err());
    assert!(!oauth.introspect(second.access_token()).request_async(&http).await.unwrap().active());

    // RFC 7009: revoking a refresh token ends the grant. (The oauth2 crate refuses to revoke
    // over plain http, so this request is posted by hand.)
    let third = grant_inbox_read(&ts, &oauth, &http, session).await;
    let refresh = third.refresh_token().unwrap().secret().clone();
    let res = ts.oauth_post(&app, "/oauth/revoke", &[("token", &refresh), ("token_type_hint", "refresh_token")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        ts.client().with_token(third.access_token().secret()).partner_me().await.unwrap_err().status(),
        Some(401)
    );
}

#[tokio::test]
async fn authorization_requests_are_refused_safely() {
    let (ts, alice, app) = setup().await;
    let http = no_redirects();
    let session = alice.client.token().unwrap();
    let (verifier, challenge) = pkce();
    let base = [
        ("client_id", app.app.client_id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", "inbox:read"),
        ("state", "s1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let get = |params: Vec<(&'static str, String)>| {
        let url = reqwest::Url::parse_with_params(&format!("{}/oauth/authorize", ts.url), &params).unwrap();
        http.get(url).bearer_auth(session).send()
    };
    let with = |k: &'static str, v: Option<&str>| -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> =
            base.iter().filter(|(n, _)| *n != k).map(|(n, v)| (*n, (*v).to_owned())).collect();
        if let Some(v) = v {
            p.push((k, v.to_owned()));
        }
        p
    };
    // An unregistered redirect URI or unknown client: an error page, never a redirect.
    for p in [with("redirect_uri", Some("http://127.0.0.1:9/evil")), with("client_id", Some("app_999"))] {
        let res = get(p).await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
    }
    // Everything else goes back to the app with an error and the state.
    for (p, error) in [
        (with("code_challenge", None), "invalid_request"),
        (with("code_challenge_method", Some("plain")), "invalid_request"),
        (with("scope", Some("inbox:read_all")), "invalid_scope"),
        (with("scope", Some("inbox:everything")), "invalid_scope"),
        (with("response_type", Some("token")), "unsupported_response_type"),
    ] {
        let res = get(p).await.unwrap();
        assert_eq!(res.status(), 303);
        let location = res.headers().get("location").unwrap().to_str().unwrap().to_owned();
        assert_eq!(query_param(&location, "error").as_deref(), Some(error), "{location}");
        assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
        assert!(query_param(&location, "code").is_none());
    }
    // Denying gives access_denied and no grant.
    let url = reqwest::Url::parse_with_params(&format!("{}/oauth/authorize", ts.url), &base).unwrap();
    let denied = ts.consent_at(session, url.as_str(), &["inbox:read"], false).await;
    assert_eq!(query_param(&denied, "error").as_deref(), Some("access_denied"));
    assert!(alice.client.connected_apps().await.unwrap().items.is_empty());
    // A consent form without this session's CSRF token is refused.
    let mut form: Vec<(&str, &str)> = base.to_vec();
    form.extend([("csrf", "forged"), ("decision", "allow")]);
    let res = http.post(format!("{}/oauth/authorize", ts.url)).bearer_auth(session).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // A wrong verifier, redirect URI or client secret cannot redeem a code.
    let code = TestServer::code_of(&ts.consent_at(session, url.as_str(), &["inbox:read"], true).await);
    let exchange = |verifier: String, uri: &'static str, app: TestApp| {
        let code = code.clone();
        let ts = &ts;
        async move {
            ts.token_request(
                &app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", uri),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    let mut bad_secret = app.clone();
    bad_secret.app.client_secret = Some("wrong".into());
    let res = exchange(verifier.clone(), REDIRECT_URI, bad_secret).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "invalid_client");
    let res = exchange(pkce().0, REDIRECT_URI, app.clone()).await;
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn browser_signs_in_on_the_authorization_page_with_a_session_cookie() {
    let (ts, _alice, app) = setup().await;
    let http = no_redirects();
    let (_, challenge) = pkce();
    let params = [
        ("client_id", app.app.client_id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("response_type", "code"),
        ("scope", "inbox:read"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let url = reqwest::Url::parse_with_params(&format!("{}/oauth/authorize", ts.url), &params).unwrap();
    let res = http.get(url.clone()).send().await.unwrap();
    let login_cookie = cookie_pair(&res, "clearline_login");
    let page = res.text().await.unwrap();
    assert!(page.contains("action=\"/oauth/sign-in\""), "sign-in form first");
    let csrf = form_value(&page, "csrf");
    let return_to = format!("/oauth/authorize?{}", url.query().unwrap());
    let sign_in = |password: &'static str, return_to: String, cookie: Option<String>, csrf: String| {
        let form = [
            ("handle", "alice".to_owned()),
            ("password", password.to_owned()),
            ("return_to", return_to),
            ("csrf", csrf),
        ];
        let req = http.post(format!("{}/oauth/sign-in", ts.url)).form(&form);
        async move { req.header("cookie", cookie.unwrap_or_default()).send().await.unwrap() }
    };
    // Only back into the authorization flow: no open redirect, no header injection.
    for bad in ["https://evil.example/", "/oauth/authorize?x\r\nSet-Cookie: a=b", "//evil.example/oauth/authorize?"] {
        let res = sign_in(clearline_testkit::PASSWORD, bad.to_owned(), Some(login_cookie.clone()), csrf.clone()).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert!(res.headers().get("location").is_none() && res.headers().get("set-cookie").is_none());
    }
    // Login CSRF: a form posted from elsewhere (no nonce cookie, a wrong token, or another
    // browser's token) signs nobody in.
    let other_browser = http.get(url.clone()).send().await.unwrap();
    let other_cookie = cookie_pair(&other_browser, "clearline_login");
    for (cookie, token) in [
        (None, csrf.clone()),
        (Some(login_cookie.clone()), String::new()),
        (Some(login_cookie.clone()), "AAAA".to_owned()),
        (Some(other_cookie), csrf.clone()),
    ] {
        let res = sign_in(clearline_testkit::PASSWORD, return_to.clone(), cookie, token).await;
        assert_eq!(res.status(), 403);
        assert!(res.headers().get("location").is_none() && res.headers().get("set-cookie").is_none());
    }
    let res = sign_in("wrong password", return_to.clone(), Some(login_cookie.clone()), csrf.clone()).await;
    assert_eq!(res.status(), 401);
    assert!(!res.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("clearline_session=")));
    let res = sign_in(clearline_testkit::PASSWORD, return_to.clone(), Some(login_cookie), csrf).await;
    assert_eq!(res.status(), 303);
    let cookie = cookie_pair_full(&res, "clearline_session");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let pair = cookie.split(';').next().unwrap().to_owned();
    let consent = http.get(url).header("cookie", pair).send().await.unwrap();
    assert_eq!(consent.status(), 200);
    let html = consent.text().await.unwrap();
    assert!(html.contains("wants to connect") && html.contains("will NOT be able to"));
    assert!(html.contains(clearline_domain::Scope::InboxRead.describe()));
}

#[tokio::test]
async fn metadata_describes_the_authorization_server() {
    let ts = TestServer::spawn().await;
    let m: serde_json::Value =
        reqwest::get(format!("{}/.well-known/oauth-authorization-server", ts.url)).await.unwrap().json().await.unwrap();
    assert_eq!(m["issuer"], ts.url.as_str());
    assert_eq!(m["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(m["token_endpoint"], format!("{}/oauth/token", ts.url));
    assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
}

/// The full `Set-Cookie` value that sets cookie `name`.
fn cookie_pair_full(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"))
}

/// `name=value` of the cookie `name` that a response sets.
fn cookie_pair(res: &reqwest::Response, name: &str) -> String {
    cookie_pair_full(res, name).split(';').next().unwrap().to_owned()
}

/// The value of the form field `name` in a page.
fn form_value(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} field")) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}
