//! The OpenAPI 3.1 document at /api/openapi.json, generated from the code: schemas come
//! from the request/response types (utoipa derives), operations from
//! [`crate::routes::ENDPOINTS`] (method, path, access rule, summary). Each operation
//! carries `x-footfall-access` (public, api_key or the least role) which the role-matrix
//! test walks.

use crate::routes::{Access, ENDPOINTS};
use axum::Json;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Footfall API",
        description = "People counting: cameras, counts, events, users."
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::routes::auth::UserView,
        crate::routes::auth::AccountExport,
        crate::services::accounts::SessionRecord,
        crate::routes::auth::RegisterRequest,
        crate::routes::auth::SetupRequest,
        crate::routes::auth::LoginRequest,
        crate::routes::auth::TokenResponse,
        crate::routes::auth::AuthStatus,
        footfall_live::message::LineTotal,
        footfall_live::message::ZoneNow,
        footfall_live::message::LiveMessage,
        footfall_live::message::LiveUpdate,
        footfall_live::message::CountUpdate,
        footfall_live::message::PipelineNow,
        footfall_live::message::EventUpdate,
        footfall_live::message::StatusUpdate,
        footfall_live::message::AlertUpdate,
        crate::routes::live::ControlMessage,
        crate::routes::live::ClientMessage,
        footfall_store::CameraStatus,
        footfall_store::AlertSeverity,
        crate::routes::auth::RefreshRequest,
        crate::routes::auth::SessionView,
        crate::routes::auth::ChangePasswordRequest,
        crate::routes::auth::ForgotPasswordRequest,
        crate::routes::auth::ResetPasswordRequest,
        crate::routes::auth::VerifyEmailRequest,
        crate::routes::users::CreateUserRequest,
        crate::routes::users::UpdateUserRequest,
        crate::routes::cameras::CameraInput,
        crate::routes::cameras::CameraView,
        footfall_live::CameraSettings,
        crate::routes::cameras::Coordinates,
        footfall_core::counting::LineConfig,
        footfall_core::counting::ZoneConfig,
        footfall_core::counting::LineMode,
        footfall_core::geometry::Point,
        footfall_core::geometry::Side,
        footfall_core::geometry::Anchor,
        footfall_store::CameraEvent,
        footfall_store::AuditEntry,
        footfall_store::EventSeverity,
        crate::routes::results::CountsPage,
        crate::routes::results::CountRow,
        footfall_store::BucketRow,
        footfall_store::CountingResult,
        crate::routes::results::CorrectionRequest,
        crate::routes::ingest::IngestCounts,
        crate::routes::ingest::IngestCount,
        crate::routes::ingest::IngestEvents,
        crate::routes::ingest::IngestEvent,
        crate::routes::ingest::IngestOutcome,
        crate::routes::ops::CreateApiKeyRequest,
        crate::routes::ops::CreatedApiKey,
        crate::routes::ops::RegisterModelRequest,
        footfall_live::hub::CameraLive,
        crate::routes::cameras::ProbeRequest,
        crate::routes::cameras::ProbeResult,
    ))
)]
struct ApiDoc;

/// Request body schema of an operation, by (method, path).
fn request_schema(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("POST", "/api/v1/auth/register") => "RegisterRequest",
        ("POST", "/api/v1/auth/setup") => "SetupRequest",
        ("POST", "/api/v1/auth/login") => "LoginRequest",
        ("POST", "/api/v1/auth/refresh") => "RefreshRequest",
        ("POST", "/api/v1/auth/verify-email") => "VerifyEmailRequest",
        ("POST", "/api/v1/auth/forgot-password") => "ForgotPasswordRequest",
        ("POST", "/api/v1/auth/reset-password") => "ResetPasswordRequest",
        ("POST", "/api/v1/auth/change-password") => "ChangePasswordRequest",
        ("POST", "/api/v1/users") => "CreateUserRequest",
        ("PATCH", "/api/v1/users/{id}") => "UpdateUserRequest",
        ("POST", "/api/v1/cameras") | ("PUT", "/api/v1/cameras/{id}") => "CameraInput",
        ("POST", "/api/v1/cameras/{id}/corrections") => "CorrectionRequest",
        ("POST", "/api/v1/ingest/counts") => "IngestCounts",
        ("POST", "/api/v1/ingest/events") => "IngestEvents",
        ("POST", "/api/v1/api-keys") => "CreateApiKeyRequest",
        ("POST", "/api/v1/cameras/{id}/test") | ("POST", "/api/v1/cameras/test") => "ProbeRequest",
        ("POST", "/api/v1/models") => "RegisterModelRequest",
        _ => return None,
    })
}

