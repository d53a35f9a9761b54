//! The URL map: every route of the API, registered once together with its OpenAPI operation.
//! Files mirror URLs; handlers extract, call the services, convert.

mod accounts;
mod admin;
pub(crate) mod apps;
pub(crate) mod conversations;
mod events;
mod log;
pub(crate) mod messages;
pub(crate) mod oauth;
mod openapi;
mod ops;
mod partner;
pub mod recommendations;
mod reports;
mod social;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The largest request body accepted, in bytes (256 KiB: a 64 KiB message body in base64 with
/// room for JSON escaping).
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(OpenApi)]
#[openapi(
    paths(oauth::metadata, oauth::authorize, oauth::decide, oauth::sign_in, oauth::token, oauth::revoke,
          oauth::introspect, recommendations::follow, log::checkpoint, log::key, log::tile),
    info(title = "Clearline API", description = "People, friends, conversations and realtime messages. Errors are RFC 9457 problem details."),
    modifiers(&BearerAuth),
    tags((name = "accounts"), (name = "social"), (name = "conversations"), (name = "messages"), (name = "events"),
         (name = "apps", description = "A person's connected apps, app settings, app blocks and access history"),
         (name = "partner", description = "The partner Inbox API, called with an OAuth access token (see /.well-known/oauth-authorization-server)"),
         (name = "admin", description = "Operators: partners, agreements, apps, reports"),
         (name = "reports", description = "Partner reports: hand in, obligations, the platform's counts; HTTP Basic with a confidential app's client id and secret"),
         (name = "oauth", description = "OAuth 2 authorization server (RFC 6749, 7636, 7009, 7662, 8414); errors in RFC 6749's shape"),
         (name = "log", description = "The transparency log as C2SP tlog-tiles"), (name = "ops"))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "client",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("A confidential app's client id and secret"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("OAuth access token (oat_…)"))
                    .build(),
            ),
        );
    }
}

/// The served OpenAPI document: the generated one, completed with every implied answer.
fn document(doc: &OpenApiDoc) -> String {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    openapi::complete(&mut value);
    value.to_string()
}

/// The operations listener's router: `/metrics` (Prometheus), kept off the public API.
pub fn operations_router(state: AppState) -> Router {
    Router::new().route("/metrics", axum::routing::get(ops::metrics)).fallback(ops::not_found).with_state(state)
}

/// The whole router and the OpenAPI document generated from it.
pub fn router(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::sign_up))
        .routes(routes!(accounts::sign_in, accounts::list_sessions))
        .routes(routes!(accounts::revoke_session))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::search))
        .routes(routes!(social::friends))
        .routes(routes!(social::remove_friend))
        .routes(routes!(social::friend_requests, social::send_friend_request))
        .routes(routes!(social::cancel_friend_request))
        .routes(routes!(social::accept_friend_request))
        .routes(routes!(social::decline_friend_request))
        .routes(routes!(social::blocks))
        .routes(routes!(social::block, social::unblock))
        .routes(routes!(conversations::inbox, conversations::create))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::add_members))
        .routes(routes!(conversations::remove_member))
        .routes(routes!(messages::list, messages::send))
        .routes(routes!(messages::delete))
        .routes(routes!(messages::mark_read))
        .routes(routes!(events::events))
        .routes(routes!(apps::connected_apps))
        .routes(routes!(apps::revoke))
        .routes(routes!(apps::receipt))
        .routes(routes!(apps::settings, apps::put_settings))
        .routes(routes!(apps::blocked_apps))
        .routes(routes!(apps::block_app, apps::unblock_app))
        .routes(routes!(apps::access_log))
        .routes(routes!(apps::access_proof))
        .routes(routes!(partner::me))
        .routes(routes!(partner::friends))
        .routes(routes!(partner::send))
        .routes(routes!(partner::threads))
        .routes(routes!(partner::conversations))
        .routes(routes!(partner::messages))
        .routes(routes!(partner::delete))
        .routes(routes!(partner::access_log))
        .routes(routes!(partner::access_proof))
        .routes(routes!(recommendations::recommend))
        .routes(routes!(recommendations::report))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(reports::submit, reports::partner_obligations))
                .layer(DefaultBodyLimit::max(reports::REPORT_BODY_LIMIT)),
        )
        .routes(routes!(reports::platform))
        .routes(routes!(reports::admin_obligations))
        .routes(routes!(reports::reconciliation))
        .routes(routes!(admin::partners, admin::create_partner))
        .routes(routes!(admin::set_agreement))
        .routes(routes!(admin::suspend))
        .routes(routes!(admin::apps, admin::register_app))
        .routes(routes!(admin::rotate_secret))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .split_for_parts();
    let doc: std::sync::Arc<str> = document(&doc).into();
    api.route("/openapi.json", axum::routing::get(move || ops::openapi(doc.clone())))
        .route("/.well-known/oauth-authorization-server", axum::routing::get(oauth::metadata))
        .route("/oauth/authorize", axum::routing::get(oauth::authorize).post(oauth::decide))
        .route("/oauth/sign-in", axum::routing::post(oauth::sign_in))
        .route("/r/{code}", axum::routing::get(recommendations::follow))
        .route("/log/checkpoint", axum::routing::get(log::checkpoint))
        .route("/log/key", axum::routing::get(log::key))
        .route("/log/tile/{*path}", axum::routing::get(log::tile))
        .route("/oauth/token", axum::routing::post(oauth::token))
        .route("/oauth/revoke", axum::routing::post(oauth::revoke))
        .route("/oauth/introspect", axum::routing::post(oauth::introspect))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        // Inside the router, so the span names the matched route template.
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(crate::metrics::request_span))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::admission::admit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::error::uniform_errors))
        .with_state(state)
}
