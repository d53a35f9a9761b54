//! Consent receipts: for each grant, a record the person can keep, with the fields of the
//! Kantara Initiative Consent Receipt v1.1 (the basis of ISO/IEC TS 27560): who consented, to
//! which app and partner (the PII controller), for which purposes (the scopes), when, until
//! when, and how to withdraw. Signed by the server as a JWS (EdDSA), so it can be shown to
//! anyone and checked against the server's public key.

use clearline_domain::{GrantId, Scope};
use clearline_store::Store;
use serde::Serialize;

use crate::{App, CoreError, Principal};

/// A consent receipt (Kantara CR v1.1 field names).
#[derive(Debug, Clone, Serialize)]
pub struct ConsentReceipt {
    /// The receipt format.
    pub version: &'static str,
    /// Where the service runs (the server's public URL).
    pub jurisdiction: String,
    /// When consent was given, seconds since the epoch.
    #[serde(rename = "consentTimestamp")]
    pub consent_timestamp: i64,
    /// How consent was collected.
    #[serde(rename = "collectionMethod")]
    pub collection_method: &'static str,
    /// The receipt's id: the grant id.
    #[serde(rename = "consentReceiptID")]
    pub consent_receipt_id: String,
    /// The language of the texts.
    pub language: &'static str,
    /// The person, by their Clearline id.
    #[serde(rename = "piiPrincipalId")]
    pub pii_principal_id: String,
    /// The partner that receives the data.
    #[serde(rename = "piiControllers")]
    pub pii_controllers: Vec<Controller>,
    /// Where the terms of the platform are described.
    #[serde(rename = "policyUrl")]
    pub policy_url: String,
    /// The app and what it may do.
    pub services: Vec<Service>,
    /// Whether sensitive categories are involved.
    pub sensitive: bool,
    /// Sensitive categories (none).
    #[serde(rename = "spiCat")]
    pub spi_cat: Vec<String>,
    /// When the consent lapses, seconds since the epoch.
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
    /// How to withdraw it.
    pub withdrawal: String,
    /// Whether it was withdrawn already, and when (seconds since the epoch).
    #[serde(rename = "withdrawnAt", skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<i64>,
}

/// A PII controller.
#[derive(Debug, Clone, Serialize)]
pub struct Controller {
    /// Its name.
    #[serde(rename = "piiController")]
    pub pii_controller: String,
    /// Its partner id on this platform.
    pub contact: String,
    /// Whether it acts for someone else.
    #[serde(rename = "onBehalf")]
    pub on_behalf: bool,
}

/// A service and its purposes.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// The app's name and id.
    pub service: String,
    /// One purpose per scope.
    pub purposes: Vec<Purpose>,
}

/// One purpose: a scope.
#[derive(Debug, Clone, Serialize)]
pub struct Purpose {
    /// The scope, e.g. `inbox:read`.
    pub purpose: String,
    /// What it allows, in words.
    #[serde(rename = "purposeCategory")]
    pub purpose_category: Vec<String>,
    /// Always explicit: ticked on a consent page.
    #[serde(rename = "consentType")]
    pub consent_type: &'static str,
    /// The kinds of data the scope reaches.
    #[serde(rename = "piiCategory")]
    pub pii_category: Vec<&'static str>,
    /// Whether this is the purpose the app needs to work.
    #[serde(rename = "primaryPurpose")]
    pub primary_purpose: bool,
    /// When it ends.
    pub termination: String,
    /// Whether the data goes on to third parties (Clearline gives it only to this app).
    #[serde(rename = "thirdPartyDisclosure")]
    pub third_party_disclosure: bool,
}

const fn data_of(scope: Scope) -> &'static [&'static str] {
    match scope {
        Scope::InboxSend => &["messages sent on your behalf", "friends' app-scoped ids"],
        Scope::InboxRead => &["messages in this app's threads"],
        Scope::InboxReadAll => &["messages in all your conversations (others' redacted unless they allow it)"],
        Scope::InboxDelete => &["messages you sent through this app"],
        Scope::FriendsRead => &["display names and app-scoped ids of friends who use this app"],
        Scope::FriendsReadAll => &["display names and app-scoped ids of all your friends"],
    }
}

impl<S: Store> App<S> {
    /// The receipt of one of my grants (live or withdrawn) and its JWS signed by the server.
    pub async fn consent_receipt(
        &self,
        me: Principal,
        id: GrantId,
        issuer: &str,
    ) -> Result<(ConsentReceipt, String), CoreError> {
        let grant = match self.store.grant(id).await? {
            Some(g) if g.user_id == me.user_id => g,
            _ => return Err(CoreError::NotFound { what: "grant" }),
        };
        let app = self.store.app(grant.app_id).await?.ok_or(CoreError::NotFound { what: "app" })?;
        let secs = |t: clearline_domain::Timestamp| t.millis() / 1000;
        let first = grant.scopes.iter().next();
        let purposes = grant
            .scopes
            .iter()
            .map(|s| Purpose {
                purpose: s.as_str().to_owned(),
                purpose_category: vec![s.describe().to_owned()],
                consent_type: "EXPLICIT",
                pii_category: data_of(s).to_vec(),
                primary_purpose: Some(s) == first,
                termination: format!("when withdrawn, or at expiresAt ({})", secs(grant.expires_at)),
                third_party_disclosure: false,
            })
            .collect();
        let receipt = ConsentReceipt {
            version: "KI-CR-v1.1.0",
            jurisdiction: issuer.to_owned(),
            consent_timestamp: secs(grant.created_at),
            collection_method: "OAuth 2.0 authorization code flow with PKCE; explicit consent page",
            consent_receipt_id: grant.id.to_string(),
            language: "en",
            pii_principal_id: grant.user_id.to_string(),
            pii_controllers: vec![Controller {
                pii_controller: app.partner.name.as_str().to_owned(),
                contact: app.partner.id.to_string(),
                on_behalf: false,
            }],
            policy_url: format!("{issuer}/openapi.json"),
            services: vec![Service { service: format!("{} ({})", app.app.name.as_str(), app.app.id), purposes }],
            sensitive: false,
            spi_cat: Vec::new(),
            expires_at: secs(grant.expires_at),
            withdrawal: format!("DELETE {issuer}/v1/connected-apps/{}, or Connected apps in Clearline", grant.id),
            withdrawn_at: grant.revoked_at.map(secs),
        };
        // Plain structs of strings, numbers and lists: serializing cannot fail.
        let payload = serde_json::to_vec(&receipt).unwrap_or_default();
        let key =
            self.server_key.as_ref().ok_or(CoreError::Unprocessable { reason: "this server has no signing key" })?;
        Ok((receipt, key.jws(&payload)))
    }
}
