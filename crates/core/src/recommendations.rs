//! Recommendations and their reports: an app recommends a title to friends (each gets a card
//! in the app thread with their own tracked link) and asks for links for people it reaches
//! itself; following a link counts a click once per link per day; daily counts by dimension are
//! kept as this happens, and reports read only those counts, suppressing small cells.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearline_domain::{
    AccessAction, AppScopedId, Card, ContentType, Dimensions, MAX_EXTERNAL_RECIPIENTS, MAX_RECIPIENTS, MessageContent,
    PartnerId, RecipientKind, Scope, Title, ValidationError,
};
use clearline_store::{AppSend, CountRow, NewRecommendation, Store};
use sha2::{Digest, Sha256};

use crate::partner_access::{AppMessage, Need, check_send};
use crate::partners::Operator;
use crate::{App, CoreError};

/// How long a tracked link works, in days.
pub const LINK_TTL_DAYS: i64 = 90;

/// The smallest count a report handed to a partner shows; smaller non-zero counts are withheld.
pub const DEFAULT_MIN_COUNT: u64 = 10;

/// What an app asks to recommend.
#[derive(Debug, Clone)]
pub struct RecommendRequest {
    /// The title.
    pub title: Title,
    /// The report dimensions.
    pub dimensions: Dimensions,
    /// Friends, by app-scoped id (platform recipients).
    pub to: Vec<AppScopedId>,
    /// How many links to make for people the partner reaches itself.
    pub external: u32,
    /// The message text; a default naming the title if absent.
    pub text: Option<String>,
}

/// What a recommendation produced.
#[derive(Debug, Clone)]
pub struct Recommended {
    /// One message per friend.
    pub messages: Vec<AppMessage>,
    /// One tracked link per external recipient.
    pub external_links: Vec<String>,
}

/// One cell of a report as handed out: `None` where the count is withheld (1 to min − 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCell {
    /// Days since 1970-01-01.
    pub day: i64,
    /// The dimensions.
    pub dimensions: Dimensions,
    /// Platform or external.
    pub recipient_kind: RecipientKind,
    /// Sends, unless withheld.
    pub sends: Option<u64>,
    /// Clicks, unless withheld.
    pub clicks: Option<u64>,
}

fn link_code() -> (String, [u8; 32]) {
    let code = URL_SAFE_NO_PAD.encode(crate::token::random_key());
    let hash = Sha256::digest(code.as_bytes()).into();
    (code, hash)
}

/// Withholds counts below `min_count` (zero stays zero: it says nothing about anyone).
pub fn suppress(rows: Vec<CountRow>, min_count: u64) -> Vec<ReportCell> {
    let shown = |n: u64| (n == 0 || n >= min_count).then_some(n);
    rows.into_iter()
        .map(|r| ReportCell {
            day: r.day,
            dimensions: r.dimensions,
            recipient_kind: r.recipient_kind,
            sends: shown(r.sends),
            clicks: shown(r.clicks),
        })
        .collect()
}

