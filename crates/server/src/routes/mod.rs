//! The HTTP surface. [`ENDPOINTS`] lists every operation with the least role it needs;
//! the router, the OpenAPI document and the role-matrix test all read it, so a route
//! cannot exist without a declared access rule.

pub mod auth;
pub mod cameras;
pub mod health;
pub mod ingest;
pub mod live;
pub mod ops;
pub mod results;
pub mod users;

use crate::state::AppState;
use axum::Router;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials (login, health, docs).
    Public,
    /// A device API key (ingest).
    ApiKey,
    /// The scrape token `server.metrics_token` as a bearer token. Without one configured
    /// the route answers 404: metrics are then only on `server.metrics_bind`.
    MetricsToken,
    /// A bearer token of this role or higher.
    Role(footfall_store::Role),
}

pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub tag: &'static str,
}

use Access::{ApiKey, Public};
use footfall_store::Role::{Admin, User, Viewer};

const fn e(
    method: &'static str,
    path: &'static str,
    access: Access,
    tag: &'static str,
    summary: &'static str,
) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        summary,
        tag,
    }
}

pub const ENDPOINTS: &[Endpoint] = &[
    e(
        "GET",
        "/healthz",
        Public,
        "operations",
        "Liveness: the process answers.",
    ),
    e(
        "GET",
        "/readyz",
        Public,
        "operations",
        "Readiness: database reachable and migrated.",
    ),
    e(
        "GET",
        "/metrics",
        Access::MetricsToken,
        "operations",
        "Prometheus metrics (bearer: server.metrics_token; without a token only on the metrics listener, server.metrics_bind).",
    ),
    e(
        "GET",
        "/api/openapi.json",
        Public,
        "operations",
        "This OpenAPI document.",
    ),
    e(
        "POST",
        "/api/graphql",
        Access::Role(Viewer),
        "graphql",
        "GraphQL queries over cameras, counts, events and alerts.",
    ),
    e(
        "GET",
        "/api/v1/auth/status",
        Public,
        "auth",
        "Whether the first admin still has to be set up, and whether registration is open.",
    ),
    e(
        "POST",
        "/api/v1/auth/register",
        Public,
        "auth",
        "Create an account (role from auth.register_role).",
    ),
    e(
        "POST",
        "/api/v1/auth/setup",
        Public,
        "auth",
        "Create the first admin with the one-time setup token.",
    ),
    e(
        "POST",
        "/api/v1/auth/login",
        Public,
        "auth",
        "Log in; returns an access token and a refresh token.",
    ),
    e(
        "POST",
        "/api/v1/auth/refresh",
        Public,
        "auth",
        "Exchange a refresh token (single use) for new tokens.",
    ),
    e(
        "POST",
        "/api/v1/auth/verify-email",
        Public,
        "auth",
        "Confirm an e-mail address with the mailed token.",
    ),
    e(
        "POST",
        "/api/v1/auth/forgot-password",
        Public,
        "auth",
        "Mail a password reset link (always 202).",
    ),
    e(
        "POST",
        "/api/v1/auth/reset-password",
        Public,
        "auth",
        "Set a new password with the mailed token.",
    ),
    e(
        "POST",
        "/api/v1/auth/logout",
        Access::Role(Viewer),
        "auth",
        "End this session.",
    ),
    e(
        "POST",
        "/api/v1/auth/logout-all",
        Access::Role(Viewer),
        "auth",
        "End every session of this user.",
    ),
    e(
        "POST",
        "/api/v1/auth/change-password",
        Access::Role(Viewer),
        "auth",
        "Change the password; ends other sessions.",
    ),
    e(
        "POST",
        "/api/v1/auth/resend-verification",
        Access::Role(Viewer),
        "auth",
        "Mail a new verification link.",
    ),
    e(
        "GET",
        "/api/v1/auth/sessions",
        Access::Role(Viewer),
        "auth",
        "Active sessions of this user.",
    ),
    e(
        "GET",
        "/api/v1/me",
        Access::Role(Viewer),
        "auth",
        "The current user.",
    ),
    e(
        "GET",
        "/api/v1/users",
        Access::Role(Admin),
        "users",
        "List users.",
    ),
    e(
        "POST",
        "/api/v1/users",
        Access::Role(Admin),
        "users",
        "Create a user with a role.",
    ),
    e(
        "PATCH",
        "/api/v1/users/{id}",
        Access::Role(Admin),
        "users",
        "Change a user's role or deactivate them.",
    ),
    e(
        "GET",
        "/api/v1/cameras",
        Access::Role(Viewer),
        "cameras",
        "List cameras.",
    ),
    e(
        "POST",
        "/api/v1/cameras",
        Access::Role(User),
        "cameras",
        "Create a camera.",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}",
        Access::Role(Viewer),
        "cameras",
        "One camera.",
    ),
    e(
        "PUT",
        "/api/v1/cameras/{id}",
        Access::Role(User),
        "cameras",
        "Replace a camera's configuration.",
    ),
    e(
        "DELETE",
        "/api/v1/cameras/{id}",
        Access::Role(User),
        "cameras",
        "Archive a camera (stopped, hidden, history kept); purge=true (admin) removes it with its history.",
    ),
    e(
        "POST",
        "/api/v1/cameras/{id}/test",
        Access::Role(User),
        "cameras",
        "Probe the camera's stream (or another URL): codec, size, fps or the precise error, within 15 s.",
    ),
    e(
        "POST",
        "/api/v1/cameras/test",
        Access::Role(User),
        "cameras",
        "Probe a stream URL before saving a camera: codec, size, fps or the precise error, within 15 s.",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}/snapshot.jpg",
        Access::Role(Viewer),
        "live",
        "The camera's latest frame with boxes, track ids, lines and zones drawn (JPEG).",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}/live.mjpeg",
        Access::Role(Viewer),
        "live",
        "The drawn latest frames as an MJPEG stream at a low rate (fps, default 2).",
    ),
    e(
        "GET",
        "/api/v1/cameras/{id}/counts",
        Access::Role(Viewer),
        "counts",
        "Counting results of one camera (raw or bucketed; JSON or CSV).",
    ),
    e(
        "POST",
        "/api/v1/cameras/{id}/corrections",
        Access::Role(User),
        "counts",
        "Add a manual count (audited).",
    ),
    e(
        "GET",
        "/api/v1/counts",
        Access::Role(Viewer),
        "counts",
        "Counting results of all cameras.",
    ),
    e(
        "POST",
        "/api/v1/ingest/counts",
        ApiKey,
        "ingest",
        "Push counts from a device or system (idempotent by id).",
    ),
    e(
        "POST",
        "/api/v1/ingest/events",
        ApiKey,
        "ingest",
        "Push events from a device or system (idempotent by id).",
    ),
    e(
        "GET",
        "/api/v1/live",
        Access::Role(Viewer),
        "live",
        "Latest occupancy, today's in / out and status per camera.",
    ),
    e(
        "GET",
        "/api/v1/ws",
        Access::Role(Viewer),
        "live",
        "WebSocket of live updates (token in access_token; resume with since).",
    ),
    e(
        "GET",
        "/api/v1/events",
        Access::Role(Viewer),
        "events",
        "Camera events.",
    ),
    e(
        "GET",
        "/api/v1/alerts",
        Access::Role(Viewer),
        "events",
        "System alerts.",
    ),
    e(
        "POST",
        "/api/v1/alerts/{id}/resolve",
        Access::Role(User),
        "events",
        "Resolve an alert.",
    ),
    e(
        "GET",
        "/api/v1/workers",
        Access::Role(Viewer),
        "operations",
        "Camera workers.",
    ),
    e(
        "GET",
        "/api/v1/audit",
        Access::Role(Admin),
        "users",
        "Audit log.",
    ),
    e(
        "GET",
        "/api/v1/api-keys",
        Access::Role(Admin),
        "ingest",
        "List device API keys.",
    ),
    e(
        "POST",
        "/api/v1/api-keys",
        Access::Role(Admin),
        "ingest",
        "Create a device API key (shown once).",
    ),
    e(
        "DELETE",
        "/api/v1/api-keys/{id}",
        Access::Role(Admin),
        "ingest",
        "Revoke a device API key.",
    ),
    e(
        "GET",
        "/api/v1/models",
        Access::Role(Viewer),
        "models",
        "Registered detector models.",
    ),
    e(
        "POST",
        "/api/v1/models",
        Access::Role(Admin),
        "models",
        "Register a model file (it must load).",
    ),
    e(
        "POST",
        "/api/v1/models/{id}/activate",
        Access::Role(Admin),
        "models",
        "Make a model the active one.",
    ),
];

