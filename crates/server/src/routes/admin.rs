//! `/admin/v1`: the operator's API for partners, agreements, suspension and apps. Every
//! handler first turns the session into an operator proof; the rules live in
//! `clearline_core::partners`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use clearline_api_types::{
    AgreementBody, AppList, AppResponse, CreatePartnerRequest, PartnerList, PartnerResponse, Problem,
    RegisterAppRequest, SuspensionRequest,
};
use clearline_core::ClientSecret;
use clearline_core::partners::AppRegistration;
use clearline_domain::{
    Agreement, AppId, ClientKind, OrgName, Partner, PartnerApp, PartnerId, PartnerSlug, RedirectUri, ReportZone,
    Scopes, Tier, Timestamp, ValidationError, WebhookUrl,
};

use crate::error::ApiError;
use crate::extract::{ApiJson, Auth, path_id};
use crate::state::AppState;

/// An agreement from the wire.
pub fn agreement(b: &AgreementBody) -> Result<Agreement, ValidationError> {
    Ok(Agreement {
        tier: Tier::from_name(&b.tier).ok_or(ValidationError::Tier)?,
        scopes: Scopes::parse(&b.scopes)?,
        max_grant_days: b.max_grant_days,
        report_cadence_days: b.report_cadence_days,
        time_zone: ReportZone::parse(&b.time_zone)?,
        effective_from: Timestamp::from_millis(b.effective_from),
        effective_until: b.effective_until.map(Timestamp::from_millis),
        suspended_at: None,
    })
}

fn partner_response(p: &Partner) -> PartnerResponse {
    let a = &p.agreement;
    PartnerResponse {
        id: p.id.to_string(),
        slug: p.slug.as_str().to_owned(),
        name: p.name.as_str().to_owned(),
        agreement: AgreementBody {
            tier: a.tier.as_str().to_owned(),
            scopes: a.scopes.to_string(),
            max_grant_days: a.max_grant_days,
            report_cadence_days: a.report_cadence_days,
            time_zone: a.time_zone.name().to_owned(),
            effective_from: a.effective_from.millis(),
            effective_until: a.effective_until.map(Timestamp::millis),
            suspended_at: a.suspended_at.map(Timestamp::millis),
        },
        created_at: p.created_at.millis(),
    }
}

/// An app on the wire, with its secret when it was just created or rotated.
pub fn app_response(a: &PartnerApp, secret: Option<&ClientSecret>) -> AppResponse {
    AppResponse {
        client_id: a.id.to_string(),
        partner_id: a.partner_id.to_string(),
        name: a.name.as_str().to_owned(),
        client_type: a.kind.as_str().to_owned(),
        redirect_uris: a.redirect_uris.iter().map(|u| u.as_str().to_owned()).collect(),
        webhook_url: a.webhook_url.as_ref().map(|u| u.as_str().to_owned()),
        client_secret: secret.map(ClientSecret::expose),
    }
}

/// An app registration from the wire.
pub fn registration(r: &RegisterAppRequest) -> Result<AppRegistration, ValidationError> {
    Ok(AppRegistration {
        name: OrgName::parse(&r.name)?,
        kind: ClientKind::from_name(&r.client_type).ok_or(ValidationError::ClientKind)?,
        redirect_uris: r.redirect_uris.iter().map(|u| RedirectUri::parse(u)).collect::<Result<_, _>>()?,
        webhook_url: r.webhook_url.as_deref().map(WebhookUrl::parse).transpose()?,
    })
}

/// GET /admin/v1/partners: every partner.
#[utoipa::path(get, path = "/admin/v1/partners", tag = "admin", security(("session" = [])),
    responses((status = 200, body = PartnerList), (status = 403, body = Problem)))]
pub async fn partners(State(s): State<AppState>, Auth(me): Auth) -> Result<Json<PartnerList>, ApiError> {
    let op = s.app.operator(me).await?;
    Ok(Json(PartnerList { items: s.app.partners(op).await?.iter().map(partner_response).collect() }))
}

