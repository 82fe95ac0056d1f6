//! In-process rate limits (sliding one-window counters keyed by scope and client).
//!
//! Single-node: each API node limits on its own. Cluster mode moves these counters to
//! Redis (ROADMAP); the interface stays `check(key, limit, window)`.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// One key's current window: when it started, how long it lasts, attempts counted.
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

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

impl RateLimiter {
    /// Counts one attempt for `key`; `Err(seconds to wait)` when `limit` attempts were
    /// already made in the current `window`.
    pub fn check(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 100_000 {
            // Bound memory under a flood of distinct keys: forget windows that ended,
            // each by its own length (an hour-long registration window outlives a
            // minute-long login window).
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
        if entry.count >= limit {
            let wait = (entry.start + entry.length - now).num_seconds().max(1) as u64;
            return Err(wait);
        }
        entry.count += 1;
        Ok(())
    }

    /// Attempts counted for `key` in its current window (0 once the window passed).
    pub fn count(&self, key: &str, window: Duration, now: DateTime<Utc>) -> u32 {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some(w) if now - w.start < window => w.count,
            _ => 0,
        }
    }

    /// Seconds until the current window of `key` ends (0 when there is none).
    pub fn seconds_left(&self, key: &str, window: Duration, now: DateTime<Utc>) -> u64 {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some(w) if now - w.start < window => {
                (w.start + window - now).num_seconds().max(1) as u64
            }
            _ => 0,
        }
    }

    /// Counts one event for `key` without a limit (failures feeding [`RateLimiter::count`]).
    pub fn hit(&self, key: &str, window: Duration, now: DateTime<Utc>) {
        let _ = self.check(key, u32::MAX, window, now);
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

    #[test]
    fn limits_per_key_and_window() {
        let rl = RateLimiter::default();
        let t0 = Utc::now();
        let minute = Duration::minutes(1);
        for _ in 0..3 {
            rl.check("login:1.2.3.4", 3, minute, t0).unwrap();
        }
        assert_eq!(
            rl.check("login:1.2.3.4", 3, minute, t0 + Duration::seconds(20)),
            Err(40)
        );
        rl.check("login:5.6.7.8", 3, minute, t0).unwrap();
        rl.check("login:1.2.3.4", 3, minute, t0 + minute).unwrap();
    }

    #[test]
    fn clearing_a_key_flood_keeps_longer_windows_of_other_keys() {
        let rl = RateLimiter::default();
        let t0 = Utc::now();
        let hour = Duration::hours(1);
        for _ in 0..2 {
            rl.check("register:1.2.3.4", 2, hour, t0).unwrap();
        }
        // A flood of distinct one-minute keys, then a check that triggers the clean-up
        // two minutes later: the hour-long window must survive it.
        for i in 0..100_001 {
            rl.hit(&format!("login:{i}"), Duration::minutes(1), t0);
        }
        rl.check(
            "login:x",
            5,
            Duration::minutes(1),
            t0 + Duration::minutes(2),
        )
        .unwrap();
        assert!(
            rl.check("register:1.2.3.4", 2, hour, t0 + Duration::minutes(2))
                .is_err(),
            "the registration limit still holds"
        );
    }
}
