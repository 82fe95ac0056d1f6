//! Real clocks and process CPU time for the CLI (the core takes time through traits).

pub use footfall_source::MonotonicClock;

/// CPU seconds (user + system) of this process plus its waited-for children (ffmpeg),
/// from /proc/self/stat; `None` where that is not available.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime is field 14 (1-based).
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<f64>().unwrap_or(0.0))
        .sum();
    // USER_HZ is 100 on every Linux ABI Footfall targets.
    Some(ticks / 100.0)
}
