//! Password attempts (sign-in and sign-up), so no one can guess a person's password at speed
//! or hold the argon2 workers for everyone (OWASP's authentication cheat sheet):
//! - failed sign-ins are counted per (account, client address): after `max_failures` in
//!   `failure_window_secs` that address is refused for that account until the window ends,
//!   while the person's own sign-in from any other address keeps working;
//! - every password attempt takes a token from its address's GCRA limiter (`governor`);
//! - an address hashes at most `per_address_concurrent` passwords at a time (one by default),
//!   so a flood from one client is refused rather than queued in front of everyone's sign-in.
//!
//! IPv6 clients are counted by their /64 (one subscriber's block), IPv4 ones by address.
//! Each node counts on its own; with N nodes an attacker gets up to N times the allowance.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clearline_domain::Timestamp;

use crate::Clock;
use crate::ratelimit::{GovernorClock, Keyed};

/// How password attempts are limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignInLimits {
    /// Failed sign-ins to one account from one address before that address is refused for it.
    pub max_failures: u32,
    /// The window failures are counted in, and how long the refusal lasts, in seconds.
    pub failure_window_secs: u64,
    /// Password attempts (sign-in or sign-up) one address may make at once.
    pub per_address_burst: u32,
    /// How many attempts one address regains per minute after its burst.
    pub per_address_per_minute: u32,
    /// Passwords one address may have hashed at the same time; more at once are refused
    /// (`429`, `Retry-After: 1`) rather than queued in front of other people's.
    pub per_address_concurrent: u32,
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self {
            max_failures: 5,
            failure_window_secs: 15 * 60,
            per_address_burst: 20,
            per_address_per_minute: 20,
            per_address_concurrent: 1,
        }
    }
}

/// How much of the server one signed-in person may use, so no one person can slow it for
/// everyone: requests per second (a GCRA limiter per person, `governor`), and open WebSockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientLimits {
    /// Requests one person may make at once (every authenticated request of the client API).
    pub per_person_burst: u32,
    /// Requests per second one person regains after the burst.
    pub per_person_per_second: u32,
    /// WebSockets one person may hold open at once (over all their sessions).
    pub websockets_per_person: u32,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self { per_person_burst: 300, per_person_per_second: 50, websockets_per_person: 32 }
    }
}

/// The per-person request limiter.
pub(crate) struct PersonLimiter(Keyed<clearline_domain::UserId>);

impl PersonLimiter {
    pub(crate) fn new(limits: ClientLimits, clock: Arc<dyn Clock>) -> Self {
        let burst = limits.per_person_burst.max(1);
        let refill = Duration::from_secs(1).saturating_mul(burst) / limits.per_person_per_second.max(1);
        Self(Keyed::new(burst, refill, GovernorClock(clock)))
    }

    /// Takes one request of `user`'s, or says how many seconds until one is free.
    pub(crate) fn check(&self, user: clearline_domain::UserId) -> Result<(), u64> {
        self.0.check(&user)
    }
}

/// The address a client is counted by.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    since: Timestamp,
}

/// Failure records kept before expired ones are dropped.
const MAX_FAILURE_RECORDS: usize = 100_000;

/// The gate every password attempt passes.
pub(crate) struct PasswordGate {
    limits: SignInLimits,
    clock: Arc<dyn Clock>,
    attempts: Keyed<IpAddr>,
    hashing: Mutex<HashMap<IpAddr, u32>>,
    failures: Mutex<HashMap<(String, IpAddr), Failures>>,
}

/// A password attempt let through; while it lives, its address hashes nothing else.
pub(crate) struct Attempt<'a> {
    gate: &'a PasswordGate,
    address: IpAddr,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut map = self.gate.hashing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.address);
            }
        }
    }
}

