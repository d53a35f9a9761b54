//! The partner platform on the wire: the partner API (`/partner/v1`), OAuth responses, the
//! operator's admin API (`/admin/v1`) and a person's controls (Connected apps, settings, app
//! blocks, access history). People appear in partner responses only by app-scoped id (`pu_…`).

use clearline_domain::{
    AppScopedId, Card, ContentType, Dimension, Dimensions, MAX_RECIPIENTS, MessageContent, Title, ValidationError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::CardBody;

/// `GET /partner/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartnerPerson {
    /// The person's id for this partner, `pu_…`.
    pub id: String,
    /// Their display name.
    pub display_name: String,
}

/// A friend as an app sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartnerFriend {
    /// `pu_…`.
    pub id: String,
    /// Their display name.
    pub display_name: String,
    /// Whether they also granted this app (always true without `friends:read_all`).
    pub uses_app: bool,
}

/// `GET /partner/v1/friends`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerFriends {
    /// The friends.
    pub items: Vec<PartnerFriend>,
}

/// `POST /partner/v1/messages`: one message to each friend, in the app thread with them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerSendRequest {
    /// Friends, by `pu_…` id; 1 to 50.
    pub to: Vec<String>,
    /// The text, 1 to 65,536 bytes of UTF-8.
    pub text: String,
    /// An optional link card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardBody>,
}

impl PartnerSendRequest {
    /// The send in domain terms: 1 to 50 app-scoped ids, a `text/plain` message, the card.
    pub fn parse(self) -> Result<(Vec<AppScopedId>, MessageContent, Option<Card>), ValidationError> {
        if self.to.is_empty() || self.to.len() > MAX_RECIPIENTS {
            return Err(ValidationError::Recipients);
        }
        let to = self.to.iter().map(|r| AppScopedId::parse(r)).collect::<Result<Vec<_>, _>>()?;
        let content = MessageContent::new(ContentType::text_plain(), self.text.into_bytes())?;
        let card = self.card.map(|c| Card::new(&c.title, &c.url, c.image_url.as_deref())).transpose()?;
        Ok((to, content, card))
    }
}

/// A message as an app sees it. Exactly one of `text` (shown), `redacted: true` (the sender
/// did not allow apps to read it here) or `deleted: true` holds; a flag that is false is left
/// out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PartnerMessage {
    /// `msg_…`.
    pub id: String,
    /// `cnv_…`.
    pub thread_id: String,
    /// The sender, `pu_…`.
    pub sender: String,
    /// Whether the person the app acts for sent it.
    pub from_me: bool,
    /// Whether it was sent through this app.
    pub via_this_app: bool,
    /// Sent, ms since the epoch.
    pub created_at: i64,
    /// `text/plain` content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The content type when the content is not text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardBody>,
    /// The sender did not allow apps to read this message. Absent when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub redacted: bool,
    /// The message was deleted. Absent when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
}

/// For `skip_serializing_if`: a flag that is only written when it is set.
fn is_false(flag: &bool) -> bool {
    !flag
}

/// `POST /partner/v1/messages` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerSent {
    /// One message per recipient.
    pub items: Vec<PartnerMessage>,
}

/// A conversation as an app sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerThread {
    /// `cnv_…`.
    pub id: String,
    /// `app_thread`, `direct` or `group`.
    pub kind: String,
    /// Whether this app started it.
    pub started_by_this_app: bool,
    /// Its members, `pu_…`.
    pub members: Vec<String>,
    /// The newest message.
    pub last_message: Option<PartnerMessage>,
    /// Last active, ms since the epoch.
    pub last_activity_at: i64,
}

/// A page of threads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerThreadPage {
    /// The threads, most recently active first.
    pub items: Vec<PartnerThread>,
    /// Pass as `before` for the next page.
    pub next: Option<String>,
}

/// A page of messages.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerMessagePage {
    /// The messages: newest first, or oldest first with `after`.
    pub items: Vec<PartnerMessage>,
    /// Whether there are more in the same direction.
    pub has_more: bool,
}

/// A partner access, as the person (or the app, for its own calls) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessEventResponse {
    /// `aev_…`.
    pub id: String,
    /// When, ms since the epoch.
    pub at: i64,
    /// `app_…`, when the token named one.
    pub app_id: Option<String>,
    /// `me`, `friends`, `send`, `threads`, `messages` or `delete`.
    pub action: String,
    /// Ids of what was touched.
    pub resources: Vec<String>,
    /// `allowed` or `denied`.
    pub outcome: String,
    /// Why it was denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its leaf in the transparency log, once integrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_index: Option<u64>,
    /// The event's salt (standard base64): its log entry is SHA-256(canonical event ‖ salt).
    pub salt: String,
}

