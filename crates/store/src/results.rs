//! counting_results: batched inserts (with the hourly rollup kept in step) and the
//! results query in raw rows or time buckets in any IANA time zone.
//!
//! Bucketing happens in two steps so that both backends share it: the database sums
//! rows into UTC "fine" buckets (the hourly rollup table for hour / day / month in zones
//! whose offset is a whole number of hours, raw rows grouped per minute otherwise), and
//! [`fold_buckets`] adds the fine buckets into local-time buckets.

use crate::pool::on_pool;
use crate::receipts::InsertOutcome;
use crate::{Backend, Result, Store, db_time};
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// One result to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewResult {
    pub camera_id: i64,
    pub timestamp: DateTime<Utc>,
    pub people_count: i32,
    pub people_in: i32,
    pub people_out: i32,
    pub confidence_score: Option<f64>,
    pub detection_count: i32,
    pub false_positives: i32,
    pub false_negatives: i32,
    pub processing_time_ms: Option<f64>,
    pub frame_quality_score: Option<f64>,
    pub model_id: Option<i64>,
    pub worker_id: Option<String>,
    /// A user's correction: `people_in` / `people_out` may be negative, and the row is
    /// not an occupancy sample (it changes no average or peak).
    pub is_manual: bool,
    /// Idempotency key given by the producer; a result whose id was already stored for
    /// the same source is skipped.
    pub client_id: Option<String>,
}