/// Main success response schema of an operation.
fn response_schema(method: &str, path: &str) -> Option<Value> {
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    Some(match (method, path) {
        ("POST", "/api/v1/auth/login") | ("POST", "/api/v1/auth/refresh") => r("TokenResponse"),
        ("GET", "/api/v1/auth/status") => r("AuthStatus"),
        ("GET", "/api/v1/me")
        | ("POST", "/api/v1/auth/register")
        | ("POST", "/api/v1/auth/setup") => r("UserView"),
        ("POST", "/api/v1/users") | ("PATCH", "/api/v1/users/{id}") => r("UserView"),
        ("GET", "/api/v1/users") => json!({"type": "array", "items": r("UserView")}),
        ("GET", "/api/v1/auth/sessions") => json!({"type": "array", "items": r("SessionView")}),
        ("GET", "/api/v1/me/export") => r("AccountExport"),
        ("GET", "/api/v1/cameras") => json!({"type": "array", "items": r("CameraView")}),
        ("POST", "/api/v1/cameras")
        | ("GET", "/api/v1/cameras/{id}")
        | ("PUT", "/api/v1/cameras/{id}") => r("CameraView"),
        ("GET", "/api/v1/cameras/{id}/counts") | ("GET", "/api/v1/counts") => r("CountsPage"),
        ("POST", "/api/v1/ingest/counts") | ("POST", "/api/v1/ingest/events") => r("IngestOutcome"),
        ("POST", "/api/v1/api-keys") => r("CreatedApiKey"),
        ("GET", "/api/v1/live") => json!({"type": "array", "items": r("CameraLive")}),
        ("GET", "/api/v1/events") => json!({"type": "array", "items": r("CameraEvent")}),
        ("GET", "/api/v1/audit") => json!({"type": "array", "items": r("AuditEntry")}),
        ("POST", "/api/v1/cameras/{id}/test") | ("POST", "/api/v1/cameras/test") => {
            r("ProbeResult")
        }
        _ => return None,
    })
}

/// Query parameters of an operation, from the query structs' `IntoParams` derives.
fn query_parameters(method: &str, path: &str) -> Vec<Value> {
    use crate::routes::{cameras, ops, results, users};
    use utoipa::IntoParams;
    use utoipa::openapi::path::ParameterIn;
    let query = || Some(ParameterIn::Query);
    let params = match (method, path) {
        ("GET", "/api/v1/cameras/{id}/counts") | ("GET", "/api/v1/counts") => {
            results::CountsQuery::into_params(query)
        }
        ("GET", "/api/v1/cameras") => cameras::CameraListQuery::into_params(query),
        ("DELETE", "/api/v1/cameras/{id}") => cameras::DeleteQuery::into_params(query),
        ("GET", "/api/v1/users") => users::PageQuery::into_params(query),
        ("GET", "/api/v1/events") => ops::EventQuery::into_params(query),
        ("GET", "/api/v1/alerts") => ops::AlertQuery::into_params(query),
        ("GET", "/api/v1/audit") => ops::AuditQuery::into_params(query),
        ("GET", "/api/v1/ws") => crate::routes::live::WsQuery::into_params(query),
        ("GET", "/api/v1/cameras/{id}/snapshot.jpg") => {
            crate::routes::live::SnapshotQuery::into_params(query)
        }
        ("GET", "/api/v1/cameras/{id}/live.mjpeg") => {
            crate::routes::live::MjpegQuery::into_params(query)
        }
        _ => Vec::new(),
    };
    params
        .into_iter()
        .filter_map(|p| serde_json::to_value(p).ok())
        .collect()
}

/// Error statuses of an operation beyond the common ones (400, 422, 429, 500) and those
/// of its access rule (401, 403; 404 with an `{id}`).
fn error_statuses(method: &str, path: &str) -> &'static [&'static str] {
    match (method, path) {
        // Wrong credentials (401); a deactivated or unverified account (403).
        ("POST", "/api/v1/auth/login") => &["401", "403"],
        ("POST", "/api/v1/auth/refresh") => &["401"],
        // Self-registration off (403); username or e-mail taken (409).
        ("POST", "/api/v1/auth/register") => &["403", "409"],
        // Setup done, e-mail already verified, a unique field taken, the last active
        // admin, an archived camera, a model version already registered.
        ("POST", "/api/v1/auth/setup")
        | ("POST", "/api/v1/auth/resend-verification")
        | ("POST", "/api/v1/users")
        | ("PATCH", "/api/v1/users/{id}")
        | ("DELETE", "/api/v1/users/{id}")
        | ("POST", "/api/v1/cameras")
        | ("PUT", "/api/v1/cameras/{id}")
        | ("POST", "/api/v1/models") => &["409"],
        // The camera is not running here (409) or has no frame yet (503).
        ("GET", "/api/v1/cameras/{id}/snapshot.jpg")
        | ("GET", "/api/v1/cameras/{id}/live.mjpeg") => &["409", "503"],
        // No server.metrics_token configured.
        ("GET", "/metrics") => &["404"],
        // Database unreachable or migrations pending.
        ("GET", "/readyz") => &["503"],
        // purge=true: the camera's pipeline did not stop in time.
        ("DELETE", "/api/v1/cameras/{id}") => &["503"],
        _ => &[],
    }
}

