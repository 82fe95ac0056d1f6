//! Counting results query (JSON or CSV) and manual counts.

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::validate::ValidJson;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use footfall_store::Bucket;
use serde::Serialize;
use serde_json::json;
use std::fmt::Write;

pub use crate::services::counts::{CorrectionRequest, CountsQuery, ParsedCounts, parse_counts};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountsPage {
    pub camera_id: Option<i64>,
    pub bucket: String,
    pub tz: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Rows the whole query has (pages: `offset` + `limit`).
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
    /// Buckets, or raw results with `bucket=raw`.
    pub items: Vec<CountRow>,
}

/// One row of `GET /counts`: a time bucket, or a raw result with `bucket=raw`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CountRow {
    Bucket(footfall_store::BucketRow),
    Raw(footfall_store::CountingResult),
}

/// Runs a parsed query; JSON page or CSV text.
pub async fn run_counts(state: &AppState, parsed: ParsedCounts) -> ApiResult<Response> {
    let q = &parsed.query;
    let (items, total, csv_text) = if q.bucket == Bucket::Raw {
        let page = state.store.raw_results(q).await?;
        let mut csv = String::from(
            "id,camera_id,timestamp,people_count,people_in,people_out,confidence_score,detection_count,processing_time_ms,worker_id\n",
        );
        if parsed.csv {
            for r in &page.items {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{},{},{},{},{},{}",
                    r.id,
                    r.camera_id,
                    r.timestamp
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    r.people_count,
                    r.people_in,
                    r.people_out,
                    r.confidence_score
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    r.detection_count,
                    r.processing_time_ms
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    csv_field(r.worker_id.as_deref().unwrap_or(""))
                );
            }
        }
        let items = page.items.into_iter().map(CountRow::Raw).collect();
        (items, page.total, csv)
    } else {
        let page = state.store.bucketed_results(q).await?;
        let mut csv = String::from(
            "start,people_in,people_out,peak_count,avg_count,detection_count,avg_confidence,samples\n",
        );
        if parsed.csv {
            for b in &page.items {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{:.3},{},{},{}",
                    b.start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    b.people_in,
                    b.people_out,
                    b.peak_count,
                    b.avg_count,
                    b.detection_count,
                    b.avg_confidence
                        .map(|v| format!("{v:.4}"))
                        .unwrap_or_default(),
                    b.samples
                );
            }
        }
        let items = page.items.into_iter().map(CountRow::Bucket).collect();
        (items, page.total, csv)
    };
    // An empty page for an unknown camera is a 404. Checked only when empty, so the hot
    // path (a camera with data) costs one query less.
    if let (0, Some(camera)) = (total, q.camera_id) {
        state.store.camera(camera).await?;
    }
    if parsed.csv {
        let name = format!(
            "counts-{}.csv",
            q.camera_id
                .map(|c| c.to_string())
                .unwrap_or_else(|| "all".into())
        );
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (
                    header::HeaderName::from_static("x-total-count"),
                    total.to_string(),
                ),
            ],
            csv_text,
        )
            .into_response());
    }
    Ok(Json(CountsPage {
        camera_id: q.camera_id,
        bucket: format!("{:?}", q.bucket).to_lowercase(),
        tz: q.time_zone.name().to_string(),
        from: q.from,
        to: q.to,
        total,
        limit: q.limit,
        offset: q.offset,
        items,
    })
    .into_response())
}

/// Quotes a CSV field when it needs it (and defuses spreadsheet formulas).
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

pub async fn camera_counts(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CountsQuery>,
) -> ApiResult<Response> {
    let parsed = parse_counts(&q, Some(id), state.clock.now())?;
    run_counts(&state, parsed).await
}

pub async fn all_counts(
    State(state): State<AppState>,
    Query(q): Query<CountsQuery>,
) -> ApiResult<Response> {
    let parsed = parse_counts(&q, None, state.clock.now())?;
    run_counts(&state, parsed).await
}

/// A user's correction of a camera's counts (a door counted by hand, a period the
/// camera missed, a group it double-counted). Stored as a manual result (`is_manual`,
/// worker_id `manual:USER`) that adjusts in / out without being an occupancy sample, and
/// always audited with its reason.
pub async fn correction(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ValidJson(body): ValidJson<CorrectionRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    crate::services::counts::correct(&state, &caller, id, &body).await?;
    Ok((StatusCode::CREATED, Json(json!({"inserted": 1}))))
}