/// `GET /v1/access-log/{id}/proof`: what a person needs to prove an access event is in the
/// transparency log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessProofResponse {
    /// The event's canonical encoding (compact JSON), exactly as committed to.
    pub event: String,
    /// The event's 32-byte salt, standard base64. The log entry is SHA-256(event ‖ salt).
    pub salt: String,
    /// A C2SP `tlog-proof@v1` file proving the entry is in the latest checkpoint; absent until
    /// the sequencer has integrated the event.
    pub tlog_proof: Option<String>,
}

/// A page of access events, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessEventPage {
    /// The events.
    pub items: Vec<AccessEventResponse>,
    /// Pass as `before` for the next page.
    pub next: Option<String>,
}

/// Cursor and size of a page listed newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BeforeQuery {
    /// The `next` of the previous page.
    pub before: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<u32>,
}

/// One scope in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScopeDescription {
    /// The scope, e.g. `inbox:read`.
    pub scope: String,
    /// What it allows.
    pub description: String,
}

/// A grant in my Connected apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConnectedApp {
    /// `grt_…`.
    pub grant_id: String,
    /// `app_…`.
    pub app_id: String,
    /// The app's name.
    pub app_name: String,
    /// The partner's name.
    pub partner_name: String,
    /// What I allowed, in words.
    pub scopes: Vec<ScopeDescription>,
    /// Granted, ms since the epoch.
    pub created_at: i64,
    /// Last used, ms since the epoch.
    pub last_used_at: Option<i64>,
    /// Lapses, ms since the epoch.
    pub expires_at: i64,
}

/// `GET /v1/connected-apps`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConnectedApps {
    /// My live grants, newest first.
    pub items: Vec<ConnectedApp>,
}

/// `GET /v1/connected-apps/{grant_id}/receipt`: a consent receipt and its signature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReceiptResponse {
    /// The receipt (Kantara Consent Receipt v1.1 fields).
    #[schema(value_type = Object)]
    pub receipt: serde_json::Value,
    /// The receipt as a compact JWS (EdDSA) signed by the server.
    pub jws: String,
    /// The server's Ed25519 public key, base64url: verify `jws` with it.
    pub public_key: String,
}

/// `GET`/`PUT /v1/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Whether apps my friends connected may read my messages: `never`, `app_threads`
    /// (default: only in threads started from that app) or `all_conversations`.
    pub apps_may_read_my_messages: String,
}

/// `GET /v1/blocked-apps`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockedApps {
    /// Apps I blocked.
    pub items: Vec<crate::AppRef>,
}

/// An agreement, as the operator sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementBody {
    /// `standard` or `extended`.
    pub tier: String,
    /// Scopes its apps may request, space-separated.
    pub scopes: String,
    /// Longest grant, 1 to 365 days.
    pub max_grant_days: u32,
    /// Reporting cadence, days.
    pub report_cadence_days: u32,
    /// The IANA time zone whose days the reports count (`UTC` if left out), e.g. `Europe/Amsterdam`.
    #[serde(default = "utc")]
    pub time_zone: String,
    /// In force from, ms since the epoch.
    pub effective_from: i64,
    /// In force until, ms since the epoch.
    #[serde(default)]
    pub effective_until: Option<i64>,
    /// Suspended since (read only; use the suspend endpoint).
    #[serde(default)]
    pub suspended_at: Option<i64>,
}

fn utc() -> String {
    "UTC".to_owned()
}

/// `POST /admin/v1/partners`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePartnerRequest {
    /// 2 to 32 of a-z, 0-9 and `-`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The agreement.
    pub agreement: AgreementBody,
}

/// A partner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerResponse {
    /// `prt_…`.
    pub id: String,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its agreement.
    pub agreement: AgreementBody,
    /// Created, ms since the epoch.
    pub created_at: i64,
}

/// `GET /admin/v1/partners`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerList {
    /// Every partner.
    pub items: Vec<PartnerResponse>,
}

/// `POST /admin/v1/partners/{id}/suspension`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspensionRequest {
    /// True suspends every app of the partner at once; false resumes.
    pub suspended: bool,
}

/// `POST /admin/v1/partners/{id}/apps`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAppRequest {
    /// The name people see on the consent page.
    pub name: String,
    /// `confidential` (has a secret) or `public`.
    pub client_type: String,
    /// 1 to 10 exact redirect URIs (https, or http on loopback).
    pub redirect_uris: Vec<String>,
    /// Where revocations are announced.
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// An app (OAuth client).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct AppResponse {
    /// `app_…`, also the OAuth `client_id`.
    pub client_id: String,
    /// `prt_…`.
    pub partner_id: String,
    /// Its name.
    pub name: String,
    /// `confidential` or `public`.
    pub client_type: String,
    /// Its redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Its webhook.
    pub webhook_url: Option<String>,
    /// The client secret: only in the response that created or rotated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// `GET /admin/v1/partners/{id}/apps`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppList {
    /// The partner's apps.
    pub items: Vec<AppResponse>,
}

