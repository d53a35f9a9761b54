//! The access policy: the one place that decides what an app may do for a person and read
//! about others, from the person's grant, the partner's agreement and the people's settings.
//! Pure functions of values; the services gather the values, call these, and record the
//! verdict. What people are told (`readable_by`) comes from the same functions as what apps
//! are allowed, so the two cannot disagree.
//!
//! Tokens (their secret, expiry and revocation) are checked before this, by the services; a
//! person's block of an app revokes their grants to it and stops new ones, so a live grant
//! here is never one a person blocked.

use crate::{Agreement, DenyReason, Grant, ReadPolicy, Scope, Tier, Timestamp};

/// Everything the policy reads about one app acting for one person.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    /// The person's grant to the app.
    pub grant: &'a Grant,
    /// The app's partner's agreement.
    pub agreement: &'a Agreement,
    /// Whether the partner's extended-tier scopes are suspended because its reports are overdue.
    pub reports_overdue: bool,
}

/// Whether the standing lets the app act at all (`None`) or use `scope` at `now`; the reason
/// if not. Checked in this order, so a denial names the first rule that failed: grant, agreement,
/// tier, scope, overdue reports.
pub fn permit(standing: Standing<'_>, scope: Option<Scope>, now: Timestamp) -> Result<(), DenyReason> {
    if !standing.grant.is_live(now) {
        return Err(DenyReason::GrantRevoked);
    }
    let agreement = standing.agreement;
    if !agreement.in_force(now) {
        return Err(DenyReason::AgreementSuspended);
    }
    let Some(scope) = scope else { return Ok(()) };
    if scope.extended_only() && agreement.tier != Tier::Extended {
        return Err(DenyReason::WrongTier);
    }
    if !standing.grant.scopes.contains(scope) || !agreement.allows(scope) {
        return Err(DenyReason::MissingScope);
    }
    if scope.extended_only() && standing.reports_overdue {
        return Err(DenyReason::ReportsOverdue);
    }
    Ok(())
}

/// How an app may read a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    /// As the app that started this app thread (`inbox:read`, or `inbox:read_all`).
    OwnThread,
    /// Through whole-inbox reading (`inbox:read_all`, extended tier) of a conversation it did
    /// not start.
    WholeInbox,
}

/// Whether the app may read a conversation of the person, given whether the app started it;
/// the reason if not. A conversation the app did not start and cannot read does not exist for
/// it (`NotFound`) unless the grant asks for whole-inbox reading, whose own refusal is named.
pub fn read_conversation(standing: Standing<'_>, own_thread: bool, now: Timestamp) -> Result<ReadAccess, DenyReason> {
    let all = permit(standing, Some(Scope::InboxReadAll), now);
    if own_thread {
        return match permit(standing, Some(Scope::InboxRead), now) {
            Ok(()) => Ok(ReadAccess::OwnThread),
            Err(_) if all.is_ok() => Ok(ReadAccess::OwnThread),
            Err(reason) => Err(reason),
        };
    }
    match all {
        Ok(()) => Ok(ReadAccess::WholeInbox),
        Err(reason @ (DenyReason::GrantRevoked | DenyReason::AgreementSuspended)) => Err(reason),
        Err(reason) if standing.grant.scopes.contains(Scope::InboxReadAll) => Err(reason),
        Err(_) => Err(DenyReason::NotFound),
    }
}

/// Which of the person's friends an app may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FriendsAccess {
    /// Those who granted this app too (`friends:read`).
    AppUsers,
    /// Every friend (`friends:read_all`, extended tier).
    All,
}

/// Whether the app may list the person's friends, and which; the reason if not. The reason is
/// the one of the widest scope the grant asked for.
pub fn list_friends(standing: Standing<'_>, now: Timestamp) -> Result<FriendsAccess, DenyReason> {
    let all = permit(standing, Some(Scope::FriendsReadAll), now);
    if all.is_ok() {
        return Ok(FriendsAccess::All);
    }
    match (permit(standing, Some(Scope::FriendsRead), now), all) {
        (Ok(()), _) => Ok(FriendsAccess::AppUsers),
        (Err(_), Err(reason)) if standing.grant.scopes.contains(Scope::FriendsReadAll) => Err(reason),
        (Err(reason), _) => Err(reason),
    }
}

