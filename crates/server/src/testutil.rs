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
}

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
    config
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts with the test config changed by `adjust`.
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let db = TestDb::new(backend).await;
        let mut config = test_config(data_dir.path());
        config.database.url = Some(Secret::new(db.url.clone()));
        adjust(&mut config);
        let store = crate::open_store(&config).await.expect("store");
        let mailer = Arc::new(MemoryMailer::default());
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let services = Services {
            store,
            mailer: mailer.clone(),
            clock: clock.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let server = Server::start(config, services, listener)
            .await
            .expect("server starts");
        TestServer {
            url: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
            server: Some(server),
            mailer,
            clock,
            data_dir,
            db,
        }
    }

    pub fn state(&self) -> &crate::state::AppState {
        &self.server.as_ref().expect("running").state
    }

    /// Creates a user straight in the store; returns its id.
    pub async fn create_user(&self, username: &str, role: Role) -> i64 {
        let params = self.state().password;
        let hash = crate::auth::password::hash(PASSWORD, params)
            .await
            .expect("hash");
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
            .create_user(&user, self.clock.now_utc())
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

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

impl ManualClock {
    fn now_utc(&self) -> chrono::DateTime<chrono::Utc> {
        crate::clock::Clock::now(self)
    }
}
