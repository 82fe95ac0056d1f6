//! Counts: the query, as REST (`GET /counts`, JSON or CSV) and GraphQL (`counts`) ask
//! it, parsed and validated once with the same limits and errors; and corrections.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use footfall_store::{Bucket, NewResult, ResultQuery};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CountsQuery {
    /// Start, RFC 3339 (default: 24 hours before `to`). Rounded down to its bucket.
    pub from: Option<String>,
    /// End, exclusive, RFC 3339 (default: now).
    pub to: Option<String>,
    /// raw, minute, hour (default), day or month.
    pub bucket: Option<String>,
    /// IANA time zone for bucket boundaries, e.g. Europe/Berlin (default UTC).
    pub tz: Option<String>,
    /// Page size, 1..=10000 (CSV: up to 100000). Default 1000.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// json (default) or csv.
    pub format: Option<String>,
}

/// Longest range per bucket size, so one request cannot ask for millions of buckets.
fn max_range(bucket: Bucket) -> Duration {
    match bucket {
        Bucket::Raw | Bucket::Minute => Duration::days(31),
        Bucket::Hour => Duration::days(366),
        Bucket::Day | Bucket::Month => Duration::days(3660),
    }
}

fn parse_time(value: &str, field: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 time like 2026-11-29T10:00:00Z"))
}

pub struct ParsedCounts {
    pub query: ResultQuery,
    pub csv: bool,
}

pub fn parse_counts(
    q: &CountsQuery,
    camera_id: Option<i64>,
    now: DateTime<Utc>,
) -> ApiResult<ParsedCounts> {
    let csv = match q.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        _ => return Err(ApiError::invalid("format", "must be json or csv")),
    };
    let bucket: Bucket = q
        .bucket
        .as_deref()
        .unwrap_or("hour")
        .parse()
        .map_err(|m: String| ApiError::invalid("bucket", m))?;
    let time_zone: Tz = q.tz.as_deref().unwrap_or("UTC").parse().map_err(|_| {
        ApiError::invalid(
            "tz",
            "must be an IANA time zone such as UTC or Europe/Berlin",
        )
    })?;
    let to =
        q.to.as_deref()
            .map(|v| parse_time(v, "to"))
            .transpose()?
            .unwrap_or(now);
    let from = q
        .from
        .as_deref()
        .map(|v| parse_time(v, "from"))
        .transpose()?
        .unwrap_or(to - Duration::hours(24));
    if from >= to {
        return Err(ApiError::invalid("from", "must be before to"));
    }
    if to - from > max_range(bucket) {
        return Err(ApiError::invalid(
            "to",
            format!(
                "range is limited to {} days for bucket {bucket:?}",
                max_range(bucket).num_days()
            )
            .to_lowercase(),
        ));
    }
    let (limit, offset) =
        validate::page(q.limit, q.offset, 1000, if csv { 100_000 } else { 10_000 })?;
    Ok(ParsedCounts {
        query: ResultQuery {
            camera_id,
            from,
            to,
            bucket,
            time_zone,
            limit: limit as usize,
            offset: offset as usize,
        },
        csv,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    /// The moment the correction applies to (RFC 3339); it lands in that time's buckets.
    pub timestamp: DateTime<Utc>,
    /// People to add to the "in" count; negative removes miscounted ones. -100000..=100000.
    #[serde(default)]
    pub people_in: i32,
    /// Same for "out".
    #[serde(default)]
    pub people_out: i32,
    /// Why (required): kept in the audit log.
    pub reason: String,
}

/// Stores a user's correction of a camera's counts (a door counted by hand, a period the
/// camera missed, a group it double-counted). Stored as a manual result (`is_manual`,
/// worker_id `manual:USER`) that adjusts in / out without being an occupancy sample, and
/// always audited with its reason.
pub async fn correct(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &CorrectionRequest,
) -> ApiResult<()> {
    let reason = validate::text(&body.reason, "reason", 500, true)?;
    for (field, v) in [
        ("people_in", body.people_in),
        ("people_out", body.people_out),
    ] {
        if !(-100_000..=100_000).contains(&v) {
            return Err(ApiError::invalid(field, "must be -100000 to 100000"));
        }
    }
    if body.people_in == 0 && body.people_out == 0 {
        return Err(ApiError::invalid(
            "people_in",
            "a correction must change people_in or people_out",
        ));
    }
    let now = state.clock.now();
    if body.timestamp > now + Duration::minutes(5) {
        return Err(ApiError::invalid("timestamp", "must not be in the future"));
    }
    state.store.camera(id).await?;
    let mut row = NewResult::counts(id, body.timestamp, 0, body.people_in, body.people_out);
    row.worker_id = Some(format!("manual:{}", caller.username));
    row.is_manual = true;
    state
        .store
        .insert_results(std::slice::from_ref(&row), None)
        .await?;
    state.live.hub.publish_results(&[&row], state.clock.now());
    let audit = caller
        .audit("counts.correction", "camera", Some(id.to_string()))
        .with_new(
            json!({"timestamp": body.timestamp, "people_in": body.people_in,
                         "people_out": body.people_out, "reason": reason}),
        );
    state.audit(audit).await?;
    Ok(())
}
