//! `footfall bench-soak`: the live service under sustained mixed load, to find leaks and
//! losses that short tests miss. Cameras play the 720p clip in a loop while WebSocket
//! clients follow every update, MJPEG viewers watch the cameras and an API client reads
//! counts; every minute it prints the process's resident memory and the errors so far.
//! At the end it checks that every event a WebSocket client received is stored.
//! Not part of the test suite (it runs for many minutes); see bench/README.md.

use super::bench_live::{Cameras, LiveBench};
use super::demo::MediaArgs;
use anyhow::{Result, bail};
use futures_util::StreamExt;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub media: MediaArgs,
    /// Cameras (5 analysed fps each, motion gate on).
    #[arg(long, default_value_t = 8)]
    pub cameras: usize,
    /// WebSocket clients following every camera.
    #[arg(long, default_value_t = 50)]
    pub websockets: usize,
    /// MJPEG viewers (2 fps each), spread over the cameras.
    #[arg(long, default_value_t = 20)]
    pub mjpeg: usize,
    /// API requests per second (cameras, live state, a day of hourly counts).
    #[arg(long, default_value_t = 20)]
    pub api_rps: u32,
    /// Minutes measured, after one minute of warm-up.
    #[arg(long, default_value_t = 30.0)]
    pub minutes: f64,
}

/// What the load generators saw.
#[derive(Default)]
struct Tally {
    ws_messages: AtomicU64,
    ws_errors: AtomicU64,
    mjpeg_frames: AtomicU64,
    mjpeg_errors: AtomicU64,
    api_requests: AtomicU64,
    api_errors: AtomicU64,
    /// Ids of the events received on the WebSockets.
    events_seen: Mutex<BTreeSet<String>>,
}

/// Resident memory of this process (server included), MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.cameras == 0 || args.cameras > 64 {
        bail!("--cameras must be 1 to 64");
    }
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        bail!("--minutes must be > 0");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(soak(args))
}

