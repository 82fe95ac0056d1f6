//! Crash safety (issue 10): `footfall serve` killed with SIGKILL while a visitor sits in a
//! zone, then started again on the same data. The camera resumes from its last engine
//! checkpoint, which always matches the stored events: the visitor is not counted
//! entering twice, their stay is closed once, and nothing stored before the crash is
//! lost or stored twice.

mod common;

use common::{RtspServer, cut_video, model, platform};
use serde_json::{Value, json};
use std::process::Child;
use std::time::{Duration, Instant};

const PASSWORD: &str = "Operator-Pass-1";

/// A server process, killed when dropped (a failed assertion must not leave it running).
struct Server(Child);

impl Server {
    /// SIGKILL: no chance to save or flush anything.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `footfall serve` on a free port over `data`, with the camera service on; returns the
/// process and its address once it listens.
fn serve(data: &std::path::Path) -> (Server, String) {
    let (mut child, rx) = common::spawn_with_stderr(
        platform(data)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("FOOTFALL_AUTH__ARGON2_MEMORY_KIB", "1024")
            .env("FOOTFALL_SERVER__METRICS_BIND", "")
            .env("FOOTFALL_CAMERAS__ALLOW_LOOPBACK", "true")
            .env("FOOTFALL_LIVE__MODEL", model())
            .env("FOOTFALL_LIVE__RESULT_INTERVAL_S", "2")
            .env("FOOTFALL_LIVE__MAX_BACKOFF_S", "2"),
    );
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(60) {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        if let Some(rest) = line.strip_prefix("footfall serving on http://") {
            let addr = rest.trim().to_string();
            // Keep draining the log so the server never blocks on a full pipe.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return (Server(child), addr);
        }
        seen.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not start: {seen:#?}");
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn login(addr: &str) -> Api {
        let client = reqwest::Client::new();
        let base = format!("http://{addr}");
        let body: Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"login": "admin", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = body["access_token"]
            .as_str()
            .expect("logged in")
            .to_string();
        Api {
            client,
            base,
            token,
        }
    }

    async fn events(&self, camera: i64, kind: &str) -> Vec<Value> {
        let response = self
            .client
            .get(format!(
                "{}/api/v1/events?camera_id={camera}&event_type={kind}&limit=1000",
                self.base
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Vec<Value>>().await.unwrap()
    }

    /// Polls until `done` holds for the zone events (enters, exits, visits).
    async fn wait(
        &self,
        camera: i64,
        what: &str,
        done: impl Fn(&[Value; 3]) -> bool,
    ) -> [Vec<Value>; 3] {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let events = [
                self.events(camera, "zone_enter").await,
                self.events(camera, "zone_exit").await,
                self.events(camera, "zone_visit").await,
            ];
            let flat = [json!(events[0]), json!(events[1]), json!(events[2])];
            if done(&flat) {
                return events;
            }
            assert!(
                Instant::now() < deadline,
                "{what} never happened: {} enters, {} exits, {} visits; tracks entered {:?}, left {:?}",
                len(&flat[0]),
                len(&flat[1]),
                len(&flat[2]),
                field(&events[0], "track_id"),
                field(&events[1], "track_id"),
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

fn field(events: &[Value], name: &str) -> Vec<Value> {
    events
        .iter()
        .map(|e| e["event_data"][name].clone())
        .collect()
}

fn len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_visit_neither_double_counts_nor_leaves_a_stay_open() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("three-visitors-2x.mp4");
    // Visitors at about 2.5-9, 11-21.5 and 25-34 s of this stream.
    cut_video(0.0, 70.0, 2.0, &clip);
    let rtsp = RtspServer::start(&clip, None, &["--live"]);
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let created = platform(&data)
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
        .env("FOOTFALL_AUTH__ARGON2_MEMORY_KIB", "1024")
        .env("FOOTFALL_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let (mut first, addr) = serve(&data);
    let api = Api::login(&addr).await;
    let camera = json!({
        "name": "Table",
        "stream_url": rtsp.url,
        "settings": {"detector_fps": 20},
        "zones": [{"name": "table", "polygon": [
            {"x": 0.45, "y": 0.60}, {"x": 0.75, "y": 0.60}, {"x": 0.75, "y": 0.97}, {"x": 0.45, "y": 0.97}]}],
    });
    let response = api
        .client
        .post(format!("{}/api/v1/cameras", api.base))
        .bearer_auth(&api.token)
        .json(&camera)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();

    // The second visitor sits down; two result intervals later (checkpoints every 2 s)
    // the server is killed, without any chance to save or flush.
    let [entered, left, _] = api
        .wait(id, "the second visitor sitting down", |[enters, _, _]| {
            len(enters) >= 2
        })
        .await;
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let [entered_now, left_now, _] = api.wait(id, "a read", |_| true).await;
    let inside: Vec<Value> = field(&entered_now, "track_id")
        .into_iter()
        .filter(|t| !field(&left_now, "track_id").contains(t))
        .collect();
    assert_eq!(
        inside.len(),
        1,
        "killing with one person at the table: {entered:?} {left:?}"
    );
    let before = field(&entered_now, "id");
    first.kill();

    let (mut second, addr) = serve(&data);
    let api = Api::login(&addr).await;
    // The third visitor leaves the table at about 34 s of the 35 s stream: wait until
    // three visits are stored and every entry has its exit.
    let [enters, exits, visits] = api
        .wait(id, "three closed visits", |[enters, exits, visits]| {
            len(visits) >= 3 && len(enters) == len(exits)
        })
        .await;
    second.kill();
    drop(rtsp);

    // One visit per visitor: resuming from a stale or missing state, the visitor at the
    // table during the crash would get a new track and enter a second time.
    assert_eq!(visits.len(), 3, "visits: {:?}", field(&visits, "id"));
    let ids = field(&enters, "id");
    for id in &before {
        assert!(ids.contains(id), "event {id} stored before the crash kept");
    }
    let mut unique = ids.clone();
    unique.sort_by_key(|v| v.to_string());
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no event stored twice: {ids:?}");
    let mut tracks = field(&enters, "track_id");
    let mut exit_tracks = field(&exits, "track_id");
    tracks.sort_by_key(|t| t.as_u64());
    exit_tracks.sort_by_key(|t| t.as_u64());
    assert_eq!(tracks, exit_tracks, "every entry has its exit, per track");
    assert!(
        exit_tracks.contains(&inside[0]),
        "the stay across the crash was closed after it"
    );
}
