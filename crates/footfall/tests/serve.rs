//! The platform subcommands as an operator runs them: `config check`, `migrate`,
//! `user create`, and `serve` with its start-up, readiness, login and graceful stop.

mod common;

use common::platform;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn config_check_masks_secrets_and_names_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    let out = platform(dir.path())
        .args(["config", "check"])
        .env(
            "FOOTFALL_DATABASE__URL",
            "postgres://app:TopSecret1@db/footfall",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("access_token_ttl_s = 900"), "{printed}");
    assert!(!printed.contains("TopSecret1"), "{printed}");
    let out = platform(dir.path())
        .args(["config", "check"])
        .env("FOOTFALL_SERVER__BINDD", "x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bindd"), "{err}");
    let file = dir.path().join("footfall.toml");
    std::fs::write(&file, "[auth]\naccess_token_ttl_s = 5\n").unwrap();
    let out = platform(dir.path())
        .args(["config", "check", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth.access_token_ttl_s"));
}

#[test]
fn migrate_and_user_create() {
    let dir = tempfile::tempdir().unwrap();
    let out = platform(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(0 pending)"));
    assert!(dir.path().join("footfall.db").exists());
    let weak = platform(dir.path())
        .args([
            "user",
            "create",
            "--username",
            "admin",
            "--email",
            "admin@example.com",
            "--role",
            "admin",
        ])
        .env("FOOTFALL_PASSWORD", "short")
        .output()
        .unwrap();
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&weak.stderr).contains("password: must be at least 10 characters")
    );
    let mut child = platform(dir.path())
        .args([
            "user",
            "create",
            "--username",
            "admin",
            "--email",
            "admin@example.com",
            "--role",
            "admin",
        ])
        .env_remove("FOOTFALL_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Operator-Pass-1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin user admin"));
}

#[tokio::test]
async fn serve_starts_answers_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, rx) = common::spawn_with_stderr(
        platform(dir.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("FOOTFALL_AUTH__ARGON2_MEMORY_KIB", "1024"),
    );
    let started = Instant::now();
    let mut addr = None;
    let mut setup_token = None;
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(30) && (addr.is_none() || setup_token.is_none()) {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        if let Some(rest) = line.strip_prefix("footfall serving on http://") {
            addr = Some(rest.trim().to_string());
        }
        if let Some(i) = line.find("\"setup_token\":\"") {
            let rest = &line[i + 15..];
            setup_token = Some(rest[..rest.find('"').unwrap()].to_string());
        }
        seen.push(line);
    }
    let addr = addr.unwrap_or_else(|| panic!("no address in: {seen:#?}"));
    let setup_token = setup_token.expect("a fresh install prints the one-time setup command");
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let created = client
        .post(format!("http://{addr}/api/v1/auth/setup"))
        .json(&serde_json::json!({"setup_token": setup_token, "username": "admin", "email": "admin@example.com", "password": "Operator-Pass-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let login: serde_json::Value = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .header("x-request-id", "serve-test-1")
        .json(&serde_json::json!({"login": "admin", "password": "Operator-Pass-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["user"]["role"], "admin");
    // Keys generated once, private to the owner.
    let secrets = dir.path().join("secrets.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // SIGTERM: graceful stop, exit 0.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    let logs: Vec<String> = rx.try_iter().collect();
    let all = [seen, logs].concat().join("\n");
    assert!(
        all.contains("serve-test-1"),
        "request ids in the JSON logs: {all}"
    );
    assert!(all.contains("footfall server stopped"), "{all}");
    assert!(!all.contains("Operator-Pass-1"), "password in the logs");
}
