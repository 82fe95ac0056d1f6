//! Server configuration: a TOML file layered under `FOOTFALL_SECTION__FIELD`
//! environment variables (e.g. `FOOTFALL_DATABASE__URL=postgres://...`,
//! `FOOTFALL_SERVER__BIND=0.0.0.0:8080`). Every section rejects unknown fields so a
//! typo is an error, not a silently ignored setting. Each field documents its default.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A value that must never be printed: Debug and Serialize show `***`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub cameras: CamerasConfig,
    pub mail: MailConfig,
    pub logging: LoggingConfig,
    pub live: LiveConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address. Default `127.0.0.1:8080` (loopback: expose deliberately).
    pub bind: SocketAddr,
    /// Base URL users reach the server at, used in e-mailed links.
    /// Default `http://localhost:8080`.
    pub public_url: String,
    /// Origins allowed by CORS. Default empty (same-origin only).
    pub cors_origins: Vec<String>,
    /// Seconds a request may run before it is answered 503. Default 30.
    pub request_timeout_s: u64,
    /// Largest request body in bytes. Default 4 MiB (an ingest batch of ~10,000 rows).
    pub max_body_bytes: usize,
    /// Second listener that serves only `/metrics`, without credentials, for a local
    /// Prometheus or agent. Default `127.0.0.1:9464` (loopback: occupancy per camera is
    /// not for strangers). Empty (`""`): none. A port already in use is logged and
    /// skipped (the API still starts).
    #[serde(deserialize_with = "optional_socket_addr")]
    pub metrics_bind: Option<SocketAddr>,
    /// Bearer token that opens `/metrics` on the main listener (for a scraper elsewhere).
    /// Default none: `/metrics` there answers 404.
    pub metrics_token: Option<Secret>,
    /// Reverse proxies (addresses or CIDRs, e.g. `127.0.0.1`, `10.0.0.0/8`) whose
    /// `X-Forwarded-For` is believed: a request from one of them counts as coming from
    /// the right-most address of that header that is not itself a trusted proxy (the
    /// one the first trusted proxy saw; addresses to its left are the client's word).
    /// Default empty: the header is ignored and the peer address counts.
    pub trusted_proxies: Vec<String>,
    /// Directory of the built web dashboard (`web/dist`) to serve at `/`. Default: the
    /// copy embedded in the binary when built with the `web` feature, else none (API
    /// only).
    pub web_dir: Option<PathBuf>,
    /// PEM certificate chain to serve HTTPS with (with `tls_key`). Default none: plain
    /// HTTP (behind a TLS-terminating proxy, or on loopback). With TLS on, responses
    /// carry `Strict-Transport-Security`.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert` (PKCS#8, PKCS#1 or SEC1).
    pub tls_key: Option<PathBuf>,
    /// Open WebSockets (`/api/v1/ws`) one user may hold at once; 0 = unlimited.
    /// Default 20 (a few browser tabs and devices).
    pub max_websockets_per_user: usize,
    /// Open WebSockets in total; 0 = unlimited. Default 1,000.
    pub max_websockets: usize,
    /// Largest message a WebSocket client may send, bytes. Default 65,536 (client
    /// messages are small JSON commands).
    pub max_websocket_message_bytes: usize,
    /// Open MJPEG streams (`live.mjpeg`) per camera; 0 = unlimited. Default 20 (each
    /// frame is encoded once and shared by every viewer).
    pub max_mjpeg_viewers_per_camera: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".parse().expect("valid default"),
            public_url: "http://localhost:8080".into(),
            cors_origins: Vec::new(),
            request_timeout_s: 30,
            max_body_bytes: 4 << 20,
            metrics_bind: Some(([127, 0, 0, 1], 9464).into()),
            metrics_token: None,
            trusted_proxies: Vec::new(),
            web_dir: None,
            tls_cert: None,
            tls_key: None,
            max_websockets_per_user: 20,
            max_websockets: 1_000,
            max_websocket_message_bytes: 64 << 10,
            max_mjpeg_viewers_per_camera: 20,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER:PASS@HOST/DB`. Default: SQLite file
    /// `footfall.db` in `data_dir`.
    pub url: Option<Secret>,
    /// Folder for the SQLite file and generated secrets. Default `data`.
    pub data_dir: PathBuf,
    /// Connection pool size. Default 16.
    pub max_connections: u32,
    /// PostgreSQL cancels a statement running longer than this (503 to the caller),
    /// seconds; 0 = no limit. Migrations are exempt. Default 30.
    pub statement_timeout_s: u64,
    /// Raw result rows one counts query may read (minute buckets, or a time zone whose
    /// offset is not a whole hour); bigger queries are refused with 422 before they run.
    /// Default 2,000,000 (about 10 cameras for 3 weeks).
    pub max_rows_scanned: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: None,
            data_dir: PathBuf::from("data"),
            max_connections: 16,
            statement_timeout_s: 30,
            max_rows_scanned: footfall_store::DEFAULT_MAX_ROWS_SCANNED,
        }
    }
}

impl DatabaseConfig {
    /// The URL to connect to (the SQLite default resolved against `data_dir`).
    pub fn resolved_url(&self) -> String {
        match &self.url {
            Some(url) => url.expose().to_string(),
            None => format!("sqlite://{}", self.data_dir.join("footfall.db").display()),
        }
    }
}

/// One HMAC-SHA256 signing key for access tokens.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKey {
    /// Key id written to each token's `kid` header, so keys can rotate: tokens signed
    /// with an older key stay valid while that key is listed.
    pub id: String,
    /// At least 32 bytes of secret.
    pub secret: Secret,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Signing keys. The first signs new tokens; all verify. Default: one key generated
    /// on first start and kept in `DATA_DIR/secrets.toml`.
    pub jwt_keys: Vec<JwtKey>,
    /// Access token lifetime in seconds. Default 900 (15 minutes).
    pub access_token_ttl_s: i64,
    /// Refresh token (session) lifetime in seconds; each refresh extends it. Default
    /// 2,592,000 (30 days).
    pub refresh_token_ttl_s: i64,
    /// Minimum password length in characters. Default 10.
    pub password_min_length: usize,
    /// Consecutive failed logins that lock an account. Default 5.
    pub lockout_threshold: i32,
    /// Lockout duration in seconds. Default 900.
    pub lockout_s: i64,
    /// Login attempts allowed per client IP per minute: a burst of this many, then one
    /// more every minute / this many (GCRA). Default 20.
    pub login_per_ip_per_minute: u32,
    /// Registrations allowed per client IP per hour: a burst of this many, then one more
    /// every hour / this many. Default 10.
    pub register_per_ip_per_hour: u32,
    /// Anyone who reaches the server may create an account (role `register_role`);
    /// they must verify their e-mail address before they can log in. Default false:
    /// admins create accounts (`POST /api/v1/users`, `footfall user create`).
    pub allow_registration: bool,
    /// Role given to self-registered accounts. Default `viewer`.
    pub register_role: footfall_store::Role,
    /// argon2id memory cost in KiB. Default 19,456 (OWASP's 19 MiB minimum).
    pub argon2_memory_kib: u32,
    /// argon2id passes. Default 2.
    pub argon2_iterations: u32,
    /// E-mail verification / password reset link lifetime in seconds. Default 86,400 / 3,600.
    pub verify_token_ttl_s: i64,
    pub reset_token_ttl_s: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_keys: Vec::new(),
            access_token_ttl_s: 900,
            refresh_token_ttl_s: 30 * 86_400,
            password_min_length: 10,
            lockout_threshold: 5,
            lockout_s: 900,
            login_per_ip_per_minute: 20,
            register_per_ip_per_hour: 10,
            allow_registration: false,
            register_role: footfall_store::Role::Viewer,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            verify_token_ttl_s: 86_400,
            reset_token_ttl_s: 3_600,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CamerasConfig {
    /// Stream URL schemes accepted by the API. Default rtsp, rtsps, http, https.
    /// Add `file` to allow paths on the server's disk.
    pub allowed_schemes: Vec<String>,
    /// AES-256-GCM key (base64 of 32 bytes) that encrypts stream credentials at rest.
    /// Default: generated on first start and kept in `DATA_DIR/secrets.toml`.
    pub credentials_key: Option<Secret>,
    /// Keys that only decrypt, during a rotation: values sealed with them still open until
    /// `footfall keys rotate` has re-encrypted them under `credentials_key`. Default none.
    pub previous_credentials_keys: Vec<Secret>,
    /// Let stream URLs point at this server itself (loopback, `0.0.0.0`): only for a
    /// camera relay or test server on the same machine. Default false: a user who may
    /// add cameras must not reach the server's own services through ffmpeg.
    pub allow_loopback: bool,
    /// Networks stream URLs may not point at (CIDRs), checked on create, on test and
    /// before every connection. Default: link-local and cloud metadata (169.254.0.0/16,
    /// fe80::/10, fd00::/8, 100.100.100.200), "this network", broadcast and multicast.
    /// Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7 outside fd00::/8) are
    /// allowed: cameras live there.
    pub blocked_networks: Vec<String>,
    /// Stream probes (`POST /cameras/test`, `/cameras/{id}/test`) running at once, in
    /// total; 0 = unlimited. Default 4 (each is an ffmpeg process for up to 15 s).
    pub max_probes: usize,
    /// Stream probes one user may run at once; 0 = unlimited. Default 2.
    pub max_probes_per_user: usize,
}

impl Default for CamerasConfig {
    fn default() -> Self {
        CamerasConfig {
            allowed_schemes: ["rtsp", "rtsps", "http", "https"]
                .map(String::from)
                .to_vec(),
            credentials_key: None,
            previous_credentials_keys: Vec::new(),
            allow_loopback: false,
            blocked_networks: footfall_source::destination::DEFAULT_BLOCKED
                .iter()
                .map(|n| n.to_string())
                .collect(),
            max_probes: 4,
            max_probes_per_user: 2,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// SMTP server: `smtp://[USER:PASS@]HOST[:PORT]` (STARTTLS; required whenever
    /// credentials are set), `smtps://...` (TLS from the first byte, port 465);
    /// `?tls=required` demands STARTTLS without credentials too, `?tls=none` sends in
    /// plain text (a relay on the same machine only). Default none: mails are not sent,
    /// the log says so (recipient and subject; never the body: links are credentials).
    pub smtp_url: Option<Secret>,
    /// Sender address. Default `footfall@localhost`.
    pub from: String,
    /// A PEM CA certificate trusted for the SMTP server besides the system's roots (a
    /// private CA). Default none.
    pub tls_ca_file: Option<PathBuf>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: "footfall@localhost".into(),
            tls_ca_file: None,
        }
    }
}