fn handler(method: &str, path: &str) -> MethodRouter<AppState> {
    match (method, path) {
        ("GET", "/healthz") => get(health::healthz),
        ("GET", "/readyz") => get(health::readyz),
        ("GET", "/metrics") => get(health::metrics),
        ("GET", "/api/openapi.json") => get(crate::openapi::document),
        ("POST", "/api/graphql") => post(crate::graphql::handler),
        ("GET", "/api/v1/auth/status") => get(auth::status),
        ("POST", "/api/v1/auth/register") => post(auth::register),
        ("POST", "/api/v1/auth/setup") => post(auth::setup),
        ("POST", "/api/v1/auth/login") => post(auth::login),
        ("POST", "/api/v1/auth/refresh") => post(auth::refresh),
        ("POST", "/api/v1/auth/verify-email") => post(auth::verify_email),
        ("POST", "/api/v1/auth/forgot-password") => post(auth::forgot_password),
        ("POST", "/api/v1/auth/reset-password") => post(auth::reset_password),
        ("POST", "/api/v1/auth/logout") => post(auth::logout),
        ("POST", "/api/v1/auth/logout-all") => post(auth::logout_all),
        ("POST", "/api/v1/auth/change-password") => post(auth::change_password),
        ("POST", "/api/v1/auth/resend-verification") => post(auth::resend_verification),
        ("GET", "/api/v1/auth/sessions") => get(auth::sessions),
        ("GET", "/api/v1/me") => get(auth::me),
        ("GET", "/api/v1/users") => get(users::list),
        ("POST", "/api/v1/users") => post(users::create),
        ("PATCH", "/api/v1/users/{id}") => patch(users::update),
        ("GET", "/api/v1/cameras") => get(cameras::list),
        ("POST", "/api/v1/cameras") => post(cameras::create),
        ("GET", "/api/v1/cameras/{id}") => get(cameras::get),
        ("PUT", "/api/v1/cameras/{id}") => put(cameras::replace),
        ("DELETE", "/api/v1/cameras/{id}") => delete(cameras::delete),
        ("POST", "/api/v1/cameras/{id}/test") => post(cameras::probe),
        ("POST", "/api/v1/cameras/test") => post(cameras::probe_new),
        ("GET", "/api/v1/cameras/{id}/snapshot.jpg") => get(live::snapshot),
        ("GET", "/api/v1/cameras/{id}/live.mjpeg") => get(live::mjpeg),
        ("GET", "/api/v1/cameras/{id}/counts") => get(results::camera_counts),
        ("POST", "/api/v1/cameras/{id}/corrections") => post(results::correction),
        ("GET", "/api/v1/counts") => get(results::all_counts),
        ("POST", "/api/v1/ingest/counts") => post(ingest::counts),
        ("POST", "/api/v1/ingest/events") => post(ingest::events),
        ("GET", "/api/v1/live") => get(live::live),
        ("GET", "/api/v1/ws") => get(live::ws),
        ("GET", "/api/v1/events") => get(ops::events),
        ("GET", "/api/v1/alerts") => get(ops::alerts),
        ("POST", "/api/v1/alerts/{id}/resolve") => post(ops::resolve_alert),
        ("GET", "/api/v1/workers") => get(ops::workers),
        ("GET", "/api/v1/audit") => get(ops::audit),
        ("GET", "/api/v1/api-keys") => get(ops::list_api_keys),
        ("POST", "/api/v1/api-keys") => post(ops::create_api_key),
        ("DELETE", "/api/v1/api-keys/{id}") => delete(ops::revoke_api_key),
        ("GET", "/api/v1/models") => get(ops::list_models),
        ("POST", "/api/v1/models") => post(ops::register_model),
        ("POST", "/api/v1/models/{id}/activate") => post(ops::activate_model),
        _ => unreachable!("ENDPOINTS lists {method} {path} without a handler"),
    }
}

