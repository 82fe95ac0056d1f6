//! The one rule for timestamps the store writes.

use chrono::{DateTime, SubsecRound, Utc};

/// Truncates to whole milliseconds: what every timestamp written by the store goes
/// through, so that SQLite's RFC 3339 text has either no fraction or exactly three
/// digits and compares in time order.
pub fn db_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}
