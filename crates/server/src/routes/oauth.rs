//! The OAuth 2 endpoints: RFC 8414 metadata, `/oauth/authorize` (sign-in and the consent page,
//! server-rendered, no JavaScript, CSRF-protected), `/oauth/token`, `/oauth/revoke` (RFC 7009)
//! and `/oauth/introspect` (RFC 7662). Errors use RFC 6749's shape, not problem+json.
//! The rules live in `clearline_core::oauth`; this file renders and redirects.

use axum::Form;
use axum::Json;
use axum::extract::FromRequest;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use axum_extra::headers::authorization::Basic;
use axum_extra::headers::{Authorization, HeaderMapExt};
use clearline_api_types::{IntrospectionResponse, OAuthErrorResponse, TokenResponse};
use clearline_core::oauth::{
    AuthorizeError, AuthorizeParams, ClientAuth, ConsentRequest, OAuthError, OAuthErrorCode, Tokens,
};
use clearline_core::{Principal, SessionToken};
use clearline_domain::{Handle, Password, Scope, Scopes};
use maud::{DOCTYPE, Markup, html};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::extract::{ApiQuery, ClientAddr, bearer};
use crate::state::AppState;

/// The cookie holding a browser's session token (HttpOnly, SameSite=Lax).
pub const SESSION_COOKIE: &str = "clearline_session";

/// The authorization request's query (and the hidden fields of the consent form).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

impl From<AuthorizeQuery> for AuthorizeParams {
    fn from(q: AuthorizeQuery) -> Self {
        Self {
            client_id: q.client_id,
            redirect_uri: q.redirect_uri,
            response_type: q.response_type,
            scope: q.scope,
            state: q.state,
            code_challenge: q.code_challenge,
            code_challenge_method: q.code_challenge_method,
        }
    }
}

/// The cookie holding a sign-in form's CSRF nonce (HttpOnly, SameSite=Strict).
pub const LOGIN_CSRF_COOKIE: &str = "clearline_login";

/// The signed-in person: a bearer session token, else the session cookie.
async fn person(s: &AppState, headers: &HeaderMap) -> Option<Principal> {
    let jar = CookieJar::from_headers(headers);
    let raw = bearer(headers).or_else(|| jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()))?;
    let token: SessionToken = raw.parse().ok()?;
    s.app.authenticate(&token).await.ok()
}

/// A cookie of this flow: HttpOnly, `Secure` when the issuer is https.
fn flow_cookie(s: &AppState, name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(same_site)
        .path("/")
        .secure(s.issuer.starts_with("https://"))
        .build()
}

fn page(title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Clearline" }
                style { "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
                        "li{margin:.4rem 0}.no{color:#555}button{font-size:1rem;padding:.4rem 1rem;margin-right:.5rem}" }
            }
            body { (body) }
        }
    };
    let mut res = Html(markup.into_string()).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The consent page must never be framed (clickjacking).
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let mut res = page("Cannot continue", html! { h1 { "This app's request cannot continue" } p { (message) } });
    *res.status_mut() = status;
    res
}

fn redirect_with(s: &AppState, uri: &str, params: &[(&str, &str)]) -> Response {
    let mut pairs: Vec<(&str, &str)> = params.to_vec();
    // RFC 9207: name the issuer so the client can tell which server answered.
    pairs.push(("iss", &s.issuer));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{uri}{sep}{query}")).into_response()
}

fn authorize_error(s: &AppState, e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::NoRedirect(msg) => error_page(StatusCode::BAD_REQUEST, msg),
        AuthorizeError::Redirect { redirect_uri, state, error } => {
            let mut p = vec![("error", error.code.as_str()), ("error_description", error.description)];
            if let Some(st) = state.as_deref() {
                p.push(("state", st));
            }
            redirect_with(s, redirect_uri.as_str(), &p)
        }
    }
}

