//! A person's controls over partner apps: Connected apps (`/v1/connected-apps`), the read
//! policy for friends' apps (`/v1/settings`), app blocks (`/v1/blocked-apps`) and the record
//! of every partner call about them (`/v1/access-log`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use clearline_api_types::{
    AccessEventPage, AccessEventResponse, AccessProofResponse, AppRef, BeforeQuery, BlockedApps, ConnectedApp,
    ConnectedApps, ConversationResponse, Problem, ReadableBy, ReceiptResponse, ScopeDescription, Settings,
};
use clearline_core::disclosure::Disclosure;
use clearline_domain::{
    AccessEvent, AccessEventId, AccessOutcome, AppId, Conversation, GrantId, MAX_PAGE_LIMIT, Page, ReadPolicy, Scope,
    Scopes, ValidationError,
};

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth, path_id};
use crate::state::AppState;

/// A conversation with what its members are told about apps.
pub(crate) fn conversation_response(c: &Conversation, d: Disclosure) -> ConversationResponse {
    let mut out = ConversationResponse::from(c);
    out.started_by_app =
        d.started_by.map(|(id, name)| AppRef { app_id: id.to_string(), name: name.as_str().to_owned() });
    out.readable_by = d
        .readable_by
        .into_iter()
        .map(|r| ReadableBy {
            app_id: r.app_id.to_string(),
            app_name: r.app_name.as_str().to_owned(),
            partner_name: r.partner_name.as_str().to_owned(),
            allowed_by: r.allowed_by.to_string(),
            scope: if r.whole_inbox { Scope::InboxReadAll } else { Scope::InboxRead }.as_str().to_owned(),
        })
        .collect();
    out
}

/// Scopes in plain words.
pub(crate) fn describe(scopes: Scopes) -> Vec<ScopeDescription> {
    scopes
        .iter()
        .map(|s| ScopeDescription { scope: s.as_str().to_owned(), description: s.describe().to_owned() })
        .collect()
}

/// A page of access events on the wire.
pub(crate) fn access_page(page: Page<AccessEvent>) -> AccessEventPage {
    let next = if page.has_more { page.items.last().map(|e| e.id.to_string()) } else { None };
    let items = page
        .items
        .into_iter()
        .map(|e| {
            let (outcome, reason) = match e.event.outcome {
                AccessOutcome::Allowed => ("allowed", None),
                AccessOutcome::Denied(r) => ("denied", Some(r.as_str().to_owned())),
            };
            AccessEventResponse {
                id: e.id.to_string(),
                at: e.event.at.millis(),
                app_id: e.event.app_id.map(|a| a.to_string()),
                action: e.event.action.as_str().to_owned(),
                resources: e.event.resources,
                outcome: outcome.to_owned(),
                reason,
                leaf_index: e.leaf_index,
                salt: base64::engine::general_purpose::STANDARD.encode(e.event.salt),
            }
        })
        .collect();
    AccessEventPage { items, next }
}

/// GET /v1/connected-apps: my live grants.
#[utoipa::path(get, path = "/v1/connected-apps", tag = "apps", security(("session" = [])),
    responses((status = 200, body = ConnectedApps), (status = 401, body = Problem)))]
pub async fn connected_apps(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<ConnectedApps>, ApiError> {
    let items = s
        .app
        .connected_apps(me)
        .await?
        .into_iter()
        .map(|g| ConnectedApp {
            grant_id: g.grant.id.to_string(),
            app_id: g.app.id.to_string(),
            app_name: g.app.name.as_str().to_owned(),
            partner_name: g.partner_name.as_str().to_owned(),
            scopes: describe(g.grant.scopes),
            created_at: g.grant.created_at.millis(),
            last_used_at: g.grant.last_used_at.map(|t| t.millis()),
            expires_at: g.grant.expires_at.millis(),
        })
        .collect();
    Ok(Json(ConnectedApps { items }))
}

/// DELETE /v1/connected-apps/{grant_id}: revoke a grant; its tokens fail on their next call.
#[utoipa::path(delete, path = "/v1/connected-apps/{grant_id}", tag = "apps", security(("session" = [])),
    params(("grant_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke(State(s): State<AppState>, Auth(me): Auth, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id: GrantId = path_id(&id, "grant")?;
    s.app.revoke_connected_app(me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /v1/connected-apps/{grant_id}/receipt: the signed consent receipt of one of my grants.
#[utoipa::path(get, path = "/v1/connected-apps/{grant_id}/receipt", tag = "apps", security(("session" = [])),
    params(("grant_id" = String, Path)), responses((status = 200, body = ReceiptResponse), (status = 404, body = Problem)))]
pub async fn receipt(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<Json<ReceiptResponse>, ApiError> {
    let id: GrantId = path_id(&id, "grant")?;
    let (receipt, jws) = s.app.consent_receipt(me, id, &s.issuer).await?;
    let public_key = s.app.server_key().map(|k| k.public_key()).unwrap_or_default();
    Ok(Json(ReceiptResponse { receipt: serde_json::to_value(receipt).unwrap_or_default(), jws, public_key }))
}

/// GET /v1/settings: my settings.
#[utoipa::path(get, path = "/v1/settings", tag = "apps", security(("session" = [])),
    responses((status = 200, body = Settings), (status = 401, body = Problem)))]
pub async fn settings(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<Settings>, ApiError> {
    let policy = s.app.read_policy(me).await?;
    Ok(Json(Settings { apps_may_read_my_messages: policy.as_str().to_owned() }))
}

/// PUT /v1/settings: change my settings.
#[utoipa::path(put, path = "/v1/settings", tag = "apps", security(("session" = [])), request_body = Settings,
    responses((status = 200, body = Settings), (status = 422, body = Problem)))]