impl NewResult {
    /// A result with only the counts set.
    pub fn counts(
        camera_id: i64,
        timestamp: DateTime<Utc>,
        people_count: i32,
        people_in: i32,
        people_out: i32,
    ) -> Self {
        NewResult {
            camera_id,
            timestamp,
            people_count,
            people_in,
            people_out,
            confidence_score: None,
            detection_count: 0,
            false_positives: 0,
            false_negatives: 0,
            processing_time_ms: None,
            frame_quality_score: None,
            model_id: None,
            worker_id: None,
            is_manual: false,
            client_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountingResult {
    pub id: i64,
    pub camera_id: i64,
    pub timestamp: DateTime<Utc>,
    pub people_count: i32,
    pub people_in: i32,
    pub people_out: i32,
    pub confidence_score: Option<f64>,
    pub detection_count: i32,
    pub false_positives: i32,
    pub false_negatives: i32,
    pub processing_time_ms: Option<f64>,
    pub frame_quality_score: Option<f64>,
    pub model_id: Option<i64>,
    pub worker_id: Option<String>,
    pub is_manual: bool,
    pub created_at: DateTime<Utc>,
}

/// Bucket size of a results query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Raw,
    Minute,
    Hour,
    Day,
    Month,
}

impl std::str::FromStr for Bucket {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "raw" => Ok(Bucket::Raw),
            "minute" => Ok(Bucket::Minute),
            "hour" => Ok(Bucket::Hour),
            "day" => Ok(Bucket::Day),
            "month" => Ok(Bucket::Month),
            _ => Err("must be one of: raw, minute, hour, day, month".into()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ResultQuery {
    /// One camera, or every camera when `None`.
    pub camera_id: Option<i64>,
    /// Start (inclusive); rounded down to the start of its bucket.
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    pub bucket: Bucket,
    pub time_zone: Tz,
    pub limit: usize,
    pub offset: usize,
}

/// One local-time bucket of a results query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketRow {
    /// Start of the bucket, RFC 3339 with the query time zone's offset.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: DateTime<FixedOffset>,
    pub people_in: i64,
    pub people_out: i64,
    /// Highest people_count of any single result in the bucket.
    pub peak_count: i64,
    /// Mean people_count over the results in the bucket.
    pub avg_count: f64,
    pub detection_count: i64,
    pub avg_confidence: Option<f64>,
    /// How many results the bucket sums.
    pub samples: i64,
}

/// A page of raw results or buckets plus the total number of rows the query has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawPage<T> {
    pub items: Vec<T>,
    pub total: usize,
}

/// Sums over one UTC fine bucket as the database returns them.
/// Field order matters: the SQLite path reads it from `json_array(...)` in this order.
#[derive(Debug, Clone, Copy, PartialEq, Default, sqlx::FromRow, Deserialize)]
struct FineBucket {
    /// Start of the fine bucket, Unix seconds.
    start_s: i64,
    samples: i64,
    people_in: i64,
    people_out: i64,
    count_sum: i64,
    count_max: i64,
    detection_count: i64,
    confidence_sum: f64,
    confidence_samples: i64,
}

const RESULT_COLUMNS: &str = "id, camera_id, \"timestamp\", people_count, people_in, people_out, confidence_score, \
     detection_count, false_positives, false_negatives, processing_time_ms, frame_quality_score, model_id, \
     worker_id, is_manual, created_at";

impl Store {
    /// Stores a batch in one transaction: multi-row INSERTs of up to 2,000 rows plus
    /// one upsert per (camera, hour) into the hourly rollup. When `source` is given,
    /// rows carrying a `client_id` already recorded for that source are skipped (and
    /// duplicates within the batch are stored once).
    pub async fn insert_results(
        &self,
        rows: &[NewResult],
        source: Option<&str>,
    ) -> Result<InsertOutcome> {
        if rows.is_empty() {
            return Ok(InsertOutcome::default());
        }
        let now = db_time(Utc::now());
        let backend = self.backend();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let outcome = insert_results_in!(tx, rows, source, now, backend);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Stores what one producer made in one interval, events and results, in a single
    /// transaction: either all of it is stored or none (so a retry after a failure never
    /// finds half a batch). Idempotent per client id like the two calls it combines.
    pub async fn insert_batch(
        &self,
        events: &[crate::NewEvent],
        results: &[NewResult],
        source: Option<&str>,
    ) -> Result<(InsertOutcome, InsertOutcome)> {
        if events.is_empty() && results.is_empty() {
            return Ok(Default::default());
        }
        let now = db_time(Utc::now());
        let backend = self.backend();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let events = crate::events::insert_events_in!(tx, events, source, now);
            let results = if results.is_empty() {
                InsertOutcome::default()
            } else {
                insert_results_in!(tx, results, source, now, backend)
            };
            tx.commit().await?;
            Ok((events, results))
        })
    }

    /// Raw results in time order, one page.
    pub async fn raw_results(&self, q: &ResultQuery) -> Result<RawPage<CountingResult>> {
        let filter = match q.camera_id {
            Some(_) => "camera_id = $3 AND \"timestamp\" >= $1 AND \"timestamp\" < $2",
            None => "\"timestamp\" >= $1 AND \"timestamp\" < $2 AND $3 IS NULL",
        };
        let count_sql = format!("SELECT COUNT(*) FROM counting_results WHERE {filter}");
        let page_sql = format!(
            "SELECT {RESULT_COLUMNS} FROM counting_results WHERE {filter} ORDER BY \"timestamp\", id LIMIT $4 OFFSET $5"
        );
        let (from, to) = (db_time(q.from), db_time(q.to));
        let total: i64 = on_pool!(self, |pool| sqlx::query_scalar(&count_sql)
            .bind(from)
            .bind(to)
            .bind(q.camera_id)
            .fetch_one(pool)
            .await)?;
        let items = on_pool!(self, |pool| sqlx::query_as::<_, CountingResult>(&page_sql)
            .bind(from)
            .bind(to)
            .bind(q.camera_id)
            .bind(q.limit as i64)
            .bind(q.offset as i64)
            .fetch_all(pool)
            .await)?;
        Ok(RawPage {
            items,
            total: total as usize,
        })
    }

    /// Results summed into local-time buckets, one page (`Bucket::Raw` is not a bucket;
    /// use [`Store::raw_results`]).
    pub async fn bucketed_results(&self, q: &ResultQuery) -> Result<RawPage<BucketRow>> {
        let from = bucket_start(q.from, q.bucket, &q.time_zone).with_timezone(&Utc);
        let fine = if matches!(q.bucket, Bucket::Hour | Bucket::Day | Bucket::Month)
            && whole_hour_offsets(&q.time_zone, from, q.to)
        {
            self.hourly_fine_buckets(q.camera_id, from, q.to).await?
        } else {
            self.check_raw_scan(q.camera_id, from, q.to).await?;
            self.minute_fine_buckets(q.camera_id, from, q.to).await?
        };
        let all = fold_buckets(&fine, q.bucket, &q.time_zone);
        let total = all.len();
        let items = all.into_iter().skip(q.offset).take(q.limit).collect();
        Ok(RawPage { items, total })
    }

    async fn hourly_fine_buckets(
        &self,
        camera: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FineBucket>> {
        let start_s = match self.backend() {
            Backend::Sqlite => "CAST(strftime('%s', hour_start) AS INTEGER)",
            Backend::Postgres => "CAST(extract(epoch FROM hour_start) AS BIGINT)",
        };
        let camera_filter = if camera.is_some() {
            "camera_id = $3"
        } else {
            "$3 IS NULL"
        };
        // Hours are grouped (not just listed) so that "all cameras" sums across cameras.
        let sql = format!(
            "SELECT {start_s} AS start_s, CAST(SUM(samples) AS BIGINT) AS samples, \
             CAST(SUM(people_in) AS BIGINT) AS people_in, CAST(SUM(people_out) AS BIGINT) AS people_out, \
             CAST(SUM(people_count_sum) AS BIGINT) AS count_sum, CAST(MAX(people_count_max) AS BIGINT) AS count_max, \
             CAST(SUM(detection_count) AS BIGINT) AS detection_count, \
             CAST(SUM(confidence_sum) AS DOUBLE PRECISION) AS confidence_sum, \
             CAST(SUM(confidence_samples) AS BIGINT) AS confidence_samples \
             FROM counting_results_hourly WHERE {camera_filter} AND hour_start >= $1 AND hour_start < $2 \
             GROUP BY hour_start ORDER BY hour_start"
        );
        self.fine_buckets(&sql, camera, from, to).await
    }

    /// Refuses ([`StoreError::TooBig`]) a query that would read more raw results than
    /// [`crate::StoreOptions::max_rows_scanned`]. The count stops one past the bound, on
    /// the (camera, timestamp) index, so asking costs at most the bound's index entries.
    async fn check_raw_scan(
        &self,
        camera: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<()> {
        let bound = self.max_rows_scanned;
        let camera_filter = if camera.is_some() {
            "camera_id = $3"
        } else {
            "$3 IS NULL"
        };
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM counting_results WHERE {camera_filter} \
             AND \"timestamp\" >= $1 AND \"timestamp\" < $2 LIMIT $4) AS scanned"
        );
        let limit = i64::try_from(bound.saturating_add(1)).unwrap_or(i64::MAX);
        let rows: i64 = on_pool!(self, |pool| sqlx::query_scalar(&sql)
            .bind(db_time(from))
            .bind(db_time(to))
            .bind(camera)
            .bind(limit)
            .fetch_one(pool)
            .await)?;
        if u64::try_from(rows).unwrap_or(0) > bound {
            return Err(crate::StoreError::TooBig(format!(
                "this query would read more than {bound} raw results (minute buckets, or a \
                 time zone whose offset is not a whole hour, are computed from raw results); \
                 narrow the range or choose one camera"
            )));
        }
        Ok(())
    }

    async fn minute_fine_buckets(
        &self,
        camera: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FineBucket>> {
        let minute_s = match self.backend() {
            Backend::Sqlite => "(CAST(strftime('%s', \"timestamp\") AS INTEGER) / 60 * 60)",
            Backend::Postgres => {
                "(CAST(floor(extract(epoch FROM \"timestamp\") / 60) AS BIGINT) * 60)"
            }
        };
        let camera_filter = if camera.is_some() {
            "camera_id = $3"
        } else {
            "$3 IS NULL"
        };
        let sql = format!(
            // Manual corrections adjust in / out only; they are not occupancy samples.
            "SELECT {minute_s} AS start_s, CAST(SUM(CASE WHEN is_manual THEN 0 ELSE 1 END) AS BIGINT) AS samples, \
             CAST(SUM(people_in) AS BIGINT) AS people_in, CAST(SUM(people_out) AS BIGINT) AS people_out, \
             CAST(SUM(CASE WHEN is_manual THEN 0 ELSE people_count END) AS BIGINT) AS count_sum, \
             CAST(COALESCE(MAX(CASE WHEN is_manual THEN NULL ELSE people_count END), 0) AS BIGINT) AS count_max, \
             CAST(SUM(detection_count) AS BIGINT) AS detection_count, \
             CAST(COALESCE(SUM(confidence_score), 0) AS DOUBLE PRECISION) AS confidence_sum, \
             COUNT(confidence_score) AS confidence_samples \
             FROM counting_results WHERE {camera_filter} AND \"timestamp\" >= $1 AND \"timestamp\" < $2 \
             GROUP BY 1 ORDER BY 1"
        );
        self.fine_buckets(&sql, camera, from, to).await
    }

    /// Runs a fine-bucket query. On SQLite the rows come back as one JSON array: sqlx
    /// hands every SQLite row from its worker thread to the async side through a
    /// channel, and for the ~720 rows of a 30-day hour query those hand-offs cost more
    /// than the query itself (measured: p50 3.4 ms -> see bench/README.md).
    async fn fine_buckets(
        &self,
        sql: &str,
        camera: Option<i64>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FineBucket>> {
        match &self.pool {
            crate::pool::Pool::Postgres(pool) => Ok(sqlx::query_as::<_, FineBucket>(sql)
                .bind(db_time(from))
                .bind(db_time(to))
                .bind(camera)
                .fetch_all(pool)
                .await?),
            crate::pool::Pool::Sqlite(pool) => {
                let wrapped = format!(
                    "SELECT COALESCE(json_group_array(json_array(start_s, samples, people_in, people_out, count_sum, \
                     count_max, detection_count, confidence_sum, confidence_samples)), '[]') FROM ({sql})"
                );
                let text: String = sqlx::query_scalar(&wrapped)
                    .bind(db_time(from))
                    .bind(db_time(to))
                    .bind(camera)
                    .fetch_one(pool)
                    .await?;
                // serde reads a struct from a JSON array in field order.
                Ok(serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?)
            }
        }
    }

    /// The query plan of the hot hour-bucket query, for tests and EXPLAIN docs.
    pub async fn explain_hourly_query(
        &self,
        camera: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<String> {
        let (prefix, start_s) = match self.backend() {
            Backend::Sqlite => (
                "EXPLAIN QUERY PLAN ",
                "CAST(strftime('%s', hour_start) AS INTEGER)",
            ),
            Backend::Postgres => ("EXPLAIN ", "CAST(extract(epoch FROM hour_start) AS BIGINT)"),
        };
        let sql = format!(
            "{prefix}SELECT {start_s}, SUM(samples) FROM counting_results_hourly \
             WHERE camera_id = $1 AND hour_start >= $2 AND hour_start < $3 GROUP BY hour_start"
        );
        let lines: Vec<String> = match &self.pool {
            crate::pool::Pool::Sqlite(pool) => {
                let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&sql)
                    .bind(camera)
                    .bind(db_time(from))
                    .bind(db_time(to))
                    .fetch_all(pool)
                    .await?;
                rows.into_iter().map(|r| r.3).collect()
            }
            crate::pool::Pool::Postgres(pool) => {
                sqlx::query_scalar(&sql)
                    .bind(camera)
                    .bind(db_time(from))
                    .bind(db_time(to))
                    .fetch_all(pool)
                    .await?
            }
        };
        Ok(lines.join("\n"))
    }
}

/// Inserts results and their hourly rollup inside the open transaction `$tx` (see
/// [`Store::insert_results`]); evaluates to their [`InsertOutcome`]. A macro because the
/// transaction's type differs per backend.
macro_rules! insert_results_in {
    ($tx:ident, $rows:expr, $source:expr, $now:expr, $backend:expr) => {{
        let rows: &[NewResult] = $rows;
        let new_ids = match $source {
            Some(source) => {
                let ids: Vec<&str> =
                    rows.iter().filter_map(|r| r.client_id.as_deref()).collect();
                Some(crate::receipts::claim_ingest_receipts!($tx, source, "count", ids))
            }
            None => None,
        };
        let fresh_index = crate::receipts::fresh_indices(rows, |r| r.client_id.as_deref(), new_ids.as_ref());
        let fresh: Vec<&NewResult> = fresh_index.iter().map(|&i| &rows[i]).collect();
        for chunk in fresh.chunks(crate::receipts::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO counting_results (camera_id, \"timestamp\", people_count, people_in, people_out, \
                 confidence_score, detection_count, false_positives, false_negatives, processing_time_ms, \
                 frame_quality_score, model_id, worker_id, is_manual, created_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.camera_id)
                    .push_bind(db_time(r.timestamp))
                    .push_bind(r.people_count)
                    .push_bind(r.people_in)
                    .push_bind(r.people_out)
                    .push_bind(r.confidence_score)
                    .push_bind(r.detection_count)
                    .push_bind(r.false_positives)
                    .push_bind(r.false_negatives)
                    .push_bind(r.processing_time_ms)
                    .push_bind(r.frame_quality_score)
                    .push_bind(r.model_id)
                    .push_bind(r.worker_id.clone())
                    .push_bind(r.is_manual)
                    .push_bind($now);
            });
            q.build()
                .execute(&mut *$tx)
                .await
                .map_err(|e| crate::StoreError::from_write(e, &[]))?;
        }
        let hours = hourly_sums(&fresh);
        let rollups: Vec<_> = hours.into_iter().collect();
        for chunk in rollups.chunks(crate::receipts::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO counting_results_hourly (camera_id, hour_start, samples, people_in, people_out, \
                 people_count_sum, people_count_max, detection_count, confidence_sum, confidence_samples) ",
            );
            q.push_values(chunk, |mut b, ((camera, hour_s), f)| {
                b.push_bind(*camera)
                    .push_bind(DateTime::<Utc>::from_timestamp(*hour_s, 0).unwrap_or_default())
                    .push_bind(f.samples)
                    .push_bind(f.people_in)
                    .push_bind(f.people_out)
                    .push_bind(f.count_sum)
                    .push_bind(f.count_max as i32)
                    .push_bind(f.detection_count)
                    .push_bind(f.confidence_sum)
                    .push_bind(f.confidence_samples);
            });
            let max_fn = match $backend {
                Backend::Sqlite => "MAX",
                Backend::Postgres => "GREATEST",
            };
            q.push(format!(
                " ON CONFLICT (camera_id, hour_start) DO UPDATE SET \
                 samples = counting_results_hourly.samples + excluded.samples, \
                 people_in = counting_results_hourly.people_in + excluded.people_in, \
                 people_out = counting_results_hourly.people_out + excluded.people_out, \
                 people_count_sum = counting_results_hourly.people_count_sum + excluded.people_count_sum, \
                 people_count_max = {max_fn}(counting_results_hourly.people_count_max, excluded.people_count_max), \
                 detection_count = counting_results_hourly.detection_count + excluded.detection_count, \
                 confidence_sum = counting_results_hourly.confidence_sum + excluded.confidence_sum, \
                 confidence_samples = counting_results_hourly.confidence_samples + excluded.confidence_samples"
            ));
            q.build().execute(&mut *$tx).await?;
        }
        crate::receipts::InsertOutcome {
            inserted: fresh.len(),
            duplicates: rows.len() - fresh.len(),
            fresh: fresh_index,
        }
    }};
}
pub(crate) use insert_results_in;

/// Sums a batch per (camera, UTC hour start in Unix seconds).
fn hourly_sums(rows: &[&NewResult]) -> BTreeMap<(i64, i64), FineBucket> {
    let mut hours: BTreeMap<(i64, i64), FineBucket> = BTreeMap::new();
    for r in rows {
        let hour_s = r.timestamp.timestamp().div_euclid(3600) * 3600;
        let f = hours.entry((r.camera_id, hour_s)).or_insert(FineBucket {
            start_s: hour_s,
            ..Default::default()
        });
        f.people_in += i64::from(r.people_in);
        f.people_out += i64::from(r.people_out);
        if r.is_manual {
            // A correction: in / out only, not an occupancy sample.
            continue;
        }
        f.samples += 1;
        f.count_sum += i64::from(r.people_count);
        f.count_max = f.count_max.max(i64::from(r.people_count));
        f.detection_count += i64::from(r.detection_count);
        if let Some(c) = r.confidence_score {
            f.confidence_sum += c;
            f.confidence_samples += 1;
        }
    }
    hours
}

/// Whether `tz`'s UTC offset is a whole number of hours everywhere in [from, to], so
/// that UTC hours nest inside local hours, days and months. Checked at both ends and
/// daily in between (offsets change at most a few times a year).
fn whole_hour_offsets(tz: &Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let whole = |t: DateTime<Utc>| {
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc()
            % 3600
            == 0
    };
    let mut t = from;
    while t < to {
        if !whole(t) {
            return false;
        }
        t += Duration::days(1);
    }
    whole(to)
}

/// Start of the local bucket containing `t`.
pub fn bucket_start(t: DateTime<Utc>, bucket: Bucket, tz: &Tz) -> DateTime<FixedOffset> {
    let local = t.with_timezone(tz);
    let fixed = |d: DateTime<Tz>| d.fixed_offset();
    match bucket {
        Bucket::Raw => fixed(local),
        Bucket::Minute => fixed(
            local
                .with_second(0)
                .and_then(|d| d.with_nanosecond(0))
                .unwrap_or(local),
        ),
        Bucket::Hour => {
            // Truncate in UTC by the local minute-of-hour so zones with :30/:45 offsets
            // and DST folds keep distinct hours.
            let into_hour = i64::from(local.minute()) * 60 + i64::from(local.second());
            let start = t
                - Duration::seconds(into_hour)
                - Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()));
            fixed(start.with_timezone(tz))
        }
        Bucket::Day => fixed(local_midnight(tz, local.date_naive())),
        Bucket::Month => fixed(local_midnight(
            tz,
            NaiveDate::from_ymd_opt(local.year(), local.month(), 1).unwrap_or(local.date_naive()),
        )),
    }
}

