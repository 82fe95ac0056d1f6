//! `footfall bench-api`: the platform benchmarks of the platform issue, on a fresh
//! database (SQLite temp file, or a new PostgreSQL database on the test server).
//!
//! 1. Ingest: `cameras` x `days` of one result per `interval_s`, written through
//!    `Store::insert_results` in batches (rows/s, the same path the ingest API and the
//!    live service use).
//! 2. Counts query: `GET /api/v1/cameras/{id}/counts?bucket=hour` over the whole range
//!    for random cameras, open loop at `rate` requests/s for `seconds` (p50 / p99 / max).
//! 3. Login: `logins` sequential logins with the production argon2id parameters.
//! 4. HTTP ingest: `http_rows` results through `POST /api/v1/ingest/counts` with a device
//!    key, 5,000 per request, each with a client id (idempotency receipts included).
//! 5. Backup of the whole database and its restore into a fresh one (time, size).
//!
//! The server runs in this process and shares the machine with the load generator, so
//! the numbers are conservative.

use anyhow::{Context, Result, anyhow};
use chrono::{Duration, Utc};
use footfall_store::testing::TestDb;
use footfall_store::{Backend, CameraWrite, NewResult};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// sqlite or postgres (a fresh database on FOOTFALL_TEST_POSTGRES_URL's server).
    #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "postgres"])]
    pub backend: String,
    #[arg(long, default_value_t = 50)]
    pub cameras: i64,
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Seconds between results of one camera.
    #[arg(long, default_value_t = 60)]
    pub interval_s: i64,
    /// Rows per insert batch.
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Counts queries per second (open loop).
    #[arg(long, default_value_t = 500)]
    pub rate: u32,
    /// Seconds of counts-query load.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    #[arg(long, default_value_t = 20)]
    pub logins: usize,
    /// Rows pushed through POST /api/v1/ingest/counts (batches of 5,000, with ids).
    #[arg(long, default_value_t = 200_000)]
    pub http_rows: usize,
}

/// The `p` quantile (0..=1) of sorted samples, nearest rank; NaN when empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn run(args: Args) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(args))
}

