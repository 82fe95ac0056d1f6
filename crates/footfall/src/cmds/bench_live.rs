//! `footfall bench-live`: the live service under load on this machine. Starts the
//! server (SQLite in a temp dir) with N cameras playing a 1280x720 copy of the demo
//! video in a loop in real time, follows the WebSocket and reports:
//! - frame-to-browser latency: from the moment a frame is read from ffmpeg (its
//!   `frame_at`) to the count update carrying it arriving on a WebSocket client on
//!   loopback (p50 / p95 / max); a pipeline that falls behind shows as growing latency;
//! - CPU: this process (detector, tracker, server) and its ffmpeg children (decode),
//!   per camera, from /proc.

use super::bench_api::percentile;
use super::demo::MediaArgs;
use anyhow::{Context, Result, anyhow, bail};
use footfall_store::{NewUser, Role};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub media: MediaArgs,
    /// Cameras to run at once.
    #[arg(long, default_value_t = 1)]
    pub cameras: usize,
    /// Analysed frames per second per camera.
    #[arg(long, default_value_t = 5.0)]
    pub fps: f64,
    /// Seconds measured (after 10 s of warm-up).
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Turn the motion gate off (every frame goes to the detector).
    #[arg(long)]
    pub no_motion_gate: bool,
    /// Start every camera at once, so all play the same moment of the clip: the worst case
    /// for the shared detector (everyone's motion bursts coincide). By default cameras start
    /// spread over the clip's 60 s loop, as real cameras see people at different times.
    #[arg(long)]
    pub in_step: bool,
}

/// Length of the looped clip, seconds.
const CLIP_S: f64 = 60.0;

/// CPU seconds (user + system) of a process from /proc/PID/stat.
fn cpu_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / 100.0)
}

/// (this process, its children) CPU seconds; children still running are read directly.
fn cpu_split() -> (f64, f64) {
    let me = std::process::id();
    let own = cpu_of(me).unwrap_or(0.0);
    let mut children = 0.0;
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
            if ppid == Some(me) {
                children += cpu_of(pid).unwrap_or(0.0);
            }
        }
    }
    (own, children)
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.cameras == 0 || args.cameras > 64 {
        bail!("--cameras must be 1 to 64");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(args))
}

/// A running server with looping 720p cameras and a signed-in admin, for the live
/// benchmarks (`bench-live`, `bench-soak`).
pub(crate) struct LiveBench {
    /// Keeps the clip and the database.
    _dir: tempfile::TempDir,
    pub server: footfall_server::Server,
    /// The database, to read it again after the server stopped.
    pub database_url: String,
    pub client: reqwest::Client,
    /// `http://ADDR`.
    pub base: String,
    pub token: String,
}

/// How [`LiveBench::start`] runs its cameras.
pub(crate) struct Cameras {
    pub count: usize,
    pub fps: f64,
    pub motion_gate: bool,
    /// All at the same moment of the clip (else spread over its loop).
    pub in_step: bool,
}

impl LiveBench {
    /// Prepares a 1280x720 H.264 copy of the video, starts the server (SQLite in a temp
    /// dir, `adjust` applied to its config) and adds the cameras.
    pub(crate) async fn start(
        media: &MediaArgs,
        cameras: &Cameras,
        adjust: impl FnOnce(&mut footfall_server::config::Config),
    ) -> Result<LiveBench> {
        let dir = tempfile::tempdir()?;
        let clip = dir.path().join("camera-720p.mp4");
        eprintln!(
            "preparing a 1280x720 H.264 copy of {} ...",
            media.video.display()
        );
        let status = std::process::Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-t"])
            .arg(CLIP_S.to_string())
            .arg("-i")
            .arg(&media.video)
            .args([
                "-vf",
                "scale=1280:720",
                "-r",
                "25",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-g",
                "50",
                "-an",
            ])
            .arg(&clip)
            .status()
            .context("running ffmpeg")?;
        if !status.success() {
            bail!("ffmpeg could not prepare the 720p clip");
        }
        let mut config = footfall_server::config::Config::default();
        config.database.data_dir = dir.path().join("data");
        config.cameras.allowed_schemes.push("file".into());
        config.live.model = media
            .model
            .canonicalize()
            .with_context(|| format!("model {}", media.model.display()))?;
        config.live.max_cameras = cameras.count;
        config.logging.level = "warn".into();
        config.server.metrics_bind = None;
        adjust(&mut config);
        let database_url = config.database.resolved_url();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let server = footfall_server::boot(config, listener).await?;
        let state = server.state.clone();
        let store = state.store.clone();
        let password = "Bench-Password-2026";
        let hash = footfall_server::auth::password::hash(password, state.password)
            .await
            .map_err(|e| anyhow!(e.body.message))?;
        let user = NewUser {
            username: "bench".into(),
            email: "bench@example.com".into(),
            password_hash: hash,
            first_name: None,
            last_name: None,
            role: Role::Admin,
            email_verified: true,
        };
        store.create_user(&user, chrono::Utc::now()).await?;
        let base = format!("http://{}", server.addr);
        let client = reqwest::Client::new();
        let token = login(&client, &base, password).await?;
        for i in 0..cameras.count {
            let camera = serde_json::json!({
                "name": format!("bench-{i}"),
                "stream_url": format!("file://{}", clip.display()),
                "settings": {"detector_fps": cameras.fps, "loop_file": true, "motion_gate": cameras.motion_gate},
                "zones": [{"name": "table", "polygon": [
                    {"x": 0.45, "y": 0.60}, {"x": 0.75, "y": 0.60}, {"x": 0.75, "y": 0.97}, {"x": 0.45, "y": 0.97}]}],
            });
            let resp = client
                .post(format!("{base}/api/v1/cameras"))
                .bearer_auth(&token)
                .json(&camera)
                .send()
                .await?;
            if !resp.status().is_success() {
                bail!("camera not created: {}", resp.text().await?);
            }
            if !cameras.in_step && i + 1 < cameras.count {
                tokio::time::sleep(Duration::from_secs_f64(CLIP_S / cameras.count as f64)).await;
            }
        }
        Ok(LiveBench {
            _dir: dir,
            server,
            database_url,
            client,
            base,
            token,
        })
    }
}