/// First instant of a local date (midnight, or the first valid time after a DST gap).
fn local_midnight(tz: &Tz, date: NaiveDate) -> DateTime<Tz> {
    let mut time = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(d) = tz.from_local_datetime(&time).earliest() {
            return d;
        }
        time += Duration::minutes(30);
    }
    tz.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Adds UTC fine buckets into local-time buckets, in time order.
fn fold_buckets(fine: &[FineBucket], bucket: Bucket, tz: &Tz) -> Vec<BucketRow> {
    let mut out: BTreeMap<i64, (DateTime<FixedOffset>, FineBucket)> = BTreeMap::new();
    let mut starts: HashMap<i64, DateTime<FixedOffset>> = HashMap::new();
    for f in fine {
        let start = *starts.entry(f.start_s).or_insert_with(|| {
            bucket_start(
                DateTime::<Utc>::from_timestamp(f.start_s, 0).unwrap_or_default(),
                bucket,
                tz,
            )
        });
        let key = start.timestamp();
        let (_, acc) = out.entry(key).or_insert((
            start,
            FineBucket {
                start_s: key,
                ..Default::default()
            },
        ));
        acc.samples += f.samples;
        acc.people_in += f.people_in;
        acc.people_out += f.people_out;
        acc.count_sum += f.count_sum;
        acc.count_max = acc.count_max.max(f.count_max);
        acc.detection_count += f.detection_count;
        acc.confidence_sum += f.confidence_sum;
        acc.confidence_samples += f.confidence_samples;
    }
    out.into_values()
        .map(|(start, f)| BucketRow {
            start,
            people_in: f.people_in,
            people_out: f.people_out,
            peak_count: f.count_max,
            avg_count: if f.samples > 0 {
                f.count_sum as f64 / f.samples as f64
            } else {
                0.0
            },
            detection_count: f.detection_count,
            avg_confidence: (f.confidence_samples > 0)
                .then(|| f.confidence_sum / f.confidence_samples as f64),
            samples: f.samples,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fine(start: &str, people_in: i64, count_max: i64) -> FineBucket {
        FineBucket {
            start_s: utc(start).timestamp(),
            samples: 1,
            people_in,
            count_sum: count_max,
            count_max,
            ..Default::default()
        }
    }

    #[test]
    fn day_buckets_follow_the_local_date() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 22:30 UTC on the 1st is 23:30 in Berlin (winter, +01:00); 23:30 UTC is the 2nd.
        let rows = [
            fine("2026-01-01T22:00:00Z", 2, 1),
            fine("2026-01-01T23:00:00Z", 3, 4),
        ];
        let days = fold_buckets(&rows, Bucket::Day, &tz);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].start.to_rfc3339(), "2026-01-01T00:00:00+01:00");
        assert_eq!(days[0].people_in, 2);
        assert_eq!(days[1].start.to_rfc3339(), "2026-01-02T00:00:00+01:00");
        assert_eq!((days[1].people_in, days[1].peak_count), (3, 4));
    }

    #[test]
    fn dst_day_is_23_hours_and_hours_stay_distinct() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29: clocks go 02:00 -> 03:00. The local day spans 23 UTC hours.
        let rows: Vec<FineBucket> = (0..24)
            .map(|h| FineBucket {
                start_s: utc("2026-03-28T23:00:00Z").timestamp() + h * 3600,
                samples: 1,
                people_in: 1,
                ..Default::default()
            })
            .collect();
        let days = fold_buckets(&rows, Bucket::Day, &tz);
        assert_eq!(days[0].start.to_rfc3339(), "2026-03-29T00:00:00+01:00");
        assert_eq!(days[0].people_in, 23);
        assert_eq!(days[1].start.to_rfc3339(), "2026-03-30T00:00:00+02:00");
        let hours = fold_buckets(&rows, Bucket::Hour, &tz);
        assert_eq!(hours.len(), 24, "every UTC hour is its own local hour");
        assert_eq!(hours[2].start.to_rfc3339(), "2026-03-29T03:00:00+02:00");
    }

    #[test]
    fn half_hour_zones_need_minute_fine_buckets() {
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let (from, to) = (utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z"));
        assert!(!whole_hour_offsets(&kolkata, from, to));
        assert!(whole_hour_offsets(&berlin, from, to));
        // 10:15 UTC is 15:45 IST; its hour bucket starts 15:00 IST = 09:30 UTC.
        let start = bucket_start(utc("2026-01-01T10:15:00Z"), Bucket::Hour, &kolkata);
        assert_eq!(start.to_rfc3339(), "2026-01-01T15:00:00+05:30");
        assert_eq!(start.with_timezone(&Utc), utc("2026-01-01T09:30:00Z"));
    }

    #[test]
    fn month_buckets_and_averages() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let rows = [
            FineBucket {
                start_s: utc("2026-01-31T12:00:00Z").timestamp(),
                samples: 2,
                count_sum: 6,
                count_max: 4,
                confidence_sum: 1.5,
                confidence_samples: 2,
                ..Default::default()
            },
            // 03:00 UTC on Feb 1st is still January 31st in New York.
            FineBucket {
                start_s: utc("2026-02-01T03:00:00Z").timestamp(),
                samples: 2,
                count_sum: 2,
                count_max: 1,
                ..Default::default()
            },
            FineBucket {
                start_s: utc("2026-02-01T06:00:00Z").timestamp(),
                samples: 1,
                count_sum: 5,
                count_max: 5,
                ..Default::default()
            },
        ];
        let months = fold_buckets(&rows, Bucket::Month, &tz);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].start.to_rfc3339(), "2026-01-01T00:00:00-05:00");
        assert_eq!((months[0].samples, months[0].peak_count), (4, 4));
        assert!((months[0].avg_count - 2.0).abs() < 1e-9);
        assert_eq!(months[0].avg_confidence, Some(0.75));
        assert_eq!(months[1].start.to_rfc3339(), "2026-02-01T00:00:00-05:00");
        assert_eq!(months[1].avg_confidence, None);
    }

    #[test]
    fn hourly_sums_group_by_camera_and_utc_hour() {
        let a = NewResult::counts(1, utc("2026-01-01T10:59:59.999Z"), 3, 1, 0);
        let b = NewResult::counts(1, utc("2026-01-01T11:00:00Z"), 5, 2, 1);
        let c = NewResult::counts(2, utc("2026-01-01T10:10:00Z"), 1, 0, 4);
        let sums = hourly_sums(&[&a, &b, &c]);
        assert_eq!(sums.len(), 3);
        let h10 = sums[&(1, utc("2026-01-01T10:00:00Z").timestamp())];
        assert_eq!((h10.samples, h10.people_in, h10.count_max), (1, 1, 3));
        assert_eq!(
            sums[&(2, utc("2026-01-01T10:00:00Z").timestamp())].people_out,
            4
        );
        let correction = NewResult {
            is_manual: true,
            ..NewResult::counts(1, utc("2026-01-01T10:30:00Z"), 0, -2, 0)
        };
        let sums = hourly_sums(&[&a, &correction]);
        let h10 = sums[&(1, utc("2026-01-01T10:00:00Z").timestamp())];
        assert_eq!(
            (h10.samples, h10.people_in, h10.count_max, h10.count_sum),
            (1, -1, 3, 3)
        );
    }
}
