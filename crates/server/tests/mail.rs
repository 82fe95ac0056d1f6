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

    let mailer =
        SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "footfall@example.com").unwrap();
    let mail = Mail {
        to: "ops@example.com".into(),
        subject: "Verify your e-mail".into(),
        body: "Open this link:\n.hidden line starts with a dot\nhttp://localhost:8080/verify-email?token=abc".into(),
    };
    mailer.send(mail).await.expect("delivered");
    let received = std::fs::read_to_string(&out).unwrap();
    assert!(received.contains("FROM footfall@example.com"), "{received}");
    assert!(received.contains("TO ops@example.com"));
    assert!(received.contains("Subject: Verify your e-mail"));
    assert!(
        received.contains("\n.hidden line starts with a dot"),
        "dot-stuffing undone by the server: {received}"
    );
    assert!(received.contains("verify-email?token=abc"));

    // A closed port is an error, not a hang.
    let _ = server.kill();
    let _ = server.wait();
    let dead =
        SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "footfall@example.com").unwrap();
    let err = dead
        .send(Mail {
            to: "a@b.co".into(),
            subject: "x".into(),
            body: "y".into(),
        })
        .await
        .unwrap_err();
    assert!(err.contains("SMTP connect"), "{err}");
    assert!(SmtpMailer::new("http://mail", "x@y.z").is_err());
}
