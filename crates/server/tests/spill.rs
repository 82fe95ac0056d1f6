//! The live writer loses nothing and writes nothing twice when the database goes away:
//! a private PostgreSQL server (initdb + pg_ctl on a free port, never the shared one) is
//! stopped in the middle of a stream of results and events, and started again.

use chrono::Utc;
use footfall_server::clock::SystemClock;
use footfall_server::mail::LogMailer;
use footfall_server::state::{AppState, Services};
use footfall_server::supervisor::runner::Output;
use footfall_server::supervisor::writer::Writer;
use footfall_store::{
    Bucket, CameraWrite, EventSeverity, NewEvent, NewResult, ResultQuery, Store, StoreOptions,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A PostgreSQL cluster of its own in a temp dir (run as the `postgres` user when this
/// process is root, since initdb refuses root).
struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
}

fn as_postgres(program: &str) -> Command {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    };
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

impl PrivatePostgres {
    fn start() -> PrivatePostgres {
        let dir = tempfile::tempdir().unwrap();
        if is_root() {
            assert!(
                Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(dir.path())
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = PrivatePostgres { dir, port };
        let ok = as_postgres("initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["-A", "trust", "-U", "postgres"])
            .status()
            .unwrap();
        assert!(ok.success(), "initdb");
        pg.up();
        pg
    }
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        let ok = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(log)
            .args(["-w", "start"])
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl start");
    }
    fn down(&self) {
        let ok = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl stop");
    }
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .status();
    }
}

fn result(camera: i64, n: u32) -> Output {
    let mut r = NewResult::counts(camera, Utc::now(), 1, 1, 0);
    r.client_id = Some(format!("run1/result/{n}"));
    Output::Result(r)
}

fn event(camera: i64, n: u32) -> Output {
    Output::Events(vec![NewEvent {
        camera_id: camera,
        event_type: "line_in".into(),
        event_data: serde_json::json!({"n": n}),
        timestamp: Utc::now(),
        confidence_score: None,
        severity: EventSeverity::Low,
        client_id: Some(format!("run1/line_in/door/{n}/0")),
    }])
}

async fn stored(store: &Store, camera: i64) -> usize {
    let q = ResultQuery {
        camera_id: Some(camera),
        from: Utc::now() - chrono::Duration::hours(1),
        to: Utc::now() + chrono::Duration::hours(1),
        bucket: Bucket::Raw,
        time_zone: chrono_tz::UTC,
        limit: 1,
        offset: 0,
    };
    store
        .raw_results(&q)
        .await
        .map(|p| p.total)
        .unwrap_or(usize::MAX)
}

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_spills_then_replays_exactly_once() {
    let pg = PrivatePostgres::start();
    let options = StoreOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(2),
    };
    let store = Store::connect(&pg.url(), &options).await.unwrap();
    store.migrate().await.unwrap();
    let camera = CameraWrite {
        name: "door".into(),
        description: None,
        stream_url: "rtsp://cam/live".into(),
        stream_type: "rtsp".into(),
        location: None,
        coordinates: None,
        settings: serde_json::json!({}),
        metadata: serde_json::json!({}),
        security_config: serde_json::json!({}),
        enabled: true,
    };
    let camera = store.create_camera(&camera, Utc::now()).await.unwrap().id;
    let data = tempfile::tempdir().unwrap();
    let config = footfall_server::testutil::test_config(data.path());
    let services = Services {
        store: store.clone(),
        mailer: Arc::new(LogMailer),
        clock: Arc::new(SystemClock),
    };
    let state = AppState::new(config, services).await.unwrap();
    let spill: PathBuf = data.path().join("spill.jsonl");
    let (tx, rx) = tokio::sync::mpsc::channel(1000);
    let writer = tokio::spawn(Writer::new(state.clone(), spill.clone()).run(rx));

    for n in 1..=5 {
        tx.send(result(camera, n)).await.unwrap();
    }
    tx.send(event(camera, 1)).await.unwrap();
    wait_for("the first results", Duration::from_secs(10), async || {
        stored(&store, camera).await == 5
    })
    .await;

    pg.down();
    for n in 6..=10 {
        tx.send(result(camera, n)).await.unwrap();
    }
    tx.send(event(camera, 2)).await.unwrap();
    // A result sent again (same client id) after a reconnect of its camera.
    tx.send(result(camera, 3)).await.unwrap();
    wait_for("the spill file", Duration::from_secs(20), async || {
        spill_lines(&spill) > 0
    })
    .await;

    pg.up();
    wait_for("the replay", Duration::from_secs(60), async || {
        !spill.exists() && stored(&store, camera).await == 10
    })
    .await;
    let events = store
        .list_events(&footfall_store::EventFilter {
            camera_id: Some(camera),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        events.iter().filter(|e| e.event_type == "line_in").count(),
        2,
        "both events, once each"
    );
    // Everything, once, in order: later results carry later ids.
    tx.send(result(camera, 11)).await.unwrap();
    wait_for("live writes again", Duration::from_secs(10), async || {
        stored(&store, camera).await == 11
    })
    .await;
    drop(tx);
    writer.await.unwrap();
}

fn spill_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}
