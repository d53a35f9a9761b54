//! Per-app and per-person rate limits on partner calls: token buckets kept in memory on each
//! node (so with N nodes an app gets up to N times the limit; the limits bound abuse, they are
//! not billing).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use clearline_domain::{AppId, Timestamp, UserId};

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

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: i64,
}

const MAX_BUCKETS: usize = 200_000;

/// The buckets.
#[derive(Default)]
pub(crate) struct Limiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(AppId, Option<UserId>), Bucket>>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self { limits, buckets: Mutex::default() }
    }

    /// Takes one call from the app's and the person's buckets, or says how many seconds until
    /// one is free (taking nothing).
    pub(crate) fn check(&self, app: AppId, user: UserId, now: Timestamp) -> Result<(), u64> {
        let mut map = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > MAX_BUCKETS {
            map.clear();
        }
        let keys =
            [((app, None), self.limits.per_app_per_minute), ((app, Some(user)), self.limits.per_person_per_minute)];
        let mut refilled = [Bucket { tokens: 0.0, at: 0 }; 2];
        for (i, (key, per_minute)) in keys.iter().enumerate() {
            let cap = f64::from(*per_minute);
            let rate = cap / 60_000.0;
            let b = map.get(key).copied().unwrap_or(Bucket { tokens: cap, at: now.millis() });
            let elapsed = (now.millis() - b.at).max(0) as f64;
            let tokens = (b.tokens + elapsed * rate).min(cap);
            if tokens < 1.0 {
                let wait_ms = (1.0 - tokens) / rate.max(f64::MIN_POSITIVE);
                return Err((wait_ms / 1000.0).ceil().max(1.0) as u64);
            }
            refilled[i] = Bucket { tokens: tokens - 1.0, at: now.millis() };
        }
        for ((key, _), b) in keys.into_iter().zip(refilled) {
            map.insert(key, b);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_limit_refuses_then_refills() {
        let l = Limiter::new(RateLimits { per_app_per_minute: 1000, per_person_per_minute: 2 });
        let (app, u, v) = (AppId::from_raw(1), UserId::from_raw(1), UserId::from_raw(2));
        let t = Timestamp::from_millis(1_000_000);
        assert_eq!(l.check(app, u, t), Ok(()));
        assert_eq!(l.check(app, u, t), Ok(()));
        assert_eq!(l.check(app, u, t), Err(30));
        assert_eq!(l.check(app, v, t), Ok(()), "another person has their own bucket");
        assert_eq!(l.check(app, u, Timestamp::from_millis(1_030_000)), Ok(()));
    }

    #[test]
    fn app_limit_covers_all_people() {
        let l = Limiter::new(RateLimits { per_app_per_minute: 1, per_person_per_minute: 100 });
        let t = Timestamp::from_millis(0);
        assert_eq!(l.check(AppId::from_raw(1), UserId::from_raw(1), t), Ok(()));
        assert_eq!(l.check(AppId::from_raw(1), UserId::from_raw(2), t), Err(60));
        assert_eq!(l.check(AppId::from_raw(2), UserId::from_raw(2), t), Ok(()));
    }
}
