//! Time behind a trait, so tests move it instead of sleeping: token expiry and lockouts
//! in the API, reconnection backoff, rate windows and frozen-stream detection in the
//! camera service.

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub trait Clock: Send + Sync + 'static {
    /// Wall time (stored timestamps, token expiry).
    fn now(&self) -> DateTime<Utc>;

    /// Monotonic time since an arbitrary origin (intervals, timeouts): never jumps when
    /// the wall clock is set.
    fn monotonic(&self) -> Duration;

    /// Blocks the calling (camera) thread for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real clock.
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration)
    }
}

/// A clock that stands still until advanced (tests). Sleeping advances it at once, so
/// a camera thread's backoff of 30 s takes no time at all.
pub struct ManualClock(Mutex<ManualTime>);

struct ManualTime {
    now: DateTime<Utc>,
    monotonic: Duration,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(ManualTime {
            now: start,
            monotonic: Duration::ZERO,
        }))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut time = self.0.lock().unwrap_or_else(|p| p.into_inner());
        time.now += by;
        time.monotonic += by.to_std().unwrap_or_default();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).now
    }
    fn monotonic(&self) -> Duration {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).monotonic
    }
    fn sleep(&self, duration: Duration) {
        self.advance(chrono::Duration::from_std(duration).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_or_slept() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        assert_eq!((clock.now(), clock.monotonic()), (start, Duration::ZERO));
        clock.sleep(Duration::from_millis(1500));
        clock.advance(chrono::Duration::seconds(2));
        assert_eq!(clock.monotonic(), Duration::from_millis(3500));
        assert_eq!(clock.now() - start, chrono::Duration::milliseconds(3500));
    }
}
