//! `footfall backup` / `footfall restore` (issue 12): a round trip on SQLite and
//! PostgreSQL taken while a camera writes (scripted camera, real server, real binary,
//! real pg_dump / pg_restore), and the refusals that keep a restore from destroying
//! anything by mistake.

mod common;
use common::*;
use footfall_live::clock::SystemClock;
use footfall_live::testing::{ScriptedCamera, pacing_person};
use footfall_server::testutil::TestServer;
use footfall_store::testing::TestDb;
use footfall_store::{Backend, Bucket, ResultQuery, Role, Store, StoreOptions};
use reqwest::Method;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const STREAM: &str = "rtsp://scripted.test/door";

/// A configuration file for the CLI pointing at `url` and `data_dir`.
fn config_file(dir: &Path, name: &str, url: &str, data_dir: &Path) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "[database]\nurl = {}\ndata_dir = {}\n",
        toml_string(url),
        toml_string(&data_dir.display().to_string())
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Runs `footfall` with `args` off the async runtime; (success, stderr).
async fn footfall_cli(args: Vec<String>) -> (bool, String) {
    tokio::task::spawn_blocking(move || {
        let out = footfall().args(&args).output().unwrap();
        (out.status.success(), stderr(&out))
    })
    .await
    .unwrap()
}

fn all_results(camera: i64) -> ResultQuery {
    let now = chrono::Utc::now();
    ResultQuery {
        camera_id: Some(camera),
        from: now - chrono::Duration::hours(1),
        to: now + chrono::Duration::hours(1),
        bucket: Bucket::Raw,
        time_zone: chrono_tz::UTC,
        limit: 100_000,
        offset: 0,
    }
}

