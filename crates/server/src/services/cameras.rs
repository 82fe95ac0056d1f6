//! Cameras: the API's shapes of a camera, the validation of an input into the row to
//! write (stream URL sealed, settings and counting checked), creating, replacing,
//! archiving and purging a camera (audited; the camera service told), and the stream
//! probe.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::stream_url::StreamUrl;
use crate::validate;
use chrono::{DateTime, Utc};
use footfall_core::counting::{CountingConfig, LineConfig, ZoneConfig};
use footfall_live::{CameraSettings, StoredSettings};
use footfall_store::{Camera, CameraStatus, CameraWrite, Role};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    /// Degrees, -90..=90.
    pub lat: f64,
    /// Degrees, -180..=180.
    pub lon: f64,
}

/// Body of POST /cameras and PUT /cameras/{id} (PUT replaces the whole camera).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraInput {
    /// 1-100 characters, unique (case-insensitive).
    pub name: String,
    pub description: Option<String>,
    /// rtsp://, rtsps://, http://, https:// (configurable). Credentials are allowed and
    /// stored encrypted; responses show them as `***`. On PUT, sending back the masked URL
    /// unchanged keeps the stored credentials.
    pub stream_url: String,
    /// rtsp, http, hls, mjpeg, file or images. Default: from the URL scheme.
    pub stream_type: Option<String>,
    pub location: Option<String>,
    pub coordinates: Option<Coordinates>,
    #[serde(default)]
    pub settings: CameraSettings,
    /// Counting lines (normalised 0..1 image coordinates).
    #[serde(default)]
    pub lines: Vec<LineConfig>,
    /// Counting zones (polygons, normalised 0..1).
    #[serde(default)]
    pub zones: Vec<ZoneConfig>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default = "enabled_default")]
    pub enabled: bool,
}

