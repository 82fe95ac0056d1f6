//! In-process rate limits (sliding one-window counters keyed by scope and client).
//!
//! Single-node: each API node limits on its own. Cluster mode moves these counters to
//! Redis (ROADMAP); the interface stays `check(key, limit, window)`.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
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
            // Bound memory under a flood of distinct keys: forget expired windows.
            windows.retain(|_, (start, _)| now - *start < window);
        }
        let entry = windows.entry(key.to_string()).or_insert((now, 0));
        if now - entry.0 >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            let wait = (entry.0 + window - now).num_seconds().max(1) as u64;
            return Err(wait);
        }
        entry.1 += 1;
        Ok(())
    }

    /// Attempts counted for `key` in its current window (0 once the window passed).
    pub fn count(&self, key: &str, window: Duration, now: DateTime<Utc>) -> u32 {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some((start, n)) if now - *start < window => *n,
            _ => 0,
        }
    }

    /// Seconds until the current window of `key` ends (0 when there is none).
    pub fn seconds_left(&self, key: &str, window: Duration, now: DateTime<Utc>) -> u64 {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some((start, _)) if now - *start < window => {
                (*start + window - now).num_seconds().max(1) as u64
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
}
