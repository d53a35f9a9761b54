//! `Debug` for the wire types that carry a secret (passwords, session and OAuth tokens, client
//! secrets): every other field as usual, the secret as `<redacted>`, so a logged or panicking
//! value never shows one.

use std::fmt;

use crate::{AppResponse, EventsQuery, SessionCreated, SignInRequest, SignUpRequest, TokenResponse};

const REDACTED: &str = "<redacted>";

fn redacted<T>(secret: &Option<T>) -> Option<&'static str> {
    secret.as_ref().map(|_| REDACTED)
}

impl fmt::Debug for SignUpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignUpRequest")
            .field("handle", &self.handle)
            .field("display_name", &self.display_name)
            .field("password", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInRequest").field("handle", &self.handle).field("password", &REDACTED).finish()
    }
}

impl fmt::Debug for SessionCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCreated")
            .field("token", &REDACTED)
            .field("session_id", &self.session_id)
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

impl fmt::Debug for EventsQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventsQuery")
            .field("since", &self.since)
            .field("access_token", &redacted(&self.access_token))
            .finish()
    }
}

impl fmt::Debug for AppResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppResponse")
            .field("client_id", &self.client_id)
            .field("partner_id", &self.partner_id)
            .field("name", &self.name)
            .field("client_type", &self.client_type)
            .field("redirect_uris", &self.redirect_uris)
            .field("webhook_url", &self.webhook_url)
            .field("client_secret", &redacted(&self.client_secret))
            .finish()
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &REDACTED)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &REDACTED)
            .field("scope", &self.scope)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserResponse;

    const SECRET: &str = "s3cr3t-VALUE-9f8e7d";

    #[test]
    fn no_secret_reaches_debug_output() {
        let user = UserResponse { id: "usr_1".into(), handle: "ana".into(), display_name: "Ana".into() };
        let shown = [
            format!(
                "{:?}",
                SignUpRequest { handle: "ana".into(), display_name: "Ana".into(), password: SECRET.into() }
            ),
            format!("{:?}", SignInRequest { handle: "ana".into(), password: SECRET.into() }),
            format!("{:?}", SessionCreated { token: SECRET.into(), session_id: "ses_1".into(), expires_at: 1, user }),
            format!("{:?}", EventsQuery { since: Some(3), access_token: Some(SECRET.into()) }),
            format!(
                "{:?}",
                AppResponse {
                    client_id: "app_1".into(),
                    partner_id: "prt_1".into(),
                    name: "Flix".into(),
                    client_type: "confidential".into(),
                    redirect_uris: vec![],
                    webhook_url: None,
                    client_secret: Some(SECRET.into()),
                }
            ),
            format!(
                "{:?}",
                TokenResponse {
                    access_token: SECRET.into(),
                    token_type: "Bearer".into(),
                    expires_in: 3600,
                    refresh_token: SECRET.into(),
                    scope: "inbox:read".into(),
                }
            ),
        ];
        for text in shown {
            assert!(!text.contains(SECRET) && text.contains(REDACTED), "{text}");
        }
    }
}
