//! The camera supervisor inside `footfall serve`: runs every enabled camera (one thread
//! each, see [`runner`]), restarts a camera whose configuration changed without touching
//! the others, stops removed or disabled ones, stores what they produce ([`writer`]) and
//! keeps this node's row in `workers` fresh.
//!
//! It reconciles when a camera is created, changed or deleted through the API (a
//! notification) and every 10 s otherwise.

pub use crate::inputs::CameraSources;
use crate::runner::{self, CameraInputs, CameraSpec, Output};
use crate::service::{CameraService, Control};
use crate::settings::StoredSettings;
use footfall_store::{Camera, CameraFilter, CameraStatus, WorkerStatus};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Turns a camera row's stored (sealed) stream URL into the one to open, with its
/// credentials; the error says why it cannot (credentials masked).
pub trait StreamUrls: Send + Sync {
    fn unsealed(&self, camera: &Camera) -> Result<String, String>;
}

/// What the supervisor starts cameras with.
#[derive(Clone)]
pub struct Inputs {
    pub sources: CameraSources,
    pub stream_urls: Arc<dyn StreamUrls>,
    /// Where streams may connect (`cameras.allow_loopback`, `cameras.blocked_networks`).
    pub destinations: footfall_source::DestinationPolicy,
}

struct Running {
    /// What the thread was started from; a different one means restart.
    fingerprint: String,
    stop: Arc<AtomicBool>,
    /// `None` when the camera could not start (kept so it is retried only after a change).
    thread: Option<std::thread::JoinHandle<()>>,
}

pub struct Supervisor {
    service: Arc<CameraService>,
    inputs: Inputs,
    worker_id: String,
    running: HashMap<i64, Running>,
    out: mpsc::Sender<Output>,
    /// Process CPU seconds at the previous heartbeat, for the CPU percentage.
    last_cpu: Option<(std::time::Instant, f64)>,
}

/// The supervisor's task and the writer's, for shutdown.
pub struct SupervisorHandle {
    stop: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
}

impl SupervisorHandle {
    /// Stops every camera (each flushes its last interval), then lets the writer store
    /// or spill everything still queued.
    pub async fn shutdown(self) {
        self.stop.notify_one();
        let _ = self.task.await;
        let _ = self.writer.await;
    }
}

