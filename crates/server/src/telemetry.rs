//! Request telemetry: every request measured, tagged with a request id and logged.

use crate::auth::AuthenticatedUser;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use footfall_store::{ErrorLog, ErrorSeverity, PerformanceLog};
use std::time::Instant;

/// Measures every request, tags it with a request id (the client's `X-Request-Id` if it
/// is sane, else a new one), opens a tracing span carrying that id so every log line of
/// the request has it, and queues a performance_logs row.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let meta = crate::auth::RequestMeta::from_request(&request, &state);
    let request_size = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<i64>().ok());
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, route = %route);
    let mut response = tracing::Instrument::instrument(next.run(request), span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    // The user for performance_logs, as the route's role guard authenticated it.
    let user_id = response
        .extensions()
        .get::<AuthenticatedUser>()
        .map(|u| u.0);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    state.metrics.observe(&method, &route, status, elapsed);
    span.in_scope(|| tracing::info!(status, elapsed_ms = elapsed.as_secs_f64() * 1e3, "request"));
    let response_size = response
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<i64>().ok());
    let now = state.clock.now();
    state.logs.performance(
        PerformanceLog {
            service_name: "api".into(),
            endpoint: route.clone(),
            method: method.clone(),
            response_time_ms: elapsed.as_secs_f64() * 1e3,
            status_code: status as i16,
            request_size,
            response_size,
            user_id,
            ip_address: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            timestamp: now,
        },
        &state.metrics,
    );
    if status >= 500 {
        state.logs.error(
            ErrorLog {
                timestamp: now,
                service: "api".into(),
                error_type: format!("http_{status}"),
                error_message: format!("{method} {route} answered {status}"),
                context: serde_json::json!({"request_id": request_id}),
                user_id,
                camera_id: None,
                severity: ErrorSeverity::High,
            },
            &state.metrics,
        );
    }
    response
}
