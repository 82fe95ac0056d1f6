//! The API integration suite, run against SQLite and PostgreSQL: a real server on port 0
//! with a fresh database per test, driven over HTTP.

use footfall_server::testutil::{PASSWORD, TestServer};
use footfall_store::{Backend, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Every log line of this test process, so tests can prove secrets never reach it.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        struct Sink(Arc<Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = buffer.clone();
        let _ = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || Sink(sink.clone()))
            .try_init();
        buffer
    })
    .clone()
}

async fn start(backend: Backend) -> TestServer {
    captured_logs();
    TestServer::start(backend).await
}

/// A server that lets anyone register (off by default).
async fn start_open(backend: Backend) -> TestServer {
    captured_logs();
    TestServer::start_with(backend, |c| c.auth.allow_registration = true).await
}

/// The token of the newest mailed link (waits for the `n`-th mail).
async fn mailed_token(s: &TestServer, n: usize) -> String {
    let mails = s.mailer.wait_for(n).await;
    assert!(mails.len() >= n, "mail {n} never came: {mails:?}");
    mails[n - 1]
        .body
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(footfall_store::Backend::Sqlite).await } )+ }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(footfall_store::Backend::Postgres).await } )+ }
    };
}

both_backends!(
    accounts_are_closed_by_default,
    metrics_listener_is_separate_and_the_api_one_closed,
    register_login_refresh_logout,
    browser_session_keeps_the_refresh_token_in_an_http_only_cookie,
    refresh_token_reuse_revokes_the_session,
    lockout_is_identical_for_unknown_and_known_users,
    a_stranger_cannot_lock_the_admin_out,
    password_reset_and_email_verification,
    role_matrix,
    camera_validation_names_each_field,
    stream_credentials_never_leak,
    counts_buckets_time_zones_and_csv,
    ingest_is_idempotent_and_scoped,
    graphql_requires_auth_and_limits_depth,
    big_queries_are_refused_before_they_run,
    odd_input_gets_a_json_error_never_a_500,
    setup_health_metrics_and_openapi,
    admin_manages_users_and_audit,
    models_must_load_and_alerts_resolve,
    accounts_export_and_erasure,
);

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| &v[k])
}

/// The `footfall_refresh` cookie of a response, whole (`name=value; attributes`).
fn refresh_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("footfall_refresh="))
        .expect("a footfall_refresh cookie")
}

