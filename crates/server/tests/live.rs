//! Live delivery: the WebSocket (auth, subscriptions, resume without loss or duplicates,
//! token expiry) and GET /api/v1/live, fed by the ingest API.

use footfall_live::clock::SystemClock;
use footfall_live::testing::{ScriptedCamera, pacing_person};
use footfall_server::testutil::TestServer;
use footfall_store::{Backend, Role};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    s: &TestServer,
    query: &str,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/api/v1/ws?{query}", s.url.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(url)
        .await
        .map(|(socket, _)| socket)
}

/// The next JSON message (pings skipped); panics after 5 s.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Asserts nothing arrives for a moment.
async fn quiet(socket: &mut Socket) {
    if let Ok(Some(Ok(Message::Text(text)))) =
        tokio::time::timeout(Duration::from_millis(300), socket.next()).await
    {
        panic!("unexpected message {text}");
    }
}

async fn push(s: &TestServer, key: &str, body: Value, what: &str) -> Value {
    let resp = s
        .client
        .post(format!("{}/api/v1/ingest/{what}", s.url))
        .header("x-api-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_delivers_resumes_and_reauthenticates() {
    let s = TestServer::start(Backend::Sqlite).await;
    for query in ["", "access_token=not-a-jwt"] {
        match connect(&s, query).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 401, "{query}")
            }
            other => panic!("{query}: expected 401, got {other:?}"),
        }
    }
    let admin = s.token("root", Role::Admin).await;
    let camera = |name: &str| json!({"name": name, "stream_url": "rtsp://cam.local/live"});
    let a = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&admin),
            Some(camera("A")),
        )
        .await
        .1["id"]
        .as_i64()
        .unwrap();
    let b = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&admin),
            Some(camera("B")),
        )
        .await
        .1["id"]
        .as_i64()
        .unwrap();
    let (_, key) = s
        .call(
            Method::POST,
            "/api/v1/api-keys",
            Some(&admin),
            Some(json!({"name": "beam", "camera_ids": [a, b]})),
        )
        .await;
    let key = key["key"].as_str().unwrap().to_string();

    let viewer = s.login_or_create("vic", Role::Viewer).await;
    let mut ws = connect(&s, &format!("access_token={viewer}&cameras={a}"))
        .await
        .unwrap();
    let hello = next(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    let count = |camera: i64, id: &str, people_in: i32| json!({"results": [{"id": id, "camera_id": camera, "timestamp": s.now().to_rfc3339(), "people_in": people_in, "people_count": 2}]});
    push(&s, &key, count(b, "b1", 9), "counts").await;
    push(&s, &key, count(a, "a1", 3), "counts").await;
    let m = next(&mut ws).await;
    assert_eq!(
        (
            m["type"].as_str(),
            m["camera_id"].as_i64(),
            m["data"]["people_in"].as_i64()
        ),
        (Some("count"), Some(a), Some(3)),
        "only camera A: {m}"
    );
    // A retried POST (same id) publishes nothing.
    push(&s, &key, count(a, "a1", 3), "counts").await;
    push(&s, &key, json!({"events": [{"id": "e1", "camera_id": a, "event_type": "door_open", "timestamp": s.now().to_rfc3339()}]}), "events").await;
    let e = next(&mut ws).await;
    assert_eq!(
        (e["type"].as_str(), e["data"]["event_type"].as_str()),
        (Some("event"), Some("door_open")),
        "{e}"
    );
    let mut last = e["seq"].as_u64().unwrap();
    assert!(last > m["seq"].as_u64().unwrap());

    // Disconnect; two updates of A (and one of B) happen meanwhile.
    ws.close(None).await.unwrap();
    drop(ws);
    push(&s, &key, count(a, "a2", 1), "counts").await;
    push(&s, &key, count(b, "b2", 1), "counts").await;
    push(&s, &key, count(a, "a3", 2), "counts").await;
    let mut ws = connect(
        &s,
        &format!("access_token={viewer}&cameras={a}&since={last}"),
    )
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await["type"], "hello");
    let mut missed = Vec::new();
    for _ in 0..2 {
        let m = next(&mut ws).await;
        assert!(
            m["seq"].as_u64().unwrap() > last,
            "replayed in order, nothing twice: {m}"
        );
        last = m["seq"].as_u64().unwrap();
        missed.push(m["data"]["people_in"].as_i64().unwrap());
    }
    assert_eq!(
        missed,
        vec![1, 2],
        "exactly the missed messages of camera A"
    );
    quiet(&mut ws).await;
    push(&s, &key, count(a, "a4", 4), "counts").await;
    let live_msg = next(&mut ws).await;
    assert_eq!(live_msg["data"]["people_in"], 4);
    assert!(live_msg["seq"].as_u64().unwrap() > last);

    // Subscribing to all cameras on the fly.
    ws.send(Message::Text(
        json!({"type": "subscribe", "cameras": null})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await["type"], "subscribed");
    push(&s, &key, count(b, "b3", 5), "counts").await;
    assert_eq!(next(&mut ws).await["camera_id"], b);

    // GET /live: occupancy and today's totals.
    let (_, live) = s
        .call(Method::GET, "/api/v1/live", Some(&viewer), None)
        .await;
    let a_live = live
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["camera_id"] == a)
        .unwrap();
    assert_eq!(
        (
            a_live["people_in_today"].as_i64(),
            a_live["people_count"].as_i64()
        ),
        (Some(3 + 1 + 2 + 4), Some(2))
    );

    // The access token expires: delivery pauses, then resumes after re-auth with nothing lost.
    s.clock.advance(chrono::Duration::seconds(901));
    push(&s, &key, count(a, "a5", 7), "counts").await;
    assert_eq!(next(&mut ws).await["type"], "auth_expired");
    quiet(&mut ws).await;
    let fresh = s.login("vic").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    ws.send(Message::Text(
        json!({"type": "auth", "access_token": fresh})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(next(&mut ws).await["type"], "authenticated");
    let withheld = next(&mut ws).await;
    assert_eq!(withheld["data"]["people_in"], 7, "{withheld}");
    ws.send(Message::Text(json!({"type": "ping"}).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["type"], "pong");
    s.stop().await;
}

/// Opens a WebSocket with the token in the Authorization header (as a non-browser
/// client does).
async fn connect_with_header(
    s: &TestServer,
    token: &str,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("{}/api/v1/ws", s.url.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// Waits for the server to close the socket (after an optional last text message);
/// returns the close code, if one came.
async fn closed(socket: &mut Socket) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(8), socket.next())
            .await
            .expect("closed within 8 s")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => return None,
        }
    }
}