/// The camera service inside `footfall serve` (see [`footfall_live::LiveConfig`]).
pub use footfall_live::LiveConfig;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// `json` (one object per line, with request ids) or `text`. Default `json`.
    pub format: String,
    /// tracing filter, e.g. `info,footfall_server=debug`. Default `info`.
    pub level: String,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            format: "json".into(),
            level: "info".into(),
        }
    }
}

/// Why a configuration could not be loaded; names the file or variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl Config {
    /// Loads `file` (if given) and applies `FOOTFALL_*` overrides from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut tree = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Invalid {
                        origin: path.display().to_string(),
                        message: e.to_string(),
                    })?
            }
            None => toml::Table::new(),
        };
        let mut origin = file
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "defaults".into());
        let mut overrides: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("FOOTFALL_") && k.contains("__"))
            .collect();
        overrides.sort();
        for (key, value) in overrides {
            let path: Vec<String> = key["FOOTFALL_".len()..]
                .split("__")
                .map(|p| p.to_ascii_lowercase())
                .collect();
            set_path(&mut tree, &path, parse_env_value(&value)).map_err(|message| {
                ConfigError::Invalid {
                    origin: key.clone(),
                    message,
                }
            })?;
            origin = format!("{origin} + environment");
        }
        let config: Config =
            toml::Value::Table(tree)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin,
                    message: e.message().to_string(),
                })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, message: &str| {
            Err(ConfigError::Invalid {
                origin: field.to_string(),
                message: message.to_string(),
            })
        };
        for (i, proxy) in self.server.trusted_proxies.iter().enumerate() {
            if crate::validate::parse_net(proxy).is_none() {
                return bad(
                    &format!("server.trusted_proxies[{i}]"),
                    "must be an IP address or a CIDR such as 10.0.0.0/8",
                );
            }
        }
        if self.server.tls_cert.is_some() != self.server.tls_key.is_some() {
            return bad(
                "server.tls_cert",
                "server.tls_cert and server.tls_key go together: set both or neither",
            );
        }
        for (i, net) in self.cameras.blocked_networks.iter().enumerate() {
            if crate::validate::parse_net(net).is_none() {
                return bad(
                    &format!("cameras.blocked_networks[{i}]"),
                    "must be an IP address or a CIDR such as 169.254.0.0/16",
                );
            }
        }
        if self.auth.access_token_ttl_s < 30 || self.auth.access_token_ttl_s > 86_400 {
            return bad(
                "auth.access_token_ttl_s",
                "must be between 30 and 86400 seconds",
            );
        }
        if self.auth.refresh_token_ttl_s < self.auth.access_token_ttl_s {
            return bad(
                "auth.refresh_token_ttl_s",
                "must be at least auth.access_token_ttl_s",
            );
        }
        if self.auth.password_min_length < 8 {
            return bad("auth.password_min_length", "must be at least 8");
        }
        if self.auth.lockout_threshold < 1 {
            return bad("auth.lockout_threshold", "must be at least 1");
        }
        for (i, key) in self.auth.jwt_keys.iter().enumerate() {
            if key.secret.expose().len() < 32 {
                return bad(
                    &format!("auth.jwt_keys[{i}].secret"),
                    "must be at least 32 bytes",
                );
            }
        }
        if self.logging.format != "json" && self.logging.format != "text" {
            return bad("logging.format", "must be json or text");
        }
        if !(1..=3600).contains(&self.live.result_interval_s) {
            return bad("live.result_interval_s", "must be 1 to 3600 seconds");
        }
        if self.live.max_cameras == 0
            || self.live.max_backoff_s == 0
            || self.live.stall_timeout_s == 0
        {
            return bad(
                "live",
                "max_cameras, max_backoff_s and stall_timeout_s must be at least 1",
            );
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        Ok(())
    }
}