/// Every endpoint of [`ENDPOINTS`], routed; endpoints that need a role get
/// [`require_role`] in front of the handler, so access is decided before the body is
/// even parsed, in one place.
pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for endpoint in ENDPOINTS {
        let mut method_router = handler(endpoint.method, endpoint.path);
        match endpoint.access {
            Access::Role(role) => {
                let guard = (state.clone(), role, endpoint.method, endpoint.path);
                method_router = method_router
                    .route_layer(axum::middleware::from_fn_with_state(guard, require_role));
            }
            Access::MetricsToken => {
                method_router = method_router.route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    require_metrics_token,
                ));
            }
            Access::Public | Access::ApiKey => {}
        }
        router = router.route(endpoint.path, method_router);
    }
    router
}

/// Lets a request through when it carries `server.metrics_token` as its bearer token
/// (compared in constant time); 401 otherwise, 404 while no token is configured.
async fn require_metrics_token(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(expected) = state.config.server.metrics_token.as_ref() else {
        return crate::error::ApiError::not_found("route").into_response();
    };
    let presented = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::crypto::constant_time_eq(presented.as_bytes(), expected.expose().as_bytes()) {
        return crate::error::ApiError::unauthorized(
            "metrics need the scrape token (server.metrics_token)",
        )
        .into_response();
    }
    next.run(request).await
}