async fn soak(args: Args) -> Result<ExitCode> {
    let cameras = Cameras {
        count: args.cameras,
        fps: 5.0,
        motion_gate: true,
        in_step: false,
    };
    let (websockets, mjpeg) = (args.websockets, args.mjpeg);
    let bench = LiveBench::start(&args.media, &cameras, |config| {
        // One bench user holds every connection, with one access token for the whole
        // run (the longest allowed: the bench does not refresh it).
        config.auth.access_token_ttl_s = 86_400;
        config.server.max_websockets_per_user = websockets + 1;
        config.server.max_mjpeg_viewers_per_camera = mjpeg + 1;
    })
    .await?;
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(tokio::sync::Notify::new());
    let camera_ids: Vec<i64> = (1..=args.cameras as i64).collect();
    let mut tasks = Vec::new();
    let ws_url = format!(
        "{}/api/v1/ws?access_token={}",
        bench.base.replace("http://", "ws://"),
        bench.token
    );
    for _ in 0..args.websockets {
        let (url, tally, stop) = (ws_url.clone(), tally.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut since: Option<u64> = None;
            loop {
                let url = match since {
                    Some(seq) => format!("{url}&since={seq}"),
                    None => url.clone(),
                };
                let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else {
                    tally.ws_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                };
                loop {
                    let message = tokio::select! {
                        m = socket.next() => m,
                        _ = stop.notified() => return,
                    };
                    let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = message
                    else {
                        match message {
                            Some(Ok(_)) => continue,
                            // Dropped: count it, resume where it stopped.
                            _ => {
                                tally.ws_errors.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                    };
                    tally.ws_messages.fetch_add(1, Ordering::Relaxed);
                    let Ok(m) = serde_json::from_str::<serde_json::Value>(&text) else {
                        continue;
                    };
                    if let Some(seq) = m["seq"].as_u64() {
                        since = Some(seq);
                    }
                    if m["type"] == "event"
                        && let Some(id) = m["data"]["id"].as_str()
                    {
                        tally
                            .events_seen
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(id.to_string());
                    }
                }
            }
        }));
    }
    for viewer in 0..args.mjpeg {
        let camera = camera_ids[viewer % camera_ids.len()];
        let url = format!(
            "{}/api/v1/cameras/{camera}/live.mjpeg?fps=2&access_token={}",
            bench.base, bench.token
        );
        let (client, tally, stop) = (bench.client.clone(), tally.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Ok(mut response) = client.get(&url).send().await else {
                    tally.mjpeg_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                };
                if !response.status().is_success() {
                    // 503 until the camera's first frame: not an error yet.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                loop {
                    let chunk = tokio::select! {
                        c = response.chunk() => c,
                        _ = stop.notified() => return,
                    };
                    match chunk {
                        Ok(Some(part)) if part.starts_with(b"--frame") => {
                            tally.mjpeg_frames.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Some(_)) => {}
                        _ => {
                            tally.mjpeg_errors.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                }
            }
        }));
    }
    {
        let (client, base, token) = (
            bench.client.clone(),
            bench.base.clone(),
            bench.token.clone(),
        );
        let (tally, stop, cameras) = (tally.clone(), stop.clone(), camera_ids.clone());
        let period = Duration::from_secs_f64(1.0 / f64::from(args.api_rps.max(1)));
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            for n in 0u64.. {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.notified() => return,
                }
                let path = match n % 3 {
                    0 => "/api/v1/cameras".to_string(),
                    1 => "/api/v1/live".to_string(),
                    _ => format!(
                        "/api/v1/cameras/{}/counts?bucket=hour",
                        cameras[(n as usize / 3) % cameras.len()]
                    ),
                };
                tally.api_requests.fetch_add(1, Ordering::Relaxed);
                let ok = client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if !ok {
                    tally.api_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    eprintln!(
        "{} cameras, {} WebSocket clients, {} MJPEG viewers, {} API requests/s; warming up 60 s ...",
        args.cameras, args.websockets, args.mjpeg, args.api_rps
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    let rss_start = rss_mib();
    let started = Instant::now();
    let total = Duration::from_secs_f64(args.minutes * 60.0);
    let mut rss_max = rss_start;
    let mut next_report = Duration::from_secs(60);
    println!("minute  rss_mib  ws_msgs  mjpeg_frames  api_reqs  errors(ws/mjpeg/api)");
    while started.elapsed() < total {
        tokio::time::sleep(Duration::from_secs(5)).await;
        rss_max = rss_max.max(rss_mib());
        if started.elapsed() >= next_report || started.elapsed() >= total {
            next_report += Duration::from_secs(60);
            println!(
                "{:>6.1}  {:>7.1}  {:>7}  {:>12}  {:>8}  {}/{}/{}",
                started.elapsed().as_secs_f64() / 60.0,
                rss_mib(),
                tally.ws_messages.load(Ordering::Relaxed),
                tally.mjpeg_frames.load(Ordering::Relaxed),
                tally.api_requests.load(Ordering::Relaxed),
                tally.ws_errors.load(Ordering::Relaxed),
                tally.mjpeg_errors.load(Ordering::Relaxed),
                tally.api_errors.load(Ordering::Relaxed),
            );
        }
    }
    let rss_end = rss_mib();
    stop.notify_waiters();
    for task in tasks {
        task.abort();
    }
    // Stop the cameras and let the writer store what is queued, then compare.
    let LiveBench {
        server,
        database_url,
        ..
    } = bench;
    server.shutdown().await;
    let stored: BTreeSet<String> = {
        let reopened = footfall_store::Store::connect(&database_url, &Default::default()).await?;
        let events = reopened
            .list_events(&footfall_store::EventFilter {
                limit: i64::MAX / 2,
                ..Default::default()
            })
            .await;
        match events {
            Ok(events) => events
                .iter()
                .filter_map(|e| e.event_data["id"].as_str().map(String::from))
                .collect(),
            Err(e) => bail!("reading the stored events: {e}"),
        }
    };
    let seen = tally
        .events_seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let missing = seen.difference(&stored).count();
    let errors = tally.ws_errors.load(Ordering::Relaxed)
        + tally.mjpeg_errors.load(Ordering::Relaxed)
        + tally.api_errors.load(Ordering::Relaxed);
    println!(
        "soak {:.1} min: RSS {rss_start:.1} MiB after warm-up, {rss_end:.1} MiB at the end, max {rss_max:.1} MiB; \
         errors {errors}; events seen on WebSockets {}, missing in the database {missing}",
        args.minutes,
        seen.len()
    );
    Ok(if errors == 0 && missing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
