//! The operator's side: who is an operator, partners, their agreements (tier, scopes, grant
//! lifetime, reporting cadence, dates, suspension) and their apps (OAuth clients, secrets
//! shown once and stored hashed, rotation).

use clearline_domain::{
    Agreement, AppId, ClientKind, MAX_REDIRECT_URIS, OrgName, Partner, PartnerApp, PartnerId, PartnerSlug, RedirectUri,
    UserId, ValidationError, WebhookUrl,
};
use clearline_store::{NewApp, NewPartner, Store, StoreError};

use crate::token::ClientSecret;
use crate::{App, CoreError, Principal};

/// Proof that the caller may act as an operator. Obtained from [`App::operator`] for a signed-in
/// operator, or from [`App::with_local_operator`] by the composition root that builds the
/// [`App`] from its store (the `clearline admin` command, run by whoever owns the data
/// directory). Nothing that only holds a shared `App` can make one.
#[derive(Debug, Clone, Copy)]
pub struct Operator(());

/// A new app's registration.
#[derive(Debug, Clone)]
pub struct AppRegistration {
    /// Its name.
    pub name: OrgName,
    /// Public or confidential.
    pub kind: ClientKind,
    /// Its exact redirect URIs.
    pub redirect_uris: Vec<RedirectUri>,
    /// Where it is told of revocations.
    pub webhook_url: Option<WebhookUrl>,
}

impl<S: Store> App<S> {
    /// The local administrator's operator proof, for the code that built this `App` and still
    /// owns it: taking `self` by value means no handler or service, which only ever see a
    /// shared `App`, can call it.
    pub fn with_local_operator(self) -> (Self, Operator) {
        (self, Operator(()))
    }

    /// The operator proof for a signed-in person, if they are one.
    pub async fn operator(&self, me: Principal) -> Result<Operator, CoreError> {
        if self.store.is_operator(me.user_id).await? { Ok(Operator(())) } else { Err(CoreError::NotOperator) }
    }

    /// Makes a person an operator.
    pub async fn grant_operator(&self, _: Operator, user: UserId) -> Result<(), CoreError> {
        CoreError::found(self.store.set_operator(user, true).await?, "person")
    }

    /// Creates a partner with its agreement.
    pub async fn create_partner(
        &self,
        _: Operator,
        slug: PartnerSlug,
        name: OrgName,
        agreement: Agreement,
    ) -> Result<Partner, CoreError> {
        agreement.validate()?;
        let new = NewPartner { slug, name, agreement, created_at: self.clock.now() };
        self.store.create_partner(new).await.map_err(|e| match e {
            StoreError::Conflict { .. } => CoreError::Conflict { reason: "a partner with this slug exists" },
            other => other.into(),
        })
    }

    /// Every partner.
    pub async fn partners(&self, _: Operator) -> Result<Vec<Partner>, CoreError> {
        Ok(self.store.partners().await?)
    }

    /// A partner by id.
    pub async fn partner(&self, _: Operator, id: PartnerId) -> Result<Partner, CoreError> {
        self.store.partner(id).await?.ok_or(CoreError::NotFound { what: "partner" })
    }

    /// A partner by slug.
    pub async fn partner_by_slug(&self, _: Operator, slug: PartnerSlug) -> Result<Partner, CoreError> {
        self.store.partner_by_slug(slug).await?.ok_or(CoreError::NotFound { what: "partner" })
    }

    /// Replaces a partner's agreement (the suspension state is kept).
    pub async fn set_agreement(
        &self,
        op: Operator,
        id: PartnerId,
        mut agreement: Agreement,
    ) -> Result<Partner, CoreError> {
        agreement.validate()?;
        agreement.suspended_at = self.partner(op, id).await?.agreement.suspended_at;
        Ok(self.store.set_agreement(id, agreement).await?)
    }

    /// Suspends (every call of the partner's apps is denied at once) or resumes a partner.
    pub async fn suspend_partner(&self, op: Operator, id: PartnerId, suspended: bool) -> Result<Partner, CoreError> {
        let mut agreement = self.partner(op, id).await?.agreement;
        agreement.suspended_at = match (suspended, agreement.suspended_at) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(self.clock.now()),
            (false, _) => None,
        };
        Ok(self.store.set_agreement(id, agreement).await?)
    }

    /// Registers an app; a confidential app's secret is returned once and stored hashed.
    pub async fn register_app(
        &self,
        _: Operator,
        partner: PartnerId,
        reg: AppRegistration,
    ) -> Result<(PartnerApp, Option<ClientSecret>), CoreError> {
        if reg.redirect_uris.is_empty() || reg.redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(ValidationError::RedirectUriCount.into());
        }
        if reg.webhook_url.as_ref().is_some_and(|u| !u.host_allowed(self.settings.allow_private_webhooks)) {
            return Err(ValidationError::WebhookTarget.into());
        }
        let secret = (reg.kind == ClientKind::Confidential).then(ClientSecret::generate);
        let app = self
            .store
            .create_app(NewApp {
                partner_id: partner,
                name: reg.name,
                kind: reg.kind,
                redirect_uris: reg.redirect_uris,
                secret_hash: secret.as_ref().map(ClientSecret::hash),
                webhook_url: reg.webhook_url,
                created_at: self.clock.now(),
            })
            .await
            .map_err(|e| CoreError::not_found_as(e, "partner"))?;
        Ok((app, secret))
    }

    /// A partner's apps.
    pub async fn apps_of(&self, op: Operator, partner: PartnerId) -> Result<Vec<PartnerApp>, CoreError> {
        self.partner(op, partner).await?;
        Ok(self.store.apps_of(partner).await?)
    }

    /// An app by id.
    pub async fn app_record(&self, id: AppId) -> Result<PartnerApp, CoreError> {
        Ok(self.store.app(id).await?.ok_or(CoreError::NotFound { what: "app" })?.app)
    }

    /// Replaces a confidential app's secret; the old one stops working at once.
    pub async fn rotate_client_secret(&self, _: Operator, app: AppId) -> Result<ClientSecret, CoreError> {
        let record = self.store.app(app).await?.ok_or(CoreError::NotFound { what: "app" })?;
        if record.app.kind != ClientKind::Confidential {
            return Err(CoreError::Unprocessable { reason: "public clients have no secret" });
        }
        let secret = ClientSecret::generate();
        self.store.set_client_secret(app, secret.hash()).await?;
        Ok(secret)
    }
}
