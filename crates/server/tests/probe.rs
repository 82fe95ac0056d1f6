//! POST /api/v1/cameras/{id}/test and /api/v1/cameras/test against real streams: a working RTSP server, a wrong
//! password, a closed port. Each answer is precise and bounded in time.

use footfall_server::testutil::{RtspServer, TestServer, cut_video};
use footfall_store::{Backend, Role};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_report_stream_facts_or_precise_errors() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    cut_video(0.0, 4.0, 1.0, &clip);
    let open = RtspServer::start(&clip, None, &["--loop"]);
    let locked = RtspServer::start(
        &clip,
        None,
        &["--loop", "--user", "admin", "--password", "right-one"],
    );
    let s = TestServer::start(Backend::Sqlite).await;
    let user = s.token("uma", Role::User).await;
    let (_, cam) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&user),
            Some(json!({"name": "Door", "stream_url": open.url})),
        )
        .await;
    let id = cam["id"].as_i64().unwrap();
    let probe = |body: Option<serde_json::Value>| {
        let (s, user) = (&s, &user);
        async move {
            s.call(
                Method::POST,
                &format!("/api/v1/cameras/{id}/test"),
                Some(user),
                body,
            )
            .await
        }
    };

    let (status, ok) = probe(None).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(
        (
            ok["ok"].as_bool(),
            ok["codec"].as_str(),
            ok["width"].as_u64(),
            ok["height"].as_u64()
        ),
        (Some(true), Some("h264"), Some(768), Some(432)),
        "{ok}"
    );

    let wrong = locked.url.replacen("rtsp://", "rtsp://admin:wrong-one@", 1);
    let (_, auth) = probe(Some(json!({"stream_url": wrong}))).await;
    assert_eq!(
        (auth["ok"].as_bool(), auth["error"].as_str()),
        (Some(false), Some("auth_failed")),
        "{auth}"
    );
    assert!(
        !auth.to_string().contains("wrong-one"),
        "password in the answer: {auth}"
    );

    let (_, closed) = probe(Some(
        json!({"stream_url": "rtsp://127.0.0.1:1/cam?token=Q-Secret-9"}),
    ))
    .await;
    assert!(
        !closed.to_string().contains("Q-Secret-9"),
        "query secret in the answer: {closed}"
    );
    assert_eq!(
        (closed["ok"].as_bool(), closed["error"].as_str()),
        (Some(false), Some("unreachable")),
        "{closed}"
    );
    assert!(closed["elapsed_s"].as_f64().unwrap() < 15.0);

    let (status, bad) = probe(Some(json!({"stream_url": "ftp://x/y"}))).await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            Some("stream_url")
        )
    );

    // Before any camera exists for it (a new camera in the editor).
    let (status, new) = s
        .call(
            Method::POST,
            "/api/v1/cameras/test",
            Some(&user),
            Some(json!({"stream_url": open.url})),
        )
        .await;
    assert_eq!(status, 200, "{new}");
    assert_eq!(
        (new["ok"].as_bool(), new["codec"].as_str()),
        (Some(true), Some("h264"))
    );
    let (status, missing) = s
        .call(
            Method::POST,
            "/api/v1/cameras/test",
            Some(&user),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, missing["error"]["field"].as_str()),
        (
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            Some("stream_url")
        )
    );
    let viewer = s.token("vic", Role::Viewer).await;
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/cameras/test",
            Some(&viewer),
            Some(json!({"stream_url": open.url})),
        )
        .await;
    assert_eq!(
        status,
        reqwest::StatusCode::FORBIDDEN,
        "viewers do not probe"
    );
    s.stop().await;
}