fn sign_in_page(return_to: &str, failed: bool, csrf: &str) -> Response {
    page(
        "Sign in",
        html! {
            h1 { "Sign in to Clearline" }
            p { "An app asks to connect to your Clearline account. Sign in to see what it asks for." }
            @if failed { p role="alert" { strong { "Handle or password is wrong." } } }
            form method="post" action="/oauth/sign-in" {
                input type="hidden" name="return_to" value=(return_to);
                input type="hidden" name="csrf" value=(csrf);
                p { label { "Handle " input name="handle" autocomplete="username" required; } }
                p { label { "Password " input name="password" type="password" autocomplete="current-password" required; } }
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The sign-in page with a fresh login CSRF pair: the nonce in a cookie, its MAC in the form.
async fn sign_in_response(s: &AppState, return_to: &str, failed: bool, status: StatusCode) -> Response {
    let Ok((nonce, token)) = s.app.login_csrf().await else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "the server failed; try again");
    };
    let jar = CookieJar::new().add(flow_cookie(s, LOGIN_CSRF_COOKIE, nonce, SameSite::Strict));
    (status, jar, sign_in_page(return_to, failed, &token)).into_response()
}

fn blocked_page(req: &ConsentRequest, query: &AuthorizeQuery, csrf: &str) -> Response {
    let app = req.app.name.as_str();
    page(
        "App blocked",
        html! {
            h1 { "You blocked " (app) }
            p { (app) " cannot connect to your account while you block it. "
                "To connect it, first unblock it in your blocked apps, then start again from the app." }
            form method="post" action="/oauth/authorize" {
                @for (name, value) in hidden_fields(query) { input type="hidden" name=(name) value=(value); }
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" name="decision" value="deny" { "Return to " (app) }
            }
        },
    )
}

fn consent_page(req: &ConsentRequest, query: &AuthorizeQuery, csrf: &str) -> Response {
    let app = req.app.name.as_str();
    let partner = req.partner.name.as_str();
    let not_asked: Vec<Scope> = Scope::ALL.into_iter().filter(|s| !req.scopes.contains(*s)).collect();
    page(
        "Connect an app",
        html! {
            h1 { (app) " by " (partner) " wants to connect to your Clearline account" }
            form method="post" action="/oauth/authorize" {
                @for (name, value) in hidden_fields(query) { input type="hidden" name=(name) value=(value); }
                input type="hidden" name="csrf" value=(csrf);
                h2 { "It will be able to" }
                ul {
                    @for scope in req.scopes.iter() {
                        li { label {
                            @if scope == req.required {
                                input type="checkbox" checked disabled;
                                input type="hidden" name=(format!("grant_{}", scope.as_str())) value="on";
                            } @else {
                                input type="checkbox" name=(format!("grant_{}", scope.as_str())) checked;
                            }
                            " " (scope.describe())
                        } }
                    }
                }
                h2 { "It will NOT be able to" }
                ul class="no" {
                    @for scope in &not_asked { li { (scope.describe()) } }
                    li { "Read conversations it did not start, unless listed above" }
                    li { "See your password, your sessions or who you blocked" }
                    li { "Read messages of friends who did not allow apps to read them" }
                }
                p { "Untick anything you do not want to allow (the first item is what the app needs to work). "
                    "This permission lasts " (req.partner.agreement.max_grant_days) " days, "
                    "and you can withdraw it at any time in Connected apps. Every use is recorded in your access history." }
                button type="submit" name="decision" value="allow" { "Allow" }
                button type="submit" name="decision" value="deny" { "Deny" }
            }
        },
    )
}

fn hidden_fields(q: &AuthorizeQuery) -> Vec<(&'static str, String)> {
    [
        ("client_id", &q.client_id),
        ("redirect_uri", &q.redirect_uri),
        ("response_type", &q.response_type),
        ("scope", &q.scope),
        ("state", &q.state),
        ("code_challenge", &q.code_challenge),
        ("code_challenge_method", &q.code_challenge_method),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect()
}

/// GET /oauth/authorize: checks the request, then shows sign-in or the consent page.
#[utoipa::path(get, path = "/oauth/authorize", tag = "oauth",
    params(("response_type" = String, Query, description = "code"), ("client_id" = String, Query),
           ("redirect_uri" = String, Query, description = "exactly as registered"), ("scope" = String, Query),
           ("state" = Option<String>, Query), ("code_challenge" = String, Query),
           ("code_challenge_method" = String, Query, description = "S256")),
    responses((status = 200, description = "sign-in or consent page (HTML)", content_type = "text/html"),
              (status = 303, description = "back to the redirect URI with code or error, state and iss"),
              (status = 400, description = "unknown client or unregistered redirect URI (HTML, no redirect)")))]
pub async fn authorize(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<AuthorizeQuery>,
) -> Response {
    let req = match s.app.authorize_request(q.clone().into()).await {
        Ok(r) => r,
        Err(e) => return authorize_error(&s, e),
    };
    let Some(me) = person(&s, &headers).await else {
        let return_to = format!("/oauth/authorize?{}", serde_urlencoded::to_string(&q).unwrap_or_default());
        return sign_in_response(&s, &return_to, false, StatusCode::OK).await;
    };
    match (s.app.csrf_token(me).await, s.app.app_blocked(me, req.app.id).await) {
        (Ok(csrf), Ok(false)) => consent_page(&req, &q, &csrf),
        (Ok(csrf), Ok(true)) => blocked_page(&req, &q, &csrf),
        _ => error_page(StatusCode::INTERNAL_SERVER_ERROR, "the server failed; try again"),
    }
}

/// The sign-in form of the authorization flow.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SignInForm {
    /// The handle.
    handle: String,
    /// The password.
    #[schema(value_type = String)]
    password: SecretString,
    /// The authorization request to return to (`/oauth/authorize?…`).
    return_to: String,
    /// The login CSRF token the page was served with.
    #[serde(default)]
    csrf: String,
}

