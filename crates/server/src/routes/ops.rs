//! Events, alerts, workers, audit log, API keys and the AI model registry.

use crate::auth::Caller;
use crate::crypto::{random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate::{self, ValidJson};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use footfall_store::{
    AiModel, AlertFilter, AlertSeverity, ApiKey, AuditEntry, AuditFilter, CameraEvent, EventFilter,
    EventSeverity, NewAiModel, NewApiKey, SystemAlert, Worker,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

fn parse<T: std::str::FromStr<Err = String>>(v: Option<&str>, field: &str) -> ApiResult<Option<T>> {
    v.map(str::parse)
        .transpose()
        .map_err(|m| ApiError::invalid(field, m))
}

fn parse_time(v: Option<&str>, field: &str) -> ApiResult<Option<DateTime<Utc>>> {
    v.map(|s| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)))
        .transpose()
        .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 time"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventQuery {
    pub camera_id: Option<i64>,
    pub event_type: Option<String>,
    /// low, medium, high or critical.
    pub severity: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub async fn events(
    State(state): State<AppState>,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<Vec<CameraEvent>>> {
    let (limit, offset) = validate::page(q.limit, q.offset, 100, 1000)?;
    let filter = EventFilter {
        camera_id: q.camera_id,
        event_type: q.event_type,
        severity: parse::<EventSeverity>(q.severity.as_deref(), "severity")?,
        from: parse_time(q.from.as_deref(), "from")?,
        to: parse_time(q.to.as_deref(), "to")?,
        limit,
        offset,
    };
    Ok(Json(state.store.list_events(&filter).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AlertQuery {
    pub camera_id: Option<i64>,
    pub severity: Option<String>,
    pub resolved: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub async fn alerts(
    State(state): State<AppState>,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<Vec<SystemAlert>>> {
    let (limit, offset) = validate::page(q.limit, q.offset, 100, 1000)?;
    let filter = AlertFilter {
        camera_id: q.camera_id,
        severity: parse::<AlertSeverity>(q.severity.as_deref(), "severity")?,
        is_resolved: q.resolved,
        limit,
        offset,
    };
    Ok(Json(state.store.list_alerts(&filter).await?))
}

pub async fn resolve_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SystemAlert>> {
    let alert = state
        .store
        .resolve_alert(id, caller.user_id, state.clock.now())
        .await?;
    state
        .audit(
            caller
                .meta
                .audit(
                    Some(caller.user_id),
                    "alert.resolve",
                    "alert",
                    Some(id.to_string()),
                )
                .with_new(json!({"is_resolved": true})),
        )
        .await?;
    let resolved = footfall_live::message::AlertUpdate {
        id: alert.id,
        is_resolved: true,
        severity: alert.severity,
        title: alert.title.clone(),
    };
    (state.live.hub).publish_alert(alert.camera_id, state.clock.now(), resolved);
    Ok(Json(alert))
}

pub async fn workers(State(state): State<AppState>) -> ApiResult<Json<Vec<Worker>>> {
    Ok(Json(state.store.list_workers().await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    pub user_id: Option<i64>,
    pub action: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let (limit, offset) = validate::page(q.limit, q.offset, 100, 1000)?;
    let filter = AuditFilter {
        user_id: q.user_id,
        action: q.action,
        limit,
        offset,
    };
    Ok(Json(state.store.list_audit(&filter).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    pub name: String,
    /// Cameras this key may write.
    pub camera_ids: Vec<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    /// Shown once; only its hash is stored.
    pub key: String,
    #[schema(value_type = Object)]
    pub api_key: ApiKey,
}

pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<CreateApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let name = validate::text(&body.name, "name", 100, true)?;
    if body.camera_ids.is_empty() || body.camera_ids.len() > 1000 {
        return Err(ApiError::invalid(
            "camera_ids",
            "must list 1 to 1000 cameras",
        ));
    }
    for (i, id) in body.camera_ids.iter().enumerate() {
        if state.store.camera(*id).await.is_err() {
            return Err(ApiError::invalid(
                format!("camera_ids[{i}]"),
                format!("camera {id} does not exist"),
            ));
        }
    }
    let key = format!("ff_{}", random_token(32));
    let created = state
        .store
        .create_api_key(
            &NewApiKey {
                name,
                key_prefix: key[..10].to_string(),
                key_hash: token_hash(&key),
                camera_ids: body.camera_ids,
                created_by: Some(caller.user_id),
            },
            state.clock.now(),
        )
        .await?;
    state
        .audit(
            caller
                .meta
                .audit(
                    Some(caller.user_id),
                    "api_key.create",
                    "api_key",
                    Some(created.id.to_string()),
                )
                .with_new(
                    json!({"name": created.name, "camera_ids": created.camera_ids, "key": "***"}),
                ),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key,
            api_key: created,
        }),
    ))
}

pub async fn list_api_keys(State(state): State<AppState>) -> ApiResult<Json<Vec<ApiKey>>> {
    Ok(Json(state.store.list_api_keys().await?))
}

pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.store.revoke_api_key(id).await?;
    state
        .audit(caller.meta.audit(
            Some(caller.user_id),
            "api_key.revoke",
            "api_key",
            Some(id.to_string()),
        ))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_models(State(state): State<AppState>) -> ApiResult<Json<Vec<AiModel>>> {
    Ok(Json(state.store.list_ai_models().await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterModelRequest {
    pub name: String,
    pub version: String,
    /// Path of the .onnx file on the server.
    pub model_path: String,
    /// yolox, yolov5 or yolov8 (output layout); `auto` detects it.
    pub model_type: String,
    pub accuracy_score: Option<f64>,
}

/// Registers a model after loading it with ONNX Runtime (so a broken file is refused now,
/// not when a camera starts).
pub async fn register_model(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<RegisterModelRequest>,
) -> ApiResult<(StatusCode, Json<AiModel>)> {
    let name = validate::text(&body.name, "name", 100, true)?;
    let version = validate::text(&body.version, "version", 50, true)?;
    let layout = match body.model_type.as_str() {
        "auto" => footfall_detect::Layout::Auto,
        "yolox" => footfall_detect::Layout::Yolox,
        "yolov5" => footfall_detect::Layout::Yolov5,
        "yolov8" => footfall_detect::Layout::Yolov8,
        _ => {
            return Err(ApiError::invalid(
                "model_type",
                "must be auto, yolox, yolov5 or yolov8",
            ));
        }
    };
    if body
        .accuracy_score
        .is_some_and(|a| !(0.0..=1.0).contains(&a))
    {
        return Err(ApiError::invalid("accuracy_score", "must be 0 to 1"));
    }
    let path = std::path::PathBuf::from(body.model_path.trim());
    if !path.is_file() {
        return Err(ApiError::invalid(
            "model_path",
            "no such file on the server",
        ));
    }
    let config = footfall_detect::DetectorConfig {
        model: path.clone(),
        layout,
        ..Default::default()
    };
    tokio::task::spawn_blocking(move || footfall_detect::OrtDetector::new(&config).map(|_| ()))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::invalid("model_path", format!("model does not load: {e}")))?;
    let model = state
        .store
        .create_ai_model(
            &NewAiModel {
                name,
                version,
                model_path: path.display().to_string(),
                model_type: body.model_type,
                accuracy_score: body.accuracy_score,
            },
            state.clock.now(),
        )
        .await?;
    state.audit(caller.meta.audit(
        Some(caller.user_id),
        "model.register",
        "ai_model",
        Some(model.id.to_string()),
    ).with_new(json!({"name": model.name, "version": model.version, "model_path": model.model_path}))).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

pub async fn activate_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AiModel>> {
    let model = state.store.activate_ai_model(id).await?;
    state
        .audit(caller.meta.audit(
            Some(caller.user_id),
            "model.activate",
            "ai_model",
            Some(id.to_string()),
        ))
        .await?;
    Ok(Json(model))
}
