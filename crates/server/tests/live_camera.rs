//! The live service end to end: a real RTSP server on loopback plays the shared video
//! (at twice its speed), a camera created through the API counts it continuously, a
//! WebSocket client sees the updates, the database ends with the 6 visitors of the
//! video; killing the RTSP server turns the camera to error, restarting it brings the
//! camera back without operator action.

use footfall_server::testutil::{RtspServer, TestServer, cut_video, model};
use footfall_store::{Backend, Role};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads messages until `done` says so (returns that message) or `limit` passes.
async fn until(
    ws: &mut Socket,
    limit: Duration,
    seen: &mut Vec<Value>,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, ws.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out; last messages: {:#?}",
                    &seen[seen.len().saturating_sub(8)..]
                )
            })
            .expect("socket open")
            .expect("frame");
        if let Message::Text(text) = frame {
            let m: Value = serde_json::from_str(&text).unwrap();
            seen.push(m.clone());
            if done(&m) {
                return m;
            }
        }
    }
}

/// A server running its cameras, with a result row every 2 s and quick reconnections.
async fn live_server() -> TestServer {
    TestServer::start_with(Backend::Sqlite, |c| {
        c.live.enabled = true;
        c.live.model = model();
        c.live.result_interval_s = 2;
        c.live.max_backoff_s = 2;
    })
    .await
}