/// Starts the supervisor (and its writer) on this node; `port` names the node in
/// `workers` unless `live.worker_id` does.
pub fn start(service: Arc<CameraService>, inputs: Inputs, port: u16) -> SupervisorHandle {
    let worker_id = service
        .config
        .worker_id
        .clone()
        .unwrap_or_else(|| format!("{}:{port}", hostname()));
    // Bounded: a database slower than the cameras slows the cameras (their ffmpeg
    // buffers then drop frames, which the engine sees as a lower frame rate) instead of
    // growing memory without limit.
    let (out, rx) = mpsc::channel(10_000);
    let writer = tokio::spawn(crate::writer::Writer::new(service.clone()).run(rx));
    let stop = Arc::new(tokio::sync::Notify::new());
    let (control, control_rx) = mpsc::channel(16);
    if service.control.set(control).is_err() {
        tracing::warn!("a second camera supervisor in one process; camera purges reach the first");
    }
    let supervisor = Supervisor {
        service,
        inputs,
        worker_id,
        running: HashMap::new(),
        out,
        last_cpu: None,
    };
    let task = tokio::spawn(supervisor.run(stop.clone(), control_rx));
    SupervisorHandle { stop, task, writer }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

impl Supervisor {
    async fn run(mut self, stop: Arc<tokio::sync::Notify>, mut control: mpsc::Receiver<Control>) {
        let service = self.service.clone();
        loop {
            self.reconcile().await;
            self.heartbeat(WorkerStatus::Online).await;
            tokio::select! {
                _ = service.cameras_changed.notified() => {}
                Some(Control::Retire { camera_id, done }) = control.recv() => {
                    self.retire(camera_id).await;
                    let _ = done.send(());
                }
                _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                _ = stop.notified() => break,
            }
        }
        let ids: Vec<i64> = self.running.keys().copied().collect();
        for id in ids {
            self.stop_camera(id).await;
        }
        self.heartbeat(WorkerStatus::Offline).await;
    }

    async fn reconcile(&mut self) {
        let filter = CameraFilter {
            enabled: Some(true),
            limit: self.service.config.max_cameras as i64,
            ..Default::default()
        };
        let cameras = match self.service.store.list_cameras(&filter).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list cameras; keeping the running ones");
                return;
            }
        };
        let wanted: HashMap<i64, &Camera> = cameras.iter().map(|c| (c.id, c)).collect();
        let gone: Vec<i64> = self
            .running
            .keys()
            .filter(|id| !wanted.contains_key(id))
            .copied()
            .collect();
        for id in gone {
            // An archived or deleted camera is retired: nobody resumes its saved engine
            // and its live state goes (a disabled one keeps both for when it is
            // enabled again; so does any camera while the database cannot say).
            let retired = match self.service.store.camera(id).await {
                Ok(camera) => camera.archived_at.is_some(),
                Err(footfall_store::StoreError::NotFound(_)) => true,
                Err(_) => false,
            };
            if retired {
                self.retire(id).await;
                continue;
            }
            self.stop_camera(id).await;
            // Disabled.
            let _ = self
                .service
                .store
                .set_camera_status(id, CameraStatus::Offline, self.service.clock.now())
                .await;
            let _ = self.service.store.set_camera_worker(id, None).await;
        }
        for camera in cameras.iter() {
            // Configuration only: status updates (which touch updated_at) never restart it.
            let fingerprint = format!(
                "{}|{}|{}",
                camera.stream_url, camera.settings, camera.security_config
            );
            match self.running.get(&camera.id) {
                Some(r) if r.fingerprint == fingerprint => continue,
                Some(_) => self.stop_camera(camera.id).await,
                None => {}
            }
            self.start_camera(camera, fingerprint).await;
        }
    }

    async fn start_camera(&mut self, camera: &Camera, fingerprint: String) {
        let spec = match self.spec(camera).await {
            Ok(spec) => spec,
            Err(reason) => {
                tracing::warn!(camera_id = camera.id, %reason, "camera not started");
                let _ = self
                    .out
                    .send(Output::Status {
                        camera_id: camera.id,
                        status: CameraStatus::Error,
                        reason: Some(reason),
                    })
                    .await;
                // Remember the failure so it is retried only after a change.
                self.running.insert(
                    camera.id,
                    Running {
                        fingerprint,
                        stop: Arc::new(AtomicBool::new(true)),
                        thread: None,
                    },
                );
                return;
            }
        };
        self.seed_live_totals(camera.id).await;
        let stop = Arc::new(AtomicBool::new(false));
        let out = self.out.clone();
        let mut spec = spec;
        spec.frame_slot = Some(self.service.frames.open(camera.id));
        let inputs = CameraInputs {
            sources: self.inputs.sources.clone(),
            clock: self.service.clock.clone(),
        };
        let thread_stop = stop.clone();
        let name = format!("camera-{}", camera.id);
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || runner::run_camera(spec, inputs, thread_stop, out))
            .expect("spawning a camera thread");
        // The worker row must exist before a camera can point at it.
        self.heartbeat(WorkerStatus::Online).await;
        if let Err(e) = self
            .service
            .store
            .set_camera_worker(camera.id, Some(&self.worker_id))
            .await
        {
            tracing::warn!(camera_id = camera.id, error = %e, "camera worker not recorded");
        }
        tracing::info!(camera_id = camera.id, stream_url = %camera.stream_url, "camera started");
        self.running.insert(
            camera.id,
            Running {
                fingerprint,
                stop,
                thread: Some(thread),
            },
        );
    }

    async fn stop_camera(&mut self, id: i64) {
        self.service.frames.close(id);
        if let Some(r) = self.running.remove(&id) {
            r.stop.store(true, Ordering::Relaxed);
            // The thread notices within ~100 ms (or at its next frame).
            if let Some(thread) = r.thread {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            tracing::info!(camera_id = id, "camera stopped");
        }
    }

    /// Stops camera `id` (if it runs), waits until the writer has stored or spilled
    /// everything sent before, and forgets the camera's saved engine and live state.
    async fn retire(&mut self, id: i64) {
        self.stop_camera(id).await;
        let (drained, wait) = tokio::sync::oneshot::channel();
        if self.out.send(Output::Drained(drained)).await.is_ok() {
            let _ = wait.await;
        }
        // After the drain: the writer has written the camera's last checkpoint by now.
        let _ = std::fs::remove_file(self.service.engine_file(id));
        self.service.hub.forget(id);
        tracing::info!(camera_id = id, "camera retired");
    }

    /// Today's (UTC) in / out of the camera as stored, so the live totals go on from them
    /// after a restart.
    async fn seed_live_totals(&self, camera_id: i64) {
        let now = self.service.clock.now();
        let day = now.date_naive();
        let query = footfall_store::ResultQuery {
            camera_id: Some(camera_id),
            from: day.and_time(chrono::NaiveTime::MIN).and_utc(),
            to: now + chrono::Duration::days(1),
            bucket: footfall_store::Bucket::Day,
            time_zone: chrono_tz::UTC,
            limit: 1,
            offset: 0,
        };
        match self.service.store.bucketed_results(&query).await {
            Ok(page) => {
                let (people_in, people_out) = page
                    .items
                    .first()
                    .map_or((0, 0), |b| (b.people_in, b.people_out));
                self.service
                    .hub
                    .seed_today(camera_id, day, people_in, people_out);
            }
            Err(e) => tracing::warn!(camera_id, error = %e, "today's totals not loaded"),
        }
    }

    /// The thread's settings: unsealed URL, counting config, the active model.
    async fn spec(&self, camera: &Camera) -> Result<CameraSpec, String> {
        let live = &self.service.config;
        let url = self.inputs.stream_urls.unsealed(camera)?;
        let (input, is_file) = match url.strip_prefix("file://") {
            Some(path) => (path.to_string(), true),
            None => (url, false),
        };
        let stored = StoredSettings::from_row(&camera.settings);
        let active = self
            .service
            .store
            .list_ai_models()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|m| m.is_active);
        let model = active
            .as_ref()
            .map(|m| m.model_path.clone().into())
            .unwrap_or_else(|| live.model.clone());
        let detector = footfall_detect::DetectorConfig {
            model,
            confidence: stored.settings.confidence,
            classes: stored.settings.classes.clone(),
            ort_library: live.ort_library.clone(),
            ..Default::default()
        };
        Ok(CameraSpec {
            camera_id: camera.id,
            input,
            is_file,
            loop_file: stored.settings.loop_file,
            detector_fps: stored.settings.detector_fps,
            motion_gate: stored.settings.motion_gate,
            blur_people: stored.settings.blur_people,
            counting: stored.counting(),
            detector,
            model_id: active.map(|m| m.id),
            worker_id: self.worker_id.clone(),
            // Unique even when two starts share a millisecond (or a stopped clock).
            run_id: format!(
                "cam{}-{}-{}",
                camera.id,
                self.service.clock.now().timestamp_millis(),
                &uuid::Uuid::new_v4().simple().to_string()[..6]
            ),
            result_interval: Duration::from_secs(live.result_interval_s),
            max_backoff: Duration::from_secs(live.max_backoff_s),
            stall_timeout: Duration::from_secs(live.stall_timeout_s),
            state_file: Some(self.service.engine_file(camera.id)),
            resume_window: Duration::from_secs(live.resume_window_s),
            frame_slot: None,
            destinations: self.inputs.destinations.clone(),
        })
    }

    /// Upserts this node's `workers` row: cpu_usage in % of one core since the previous
    /// heartbeat, memory_usage in bytes (resident).
    async fn heartbeat(&mut self, status: WorkerStatus) {
        let now = self.service.clock.now();
        let usage = crate::usage::ProcessUsage::now();
        let memory = usage.map(|u| u.resident_bytes as f64);
        let cpu = usage.and_then(|u| {
            let cpu_s = u.cpu_s;
            let at = std::time::Instant::now();
            let previous = self.last_cpu.replace((at, cpu_s))?;
            let wall = at.duration_since(previous.0).as_secs_f64();
            (wall > 0.0).then(|| 100.0 * (cpu_s - previous.1) / wall)
        });
        let running = self
            .running
            .values()
            .filter(|r| r.thread.as_ref().is_some_and(|t| !t.is_finished()))
            .count();
        let worker = footfall_store::Worker {
            id: self.worker_id.clone(),
            host: hostname(),
            port: None,
            status,
            cpu_usage: cpu,
            memory_usage: memory,
            camera_count: running as i32,
            max_cameras: self.service.config.max_cameras as i32,
            last_heartbeat: Some(now),
            created_at: now,
        };
        if let Err(e) = self.service.store.upsert_worker(&worker).await {
            tracing::warn!(error = %e, "worker heartbeat not stored");
        }
    }
}
