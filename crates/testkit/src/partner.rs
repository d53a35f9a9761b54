//! Partner platform fixtures: an operator, a partner with an agreement and an app, and the
//! authorization code flow driven the way a browser would (consent page, CSRF field, redirect).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clearline_api_types::{AgreementBody, AppResponse, CreatePartnerRequest, RegisterAppRequest, TokenResponse};

use crate::{Person, TestServer};

/// The redirect URI test apps register (nothing listens there; the flow stops at the redirect).
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// The agreement test partners get: `tier` and `scopes`, 90-day grants, a 14-day cadence in
/// UTC, in force since the epoch. Tests change the fields they are about.
pub fn agreement_body(tier: &str, scopes: &str) -> AgreementBody {
    AgreementBody {
        tier: tier.to_owned(),
        scopes: scopes.to_owned(),
        max_grant_days: 90,
        report_cadence_days: 14,
        time_zone: "UTC".into(),
        effective_from: 0,
        effective_until: None,
        suspended_at: None,
    }
}

/// A partner and one of its apps.
#[derive(Clone)]
pub struct TestApp {
    /// `prt_…`.
    pub partner_id: String,
    /// The app, with its client secret for confidential apps.
    pub app: AppResponse,
}

pub use clearline_client::oauth::{hidden_fields, pkce};

/// A reqwest client that does not follow redirects (to read `Location`).
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("http client")
}

impl TestServer {
    /// Signs up `handle` and makes them an operator.
    pub async fn operator(&self, handle: &str) -> Person {
        let p = self.person(handle).await;
        let id = p.id.parse().expect("user id");
        self.state().app.grant_operator(self.local_operator(), id).await.expect("operator");
        p
    }

    /// A partner (`tier`, `scopes`) with one confidential app, created by `op` through the admin API.
    pub async fn partner_app(&self, op: &Person, slug: &str, tier: &str, scopes: &str) -> TestApp {
        let partner = op
            .client
            .create_partner(&CreatePartnerRequest {
                slug: slug.to_owned(),
                name: format!("{slug} Inc."),
                agreement: agreement_body(tier, scopes),
            })
            .await
            .expect("partner");
        let app = op
            .client
            .register_app(
                &partner.id,
                &RegisterAppRequest {
                    name: format!("{slug} app"),
                    client_type: "confidential".to_owned(),
                    redirect_uris: vec![REDIRECT_URI.to_owned()],
                    webhook_url: None,
                },
            )
            .await
            .expect("app");
        TestApp { partner_id: partner.id, app }
    }

    /// Drives `/oauth/authorize` as `person`'s browser would: loads the consent page, then
    /// submits it with every requested scope ticked (`allow`) or refused. Returns `Location`.
    pub async fn consent(&self, person: &Person, app: &TestApp, scope: &str, challenge: &str, allow: bool) -> String {
        let token = person.client.token().expect("signed in");
        let params = [
            ("client_id", app.app.client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "xyz"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        let url = reqwest::Url::parse_with_params(&format!("{}/oauth/authorize", self.url), &params).expect("url");
        let ticked: Vec<&str> = scope.split(' ').collect();
        self.consent_at(token, url.as_str(), &ticked, allow).await
    }

    /// Loads the consent page at `authorize_url` with session `token` and answers it, ticking
    /// `ticked` scopes; returns the redirect's `Location`.
    pub async fn consent_at(&self, token: &str, authorize_url: &str, ticked: &[&str], allow: bool) -> String {
        clearline_client::oauth::answer_consent(&self.url, token, authorize_url, ticked, allow).await.expect("consent")
    }

    /// The `code` query parameter of a redirect.
    pub fn code_of(location: &str) -> String {
        clearline_client::oauth::query_param(location, "code").expect("code in redirect")
    }

    /// Posts a form to the token endpoint as `app` (client_secret_basic).
    pub async fn token_request(&self, app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
        self.oauth_post(app, "/oauth/token", form).await
    }

    /// Posts a form to an OAuth endpoint (`/oauth/token`, `/oauth/revoke`, `/oauth/introspect`)
    /// as `app`, authenticating with client_secret_basic.
    pub async fn oauth_post(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let secret = app.app.client_secret.as_deref().unwrap_or("");
        let basic = STANDARD.encode(format!("{}:{}", app.app.client_id, secret));
        no_redirects()
            .post(format!("{}{path}", self.url))
            .header("authorization", format!("Basic {basic}"))
            .form(form)
            .send()
            .await
            .expect("token endpoint")
    }

    /// `person` grants `scope` to `app`; returns the tokens.
    pub async fn connect(&self, person: &Person, app: &TestApp, scope: &str) -> TokenResponse {
        let (verifier, challenge) = pkce();
        let code = Self::code_of(&self.consent(person, app, scope, &challenge, true).await);
        let res = self
            .token_request(
                app,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        assert!(res.status().is_success(), "token exchange: {}", res.status());
        res.json().await.expect("token response")
    }
}
