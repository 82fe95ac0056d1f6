//! `footfall keys rotate` (issue 12): every stored camera credential re-encrypted under a
//! new key, the old key readable until the last one is done, the server working on the
//! new keys afterwards.

mod common;
use common::*;
use footfall_server::crypto::{CredentialBox, GeneratedSecrets};
use footfall_server::testutil::TestServer;
use footfall_store::{Backend, Role};
use reqwest::Method;
use serde_json::json;
use std::path::Path;

fn config_file(dir: &Path, url: &str, data_dir: &Path, extra: &str) -> std::path::PathBuf {
    let path = dir.join("footfall.toml");
    let quote = |s: &str| serde_json::to_string(s).unwrap();
    std::fs::write(
        &path,
        format!(
            "[database]\nurl = {}\ndata_dir = {}\n{extra}",
            quote(url),
            quote(&data_dir.display().to_string())
        ),
    )
    .unwrap();
    path
}

async fn rotate(config: &Path) -> (bool, String) {
    let config = config.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let out = footfall()
            .args(["keys", "rotate", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        (out.status.success(), stderr(&out))
    })
    .await
    .unwrap()
}

fn secrets(data_dir: &Path) -> GeneratedSecrets {
    toml::from_str(&std::fs::read_to_string(data_dir.join("secrets.toml")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_reencrypts_every_credential_and_loses_nothing_when_interrupted() {
    let mut s = TestServer::start(Backend::Sqlite).await;
    let user = s.token("uma", Role::User).await;
    let urls = [
        "rtsp://admin:secret-one@10.1.2.3/live",
        "rtsp://admin:secret-two@10.1.2.4/live",
        "rtsp://10.1.2.5/live",
    ];
    let mut ids = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let (status, body) = s
            .call(
                Method::POST,
                "/api/v1/cameras",
                Some(&user),
                Some(json!({"name": format!("cam{i}"), "stream_url": url})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    // Archived cameras keep their history and their sealed URL: rotated too.
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/cameras/{}", ids[1]),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // Rotation runs with the server stopped.
    s.server.take().unwrap().shutdown().await;
    let store = footfall_store::Store::connect(&s.db.url, &Default::default())
        .await
        .unwrap();
    let sealed = async |id: i64| {
        store.camera(id).await.unwrap().security_config["stream_url_sealed"]
            .as_str()
            .map(String::from)
    };
    let before = secrets(s.data_dir.path());
    let old_values = [sealed(ids[0]).await.unwrap(), sealed(ids[1]).await.unwrap()];
    assert_eq!(sealed(ids[2]).await, None, "no credentials, nothing sealed");

    let work = tempfile::tempdir().unwrap();
    let config = config_file(work.path(), &s.db.url, s.data_dir.path(), "");
    let (ok, err) = rotate(&config).await;
    assert!(ok, "{err}");
    assert!(err.contains("2 camera credential(s) re-encrypted"), "{err}");
    let after = secrets(s.data_dir.path());
    assert_ne!(after.credentials_key, before.credentials_key);
    assert!(after.previous_credentials_keys.is_empty(), "old key gone");
    assert_eq!(after.jwt_secret, before.jwt_secret, "sessions unaffected");
    let new_box = CredentialBox::new(&after.credentials_key).unwrap();
    let old_box = CredentialBox::new(&before.credentials_key).unwrap();
    for (i, old) in old_values.iter().enumerate() {
        let now = sealed(ids[i]).await.unwrap();
        assert_ne!(&now, old);
        assert_eq!(new_box.open(&now).unwrap(), urls[i]);
        assert!(old_box.open(&now).is_err(), "only the new key opens it");
    }

    // Interrupted: a value that no key opens stops the rotation, named, and the keys
    // file keeps the previous key, so what was not re-encrypted yet still opens.
    let good = sealed(ids[0]).await.unwrap();
    store
        .set_camera_security_config(
            ids[0],
            &json!({"stream_url_sealed": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
        )
        .await
        .unwrap();
    let (ok, err) = rotate(&config).await;
    assert!(!ok, "{err}");
    assert!(err.contains(&format!("camera {}", ids[0])), "{err}");
    assert!(err.contains("keeps the old keys"), "{err}");
    let interrupted = secrets(s.data_dir.path());
    assert_eq!(
        interrupted.previous_credentials_keys,
        vec![after.credentials_key.clone()]
    );
    let reader = CredentialBox::new(&interrupted.credentials_key)
        .unwrap()
        .with_previous(
            interrupted
                .previous_credentials_keys
                .iter()
                .map(String::as_str),
        )
        .unwrap();
    assert_eq!(reader.open(&good).unwrap(), urls[0]);
    assert_eq!(
        reader.open(&sealed(ids[1]).await.unwrap()).unwrap(),
        urls[1]
    );
    // Fixed, run again: done.
    store
        .set_camera_security_config(ids[0], &json!({"stream_url_sealed": good}))
        .await
        .unwrap();
    let (ok, err) = rotate(&config).await;
    assert!(ok, "{err}");
    let last = secrets(s.data_dir.path());
    assert!(last.previous_credentials_keys.is_empty());

    // The server starts on the rotated keys and opens every camera's URL.
    store.close().await;
    s.restart().await;
    for i in [0, 1] {
        let camera = s.state().store.camera(ids[i]).await.unwrap();
        assert_eq!(
            footfall_server::stream_url::unsealed_url(
                &camera.stream_url,
                &camera.security_config,
                &s.state().credentials
            )
            .unwrap(),
            urls[i]
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn a_configured_key_is_rotated_in_the_configuration_first() {
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("footfall.db");
    let key = footfall_server::crypto::generate_key();
    let config = config_file(
        work.path(),
        &format!("sqlite://{}", db.display()),
        work.path(),
        &format!("[cameras]\ncredentials_key = \"{key}\"\n"),
    );
    let (ok, err) = rotate(&config).await;
    assert!(!ok);
    assert!(
        err.contains("cameras.credentials_key is set in the configuration")
            && err.contains("cameras.previous_credentials_keys"),
        "{err}"
    );
    assert!(
        !err.contains(&key),
        "the current key is never printed: {err}"
    );
}
