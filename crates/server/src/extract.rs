//! Request extractors: the bearer session ([`Auth`]), JSON bodies and queries whose rejections
//! become problem responses, and the `Idempotency-Key` header.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use clearline_core::{CoreError, Principal, SessionToken};
use clearline_domain::IdempotencyKey;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// The signed-in person, from `Authorization: Bearer <token>`.
pub struct Auth(pub Principal);

/// Reads the bearer token from the `Authorization` header, if any (RFC 6750, by the
/// `headers` crate).
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    use axum_extra::headers::{Authorization, HeaderMapExt, authorization::Bearer};
    headers.typed_get::<Authorization<Bearer>>().map(|a| a.token().to_owned())
}

/// Checks a token string and returns the person it acts for, counting the request against
/// their allowance (429 past it).
pub async fn authenticate(state: &AppState, token: Option<&str>) -> Result<Principal, ApiError> {
    let token: SessionToken = token.and_then(|t| t.parse().ok()).ok_or(CoreError::Unauthenticated)?;
    let me = state.app.authenticate(&token).await?;
    state.app.admit(me)?;
    Ok(me)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(state, bearer(&parts.headers).as_deref()).await.map(Auth)
    }
}

/// A JSON body; a malformed or oversized one becomes a problem response.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::BytesRejection(r)) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge)
            }
            Err(e) => Err(ApiError::Malformed(e.body_text())),
        }
    }
}

/// A query string; a malformed one becomes a problem response.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(e) => Err(ApiError::Malformed(e.body_text())),
        }
    }
}

/// The optional `Idempotency-Key` header, checked.
pub struct IdempotencyHeader(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(Self(None)),
            Some(v) => {
                let text = v.to_str().map_err(|_| clearline_domain::ValidationError::IdempotencyKey)?;
                Ok(Self(Some(IdempotencyKey::parse(text)?)))
            }
        }
    }
}

/// The address of the client's connection (password attempts are counted by it). A router
/// called without a socket (in-process tests) counts every caller as the unspecified address.
pub struct ClientAddr(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        Ok(Self(peer.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))))
    }
}

/// The request's `User-Agent`, if any.
pub struct UserAgent(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)))
    }
}

/// Parses an id from a path segment; a malformed id names nothing, so it is a 404.
pub fn path_id<T: std::str::FromStr>(raw: &str, what: &'static str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found(what))
}

/// Parses an id from a body or query field; a malformed one is a validation error.
pub fn field_id<T: std::str::FromStr<Err = clearline_domain::ValidationError>>(raw: &str) -> Result<T, ApiError> {
    Ok(raw.parse()?)
}

/// The raw bearer token of a partner call, if any. Partner calls check it in the services,
/// which record an access event for every refusal, so a missing token is not rejected here.
pub struct PartnerBearer(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for PartnerBearer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(bearer(&parts.headers)))
    }
}

/// The partner a confidential app's HTTP Basic credentials belong to (partner-level calls
/// such as reports, made by the partner's servers rather than on a person's behalf).
pub struct PartnerClient(pub clearline_domain::Partner);

impl FromRequestParts<AppState> for PartnerClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = crate::routes::oauth::client_auth(&parts.headers, None).map_err(|_| CoreError::InvalidClient)?;
        Ok(Self(state.app.partner_by_client(&auth).await?))
    }
}
