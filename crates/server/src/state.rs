//! Shared application state: everything a handler needs, built once at start-up.

use crate::auth::password::PasswordParams;
use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::{Config, JwtKey, Secret};
use crate::crypto::CredentialBox;
use crate::mail::Mailer;
use crate::rate_limit::RateLimiter;
use crate::telemetry::{LogWriter, Metrics};
use footfall_store::{NewAudit, Store};
use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    /// `server.trusted_proxies`, parsed once (`Config::load` refuses any that do not parse).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where stream URLs may point (`cameras.allow_loopback`, `cameras.blocked_networks`).
    pub destinations: footfall_source::DestinationPolicy,
    pub store: Store,
    pub keys: TokenKeys,
    pub credentials: CredentialBox,
    pub limiter: RateLimiter,
    pub metrics: Metrics,
    pub logs: LogWriter,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub password: PasswordParams,
    /// Verified against when a login names no user, so both paths cost one argon2 run.
    pub dummy_hash: String,
    pub graphql: crate::graphql::Schema,
    /// Latest frame of each running camera (snapshots, MJPEG).
    pub frames: std::sync::Mutex<std::collections::HashMap<i64, crate::supervisor::FrameSlot>>,
    /// Signalled on every camera create / change / delete (the supervisor reconciles).
    pub cameras_changed: tokio::sync::Notify,
    /// Requests to the camera supervisor, when one runs in this process.
    pub supervisor: std::sync::OnceLock<tokio::sync::mpsc::Sender<crate::supervisor::Control>>,
    /// Live updates for WebSocket clients and GET /api/v1/live.
    pub live: crate::live::Hub,
    /// Users whose access changed (logout, deactivation, role or password change):
    /// their live streams re-check their session at once ([`crate::live_access`]).
    pub access_changes: tokio::sync::broadcast::Sender<i64>,
    /// Turns true when the server begins a graceful shutdown: the HTTP listeners stop
    /// accepting and live streams (WebSockets, MJPEG) end.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Open WebSockets and MJPEG viewers, against `server.max_*` caps.
    pub stream_slots: Arc<crate::live_access::StreamSlots>,
    /// The latest JPEG of each camera (drawn and bare), so a frame is encoded once for
    /// every snapshot and MJPEG viewer that asks for it.
    pub jpegs: crate::routes::live::JpegCache,
    /// One-time token for POST /api/v1/auth/setup while no user exists.
    pub setup_token: std::sync::Mutex<Option<String>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// What [`AppState::new`] needs besides the config.
pub struct Services {
    pub store: Store,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// Resolves keys (configured, or generated once into the data dir) and starts the
    /// background log writer.
    pub async fn new(mut config: Config, services: Services) -> Result<AppState, String> {
        let needs_generated =
            config.auth.jwt_keys.is_empty() || config.cameras.credentials_key.is_none();
        if needs_generated {
            let generated = crate::crypto::load_or_create_secrets(&config.database.data_dir)?;
            if config.auth.jwt_keys.is_empty() {
                config.auth.jwt_keys = vec![JwtKey {
                    id: generated.jwt_key_id,
                    secret: Secret::new(generated.jwt_secret),
                }];
            }
            if config.cameras.credentials_key.is_none() {
                config.cameras.credentials_key = Some(Secret::new(generated.credentials_key));
            }
        }
        let credentials = CredentialBox::new(
            config
                .cameras
                .credentials_key
                .as_ref()
                .map(Secret::expose)
                .unwrap_or(""),
        )?;
        let password = PasswordParams {
            memory_kib: config.auth.argon2_memory_kib,
            iterations: config.auth.argon2_iterations,
            min_length: config.auth.password_min_length,
        };
        let dummy_hash = crate::auth::password::dummy_hash(password).await;
        let logs = LogWriter::spawn(services.store.clone());
        let trusted_proxies = config
            .server
            .trusted_proxies
            .iter()
            .filter_map(|p| crate::auth::parse_net(p))
            .collect();
        let destinations = footfall_source::DestinationPolicy {
            allow_loopback: config.cameras.allow_loopback,
            blocked: config
                .cameras
                .blocked_networks
                .iter()
                .filter_map(|n| crate::auth::parse_net(n))
                .collect(),
        };
        Ok(AppState(Arc::new(Inner {
            destinations,
            keys: TokenKeys::new(&config.auth.jwt_keys),
            trusted_proxies,
            config,
            store: services.store,
            credentials,
            limiter: RateLimiter::default(),
            metrics: Metrics::default(),
            logs,
            mailer: services.mailer,
            clock: services.clock,
            password,
            dummy_hash,
            graphql: crate::graphql::schema(),
            setup_token: std::sync::Mutex::new(None),
            access_changes: tokio::sync::broadcast::channel(256).0,
            stopping: tokio::sync::watch::channel(false).0,
            stream_slots: Default::default(),
            jpegs: Default::default(),
            live: crate::live::Hub::default(),
            cameras_changed: tokio::sync::Notify::new(),
            supervisor: std::sync::OnceLock::new(),
            frames: Default::default(),
        })))
    }

    /// Tells this user's open live streams to re-check their session now. Call after
    /// any change that may end or narrow someone's access.
    pub fn access_changed(&self, user_id: i64) {
        // No receiver means no open stream: nothing to tell.
        let _ = self.access_changes.send(user_id);
    }

    /// Writes audit rows now (awaited: an audited action is not acknowledged before its
    /// audit row is stored). A failure is logged and reported as an internal error.
    pub async fn audit(&self, entry: NewAudit) -> Result<(), crate::error::ApiError> {
        self.store
            .insert_audit(&[entry], self.clock.now())
            .await
            .map_err(crate::error::ApiError::internal)
    }
}