/// What the policy reads about another person whose message or listing an app would see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bystander {
    /// Their setting for friends' apps.
    pub policy: ReadPolicy,
    /// Whether they blocked this app.
    pub blocked_app: bool,
}

/// Whether an app reading a conversation (with `access`) may see a message written by
/// someone other than the person it acts for; otherwise the message is redacted.
pub fn shows_message(access: ReadAccess, author: Bystander) -> bool {
    !author.blocked_app && author.policy.lets_app_read(access == ReadAccess::OwnThread)
}

/// Whether an app may list a friend of the person at all: not if they blocked it.
pub fn shows_friend(friend_blocked_app: bool) -> bool {
    !friend_blocked_app
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AppId, GrantId, ReportZone, Scopes, UserId};

    const NOW: Timestamp = Timestamp::from_millis(1_000_000);

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum State {
        InForce,
        Suspended,
        NotYet,
        Ended,
        ReportsOverdue,
        GrantRevoked,
        GrantExpired,
        /// The agreement no longer lists any scope (the operator narrowed it after the grant).
        Narrowed,
    }

    const STATES: [State; 8] = [
        State::InForce,
        State::Suspended,
        State::NotYet,
        State::Ended,
        State::ReportsOverdue,
        State::GrantRevoked,
        State::GrantExpired,
        State::Narrowed,
    ];

    fn world(tier: Tier, granted: Scopes, state: State) -> (Grant, Agreement, bool) {
        let agreement = Agreement {
            tier,
            // Everything the tier may hold: what the grant holds decides.
            scopes: Scope::ALL
                .into_iter()
                .filter(|s| state != State::Narrowed && (tier == Tier::Extended || !s.extended_only()))
                .collect(),
            max_grant_days: 90,
            report_cadence_days: 14,
            time_zone: ReportZone::utc(),
            effective_from: Timestamp::from_millis(if state == State::NotYet { NOW.millis() + 1 } else { 0 }),
            effective_until: (state == State::Ended).then_some(NOW),
            suspended_at: (state == State::Suspended).then_some(Timestamp::from_millis(1)),
        };
        let grant = Grant {
            id: GrantId::from_raw(1),
            user_id: UserId::from_raw(1),
            app_id: AppId::from_raw(1),
            scopes: granted,
            created_at: Timestamp::from_millis(0),
            expires_at: if state == State::GrantExpired { NOW } else { Timestamp::from_millis(NOW.millis() * 2) },
            revoked_at: (state == State::GrantRevoked).then_some(Timestamp::from_millis(5)),
            last_used_at: None,
        };
        (grant, agreement, state == State::ReportsOverdue)
    }

    fn standing<'a>(w: &'a (Grant, Agreement, bool)) -> Standing<'a> {
        Standing { grant: &w.0, agreement: &w.1, reports_overdue: w.2 }
    }

    /// Every grant of zero or one scope, and of every scope.
    fn grants() -> Vec<Scopes> {
        let mut out = vec![Scopes::empty(), Scope::ALL.into_iter().collect()];
        out.extend(Scope::ALL.into_iter().map(|s| Scopes::empty().with(s)));
        out
    }

    /// The expected verdict of `permit`, written as the rules read in the README.
    fn expected(tier: Tier, granted: Scopes, state: State, scope: Scope) -> Result<(), DenyReason> {
        match state {
            State::GrantRevoked | State::GrantExpired => Err(DenyReason::GrantRevoked),
            State::Suspended | State::NotYet | State::Ended => Err(DenyReason::AgreementSuspended),
            _ if scope.extended_only() && tier == Tier::Standard => Err(DenyReason::WrongTier),
            _ if !granted.contains(scope) || state == State::Narrowed => Err(DenyReason::MissingScope),
            State::ReportsOverdue if scope.extended_only() => Err(DenyReason::ReportsOverdue),
            _ => Ok(()),
        }
    }

    /// Calls `check` for every tier, state and grant of the table.
    fn every_case(mut check: impl FnMut(Tier, State, Scopes, &(Grant, Agreement, bool))) {
        for tier in [Tier::Standard, Tier::Extended] {
            for state in STATES {
                for granted in grants() {
                    check(tier, state, granted, &world(tier, granted, state));
                }
            }
        }
    }

    #[test]
    fn every_tier_scope_and_agreement_state_gets_its_verdict() {
        every_case(|tier, state, granted, w| {
            for scope in Scope::ALL {
                assert_eq!(
                    permit(standing(w), Some(scope), NOW),
                    expected(tier, granted, state, scope),
                    "{tier:?} {state:?} grant [{granted}] needs {scope}"
                );
            }
            let live = !matches!(
                state,
                State::GrantRevoked | State::GrantExpired | State::Suspended | State::NotYet | State::Ended
            );
            assert_eq!(permit(standing(w), None, NOW).is_ok(), live, "{tier:?} {state:?}");
        });
    }

    #[test]
    fn reading_a_conversation_needs_the_threads_scope_or_whole_inbox_reading() {
        every_case(|tier, state, granted, w| {
            let read = expected(tier, granted, state, Scope::InboxRead);
            let all = expected(tier, granted, state, Scope::InboxReadAll);
            let own = read_conversation(standing(w), true, NOW);
            let other = read_conversation(standing(w), false, NOW);
            let case = format!("{tier:?} {state:?} [{granted}]");
            match (read, all) {
                (Ok(()), _) | (_, Ok(())) => assert_eq!(own, Ok(ReadAccess::OwnThread), "{case}"),
                (Err(reason), _) => assert_eq!(own, Err(reason), "{case}"),
            }
            match all {
                Ok(()) => assert_eq!(other, Ok(ReadAccess::WholeInbox), "{case}"),
                Err(r @ (DenyReason::GrantRevoked | DenyReason::AgreementSuspended)) => {
                    assert_eq!(other, Err(r), "{case}");
                }
                Err(r) if granted.contains(Scope::InboxReadAll) => assert_eq!(other, Err(r), "{case}"),
                // Not asked for: a conversation it did not start does not exist for it.
                Err(_) => assert_eq!(other, Err(DenyReason::NotFound), "{case}"),
            }
        });
    }

    #[test]
    fn listing_friends_names_the_widest_scope_asked_for() {
        every_case(|tier, state, granted, w| {
            let all = expected(tier, granted, state, Scope::FriendsReadAll);
            let some = expected(tier, granted, state, Scope::FriendsRead);
            let want = match (all, some) {
                (Ok(()), _) => Ok(FriendsAccess::All),
                (_, Ok(())) => Ok(FriendsAccess::AppUsers),
                (Err(r), _) if granted.contains(Scope::FriendsReadAll) => Err(r),
                (_, Err(r)) => Err(r),
            };
            assert_eq!(list_friends(standing(w), NOW), want, "{tier:?} {state:?} [{granted}]");
        });
        // The cases the old code recorded as `wrong_tier`: overdue reports, and a missing scope.
        let overdue = world(Tier::Extended, Scopes::empty().with(Scope::FriendsReadAll), State::ReportsOverdue);
        assert_eq!(list_friends(standing(&overdue), NOW), Err(DenyReason::ReportsOverdue));
        let none = world(Tier::Extended, Scopes::empty().with(Scope::InboxSend), State::InForce);
        assert_eq!(list_friends(standing(&none), NOW), Err(DenyReason::MissingScope));
    }

    #[test]
    fn other_peoples_messages_follow_their_setting_and_their_app_block() {
        use ReadPolicy::{AllConversations, AppThreads, Never};
        // (access, setting, blocked the app, shown)
        let table = [
            (ReadAccess::OwnThread, Never, false, false),
            (ReadAccess::OwnThread, AppThreads, false, true),
            (ReadAccess::OwnThread, AllConversations, false, true),
            (ReadAccess::WholeInbox, Never, false, false),
            (ReadAccess::WholeInbox, AppThreads, false, false),
            (ReadAccess::WholeInbox, AllConversations, false, true),
        ];
        for (access, policy, _, shown) in table {
            assert_eq!(shows_message(access, Bystander { policy, blocked_app: false }), shown, "{access:?} {policy:?}");
            // A block hides them whatever their setting.
            assert!(!shows_message(access, Bystander { policy, blocked_app: true }), "{access:?} {policy:?} blocked");
            assert!(!shows_friend(true) && shows_friend(false));
        }
    }
}
