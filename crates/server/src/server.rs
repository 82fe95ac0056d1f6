//! The running server: the HTTP application (routes, telemetry, limits, security
//! headers), its listeners, the camera supervisor and graceful shutdown.

use crate::config::Config;
use crate::error::BootError;
use crate::state::{AppState, Services};
use crate::{crypto, error, router, routes, telemetry, tls, web};
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;

/// Creates a fresh setup token when the database has no active admin; returns it.
async fn prepare_setup(state: &AppState) -> Option<String> {
    let admins = state.store.count_active_admins().await.ok()?;
    let mut slot = state.setup_token.lock().unwrap_or_else(|p| p.into_inner());
    *slot = (admins == 0).then(|| crypto::random_token(24));
    slot.clone()
}

/// The full application: routes, telemetry, limits, security headers.
pub fn app(state: AppState) -> Router {
    let config = &state.config.server;
    let assets = web::Assets::from_config(config.web_dir.as_ref()).map(std::sync::Arc::new);
    let mut router = router::router(&state)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::track,
        ))
        .fallback(move |method: axum::http::Method, uri: axum::http::Uri| {
            let assets = assets.clone();
            async move {
                match assets.as_deref() {
                    Some(assets) => assets.respond(&method, &uri).await,
                    None => axum::response::IntoResponse::into_response(
                        error::ApiError::not_found("route"),
                    ),
                }
            }
        })
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        // Also for bodies no extractor limits (streams, third-party extractors): 413.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            config.max_body_bytes,
        ))
        .layer(axum::middleware::from_fn(uniform_errors))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(config.request_timeout_s),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ));
    if config.tls_cert.is_some() {
        // Browsers that saw HTTPS once never fall back to plain HTTP for a year.
        router = router.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("strict-transport-security"),
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    if !config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect();
        router = router.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods(tower_http::cors::Any)
                .allow_headers([
                    axum::http::header::AUTHORIZATION,
                    axum::http::header::CONTENT_TYPE,
                ]),
        );
    }
    router.with_state(state)
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Set while the database has no active admin: give it to POST /api/v1/auth/setup.
    pub setup_token: Option<String>,
    /// Where the metrics-only listener (`server.metrics_bind`) listens, when it does.
    pub metrics_addr: Option<SocketAddr>,
    metrics_task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    maintenance: tokio::task::JoinHandle<()>,
    supervisor: Option<footfall_live::supervisor::SupervisorHandle>,
}

impl Server {
    /// Serves on `listener` until [`Server::shutdown`].
    pub async fn start(
        config: Config,
        services: Services,
        listener: tokio::net::TcpListener,
    ) -> Result<Server, BootError> {
        let camera_sources = services.camera_sources.clone();
        let state = AppState::new(config, services)
            .await
            .map_err(BootError::Services)?;
        let setup_token = prepare_setup(&state).await;
        let addr = listener
            .local_addr()
            .map_err(|e| BootError::Listener(e.to_string()))?;
        let stopped = state.stopping.subscribe();
        let task = match (&state.config.server.tls_cert, &state.config.server.tls_key) {
            (Some(cert), Some(key)) => {
                let tls = tls::server_config(cert, key).map_err(BootError::Listener)?;
                let listener = tls::TlsListener::new(listener, tls)
                    .map_err(|e| BootError::Listener(e.to_string()))?;
                let app = app(state.clone()).into_make_service_with_connect_info::<tls::TlsPeer>();
                tokio::spawn(
                    axum::serve(listener, app)
                        .with_graceful_shutdown(stop_signal(stopped.clone()))
                        .into_future(),
                )
            }
            _ => {
                let app = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
                tokio::spawn(
                    axum::serve(listener, app)
                        .with_graceful_shutdown(stop_signal(stopped.clone()))
                        .into_future(),
                )
            }
        };
        let (metrics_addr, metrics_task) = match metrics_listener(&state).await {
            Some(listener) => {
                let addr = listener.local_addr().ok();
                let router = Router::new()
                    .route("/metrics", axum::routing::get(routes::health::metrics))
                    .with_state(state.clone());
                let task = tokio::spawn(
                    axum::serve(listener, router)
                        .with_graceful_shutdown(stop_signal(stopped))
                        .into_future(),
                );
                (addr, Some(task))
            }
            None => (None, None),
        };
        let maintenance = tokio::spawn(maintenance(state.clone()));
        let supervisor = state.config.live.enabled.then(|| {
            use footfall_live::supervisor::{CameraSources, Inputs};
            let inputs = Inputs {
                sources: camera_sources
                    .unwrap_or_else(|| CameraSources::ffmpeg_and_onnx(&state.config.live)),
                stream_urls: state.credentials.clone(),
                destinations: state.destinations.clone(),
            };
            footfall_live::supervisor::start(state.live.clone(), inputs, addr.port())
        });
        tracing::info!(%addr, backend = ?state.store.backend(), "footfall server listening");
        Ok(Server {
            addr,
            state,
            setup_token,
            metrics_addr,
            metrics_task,
            task,
            maintenance,
            supervisor,
        })
    }

    /// Graceful shutdown: stop accepting, let in-flight requests finish, stop the cameras
    /// and store what they counted, flush queued log rows, close the database.
    pub async fn shutdown(self) {
        // Also ends the live streams, which would otherwise keep the listener waiting.
        let _ = self.state.stopping.send(true);
        if let Some(task) = self.metrics_task {
            let _ = task.await;
        }
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "server stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "server task failed"),
        }
        self.maintenance.abort();
        if let Some(supervisor) = self.supervisor {
            supervisor.shutdown().await;
        }
        self.state.logs.flush().await;
        self.state.store.close().await;
        tracing::info!("footfall server stopped");
    }
}

/// Two guards every request passes: a query string holding a NUL character is refused
/// (422: no text column takes it), and the plain-text 4xx answers of axum's own layers
/// and extractors (a path id or query value that does not parse, a body over the limit)
/// get the JSON error envelope every other error has.
async fn uniform_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request
        .uri()
        .query()
        .is_some_and(|q| q.to_ascii_lowercase().contains("%00"))
    {
        return error::ApiError::invalid("query", "must not contain the NUL character (%00)")
            .into_response();
    }
    let response = next.run(request).await;
    let status = response.status();
    let plain_text = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() && plain_text) {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 16 << 10)
        .await
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        _ => "bad_request",
    };
    error::ApiError::new(
        status,
        code,
        String::from_utf8_lossy(&body).trim().to_string(),
    )
    .into_response()
}

/// Resolves when `stop` turns true (or its sender is gone).
async fn stop_signal(mut stop: tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// The metrics-only listener of `server.metrics_bind`; `None` when there is none or its
/// address cannot be taken (logged: metrics are an aid, the API starts regardless).
async fn metrics_listener(state: &AppState) -> Option<tokio::net::TcpListener> {
    let addr = state.config.server.metrics_bind?;
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => {
            tracing::info!(%addr, "metrics listening");
            Some(listener)
        }
        Err(e) => {
            tracing::warn!(%addr, error = %e,
                "metrics listener not started (server.metrics_bind); /metrics needs server.metrics_token on the API listener");
            None
        }
    }
}

/// Daily: monthly partitions ahead (PostgreSQL).
async fn maintenance(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(24 * 3600));
    loop {
        tick.tick().await;
        if let Err(e) = state.store.ensure_partitions(state.clock.now(), 3).await {
            tracing::warn!(error = %e, "partition maintenance failed");
        }
    }
}