/// Routes that also accept `?access_token=` (see [`require_role`]).
const QUERY_TOKEN_PATHS: &[&str] = &[
    "/api/v1/ws",
    "/api/v1/cameras/{id}/snapshot.jpg",
    "/api/v1/cameras/{id}/live.mjpeg",
];

/// Authenticates the bearer token, enforces the endpoint's role (a denial is audited)
/// and hands the caller to the handler through the request extensions.
async fn require_role(
    axum::extract::State((state, role, method, path)): axum::extract::State<(
        AppState,
        footfall_store::Role,
        &'static str,
        &'static str,
    )>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (mut parts, body) = request.into_parts();
    // Browsers cannot set headers on a WebSocket or an <img>: those routes also take the
    // token from their query string (and only those: tokens in URLs end up in logs).
    if QUERY_TOKEN_PATHS.contains(&path)
        && !parts
            .headers
            .contains_key(axum::http::header::AUTHORIZATION)
    {
        let token = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned())
        });
        if let Some(value) =
            token.and_then(|t| axum::http::HeaderValue::from_str(&format!("Bearer {t}")).ok())
        {
            parts
                .headers
                .insert(axum::http::header::AUTHORIZATION, value);
        }
    }
    let caller = match <crate::auth::Caller as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };

    if let Err(e) = caller
        .require(&state, role, &format!("{method} {path}"))
        .await
    {
        return e.into_response();
    }
    let user_id = caller.user_id;
    parts.extensions.insert(caller);
    let mut response = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    response
        .extensions_mut()
        .insert(crate::telemetry::AuthenticatedUser(user_id));
    response
}
