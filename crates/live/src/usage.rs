//! What this process uses, from /proc (Linux): the worker heartbeat, `/metrics` and the
//! CLI's run summary read it here.

/// CPU and memory of this process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessUsage {
    /// User + system CPU seconds of this process.
    pub cpu_s: f64,
    /// User + system CPU seconds of its waited-for children (ffmpeg).
    pub children_cpu_s: f64,
    /// Resident memory, bytes.
    pub resident_bytes: u64,
}

/// USER_HZ: /proc counts CPU time in ticks of 1/100 s on every Linux ABI Footfall targets.
const TICKS_PER_S: f64 = 100.0;
/// Page size of /proc/self/statm, bytes.
const PAGE_BYTES: u64 = 4096;

impl ProcessUsage {
    /// `None` where /proc is not available.
    pub fn now() -> Option<ProcessUsage> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        parse(&stat, &statm)
    }
}

fn parse(stat: &str, statm: &str) -> Option<ProcessUsage> {
    // Fields after the ")" that ends the command name (which may hold spaces and
    // parentheses); utime, stime, cutime, cstime are fields 14 to 17 (1-based).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(ProcessUsage {
        cpu_s: (ticks(11)? + ticks(12)?) / TICKS_PER_S,
        children_cpu_s: (ticks(13)? + ticks(14)?) / TICKS_PER_S,
        resident_bytes: pages * PAGE_BYTES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_even_with_a_parenthesised_command_name() {
        let stat = "42 (foot (fall) x) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 8 0";
        let usage = parse(stat, "1000 512 100 1 0 300 0").unwrap();
        assert_eq!(
            usage,
            ProcessUsage {
                cpu_s: 3.0,
                children_cpu_s: 0.5,
                resident_bytes: 512 * 4096,
            }
        );
        assert!(parse("garbage", "1 2").is_none());
        let here = ProcessUsage::now().expect("Linux");
        assert!(here.resident_bytes > 0);
    }
}
