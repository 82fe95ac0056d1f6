//! The real monotonic clock behind the core's `Clock` trait (processing-time measurement).

use footfall_core::pipeline::Clock;
use std::time::Instant;

/// Monotonic seconds since creation.
pub struct MonotonicClock(Instant);

impl MonotonicClock {
    pub fn new() -> Self {
        MonotonicClock(Instant::now())
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now_s(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}