fn operation(endpoint: &crate::routes::Endpoint) -> Value {
    let method = endpoint.method;
    let access = match endpoint.access {
        Access::Public => "public".to_string(),
        Access::ApiKey => "api_key".to_string(),
        Access::MetricsToken => "metrics_token".to_string(),
        Access::Role(role) => role.as_str().to_string(),
    };
    let success = match method {
        "POST"
            if matches!(
                endpoint.path,
                "/api/v1/auth/register"
                    | "/api/v1/auth/setup"
                    | "/api/v1/users"
                    | "/api/v1/cameras"
                    | "/api/v1/api-keys"
                    | "/api/v1/models"
                    | "/api/v1/cameras/{id}/corrections"
            ) =>
        {
            "201"
        }
        "POST"
            if matches!(
                endpoint.path,
                "/api/v1/auth/forgot-password" | "/api/v1/auth/resend-verification"
            ) =>
        {
            "202"
        }
        "POST"
            if matches!(
                endpoint.path,
                "/api/v1/auth/logout"
                    | "/api/v1/auth/change-password"
                    | "/api/v1/auth/reset-password"
                    | "/api/v1/auth/verify-email"
            ) =>
        {
            "204"
        }
        "DELETE" => "204",
        _ => "200",
    };
    let mut success_body = json!({"description": "Success"});
    if let Some(schema) = response_schema(method, endpoint.path) {
        success_body["content"] = json!({"application/json": {"schema": schema}});
    }
    if matches!(
        endpoint.path,
        "/api/v1/counts" | "/api/v1/cameras/{id}/counts"
    ) {
        // format=csv
        success_body["content"]["text/csv"] = json!({"schema": {"type": "string"}});
    }
    let error = json!({"description": "Error", "content": {"application/json": {"schema": {
        "type": "object", "required": ["error"], "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}}}}}});
    let mut responses = Map::new();
    responses.insert(success.into(), success_body);
    for status in ["400", "422", "429", "500"]
        .into_iter()
        .chain(error_statuses(method, endpoint.path).iter().copied())
    {
        responses.insert(status.into(), error.clone());
    }
    let mut op = json!({
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": format!("{}_{}", method.to_lowercase(), endpoint.path.trim_start_matches('/').replace(['/', '-', '.'], "_").replace(['{', '}'], "")),
        "x-footfall-access": access,
    });
    match endpoint.access {
        Access::Public => {}
        Access::ApiKey => {
            op["security"] = json!([{"apiKey": []}]);
            responses.insert("401".into(), error.clone());
            responses.insert("403".into(), error.clone());
        }
        Access::MetricsToken => {
            op["security"] = json!([{"metricsToken": []}]);
            responses.insert("401".into(), error.clone());
        }
        Access::Role(_) => {
            op["security"] = json!([{"bearer": []}]);
            responses.insert("401".into(), error.clone());
            responses.insert("403".into(), error.clone());
        }
    }
    let mut parameters = query_parameters(method, endpoint.path);
    if endpoint.path.contains("{id}") {
        responses.insert("404".into(), error.clone());
        parameters.insert(
            0,
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}),
        );
    }
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }

    if let Some(schema) = request_schema(method, endpoint.path) {
        op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        // ValidJson: a body that is not JSON (415) or over server.max_body_bytes (413).
        // The camera probe reads its optional body itself.
        if endpoint.path != "/api/v1/cameras/{id}/test" {
            for status in ["413", "415"] {
                responses.insert(status.into(), error.clone());
            }
        }
    }
    op["responses"] = Value::Object(responses);
    op
}

/// The whole document (built once).
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("OpenAPI serialises");
        doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
        let mut paths = Map::new();
        for endpoint in ENDPOINTS {
            let item = paths
                .entry(endpoint.path.to_string())
                .or_insert_with(|| json!({}));
            item[endpoint.method.to_lowercase()] = operation(endpoint);
        }
        doc["paths"] = Value::Object(paths);
        doc["components"]["securitySchemes"] = json!({
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "metricsToken": {"type": "http", "scheme": "bearer", "description": "server.metrics_token"},
        });
        doc
    })
}

pub async fn document() -> Json<Value> {
    Json(spec().clone())
}
