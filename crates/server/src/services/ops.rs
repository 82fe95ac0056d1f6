//! Operations: resolving an alert (live clients told at once), device API keys (created
//! with a secret shown once, revoked) and the detector model registry (a model must load
//! before it is registered); each change audited.

use crate::auth::Caller;
use crate::crypto::{random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::validate;
use footfall_store::{AiModel, ApiKey, NewAiModel, NewApiKey, SystemAlert};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Resolves alert `id` and announces it to live clients.
pub async fn resolve_alert(state: &AppState, caller: &Caller, id: i64) -> ApiResult<SystemAlert> {
    let alert = state
        .store
        .resolve_alert(id, caller.user_id, state.clock.now())
        .await?;
    state
        .audit(
            caller
                .audit("alert.resolve", "alert", Some(id.to_string()))
                .with_new(json!({"is_resolved": true})),
        )
        .await?;
    let resolved = footfall_live::message::AlertUpdate {
        id: alert.id,
        is_resolved: true,
        severity: alert.severity,
        title: alert.title.clone(),
    };
    state
        .live
        .hub
        .publish_alert(alert.camera_id, state.clock.now(), resolved);
    Ok(alert)
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

/// Creates a device API key for existing cameras; the key itself is returned only here.
pub async fn create_api_key(
    state: &AppState,
    caller: &Caller,
    body: CreateApiKeyRequest,
) -> ApiResult<CreatedApiKey> {
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
                .audit("api_key.create", "api_key", Some(created.id.to_string()))
                .with_new(
                    json!({"name": created.name, "camera_ids": created.camera_ids, "key": "***"}),
                ),
        )
        .await?;
    Ok(CreatedApiKey {
        key,
        api_key: created,
    })
}

/// Revokes device API key `id`.
pub async fn revoke_api_key(state: &AppState, caller: &Caller, id: i64) -> ApiResult<()> {
    state.store.revoke_api_key(id).await?;
    state
        .audit(caller.audit("api_key.revoke", "api_key", Some(id.to_string())))
        .await?;
    Ok(())
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
    state: &AppState,
    caller: &Caller,
    body: RegisterModelRequest,
) -> ApiResult<AiModel> {
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
    state.audit(caller.audit("model.register",
        "ai_model",
        Some(model.id.to_string()),
    ).with_new(json!({"name": model.name, "version": model.version, "model_path": model.model_path}))).await?;
    Ok(model)
}

/// Makes model `id` the active one.
pub async fn activate_model(state: &AppState, caller: &Caller, id: i64) -> ApiResult<AiModel> {
    let model = state.store.activate_ai_model(id).await?;
    state
        .audit(caller.audit("model.activate", "ai_model", Some(id.to_string())))
        .await?;
    Ok(model)
}