/// POST /oauth/sign-in: signs in from the authorization flow, sets the session cookie and
/// returns to the authorization request.
#[utoipa::path(post, path = "/oauth/sign-in", tag = "oauth",
    request_body(content = SignInForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "signed in: `clearline_session` cookie set (HttpOnly, SameSite=Lax, Secure on https), back to `return_to`"),
              (status = 400, description = "`return_to` is not an authorization request (HTML)", content_type = "text/html"),
              (status = 401, description = "wrong handle or password: the form again (HTML)", content_type = "text/html"),
              (status = 403, description = "the form's CSRF token does not match this browser's `clearline_login` cookie (HTML)", content_type = "text/html"),
              (status = 413, body = OAuthErrorResponse), (status = 415, body = OAuthErrorResponse),
              (status = 429, description = "too many sign-in attempts from this address (HTML, Retry-After)", content_type = "text/html")))]
pub async fn sign_in(
    State(s): State<AppState>,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    OAuthForm(f): OAuthForm<SignInForm>,
) -> Response {
    // Only back into this flow, and only something that is a valid header value (no open
    // redirect, no header injection).
    let safe = f.return_to.starts_with("/oauth/authorize?")
        && f.return_to.len() <= 4096
        && f.return_to.bytes().all(|b| b.is_ascii_graphic());
    if !safe {
        return error_page(StatusCode::BAD_REQUEST, "bad return address");
    }
    // Login CSRF: only a sign-in page this browser loaded from us can sign it in.
    let nonce = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    if !s.app.check_login_csrf(nonce.as_deref(), &f.csrf).await.unwrap_or(false) {
        return error_page(
            StatusCode::FORBIDDEN,
            "this sign-in form was not loaded by this browser; start again from the app",
        );
    }
    let (Ok(handle), Ok(password)) = (Handle::parse(&f.handle), Password::parse(f.password.expose_secret().to_owned()))
    else {
        return sign_in_response(&s, &f.return_to, true, StatusCode::UNAUTHORIZED).await;
    };
    match s.app.sign_in(handle, password, Some("consent page"), from).await {
        Ok(signed) => {
            let session = flow_cookie(&s, SESSION_COOKIE, signed.token.expose(), SameSite::Lax);
            let jar = jar.remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/")).add(session);
            (jar, Redirect::to(&f.return_to)).into_response()
        }
        Err(clearline_core::CoreError::RateLimited { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60);
            let message = format!("Too many sign-in attempts from here. Try again in {minutes} minute(s).");
            let mut res = error_page(StatusCode::TOO_MANY_REQUESTS, &message);
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            res
        }
        Err(_) => sign_in_response(&s, &f.return_to, true, StatusCode::UNAUTHORIZED).await,
    }
}

