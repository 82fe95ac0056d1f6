//! The camera service's configuration: the `[live]` section of the server's config file.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The camera service inside `footfall serve`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// Run every enabled camera in this process. Default true.
    pub enabled: bool,
    /// Detector model used while no model is active in the registry (`/api/v1/models`).
    /// Default `models/yolox_nano.onnx`.
    pub model: PathBuf,
    /// ONNX Runtime library. Default: `ORT_DYLIB_PATH`, `.cache/onnxruntime`, system.
    pub ort_library: Option<PathBuf>,
    /// Seconds covered by each counting_results row of a camera, 1..=3600. Default 10.
    pub result_interval_s: u64,
    /// Cameras this node runs at most. Default 10.
    pub max_cameras: usize,
    /// This node's id in `workers`. Default `HOSTNAME:PORT`.
    pub worker_id: Option<String>,
    /// Longest wait between reconnection attempts, seconds (backoff doubles from 1 s,
    /// with up to 25 % jitter). Default 30.
    pub max_backoff_s: u64,
    /// No frame for this long means the stream stalled and is reopened, seconds.
    /// Default 10.
    pub stall_timeout_s: u64,
    /// Where results and events wait when the database is unreachable (an append-only
    /// file replayed in order once it is back). Default `DATA_DIR/spill.jsonl`.
    pub spill_file: Option<PathBuf>,
    /// Where results and events the database refuses for good (a constraint, a value)
    /// are set aside, one JSON line per row with the error, so they never block the
    /// rows after them. Default `DATA_DIR/deadletter.jsonl`.
    pub dead_letter_file: Option<PathBuf>,
    /// Inference threads shared by every camera (each runs one ONNX Runtime session
    /// with one thread). Default 0: one per CPU core.
    pub detector_threads: usize,
    /// Longest gap in a camera's stream (a reconnection, a server restart), seconds,
    /// across which its tracks are carried: a person who stood still meanwhile is still
    /// the same person. Longer gaps end the open stays when they were last seen.
    /// Default 30.
    pub resume_window_s: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            enabled: true,
            model: PathBuf::from("models/yolox_nano.onnx"),
            ort_library: None,
            result_interval_s: 10,
            max_cameras: 10,
            worker_id: None,
            max_backoff_s: 30,
            stall_timeout_s: 10,
            spill_file: None,
            dead_letter_file: None,
            detector_threads: 0,
            resume_window_s: 30,
        }
    }
}
