//! Ingest: counts and events pushed by IoT devices and third-party systems, validated
//! item by item (errors name the item's field), scoped to the device key's cameras,
//! idempotent by client id, published live once stored.

use crate::crypto::token_hash;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use footfall_store::{ApiKey, EventSeverity, NewEvent, NewResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest batch per request.
pub const MAX_BATCH: usize = 10_000;

/// The active device key whose secret is `presented`.
pub async fn device_key(state: &AppState, presented: &str) -> ApiResult<ApiKey> {
    state
        .store
        .use_api_key(&token_hash(presented), state.clock.now())
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))
}

fn check_batch(len: usize, field: &str) -> ApiResult<()> {
    if len == 0 || len > MAX_BATCH {
        return Err(ApiError::invalid(
            field,
            format!("must hold 1 to {MAX_BATCH} items"),
        ));
    }
    Ok(())
}

/// What every pushed item must satisfy: its camera within the key's scope, a plausible
/// time, a usable client id. `at` names one of the item's fields.
fn check_item(
    key: &ApiKey,
    camera_id: i64,
    timestamp: DateTime<Utc>,
    client_id: &Option<String>,
    now: DateTime<Utc>,
    at: impl Fn(&str) -> String,
) -> ApiResult<()> {
    check_scope(key, camera_id, &at("camera_id"))?;
    check_time(timestamp, now, &at("timestamp"))?;
    check_client_id(client_id, &at("id"))
}

fn check_time(t: DateTime<Utc>, now: DateTime<Utc>, field: &str) -> ApiResult<()> {
    if t > now + Duration::minutes(5) {
        return Err(ApiError::invalid(
            field,
            "is more than 5 minutes in the future",
        ));
    }
    if t < now - Duration::days(366) {
        return Err(ApiError::invalid(field, "is more than a year in the past"));
    }
    Ok(())
}

fn check_scope(key: &ApiKey, camera_id: i64, field: &str) -> ApiResult<()> {
    if key.camera_ids.contains(&camera_id) {
        Ok(())
    } else {
        let mut e = ApiError::forbidden(format!("this API key may not write camera {camera_id}"));
        e.body.field = Some(field.to_string());
        Err(e)
    }
}

fn check_client_id(id: &Option<String>, field: &str) -> ApiResult<()> {
    match id {
        Some(id) if id.is_empty() || id.len() > 200 => {
            Err(ApiError::invalid(field, "must be 1 to 200 characters"))
        }
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestCount {
    /// Client-chosen id; a retried request with the same id stores nothing twice.
    pub id: Option<String>,
    pub camera_id: i64,
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub people_count: i32,
    #[serde(default)]
    pub people_in: i32,
    #[serde(default)]
    pub people_out: i32,
    pub confidence_score: Option<f64>,
    #[serde(default)]
    pub detection_count: i32,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestCounts {
    pub results: Vec<IngestCount>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestOutcome {
    pub inserted: usize,
    /// Items whose id was already stored (skipped).
    pub duplicates: usize,
}

/// Validates and stores a device's counts (each item within the key's cameras, at a
/// plausible time), then publishes the rows that were new.
pub async fn counts(
    state: &AppState,
    key: &ApiKey,
    body: IngestCounts,
) -> ApiResult<IngestOutcome> {
    check_batch(body.results.len(), "results")?;
    let now = state.clock.now();
    let mut rows = Vec::with_capacity(body.results.len());
    for (i, r) in body.results.into_iter().enumerate() {
        let at = |f: &str| format!("results[{i}].{f}");
        check_item(key, r.camera_id, r.timestamp, &r.id, now, at)?;
        for (f, v) in [
            ("people_count", r.people_count),
            ("people_in", r.people_in),
            ("people_out", r.people_out),
            ("detection_count", r.detection_count),
        ] {
            if !(0..=1_000_000).contains(&v) {
                return Err(ApiError::invalid(at(f), "must be 0 to 1000000"));
            }
        }
        if r.confidence_score
            .is_some_and(|c| !(0.0..=1.0).contains(&c))
        {
            return Err(ApiError::invalid(at("confidence_score"), "must be 0 to 1"));
        }
        let mut row = NewResult::counts(
            r.camera_id,
            r.timestamp,
            r.people_count,
            r.people_in,
            r.people_out,
        );
        row.confidence_score = r.confidence_score;
        row.detection_count = r.detection_count;
        row.worker_id = Some(format!("ingest:{}", key.name));
        row.client_id = r.id;
        rows.push(row);
    }
    let outcome = state
        .store
        .insert_results(&rows, Some(&format!("key:{}", key.id)))
        .await?;
    let stored: Vec<&NewResult> = outcome.fresh.iter().map(|&i| &rows[i]).collect();
    state.live.hub.publish_results(&stored, state.clock.now());
    Ok(IngestOutcome {
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestEvent {
    pub id: Option<String>,
    pub camera_id: i64,
    /// e.g. door_open, line_in, sensor_fault. 1-50 characters: letters, digits, `_`, `.`, `-`.
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Value,
    #[schema(value_type = Option<String>, example = "low")]
    pub severity: Option<EventSeverity>,
    pub confidence_score: Option<f64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestEvents {
    pub events: Vec<IngestEvent>,
}

/// Validates and stores a device's events, then publishes the ones that were new.
pub async fn events(
    state: &AppState,
    key: &ApiKey,
    body: IngestEvents,
) -> ApiResult<IngestOutcome> {
    check_batch(body.events.len(), "events")?;
    let now = state.clock.now();
    let mut rows = Vec::with_capacity(body.events.len());
    for (i, e) in body.events.into_iter().enumerate() {
        let at = |f: &str| format!("events[{i}].{f}");
        check_item(key, e.camera_id, e.timestamp, &e.id, now, at)?;
        let ok_type = (1..=50).contains(&e.event_type.len())
            && e.event_type
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok_type {
            return Err(ApiError::invalid(
                at("event_type"),
                "must be 1-50 characters: letters, digits, '_', '.', '-'",
            ));
        }
        let data = if e.data.is_null() {
            serde_json::json!({})
        } else {
            e.data
        };
        if !data.is_object() || data.to_string().len() > 8_192 {
            return Err(ApiError::invalid(
                at("data"),
                "must be a JSON object of at most 8 KiB",
            ));
        }
        if e.confidence_score
            .is_some_and(|c| !(0.0..=1.0).contains(&c))
        {
            return Err(ApiError::invalid(at("confidence_score"), "must be 0 to 1"));
        }
        rows.push(NewEvent {
            camera_id: e.camera_id,
            event_type: e.event_type,
            event_data: data,
            timestamp: e.timestamp,
            confidence_score: e.confidence_score,
            severity: e.severity.unwrap_or(EventSeverity::Low),
            client_id: e.id,
        });
    }
    let outcome = state
        .store
        .insert_events(&rows, Some(&format!("key:{}", key.id)))
        .await?;
    let stored: Vec<&NewEvent> = outcome.fresh.iter().map(|&i| &rows[i]).collect();
    state.live.hub.publish_events(stored, state.clock.now());
    Ok(IngestOutcome {
        inserted: outcome.inserted,
        duplicates: outcome.duplicates,
    })
}