/// The token endpoint's success response (RFC 6749 §5.1).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// The opaque access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The refresh token; it rotates on every use.
    pub refresh_token: String,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// An OAuth error response (RFC 6749 §5.2).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OAuthErrorResponse {
    /// The error code.
    pub error: String,
    /// A description.
    pub error_description: String,
}

/// An introspection response (RFC 7662 §2.2).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct IntrospectionResponse {
    /// Whether the token is live.
    pub active: bool,
    /// Scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The person, by app-scoped id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `access_token` or `refresh_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// A title being recommended.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TitleBody {
    /// The partner's id of the title (1 to 128 printable ASCII characters).
    pub id: String,
    /// Its name (1 to 200 characters).
    pub name: String,
    /// Where it is (absolute http(s) URL).
    pub url: String,
    /// An image (absolute http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// `POST /partner/v1/recommendations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationRequest {
    /// The title.
    pub title: TitleBody,
    /// e.g. `tv`, `mobile`, `web` (1 to 64 of a-z A-Z 0-9 _ - . :).
    pub interface: String,
    /// e.g. `title_page`, `post_play`, `browse_row`.
    pub initiation_surface: String,
    /// The implementation variant or experiment arm.
    pub variant: String,
    /// Friends, by `pu_…` id (platform recipients, up to 50).
    #[serde(default)]
    pub to: Vec<String>,
    /// How many tracked links to make for people you reach yourself (up to 100).
    #[serde(default)]
    pub external: u32,
    /// The message text (default: "Recommended: <title name>").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl RecommendationRequest {
    /// The title, the report dimensions and the friends, in domain terms.
    pub fn parts(&self) -> Result<(Title, Dimensions, Vec<AppScopedId>), ValidationError> {
        let title = Title::new(&self.title.id, &self.title.name, &self.title.url, self.title.image_url.as_deref())?;
        let dimensions = Dimensions {
            interface: Dimension::parse(&self.interface)?,
            initiation_surface: Dimension::parse(&self.initiation_surface)?,
            variant: Dimension::parse(&self.variant)?,
        };
        let to = self.to.iter().map(|r| AppScopedId::parse(r)).collect::<Result<_, _>>()?;
        Ok((title, dimensions, to))
    }
}

/// `POST /partner/v1/recommendations` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecommendationResponse {
    /// One message per friend, each card carrying that friend's tracked link.
    pub items: Vec<PartnerMessage>,
    /// One tracked link per external recipient, to pass on by your own channels.
    pub external_links: Vec<String>,
}

/// One cell of a daily report. An absent count was withheld (below the minimum count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportRow {
    /// `YYYY-MM-DD`: a day in the time zone of the partner's agreement.
    pub date: String,
    /// The interface.
    pub interface: String,
    /// The initiation surface.
    pub initiation_surface: String,
    /// The variant.
    pub variant: String,
    /// `platform` or `external`.
    pub recipient_kind: String,
    /// Recommendations sent (one per recipient).
    pub sends: Option<u64>,
    /// Recipients' clicks (once per link per day).
    pub clicks: Option<u64>,
}

/// A daily report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportResponse {
    /// The partner's slug.
    pub partner: String,
    /// The IANA time zone of the agreement: every date here is a day in it.
    pub time_zone: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// Counts from 1 to this minus one are withheld.
    pub min_count: u64,
    /// The non-empty cells, by date and dimensions.
    pub rows: Vec<ReportRow>,
}

/// `GET /admin/v1/partners/{id}/report` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
    /// `json` (default), `csv`, or `html` (a page with SVG charts).
    pub format: Option<String>,
    /// Withhold counts below this (default 10; 0 withholds nothing).
    pub min_count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::PartnerMessage;

    fn shown() -> PartnerMessage {
        PartnerMessage {
            id: "msg_2".into(),
            thread_id: "cnv_1".into(),
            sender: "pu_aaaaaaaaaaaaaaaaaaaaaa".into(),
            from_me: false,
            via_this_app: true,
            created_at: 5,
            text: Some("hi".into()),
            content_type: None,
            card: None,
            redacted: false,
            deleted: false,
        }
    }

    #[test]
    fn a_partner_message_writes_only_the_flags_that_are_set_and_reads_absent_ones_as_false() {
        let json = serde_json::to_value(shown()).unwrap();
        assert!(json.get("redacted").is_none() && json.get("deleted").is_none(), "{json}");
        assert_eq!(json["from_me"], false);
        assert_eq!(serde_json::from_value::<PartnerMessage>(json).unwrap(), shown());
        let hidden = PartnerMessage { text: None, redacted: true, ..shown() };
        let json = serde_json::to_value(&hidden).unwrap();
        assert_eq!((json["redacted"].as_bool(), json.get("deleted")), (Some(true), None));
        assert_eq!(serde_json::from_value::<PartnerMessage>(json).unwrap(), hidden);
    }
}
