//! The camera service of one node: what the supervisor, the writer and the API share.

use crate::clock::Clock;
use crate::{LiveConfig, frames, hub};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The camera service of one node, shared by the supervisor, the writer and the API.
pub struct CameraService {
    pub config: LiveConfig,
    /// Where the spill, dead-letter and engine files go unless configured otherwise.
    pub data_dir: PathBuf,
    pub store: footfall_store::Store,
    /// Wall and monotonic time of the cameras and the writer.
    pub clock: Arc<dyn Clock>,
    /// Live updates for WebSocket clients and GET /api/v1/live.
    pub hub: hub::Hub,
    /// The latest frame of each camera running here (snapshots, MJPEG).
    pub frames: frames::Frames,
    pub metrics: LiveMetrics,
    /// Signalled on every camera create / change / delete (the supervisor reconciles).
    pub(crate) cameras_changed: tokio::sync::Notify,
    /// Requests to the supervisor, once one runs in this process.
    pub(crate) control: OnceLock<tokio::sync::mpsc::Sender<Control>>,
}

/// What the writer counts, for `/metrics`.
#[derive(Default)]
pub struct LiveMetrics {
    /// Results and events written to the spill file while the database was unavailable
    /// (they are replayed later).
    pub rows_spilled: AtomicU64,
    /// Results and events the database refused for good, set aside in the dead-letter
    /// file.
    pub rows_dead_lettered: AtomicU64,
    /// Results and events lost: the database was unavailable and the spill file could
    /// not be written.
    pub rows_lost: AtomicU64,
}

impl CameraService {
    pub fn new(
        config: LiveConfig,
        data_dir: PathBuf,
        store: footfall_store::Store,
        clock: Arc<dyn Clock>,
    ) -> CameraService {
        CameraService {
            config,
            data_dir,
            store,
            clock,
            hub: Default::default(),
            frames: Default::default(),
            metrics: Default::default(),
            cameras_changed: Default::default(),
            control: OnceLock::new(),
        }
    }

    /// A camera was created, changed or deleted: the supervisor reconciles now.
    pub fn cameras_changed(&self) {
        self.cameras_changed.notify_one();
    }

    /// Stops camera `camera_id` if it runs here, stores (or spills) everything it
    /// produced, and forgets its live state and saved engine; at once when no supervisor
    /// runs in this process (nothing of the camera is being written). Call before the
    /// camera's rows can disappear (archive, purge).
    pub async fn retire(&self, camera_id: i64) -> Result<(), RetireTimeout> {
        retire(self, camera_id).await
    }

    /// The service's series for `/metrics` (Prometheus text format): rows spilled, set
    /// aside and lost by the writer; frames dropped, frame rate and occupancy per camera.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        use std::sync::atomic::Ordering;
        let m = &self.metrics;
        for (name, help, value) in [
            (
                "footfall_rows_spilled_total",
                "Live results and events spilled while the database was unavailable (replayed later).",
                &m.rows_spilled,
            ),
            (
                "footfall_rows_dead_lettered_total",
                "Live results and events refused by the database for good, kept in the dead-letter file.",
                &m.rows_dead_lettered,
            ),
            (
                "footfall_rows_lost_total",
                "Live results and events lost: database unavailable and spill file not writable.",
                &m.rows_lost,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        self.hub.render_metrics(out);
    }

    /// Where camera `id` saves its engine when it stops.
    pub fn engine_file(&self, id: i64) -> PathBuf {
        self.data_dir
            .join("engines")
            .join(format!("camera-{id}.json"))
    }

    /// Where results and events wait while the database is unavailable.
    pub fn spill_file(&self) -> PathBuf {
        self.config
            .spill_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("spill.jsonl"))
    }

    /// Where rows the database refuses for good are set aside.
    pub fn dead_letter_file(&self) -> PathBuf {
        self.config
            .dead_letter_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("deadletter.jsonl"))
    }
}

/// Requests the API makes of the supervisor.
pub enum Control {
    /// Stop the camera if it runs, store (or spill) everything it produced, forget its
    /// live state and saved engine, then answer.
    Retire {
        camera_id: i64,
        done: tokio::sync::oneshot::Sender<()>,
    },
}

/// The supervisor did not retire the camera in time.
#[derive(Debug)]
pub struct RetireTimeout;

/// Longest wait for a camera to stop and its rows to be stored: the camera thread
/// notices a stop within ~100 ms; the rest is one batch write.
const RETIRE_TIMEOUT: Duration = Duration::from_secs(60);

/// Retires camera `camera_id` (see [`Control::Retire`]) and waits for it; at once when
/// no supervisor runs in this process (nothing of the camera is being written).
async fn retire(service: &CameraService, camera_id: i64) -> Result<(), RetireTimeout> {
    let Some(control) = service.control.get() else {
        service.hub.forget(camera_id);
        return Ok(());
    };
    let (done, answer) = tokio::sync::oneshot::channel();
    if control
        .send(Control::Retire { camera_id, done })
        .await
        .is_err()
    {
        // The supervisor has stopped (shutdown): no camera runs any more.
        return Ok(());
    }
    match tokio::time::timeout(RETIRE_TIMEOUT, answer).await {
        Ok(_) => Ok(()),
        Err(_) => Err(RetireTimeout),
    }
}