/// The consent form's fields, for the API document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ConsentFormDoc {
    /// The authorization request's parameters, as hidden fields: `client_id`, `redirect_uri`,
    /// `response_type`, `scope`, `state`, `code_challenge`, `code_challenge_method`.
    client_id: String,
    /// The consent page's CSRF token (bound to the session).
    csrf: String,
    /// `allow` or `deny`.
    decision: String,
    /// One `grant_<scope>=on` field per scope the person left ticked.
    #[schema(rename = "grant_inbox:read")]
    grant_example: Option<String>,
}

/// POST /oauth/authorize: the person's answer on the consent page.
#[utoipa::path(post, path = "/oauth/authorize", tag = "oauth",
    request_body(content = ConsentFormDoc, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "back to the redirect URI with `code` (or `error=access_denied`), `state` and `iss`"),
              (status = 400, description = "unknown client or unregistered redirect URI (HTML, no redirect)", content_type = "text/html"),
              (status = 401, description = "no signed-in session (HTML)", content_type = "text/html"),
              (status = 403, description = "the form's CSRF token is not this session's (HTML)", content_type = "text/html"),
              (status = 413, body = OAuthErrorResponse), (status = 415, body = OAuthErrorResponse),
              (status = 500, description = "the server failed (HTML)", content_type = "text/html")))]
pub async fn decide(
    State(s): State<AppState>,
    headers: HeaderMap,
    OAuthForm(fields): OAuthForm<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let q = AuthorizeQuery {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        scope: get("scope"),
        state: get("state"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
    };
    let req = match s.app.authorize_request(q.into()).await {
        Ok(r) => r,
        Err(e) => return authorize_error(&s, e),
    };
    let Some(me) = person(&s, &headers).await else {
        return error_page(StatusCode::UNAUTHORIZED, "your session ended; start again from the app");
    };
    let csrf_ok = match get("csrf") {
        Some(token) => s.app.check_csrf(me, &token).await.unwrap_or(false),
        None => false,
    };
    if !csrf_ok {
        return error_page(StatusCode::FORBIDDEN, "this form was not loaded by your session; start again from the app");
    }
    let ticked: Scopes =
        fields.iter().filter_map(|(n, _)| n.strip_prefix("grant_")).filter_map(Scope::from_name).collect();
    let allow = get("decision").as_deref() == Some("allow");
    match s.app.consent(me.user_id, req, allow, ticked).await {
        Ok(outcome) => {
            let mut p = match &outcome.result {
                Ok(code) => vec![("code", code.expose_secret())],
                Err(e) => vec![("error", e.as_str())],
            };
            if let Some(st) = outcome.state.as_deref() {
                p.push(("state", st));
            }
            redirect_with(&s, outcome.redirect_uri.as_str(), &p)
        }
        Err(_) => error_page(StatusCode::INTERNAL_SERVER_ERROR, "the server failed; try again"),
    }
}

/// The form of the token, revocation and introspection endpoints (RFC 6749 §4.1.3 and §6,
/// RFC 7009 §2.1, RFC 7662 §2.1). Confidential clients authenticate with HTTP Basic.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token` (token endpoint).
    grant_type: Option<String>,
    /// The authorization code (`oac_…`).
    #[schema(value_type = Option<String>)]
    code: Option<SecretString>,
    /// The redirect URI of the authorization request.
    redirect_uri: Option<String>,
    /// The PKCE verifier (43 to 128 characters).
    #[schema(value_type = Option<String>)]
    code_verifier: Option<SecretString>,
    /// The refresh token (`ort_…`).
    #[schema(value_type = Option<String>)]
    refresh_token: Option<SecretString>,
    /// A public client's id (confidential clients use HTTP Basic).
    client_id: Option<String>,
    /// The token to revoke or introspect.
    #[schema(value_type = Option<String>)]
    token: Option<SecretString>,
}

