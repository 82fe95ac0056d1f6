//! Real clocks and process CPU time for the CLI (the core takes time through traits).

pub use footfall_source::MonotonicClock;

/// CPU seconds (user + system) of this process plus its waited-for children (ffmpeg);
/// `None` where that is not available.
pub fn cpu_seconds() -> Option<f64> {
    footfall_live::usage::ProcessUsage::now().map(|u| u.cpu_s + u.children_cpu_s)
}
