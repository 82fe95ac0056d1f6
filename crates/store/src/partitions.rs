//! Monthly partitions of counting_results and camera_events (PostgreSQL only).
//!
//! Partitions are created for the current month and [`MONTHS_AHEAD`] months after it at
//! every start-up (and by the server daily), so inserts never wait on DDL. Rows outside
//! every monthly partition (a backfill of last year, a clock far in the future) land in
//! the `_default` partition instead of failing.

use crate::{Backend, Result, Store};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Months created ahead of the current one.
pub const MONTHS_AHEAD: u32 = 3;

const PARTITIONED: &[&str] = &["counting_results", "camera_events"];

/// (year, month) of `t` plus `add` months.
fn month_plus(t: NaiveDate, add: u32) -> (i32, u32) {
    let index = t.year() * 12 + t.month0() as i32 + add as i32;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

impl Store {
    /// Creates any missing monthly partition from the month of `now` to `months_ahead`
    /// months later. Returns the names created. No-op on SQLite.
    pub async fn ensure_partitions(
        &self,
        now: DateTime<Utc>,
        months_ahead: u32,
    ) -> Result<Vec<String>> {
        let crate::pool::Pool::Postgres(pool) = &self.pool else {
            return Ok(Vec::new());
        };
        debug_assert_eq!(self.backend(), Backend::Postgres);
        let mut created = Vec::new();
        for table in PARTITIONED {
            for add in 0..=months_ahead {
                let (y, m) = month_plus(now.date_naive(), add);
                let (ny, nm) = month_plus(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default(), 1);
                let name = format!("{table}_y{y:04}m{m:02}");
                let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                    .bind(&name)
                    .fetch_one(pool)
                    .await?;
                if exists {
                    continue;
                }
                // Identifiers cannot be bound; every part here is generated, not input.
                let ddl = format!(
                    "CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} FOR VALUES \
                     FROM ('{y:04}-{m:02}-01 00:00:00+00') TO ('{ny:04}-{nm:02}-01 00:00:00+00')"
                );
                match sqlx::query(&ddl).execute(pool).await {
                    Ok(_) => {
                        tracing::info!(partition = %name, "created partition");
                        created.push(name);
                    }
                    // The default partition already holds rows of that month (e.g. data
                    // ingested before the partition existed): keep them there.
                    Err(e) => {
                        tracing::warn!(partition = %name, error = %e, "partition not created")
                    }
                }
            }
        }
        Ok(created)
    }

    /// Names of the monthly partitions of `table` (PostgreSQL), sorted.
    pub async fn partitions_of(&self, table: &str) -> Result<Vec<String>> {
        let crate::pool::Pool::Postgres(pool) = &self.pool else {
            return Ok(Vec::new());
        };
        Ok(sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1 ORDER BY 1",
        )
        .bind(table)
        .fetch_all(pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_years() {
        let nov = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(month_plus(nov, 0), (2026, 11));
        assert_eq!(month_plus(nov, 2), (2027, 1));
        assert_eq!(month_plus(nov, 14), (2028, 1));
    }
}