/// A form body of the OAuth endpoints; one that cannot be read is refused in RFC 6749's shape
/// (`invalid_request`), a wrong content type with 415 and an oversized one with 413.
pub struct OAuthForm<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for OAuthForm<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let (status, description) = match Form::<T>::from_request(req, state).await {
            Ok(Form(v)) => return Ok(Self(v)),
            Err(FormRejection::InvalidFormContentType(_)) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "the body must be application/x-www-form-urlencoded")
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "the body is over the size limit")
            }
            Err(_) => (StatusCode::BAD_REQUEST, "the form could not be read"),
        };
        let mut res = oauth_error(&OAuthError { code: OAuthErrorCode::InvalidRequest, description });
        *res.status_mut() = status;
        Err(res)
    }
}

fn oauth_error(e: &OAuthError) -> Response {
    let status = match e.code {
        OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = OAuthErrorResponse { error: e.code.as_str().to_owned(), error_description: e.description.to_owned() };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"clearline\""));
    }
    res
}

/// The client's credentials: HTTP Basic (`client_secret_basic`, whose id and secret are
/// form-urlencoded first, RFC 6749 §2.3.1), else `client_id` in the form.
pub(crate) fn client_auth(headers: &HeaderMap, form_client_id: Option<&str>) -> Result<ClientAuth, OAuthError> {
    let bad = OAuthError { code: OAuthErrorCode::InvalidClient, description: "client authentication failed" };
    if headers.contains_key(header::AUTHORIZATION) {
        let basic = headers.typed_get::<Authorization<Basic>>().ok_or_else(|| bad.clone())?;
        let unescape = |s: &str| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
                .ok()
                .and_then(|v| v.into_iter().next())
                .map(|(_, v)| v)
        };
        let id = unescape(basic.username()).ok_or_else(|| bad.clone())?;
        let secret = unescape(basic.password()).ok_or_else(|| bad.clone())?;
        return Ok(ClientAuth { client_id: id, secret: (!secret.is_empty()).then(|| secret.into()) });
    }
    let id = form_client_id.ok_or(bad)?;
    Ok(ClientAuth { client_id: id.to_owned(), secret: None })
}

fn token_response(t: Tokens) -> Response {
    let body = TokenResponse {
        access_token: t.access_token.expose_secret().to_owned(),
        token_type: "Bearer".to_owned(),
        expires_in: t.expires_in,
        refresh_token: t.refresh_token.expose_secret().to_owned(),
        scope: t.scopes.to_string(),
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// POST /oauth/token: exchanges a code (with the PKCE verifier) or rotates a refresh token.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = TokenResponse), (status = 400, body = OAuthErrorResponse),
              (status = 401, body = OAuthErrorResponse)))]
pub async fn token(State(s): State<AppState>, headers: HeaderMap, OAuthForm(f): OAuthForm<TokenForm>) -> Response {
    let client = match client_auth(&headers, f.client_id.as_deref()) {
        Ok(c) => c,
        Err(e) => return oauth_error(&e),
    };
    let missing = |what| OAuthError { code: OAuthErrorCode::InvalidRequest, description: what };
    let result = match f.grant_type.as_deref() {
        Some("authorization_code") => match (&f.code, &f.redirect_uri, &f.code_verifier) {
            (Some(code), Some(uri), Some(verifier)) => {
                s.app.exchange_code(&client, code.expose_secret(), uri, verifier.expose_secret()).await
            }
            _ => Err(missing("code, redirect_uri and code_verifier are required")),
        },
        Some("refresh_token") => match &f.refresh_token {
            Some(rt) => s.app.refresh(&client, rt.expose_secret()).await,
            None => Err(missing("refresh_token is required")),
        },
        _ => Err(OAuthError {
            code: OAuthErrorCode::UnsupportedGrantType,
            description: "use authorization_code or refresh_token",
        }),
    };
    match result {
        Ok(t) => token_response(t),
        Err(e) => oauth_error(&e),
    }
}