/// POST /admin/v1/partners: create a partner with its agreement.
#[utoipa::path(post, path = "/admin/v1/partners", tag = "admin", security(("session" = [])),
    request_body = CreatePartnerRequest,
    responses((status = 201, body = PartnerResponse), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_partner(
    State(s): State<AppState>,
    Auth(me): Auth,
    ApiJson(req): ApiJson<CreatePartnerRequest>,
) -> Result<(StatusCode, Json<PartnerResponse>), ApiError> {
    let op = s.app.operator(me).await?;
    let (slug, name) = (PartnerSlug::parse(&req.slug)?, OrgName::parse(&req.name)?);
    let p = s.app.create_partner(op, slug, name, agreement(&req.agreement)?).await?;
    Ok((StatusCode::CREATED, Json(partner_response(&p))))
}

/// PUT /admin/v1/partners/{id}/agreement: replace the agreement (suspension is kept).
#[utoipa::path(put, path = "/admin/v1/partners/{id}/agreement", tag = "admin", security(("session" = [])),
    params(("id" = String, Path)), request_body = AgreementBody,
    responses((status = 200, body = PartnerResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_agreement(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AgreementBody>,
) -> Result<Json<PartnerResponse>, ApiError> {
    let op = s.app.operator(me).await?;
    let id: PartnerId = path_id(&id, "partner")?;
    Ok(Json(partner_response(&s.app.set_agreement(op, id, agreement(&req)?).await?)))
}

/// PUT /admin/v1/partners/{id}/suspension: suspend (every call of its apps denied at once) or resume.
#[utoipa::path(put, path = "/admin/v1/partners/{id}/suspension", tag = "admin", security(("session" = [])),
    params(("id" = String, Path)), request_body = SuspensionRequest,
    responses((status = 200, body = PartnerResponse), (status = 404, body = Problem)))]
pub async fn suspend(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SuspensionRequest>,
) -> Result<Json<PartnerResponse>, ApiError> {
    let op = s.app.operator(me).await?;
    let id: PartnerId = path_id(&id, "partner")?;
    Ok(Json(partner_response(&s.app.suspend_partner(op, id, req.suspended).await?)))
}

/// GET /admin/v1/partners/{id}/apps: a partner's apps.
#[utoipa::path(get, path = "/admin/v1/partners/{id}/apps", tag = "admin", security(("session" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AppList), (status = 404, body = Problem)))]
pub async fn apps(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<Json<AppList>, ApiError> {
    let op = s.app.operator(me).await?;
    let id: PartnerId = path_id(&id, "partner")?;
    Ok(Json(AppList { items: s.app.apps_of(op, id).await?.iter().map(|a| app_response(a, None)).collect() }))
}

/// POST /admin/v1/partners/{id}/apps: register an app; a confidential app's secret is shown once.
#[utoipa::path(post, path = "/admin/v1/partners/{id}/apps", tag = "admin", security(("session" = [])),
    params(("id" = String, Path)), request_body = RegisterAppRequest,
    responses((status = 201, body = AppResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn register_app(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RegisterAppRequest>,
) -> Result<(StatusCode, Json<AppResponse>), ApiError> {
    let op = s.app.operator(me).await?;
    let id: PartnerId = path_id(&id, "partner")?;
    let (app, secret) = s.app.register_app(op, id, registration(&req)?).await?;
    Ok((StatusCode::CREATED, Json(app_response(&app, secret.as_ref()))))
}

/// POST /admin/v1/apps/{id}/secret: rotate a confidential app's secret; the old one stops at once.
#[utoipa::path(post, path = "/admin/v1/apps/{id}/secret", tag = "admin", security(("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AppResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn rotate_secret(
    State(s): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
) -> Result<Json<AppResponse>, ApiError> {
    let op = s.app.operator(me).await?;
    let id: AppId = path_id(&id, "app")?;
    let secret = s.app.rotate_client_secret(op, id).await?;
    let record = s.app.app_record(id).await?;
    Ok(Json(app_response(&record, Some(&secret))))
}
