//! Per-app and per-person rate limits on partner calls: GCRA limiters (`governor`) kept in
//! memory on each node (so with N nodes an app gets up to N times the limit; the limits bound
//! abuse, they are not billing). Time is the services' injected clock, so tests move it.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use clearline_domain::{AppId, UserId};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::Clock;

/// Calls per minute allowed to each app, and to each app for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per app, over all its people.
    pub per_app_per_minute: u32,
    /// Per app and person.
    pub per_person_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { per_app_per_minute: 60_000, per_person_per_minute: 600 }
    }
}

/// `governor`'s view of the services' clock: time since the epoch.
#[derive(Clone)]
pub(crate) struct GovernorClock(pub(crate) Arc<dyn Clock>);

impl governor::clock::Clock for GovernorClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now().millis()).unwrap_or(0))
    }
}

/// A GCRA limiter per key on the injected clock, pruned when it holds many idle keys.
pub(crate) struct Keyed<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, DashMapStateStore<K>, GovernorClock, NoOpMiddleware<Duration>>,
    clock: GovernorClock,
}

/// Keys held before idle ones are dropped (a key at full capacity is forgotten losslessly).
const PRUNE_ABOVE: usize = 100_000;

impl<K: Hash + Eq + Clone> Keyed<K> {
    /// `burst` calls at once, refilled evenly to `burst` per `period`.
    pub(crate) fn new(burst: u32, period: Duration, clock: GovernorClock) -> Self {
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let each = period / burst.get();
        let quota = Quota::with_period(each.max(Duration::from_nanos(1))).unwrap_or_else(|| Quota::per_second(burst));
        Self { limiter: RateLimiter::dashmap_with_clock(quota.allow_burst(burst), clock.clone()), clock }
    }

    /// Takes one call for `key`, or says how many whole seconds until one is free.
    pub(crate) fn check(&self, key: &K) -> Result<(), u64> {
        if self.limiter.len() > PRUNE_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&self.clock));
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The partner limiters.
pub(crate) struct Limiter {
    per_app: Keyed<AppId>,
    per_person: Keyed<(AppId, UserId)>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits, clock: Arc<dyn Clock>) -> Self {
        let clock = GovernorClock(clock);
        let minute = Duration::from_secs(60);
        Self {
            per_app: Keyed::new(limits.per_app_per_minute, minute, clock.clone()),
            per_person: Keyed::new(limits.per_person_per_minute, minute, clock),
        }
    }

    /// Takes one call from the person's and the app's limits, or says how many seconds until
    /// one is free. A call refused by the person's limit does not count against the app.
    pub(crate) fn check(&self, app: AppId, user: UserId) -> Result<(), u64> {
        self.per_person.check(&(app, user))?;
        self.per_app.check(&app).map(|_| ()).map_err(|s| s.max(1))
    }
}

#[cfg(test)]
mod tests {
    use clearline_domain::Timestamp;

    use super::*;
    use crate::ManualClock;

    fn limiter(limits: RateLimits) -> (Limiter, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_000_000)));
        (Limiter::new(limits, clock.clone()), clock)
    }

    #[test]
    fn person_limit_refuses_then_refills() {
        let (l, clock) = limiter(RateLimits { per_app_per_minute: 1000, per_person_per_minute: 2 });
        let (app, u, v) = (AppId::from_raw(1), UserId::from_raw(1), UserId::from_raw(2));
        assert_eq!(l.check(app, u), Ok(()));
        assert_eq!(l.check(app, u), Ok(()));
        assert_eq!(l.check(app, u), Err(30));
        assert_eq!(l.check(app, v), Ok(()), "another person has their own limit");
        clock.advance(30_000);
        assert_eq!(l.check(app, u), Ok(()));
    }

    #[test]
    fn app_limit_covers_all_people() {
        let (l, _) = limiter(RateLimits { per_app_per_minute: 1, per_person_per_minute: 100 });
        assert_eq!(l.check(AppId::from_raw(1), UserId::from_raw(1)), Ok(()));
        assert_eq!(l.check(AppId::from_raw(1), UserId::from_raw(2)), Err(60));
        assert_eq!(l.check(AppId::from_raw(2), UserId::from_raw(2)), Ok(()));
    }
}