/// Environment values are TOML literals when they parse as one (`true`, `5`,
/// `["a","b"]`), strings otherwise.
/// A socket address, or none for an empty string (TOML and the environment have no null).
fn optional_socket_addr<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.trim()
        .parse()
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("{text:?} is no socket address: {e}")))
}

fn parse_env_value(value: &str) -> toml::Value {
    format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()))
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    match path {
        [] => Err("empty key".into()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [head, rest @ ..] => {
            let entry = table
                .entry(head.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("{head} is not a section")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.auth.access_token_ttl_s, 900);
        assert!(c.database.resolved_url().starts_with("sqlite://data"));
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("footfall.toml");
        std::fs::write(
            &file,
            "[server]\nbind = \"0.0.0.0:9000\"\n[auth]\nlockout_threshold = 3\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("FOOTFALL_AUTH__LOCKOUT_THRESHOLD", "7"),
                ("FOOTFALL_DATABASE__URL", "postgres://u:pw@db/footfall"),
                ("FOOTFALL_CAMERAS__ALLOWED_SCHEMES", "[\"rtsp\"]"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.bind.port(), 9000);
        assert_eq!(c.auth.lockout_threshold, 7);
        assert_eq!(c.cameras.allowed_schemes, vec!["rtsp"]);
        assert_eq!(c.database.resolved_url(), "postgres://u:pw@db/footfall");
        let printed = format!("{c:?} {}", toml::to_string(&c).unwrap());
        assert!(
            !printed.contains("pw@"),
            "secrets are never printed: {printed}"
        );
    }

    #[test]
    fn unknown_fields_and_bad_values_name_the_field() {
        let e = Config::load(None, env(&[("FOOTFALL_SERVER__BINDD", "x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bindd"), "{e}");
        let e = Config::load(None, env(&[("FOOTFALL_AUTH__ACCESS_TOKEN_TTL_S", "5")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("auth.access_token_ttl_s"), "{e}");
        let e = Config::load(None, env(&[("FOOTFALL_AUTH__REGISTER_ROLE", "root")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("root") || e.contains("variant"), "{e}");
    }
}
