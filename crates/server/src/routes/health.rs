//! Liveness, readiness and metrics.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// 200 when the database answers and every migration is applied, 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness: database unreachable");
        ApiError::unavailable("database unreachable")
    })?;
    let pending = state
        .store
        .pending_migrations()
        .await
        .map_err(|_| ApiError::unavailable("cannot read migrations"))?;
    if pending > 0 {
        return Err(ApiError::unavailable(format!(
            "{pending} migrations pending; run footfall migrate"
        )));
    }
    Ok(Json(
        json!({"status": "ready", "database": format!("{:?}", state.store.backend()).to_lowercase()}),
    ))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut body = state.metrics.render(&state.store);
    state.live.render_metrics(&mut body);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