pub async fn put_settings(
    State(s): State<AppState>,
    Auth(me): Auth,
    ApiJson(req): ApiJson<Settings>,
) -> Result<Json<Settings>, ApiError> {
    let policy = ReadPolicy::from_name(&req.apps_may_read_my_messages).ok_or(ValidationError::ReadPolicy)?;
    s.app.set_read_policy(me, policy).await?;
    Ok(Json(req))
}

/// GET /v1/blocked-apps: the apps I blocked.
#[utoipa::path(get, path = "/v1/blocked-apps", tag = "apps", security(("session" = [])),
    responses((status = 200, body = BlockedApps), (status = 401, body = Problem)))]
pub async fn blocked_apps(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<BlockedApps>, ApiError> {
    let items = s.app.blocked_apps(me).await?;
    let items = items
        .into_iter()
        .map(|r| AppRef { app_id: r.app.id.to_string(), name: r.app.name.as_str().to_owned() })
        .collect();
    Ok(Json(BlockedApps { items }))
}

/// PUT /v1/blocked-apps/{app_id}: block an app. It can no longer act for me (my own grants to it are
/// revoked with their tokens, and it cannot be connected again until I unblock it), message me,
/// list me or read my messages. Unblocking restores no grant: the app must ask again.
#[utoipa::path(put, path = "/v1/blocked-apps/{app_id}", tag = "apps", security(("session" = [])),
    params(("app_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn block_app(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: AppId = path_id(&id, "app")?;
    s.app.set_app_block(me, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// DELETE /v1/blocked-apps/{app_id}: lift an app block.
#[utoipa::path(delete, path = "/v1/blocked-apps/{app_id}", tag = "apps", security(("session" = [])),
    params(("app_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn unblock_app(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: AppId = path_id(&id, "app")?;
    s.app.set_app_block(me, id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /v1/access-log: every partner call about me, allowed or denied, newest first.
#[utoipa::path(get, path = "/v1/access-log", tag = "apps", security(("session" = [])), params(BeforeQuery),
    responses((status = 200, body = AccessEventPage), (status = 401, body = Problem)))]
pub async fn access_log(
    State(s): State<AppState>,
    Auth(me): Auth,
    ApiQuery(q): ApiQuery<BeforeQuery>,
) -> Result<Json<AccessEventPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(ValidationError::PageLimit.into());
    }
    let before: Option<AccessEventId> = q.before.as_deref().map(str::parse).transpose()?;
    Ok(Json(access_page(s.app.access_history(me, before, limit).await?)))
}

/// GET /v1/access-log/{id}/proof: an event about me with its salt and inclusion proof.
#[utoipa::path(get, path = "/v1/access-log/{id}/proof", tag = "apps", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AccessProofResponse), (status = 404, body = Problem)))]
pub async fn access_proof(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<Json<AccessProofResponse>, ApiError> {
    let id: AccessEventId = path_id(&id, "access event")?;
    Ok(Json(proof_response(s.app.access_proof(me, id).await?)))
}

/// An event's proof on the wire.
pub(crate) fn proof_response(p: clearline_core::transparency::EventProof) -> AccessProofResponse {
    AccessProofResponse {
        event: String::from_utf8_lossy(&p.canonical).into_owned(),
        salt: base64::engine::general_purpose::STANDARD.encode(p.salt),
        tlog_proof: p.proof.map(|b| String::from_utf8_lossy(&b).into_owned()),
    }
}