fn status_of(result: Result<Socket, tokio_tungstenite::tungstenite::Error>) -> u16 {
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Ok(_) => 101,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_access_closes_live_sockets_and_sockets_are_capped() {
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.server.max_websockets_per_user = 2;
        c.server.max_websockets = 3;
        c.server.max_websocket_message_bytes = 1024;
    })
    .await;
    let admin = s.token("root", Role::Admin).await;
    let viewer_id = s.create_user("vic", Role::Viewer).await;
    let vic = |body: Value| body["access_token"].as_str().unwrap().to_string();
    let first = vic(s.login("vic").await);
    let second = vic(s.login("vic").await);

    // Logging one session out closes that session's socket at once, and only it.
    let mut a = connect(&s, &format!("access_token={first}")).await.unwrap();
    let mut b = connect_with_header(&s, &second).await.unwrap();
    assert_eq!(next(&mut a).await["type"], "hello");
    assert_eq!(next(&mut b).await["type"], "hello");
    assert_eq!(
        status_of(connect(&s, &format!("access_token={second}")).await),
        429,
        "a third socket of one user"
    );
    let mut admins = connect(&s, &format!("access_token={admin}")).await.unwrap();
    assert_eq!(next(&mut admins).await["type"], "hello");
    assert_eq!(
        status_of(connect(&s, &format!("access_token={admin}")).await),
        429,
        "a fourth socket in total"
    );
    let (status, _) = s
        .call(Method::POST, "/api/v1/auth/logout", Some(&first), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(next(&mut a).await["type"], "session_ended");
    assert_eq!(closed(&mut a).await, Some(4401));
    b.send(Message::Text(json!({"type": "ping"}).to_string().into()))
        .await
        .unwrap();
    assert_eq!(
        next(&mut b).await["type"],
        "pong",
        "the other session stays"
    );

    // Deactivating the account closes its remaining socket (authenticated by header).
    let (status, body) = s
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{viewer_id}"),
            Some(&admin),
            Some(json!({"is_active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(next(&mut b).await["type"], "session_ended");
    assert_eq!(closed(&mut b).await, Some(4401));

    // The freed slots are reusable; an oversized client message closes the socket.
    let mut c = connect(&s, &format!("access_token={admin}")).await.unwrap();
    assert_eq!(next(&mut c).await["type"], "hello");
    c.send(Message::Text("x".repeat(4096).into()))
        .await
        .unwrap();
    assert_ne!(
        closed(&mut c).await,
        Some(4401),
        "closed for its size, not its session"
    );

    // A header-authenticated socket pauses when its token expires, like a query one.
    let mut d = connect_with_header(&s, &admin).await.unwrap();
    assert_eq!(next(&mut d).await["type"], "hello");
    s.clock.advance(chrono::Duration::seconds(901));
    let alert = footfall_live::message::AlertUpdate {
        id: 1,
        is_resolved: false,
        severity: footfall_store::AlertSeverity::Low,
        title: "a test alert".into(),
    };
    s.state().live.hub.publish_alert(None, s.now(), alert);
    assert_eq!(next(&mut d).await["type"], "auth_expired");
    quiet(&mut d).await;
    drop(admins);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mjpeg_viewers_share_one_encode_are_capped_and_end_with_their_session() {
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.server.max_mjpeg_viewers_per_camera = 2;
    })
    .await;
    let admin = s.token("root", Role::Admin).await;
    let (_, camera) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&admin),
            Some(json!({"name": "door", "stream_url": "rtsp://cam.local/live"})),
        )
        .await;
    let id = camera["id"].as_i64().unwrap();
    // A running camera's latest frame, as the camera thread leaves it.
    let frame = footfall_core::frame::Frame {
        width: 64,
        height: 48,
        pts: 0.0,
        index: 0,
        pixels: vec![90; 64 * 48 * 3],
    };
    let latest = footfall_live::frames::LatestFrame {
        frame,
        report: Default::default(),
        counts: Default::default(),
        counting: Default::default(),
        blur_people: false,
        at: s.now(),
    };
    *s.state().live.frames.open(id).lock().unwrap() = Some(latest);
    let viewer = s.token("vic", Role::Viewer).await;
    let open = |token: String| {
        let url = format!(
            "{}/api/v1/cameras/{id}/live.mjpeg?fps=10&access_token={token}",
            s.url
        );
        let client = s.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let mut one = open(viewer.clone()).await;
    let mut two = open(admin.clone()).await;
    assert_eq!(
        (one.status(), two.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let third = open(admin.clone()).await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    for response in [&mut one, &mut two] {
        // Several parts each (10 fps), all of the one frame there is.
        for _ in 0..3 {
            let part = tokio::time::timeout(Duration::from_secs(5), response.chunk())
                .await
                .unwrap()
                .unwrap()
                .expect("a part");
            assert!(part.starts_with(b"--frame\r\nContent-Type: image/jpeg"));
        }
    }
    let encodes = s
        .state()
        .live
        .frames
        .encodes
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        encodes, 1,
        "one frame, encoded once for 2 viewers x 3 parts"
    );

    // The viewer logs out: their stream ends; the admin's goes on.
    let (status, _) = s
        .call(Method::POST, "/api/v1/auth/logout", Some(&viewer), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let ended = tokio::time::timeout(Duration::from_secs(8), async {
        while one.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the logged-out viewer's stream ended");
    assert!(two.chunk().await.unwrap().is_some());
    // Its slot is free again.
    let again = open(admin.clone()).await;
    assert_eq!(again.status(), StatusCode::OK);
    s.stop().await;
}

/// Issue 10, item 1: deleting a running camera (archive, or purge) never stops storage
/// for the other cameras: nothing spilled, nothing refused, the others keep storing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_running_camera_keeps_every_other_camera_stored() {
    // Three cameras streaming for minutes (10 fps, real time), scripted: no ffmpeg, no
    // model.
    let url = |name: &str| format!("rtsp://scripted.test/{name}");
    let long_stream = || pacing_person(3000);
    let scripts = ["Kept", "Archived", "Purged"]
        .map(|name| (url(name), vec![long_stream()]))
        .into();
    let cameras = ScriptedCamera::by_url(Arc::new(SystemClock::default()), 10.0, scripts, None);
    let s = TestServer::start_with_scripted_cameras(
        Backend::Sqlite,
        |c| c.live.result_interval_s = 1,
        cameras.sources(),
    )
    .await;
    let user = s.token("uma", Role::User).await;
    let admin = s.token("root", Role::Admin).await;
    let mut ids = Vec::new();
    for name in ["Kept", "Archived", "Purged"] {
        let camera = json!({"name": name, "stream_url": url(name),
                            "settings": {"detector_fps": 10}});
        let (status, body) = s
            .call(Method::POST, "/api/v1/cameras", Some(&user), Some(camera))
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    let (kept, archived, purged) = (ids[0], ids[1], ids[2]);
    for id in &ids {
        s.results_grow(*id, 0).await;
    }

    // Archive: history stays; the other cameras go on storing.
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/cameras/{archived}"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // DELETE returns once the camera's rows are drained: any row from now on is new.
    let before = s.stored_results(kept).await;
    s.results_grow(kept, before).await;
    let history = s.stored_results(archived).await;
    assert!(history > 0, "an archived camera keeps its history");

    // Purge of a camera that is still running: it is stopped and drained first.
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/v1/cameras/{purged}?purge=true"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        s.stored_results(purged).await,
        0,
        "a purge removes the history"
    );
    let before = s.stored_results(kept).await;
    s.results_grow(kept, before).await;
    assert_eq!(
        s.stored_results(archived).await,
        history,
        "archived: not run"
    );

    let data = s.data_dir.path();
    assert!(
        !data.join("spill.jsonl").exists(),
        "the database was fine: nothing spilled"
    );
    assert!(!data.join("deadletter.jsonl").exists(), "no row refused");
    let metrics = s.metrics().await;
    assert!(
        metrics.contains(&format!("camera_id=\"{kept}\"")),
        "{metrics}"
    );
    for gone in [archived, purged] {
        assert!(
            !metrics.contains(&format!("camera_id=\"{gone}\"")),
            "no series of a retired camera: {metrics}"
        );
    }
    s.stop().await;
}

/// Files under `dir` (recursively) whose content is a picture or a video: JPEG, PNG,
/// MP4 / MOV, Matroska / WebM, MPEG-TS, raw H.264.
fn picture_or_video_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            let head = &bytes[..bytes.len().min(12)];
            let media = head.starts_with(&[0xff, 0xd8, 0xff])
                || head.starts_with(b"\x89PNG")
                || head.get(4..8) == Some(b"ftyp")
                || head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3])
                || (head.first() == Some(&0x47) && bytes.get(188) == Some(&0x47))
                || head.starts_with(&[0, 0, 0, 1]);
            if media {
                found.push(path);
            }
        }
    }
    found
}

