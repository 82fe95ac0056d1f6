//! The SMTP mailer against a real SMTP server (Python's standard-library smtpd on
//! loopback).

use footfall_server::mail::{Mail, Mailer, SmtpMailer};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn smtp_mailer_delivers_with_dot_stuffing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mail.txt");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/support/smtp_sink.py"
    );
    let mut server = Command::new("python3")
        .arg(script)
        .arg(&out)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("READY ")
        .expect("READY line")
        .parse()
        .unwrap();

    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "footfall@example.com",
        None,
    )
    .unwrap();
    let mail = Mail {
        to: "ops@example.com".into(),
        subject: "Verify your e-mail".into(),
        body: "Open this link:\n.hidden line starts with a dot\nhttp://localhost:8080/verify-email?token=abc".into(),
    };
    mailer.send(mail).await.expect("delivered");
    let received = std::fs::read_to_string(&out).unwrap();
    assert!(received.contains("FROM footfall@example.com"), "{received}");
    assert!(received.contains("TO ops@example.com"));
    assert!(
        received.contains("Content-Type: text/plain; charset=utf-8"),
        "{received}"
    );
    assert!(received.contains("Subject: Verify your e-mail"));
    assert!(
        received.contains("\n.hidden line starts with a dot"),
        "dot-stuffing undone by the server: {received}"
    );
    assert!(received.contains("verify-email?token=abc"));

    // A closed port is an error, not a hang.
    let _ = server.kill();
    let _ = server.wait();
    let dead = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "footfall@example.com",
        None,
    )
    .unwrap();
    let err = dead
        .send(Mail {
            to: "a@b.co".into(),
            subject: "x".into(),
            body: "y".into(),
        })
        .await
        .unwrap_err();
    assert!(err.starts_with("SMTP"), "{err}");
    assert!(SmtpMailer::new("http://mail", "x@y.z", None).is_err());
    assert!(SmtpMailer::new("smtp://mail?tls=maybe", "x@y.z", None).is_err());
}

/// The STARTTLS / TLS test server (tests/support/smtp_tls_sink.py); killed on drop.
struct TlsSink {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
}

impl TlsSink {
    fn start(dir: &std::path::Path, mode: &str) -> TlsSink {
        let [_, cert, key] = footfall_server::testutil::test_certificates(dir);
        let log = dir.join(format!("smtp{mode}.log"));
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/support/smtp_tls_sink.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .args([&log, &cert, &key])
            .arg(mode)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("READY ").unwrap().parse().unwrap();
        TlsSink { child, port, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TlsSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mail() -> Mail {
    Mail {
        to: "ops@example.com".into(),
        subject: "Reset".into(),
        body: "reset link".into(),
    }
}

/// Credentials travel only encrypted: STARTTLS is used (and required) when they are set,
/// a server that does not offer it gets no password, and smtps:// is TLS from the start.
#[tokio::test]
async fn smtp_credentials_only_travel_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");

    let starttls = TlsSink::start(dir.path(), "--starttls");
    let url = format!("smtp://alice:s3cret@127.0.0.1:{}", starttls.port);
    let mailer = SmtpMailer::new(&url, "footfall@example.com", Some(&ca)).unwrap();
    mailer.send(mail()).await.expect("delivered over STARTTLS");
    let log = starttls.log();
    assert!(log.contains("tls auth-user alice"), "{log}");
    assert!(log.contains("tls data reset link"), "{log}");
    assert!(
        !log.lines()
            .any(|l| l.starts_with("AUTH") || l.starts_with("auth-user")),
        "{log}"
    );
    // Without the CA the certificate does not verify: no password either.
    let untrusted = SmtpMailer::new(&url, "footfall@example.com", None).unwrap();
    assert!(untrusted.send(mail()).await.is_err());

    let plain = TlsSink::start(dir.path(), "--no-starttls");
    let url = format!("smtp://alice:s3cret@127.0.0.1:{}", plain.port);
    let mailer = SmtpMailer::new(&url, "footfall@example.com", Some(&ca)).unwrap();
    let err = mailer.send(mail()).await.unwrap_err();
    assert!(
        !plain.log().contains("auth-user"),
        "password sent in clear: {}",
        plain.log()
    );
    assert!(err.starts_with("SMTP"), "{err}");
    // An operator who insists (a relay on the same machine) can say so.
    let url = format!("smtp://alice:s3cret@127.0.0.1:{}?tls=none", plain.port);
    let mailer = SmtpMailer::new(&url, "footfall@example.com", None).unwrap();
    mailer.send(mail()).await.expect("plain on request");

    let implicit = TlsSink::start(dir.path(), "--implicit");
    let url = format!("smtps://alice:s3cret@127.0.0.1:{}", implicit.port);
    let mailer = SmtpMailer::new(&url, "footfall@example.com", Some(&ca)).unwrap();
    mailer
        .send(mail())
        .await
        .expect("delivered over implicit TLS");
    assert!(
        implicit.log().contains("tls auth-user alice"),
        "{}",
        implicit.log()
    );
}