async fn browser_session_keeps_the_refresh_token_in_an_http_only_cookie(backend: Backend) {
    let s = start(backend).await;
    let (_, status) = s.call(Method::GET, "/api/v1/auth/status", None, None).await;
    assert_eq!(status["setup_required"], true, "{status}");
    s.create_user("fran", Role::User).await;
    let (_, status) = s.call(Method::GET, "/api/v1/auth/status", None, None).await;
    assert_eq!(
        status["setup_required"], true,
        "a user who is no admin does not end setup: {status}"
    );
    s.create_user("frank", Role::Admin).await;
    let (_, status) = s.call(Method::GET, "/api/v1/auth/status", None, None).await;
    assert_eq!(status["setup_required"], false, "{status}");

    let login = s
        .client
        .post(format!("{}/api/v1/auth/login", s.url))
        .json(&json!({"login": "fran", "password": PASSWORD, "refresh_cookie": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = refresh_cookie(&login);
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let body: Value = login.json().await.unwrap();
    assert!(
        body["refresh_token"].is_null(),
        "not readable by scripts: {body}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();

    // Refresh with the cookie alone: a new access token and a rotated cookie.
    let refresh = |cookie: String| {
        s.client
            .post(format!("{}/api/v1/auth/refresh", s.url))
            .header("cookie", cookie)
            .json(&json!({}))
            .send()
    };
    let refreshed = refresh(pair.clone()).await.unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let rotated = refresh_cookie(&refreshed);
    assert_ne!(rotated.split(';').next().unwrap(), pair);
    let body: Value = refreshed.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_string();
    assert!(body["refresh_token"].is_null());
    // The spent cookie is a replay: it ends the session.
    assert_eq!(
        refresh(pair).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = s.call(Method::GET, "/api/v1/me", Some(&access), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "replay revoked the session"
    );

    // Logout clears the cookie; without a cookie or token refresh is refused.
    let tokens = s.login("fran").await;
    let logout = s
        .client
        .post(format!("{}/api/v1/auth/logout", s.url))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(refresh_cookie(&logout).contains("Max-Age=0"));
    let (status, body) = s
        .call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    s.stop().await;
}

async fn register_login_refresh_logout(backend: Backend) {
    let s = start_open(backend).await;
    let (status, user) = s
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "erin", "email": "erin@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["role"], "viewer");
    assert!(user.get("password_hash").is_none());
    let mails = s.mailer.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("Welcome") && mails[0].body.contains("/verify-email?token="));

    // No way in before the address is verified (a fresh link is mailed).
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "erin", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let token = mailed_token(&s, 2).await;
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let tokens = s.login("erin@example.com").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tokens["expires_in"], 900);
    let (status, me) = s.call(Method::GET, "/api/v1/me", Some(access), None).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("erin"))
    );

    // Refresh rotates: new pair, the access token keeps working until logout.
    let (status, refreshed) = s
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": tokens["refresh_token"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    let access2 = refreshed["access_token"].as_str().unwrap();

    // Access tokens expire after 15 minutes (clock moved, no sleeping).
    s.clock.advance(chrono::Duration::seconds(901));
    let (status, body) = s.call(Method::GET, "/api/v1/me", Some(access2), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["message"], "token expired");
    let (_, again) = s
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refreshed["refresh_token"]})),
        )
        .await;
    let access3 = again["access_token"].as_str().unwrap();

    let (status, _) = s
        .call(Method::POST, "/api/v1/auth/logout", Some(access3), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s.call(Method::GET, "/api/v1/me", Some(access3), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "logged-out session's token is dead: {body}"
    );

    // Two sessions, logout-all ends both.
    let a = s.login("erin").await;
    let b = s.login("erin").await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/logout-all",
            a["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(
        (status, body["sessions_revoked"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    let (status, _) = s
        .call(Method::GET, "/api/v1/me", b["access_token"].as_str(), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Change password: the old one stops working, other sessions end, this one stays.
    let c = s.login("erin").await;
    let d = s.login("erin").await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/change-password",
            c["access_token"].as_str(),
            Some(json!({"current_password": "wrong", "new_password": "Another-Pass-10"})),
        )
        .await;
    assert_eq!(
        (status, get(&body, "error.field").as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/change-password",
            c["access_token"].as_str(),
            Some(json!({"current_password": PASSWORD, "new_password": "Another-Pass-10"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        s.call(Method::GET, "/api/v1/me", c["access_token"].as_str(), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        s.call(Method::GET, "/api/v1/me", d["access_token"].as_str(), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "erin", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Registration validation names fields; duplicates are 409 on the field.
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "erin", "email": "x@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, get(&body, "error.field").as_str()),
        (StatusCode::CONFLICT, Some("username"))
    );
    for (body, field) in [
        (
            json!({"username": "e", "email": "e@example.com", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "frank", "email": "nope", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"username": "frank", "email": "f@example.com", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "frank", "email": "f@example.com"}),
            "password",
        ),
        (
            json!({"username": "frank", "email": "f@example.com", "password": PASSWORD, "role": "admin"}),
            "role",
        ),
    ] {
        let (status, err) = s
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(
            get(&err, "error.field").as_str(),
            Some(field),
            "{body}: {err}"
        );
    }
    s.stop().await;
}

async fn refresh_token_reuse_revokes_the_session(backend: Backend) {
    let s = start(backend).await;
    s.create_user("gina", Role::User).await;
    let first = s.login("gina").await;
    let (_, second) = s
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": first["refresh_token"]})),
        )
        .await;
    // The thief replays the first (spent) token: the whole session dies.
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": first["refresh_token"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": second["refresh_token"]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the legitimate holder's token died with the session"
    );
    let (status, _) = s
        .call(
            Method::GET,
            "/api/v1/me",
            second["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let audit = s
        .state()
        .store
        .list_audit(&footfall_store::AuditFilter {
            action: Some("session.refresh_reuse".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    for garbage in [
        "",
        "x",
        "abc.def",
        &format!("{}x", first["refresh_token"].as_str().unwrap()),
    ] {
        let (status, _) = s
            .call(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": garbage})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{garbage}");
    }
    s.stop().await;
}

async fn lockout_is_identical_for_unknown_and_known_users(backend: Backend) {
    let s = start(backend).await;
    s.create_user("hank", Role::User).await;
    let attempt = |login: &'static str, password: &'static str| {
        let s = &s;
        async move {
            s.call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await
        }
    };
    let (k_status, k_body) = attempt("hank", "wrong-password-1").await;
    let (u_status, u_body) = attempt("nobody", "wrong-password-1").await;
    assert_eq!(
        (k_status, &k_body),
        (u_status, &u_body),
        "unknown user and wrong password answer the same"
    );
    assert_eq!(k_status, StatusCode::UNAUTHORIZED);
    for _ in 0..4 {
        attempt("hank", "wrong-password-1").await;
        attempt("nobody", "wrong-password-1").await;
    }
    let (k_status, k_body) = attempt("hank", PASSWORD).await;
    let (u_status, u_body) = attempt("nobody", PASSWORD).await;
    assert_eq!(
        k_status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password: {k_body}"
    );
    assert_eq!((k_status, &k_body), (u_status, &u_body));
    let retry_after = |login: &'static str| {
        let s = &s;
        async move {
            let resp = s
                .client
                .post(format!("{}/api/v1/auth/login", s.url))
                .json(&json!({"login": login, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            resp.headers()["retry-after"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(
        retry_after("hank").await,
        retry_after("nobody").await,
        "same Retry-After"
    );
    // The lock ends after auth.lockout_s.
    s.clock.advance(chrono::Duration::seconds(901));
    let (status, _) = attempt("hank", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let failures = s
        .state()
        .store
        .list_audit(&footfall_store::AuditFilter {
            action: Some("login.failure".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failures.len(), 10, "every failed attempt is audited");
    assert!(
        failures
            .iter()
            .all(|a| a.ip_address.as_deref() == Some("127.0.0.1"))
    );
    s.stop().await;
}

async fn a_stranger_cannot_lock_the_admin_out(backend: Backend) {
    captured_logs();
    // Behind a proxy on loopback, so each request can come from its own address.
    let s = TestServer::start_with(backend, |c| {
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    s.create_user("root", Role::Admin).await;
    let login = |from: String, password: &'static str| {
        let s = &s;
        async move {
            s.client
                .post(format!("{}/api/v1/auth/login", s.url))
                .header("x-forwarded-for", from)
                .json(&json!({"login": "root", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let office = || "198.51.100.1".to_string();
    assert_eq!(login(office(), PASSWORD).await, StatusCode::OK);
    // One stranger fails 5 times: locked out, from their address only.
    for _ in 0..5 {
        assert_eq!(
            login("203.0.113.5".into(), "wrong-password-1").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login("203.0.113.5".into(), PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is locked even with the right password"
    );
    assert_eq!(
        login(office(), PASSWORD).await,
        StatusCode::OK,
        "the admin is not"
    );
    assert_eq!(
        login("192.0.2.77".into(), PASSWORD).await,
        StatusCode::OK,
        "nor a new address of theirs"
    );
    // Guessing spread over 50 addresses locks the account for strangers, not for the
    // addresses the admin has logged in from.
    for i in 0..50 {
        login(format!("203.0.113.{}", 100 + i), "wrong-password-1").await;
    }
    assert_eq!(
        login("203.0.113.250".into(), PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login(office(), PASSWORD).await, StatusCode::OK);
    s.stop().await;
}

async fn password_reset_and_email_verification(backend: Backend) {
    let s = start_open(backend).await;
    let (_, user) = s
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "ivy", "email": "ivy@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(user["email_verified"], false);
    let token = mailed_token(&s, 1).await;
    assert_eq!(
        s.call(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({"token": token}))
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.call(
            Method::POST,
            "/api/v1/auth/verify-email",
            None,
            Some(json!({"token": token}))
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let session = s.login("ivy").await;
    assert_eq!(session["user"]["email_verified"], true);

    // Unknown address: same 202, no mail.
    assert_eq!(
        s.call(
            Method::POST,
            "/api/v1/auth/forgot-password",
            None,
            Some(json!({"email": "ghost@example.com"}))
        )
        .await
        .0,
        StatusCode::ACCEPTED
    );
    assert_eq!(s.mailer.sent().len(), 1);
    assert_eq!(
        s.call(
            Method::POST,
            "/api/v1/auth/forgot-password",
            None,
            Some(json!({"email": "ivy@example.com"}))
        )
        .await
        .0,
        StatusCode::ACCEPTED
    );
    let token = mailed_token(&s, 2).await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "new_password": "weak"})),
        )
        .await;
    assert_eq!(
        (status, get(&body, "error.field").as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password"))
    );
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "new_password": "Reset-Pass-2026"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "a weak first try does not spend the token"
    );
    assert_eq!(
        s.call(
            Method::GET,
            "/api/v1/me",
            session["access_token"].as_str(),
            None
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED,
        "reset ends sessions"
    );
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "ivy", "password": "Reset-Pass-2026"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": token, "new_password": "Reset-Pass-2027"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "single use");
    s.stop().await;
}

/// Every operation of the OpenAPI document x every role x anonymous.
async fn role_matrix(backend: Backend) {
    captured_logs();
    // Each call gets a fresh session (logout endpoints end theirs): lift the login limit.
    let s = TestServer::start_with(backend, |c| c.auth.login_per_ip_per_minute = 100_000).await;
    let roles = [
        (Role::Admin, "root"),
        (Role::User, "uma"),
        (Role::Viewer, "vic"),
    ];
    for (role, name) in roles {
        s.create_user(name, role).await;
    }
    let (_, spec) = s.call(Method::GET, "/api/openapi.json", None, None).await;
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let access = op["x-footfall-access"].as_str().unwrap();
            let concrete = path.replace("{id}", "999999");
            let method: Method = method.to_uppercase().parse().unwrap();
            // An empty JSON object: enough to get past authentication to validation.
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let (anon, anon_body) = s.call(method.clone(), &concrete, None, body.clone()).await;
            match access {
                "public" => assert_ne!(anon, StatusCode::FORBIDDEN, "{method} {path}"),
                _ => assert_eq!(
                    anon,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} anonymous: {anon_body}"
                ),
            }
            if access == "public" || access == "api_key" || access == "metrics_token" {
                checked += 1;
                continue;
            }
            let required: Role = access.parse().unwrap();
            for (role, name) in &roles {
                let token = s.login(name).await["access_token"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let (status, body) = s
                    .call(method.clone(), &concrete, Some(&token), body.clone())
                    .await;
                if role.at_least(required) {
                    assert!(
                        status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                        "{method} {path} as {role}: {status} {body}"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{method} {path} as {role}: {body}"
                    );
                    assert_eq!(body["error"]["code"], "forbidden");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} operations");
    let denied = s
        .state()
        .store
        .list_audit(&footfall_store::AuditFilter {
            action: Some("permission.denied".into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        denied.len() >= 20,
        "every denial is audited ({})",
        denied.len()
    );
    s.stop().await;
}

fn camera(name: &str) -> Value {
    json!({
        "name": name,
        "stream_url": "rtsp://cam.local:554/live",
        "location": "Main entrance",
        "coordinates": {"lat": 52.52, "lon": 13.405},
        "settings": {"detector_fps": 5, "confidence": 0.35, "classes": [0], "motion_gate": true},
        "lines": [{"name": "door", "start": {"x": 0.1, "y": 0.5}, "end": {"x": 0.9, "y": 0.5}}],
        "zones": [{"name": "queue", "polygon": [{"x": 0.1, "y": 0.1}, {"x": 0.4, "y": 0.1}, {"x": 0.4, "y": 0.4}]}],
    })
}

async fn camera_validation_names_each_field(backend: Backend) {
    let s = start(backend).await;
    let token = s.token("uma", Role::User).await;
    let (status, created) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&token),
            Some(camera("Entrance")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["stream_type"], "rtsp");
    assert_eq!(created["lines"][0]["name"], "door");
    assert_eq!(created["settings"]["confidence"], 0.35);
    let cases: Vec<(&str, Value)> = vec![
        ("name", json!("")),
        ("name", json!("x".repeat(101))),
        ("stream_url", json!("ftp://cam/live")),
        ("stream_url", json!("file:///etc/passwd")),
        ("stream_url", json!("rtsp://")),
        ("stream_type", json!("webcam")),
        ("coordinates.lat", json!({"lat": 91.0, "lon": 0.0})),
        ("coordinates.lon", json!({"lat": 0.0, "lon": -181.0})),
        ("settings.detector_fps", json!({"detector_fps": 0})),
        ("settings.confidence", json!({"confidence": 1.5})),
        ("settings.classes", json!({"classes": []})),
        ("settings.fps", json!({"fps": 5})),
        (
            "lines[0].end",
            json!([{"name": "a", "start": {"x": 0.5, "y": 0.5}, "end": {"x": 0.5, "y": 0.5}}]),
        ),
        (
            "lines[1].name",
            json!([{"name": "a", "start": {"x": 0.1, "y": 0.5}, "end": {"x": 0.9, "y": 0.5}}, {"name": "a", "start": {"x": 0.1, "y": 0.6}, "end": {"x": 0.9, "y": 0.6}}]),
        ),
        (
            "lines[0].start",
            json!([{"name": "a", "start": {"x": 1.5, "y": 0.5}, "end": {"x": 0.9, "y": 0.5}}]),
        ),
        (
            "zones[0].polygon",
            json!([{"name": "z", "polygon": [{"x": 0.1, "y": 0.1}, {"x": 0.2, "y": 0.2}]}]),
        ),
        (
            "zones[0].polygon",
            json!([{"name": "z", "polygon": [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 1.0}, {"x": 1.0, "y": 0.0}, {"x": 0.0, "y": 1.0}]}]),
        ),
        ("metadata", json!([1, 2])),
        ("enabled", json!("yes")),
    ];
    for (field, value) in cases {
        let mut body = camera("Other");
        let key = field.split(['.', '[']).next().unwrap();
        if key == "settings" && value.is_object() {
            body["settings"] = value.clone();
        } else {
            body[key] = value.clone();
        }
        let (status, err) = s
            .call(Method::POST, "/api/v1/cameras", Some(&token), Some(body))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {err}"
        );
        let named = err["error"]["field"].as_str().unwrap_or("");
        assert!(
            named.starts_with(field),
            "{field}={value}: named {named:?} ({err})"
        );
    }
    let (status, err) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&token),
            Some(camera("entrance")),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("name"))
    );
    let resp = s
        .client
        .post(format!("{}/api/v1/cameras", s.url))
        .bearer_auth(&token)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    let resp = s
        .client
        .post(format!("{}/api/v1/cameras", s.url))
        .bearer_auth(&token)
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Update and delete.
    let id = created["id"].as_i64().unwrap();
    let mut changed = camera("Entrance 2");
    changed["enabled"] = json!(false);
    let (status, updated) = s
        .call(
            Method::PUT,
            &format!("/api/v1/cameras/{id}"),
            Some(&token),
            Some(changed),
        )
        .await;
    assert_eq!(
        (status, updated["enabled"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(
        s.call(
            Method::DELETE,
            &format!("/api/v1/cameras/{id}"),
            Some(&token),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    // DELETE archives: the camera and its history stay readable, it leaves the list,
    // and its name is free for a new camera.
    let path = format!("/api/v1/cameras/{id}");
    let (status, archived) = s.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{archived}");
    assert!(archived["archived_at"].is_string(), "{archived}");
    let (_, listed) = s
        .call(Method::GET, "/api/v1/cameras", Some(&token), None)
        .await;
    assert!(!listed.as_array().unwrap().iter().any(|c| c["id"] == id));
    let (_, listed) = s
        .call(
            Method::GET,
            "/api/v1/cameras?archived=true",
            Some(&token),
            None,
        )
        .await;
    assert!(listed.as_array().unwrap().iter().any(|c| c["id"] == id));
    let (status, _) = s
        .call(Method::PUT, &path, Some(&token), Some(camera("Entrance")))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an archived camera is read-only"
    );
    let (status, again) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&token),
            Some(camera("Entrance")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        s.call(Method::DELETE, &path, Some(&token), None).await.0,
        StatusCode::NOT_FOUND,
        "archived once"
    );
    // A purge (camera and history gone for good) is an admin's decision.
    let purge = format!("{path}?purge=true");
    assert_eq!(
        s.call(Method::DELETE, &purge, Some(&token), None).await.0,
        StatusCode::FORBIDDEN
    );
    let admin = s.token("ada", Role::Admin).await;
    assert_eq!(
        s.call(Method::DELETE, &purge, Some(&admin), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.call(Method::GET, &path, Some(&token), None).await.0,
        StatusCode::NOT_FOUND
    );
    s.stop().await;
}

async fn stream_credentials_never_leak(backend: Backend) {
    let s = start(backend).await;
    let token = s.token("uma", Role::User).await;
    let secret = format!("S3cr3t{}", std::process::id());
    let mut body = camera("Secret cam");
    body["stream_url"] = json!(format!(
        "rtsp://admin:{secret}@10.1.2.3:554/Streaming/101?token={secret}x"
    ));
    let (status, created) = s
        .call(Method::POST, "/api/v1/cameras", Some(&token), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        created["stream_url"],
        "rtsp://admin:***@10.1.2.3:554/Streaming/101?token=***"
    );
    let id = created["id"].as_i64().unwrap();
    // Send the masked URL back unchanged: credentials are kept (still decryptable).
    let mut again = camera("Secret cam");
    again["stream_url"] = created["stream_url"].clone();
    let (status, _) = s
        .call(
            Method::PUT,
            &format!("/api/v1/cameras/{id}"),
            Some(&token),
            Some(again),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let stored = s.state().store.camera(id).await.unwrap();
    let plain = footfall_server::stream_url::unsealed_url(
        &stored.stream_url,
        &stored.security_config,
        &s.state().credentials,
    )
    .unwrap();
    assert!(
        plain.contains(&secret),
        "the pipeline can still open the stream"
    );
    assert!(
        !stored.stream_url.contains(&secret)
            && !stored.security_config.to_string().contains(&secret),
        "encrypted at rest"
    );

    let admin = s.token("root", Role::Admin).await;
    let mut seen = String::new();
    for path in [
        "/api/v1/cameras",
        &format!("/api/v1/cameras/{id}"),
        "/api/v1/audit?limit=1000",
    ] {
        let (_, body) = s.call(Method::GET, path, Some(&admin), None).await;
        seen.push_str(&body.to_string());
    }
    seen.push_str(&s.metrics().await);
    let (_, gql) = s
        .call(
            Method::POST,
            "/api/graphql",
            Some(&admin),
            Some(json!({"query": "{ cameras { streamUrl } }"})),
        )
        .await;
    assert_eq!(
        gql["data"]["cameras"][0]["streamUrl"],
        "rtsp://admin:***@10.1.2.3:554/Streaming/101?token=***"
    );
    seen.push_str(&gql.to_string());
    assert!(
        !seen.contains(&secret),
        "a response carries the stream secret"
    );
    s.state().logs.flush().await;
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).to_string();
    assert!(logs.contains("camera created"), "log capture works");
    assert!(
        !logs.contains(&secret),
        "a log line carries the stream secret"
    );
    s.stop().await;
}

async fn counts_buckets_time_zones_and_csv(backend: Backend) {
    let s = start(backend).await;
    let user = s.token("uma", Role::User).await;
    let viewer = s.token("vic", Role::Viewer).await;
    let (_, cam) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&user),
            Some(camera("Door")),
        )
        .await;
    let id = cam["id"].as_i64().unwrap();
    // 4 results an hour for two days, starting 2026-11-01 00:00 UTC, in = 1 each.
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let rows: Vec<_> = (0..2 * 24 * 4)
        .map(|i| {
            footfall_store::NewResult::counts(
                id,
                start + chrono::Duration::minutes(15 * i),
                2,
                1,
                0,
            )
        })
        .collect();
    s.state().store.insert_results(&rows, None).await.unwrap();
    let path = |q: &str| {
        format!("/api/v1/cameras/{id}/counts?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&{q}")
    };
    let (status, page) = s
        .call(
            Method::GET,
            &path("bucket=day&tz=America/New_York"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // New York is UTC-4 until Nov 1 06:00 UTC (DST ends), then UTC-5.
    let starts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-10-31T00:00:00-04:00",
            "2026-11-01T00:00:00-04:00",
            "2026-11-02T00:00:00-05:00"
        ]
    );
    let ins: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["people_in"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ins,
        [16, 25 * 4, 19 * 4],
        "Nov 1st in New York has 25 hours"
    );
    let (_, hours) = s
        .call(
            Method::GET,
            &path("bucket=hour&limit=5&offset=10"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(
        (
            hours["total"].as_u64(),
            hours["items"].as_array().unwrap().len()
        ),
        (Some(48), 5)
    );
    assert_eq!(hours["items"][0]["start"], "2026-11-01T10:00:00Z");
    let (_, raw) = s
        .call(
            Method::GET,
            &path("bucket=raw&limit=3"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(raw["total"], 192);
    assert_eq!(raw["items"][1]["people_in"], 1);
    let resp = s
        .client
        .get(format!("{}{}", s.url, path("bucket=day&format=csv")))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "start,people_in,people_out,peak_count,avg_count,detection_count,avg_confidence,samples"
    );
    assert_eq!(lines[1], "2026-11-01T00:00:00Z,96,0,2,2.000,0,,96");
    let (_, all) = s
        .call(
            Method::GET,
            "/api/v1/counts?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&bucket=month",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(all["items"][0]["people_in"], 192);
    for (q, field) in [
        ("bucket=week", "bucket"),
        ("tz=Mars/Base", "tz"),
        ("limit=0", "limit"),
        ("format=xml", "format"),
    ] {
        let (status, err) = s.call(Method::GET, &path(q), Some(&viewer), None).await;
        assert_eq!(
            (status, err["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{q}"
        );
    }
    let (status, err) = s
        .call(
            Method::GET,
            &format!(
                "/api/v1/cameras/{id}/counts?from=2026-11-03T00:00:00Z&to=2026-11-01T00:00:00Z"
            ),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("from"))
    );
    assert_eq!(
        s.call(
            Method::GET,
            "/api/v1/cameras/424242/counts",
            Some(&viewer),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    // Corrections (may be negative) change in / out, not occupancy, and are audited.
    let correct = |body: Value| {
        let (s, user, path) = (&s, &user, format!("/api/v1/cameras/{id}/corrections"));
        async move { s.call(Method::POST, &path, Some(user), Some(body)).await }
    };
    let (status, _) = correct(json!({"timestamp": "2026-11-02T12:00:00Z", "people_in": -3, "people_out": 1, "reason": "group of 3 counted twice"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, day) = s
        .call(Method::GET, &path("bucket=day"), Some(&viewer), None)
        .await;
    assert_eq!(
        (
            day["items"][1]["people_in"].as_i64(),
            day["items"][1]["people_out"].as_i64()
        ),
        (Some(96 - 3), Some(1))
    );
    assert_eq!(
        (
            day["items"][1]["samples"].as_i64(),
            day["items"][1]["avg_count"].as_f64()
        ),
        (Some(96), Some(2.0)),
        "not an occupancy sample"
    );
    let (_, minute) = s
        .call(
            Method::GET,
            &format!("/api/v1/cameras/{id}/counts?bucket=minute&from=2026-11-02T12:00:00Z&to=2026-11-02T12:01:00Z"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(
        (
            minute["items"][0]["people_in"].as_i64(),
            minute["items"][0]["samples"].as_i64()
        ),
        (Some(1 - 3), Some(1))
    );
    for (body, field) in [
        (
            json!({"timestamp": "2026-11-02T12:00:00Z", "people_in": 1}),
            "reason",
        ),
        (
            json!({"timestamp": "2026-11-02T12:00:00Z", "people_in": 0, "reason": "x"}),
            "people_in",
        ),
        (
            json!({"timestamp": "2026-11-02T12:00:00Z", "people_out": 200000, "reason": "x"}),
            "people_out",
        ),
        (
            json!({"timestamp": "2999-01-01T00:00:00Z", "people_in": 1, "reason": "x"}),
            "timestamp",
        ),
    ] {
        let (status, err) = correct(body.clone()).await;
        assert_eq!(
            (status, err["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let audit = s
        .state()
        .store
        .list_audit(&footfall_store::AuditFilter {
            action: Some("counts.correction".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].new_values.as_ref().unwrap().0["reason"],
        "group of 3 counted twice"
    );
    s.stop().await;
}

async fn ingest_is_idempotent_and_scoped(backend: Backend) {
    let s = start(backend).await;
    let admin = s.token("root", Role::Admin).await;
    let (_, a) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&admin),
            Some(camera("A")),
        )
        .await;
    let (_, b) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&admin),
            Some(camera("B")),
        )
        .await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let (status, key) = s
        .call(
            Method::POST,
            "/api/v1/api-keys",
            Some(&admin),
            Some(json!({"name": "door beam", "camera_ids": [a]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    let secret = key["key"].as_str().unwrap().to_string();
    let (_, listed) = s
        .call(Method::GET, "/api/v1/api-keys", Some(&admin), None)
        .await;
    assert!(!listed.to_string().contains(&secret), "keys are shown once");
    let now = s.now().to_rfc3339();
    let push = |body: Value, key: Option<String>| {
        let s = &s;
        async move {
            let mut r = s
                .client
                .post(format!("{}/api/v1/ingest/counts", s.url))
                .json(&body);
            if let Some(k) = key {
                r = r.header("x-api-key", k);
            }
            let resp = r.send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    let batch = json!({"results": [
        {"id": "beam-1", "camera_id": a, "timestamp": now, "people_in": 3},
        {"id": "beam-2", "camera_id": a, "timestamp": now, "people_in": 2, "people_out": 1},
    ]});
    let (status, out) = push(batch.clone(), Some(secret.clone())).await;
    assert_eq!(
        (status, out["inserted"].as_u64(), out["duplicates"].as_u64()),
        (StatusCode::OK, Some(2), Some(0)),
        "{out}"
    );
    let (_, out) = push(batch.clone(), Some(secret.clone())).await;
    assert_eq!(
        (out["inserted"].as_u64(), out["duplicates"].as_u64()),
        (Some(0), Some(2)),
        "a retried POST stores nothing twice"
    );
    let viewer = s.token("vic", Role::Viewer).await;
    let (_, counts) = s
        .call(
            Method::GET,
            &format!("/api/v1/cameras/{a}/counts?bucket=day"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(counts["items"][0]["people_in"], 5);
    let (status, err) = push(
        json!({"results": [{"camera_id": b, "timestamp": now, "people_in": 1}]}),
        Some(secret.clone()),
    )
    .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::FORBIDDEN, Some("results[0].camera_id"))
    );
    let (status, err) = push(
        json!({"results": [{"camera_id": a, "timestamp": now, "people_in": -1}]}),
        Some(secret.clone()),
    )
    .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("results[0].people_in")
        )
    );
    let (status, _) = push(batch.clone(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = push(batch.clone(), Some("ff_wrong".into())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Events: same idempotency.
    let events = json!({"events": [{"id": "e-1", "camera_id": a, "event_type": "door_open", "timestamp": now, "data": {"door": 2}}]});
    for expected in [1, 0] {
        let resp = s
            .client
            .post(format!("{}/api/v1/ingest/events", s.url))
            .header("x-api-key", &secret)
            .json(&events)
            .send()
            .await
            .unwrap();
        let out: Value = resp.json().await.unwrap();
        assert_eq!(out["inserted"], expected, "{out}");
    }
    let (_, listed) = s
        .call(
            Method::GET,
            &format!("/api/v1/events?camera_id={a}"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["event_data"]["door"], 2);
    // Revoked keys stop working.
    let key_id = key["api_key"]["id"].as_i64().unwrap();
    assert_eq!(
        s.call(
            Method::DELETE,
            &format!("/api/v1/api-keys/{key_id}"),
            Some(&admin),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(push(batch, Some(secret)).await.0, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

async fn graphql_requires_auth_and_limits_depth(backend: Backend) {
    let s = start(backend).await;
    let query = json!({"query": "{ me { username role } cameras { id name counts(bucket: \"day\") { start peopleIn } } }"});
    let (status, _) = s
        .call(Method::POST, "/api/graphql", None, Some(query.clone()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s
        .call(
            Method::POST,
            "/api/graphql",
            Some("not-a-token"),
            Some(query.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let viewer = s.token("vic", Role::Viewer).await;
    let user = s.token("uma", Role::User).await;
    s.call(
        Method::POST,
        "/api/v1/cameras",
        Some(&user),
        Some(camera("Door")),
    )
    .await;
    let (status, body) = s
        .call(Method::POST, "/api/graphql", Some(&viewer), Some(query))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["me"]["role"], "viewer");
    assert_eq!(body["data"]["cameras"][0]["name"], "Door");
    let (_, bad) = s
        .call(
            Method::POST,
            "/api/graphql",
            Some(&viewer),
            Some(json!({"query": "{ counts(bucket: \"week\") { start } }"})),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "bucket");
    // Complexity: 200 cameras x counts is refused before it runs.
    let heavy = json!({"query": "{ cameras(limit: 200) { id counts { start peopleIn peopleOut peakCount avgCount samples } } }"});
    let (_, refused) = s
        .call(Method::POST, "/api/graphql", Some(&viewer), Some(heavy))
        .await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{refused}"
    );
    s.stop().await;
}

async fn big_queries_are_refused_before_they_run(backend: Backend) {
    captured_logs();
    let s = TestServer::start_with(backend, |c| {
        c.server.max_body_bytes = 8 << 10;
        c.database.max_rows_scanned = 50;
    })
    .await;
    let user = s.token("uma", Role::User).await;
    let graphql = |query: String| {
        let (s, user) = (&s, &user);
        async move {
            s.call(
                Method::POST,
                "/api/graphql",
                Some(user),
                Some(json!({ "query": query })),
            )
            .await
        }
    };
    // A body over server.max_body_bytes never reaches GraphQL.
    let padding = " ".repeat(10 << 10);
    let (status, _) = graphql(format!("{{ me {{ username }} {padding}}}")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Each alias is another database query: capped.
    let aliased: String = (0..40)
        .map(|i| format!("a{i}: me {{ username }} "))
        .collect();
    let (status, body) = graphql(format!("{{ {aliased} }}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "query");
    let few: String = (0..5)
        .map(|i| format!("a{i}: me {{ username }} "))
        .collect();
    let (status, body) = graphql(format!("{{ {few} }}")).await;
    assert_eq!(
        (status, &body["data"]["a4"]["username"]),
        (StatusCode::OK, &json!("uma"))
    );
    // A list costs what its rows cost: a year of hourly buckets is refused...
    let year = r#"{ counts(from: "2025-01-01T00:00:00Z", to: "2025-12-31T00:00:00Z", bucket: "hour", limit: 10000) { start peopleIn peopleOut peakCount avgCount samples } }"#;
    let (_, refused) = graphql(year.to_string()).await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("complex"),
        "{refused}"
    );
    // ...a week of daily buckets per camera is not.
    let week = r#"{ cameras { name counts(from: "2025-01-01T00:00:00Z", to: "2025-01-08T00:00:00Z", bucket: "day") { start peopleIn } } }"#;
    let (status, body) = graphql(week.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("errors").is_none(), "{body}");

    // Raw results read per counts query are bounded (database.max_rows_scanned).
    let (_, cam) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&user),
            Some(camera("Door")),
        )
        .await;
    let id = cam["id"].as_i64().unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let rows: Vec<_> = (0..100)
        .map(|i| {
            footfall_store::NewResult::counts(
                id,
                start + chrono::Duration::minutes(10 * i),
                2,
                1,
                0,
            )
        })
        .collect();
    s.state().store.insert_results(&rows, None).await.unwrap();
    let counts = |query: &str| {
        let (s, user) = (&s, &user);
        let path = format!(
            "/api/v1/cameras/{id}/counts?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&{query}"
        );
        async move { s.call(Method::GET, &path, Some(user), None).await }
    };
    // India's +05:30 cannot use the hourly rollup: 100 raw rows > 50.
    for query in ["bucket=day&tz=Asia/Kolkata", "bucket=minute"] {
        let (status, body) = counts(query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["field"], "to", "{body}");
    }
    let (status, body) = counts("bucket=day&tz=Europe/Berlin").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["items"][0]["people_in"].as_i64().unwrap()
            + body["items"][1]["people_in"].as_i64().unwrap_or(0),
        100
    );
    s.stop().await;
}

/// Found by the API fuzzer: a NUL character answered 500 on PostgreSQL (no text column
/// takes it), and axum's own rejections answered plain text instead of the JSON envelope.
async fn odd_input_gets_a_json_error_never_a_500(backend: Backend) {
    let s = start(backend).await;
    let user = s.token("uma", Role::User).await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "a\u{0}b", "password": "x"})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("body")),
        "{body}"
    );
    let mut cam = camera("Nul");
    cam["metadata"] = json!({"k": "a\u{0}b"});
    let (status, body) = s
        .call(Method::POST, "/api/v1/cameras", Some(&user), Some(cam))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = s
        .call(
            Method::GET,
            "/api/v1/events?event_type=a%00b",
            Some(&user),
            None,
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("query")),
        "{body}"
    );
    let (_, body) = s
        .call(
            Method::POST,
            "/api/graphql",
            Some(&user),
            Some(json!({"query": "{ events(eventType: \"a\\u0000b\") { id } }"})),
        )
        .await;
    assert_ne!(
        body["errors"][0]["extensions"]["code"], "internal",
        "{body}"
    );
    for path in [
        "/api/v1/cameras/abc",
        "/api/v1/cameras?archived=x",
        "/api/v1/ws",
    ] {
        let (status, body) = s.call(Method::GET, path, Some(&user), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_request", "{path}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    s.stop().await;
}

async fn setup_health_metrics_and_openapi(backend: Backend) {
    let s = start(backend).await;
    let token = s
        .server
        .as_ref()
        .unwrap()
        .setup_token
        .clone()
        .expect("no user yet: setup token");
    let (status, err) = s
        .call(Method::POST, "/api/v1/auth/setup", None, Some(json!({"setup_token": "wrong", "username": "boss", "email": "boss@example.com", "password": PASSWORD})))
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("setup_token"))
    );
    let (status, admin) = s
        .call(Method::POST, "/api/v1/auth/setup", None, Some(json!({"setup_token": token, "username": "boss", "email": "boss@example.com", "password": PASSWORD})))
        .await;
    assert_eq!(
        (status, admin["role"].as_str()),
        (StatusCode::CREATED, Some("admin"))
    );
    let (status, _) = s
        .call(Method::POST, "/api/v1/auth/setup", None, Some(json!({"setup_token": token, "username": "boss2", "email": "boss2@example.com", "password": PASSWORD})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one time only");

    assert_eq!(
        s.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK
    );
    let (status, ready) = s.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (status, ready["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
    let resp = s
        .client
        .get(format!("{}/api/v1/me", s.url))
        .header("x-request-id", "req-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "req-abc-123");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    let (status, body) = s.call(Method::GET, "/nope", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // Occupancy per camera is not public: /metrics wants the scrape token, and a user's
    // token is not it.
    assert_eq!(
        s.call(Method::GET, "/metrics", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let viewer = s.token("watcher", Role::Viewer).await;
    assert_eq!(
        s.call(Method::GET, "/metrics", Some(&viewer), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let metrics = s.metrics().await;
    assert!(
        metrics.contains(
            "footfall_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("footfall_http_request_duration_seconds_bucket{method=\"GET\",route=\"/readyz\",le=\"+Inf\"} 1"));
    assert!(metrics.contains("footfall_db_pool_connections{state=\"idle\"}"));
    assert!(metrics.contains("process_resident_memory_bytes"));
    let (_, spec) = s.call(Method::GET, "/api/openapi.json", None, None).await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        spec["paths"]["/api/v1/cameras"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/CameraInput"
    );
    assert!(spec["components"]["schemas"]["CameraInput"]["properties"]["stream_url"].is_object());
    let counts_params: Vec<&str> =
        spec["paths"]["/api/v1/cameras/{id}/counts"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
    assert_eq!(
        counts_params,
        [
            "id", "from", "to", "bucket", "tz", "limit", "offset", "format"
        ]
    );
    // performance_logs rows are written in the background, not by the request.
    s.state().logs.flush().await;
    assert!(s.state().store.count_performance_logs().await.unwrap() >= 5);
    // The log lines of a request carry its id.
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).to_string();
    assert!(
        logs.lines()
            .any(|l| l.contains("req-abc-123") && l.contains("\"status\":401")),
        "request id in logs"
    );
    s.stop().await;
}

async fn admin_manages_users_and_audit(backend: Backend) {
    let s = start(backend).await;
    let admin = s.token("root", Role::Admin).await;
    let (status, created) = s
        .call(Method::POST, "/api/v1/users", Some(&admin), Some(json!({"username": "op1", "email": "op1@example.com", "password": PASSWORD, "role": "user"})))
        .await;
    assert_eq!(
        (status, created["role"].as_str()),
        (StatusCode::CREATED, Some("user"))
    );
    let id = created["id"].as_i64().unwrap();
    let op = s.login("op1").await;
    let (status, changed) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(
        (status, changed["role"].as_str()),
        (StatusCode::OK, Some("viewer"))
    );
    // The role change applies to the already issued token at once.
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            op["access_token"].as_str(),
            Some(camera("X")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"is_active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        s.call(Method::GET, "/api/v1/me", op["access_token"].as_str(), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "op1", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "deactivated");
    // The last admin cannot remove themself.
    let me = s
        .call(Method::GET, "/api/v1/me", Some(&admin), None)
        .await
        .1["id"]
        .as_i64()
        .unwrap();
    let (status, err) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{me}"),
            Some(&admin),
            Some(json!({"role": "user"})),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("role"))
    );
    let (_, audit) = s
        .call(
            Method::GET,
            "/api/v1/audit?action=user.update",
            Some(&admin),
            None,
        )
        .await;
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["old_values"]["role"], "user");
    assert_eq!(entries[1]["new_values"]["role"], "viewer");
    let (_, created_audit) = s
        .call(
            Method::GET,
            "/api/v1/audit?action=user.create",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        created_audit[0]["new_values"]["password"], "***",
        "secrets masked in audit"
    );
    s.stop().await;
}

async fn models_must_load_and_alerts_resolve(backend: Backend) {
    let s = start(backend).await;
    let admin = s.token("root", Role::Admin).await;
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/models/yolox_nano.onnx"
    );
    let (status, m) = s
        .call(Method::POST, "/api/v1/models", Some(&admin), Some(json!({"name": "yolox", "version": "nano", "model_path": model, "model_type": "auto"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let junk = s.data_dir.path().join("junk.onnx");
    std::fs::write(&junk, b"not a model").unwrap();
    for (path, kind, field) in [
        (junk.to_str().unwrap(), "yolox", "model_path"),
        ("/nonexistent.onnx", "yolox", "model_path"),
        (model, "ssd", "model_type"),
    ] {
        let (status, err) = s
            .call(
                Method::POST,
                "/api/v1/models",
                Some(&admin),
                Some(
                    json!({"name": "bad", "version": "1", "model_path": path, "model_type": kind}),
                ),
            )
            .await;
        assert_eq!(
            (status, err["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{path}: {err}"
        );
    }
    let id = m["id"].as_i64().unwrap();
    let (status, active) = s
        .call(
            Method::POST,
            &format!("/api/v1/models/{id}/activate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (status, active["is_active"].as_bool()),
        (StatusCode::OK, Some(true))
    );

    let alert = s
        .state()
        .store
        .create_alert(
            "camera_offline",
            footfall_store::AlertSeverity::High,
            "Door offline",
            "no frames for 60 s",
            &json!({}),
            Some("live"),
            None,
            s.state().clock.now(),
        )
        .await
        .unwrap();
    let (_, open) = s
        .call(
            Method::GET,
            "/api/v1/alerts?resolved=false&severity=high",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    let (status, resolved) = s
        .call(
            Method::POST,
            &format!("/api/v1/alerts/{}/resolve", alert.id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (status, resolved["is_resolved"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (_, open) = s
        .call(
            Method::GET,
            "/api/v1/alerts?resolved=false",
            Some(&admin),
            None,
        )
        .await;
    assert!(open.as_array().unwrap().is_empty());
    let (status, err) = s
        .call(
            Method::GET,
            "/api/v1/alerts?severity=urgent",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("severity"))
    );
    s.stop().await;
}

/// Issue 10, items 2, 4 and 9: closed registration, setup while no admin, case-twins,
/// refresh secrets, what a failed login leaves in the audit log, reset links.
async fn accounts_are_closed_by_default(backend: Backend) {
    let s = start(backend).await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "mallory", "email": "m@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "registration is off: {body}");
    let (_, status) = s.call(Method::GET, "/api/v1/auth/status", None, None).await;
    assert_eq!(status["registration_open"], false, "{status}");

    // An account that exists before setup (registered while open, or made by the CLI as
    // a viewer) does not lock the operator out of setup.
    s.create_user("early", Role::Viewer).await;
    let token = s
        .server
        .as_ref()
        .unwrap()
        .setup_token
        .clone()
        .expect("no admin yet: setup token");
    let (status, admin) = s
        .call(Method::POST, "/api/v1/auth/setup", None, Some(json!({"setup_token": token, "username": "boss", "email": "boss@example.com", "password": PASSWORD})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{admin}");
    let admin_token = s.login("boss").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Case-twins are refused, by username and by e-mail.
    for (username, email, field) in [
        ("BOSS", "other@example.com", "username"),
        ("other", "Boss@Example.com", "email"),
    ] {
        let (status, body) = s
            .call(
                Method::POST,
                "/api/v1/users",
                Some(&admin_token),
                Some(json!({"username": username, "email": email, "password": PASSWORD, "role": "viewer"})),
            )
            .await;
        assert_eq!(
            (status, get(&body, "error.field").as_str()),
            (StatusCode::CONFLICT, Some(field)),
            "{username} / {email}: {body}"
        );
    }

    // The last active admin cannot demote itself.
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", admin["id"]),
            Some(&admin_token),
            Some(json!({"role": "user"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // A wrong secret with a known session id is refused without ending the session.
    let session = s.login("early").await;
    let refresh = session["refresh_token"].as_str().unwrap();
    let session_id = refresh.split('.').next().unwrap();
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": format!("{session_id}.not-the-secret")})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the session survived: {body}");

    // A password typed into the login field never reaches the audit log.
    let typed = "My-Secret-Passphrase-77";
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": typed, "password": typed})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let audit = s
        .state()
        .store
        .list_audit(&footfall_store::AuditFilter {
            action: Some("login.failure".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    let row = format!("{:?}", audit[0]);
    assert!(!row.to_lowercase().contains(&typed.to_lowercase()), "{row}");

    // Only the newest reset link works, and a password change spends it too.
    for _ in 0..2 {
        let (status, _) = s
            .call(
                Method::POST,
                "/api/v1/auth/forgot-password",
                None,
                Some(json!({"email": "early@example.com"})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let older = mailed_token(&s, 1).await;
    let newer = mailed_token(&s, 2).await;
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": older, "new_password": "Reset-Pass-2026"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "superseded link");
    let early = s.login("early").await;
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/change-password",
            early["access_token"].as_str(),
            Some(json!({"current_password": PASSWORD, "new_password": "Changed-Pass-2026"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/reset-password",
            None,
            Some(json!({"token": newer, "new_password": "Reset-Pass-2027"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a password change spends open reset links"
    );
    s.stop().await;
}

/// Issue 10, item 3: by default metrics are served on their own loopback listener and
/// not at all on the API listener.
async fn metrics_listener_is_separate_and_the_api_one_closed(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        c.server.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        c.server.metrics_token = None;
    })
    .await;
    let (status, _) = s.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no token configured: closed");
    let addr = s
        .server
        .as_ref()
        .unwrap()
        .metrics_addr
        .expect("metrics listener");
    let text = s
        .client
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("footfall_db_pool_connections"), "{text}");
    let other = s
        .client
        .get(format!("http://{addr}/api/v1/cameras"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        other,
        StatusCode::NOT_FOUND,
        "the metrics listener serves metrics only"
    );
    s.stop().await;
}

/// Issue 12, GDPR: a user downloads everything stored about them; an admin erases a
/// user, whose personal data goes while the audit log keeps its rows under a pseudonym;
/// the last admin cannot be erased; both are audited.
async fn accounts_export_and_erasure(backend: Backend) {
    let s = start(backend).await;
    let admin = s.token("root", Role::Admin).await;
    let (status, created) = s
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(
                json!({"username": "erin", "email": "erin@example.com", "password": PASSWORD,
                        "role": "user", "first_name": "Erin", "last_name": "Example"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let erin = s.login("erin").await;
    let token = erin["access_token"].as_str().unwrap().to_string();
    let (status, camera) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&token),
            Some(json!({"name": "Erin's door", "stream_url": "rtsp://10.1.2.3/live"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{camera}");

    // Export: the account, the sessions, what she did; never a secret.
    let (status, export) = s
        .call(Method::GET, "/api/v1/me/export", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["user"]["email"], "erin@example.com");
    assert_eq!(export["user"]["first_name"], "Erin");
    assert!(!export["sessions"].as_array().unwrap().is_empty());
    let actions: Vec<&str> = export["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"camera.create"), "{actions:?}");
    let text = export.to_string();
    assert!(
        !text.contains("password_hash") && !text.contains("$argon2"),
        "{text}"
    );
    assert!(!text.contains("refresh_token"), "{text}");

    // Erasure: an admin only.
    let path = format!("/api/v1/users/{id}");
    let (status, _) = s.call(Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = s.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Her session ended with her data; she cannot log in again.
    let (status, _) = s.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "erin", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, users) = s
        .call(Method::GET, "/api/v1/users", Some(&admin), None)
        .await;
    let erased = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .expect("the account stays, as a pseudonym")
        .clone();
    assert_eq!(erased["username"], format!("erased-{id}"));
    assert_eq!(erased["first_name"], Value::Null);
    assert_eq!(erased["is_active"], false);
    assert!(!users.to_string().contains("erin@example.com"));
    // The audit log keeps what she did under the pseudonym, without her address, name
    // or e-mail anywhere in it.
    let (_, audit) = s
        .call(Method::GET, "/api/v1/audit?limit=1000", Some(&admin), None)
        .await;
    let rows = audit.as_array().unwrap();
    let hers: Vec<&Value> = rows.iter().filter(|r| r["user_id"] == id).collect();
    assert!(
        hers.iter().any(|r| r["action"] == "camera.create"),
        "{hers:?}"
    );
    assert!(
        hers.iter()
            .all(|r| r["ip_address"].is_null() && r["user_agent"].is_null())
    );
    let log = audit.to_string();
    assert!(
        !log.contains("erin@example.com") && !log.contains("\"erin\""),
        "{log}"
    );
    let erase_row = rows
        .iter()
        .find(|r| r["action"] == "user.erase")
        .expect("the erasure is audited");
    assert_eq!(erase_row["resource_id"], id.to_string());
    assert_eq!(erase_row["new_values"]["pseudonym"], format!("erased-{id}"));
    // Sessions and one-time tokens are gone from the database.
    assert!(s.state().store.all_sessions(id).await.unwrap().is_empty());

    // The last active admin cannot be erased; a missing user is a 404.
    let root = s
        .state()
        .store
        .user_by_login("root")
        .await
        .unwrap()
        .unwrap()
        .id;
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{root}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = s
        .call(Method::DELETE, "/api/v1/users/999999", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
