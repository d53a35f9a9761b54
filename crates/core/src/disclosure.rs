//! What people are told and what they control: which apps can read each conversation and who
//! allowed them, Connected apps (list, revoke), the read policy for friends' apps, app blocks,
//! and the person's own access history. Revocations are announced to the app's webhook
//! through a feed the server drains.

use clearline_domain::policy::{self, ReadAccess, Standing};
use clearline_domain::{
    AccessEvent, AccessEventId, AppId, AppScopedId, Conversation, GrantId, OrgName, Page, ReadPolicy, Scope, Timestamp,
    UserId, WebhookUrl,
};
use clearline_store::{AccessFilter, AppRecord, GrantView, Store};

use crate::{App, CoreError, Principal};

/// An app that can read a conversation, and who allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppReader {
    /// The app.
    pub app_id: AppId,
    /// The app's name.
    pub app_name: OrgName,
    /// The partner's name.
    pub partner_name: OrgName,
    /// The member whose grant allows it.
    pub allowed_by: UserId,
    /// Whether through whole-inbox reading (`inbox:read_all`) rather than as the app thread's app.
    pub whole_inbox: bool,
}

/// What every member is told about a conversation.
#[derive(Debug, Clone, Default)]
pub struct Disclosure {
    /// The apps that can read it.
    pub readable_by: Vec<AppReader>,
    /// For app threads: the app that started it.
    pub started_by: Option<(AppId, OrgName)>,
}

/// A revoked grant whose app asked to be told.
#[derive(Debug, Clone)]
pub struct RevocationNotice {
    /// The app.
    pub app_id: AppId,
    /// Where to tell it.
    pub webhook_url: WebhookUrl,
    /// The grant.
    pub grant_id: GrantId,
    /// The person, by the app's id for them.
    pub subject: AppScopedId,
    /// When.
    pub revoked_at: Timestamp,
}

impl<S: Store> App<S> {
    /// Which apps can read a conversation (for its members), and which app started it.
    pub async fn disclosure(&self, conversation: &Conversation) -> Result<Disclosure, CoreError> {
        let now = self.clock.now();
        let mut out = Disclosure::default();
        for (grant, app) in self.store.member_grants(conversation.id, now).await? {
            let own_thread = conversation.app_id == Some(app.app.id);
            if own_thread && out.started_by.is_none() {
                out.started_by = Some((app.app.id, app.app.name.clone()));
            }
            // The same decision the partner API makes when the app asks.
            let reports_overdue =
                grant.scopes.iter().any(Scope::extended_only) && self.extended_suspended(&app.partner).await?;
            let standing = Standing { grant: &grant, agreement: &app.partner.agreement, reports_overdue };
            if let Ok(access) = policy::read_conversation(standing, own_thread, now) {
                out.readable_by.push(AppReader {
                    app_id: app.app.id,
                    app_name: app.app.name,
                    partner_name: app.partner.name,
                    allowed_by: grant.user_id,
                    whole_inbox: access == ReadAccess::WholeInbox,
                });
            }
        }
        if let (None, Some(app)) = (&out.started_by, conversation.app_id)
            && let Some(r) = self.store.app(app).await?
        {
            out.started_by = Some((r.app.id, r.app.name));
        }
        Ok(out)
    }

    /// My live grants (Connected apps), newest first.
    pub async fn connected_apps(&self, me: Principal) -> Result<Vec<GrantView>, CoreError> {
        Ok(self.store.grants_of(me.user_id, self.clock.now()).await?)
    }

    /// Revokes one of my grants: its tokens stop working on the very next call.
    pub async fn revoke_connected_app(&self, me: Principal, id: GrantId) -> Result<(), CoreError> {
        let grant = self.store.revoke_grant(id, Some(me.user_id), self.clock.now()).await?;
        let grant = grant.ok_or(CoreError::NotFound { what: "grant" })?;
        self.notify_revoked(&grant).await;
        Ok(())
    }

    /// Queues a revocation notice if the grant's app registered a webhook.
    pub(crate) async fn notify_revoked(&self, grant: &clearline_domain::Grant) {
        let Ok(Some(app)) = self.store.app(grant.app_id).await else { return };
        let Some(webhook_url) = app.app.webhook_url else { return };
        let Ok(key) = self.scoped_ids().await else { return };
        let notice = RevocationNotice {
            app_id: app.app.id,
            webhook_url,
            grant_id: grant.id,
            subject: key.derive(app.partner.id, grant.user_id),
            revoked_at: self.clock.now(),
        };
        // Nobody draining the feed (tools, tests) is not an error.
        let _ = self.revocations.send(notice);
    }

    /// My setting for friends' apps.
    pub async fn read_policy(&self, me: Principal) -> Result<ReadPolicy, CoreError> {
        let found = self.store.read_policies(None, vec![me.user_id]).await?;
        Ok(found.into_iter().next().map(|r| r.policy).unwrap_or_default())
    }

    /// Changes my setting for friends' apps.
    pub async fn set_read_policy(&self, me: Principal, policy: ReadPolicy) -> Result<(), CoreError> {
        Ok(self.store.set_read_policy(me.user_id, policy).await?)
    }

    /// Blocks (or unblocks) an app for me: it can no longer act for me (my own grants to it
    /// are revoked with their tokens, and it cannot be connected again while blocked), send to
    /// me or list me, and my messages are redacted for it everywhere. Unblocking restores
    /// nothing: the app must ask for consent again.
    pub async fn set_app_block(&self, me: Principal, app: AppId, blocked: bool) -> Result<(), CoreError> {
        if self.store.app(app).await?.is_none() {
            return Err(CoreError::NotFound { what: "app" });
        }
        let revoked = self.store.set_app_block(me.user_id, app, blocked, self.clock.now()).await?;
        for grant in &revoked {
            self.notify_revoked(grant).await;
        }
        Ok(())
    }

    /// Whether I blocked this app.
    pub async fn app_blocked(&self, me: Principal, app: AppId) -> Result<bool, CoreError> {
        Ok(!self.store.app_blockers(app, vec![me.user_id]).await?.is_empty())
    }

    /// The apps I blocked.
    pub async fn blocked_apps(&self, me: Principal) -> Result<Vec<AppRecord>, CoreError> {
        Ok(self.store.blocked_apps(me.user_id).await?)
    }

    /// Every partner call about me, newest first.
    pub async fn access_history(
        &self,
        me: Principal,
        before: Option<AccessEventId>,
        limit: u32,
    ) -> Result<Page<AccessEvent>, CoreError> {
        Ok(self.store.access_events(AccessFilter::Person(me.user_id), before, limit).await?)
    }
}
