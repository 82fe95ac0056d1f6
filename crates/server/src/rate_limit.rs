//! In-process limits: request quotas per client or account ([`RateLimits`], `governor`'s
//! GCRA) and the login-failure counts behind lockouts ([`FailureCounts`]).
//!
//! Single-node: each API node limits on its own. Cluster mode moves these counters to
//! Redis (ROADMAP); the interfaces stay `check(key, limit, window)` and `hit / count`.

use crate::clock::Clock;
use chrono::{DateTime, Duration, Utc};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

/// Keys a quota may hold before the keys back at their full allowance are forgotten
/// (bounds memory under a flood of distinct clients).
const RETAIN_KEYS: usize = 100_000;

/// The API's clock as `governor` reads it: wall time since the Unix epoch, so tests that
/// move the API's clock move the quotas too.
#[derive(Clone)]
struct QuotaClock(Arc<dyn Clock>);

impl governor::clock::Clock for QuotaClock {
    type Instant = std::time::Duration;
    fn now(&self) -> std::time::Duration {
        (self.0.now() - DateTime::UNIX_EPOCH)
            .to_std()
            .unwrap_or_default()
    }
}

type KeyedQuota = RateLimiter<
    String,
    HashMapStateStore<String>,
    QuotaClock,
    governor::middleware::NoOpMiddleware<std::time::Duration>,
>;

/// Request quotas: one keyed GCRA limiter per (limit, window), made on first use.
pub struct RateLimits {
    clock: QuotaClock,
    quotas: Mutex<HashMap<(u32, i64), Arc<KeyedQuota>>>,
}

impl RateLimits {
    pub fn new(clock: Arc<dyn Clock>) -> RateLimits {
        RateLimits {
            clock: QuotaClock(clock),
            quotas: Mutex::default(),
        }
    }

    /// Counts one request of `key` against a quota of `limit` per `window`: a burst of
    /// `limit`, then one more every `window / limit` (GCRA). `Err(seconds to wait)` when
    /// the quota is spent; a limit of 0 refuses everything.
    pub fn check(&self, key: &str, limit: u32, window: Duration) -> Result<(), u64> {
        let window_s = window.num_seconds().max(1);
        let Some(burst) = NonZeroU32::new(limit) else {
            return Err(window_s as u64);
        };
        let quota = self.quota(burst, window_s);
        match quota.check_key(&key.to_string()) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(&self.clock));
                Err((wait.as_secs_f64().ceil() as u64).max(1))
            }
        }
    }

    fn quota(&self, burst: NonZeroU32, window_s: i64) -> Arc<KeyedQuota> {
        let mut quotas = self.quotas.lock().unwrap_or_else(|p| p.into_inner());
        let quota = quotas
            .entry((burst.get(), window_s))
            .or_insert_with(|| {
                let period = std::time::Duration::from_secs(window_s as u64) / burst.get();
                let quota = Quota::with_period(period)
                    .unwrap_or_else(|| Quota::per_second(burst))
                    .allow_burst(burst);
                Arc::new(RateLimiter::hashmap_with_clock(quota, self.clock.clone()))
            })
            .clone();
        if quota.len() > RETAIN_KEYS {
            quota.retain_recent();
        }
        quota
    }
}

/// One key's current window: when it started, how long it lasts, failures counted.
#[derive(Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    length: Duration,
    count: u32,
}

impl Window {
    fn open_at(&self, now: DateTime<Utc>) -> bool {
        now - self.start < self.length
    }
}

/// Failures counted per key in a fixed window from the first one (a lockout holds until
/// the window that locked it ends, as `auth.lockout_s` documents); a success can reset a
/// key.
#[derive(Default)]
pub struct FailureCounts {
    windows: Mutex<HashMap<String, Window>>,
}