fn is_status(m: &Value, status: &str) -> bool {
    m["type"] == "camera_status" && m["data"]["status"] == status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_over_rtsp_counts_live_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("video-2x.mp4");
    cut_video(0.0, 140.0, 2.0, &clip);
    let rtsp = RtspServer::start(&clip, None, &[]);
    let s = live_server().await;
    let admin = s.token("root", Role::Admin).await;
    let mut ws = {
        let url = format!(
            "{}/api/v1/ws?access_token={admin}",
            s.url.replace("http://", "ws://")
        );
        tokio_tungstenite::connect_async(url).await.unwrap().0
    };
    let camera = json!({
        "name": "Table",
        "stream_url": rtsp.url,
        // The clip runs at 2x: 20 analysed frames a second are the video's 10.
        "settings": {"detector_fps": 20},
        "zones": [{"name": "table", "polygon": [
            {"x": 0.45, "y": 0.60}, {"x": 0.75, "y": 0.60}, {"x": 0.75, "y": 0.97}, {"x": 0.45, "y": 0.97}]}],
        // People leave to the right.
        "lines": [{"name": "exit", "start": {"x": 0.75, "y": 0.3}, "end": {"x": 0.75, "y": 0.99}, "in": "right"}],
    });
    let (status, created) = s
        .call(Method::POST, "/api/v1/cameras", Some(&admin), Some(camera))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let mut seen = Vec::new();
    until(&mut ws, Duration::from_secs(30), &mut seen, |m| {
        is_status(m, "online")
    })
    .await;
    // Snapshot and MJPEG of the running camera (the latter with the token in the URL, as
    // an <img> tag sends it).
    // Online comes with the first frame; the snapshot answers 503 until it is counted.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let snap = loop {
        let snap = s
            .client
            .get(format!("{}/api/v1/cameras/{id}/snapshot.jpg", s.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        if snap.status() != 503 || std::time::Instant::now() > deadline {
            break snap;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(snap.headers()["content-type"], "image/jpeg");
    let jpeg = snap.bytes().await.unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG");
    let mut mjpeg = s
        .client
        .get(format!(
            "{}/api/v1/cameras/{id}/live.mjpeg?fps=5&access_token={admin}",
            s.url
        ))
        .send()
        .await
        .unwrap();
    assert!(
        mjpeg.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/x-mixed-replace")
    );
    let part = mjpeg.chunk().await.unwrap().unwrap();
    assert!(
        part.starts_with(b"--frame\r\nContent-Type: image/jpeg\r\n"),
        "{:?}",
        &part[..40]
    );
    drop(mjpeg);
    let (status, _) = s
        .call(
            Method::GET,
            "/api/v1/cameras/999/snapshot.jpg",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // The 70 s stream plays to its end; the camera then tries to reconnect.
    let ended = until(&mut ws, Duration::from_secs(150), &mut seen, |m| {
        m["type"] == "camera_status"
            && (m["data"]["status"] == "reconnecting" || m["data"]["status"] == "error")
    })
    .await;
    drop(rtsp);
    assert!(
        seen.iter()
            .any(|m| m["type"] == "count" && m["camera_id"] == id),
        "count updates over the WebSocket"
    );
    assert!(
        seen.iter()
            .any(|m| m["type"] == "event" && m["data"]["event_type"] == "zone_enter"),
        "events over the WebSocket"
    );

    let (_, visits) = s
        .call(
            Method::GET,
            &format!("/api/v1/events?camera_id={id}&event_type=zone_visit&limit=100"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        visits.as_array().unwrap().len(),
        6,
        "the video's 6 visitors ({ended})"
    );
    // Live delivery agrees with storage: every stored event reached the WebSocket
    // exactly once, and the live exit total is the number of stored exits.
    let (_, stored) = s
        .call(
            Method::GET,
            &format!("/api/v1/events?camera_id={id}&limit=1000"),
            Some(&admin),
            None,
        )
        .await;
    let stored_ids: std::collections::BTreeSet<String> = stored
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] != "status_change")
        .map(|e| e["event_data"]["id"].as_str().unwrap().to_string())
        .collect();
    let mut live_ids: Vec<String> = seen
        .iter()
        .filter(|m| m["type"] == "event")
        .map(|m| m["data"]["id"].as_str().unwrap().to_string())
        .collect();
    live_ids.sort();
    let unique: std::collections::BTreeSet<String> = live_ids.iter().cloned().collect();
    assert_eq!(live_ids.len(), unique.len(), "an event was delivered twice");
    assert_eq!(unique, stored_ids, "live events == stored events");
    let exits = stored
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "line_out")
        .count() as i64;
    let (_, live) = s
        .call(Method::GET, "/api/v1/live", Some(&admin), None)
        .await;
    assert_eq!(live[0]["people_out_today"].as_i64(), Some(exits), "{live}");
    // Camera data carries wall-clock times (the test server's clock is frozen).
    let now = chrono::Utc::now();
    let wide = (
        (now - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (now + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let (_, day) = s
        .call(
            Method::GET,
            &format!(
                "/api/v1/cameras/{id}/counts?bucket=raw&limit=1&from={}&to={}",
                wide.0, wide.1
            ),
            Some(&admin),
            None,
        )
        .await;
    assert!(
        day["total"].as_u64().unwrap() >= 10,
        "a result every 2 s: {day}"
    );
    assert!(
        day["items"][0]["worker_id"].as_str().unwrap().contains(':'),
        "{day}"
    );
    // Frame quality: the interval's mean, for intervals with analysed frames.
    let (_, rows) = s
        .call(
            Method::GET,
            &format!(
                "/api/v1/cameras/{id}/counts?bucket=raw&limit=100&from={}&to={}",
                wide.0, wide.1
            ),
            Some(&admin),
            None,
        )
        .await;
    let qualities: Vec<f64> = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["frame_quality_score"].as_f64())
        .collect();
    assert!(
        !qualities.is_empty() && qualities.iter().all(|q| *q > 0.0 && *q <= 1.0),
        "{qualities:?}"
    );
    let (_, workers) = s
        .call(Method::GET, "/api/v1/workers", Some(&admin), None)
        .await;
    assert_eq!(workers[0]["status"], "online");
    let metrics = s.metrics().await;
    assert!(
        metrics.contains(&format!(
            "footfall_camera_frames_dropped_total{{camera_id=\"{id}\"}}"
        )),
        "per-camera drops in /metrics"
    );

    // The server is gone: the camera reports an error, then recovers on its own when the
    // stream is back (same address).
    until(&mut ws, Duration::from_secs(30), &mut seen, |m| {
        is_status(m, "error")
    })
    .await;
    let (_, cam) = s
        .call(
            Method::GET,
            &format!("/api/v1/cameras/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(
        cam["status"] == "error" || cam["status"] == "reconnecting",
        "{cam}"
    );
    assert_eq!(
        cam["worker_id"], workers[0]["id"],
        "the camera records its worker"
    );
    let short = dir.path().join("short.mp4");
    cut_video(0.0, 10.0, 2.0, &short);
    let port = url_port(created["stream_url"].as_str().unwrap());
    let _back = RtspServer::start(&short, Some(port), &["--loop"]);
    until(&mut ws, Duration::from_secs(30), &mut seen, |m| {
        is_status(m, "online")
    })
    .await;
    s.stop().await;
}

fn url_port(url: &str) -> u16 {
    url.rsplit_once(':')
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Events of `kind` stored for camera `id`.
async fn stored_events(s: &TestServer, token: &str, id: i64, kind: &str) -> Vec<Value> {
    let (status, events) = s
        .call(
            Method::GET,
            &format!("/api/v1/events?camera_id={id}&event_type={kind}&limit=1000"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{events}");
    events.as_array().unwrap().clone()
}

/// Polls the stored events until `count` of `kind` exist.
async fn wait_for_events(
    s: &TestServer,
    token: &str,
    id: i64,
    kind: &str,
    count: usize,
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    loop {
        let found = stored_events(s, token, id, kind).await.len();
        if found >= count {
            return;
        }
        if Instant::now() >= deadline {
            let (_, all) = s
                .call(
                    Method::GET,
                    &format!("/api/v1/events?camera_id={id}&limit=50"),
                    Some(token),
                    None,
                )
                .await;
            panic!("{found} of {count} {kind} events after {limit:?}; events: {all:#}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A camera that keeps streaming while the server restarts (an RTSP server on a wall
/// clock, like a real camera): the person at the table during the restart is neither
/// counted entering twice nor lost; every event before the restart is kept, none is
/// written twice, and every entry has its exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_the_server_mid_visit_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("three-visitors-2x.mp4");
    // Visitors at about 5-18, 22-43 and 50-68 s of the video: 2.5-9, 11-21.5, 25-34 s here.
    cut_video(0.0, 70.0, 2.0, &clip);
    let rtsp = RtspServer::start(&clip, None, &["--live"]);
    let mut s = live_server().await;
    let admin = s.token("root", Role::Admin).await;
    let camera = json!({
        "name": "Table",
        "stream_url": rtsp.url,
        "settings": {"detector_fps": 20},
        "zones": [{"name": "table", "polygon": [
            {"x": 0.45, "y": 0.60}, {"x": 0.75, "y": 0.60}, {"x": 0.75, "y": 0.97}, {"x": 0.45, "y": 0.97}]}],
    });
    let (status, created) = s
        .call(Method::POST, "/api/v1/cameras", Some(&admin), Some(camera))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    // The second visitor sits down: restart while they are at the table.
    wait_for_events(&s, &admin, id, "zone_enter", 2, Duration::from_secs(40)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let entered = stored_events(&s, &admin, id, "zone_enter").await;
    let left = stored_events(&s, &admin, id, "zone_exit").await;
    let before: Vec<Value> = entered
        .iter()
        .map(|e| e["event_data"]["id"].clone())
        .collect();
    let inside: Vec<Value> = entered
        .iter()
        .map(|e| e["event_data"]["track_id"].clone())
        .filter(|t| !left.iter().any(|x| x["event_data"]["track_id"] == *t))
        .collect();
    assert_eq!(
        inside.len(),
        1,
        "restarting with one person at the table: {entered:?} {left:?}"
    );
    let saved = s.data_dir.path().join(format!("engines/camera-{id}.json"));
    let restarted_at = chrono::Utc::now();
    s.restart().await;
    // Saved at shutdown, resumed and checkpointed again by the new server's camera.
    let deadline = Instant::now() + Duration::from_secs(10);
    while checkpoint_time(&saved).is_none_or(|t| t < restarted_at) {
        assert!(
            Instant::now() < deadline,
            "the new server did not resume the engine"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The third visitor sits from about 25 s to 34 s of the 35 s stream: wait until
    // their visit is stored and nobody is inside any more.
    wait_for_events(&s, &admin, id, "zone_visit", 3, Duration::from_secs(60)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let (enters, exits) = loop {
        let enters = stored_events(&s, &admin, id, "zone_enter").await;
        let exits = stored_events(&s, &admin, id, "zone_exit").await;
        if enters.len() == exits.len() {
            break (enters, exits);
        }
        assert!(
            Instant::now() < deadline,
            "a stay never ended: {enters:?} {exits:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let visits = stored_events(&s, &admin, id, "zone_visit").await;
    drop(rtsp);
    let field = |events: &[Value], name: &str| -> Vec<Value> {
        events
            .iter()
            .map(|e| e["event_data"][name].clone())
            .collect()
    };
    // One visit per visitor: without the resumed engine, the visitor at the table during
    // the restart would get a new track, enter again and be a fourth visitor.
    assert_eq!(visits.len(), 3, "visits: {:?}", field(&visits, "id"));
    let ids = field(&enters, "id");
    for id in &before {
        assert!(ids.contains(id), "event {id} from before the restart kept");
    }
    // Every entry has its exit, per track (the same track ids on both sides of the
    // restart), and the stay that spanned the restart ended after it.
    let mut tracks = field(&enters, "track_id");
    let mut exit_tracks = field(&exits, "track_id");
    tracks.sort_by_key(|t| t.as_u64());
    exit_tracks.sort_by_key(|t| t.as_u64());
    assert_eq!(tracks, exit_tracks, "entries and exits per track");
    let spanning = Some(&inside[0]);
    let dwell_of_spanning: Vec<f64> = exits
        .iter()
        .filter(|e| Some(&e["event_data"]["track_id"]) == spanning)
        .map(|e| e["event_data"]["dwell_s"].as_f64().unwrap())
        .collect();
    assert!(
        dwell_of_spanning.iter().sum::<f64>() > 1.5,
        "the stay across the restart: {dwell_of_spanning:?}"
    );
    s.stop().await;
}

/// When the engine checkpoint in `file` was taken, if there is one.
fn checkpoint_time(file: &std::path::Path) -> Option<chrono::DateTime<chrono::Utc>> {
    let saved: Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    saved["saved_at"].as_str()?.parse().ok()
}

/// Issue 10, faults: the camera's ffmpeg process is killed (out of memory, an operator,
/// a crash). The camera reconnects by itself, keeps storing, and no result or event is
/// stored twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_ffmpeg_is_replaced_and_nothing_is_stored_twice() {
    let dir = tempfile::tempdir().unwrap();
    // A name no other test's ffmpeg has, to find (and kill) only this camera's process.
    let clip = dir.path().join("ffmpeg-kill-target.mp4");
    cut_video(30.0, 6.0, 1.0, &clip);
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.live.enabled = true;
        c.live.model = model();
        c.live.result_interval_s = 1;
        c.live.max_backoff_s = 1;
        c.cameras.allowed_schemes.push("file".into());
    })
    .await;
    let user = s.token("uma", Role::User).await;
    let camera = json!({"name": "Door", "stream_url": format!("file://{}", clip.display()),
                        "settings": {"detector_fps": 2, "loop_file": true}});
    let (status, body) = s
        .call(Method::POST, "/api/v1/cameras", Some(&user), Some(camera))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    s.results_grow(id, 2).await;
    let ffmpeg = || -> Vec<String> {
        let out = std::process::Command::new("pgrep")
            .args(["-f", "ffmpeg.*ffmpeg-kill-target"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let killed = ffmpeg();
    assert_eq!(killed.len(), 1, "one ffmpeg for the camera: {killed:?}");
    assert!(
        std::process::Command::new("kill")
            .args(["-KILL", &killed[0]])
            .status()
            .unwrap()
            .success()
    );
    // A new ffmpeg, and the camera stores again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = ffmpeg();
        if !now.is_empty() && now != killed {
            break;
        }
        assert!(Instant::now() < deadline, "no new ffmpeg: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = s.stored_results(id).await;
    s.results_grow(id, before + 2).await;
    let statuses: Vec<String> = stored_events(&s, &user, id, "status_change")
        .await
        .iter()
        .map(|e| e["event_data"]["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        statuses.iter().any(|s| s == "reconnecting" || s == "error"),
        "the loss shows in the history: {statuses:?}"
    );
    // Nothing twice: every stored event id is unique.
    let (_, events) = s
        .call(
            Method::GET,
            &format!("/api/v1/events?camera_id={id}&limit=1000"),
            Some(&user),
            None,
        )
        .await;
    let mut ids: Vec<String> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event_data"]["id"].as_str().map(String::from))
        .collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all, "an event stored twice");
    s.stop().await;
}