fn enabled_default() -> bool {
    true
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CameraView {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// Credentials masked: `rtsp://user:***@host/path`.
    pub stream_url: String,
    pub stream_type: String,
    pub location: Option<String>,
    pub coordinates: Option<Coordinates>,
    #[schema(value_type = String, example = "offline")]
    pub status: CameraStatus,
    pub worker_id: Option<String>,
    pub settings: CameraSettings,
    pub lines: Vec<LineConfig>,
    pub zones: Vec<ZoneConfig>,
    pub metadata: Value,
    pub enabled: bool,
    /// Set when the camera was archived (DELETE): not run, not listed unless asked for
    /// with `archived=true`, history kept and queryable.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Camera> for CameraView {
    fn from(c: Camera) -> CameraView {
        let stored = StoredSettings::from_row(&c.settings);
        CameraView {
            id: c.id,
            name: c.name,
            description: c.description,
            stream_url: c.stream_url,
            stream_type: c.stream_type,
            location: c.location,
            coordinates: c.coordinates.map(|(lon, lat)| Coordinates { lat, lon }),
            status: c.status,
            worker_id: c.worker_id,
            settings: stored.settings,
            lines: stored.lines,
            zones: stored.zones,
            metadata: c.metadata,
            enabled: c.enabled,
            archived_at: c.archived_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

const STREAM_TYPES: &[&str] = &["rtsp", "http", "hls", "mjpeg", "file", "images"];

/// Validates an input into the row to write. `existing` is the camera being replaced
/// (PUT), whose sealed credentials are kept when the masked URL comes back unchanged.
pub fn to_write(
    state: &AppState,
    input: CameraInput,
    existing: Option<&Camera>,
) -> ApiResult<CameraWrite> {
    let name = validate::text(&input.name, "name", 100, true)?;
    let description = validate::optional_text(input.description.as_deref(), "description", 2000)?;
    let location = validate::optional_text(input.location.as_deref(), "location", 200)?;
    let (stream_url, security_config) = match existing {
        Some(old) if input.stream_url.trim() == old.stream_url => {
            (old.stream_url.clone(), old.security_config.clone())
        }
        _ => {
            let url = StreamUrl::parse(&input.stream_url, &state.config.cameras.allowed_schemes)?;
            let sealed = url.security_config(&state.credentials);
            (url.masked, sealed)
        }
    };
    let scheme = stream_url
        .split("://")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let stream_type = match input.stream_type {
        Some(t) => {
            let t = t.trim().to_ascii_lowercase();
            if !STREAM_TYPES.contains(&t.as_str()) {
                return Err(ApiError::invalid(
                    "stream_type",
                    format!("must be one of: {}", STREAM_TYPES.join(", ")),
                ));
            }
            t
        }
        None => match scheme.as_str() {
            "rtsp" | "rtsps" => "rtsp".into(),
            "file" => "file".into(),
            _ => "http".into(),
        },
    };
    if let Some(c) = input.coordinates {
        if !(c.lat.is_finite() && (-90.0..=90.0).contains(&c.lat)) {
            return Err(ApiError::invalid("coordinates.lat", "must be -90 to 90"));
        }
        if !(c.lon.is_finite() && (-180.0..=180.0).contains(&c.lon)) {
            return Err(ApiError::invalid("coordinates.lon", "must be -180 to 180"));
        }
    }
    input
        .settings
        .validate()
        .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let counting = CountingConfig {
        lines: input.lines,
        zones: input.zones,
    };
    counting
        .validate()
        .map_err(|e| ApiError::invalid(e.field, e.message))?;
    let metadata = input.metadata.unwrap_or_else(|| json!({}));
    if !metadata.is_object() {
        return Err(ApiError::invalid("metadata", "must be a JSON object"));
    }
    if metadata.to_string().len() > 16_384 {
        return Err(ApiError::invalid("metadata", "must be at most 16 KiB"));
    }
    let settings = serde_json::to_value(StoredSettings {
        settings: input.settings,
        lines: counting.lines,
        zones: counting.zones,
    })
    .map_err(ApiError::internal)?;
    Ok(CameraWrite {
        name,
        description,
        stream_url,
        stream_type,
        location,
        coordinates: input.coordinates.map(|c| (c.lon, c.lat)),
        settings,
        metadata,
        security_config,
        enabled: input.enabled,
    })
}

/// Audit view of a camera: no security_config, URL masked.
fn audit_values(c: &Camera) -> Value {
    json!({"name": c.name, "stream_url": c.stream_url, "stream_type": c.stream_type, "location": c.location,
           "enabled": c.enabled, "settings": c.settings})
}

/// Creates a camera (its stream URL must point where cameras may go) and tells the
/// camera service.
pub async fn create(state: &AppState, caller: &Caller, input: CameraInput) -> ApiResult<Camera> {
    let url = input.stream_url.clone();
    let write = to_write(state, input, None)?;
    crate::stream_url::check_destination(state, &url).await?;
    let camera = state.store.create_camera(&write, state.clock.now()).await?;
    state
        .audit(
            caller
                .audit("camera.create", "camera", Some(camera.id.to_string()))
                .with_new(audit_values(&camera)),
        )
        .await?;
    tracing::info!(camera_id = camera.id, stream_url = %camera.stream_url, "camera created");
    state.live.cameras_changed();
    Ok(camera)
}

/// Replaces the configuration of camera `id` (409 once it is archived).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: CameraInput,
) -> ApiResult<Camera> {
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
    let write = to_write(state, input, Some(&before))?;
    if let Some(url) = new_url {
        crate::stream_url::check_destination(state, &url).await?;
    }
    let after = state
        .store
        .update_camera(id, &write, state.clock.now())
        .await?;
    state
        .audit(
            caller
                .audit("camera.update", "camera", Some(id.to_string()))
                .with_old(audit_values(&before))
                .with_new(audit_values(&after)),
        )
        .await?;
    state.live.cameras_changed();
    Ok(after)
}

/// Archives camera `id` (stopped, hidden, history kept), or with `purge` (admin only)
/// removes it with its history. Either way its pipeline stops; a purge first waits until
/// everything the camera produced is stored, so no row of it is left to arrive after its
/// camera is gone. Archiving an archived camera is a 404; purging it is allowed.
pub async fn remove(state: &AppState, caller: &Caller, id: i64, purge: bool) -> ApiResult<()> {
    if purge {
        caller
            .require(state, Role::Admin, "DELETE /api/v1/cameras/{id}?purge=true")
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
                .audit(
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
    Ok(())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeRequest {
    /// A URL to try instead of the camera's own (e.g. before saving a change). The masked
    /// form of the camera's URL means "the stored one".
    pub stream_url: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProbeResult {
    pub ok: bool,
    pub codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<f64>,
    /// timeout, auth_failed, not_found, unreachable, unsupported_codec, invalid_data,
    /// refused (a destination cameras may not point at), ffmpeg_missing or failed.
    pub error: Option<String>,
    /// What went wrong, credentials masked.
    pub message: Option<String>,
    /// Seconds the probe took.
    pub elapsed_s: f64,
}

/// Longest a probe may take.
const PROBE_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A stream URL a caller asks to probe, once it parses with an allowed scheme and points
/// where cameras may go; trimmed.
async fn checked_url(state: &AppState, url: &str) -> ApiResult<String> {
    StreamUrl::parse(url, &state.config.cameras.allowed_schemes)?;
    crate::stream_url::check_destination(state, url).await?;
    Ok(url.trim().to_string())
}

/// Probes a stream URL before any camera uses it; `stream_url` is required.
pub async fn probe_new_url(
    state: &AppState,
    caller: &Caller,
    request: ProbeRequest,
) -> ApiResult<ProbeResult> {
    let url = request
        .stream_url
        .ok_or_else(|| ApiError::invalid("stream_url", "required"))?;
    let url = checked_url(state, &url).await?;
    probe_url(state, caller, url).await
}

/// Probes camera `id`'s stream with its stored credentials, or the URL of `request` when
/// it is not the camera's own (masked) one.
pub async fn probe_camera(
    state: &AppState,
    caller: &Caller,
    id: i64,
    request: ProbeRequest,
) -> ApiResult<ProbeResult> {
    let camera = state.store.camera(id).await?;
    let requested = request.stream_url.filter(|u| u.trim() != camera.stream_url);
    let url = match requested {
        Some(url) => checked_url(state, &url).await?,
        None => crate::stream_url::unsealed_url(
            &camera.stream_url,
            &camera.security_config,
            &state.credentials,
        )
        .map_err(ApiError::internal)?,
    };
    probe_url(state, caller, url).await
}

/// Opens the stream, reads one frame and reports what it is, or exactly why it fails,
/// within 15 s (the probe is abandoned, and its ffmpeg killed, after that). At most
/// `cameras.max_probes` run at once, `cameras.max_probes_per_user` per user (429 beyond).
async fn probe_url(state: &AppState, caller: &Caller, url: String) -> ApiResult<ProbeResult> {
    use crate::stream_slots::SlotKey;
    let limits = &state.config.cameras;
    let _slot = state
        .stream_slots
        .acquire(&[
            (
                SlotKey::ProbesOfUser(caller.user_id),
                limits.max_probes_per_user,
            ),
            (SlotKey::ProbesTotal, limits.max_probes),
        ])
        .map_err(|full| match full {
            SlotKey::ProbesOfUser(_) => ApiError::too_many(
                PROBE_LIMIT.as_secs(),
                "a stream test of yours is still running (cameras.max_probes_per_user)",
            ),
            _ => ApiError::too_many(
                PROBE_LIMIT.as_secs(),
                "too many stream tests running (cameras.max_probes)",
            ),
        })?;
    let destinations = state.destinations.clone();
    let started = std::time::Instant::now();
    let input = url
        .strip_prefix("file://")
        .map(str::to_string)
        .unwrap_or(url);
    let task = tokio::task::spawn_blocking(move || {
        use footfall_core::pipeline::FrameSource;
        let mut config = footfall_source::FfmpegConfig::new(input);
        config.connect_timeout = std::time::Duration::from_secs(8);
        config.stall_timeout = std::time::Duration::from_secs(8);
        config.max_restarts = Some(0);
        config.fps = Some(1.0);
        config.destinations = Some(destinations);
        let mut source = footfall_source::FfmpegSource::open(config)?;
        let frame = source.next_frame()?;
        Ok::<_, footfall_source::SourceError>((frame.is_some(), source.stream_info().cloned()))
    });
    let outcome = tokio::time::timeout(PROBE_LIMIT, task).await;
    let elapsed_s = started.elapsed().as_secs_f64();
    let mut result = ProbeResult {
        ok: false,
        codec: None,
        width: None,
        height: None,
        fps: None,
        error: None,
        message: None,
        elapsed_s,
    };
    match outcome {
        Err(_) => {
            result.error = Some("timeout".into());
            result.message = Some(format!("no frame within {} s", PROBE_LIMIT.as_secs()));
        }
        Ok(Err(join)) => return Err(ApiError::internal(join)),
        Ok(Ok(Ok((got_frame, info)))) => {
            result.ok = got_frame;
            if let Some(info) = info {
                result.codec = Some(info.codec);
                result.width = Some(info.width);
                result.height = Some(info.height);
                result.fps = info.fps;
            }
            if !got_frame {
                result.error = Some("invalid_data".into());
                result.message = Some("the stream ended before its first frame".into());
            }
        }
        Ok(Ok(Err(e))) => {
            use footfall_source::SourceError as E;
            let kind = match &e {
                E::AuthFailed { .. } => "auth_failed",
                E::NotFound { .. } => "not_found",
                E::Unreachable { .. } => "unreachable",
                E::UnsupportedCodec { .. } => "unsupported_codec",
                E::InvalidData { .. } => "invalid_data",
                E::Stalled { .. } => "timeout",
                E::FfmpegMissing { .. } => "ffmpeg_missing",
                E::Refused { .. } => "refused",
                _ => "failed",
            };
            result.error = Some(kind.into());
            result.message = Some(footfall_source::url::mask_credentials_in_text(
                &e.to_string(),
            ));
        }
    }
    Ok(result)
}