async fn bench(args: Args) -> Result<ExitCode> {
    let cameras = Cameras {
        count: args.cameras,
        fps: args.fps,
        motion_gate: !args.no_motion_gate,
        in_step: args.in_step,
    };
    let LiveBench {
        _dir,
        server,
        client,
        base,
        token,
        ..
    } = LiveBench::start(&args.media, &cameras, |_| {}).await?;
    let (ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/api/v1/ws?access_token={token}",
        server.addr
    ))
    .await?;
    eprintln!(
        "{} camera(s) at {} fps, motion gate {}; warming up 10 s ...",
        args.cameras,
        args.fps,
        if args.no_motion_gate { "off" } else { "on" }
    );
    use futures_util::StreamExt;
    let (_, mut read) = ws.split();
    let warm_until = Instant::now() + Duration::from_secs(10);
    let mut latencies = Vec::new();
    let mut measuring = false;
    let mut started = (Instant::now(), (0.0, 0.0));
    let mut dropped_before = 0u64;
    let end = warm_until + Duration::from_secs(args.seconds);
    while Instant::now() < end {
        if !measuring && Instant::now() >= warm_until {
            measuring = true;
            started = (Instant::now(), cpu_split());
            dropped_before = frames_dropped(&live_state(&client, &base, &token).await?);
        }
        let next = tokio::time::timeout(Duration::from_millis(500), read.next()).await;
        let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) = next else {
            continue;
        };
        let received = chrono::Utc::now();
        let m: serde_json::Value = serde_json::from_str(&text)?;
        if !measuring || m["type"] != "count" {
            continue;
        }
        if let Some(at) = m["data"]["frame_at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        {
            latencies.push(
                (received - at.with_timezone(&chrono::Utc))
                    .num_microseconds()
                    .unwrap_or(0) as f64
                    / 1e3,
            );
        }
    }
    let wall = started.0.elapsed().as_secs_f64();
    let (own, children) = cpu_split();
    let own_pct = 100.0 * (own - started.1.0) / wall;
    let decode_pct = 100.0 * (children - started.1.1) / wall;
    latencies.sort_by(f64::total_cmp);
    let cameras = live_state(&client, &base, &token).await?;
    let online = cameras.iter().filter(|c| c["status"] == "online").count();
    let dropped = frames_dropped(&cameras) - dropped_before;
    let rates: Vec<f64> = cameras.iter().filter_map(|c| c["fps"].as_f64()).collect();
    let min_fps = rates.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "cameras {} (online {online}) at {} analysed fps, 1280x720 H.264 25 fps, motion gate {}, {}:",
        args.cameras,
        args.fps,
        if args.no_motion_gate { "off" } else { "on" },
        if args.in_step {
            "in step"
        } else {
            "spread over the loop"
        }
    );
    println!(
        "  frame-to-WebSocket latency over {} updates: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  frames dropped while measuring (shared detector busy): {dropped}; slowest camera {min_fps:.2} fps"
    );
    println!(
        "  CPU (% of one core): footfall {own_pct:.1} + ffmpeg decode {decode_pct:.1} = {:.1}; per camera {:.1}",
        own_pct + decode_pct,
        (own_pct + decode_pct) / args.cameras as f64
    );
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// `GET /api/v1/live`: the state of every camera.
async fn live_state(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> Result<Vec<serde_json::Value>> {
    let live: serde_json::Value = client
        .get(format!("{base}/api/v1/live"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    Ok(live.as_array().cloned().unwrap_or_default())
}

/// Frames dropped by all cameras since they started.
fn frames_dropped(cameras: &[serde_json::Value]) -> u64 {
    cameras
        .iter()
        .filter_map(|c| c["frames_dropped"].as_u64())
        .sum()
}

/// Logs the bench's user (`bench`) in; its access token.
pub async fn login(client: &reqwest::Client, base: &str, password: &str) -> Result<String> {
    let response: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "bench", "password": password}))
        .send()
        .await?
        .json()
        .await?;
    Ok(response["access_token"]
        .as_str()
        .context("login failed")?
        .to_string())
}
