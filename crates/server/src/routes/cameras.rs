//! /api/v1/cameras: CRUD with validation. Stream credentials are sealed at rest and
//! masked in every response (see `stream_url`).

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::stream_url::StreamUrl;
use crate::validate::{self, ValidJson};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use footfall_store::{Camera, CameraFilter, CameraStatus, Role};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::services::cameras::probe_url;
pub use crate::services::cameras::{
    CameraInput, CameraView, Coordinates, ProbeRequest, ProbeResult, to_write,
};

/// Audit view of a camera: no security_config, URL masked.
fn audit_values(c: &Camera) -> Value {
    json!({"name": c.name, "stream_url": c.stream_url, "stream_type": c.stream_type, "location": c.location,
           "enabled": c.enabled, "settings": c.settings})
}

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
    let url = input.stream_url.clone();
    let write = to_write(&state, input, None)?;
    crate::stream_url::check_destination(&state, &url).await?;
    let camera = state.store.create_camera(&write, state.clock.now()).await?;
    state
        .audit(
            caller
                .meta
                .audit(
                    Some(caller.user_id),
                    "camera.create",
                    "camera",
                    Some(camera.id.to_string()),
                )
                .with_new(audit_values(&camera)),
        )
        .await?;
    tracing::info!(camera_id = camera.id, stream_url = %camera.stream_url, "camera created");
    state.live.cameras_changed();
    Ok((StatusCode::CREATED, Json(camera.into())))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ValidJson(input): ValidJson<CameraInput>,
) -> ApiResult<Json<CameraView>> {
    let before = state.store.camera(id).await?;
    if before.archived_at.is_some() {
        return Err(ApiError::conflict(
            "id",
            "the camera is archived; create a new camera instead",
        ));
    }
    // An unchanged (masked) URL was checked when it was set; the camera checks it again
    // before every connection.
    let new_url = (input.stream_url.trim() != before.stream_url).then(|| input.stream_url.clone());
    let write = to_write(&state, input, Some(&before))?;
    if let Some(url) = new_url {
        crate::stream_url::check_destination(&state, &url).await?;
    }
    let after = state
        .store
        .update_camera(id, &write, state.clock.now())
        .await?;
    state
        .audit(
            caller
                .meta
                .audit(
                    Some(caller.user_id),
                    "camera.update",
                    "camera",
                    Some(id.to_string()),
                )
                .with_old(audit_values(&before))
                .with_new(audit_values(&after)),
        )
        .await?;
    state.live.cameras_changed();
    Ok(Json(after.into()))
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
    let purge = q.purge.unwrap_or(false);
    if purge {
        caller
            .require(
                &state,
                Role::Admin,
                "DELETE /api/v1/cameras/{id}?purge=true",
            )
            .await?;
    }
    let before = state.store.camera(id).await?;
    let now = state.clock.now();
    if before.archived_at.is_none() {
        state.store.archive_camera(id, now).await?;
        state.live.cameras_changed();
    } else if !purge {
        return Err(ApiError::not_found("camera"));
    }
    if purge {
        state.live.retire(id).await.map_err(|_| {
            ApiError::unavailable(
                "the camera's pipeline did not stop in time; nothing was deleted, try again",
            )
        })?;
        state.store.delete_camera(id).await?;
    }
    state
        .audit(
            caller
                .meta
                .audit(
                    Some(caller.user_id),
                    if purge {
                        "camera.purge"
                    } else {
                        "camera.archive"
                    },
                    "camera",
                    Some(id.to_string()),
                )
                .with_old(audit_values(&before)),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /api/v1/cameras/test: probes a stream URL before any camera uses it (the
/// editor's "test connection" on a new camera). `stream_url` is required.
pub async fn probe_new(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ProbeRequest>,
) -> ApiResult<Json<ProbeResult>> {
    let url = request
        .stream_url
        .ok_or_else(|| ApiError::invalid("stream_url", "required"))?;
    StreamUrl::parse(&url, &state.config.cameras.allowed_schemes)?;
    crate::stream_url::check_destination(&state, &url).await?;
    probe_url(&state, &caller, url.trim().to_string())
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
    let camera = state.store.camera(id).await?;
    let requested = request.stream_url.filter(|u| u.trim() != camera.stream_url);
    let url = match requested {
        Some(url) => {
            StreamUrl::parse(&url, &state.config.cameras.allowed_schemes)?;
            crate::stream_url::check_destination(&state, &url).await?;
            url.trim().to_string()
        }
        None => crate::stream_url::unsealed_url(
            &camera.stream_url,
            &camera.security_config,
            &state.credentials,
        )
        .map_err(ApiError::internal)?,
    };
    probe_url(&state, &caller, url).await.map(Json)
}
