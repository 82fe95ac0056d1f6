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

/// A one-request-at-a-time HTTP server on loopback answering every request with
/// `response`; returns its address.
async fn http_answering(response: Vec<u8>) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_urls_cannot_reach_the_server_itself_metadata_or_a_redirect_target() {
    // The product's defaults: loopback refused.
    let s = TestServer::start_with(Backend::Sqlite, |c| c.cameras.allow_loopback = false).await;
    let user = s.token("uma", Role::User).await;
    let create = |url: &str| {
        let (s, user) = (&s, &user);
        let body = json!({"name": format!("cam {url}"), "stream_url": url});
        async move {
            s.call(Method::POST, "/api/v1/cameras", Some(user), Some(body))
                .await
        }
    };
    for refused in [
        "http://169.254.169.254/latest/meta-data/iam/",
        "rtsp://127.0.0.1:5432/",
        "http://localhost:6379/",
        "rtsp://[::1]/live",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0:8080/",
    ] {
        let (status, body) = create(refused).await;
        assert_eq!(status, 422, "{refused}: {body}");
        assert_eq!(body["error"]["field"], "stream_url", "{body}");
        let (status, body) = s
            .call(
                Method::POST,
                "/api/v1/cameras/test",
                Some(&user),
                Some(json!({"stream_url": refused})),
            )
            .await;
        assert_eq!(status, 422, "probe {refused}: {body}");
    }
    // Private networks are where cameras are.
    let (status, body) = create("rtsp://10.20.30.40:554/Streaming/101").await;
    assert_eq!(status, 201, "{body}");
    // Changing a camera to a refused address is refused too.
    let id = body["id"].as_i64().unwrap();
    let (status, _) = s
        .call(
            Method::PUT,
            &format!("/api/v1/cameras/{id}"),
            Some(&user),
            Some(json!({"name": "x", "stream_url": "http://169.254.169.254/"})),
        )
        .await;
    assert_eq!(status, 422);
    s.stop().await;

    // With loopback allowed (a relay on this host): a picture is probed fine, but a
    // redirect to it is not followed.
    let s = TestServer::start(Backend::Sqlite).await;
    let user = s.token("uma", Role::User).await;
    let frame = footfall_core::frame::Frame {
        width: 64,
        height: 48,
        pts: 0.0,
        index: 0,
        pixels: vec![120; 64 * 48 * 3],
    };
    // A short motion-JPEG clip (pictures back to back, 2.4 s at ffmpeg's assumed 25 fps).
    let clip = footfall_live::frames::encode_jpeg(&frame)
        .unwrap()
        .repeat(60);
    let mut picture = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: video/x-motion-jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        clip.len()
    )
    .into_bytes();
    picture.extend_from_slice(&clip);
    let target = http_answering(picture).await;
    let redirect = http_answering(
        format!(
            "HTTP/1.1 302 Found\r\nLocation: http://{target}/clip.mjpg\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .into_bytes(),
    )
    .await;
    let probe = |url: String| {
        let (s, user) = (&s, &user);
        async move {
            s.call(
                Method::POST,
                "/api/v1/cameras/test",
                Some(user),
                Some(json!({"stream_url": url})),
            )
            .await
        }
    };
    let (status, direct) = probe(format!("http://{target}/clip.mjpg")).await;
    assert_eq!(status, 200);
    assert_eq!(
        direct["ok"], true,
        "the picture itself probes fine: {direct}"
    );
    let (status, redirected) = probe(format!("http://{redirect}/cam")).await;
    assert_eq!(status, 200);
    assert_eq!(
        redirected["ok"], false,
        "redirect not followed: {redirected}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_probes_are_limited_per_user() {
    let s = TestServer::start_with(Backend::Sqlite, |c| c.cameras.max_probes_per_user = 1).await;
    let user = s.token("uma", Role::User).await;
    let other = s.token("ole", Role::User).await;
    // A camera that accepts the connection and then says nothing: a probe waits on it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("rtsp://{}/cam", listener.local_addr().unwrap());
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let _ = accepted_tx.send(socket).await;
        }
    });
    let body = json!({"stream_url": silent});
    let first = {
        let (client, url, token, body) = (
            s.client.clone(),
            format!("{}/api/v1/cameras/test", s.url),
            user.clone(),
            body.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // Once ffmpeg is connected, the probe holds its slot.
    let held = tokio::time::timeout(std::time::Duration::from_secs(10), accepted.recv())
        .await
        .expect("the first probe connects")
        .unwrap();
    let (status, body_second) = s
        .call(
            Method::POST,
            "/api/v1/cameras/test",
            Some(&user),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 429, "{body_second}");
    // Another user is not held up by the first one's probe.
    let other_probe = {
        let (client, url, body) = (
            s.client.clone(),
            format!("{}/api/v1/cameras/test", s.url),
            body.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(other)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    let second_held = tokio::time::timeout(std::time::Duration::from_secs(10), accepted.recv())
        .await
        .expect("the other user's probe connects")
        .unwrap();
    // The camera hangs up: both probes end, and the slot is free again.
    drop((held, second_held));
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(other_probe.await.unwrap(), 200);
    let (status, _) = s
        .call(
            Method::POST,
            "/api/v1/cameras/test",
            Some(&user),
            Some(json!({"stream_url": "rtsp://127.0.0.1:1/cam"})),
        )
        .await;
    assert_eq!(status, 200);
    s.stop().await;
}