impl PasswordGate {
    pub(crate) fn new(limits: SignInLimits, clock: Arc<dyn Clock>) -> Self {
        let refill = Duration::from_secs(60).saturating_mul(limits.per_address_burst.max(1))
            / limits.per_address_per_minute.max(1);
        let attempts = Keyed::new(limits.per_address_burst, refill, GovernorClock(clock.clone()));
        Self { limits, clock, attempts, hashing: Mutex::default(), failures: Mutex::default() }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.limits.failure_window_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    /// Lets an attempt from `from` (for `account`, when signing in) through, or says how many
    /// seconds until it may try again.
    pub(crate) fn admit(&self, from: IpAddr, account: Option<&str>) -> Result<Attempt<'_>, u64> {
        let address = client_key(from);
        if let Some(account) = account {
            let now = self.clock.now().millis();
            let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(f) = failures.get(&(account.to_owned(), address))
                && f.count >= self.limits.max_failures
            {
                let left_ms = f.since.millis().saturating_add(self.window_ms()) - now;
                if left_ms > 0 {
                    return Err(u64::try_from(left_ms).unwrap_or(1).div_ceil(1000));
                }
            }
        }
        let mut hashing = self.hashing.lock().unwrap_or_else(PoisonError::into_inner);
        if hashing.get(&address).is_some_and(|n| *n >= self.limits.per_address_concurrent.max(1)) {
            return Err(1);
        }
        self.attempts.check(&address)?;
        *hashing.entry(address).or_default() += 1;
        Ok(Attempt { gate: self, address })
    }

    /// Counts a failed sign-in to `account` from the attempt's address.
    pub(crate) fn failed(&self, attempt: &Attempt<'_>, account: &str) {
        let now = self.clock.now();
        let window = self.window_ms();
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= MAX_FAILURE_RECORDS {
            failures.retain(|_, f| now.millis() - f.since.millis() < window);
            if failures.len() >= MAX_FAILURE_RECORDS {
                failures.clear();
            }
        }
        let entry = failures.entry((account.to_owned(), attempt.address)).or_insert(Failures { count: 0, since: now });
        if now.millis() - entry.since.millis() >= window {
            *entry = Failures { count: 0, since: now };
        }
        entry.count += 1;
    }

    /// A successful sign-in clears the address's failures for that account.
    pub(crate) fn succeeded(&self, attempt: &Attempt<'_>, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.remove(&(account.to_owned(), attempt.address));
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::ManualClock;

    fn gate(limits: SignInLimits) -> (PasswordGate, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_000_000)));
        (PasswordGate::new(limits, clock.clone()), clock)
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

    fn fail(g: &PasswordGate, from: IpAddr, account: &str) -> Result<(), u64> {
        let attempt = g.admit(from, Some(account))?;
        g.failed(&attempt, account);
        Ok(())
    }

    #[test]
    fn an_address_is_refused_for_an_account_after_its_failures_and_others_are_not() {
        let (g, clock) = gate(SignInLimits { max_failures: 3, failure_window_secs: 600, ..SignInLimits::default() });
        for _ in 0..3 {
            assert_eq!(fail(&g, A, "ana"), Ok(()));
        }
        assert_eq!(g.admit(A, Some("ana")).err(), Some(600));
        // Ana herself, from another address, and A for another account, still get through.
        assert!(g.admit(B, Some("ana")).is_ok());
        assert!(g.admit(A, Some("bob")).is_ok());
        clock.advance(599_000);
        assert_eq!(g.admit(A, Some("ana")).err(), Some(1));
        clock.advance(1_000);
        assert!(g.admit(A, Some("ana")).is_ok(), "the refusal ends with the window");
    }

    #[test]
    fn a_success_clears_the_failures() {
        let (g, _) = gate(SignInLimits { max_failures: 2, ..SignInLimits::default() });
        assert_eq!(fail(&g, A, "ana"), Ok(()));
        let ok = g.admit(A, Some("ana")).unwrap();
        g.succeeded(&ok, "ana");
        drop(ok);
        assert_eq!(fail(&g, A, "ana"), Ok(()));
        assert!(g.admit(A, Some("ana")).is_ok(), "one failure since the success");
    }

    #[test]
    fn one_address_hashes_one_password_at_a_time_and_keeps_to_its_rate() {
        let (g, clock) =
            gate(SignInLimits { per_address_burst: 2, per_address_per_minute: 2, ..SignInLimits::default() });
        let first = g.admit(A, None).unwrap();
        assert_eq!(g.admit(A, None).err(), Some(1), "a second attempt at once waits its turn");
        assert!(g.admit(B, None).is_ok(), "other addresses are not held");
        drop(first);
        drop(g.admit(A, None).unwrap());
        assert_eq!(g.admit(A, None).err(), Some(30), "the burst is spent; one more every 30 s");
        clock.advance(30_000);
        assert!(g.admit(A, None).is_ok());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(one), client_key(same));
        assert_ne!(client_key(one), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), A);
    }
}
