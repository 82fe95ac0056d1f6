//! Events, alerts, workers, audit log, API keys and the AI model registry.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::services::ops;
pub use crate::services::ops::{CreateApiKeyRequest, CreatedApiKey, RegisterModelRequest};
use crate::state::AppState;
use crate::validate::{self, ValidJson};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use footfall_store::{
    AiModel, AlertFilter, AlertSeverity, ApiKey, AuditEntry, AuditFilter, CameraEvent, EventFilter,
    EventSeverity, SystemAlert, Worker,
};
use serde::Deserialize;

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
    ops::resolve_alert(&state, &caller, id).await.map(Json)
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

pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<CreateApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let created = ops::create_api_key(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn list_api_keys(State(state): State<AppState>) -> ApiResult<Json<Vec<ApiKey>>> {
    Ok(Json(state.store.list_api_keys().await?))
}

pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    ops::revoke_api_key(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_models(State(state): State<AppState>) -> ApiResult<Json<Vec<AiModel>>> {
    Ok(Json(state.store.list_ai_models().await?))
}

/// Registers a model after loading it with ONNX Runtime (so a broken file is refused now,
/// not when a camera starts).
pub async fn register_model(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<RegisterModelRequest>,
) -> ApiResult<(StatusCode, Json<AiModel>)> {
    let model = ops::register_model(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

pub async fn activate_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AiModel>> {
    ops::activate_model(&state, &caller, id).await.map(Json)
}
