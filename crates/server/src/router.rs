//! The router: every endpoint of [`ENDPOINTS`] bound to its handler, with its access
//! rule in front (role guard, scrape token), decided before the body is even parsed.

use crate::routes::{Access, ENDPOINTS, auth, cameras, health, ingest, live, ops, results, users};
use crate::state::AppState;
use axum::Router;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

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
        ("GET", "/api/v1/me/export") => get(auth::export),
        ("GET", "/api/v1/users") => get(users::list),
        ("POST", "/api/v1/users") => post(users::create),
        ("PATCH", "/api/v1/users/{id}") => patch(users::update),
        ("DELETE", "/api/v1/users/{id}") => delete(users::erase),
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
        .insert(crate::auth::AuthenticatedUser(user_id));
    response
}
