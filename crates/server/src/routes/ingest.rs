//! /api/v1/ingest/*: counts and events pushed by IoT devices and third-party systems,
//! authenticated by device API keys (scoped to cameras), idempotent by client id.

use crate::error::{ApiError, ApiResult};
use crate::services::ingest;
pub use crate::services::ingest::{
    IngestCount, IngestCounts, IngestEvent, IngestEvents, IngestOutcome, MAX_BATCH,
};
use crate::state::AppState;
use crate::validate::ValidJson;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use footfall_store::ApiKey;

/// An authenticated device: the active API key from `X-Api-Key: KEY` or
/// `Authorization: ApiKey KEY`. Extracted before the body, so an unauthenticated caller
/// learns nothing about the payload format.
pub struct DeviceKey(pub ApiKey);

impl axum::extract::FromRequestParts<AppState> for DeviceKey {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> ApiResult<DeviceKey> {
        let presented = presented_key(&parts.headers)
            .ok_or_else(|| ApiError::unauthorized("missing API key (X-Api-Key header)"))?;
        ingest::device_key(state, presented).await.map(DeviceKey)
    }
}

/// The key from `X-Api-Key`, or else from `Authorization: ApiKey KEY`.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get(axum::http::header::AUTHORIZATION)?
                .to_str()
                .ok()?
                .strip_prefix("ApiKey ")
        })
        .map(str::trim)
}

pub async fn counts(
    State(state): State<AppState>,
    DeviceKey(key): DeviceKey,
    ValidJson(body): ValidJson<IngestCounts>,
) -> ApiResult<Json<IngestOutcome>> {
    ingest::counts(&state, &key, body).await.map(Json)
}

pub async fn events(
    State(state): State<AppState>,
    DeviceKey(key): DeviceKey,
    ValidJson(body): ValidJson<IngestEvents>,
) -> ApiResult<Json<IngestOutcome>> {
    ingest::events(&state, &key, body).await.map(Json)
}