async fn round_trip_while_a_camera_writes(backend: Backend) {
    let cameras = ScriptedCamera::by_url(
        Arc::new(SystemClock::default()),
        10.0,
        [(STREAM.to_string(), vec![pacing_person(3000)])].into(),
        None,
    );
    let s = TestServer::start_with_scripted_cameras(
        backend,
        |c| c.live.result_interval_s = 1,
        cameras.sources(),
    )
    .await;
    let user = s.token("uma", Role::User).await;
    let camera = json!({"name": "Door", "stream_url": STREAM, "settings": {"detector_fps": 10}});
    let (status, body) = s
        .call(Method::POST, "/api/v1/cameras", Some(&user), Some(camera))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let before_backup = s.results_grow(id, 1).await;

    let work = tempfile::tempdir().unwrap();
    let config = config_file(work.path(), "source.toml", &s.db.url, s.data_dir.path());
    let backup_dir = work.path().join("backup");
    let backup_args = vec![
        "backup".to_string(),
        "--config".into(),
        config.display().to_string(),
        "--to".into(),
        backup_dir.display().to_string(),
    ];
    let (ok, err) = footfall_cli(backup_args.clone()).await;
    assert!(ok, "{backend:?} backup: {err}");
    assert!(err.contains("backup written"), "{err}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(backup_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["secrets_included"], true, "{manifest}");
    // The camera went on writing during and after the backup.
    let after_backup = s.stored_results(id).await;
    s.results_grow(id, after_backup).await;
    // Never over an earlier backup.
    let (ok, err) = footfall_cli(backup_args).await;
    assert!(!ok && err.contains("not empty"), "{err}");

    // Restore into a fresh database and data directory.
    let target = TestDb::new(backend).await;
    let target_data = work.path().join("restored-data");
    let target_config = config_file(work.path(), "target.toml", &target.url, &target_data);
    let restore_args = |force: bool| {
        let mut args = vec![
            "restore".to_string(),
            "--config".into(),
            target_config.display().to_string(),
            "--from".into(),
            backup_dir.display().to_string(),
        ];
        if force {
            args.push("--force".into());
        }
        args
    };
    let (ok, err) = footfall_cli(restore_args(false)).await;
    assert!(ok, "{backend:?} restore: {err}");
    assert_eq!(
        std::fs::read(target_data.join("secrets.toml")).unwrap(),
        std::fs::read(s.data_dir.path().join("secrets.toml")).unwrap(),
        "the key that decrypts camera credentials comes back"
    );

    // Every restored row is the original's row, and nothing stored before the backup
    // began is missing.
    let restored = Store::connect(&target.url, &StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(restored.pending_migrations().await.unwrap(), 0);
    let original = &s.state().store;
    let ours = restored.raw_results(&all_results(id)).await.unwrap().items;
    let theirs = original.raw_results(&all_results(id)).await.unwrap().items;
    assert!(
        ours.len() >= before_backup && ours.len() < theirs.len(),
        "{backend:?}: {} restored, {before_backup} before the backup, {} now",
        ours.len(),
        theirs.len()
    );
    for row in &ours {
        let same = theirs.iter().find(|r| r.id == row.id);
        assert_eq!(Some(row), same, "{backend:?}: row {} differs", row.id);
    }
    // A count query over the restored rows answers as the original does over them.
    let mut hourly = all_results(id);
    hourly.bucket = Bucket::Hour;
    hourly.to = ours.iter().map(|r| r.timestamp).max().unwrap() + chrono::Duration::milliseconds(1);
    let restored_hours = restored.bucketed_results(&hourly).await.unwrap().items;
    let (people_in, people_out): (i64, i64) = restored_hours
        .iter()
        .fold((0, 0), |(i, o), b| (i + b.people_in, o + b.people_out));
    assert_eq!(
        (people_in, people_out),
        ours.iter().fold((0, 0), |(i, o), r| (
            i + i64::from(r.people_in),
            o + i64::from(r.people_out)
        ))
    );
    assert_eq!(
        restored.user_by_login("uma").await.unwrap().map(|u| u.id),
        original.user_by_login("uma").await.unwrap().map(|u| u.id)
    );
    assert_eq!(
        restored.camera(id).await.unwrap().name,
        "Door",
        "cameras come back"
    );
    restored.close().await;

    // The target holds data now: a second restore refuses, unless forced.
    let (ok, err) = footfall_cli(restore_args(false)).await;
    assert!(!ok && err.contains("holds data"), "{err}");
    let (ok, err) = footfall_cli(restore_args(true)).await;
    assert!(ok, "{backend:?} forced restore: {err}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_round_trip_while_a_camera_writes() {
    round_trip_while_a_camera_writes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_round_trip_while_a_camera_writes() {
    round_trip_while_a_camera_writes(Backend::Postgres).await;
}

/// A damaged backup, a backup of the other backend and a different secrets file are
/// refused before anything is changed.
#[tokio::test]
async fn a_restore_refuses_damage_other_backends_and_foreign_secrets() {
    let source = TestDb::new(Backend::Sqlite).await;
    source.store().await.close().await;
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("secrets.toml"), "# the backup's keys\n").unwrap();
    let config = config_file(work.path(), "source.toml", &source.url, &data);
    let backup_dir = work.path().join("backup");
    let (ok, err) = footfall_cli(vec![
        "backup".into(),
        "--config".into(),
        config.display().to_string(),
        "--to".into(),
        backup_dir.display().to_string(),
    ])
    .await;
    assert!(ok, "{err}");
    let restore = |config: &Path| {
        vec![
            "restore".to_string(),
            "--config".into(),
            config.display().to_string(),
            "--from".into(),
            backup_dir.display().to_string(),
        ]
    };

    // Another backend.
    let postgres = TestDb::new(Backend::Postgres).await;
    let pg_config = config_file(work.path(), "pg.toml", &postgres.url, &data);
    let (ok, err) = footfall_cli(restore(&pg_config)).await;
    assert!(!ok && err.contains("same kind"), "{err}");

    // Secrets that are not the backup's.
    let target_data = work.path().join("target");
    std::fs::create_dir_all(&target_data).unwrap();
    std::fs::write(target_data.join("secrets.toml"), "# other keys\n").unwrap();
    let target_db = target_data.join("footfall.db");
    let target_config = config_file(
        work.path(),
        "target.toml",
        &format!("sqlite://{}", target_db.display()),
        &target_data,
    );
    let (ok, err) = footfall_cli(restore(&target_config)).await;
    assert!(!ok && err.contains("differs"), "{err}");
    assert!(!target_db.exists(), "nothing restored");

    // A damaged file.
    let db_file = backup_dir.join("footfall.db");
    let mut bytes = std::fs::read(&db_file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&db_file, bytes).unwrap();
    std::fs::remove_file(target_data.join("secrets.toml")).unwrap();
    let (ok, err) = footfall_cli(restore(&target_config)).await;
    assert!(!ok && err.contains("damaged"), "{err}");
    assert!(!target_db.exists(), "nothing restored");
}

/// Bad input names the problem on one line and exits non-zero, leaving nothing behind:
/// an unwritable target, no database, a missing or foreign or truncated backup, a backup
/// of a newer schema.
#[tokio::test]
async fn bad_input_names_the_problem() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let db = data.join("footfall.db");
    let config = config_file(
        work.path(),
        "footfall.toml",
        &format!("sqlite://{}", db.display()),
        &data,
    );
    let run = |args: &[&str]| {
        let mut all = vec![args[0].to_string(), "--config".into()];
        all.push(config.display().to_string());
        all.extend(args[1..].iter().map(|a| a.to_string()));
        footfall_cli(all)
    };
    let path = |p: &Path| p.display().to_string();

    // No database yet: nothing to back up, and no directory left behind.
    let target = work.path().join("first");
    let (ok, err) = run(&["backup", "--to", &path(&target)]).await;
    assert!(!ok && err.contains("nothing to back up"), "{err}");
    assert!(!target.exists(), "no half backup left");

    std::fs::create_dir_all(&data).unwrap();
    let store = Store::connect(
        &format!("sqlite://{}", db.display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    // A target under a file cannot be created.
    let blocker = work.path().join("a-file");
    std::fs::write(&blocker, b"").unwrap();
    let (ok, err) = run(&["backup", "--to", &path(&blocker.join("backup"))]).await;
    assert!(!ok && err.contains("--to: creating"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    let good = work.path().join("good");
    let (ok, err) = run(&["backup", "--to", &path(&good)]).await;
    assert!(ok, "{err}");

    // Missing and foreign directories.
    let (ok, err) = run(&["restore", "--from", &path(&work.path().join("none"))]).await;
    assert!(!ok && err.contains("no readable manifest.json"), "{err}");
    let (ok, err) = run(&["restore", "--from", &path(&data)]).await;
    assert!(!ok && err.contains("not a footfall backup"), "{err}");

    // A newer schema than this build runs.
    let manifest_path = good.join("manifest.json");
    let original = std::fs::read_to_string(&manifest_path).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&original).unwrap();
    manifest["schema_version"] = json!(999);
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let (ok, err) = run(&["restore", "--from", &path(&good), "--force"]).await;
    assert!(!ok && err.contains("newer than this footfall's"), "{err}");
    std::fs::write(&manifest_path, original).unwrap();

    // Truncated: the database copy cut short.
    let copy = good.join("footfall.db");
    let bytes = std::fs::read(&copy).unwrap();
    std::fs::write(&copy, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, err) = run(&["restore", "--from", &path(&good), "--force"]).await;
    assert!(!ok && err.contains("damaged"), "{err}");
    // The database restored nothing over: it still opens with its schema.
    let store = Store::connect(
        &format!("sqlite://{}", db.display()),
        &StoreOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(store.pending_migrations().await.unwrap(), 0);
}