/// Issue 12, privacy: frames live in memory only. A camera counts people for a while and
/// viewers take its snapshot and MJPEG stream, yet no picture or video is written
/// anywhere under the data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_frame_reaches_the_disk() {
    let url = "rtsp://scripted.test/private";
    let cameras = ScriptedCamera::by_url(
        Arc::new(SystemClock::default()),
        10.0,
        [(url.to_string(), vec![pacing_person(600)])].into(),
        None,
    );
    let s = TestServer::start_with_scripted_cameras(
        Backend::Sqlite,
        |c| c.live.result_interval_s = 1,
        cameras.sources(),
    )
    .await;
    let user = s.token("uma", Role::User).await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/v1/cameras",
            Some(&user),
            Some(json!({"name": "Private", "stream_url": url, "settings": {"detector_fps": 10}})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    // Several result intervals (and engine checkpoints) stored.
    let stored = s.results_grow(id, 2).await;
    assert!(stored > 2);
    // Viewers make the server encode frames.
    let snapshot = s
        .client
        .get(format!("{}/api/v1/cameras/{id}/snapshot.jpg", s.url))
        .bearer_auth(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(snapshot.status(), 200);
    let jpeg = snapshot.bytes().await.unwrap();
    assert!(jpeg.starts_with(&[0xff, 0xd8, 0xff]), "a JPEG was served");
    let mut mjpeg = s
        .client
        .get(format!(
            "{}/api/v1/cameras/{id}/live.mjpeg?fps=10&access_token={user}",
            s.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(mjpeg.status(), 200);
    let mut received = 0;
    while received < 20_000 {
        let chunk = tokio::time::timeout(Duration::from_secs(10), mjpeg.chunk())
            .await
            .expect("MJPEG parts keep coming")
            .unwrap()
            .expect("stream open");
        received += chunk.len();
    }
    drop(mjpeg);
    s.results_grow(id, stored).await;
    let written: Vec<String> = std::fs::read_dir(s.data_dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !written.is_empty(),
        "the data directory is in use: {written:?}"
    );
    assert_eq!(
        picture_or_video_files(s.data_dir.path()),
        Vec::<std::path::PathBuf>::new(),
        "no picture or video on disk (data directory holds {written:?})"
    );
    s.stop().await;
}