impl<S: Store> App<S> {
    /// `recommendations` (`inbox:send`): the card goes to each friend in the app thread with
    /// their own tracked link; external links are returned for the partner to pass on.
    pub async fn partner_recommend(
        &self,
        bearer: Option<&str>,
        req: RecommendRequest,
        link_base: &str,
    ) -> Result<Recommended, CoreError> {
        if (req.to.is_empty() && req.external == 0) || req.external > MAX_EXTERNAL_RECIPIENTS {
            return Err(ValidationError::RecommendationRecipients.into());
        }
        if req.to.len() > MAX_RECIPIENTS {
            return Err(ValidationError::Recipients.into());
        }
        let text = req.text.unwrap_or_else(|| format!("Recommended: {}", req.title.card.title()));
        let content = MessageContent::new(ContentType::text_plain(), text.into_bytes())?;
        let call = self.open_call(bearer, AccessAction::Send, Need::Scope(Scope::InboxSend)).await?;
        let names: Vec<String> = req.to.iter().map(ToString::to_string).collect();
        let friends = self.resolve_friends(&call, &req.to, &names).await?;
        let now = self.clock.now();
        let url = |code: &str| format!("{}/r/{code}", link_base.trim_end_matches('/'));
        let (mut links, mut recipients, mut external_links) = (Vec::new(), Vec::new(), Vec::new());
        for friend in friends {
            let (code, hash) = link_code();
            let card = Card::new(req.title.card.title(), &url(&code), req.title.card.image_url())?;
            links.push((hash, RecipientKind::Platform, Some(friend)));
            recipients.push((friend, Some(card)));
        }
        for _ in 0..req.external {
            let (code, hash) = link_code();
            links.push((hash, RecipientKind::External, None));
            external_links.push(url(&code));
        }
        let send = AppSend { sender_id: call.user_id, app_id: call.app.id, recipients, content, created_at: now };
        let rec = NewRecommendation {
            partner_id: call.partner.id,
            title: req.title,
            dimensions: req.dimensions,
            links,
            links_expire_at: now.plus_days(LINK_TTL_DAYS),
            day: call.partner.agreement.time_zone.day_of(now),
            max_daily_contributions: self.settings.reports.max_daily_contributions,
        };
        let mut event = self.event(Some(&call), AccessAction::Send, names);
        event.resources.push(format!("external:{}", req.external));
        let (event_id, outcome) = self.store.recommend(send, rec, event, check_send).await?;
        let (messages, deliveries) = outcome.map_err(CoreError::PartnerDenied)?;
        self.deliver(deliveries);
        self.release(event_id).await?;
        Ok(Recommended {
            messages: self.redact(&call, clearline_domain::policy::ReadAccess::OwnThread, messages).await?,
            external_links,
        })
    }

    /// Follows a tracked link: where it leads, counting the click (once per link per report day)
    /// unless `count` is false (HEAD requests, link-preview fetchers). `None`: unknown or expired.
    pub async fn follow_link(&self, code: &str, count: bool) -> Result<Option<String>, CoreError> {
        if code.len() != 43 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Ok(None);
        }
        let hash: [u8; 32] = Sha256::digest(code.as_bytes()).into();
        let now = self.clock.now();
        Ok(self
            .store
            .follow_link(hash, now, count, self.settings.reports.max_daily_contributions)
            .await?
            .map(|f| f.url))
    }

    /// A partner's daily report for days `[from, to]`, with counts below `min_count` withheld.
    pub async fn daily_report(
        &self,
        _: Operator,
        partner: PartnerId,
        from: i64,
        to: i64,
        min_count: u64,
    ) -> Result<Vec<ReportCell>, CoreError> {
        if to < from || to - from > 366 {
            return Err(CoreError::Unprocessable { reason: "a report covers 1 to 367 days, from <= to" });
        }
        Ok(suppress(self.store.report_counts(partner, from, to).await?, min_count))
    }
}

#[cfg(test)]
mod tests {
    use clearline_domain::Dimension;

    use super::*;

    fn row(sends: u64, clicks: u64) -> CountRow {
        let d = |s: &str| Dimension::parse(s).unwrap();
        CountRow {
            day: 1,
            dimensions: Dimensions { interface: d("tv"), initiation_surface: d("post_play"), variant: d("a") },
            recipient_kind: RecipientKind::Platform,
            sends,
            clicks,
        }
    }

    #[test]
    fn small_counts_are_withheld_and_zero_is_not() {
        let cells = suppress(vec![row(12, 3), row(9, 0), row(10, 10)], 10);
        let got: Vec<_> = cells.iter().map(|c| (c.sends, c.clicks)).collect();
        assert_eq!(got, vec![(Some(12), None), (None, Some(0)), (Some(10), Some(10))]);
        assert_eq!(suppress(vec![row(1, 1)], 0)[0].sends, Some(1), "min 0 withholds nothing");
    }
}
