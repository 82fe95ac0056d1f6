//! The live writer loses nothing and writes nothing twice when the database goes away:
//! a private PostgreSQL server (initdb + pg_ctl on a free port, never the shared one) is
//! stopped in the middle of a stream of results and events, and started again.

use chrono::Utc;
use footfall_live::CameraService;
use footfall_live::clock::SystemClock;
use footfall_live::runner::Output;
use footfall_live::writer::Writer;
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

/// A private PostgreSQL (to stop and start), a migrated store on it with one camera, and
/// a data directory.
async fn private_database_with_a_camera() -> (PrivatePostgres, Store, i64, tempfile::TempDir) {
    let pg = PrivatePostgres::start();
    let options = StoreOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let store = Store::connect(&pg.url(), &options).await.unwrap();
    store.migrate().await.unwrap();
    let camera = store
        .create_camera(&camera_write("door"), Utc::now())
        .await
        .unwrap()
        .id;
    let data = tempfile::tempdir().unwrap();
    (pg, store, camera, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_spills_then_replays_exactly_once() {
    let (pg, store, camera, data) = private_database_with_a_camera().await;
    let spill: PathBuf = data.path().join("spill.jsonl");
    let (tx, rx) = tokio::sync::mpsc::channel(1000);
    let dead_letter = data.path().join("deadletter.jsonl");
    let state = writer_service(&store, &spill, &dead_letter);
    let writer = tokio::spawn(Writer::new(state.clone()).run(rx));

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
    assert!(!dead_letter.exists(), "an outage refuses no row for good");
}

/// The camera service a writer runs in, over `store`, writing to these files.
fn writer_service(store: &Store, spill: &Path, dead_letter: &Path) -> Arc<CameraService> {
    let config = footfall_live::LiveConfig {
        spill_file: Some(spill.to_path_buf()),
        dead_letter_file: Some(dead_letter.to_path_buf()),
        ..Default::default()
    };
    let data_dir = spill.parent().unwrap().to_path_buf();
    let clock = Arc::new(SystemClock::default());
    Arc::new(CameraService::new(config, data_dir, store.clone(), clock))
}

fn camera_write(name: &str) -> CameraWrite {
    CameraWrite {
        name: name.into(),
        description: None,
        stream_url: "rtsp://cam/live".into(),
        stream_type: "rtsp".into(),
        location: None,
        coordinates: None,
        settings: serde_json::json!({}),
        metadata: serde_json::json!({}),
        security_config: serde_json::json!({}),
        enabled: true,
    }
}

/// Issue 10, item 1: a row the database refuses for good (its camera was removed) is set
/// aside with its error; the rows beside it and after it are stored, live and on replay,
/// and nothing goes to the spill file while the database is fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_is_set_aside_and_blocks_nothing() {
    for backend in [
        footfall_store::Backend::Sqlite,
        footfall_store::Backend::Postgres,
    ] {
        let db = footfall_store::testing::TestDb::new(backend).await;
        let store = db.store().await;
        let kept = store
            .create_camera(&camera_write("kept"), Utc::now())
            .await
            .unwrap()
            .id;
        let gone = store
            .create_camera(&camera_write("gone"), Utc::now())
            .await
            .unwrap()
            .id;
        let data = tempfile::tempdir().unwrap();
        let spill = data.path().join("spill.jsonl");
        let dead_letter = data.path().join("deadletter.jsonl");
        // A spill file left by an earlier outage whose first batch can never be stored
        // (camera 999 does not exist): replay must not stall on it.
        let mut poison = NewResult::counts(999, Utc::now(), 1, 1, 0);
        poison.client_id = Some("old/result/1".into());
        let mut good = NewResult::counts(kept, Utc::now(), 1, 1, 0);
        good.client_id = Some("old/result/2".into());
        std::fs::write(
            &spill,
            format!(
                "{}\n{}\n",
                serde_json::json!({"results": [poison], "events": []}),
                serde_json::json!({"results": [good], "events": []})
            ),
        )
        .unwrap();
        let state = writer_service(&store, &spill, &dead_letter);
        let (tx, rx) = tokio::sync::mpsc::channel(1000);
        let writer = tokio::spawn(Writer::new(state.clone()).run(rx));
        wait_for("the replay", Duration::from_secs(20), async || {
            !spill.exists() && stored(&store, kept).await == 1
        })
        .await;

        // The camera disappears under a running pipeline (what a DELETE did before it
        // drained the camera first): its next rows share a batch with another camera's.
        store.delete_camera(gone).await.unwrap();
        for n in 1..=3 {
            tx.send(result(kept, n)).await.unwrap();
        }
        tx.send(result(gone, 4)).await.unwrap();
        tx.send(event(gone, 5)).await.unwrap();
        tx.send(result(kept, 6)).await.unwrap();
        wait_for(
            "the other camera's rows",
            Duration::from_secs(20),
            async || stored(&store, kept).await == 5,
        )
        .await;
        tx.send(result(kept, 7)).await.unwrap();
        wait_for(
            "rows after the refused ones",
            Duration::from_secs(20),
            async || stored(&store, kept).await == 6,
        )
        .await;
        drop(tx);
        writer.await.unwrap();
        assert!(!spill.exists(), "the database was fine: nothing spilled");
        let letters: Vec<serde_json::Value> = std::fs::read_to_string(&dead_letter)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let kinds: Vec<(&str, i64)> = letters
            .iter()
            .map(|l| {
                (
                    l["kind"].as_str().unwrap(),
                    l["row"]["camera_id"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [("result", 999), ("event", gone), ("result", gone)],
            "{backend:?}: exactly the refused rows, each with its error: {letters:?}"
        );
        assert!(
            letters
                .iter()
                .all(|l| l["error"].as_str().is_some_and(|e| !e.is_empty()))
        );
        assert_eq!(
            state
                .metrics
                .rows_dead_lettered
                .load(std::sync::atomic::Ordering::Relaxed),
            3
        );
    }
}

fn spill_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Issue 10, faults: the database is down and the spill file cannot be written. Nothing
/// can be kept: the loss is counted (`footfall_rows_lost_total`), logged, and the
/// camera's live status turns `error` with the reason until rows are kept again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_spill_file_is_reported_not_silent() {
    let (pg, store, camera, data) = private_database_with_a_camera().await;
    // A spill "directory" that is a file: no process, root included, can write there.
    let blocker = data.path().join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let spill = blocker.join("spill.jsonl");
    let (tx, rx) = tokio::sync::mpsc::channel(1000);
    let state = writer_service(&store, &spill, &data.path().join("dead.jsonl"));
    let writer = tokio::spawn(Writer::new(state.clone()).run(rx));
    tx.send(Output::Status {
        camera_id: camera,
        status: footfall_store::CameraStatus::Online,
        reason: None,
    })
    .await
    .unwrap();
    tx.send(result(camera, 1)).await.unwrap();
    wait_for("the first result", Duration::from_secs(10), async || {
        stored(&store, camera).await == 1
    })
    .await;
    let live_status = |state: &CameraService| {
        state
            .hub
            .cameras()
            .into_iter()
            .find(|c| c.camera_id == camera)
            .map(|c| serde_json::to_value(&c).unwrap())
            .unwrap_or_default()
    };

    pg.down();
    for n in 2..=4 {
        tx.send(result(camera, n)).await.unwrap();
    }
    let lost = || {
        state
            .metrics
            .rows_lost
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    wait_for(
        "the loss to be counted",
        Duration::from_secs(30),
        async || lost() >= 3,
    )
    .await;
    let now = live_status(&state);
    assert_eq!(now["status"], "error", "{now}");
    let reason = now["status_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("being lost") && reason.contains("spill file"),
        "{now}"
    );
    let mut metrics = String::new();
    state.render_metrics(&mut metrics);
    assert!(metrics.contains("footfall_rows_lost_total 3"), "{metrics}");

    // The database is back: rows are kept again and the camera's own status returns.
    pg.up();
    tx.send(result(camera, 5)).await.unwrap();
    wait_for("rows kept again", Duration::from_secs(30), async || {
        stored(&store, camera).await == 2
    })
    .await;
    wait_for(
        "the camera's status restored",
        Duration::from_secs(10),
        async || live_status(&state)["status"] == "online",
    )
    .await;
    drop(tx);
    writer.await.unwrap();
}