/// POST /oauth/revoke (RFC 7009): 200 whether or not the token was known.
#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200), (status = 400, body = OAuthErrorResponse), (status = 401, body = OAuthErrorResponse)))]
pub async fn revoke(State(s): State<AppState>, headers: HeaderMap, OAuthForm(f): OAuthForm<TokenForm>) -> Response {
    let result = match client_auth(&headers, f.client_id.as_deref()) {
        Ok(client) => match &f.token {
            Some(t) => s.app.revoke_token(&client, t.expose_secret()).await,
            None => Err(OAuthError { code: OAuthErrorCode::InvalidRequest, description: "token is required" }),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => oauth_error(&e),
    }
}

/// POST /oauth/introspect (RFC 7662): only the client a token was issued to sees it active.
#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = IntrospectionResponse), (status = 401, body = OAuthErrorResponse)))]
pub async fn introspect(State(s): State<AppState>, headers: HeaderMap, OAuthForm(f): OAuthForm<TokenForm>) -> Response {
    let client = match client_auth(&headers, f.client_id.as_deref()) {
        Ok(c) => c,
        Err(e) => return oauth_error(&e),
    };
    let Some(token) = f.token else {
        return oauth_error(&OAuthError { code: OAuthErrorCode::InvalidRequest, description: "token is required" });
    };
    match s.app.introspect(&client, token.expose_secret()).await {
        Ok(i) => Json(IntrospectionResponse {
            active: i.active,
            scope: i.scopes.map(|s| s.to_string()),
            client_id: i.client_id.map(|c| c.to_string()),
            sub: i.sub,
            token_type: i.token_type.map(str::to_owned),
            exp: i.exp,
        })
        .into_response(),
        Err(e) => oauth_error(&e),
    }
}

/// RFC 8414 authorization server metadata.
#[derive(Debug, Serialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    scopes_supported: Vec<&'static str>,
    response_types_supported: [&'static str; 1],
    grant_types_supported: [&'static str; 2],
    code_challenge_methods_supported: [&'static str; 1],
    token_endpoint_auth_methods_supported: [&'static str; 2],
    revocation_endpoint_auth_methods_supported: [&'static str; 2],
    introspection_endpoint_auth_methods_supported: [&'static str; 2],
    authorization_response_iss_parameter_supported: bool,
}

/// GET /.well-known/oauth-authorization-server (RFC 8414).
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth",
    responses((status = 200, description = "authorization server metadata (RFC 8414)", content_type = "application/json")))]
pub async fn metadata(State(s): State<AppState>) -> Response {
    let base = &s.issuer;
    let auth = ["client_secret_basic", "none"];
    Json(Metadata {
        issuer: base.to_string(),
        authorization_endpoint: format!("{base}/oauth/authorize"),
        token_endpoint: format!("{base}/oauth/token"),
        revocation_endpoint: format!("{base}/oauth/revoke"),
        introspection_endpoint: format!("{base}/oauth/introspect"),
        scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        response_types_supported: ["code"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: auth,
        revocation_endpoint_auth_methods_supported: auth,
        introspection_endpoint_auth_methods_supported: auth,
        authorization_response_iss_parameter_supported: true,
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_secrets_never_show_in_debug() {
        let sign_in: SignInForm =
            serde_urlencoded::from_str("handle=ana&password=s3cr3t-pass&return_to=%2F&csrf=x").unwrap();
        let token: TokenForm = serde_urlencoded::from_str(
            "grant_type=authorization_code&code=oac_1.s3cr3t-code&code_verifier=s3cr3t-verifier\
             &refresh_token=ort_1.s3cr3t-refresh&token=oat_1.s3cr3t-token",
        )
        .unwrap();
        for text in [format!("{sign_in:?}"), format!("{token:?}")] {
            assert!(!text.contains("s3cr3t"), "{text}");
        }
        assert_eq!(token.code.as_ref().map(|c| c.expose_secret().to_owned()).as_deref(), Some("oac_1.s3cr3t-code"));
    }
}
