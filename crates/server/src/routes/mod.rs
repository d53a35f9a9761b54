//! The URL map: every route of the API, registered once together with its OpenAPI operation.
//! Files mirror URLs; handlers extract, call the services, convert.

mod accounts;
mod conversations;
mod events;
mod messages;
mod ops;
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
    info(title = "Clearline API", description = "People, friends, conversations and realtime messages. Errors are RFC 9457 problem details."),
    modifiers(&BearerAuth),
    tags((name = "accounts"), (name = "social"), (name = "conversations"), (name = "messages"), (name = "events"), (name = "ops"))
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
    }
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
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .split_for_parts();
    let doc: std::sync::Arc<str> = doc.to_json().unwrap_or_default().into();
    api.route("/openapi.json", axum::routing::get(move || ops::openapi(doc.clone())))
        .route("/metrics", axum::routing::get(ops::metrics))
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
