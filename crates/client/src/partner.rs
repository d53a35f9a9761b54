//! Partner platform calls: the partner API (`/partner/v1`, made with an OAuth access token as
//! the client's token), a person's app controls (`/v1/connected-apps`, settings, app blocks,
//! access log) and the operator's admin API (`/admin/v1`).

use clearline_api_types::*;
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    // The partner API; the client's token is an access token.

    /// GET /partner/v1/me.
    pub async fn partner_me(&self) -> Result<PartnerPerson> {
        self.get("/partner/v1/me").await
    }

    /// GET /partner/v1/friends.
    pub async fn partner_friends(&self) -> Result<PartnerFriends> {
        self.get("/partner/v1/friends").await
    }

    /// POST /partner/v1/messages.
    pub async fn partner_send(&self, req: &PartnerSendRequest) -> Result<PartnerSent> {
        Ok(self.post("/partner/v1/messages", req).await?.1)
    }

    /// GET /partner/v1/threads.
    pub async fn partner_threads(&self) -> Result<PartnerThreadPage> {
        self.get("/partner/v1/threads").await
    }

    /// GET /partner/v1/conversations.
    pub async fn partner_conversations(&self) -> Result<PartnerThreadPage> {
        self.get("/partner/v1/conversations").await
    }

    /// GET /partner/v1/threads/{id}/messages.
    pub async fn partner_messages(&self, thread_id: &str) -> Result<PartnerMessagePage> {
        self.get(&format!("/partner/v1/threads/{thread_id}/messages")).await
    }

    /// DELETE /partner/v1/messages/{id}.
    pub async fn partner_delete(&self, message_id: &str) -> Result<PartnerMessage> {
        Ok(self.send(self.request(Method::DELETE, &format!("/partner/v1/messages/{message_id}"))).await?.1)
    }

    /// POST /partner/v1/recommendations.
    pub async fn partner_recommend(&self, req: &RecommendationRequest) -> Result<RecommendationResponse> {
        Ok(self.post("/partner/v1/recommendations", req).await?.1)
    }

    /// GET /partner/v1/access-log.
    pub async fn partner_access_log(&self) -> Result<AccessEventPage> {
        self.get("/partner/v1/access-log").await
    }

    /// GET /partner/v1/access-log/{id}/proof.
    pub async fn partner_access_proof(&self, id: &str) -> Result<AccessProofResponse> {
        self.get(&format!("/partner/v1/access-log/{id}/proof")).await
    }

    // A person's controls.

    /// GET /v1/connected-apps.
    pub async fn connected_apps(&self) -> Result<ConnectedApps> {
        self.get("/v1/connected-apps").await
    }

    /// DELETE /v1/connected-apps/{grant_id}.
    pub async fn revoke_connected_app(&self, grant_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/connected-apps/{grant_id}"))).await
    }

    /// GET /v1/connected-apps/{grant_id}/receipt.
    pub async fn consent_receipt(&self, grant_id: &str) -> Result<ReceiptResponse> {
        self.get(&format!("/v1/connected-apps/{grant_id}/receipt")).await
    }

    /// GET /v1/settings.
    pub async fn settings(&self) -> Result<Settings> {
        self.get("/v1/settings").await
    }

    /// PUT /v1/settings with `apps_may_read_my_messages`.
    pub async fn set_app_read_policy(&self, policy: &str) -> Result<Settings> {
        let body = Settings { apps_may_read_my_messages: policy.to_owned() };
        Ok(self.send(self.request(Method::PUT, "/v1/settings").json(&body)).await?.1)
    }

    /// PUT /v1/blocked-apps/{app_id}.
    pub async fn block_app(&self, app_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::PUT, &format!("/v1/blocked-apps/{app_id}"))).await
    }

    /// DELETE /v1/blocked-apps/{app_id}.
    pub async fn unblock_app(&self, app_id: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &format!("/v1/blocked-apps/{app_id}"))).await
    }

    /// GET /v1/access-log/{id}/proof.
    pub async fn access_proof(&self, id: &str) -> Result<AccessProofResponse> {
        self.get(&format!("/v1/access-log/{id}/proof")).await
    }

    /// GET /v1/access-log.
    pub async fn access_log(&self) -> Result<AccessEventPage> {
        self.get("/v1/access-log").await
    }

    // The admin API; the client's token is an operator's session.

    /// POST /admin/v1/partners.
    pub async fn create_partner(&self, req: &CreatePartnerRequest) -> Result<PartnerResponse> {
        Ok(self.post("/admin/v1/partners", req).await?.1)
    }

    /// PUT /admin/v1/partners/{id}/suspension.
    pub async fn suspend_partner(&self, partner_id: &str, suspended: bool) -> Result<PartnerResponse> {
        let req = self
            .request(Method::PUT, &format!("/admin/v1/partners/{partner_id}/suspension"))
            .json(&SuspensionRequest { suspended });
        Ok(self.send(req).await?.1)
    }

    /// PUT /admin/v1/partners/{id}/agreement.
    pub async fn set_agreement(&self, partner_id: &str, agreement: &AgreementBody) -> Result<PartnerResponse> {
        let req = self.request(Method::PUT, &format!("/admin/v1/partners/{partner_id}/agreement")).json(agreement);
        Ok(self.send(req).await?.1)
    }

    /// POST /admin/v1/partners/{id}/apps.
    pub async fn register_app(&self, partner_id: &str, req: &RegisterAppRequest) -> Result<AppResponse> {
        Ok(self.post(&format!("/admin/v1/partners/{partner_id}/apps"), req).await?.1)
    }

    /// GET /admin/v1/partners/{id}/report as JSON.
    pub async fn partner_report(&self, partner_id: &str, query: &ReportQuery) -> Result<ReportResponse> {
        let q = ReportQuery { format: Some("json".to_owned()), ..query.clone() };
        let req = self.request(Method::GET, &format!("/admin/v1/partners/{partner_id}/report")).query(&q);
        Ok(self.send(req).await?.1)
    }

    /// GET /admin/v1/partners/{id}/report as CSV.
    pub async fn partner_report_csv(&self, partner_id: &str, query: &ReportQuery) -> Result<String> {
        let q = ReportQuery { format: Some("csv".to_owned()), ..query.clone() };
        let req = self.request(Method::GET, &format!("/admin/v1/partners/{partner_id}/report")).query(&q);
        self.send_for_text(req).await
    }

    /// GET /admin/v1/partners/{id}/obligations.
    pub async fn report_obligations(&self, partner_id: &str) -> Result<ObligationsResponse> {
        self.get(&format!("/admin/v1/partners/{partner_id}/obligations")).await
    }

    /// GET /admin/v1/partners/{id}/reports/{from}/reconciliation (the latest version).
    pub async fn reconciliation(&self, partner_id: &str, from: &str) -> Result<ReconciliationResponse> {
        self.get(&format!("/admin/v1/partners/{partner_id}/reports/{from}/reconciliation")).await
    }

    /// POST /admin/v1/apps/{id}/secret.
    pub async fn rotate_client_secret(&self, app_id: &str) -> Result<AppResponse> {
        Ok(self.send(self.request(Method::POST, &format!("/admin/v1/apps/{app_id}/secret"))).await?.1)
    }
}
