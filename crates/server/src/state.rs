//! Shared application state: everything a handler needs, built once at start-up.

use crate::clock::Clock;
use crate::config::{Config, JwtKey, Secret};
use crate::crypto::CredentialBox;
use crate::mail::Mailer;
use crate::metrics::{LogWriter, Metrics};
use crate::password::PasswordParams;
use crate::rate_limit::{FailureCounts, RateLimits};
use crate::tokens::TokenKeys;
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
    /// Seals stream credentials at rest; the camera service unseals them to connect.
    pub credentials: Arc<CredentialBox>,
    /// Request quotas per client or account.
    pub limits: RateLimits,
    /// Login failures per name and address, behind lockouts.
    pub login_failures: FailureCounts,
    pub metrics: Metrics,
    pub logs: LogWriter,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub password: PasswordParams,
    /// Verified against when a login names no user, so both paths cost one argon2 run.
    pub dummy_hash: String,
    /// The camera service of this node: its live hub, frames, cameras and writer.
    pub live: Arc<footfall_live::CameraService>,
    /// Users whose access changed (logout, deactivation, role or password change):
    /// their live streams re-check their session at once ([`crate::live_access`]).
    pub access_changes: tokio::sync::broadcast::Sender<i64>,
    /// Turns true when the server begins a graceful shutdown: the HTTP listeners stop
    /// accepting and live streams (WebSockets, MJPEG) end.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Open WebSockets and MJPEG viewers, against `server.max_*` caps.
    pub stream_slots: Arc<crate::stream_slots::StreamSlots>,
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
    /// The API's clock (token expiry, lockouts, audit times).
    pub clock: Arc<dyn Clock>,
    /// The camera service's clock (camera threads sleep on it, the writer stamps rows
    /// with it): the system clock, in tests too (which move the API's clock by hand).
    pub camera_clock: Arc<dyn Clock>,
    /// What cameras open; `None`: ffmpeg and the ONNX Runtime detector pool (tests pass
    /// scripted cameras, [`footfall_live::testing`]).
    pub camera_sources: Option<footfall_live::supervisor::CameraSources>,
}

impl AppState {
    /// Resolves keys (configured, or generated once into the data dir) and starts the
    /// background log writer.
    pub async fn new(mut config: Config, services: Services) -> Result<AppState, String> {
        let needs_generated =
            config.auth.jwt_keys.is_empty() || config.cameras.credentials_key.is_none();
        if needs_generated {
            let generated = crate::crypto::load_or_create_secrets(&config.database.data_dir)?;
            if config.cameras.credentials_key.is_none() {
                generated.credentials_into(&mut config.cameras);
            }
            if config.auth.jwt_keys.is_empty() {
                config.auth.jwt_keys = vec![JwtKey {
                    id: generated.jwt_key_id,
                    secret: Secret::new(generated.jwt_secret),
                }];
            }
        }
        let credentials = Arc::new(crate::crypto::credentials_box(&config.cameras)?);
        let password = PasswordParams {
            memory_kib: config.auth.argon2_memory_kib,
            iterations: config.auth.argon2_iterations,
            min_length: config.auth.password_min_length,
        };
        let dummy_hash = crate::password::dummy_hash(password).await;
        let logs = LogWriter::spawn(services.store.clone());
        let trusted_proxies = config
            .server
            .trusted_proxies
            .iter()
            .filter_map(|p| crate::validate::parse_net(p))
            .collect();
        let destinations = footfall_source::DestinationPolicy {
            allow_loopback: config.cameras.allow_loopback,
            blocked: config
                .cameras
                .blocked_networks
                .iter()
                .filter_map(|n| crate::validate::parse_net(n))
                .collect(),
        };
        let live = Arc::new(footfall_live::CameraService::new(
            config.live.clone(),
            config.database.data_dir.clone(),
            services.store.clone(),
            services.camera_clock,
        ));
        Ok(AppState(Arc::new(Inner {
            live,
            destinations,
            keys: TokenKeys::new(&config.auth.jwt_keys),
            trusted_proxies,
            config,
            store: services.store,
            credentials,
            limits: RateLimits::new(services.clock.clone()),
            login_failures: FailureCounts::default(),
            metrics: Metrics::default(),
            logs,
            mailer: services.mailer,
            clock: services.clock,
            password,
            dummy_hash,
            setup_token: std::sync::Mutex::new(None),
            access_changes: tokio::sync::broadcast::channel(256).0,
            stopping: tokio::sync::watch::channel(false).0,
            stream_slots: Default::default(),
        })))
    }

    /// The one-time setup token, while no active admin exists (see POST
    /// /api/v1/auth/setup).
    pub fn setup_token(&self) -> Option<String> {
        self.setup_token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