async fn bench(args: Args) -> Result<ExitCode> {
    let backend = if args.backend == "postgres" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let db = TestDb::new(backend).await;
    let data_dir = tempfile::tempdir()?;
    let mut config = footfall_server::config::Config::default();
    config.database.url = Some(footfall_server::config::Secret::new(db.url.clone()));
    config.database.data_dir = data_dir.path().to_path_buf();
    config.auth.login_per_ip_per_minute = 100_000;
    config.logging.level = "warn".into();
    let store = footfall_server::open_store(&config).await?;

    // 1. Ingest.
    let now = Utc::now();
    let start = now - Duration::days(args.days);
    let mut camera_ids = Vec::new();
    for i in 0..args.cameras {
        let camera = CameraWrite {
            name: format!("bench-{i}"),
            description: None,
            stream_url: "rtsp://bench.local/live".into(),
            stream_type: "rtsp".into(),
            location: None,
            coordinates: None,
            settings: serde_json::json!({}),
            metadata: serde_json::json!({}),
            security_config: serde_json::json!({}),
            enabled: true,
        };
        camera_ids.push(store.create_camera(&camera, now).await?.id);
    }
    let per_camera = args.days * 86_400 / args.interval_s;
    let total = per_camera * args.cameras;
    eprintln!(
        "ingest: {} cameras x {per_camera} results = {total} rows ({:?})",
        args.cameras, backend
    );
    let began = Instant::now();
    let mut batch = Vec::with_capacity(args.batch);
    let mut written = 0i64;
    // Time-major order, as live cameras produce them: every camera's result for t, then t+1.
    for k in 0..per_camera {
        let t = start + Duration::seconds(k * args.interval_s);
        for (c, id) in camera_ids.iter().enumerate() {
            let mut r = NewResult::counts(
                *id,
                t,
                ((k + c as i64) % 7) as i32,
                (k % 3) as i32,
                (k % 2) as i32,
            );
            r.confidence_score = Some(0.8);
            r.detection_count = 2;
            batch.push(r);
            if batch.len() == args.batch {
                written += store.insert_results(&batch, None).await?.inserted as i64;
                batch.clear();
            }
        }
        if k % (per_camera / 10).max(1) == 0 {
            eprint!("\r  {:>3}%", k * 100 / per_camera);
        }
    }
    written += store.insert_results(&batch, None).await?.inserted as i64;
    let ingest_s = began.elapsed().as_secs_f64();
    eprintln!("\r  100%");
    println!(
        "ingest ({backend:?}): {written} rows in {ingest_s:.1} s = {:.0} rows/s (batches of {})",
        written as f64 / ingest_s,
        args.batch
    );

    // 2. Server and counts query load.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let server = footfall_server::boot(config, listener).await?;
    let base = format!("http://{}", server.addr);
    let password = "Bench-Password-2026";
    let params = server.state.password;
    let hash = footfall_server::auth::password::hash(password, params)
        .await
        .map_err(|e| anyhow!("{:?}", e.body))?;
    store
        .create_user(
            &footfall_store::NewUser {
                username: "bench".into(),
                email: "bench@example.com".into(),
                password_hash: hash,
                first_name: None,
                last_name: None,
                role: footfall_store::Role::Viewer,
                email_verified: true,
            },
            now,
        )
        .await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let mut login_ms = Vec::new();
    let mut token = String::new();
    for _ in 0..args.logins {
        let t = Instant::now();
        token = super::bench_live::login(&client, &base, password).await?;
        login_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    login_ms.sort_by(f64::total_cmp);
    println!(
        "login: p50 {:.1} ms, p99 {:.1} ms over {} logins (argon2id m={} KiB, t={}, p=1)",
        percentile(&login_ms, 0.5),
        percentile(&login_ms, 0.99),
        args.logins,
        params.memory_kib,
        params.iterations
    );

    let from = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let requests = args.rate as u64 * args.seconds;
    let latencies = Arc::new(std::sync::Mutex::new(Vec::with_capacity(requests as usize)));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut ticker =
        tokio::time::interval(std::time::Duration::from_secs_f64(1.0 / args.rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let began = Instant::now();
    let mut tasks = Vec::with_capacity(requests as usize);
    for i in 0..requests {
        ticker.tick().await;
        let camera = camera_ids[(i as usize * 7919) % camera_ids.len()];
        let url = format!("{base}/api/v1/cameras/{camera}/counts?bucket=hour&from={from}&to={to}");
        let (client, token, latencies, errors) = (
            client.clone(),
            token.clone(),
            latencies.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            match client.get(url).bearer_auth(token).send().await {
                Ok(r) if r.status().is_success() => {
                    let _ = r.bytes().await;
                    latencies
                        .lock()
                        .unwrap()
                        .push(t.elapsed().as_secs_f64() * 1e3);
                }
                _ => {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let wall = began.elapsed().as_secs_f64();
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort_by(f64::total_cmp);
    println!(
        "counts?bucket=hour over {} days ({} buckets), {:?}: {} requests at {} req/s offered, {:.0} req/s served, \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, errors {}",
        args.days,
        args.days * 24,
        backend,
        lat.len(),
        args.rate,
        lat.len() as f64 / wall,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        errors.load(std::sync::atomic::Ordering::Relaxed)
    );
    // 4. HTTP ingest.
    let key = "ff_bench_key_0123456789abcdefghijklmnopqrstuvwxyz";
    store
        .create_api_key(
            &footfall_store::NewApiKey {
                name: "bench".into(),
                key_prefix: key[..10].into(),
                key_hash: footfall_server::crypto::token_hash(key),
                camera_ids: camera_ids.clone(),
                created_by: None,
            },
            now,
        )
        .await?;
    let began = Instant::now();
    let mut pushed = 0usize;
    let mut n = 0usize;
    while pushed < args.http_rows {
        let items: Vec<serde_json::Value> = (0..5_000.min(args.http_rows - pushed))
            .map(|_| {
                n += 1;
                serde_json::json!({
                    "id": format!("bench-{n}"),
                    "camera_id": camera_ids[n % camera_ids.len()],
                    "timestamp": (now - Duration::seconds((n % 3600) as i64)).to_rfc3339(),
                    "people_count": 2, "people_in": 1, "people_out": 0,
                })
            })
            .collect();
        let resp: serde_json::Value = client
            .post(format!("{base}/api/v1/ingest/counts"))
            .header("x-api-key", key)
            .json(&serde_json::json!({"results": items}))
            .send()
            .await?
            .json()
            .await?;
        pushed += resp["inserted"].as_u64().context("ingest failed")? as usize;
    }
    let http_s = began.elapsed().as_secs_f64();
    println!(
        "http ingest ({backend:?}): {pushed} rows in {http_s:.1} s = {:.0} rows/s (5,000 per POST, with ids)",
        pushed as f64 / http_s
    );
    server.shutdown().await;

    // 5. Backup and restore of the whole database, as `footfall backup` / `restore` do
    //    them (SQLite: VACUUM INTO and a rename; PostgreSQL: pg_dump, then psql replaying
    //    it in one transaction), into a fresh database, checked row for row on one camera.
    let backup_dir = tempfile::tempdir()?;
    let file = backup_dir.path().join("footfall.backup");
    let began = Instant::now();
    footfall_store::backup::backup(&db.url, &file).await?;
    let backup_s = began.elapsed().as_secs_f64();
    let size_mib = std::fs::metadata(&file)?.len() as f64 / (1024.0 * 1024.0);
    let target = TestDb::new(backend).await;
    let began = Instant::now();
    footfall_store::backup::restore(&target.url, &file).await?;
    let restore_s = began.elapsed().as_secs_f64();
    let restored = footfall_store::Store::connect(&target.url, &Default::default()).await?;
    let query = footfall_store::ResultQuery {
        camera_id: Some(camera_ids[0]),
        from: start - Duration::days(1),
        to: now + Duration::days(1),
        bucket: footfall_store::Bucket::Raw,
        time_zone: chrono_tz::UTC,
        limit: 1,
        offset: 0,
    };
    let (kept, had) = (
        restored.raw_results(&query).await?.total,
        store.raw_results(&query).await?.total,
    );
    restored.close().await;
    anyhow::ensure!(kept == had, "restore lost rows: {kept} of {had}");
    let rows = written + pushed as i64;
    println!(
        "backup ({backend:?}): {rows} rows, {size_mib:.0} MiB in {backup_s:.1} s; restore into a fresh database {restore_s:.1} s ({kept} of {had} rows of camera 1 back)"
    );
    drop(db);
    Ok(ExitCode::SUCCESS)
}
