//! Test support: a real server on 127.0.0.1 port 0 with a fresh database (SQLite file or
//! a new PostgreSQL database), a manual clock, an in-memory mailer and an HTTP client.

use crate::Server;
use crate::clock::ManualClock;
use crate::config::{Config, JwtKey, Secret};
use crate::mail::MemoryMailer;
use crate::state::Services;
use footfall_store::testing::TestDb;
use footfall_store::{Backend, NewUser, Role};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;

pub struct TestServer {
    pub url: String,
    pub client: reqwest::Client,
    pub server: Option<Server>,
    pub mailer: Arc<MemoryMailer>,
    pub clock: Arc<ManualClock>,
    pub data_dir: tempfile::TempDir,
    pub db: TestDb,
    config: Config,
    /// Scripted cameras instead of ffmpeg and the model, when started with them.
    cameras: Option<footfall_live::supervisor::CameraSources>,
}

/// `server.metrics_token` of test servers.
pub const METRICS_TOKEN: &str = "test-metrics-scrape-token";

/// Test password that meets the default policy.
pub const PASSWORD: &str = "Correct-Horse-9";

/// Cheap argon2 for tests (64 MiB x 2 passes per login would make the role matrix slow);
/// production defaults are in `AuthConfig`.
pub fn test_config(data_dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.database.data_dir = data_dir.to_path_buf();
    config.auth.argon2_memory_kib = 1024;
    config.auth.argon2_iterations = 1;
    config.auth.jwt_keys = vec![JwtKey {
        id: "test".into(),
        secret: Secret::new("t".repeat(40)),
    }];
    config.server.bind = "127.0.0.1:0".parse().expect("addr");
    // Many test servers run at once: no fixed metrics port; the scrape token opens
    // /metrics on the API listener instead.
    config.server.metrics_bind = None;
    config.server.metrics_token = Some(Secret::new(METRICS_TOKEN));
    // API tests create cameras that point nowhere; the live-service tests turn it on.
    config.live.enabled = false;
    // The RTSP and HTTP servers of the tests run on loopback (the product refuses it by
    // default; tests of that refusal turn it back off).
    config.cameras.allow_loopback = true;
    config
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts with the test config changed by `adjust`.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_with_cameras(backend, adjust, None).await
    }

    /// Starts with the camera service on and its cameras opening `cameras` (scripted
    /// streams and detector, [`footfall_live::testing::ScriptedCamera`]).
    pub async fn start_with_scripted_cameras(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
        cameras: footfall_live::supervisor::CameraSources,
    ) -> TestServer {
        let adjust = |config: &mut Config| {
            config.live.enabled = true;
            adjust(config);
        };
        Self::start_with_cameras(backend, adjust, Some(cameras)).await
    }

    async fn start_with_cameras(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
        cameras: Option<footfall_live::supervisor::CameraSources>,
    ) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let db = TestDb::new(backend).await;
        let mut config = test_config(data_dir.path());
        config.database.url = Some(Secret::new(db.url.clone()));
        adjust(&mut config);
        let mailer = Arc::new(MemoryMailer::default());
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let server = Self::serve(&config, &mailer, &clock, &cameras).await;
        TestServer {
            url: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
            server: Some(server),
            mailer,
            clock,
            data_dir,
            db,
            config,
            cameras,
        }
    }

    async fn serve(
        config: &Config,
        mailer: &Arc<MemoryMailer>,
        clock: &Arc<ManualClock>,
        cameras: &Option<footfall_live::supervisor::CameraSources>,
    ) -> Server {
        let store = crate::open_store(config).await.expect("store");
        let services = Services {
            store,
            mailer: mailer.clone(),
            clock: clock.clone(),
            // Cameras run in real time (their threads sleep); tests move the API's clock.
            camera_clock: Arc::new(crate::clock::SystemClock::default()),
            camera_sources: cameras.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        Server::start(config.clone(), services, listener)
            .await
            .expect("server starts")
    }

    /// Shuts the server down gracefully (as on SIGTERM) and starts it again on the same
    /// database and data directory (on a new port: `url` changes).
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let server = Self::serve(&self.config, &self.mailer, &self.clock, &self.cameras).await;
        self.url = format!("http://{}", server.addr);
        self.server = Some(server);
    }

    /// Result rows stored for camera `id` (raw results of the last hour).
    pub async fn stored_results(&self, id: i64) -> usize {
        let now = chrono::Utc::now();
        let query = footfall_store::ResultQuery {
            camera_id: Some(id),
            from: now - chrono::Duration::hours(1),
            to: now + chrono::Duration::hours(1),
            bucket: footfall_store::Bucket::Raw,
            time_zone: chrono_tz::UTC,
            limit: 1,
            offset: 0,
        };
        self.state()
            .store
            .raw_results(&query)
            .await
            .expect("results")
            .total
    }

    /// Waits (up to a minute) until camera `id` has stored more than `than` result rows;
    /// returns how many.
    pub async fn results_grow(&self, id: i64, than: usize) -> usize {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let n = self.stored_results(id).await;
            if n > than {
                return n;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "camera {id} stopped storing at {n} rows"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    pub fn state(&self) -> &crate::state::AppState {
        &self.server.as_ref().expect("running").state
    }

    /// The server's (manual) clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        crate::clock::Clock::now(self.clock.as_ref())
    }

    /// Creates a user straight in the store; returns its id.
    pub async fn create_user(&self, username: &str, role: Role) -> i64 {
        let params = self.state().password;
        let hash = crate::password::hash(PASSWORD, params).await.expect("hash");
        let user = NewUser {
            username: username.into(),
            email: format!("{username}@example.com"),
            password_hash: hash,
            first_name: None,
            last_name: None,
            role,
            email_verified: true,
        };
        self.state()
            .store
            .create_user(&user, self.now())
            .await
            .expect("user")
            .id
    }

    /// Logs in; returns the whole token response.
    pub async fn login(&self, username: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"login": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body
    }

    /// Creates a user of `role` and returns an access token for it.
    pub async fn token(&self, username: &str, role: Role) -> String {
        self.create_user(username, role).await;
        self.login(username).await["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// An access token for `username`, creating the user with `role` first if needed.
    pub async fn login_or_create(&self, username: &str, role: Role) -> String {
        if self
            .state()
            .store
            .user_by_login(username)
            .await
            .expect("lookup")
            .is_none()
        {
            self.create_user(username, role).await;
        }
        self.login(username).await["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// One JSON request; returns status and parsed body (`Value::Null` when empty,
    /// `Value::String` when not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// `/metrics` as a scraper with the token reads it.
    pub async fn metrics(&self) -> String {
        let (status, body) = self
            .call(Method::GET, "/metrics", Some(METRICS_TOKEN), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_str().expect("metrics are text").to_string()
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

/// The repository root (where `tests/support` and `.cache` are).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A file of the shared test data in `../shared` (see the README for where it comes from).
pub fn shared(rel: &str) -> std::path::PathBuf {
    let p = workspace_root().join("../shared").join(rel);
    assert!(
        p.exists(),
        "{} missing: see the README for where to get the shared data",
        p.display()
    );
    p
}

/// The shared camera video (6 visitors at the table).
pub fn video() -> std::path::PathBuf {
    shared("data/one-by-one-person-detection.mp4")
}

/// The shared YOLOX-Nano model.
pub fn model() -> std::path::PathBuf {
    shared("models/yolox_nano.onnx")
}

/// The zone around the table in the shared video (normalised), where each visitor stands.
pub const TABLE_ZONE: &str = "table:0.45,0.60,0.75,0.60,0.75,0.97,0.45,0.97";

/// Re-encodes `seconds` of the shared video from `start` into `out`, played `speed` times
/// faster (frames kept, timestamps compressed), key frame every second.
pub fn cut_video(start: f64, seconds: f64, speed: f64, out: &std::path::Path) {
    let fps = 10.0 * speed;
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-ss",
            &start.to_string(),
            "-t",
            &seconds.to_string(),
            "-i",
        ])
        .arg(video())
        .args([
            "-vf",
            &format!("setpts=PTS/{speed}"),
            "-r",
            &fps.to_string(),
        ])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "18",
            "-g",
            &fps.to_string(),
            "-an",
        ])
        .arg(out)
        .status()
        .expect("ffmpeg");
    assert!(status.success(), "ffmpeg cut failed");
}

/// A running `tests/support/rtsp_server.py` (GStreamer's RTSP server on 127.0.0.1);
/// killed on drop.
pub struct RtspServer {
    child: std::process::Child,
    pub url: String,
    pub port: u16,
}

impl RtspServer {
    /// Serves `file` at `rtsp://127.0.0.1:PORT/cam` (a free port when `port` is `None`);
    /// `extra`: `--loop`, `--user U --password P`.
    pub fn start(file: &std::path::Path, port: Option<u16>, extra: &[&str]) -> RtspServer {
        use std::io::BufRead;
        let port = port.unwrap_or_else(|| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .expect("free port")
                .local_addr()
                .expect("addr")
                .port()
        });
        let mut child = std::process::Command::new("/usr/bin/python3")
            .arg(workspace_root().join("tests/support/rtsp_server.py"))
            .arg("--file")
            .arg(file)
            .args(["--port", &port.to_string(), "--mount", "/cam"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start the RTSP server (scripts/setup.sh --dev installs GStreamer)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY line");
        let url = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("RTSP server said {line:?}"))
            .to_string();
        RtspServer { child, url, port }
    }
}

impl Drop for RtspServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test CA and a server certificate for 127.0.0.1 signed by it, as PEM files in
/// `dir`: (CA certificate, server certificate, server key).
pub fn test_certificates(dir: &std::path::Path) -> [std::path::PathBuf; 3] {
    let path = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| {
        let ok = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(ok.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=footfall-test-ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "key.pem",
                "-out",
                "server.csr",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        path("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "cert.pem",
    ]);
    [path("ca.pem"), path("cert.pem"), path("key.pem")]
}