impl FailureCounts {
    /// Counts one failure of `key`.
    pub fn hit(&self, key: &str, window: Duration, now: DateTime<Utc>) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > RETAIN_KEYS {
            // Bound memory under a flood of distinct keys: forget windows that ended,
            // each by its own length.
            windows.retain(|_, w| w.open_at(now));
        }
        let fresh = Window {
            start: now,
            length: window,
            count: 0,
        };
        let entry = windows.entry(key.to_string()).or_insert(fresh);
        if !entry.open_at(now) {
            *entry = fresh;
        }
        entry.count = entry.count.saturating_add(1);
    }

    /// Failures counted for `key` in its current window (0 once the window passed).
    pub fn count(&self, key: &str, now: DateTime<Utc>) -> u32 {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some(w) if w.open_at(now) => w.count,
            _ => 0,
        }
    }

    /// Seconds until the current window of `key` ends (0 when there is none).
    pub fn seconds_left(&self, key: &str, now: DateTime<Utc>) -> u64 {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some(w) if w.open_at(now) => (w.start + w.length - now).num_seconds().max(1) as u64,
            _ => 0,
        }
    }

    pub fn reset(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn limits_at(start: DateTime<Utc>) -> (RateLimits, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(start));
        (RateLimits::new(clock.clone()), clock)
    }

    #[test]
    fn a_quota_allows_its_burst_then_one_more_per_share_of_the_window() {
        let (limits, clock) = limits_at(Utc::now());
        let minute = Duration::minutes(1);
        for _ in 0..3 {
            limits.check("login:1.2.3.4", 3, minute).unwrap();
        }
        // Spent: the next one is due a third of the window after the first.
        assert_eq!(limits.check("login:1.2.3.4", 3, minute), Err(20));
        // Other clients and other quotas are apart.
        limits.check("login:5.6.7.8", 3, minute).unwrap();
        limits.check("login:1.2.3.4", 4, minute).unwrap();
        clock.advance(Duration::seconds(15));
        assert_eq!(limits.check("login:1.2.3.4", 3, minute), Err(5));
        clock.advance(Duration::seconds(5));
        limits.check("login:1.2.3.4", 3, minute).unwrap();
        assert!(limits.check("login:1.2.3.4", 3, minute).is_err());
        // A whole window later the whole burst is back.
        clock.advance(minute);
        for _ in 0..3 {
            limits.check("login:1.2.3.4", 3, minute).unwrap();
        }
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        let (limits, _) = limits_at(Utc::now());
        assert_eq!(limits.check("register:x", 0, Duration::hours(1)), Err(3600));
    }

    #[test]
    fn a_flood_of_keys_keeps_the_spent_quotas() {
        let (limits, clock) = limits_at(Utc::now());
        let hour = Duration::hours(1);
        for _ in 0..2 {
            limits.check("register:1.2.3.4", 2, hour).unwrap();
        }
        for i in 0..=RETAIN_KEYS {
            limits.check(&format!("register:{i}"), 2, hour).unwrap();
        }
        clock.advance(Duration::minutes(2));
        limits.check("register:x", 2, hour).unwrap();
        assert!(
            limits.check("register:1.2.3.4", 2, hour).is_err(),
            "the spent quota survives the clean-up"
        );
    }

    #[test]
    fn failures_count_in_a_window_from_the_first() {
        let counts = FailureCounts::default();
        let t0 = Utc::now();
        let window = Duration::minutes(15);
        for _ in 0..3 {
            counts.hit("login-account:hank", window, t0);
        }
        assert_eq!(counts.count("login-account:hank", t0), 3);
        assert_eq!(
            counts.seconds_left("login-account:hank", t0 + Duration::minutes(5)),
            600
        );
        assert_eq!(counts.count("login-account:other", t0), 0);
        assert_eq!(counts.count("login-account:hank", t0 + window), 0);
        counts.hit("login-account:hank", window, t0 + window);
        assert_eq!(counts.count("login-account:hank", t0 + window), 1);
        counts.reset("login-account:hank");
        assert_eq!(counts.count("login-account:hank", t0 + window), 0);
    }

    #[test]
    fn a_flood_of_failure_keys_keeps_longer_windows_of_other_keys() {
        let counts = FailureCounts::default();
        let t0 = Utc::now();
        counts.hit("login-account:a", Duration::hours(1), t0);
        for i in 0..=RETAIN_KEYS {
            counts.hit(&format!("login:{i}"), Duration::minutes(1), t0);
        }
        let later = t0 + Duration::minutes(2);
        counts.hit("login:x", Duration::minutes(1), later);
        assert_eq!(counts.count("login-account:a", later), 1);
        assert_eq!(counts.count("login:0", later), 0);
    }
}
