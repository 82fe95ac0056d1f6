//! /api/v1/cameras: CRUD with validation. Stream credentials are sealed at rest and
//! masked in every response (see `stream_url`).

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::cameras;
pub use crate::services::cameras::{
    CameraInput, CameraView, Coordinates, ProbeRequest, ProbeResult,
};
use crate::state::AppState;
use crate::validate::{self, ValidJson};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use footfall_store::{CameraFilter, CameraStatus};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CameraListQuery {
    pub enabled: Option<bool>,
    /// true: list the archived cameras instead of the current ones. Default false.
    pub archived: Option<bool>,
    /// online, offline, error or maintenance.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<CameraListQuery>,
) -> ApiResult<Json<Vec<CameraView>>> {
    let (limit, offset) = validate::page(q.limit, q.offset, 100, 1000)?;
    let status = q
        .status
        .as_deref()
        .map(str::parse::<CameraStatus>)
        .transpose()
        .map_err(|m| ApiError::invalid("status", m))?;
    let cameras = state
        .store
        .list_cameras(&CameraFilter {
            enabled: q.enabled,
            archived: q.archived.unwrap_or(false),
            status,
            limit,
            offset,
        })
        .await?;
    Ok(Json(cameras.into_iter().map(CameraView::from).collect()))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<CameraView>> {
    Ok(Json(state.store.camera(id).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<CameraInput>,
) -> ApiResult<(StatusCode, Json<CameraView>)> {
    let camera = cameras::create(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(camera.into())))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ValidJson(input): ValidJson<CameraInput>,
) -> ApiResult<Json<CameraView>> {
    let camera = cameras::update(&state, &caller, id, input).await?;
    Ok(Json(camera.into()))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// true (admin only): remove the camera and its whole history (results, events,
    /// alerts) for good, after its pipeline is stopped and everything it produced is
    /// stored. Default false: archive it (stopped, hidden from lists, history kept).
    pub purge: Option<bool>,
}

/// Archives a camera, or with `purge=true` removes it with its history. Either way its
/// pipeline stops; a purge first waits until everything the camera produced is stored,
/// so no row of it is left to arrive after its camera is gone.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<StatusCode> {
    cameras::remove(&state, &caller, id, q.purge.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /api/v1/cameras/test: probes a stream URL before any camera uses it (the
/// editor's "test connection" on a new camera). `stream_url` is required.
pub async fn probe_new(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ProbeRequest>,
) -> ApiResult<Json<ProbeResult>> {
    cameras::probe_new_url(&state, &caller, request)
        .await
        .map(Json)
}

/// POST /api/v1/cameras/{id}/test: probes the camera's stream, or the URL in the body.
pub async fn probe(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ProbeResult>> {
    // The body is optional: empty means "the camera's own URL".
    let request: ProbeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ProbeRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e.to_string()))?
    };
    cameras::probe_camera(&state, &caller, id, request)
        .await
        .map(Json)
}
