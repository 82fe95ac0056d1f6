//! HTTPS on the API listener (`server.tls_cert` / `server.tls_key`): a real TLS handshake
//! against a certificate made for the test, HSTS on every answer, no plain HTTP.

use footfall_server::testutil::TestServer;
use footfall_store::Backend;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_hsts_and_no_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let [ca, cert, key] = footfall_server::testutil::test_certificates(dir.path());
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.server.tls_cert = Some(cert.clone());
        c.server.tls_key = Some(key.clone());
    })
    .await;
    let addr = s.url.trim_start_matches("http://").to_string();

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&ca).unwrap())
        .unwrap();
    #[allow(deprecated)] // the same provider as the server
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("TLS handshake");
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{answer}"
    );

    // Plain HTTP to the TLS port gets no HTTP answer.
    let mut plain = tokio::net::TcpStream::connect(&addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        plain.read_to_end(&mut reply),
    )
    .await;
    assert!(
        !String::from_utf8_lossy(&reply).contains("200 OK"),
        "plain HTTP answered"
    );
    s.stop().await;
}

#[test]
fn a_certificate_needs_its_key() {
    let err = footfall_server::config::Config::load(
        None,
        [(
            "FOOTFALL_SERVER__TLS_CERT".to_string(),
            "/etc/cert.pem".to_string(),
        )],
    )
    .unwrap_err();
    assert!(err.to_string().contains("server.tls_key"), "{err}");
}
