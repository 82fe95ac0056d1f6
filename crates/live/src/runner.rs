//! One camera, run continuously on its own thread: source -> motion gate -> detector ->
//! tracker -> counters, turned into [`Output`]s for the writer. The stream, the detector
//! and the clock come from [`CameraInputs`] (ffmpeg, the shared ONNX Runtime pool and the
//! system clock in production; scripted in tests). A camera runs [`start`], then
//! [`connect`] / [`watch`] (the per-frame step is `Counter::step`) / [`end_of_stream`]
//! until it is stopped.
//!
//! The engine (tracker and counters) outlives reconnections: frame times continue from
//! where the last connection stopped plus the wall time of the gap, so a person standing
//! on a line during a short drop is still the same track and is not counted again.
//! Reconnection waits back off exponentially (1 s doubling to `max_backoff`, with up to
//! 25 % jitter so many cameras of one failed switch do not retry in lock-step).
//!
//! The engine also outlives the thread, and the process: it is checkpointed to
//! `state_file` when the camera starts, at the end of every result interval and when it
//! stops, and the next start resumes from it. A checkpoint goes through the writer like
//! the rows, which writes it only once every row sent before it is stored (or spilled),
//! and before any row sent after it: the file always matches what the database holds,
//! so after a crash (`kill -9`) the engine resumes exactly where the stored events end
//! (what happened since the last checkpoint, at most one result interval, is lost,
//! events and engine alike, never counted twice). A gap of up to `resume_window` is
//! bridged (people who stood still keep their tracks, so nobody inside a zone is counted
//! entering twice); after a longer gap the old tracks age out and their stays close when
//! they were last seen. Either way every enter has its exit, and no event is made twice.
//!
//! Inference runs on the node's shared detector pool; while the camera waits for its
//! turn, frames that arrive are dropped at the source and counted (a `frames_dropped`
//! event per result interval, the live state, the degraded reason), never silently.

use crate::clock::Clock;
use crate::frames::{FrameSlot, LatestFrame};
use crate::inputs::{CameraDetector, CameraSources, LiveSource};
use crate::message::{CountUpdate, PipelineNow};
use chrono::{DateTime, Utc};
use footfall_core::counting::{CountEvent, CountingConfig};
use footfall_core::frame::Frame;
use footfall_core::motion::MotionConfig;
use footfall_core::pipeline::{CountsSnapshot, EngineState};
use footfall_core::pipeline::{Engine, EngineConfig};
use footfall_core::tracker::ByteTrackConfig;
use footfall_detect::DetectorConfig;
use footfall_source::FfmpegConfig;
use footfall_store::{CameraStatus, EventSeverity, NewEvent, NewResult};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::Sender;

/// What a camera thread reports.
#[derive(Debug)]
pub enum Output {
    Status {
        camera_id: i64,
        status: CameraStatus,
        reason: Option<String>,
    },
    Result(NewResult),
    Events(Vec<NewEvent>),
    /// Occupancy changed or people crossed a line on the frame read at `frame_at` (`None`:
    /// a result interval ended, refreshing fps and totals): published to live clients at
    /// once (the stored rows follow in batches).
    Live {
        camera_id: i64,
        update: CountUpdate,
    },
    /// Not from a camera: answered by the writer once everything sent before it is
    /// stored or spilled (see `Supervisor::drain`).
    Drained(tokio::sync::oneshot::Sender<()>),
    /// The camera's engine as of the rows sent before it: written to `file` (atomically)
    /// once those rows are stored or spilled, before any later row is.
    Checkpoint {
        camera_id: i64,
        file: PathBuf,
        saved: Vec<u8>,
    },
}

/// A camera's engine checkpoint, resumed by the next start.
#[derive(Serialize, Deserialize)]
struct SavedEngine {
    camera_id: i64,
    saved_at: DateTime<Utc>,
    state: EngineState,
}

/// Everything one camera thread needs.
#[derive(Clone)]
pub struct CameraSpec {
    pub camera_id: i64,
    /// Stream URL with credentials (never logged) or a file path.
    pub input: String,
    pub is_file: bool,
    pub loop_file: bool,
    pub detector_fps: f64,
    pub motion_gate: bool,
    /// Pixelate the people in the pictures viewers get ([`LatestFrame::blur_people`]).
    pub blur_people: bool,
    pub counting: CountingConfig,
    pub detector: DetectorConfig,
    pub model_id: Option<i64>,
    pub worker_id: String,
    /// Unique per start of this camera: prefixes event and result ids, so ids of two runs
    /// never collide while a replay of the same run is recognised.
    pub run_id: String,
    pub result_interval: Duration,
    pub max_backoff: Duration,
    pub stall_timeout: Duration,
    /// Where the engine is saved when the camera stops and resumed from at start
    /// (`None`: not saved).
    pub state_file: Option<PathBuf>,
    /// Longest gap in the stream (reconnection, restart) that tracks are carried across.
    pub resume_window: Duration,
    /// Where the latest frame goes (snapshots, MJPEG).
    pub frame_slot: Option<FrameSlot>,
    /// Where the stream may connect (checked before every connection).
    pub destinations: footfall_source::DestinationPolicy,
}

/// What a camera thread runs with besides its spec: the node's streams and detectors
/// (the shared inference threads), and its clock.
#[derive(Clone)]
pub struct CameraInputs {
    pub sources: CameraSources,
    pub clock: Arc<dyn Clock>,
}

/// Sums over one result interval.
#[derive(Default)]
struct Interval {
    people_in: i32,
    people_out: i32,
    detections: i32,
    confidence_sum: f64,
    analysed: u32,
    processing_s: f64,
    quality_sum: f64,
    /// Frames dropped at the source (detector busy).
    dropped: u64,
}

/// Frames received per 10 s window against the target rate: below 70 % the camera is
/// `degraded`, back above 90 % it is `online` again (the gap avoids flapping). Times are
/// the clock's monotonic time.
struct RateWatch {
    window_started: Duration,
    frames: u32,
    dropped: u64,
    degraded: bool,
    /// Frames per second over the last complete window.
    last_rate: Option<f64>,
}

const RATE_WINDOW: Duration = Duration::from_secs(10);

impl RateWatch {
    fn new(now: Duration) -> RateWatch {
        RateWatch {
            window_started: now,
            frames: 0,
            dropped: 0,
            degraded: false,
            last_rate: None,
        }
    }

    /// Counts a frame (and the frames dropped before it); at the end of a window returns
    /// the status to switch to, if any, with its reason.
    fn frame(
        &mut self,
        target_fps: f64,
        dropped: u64,
        now: Duration,
    ) -> Option<(CameraStatus, Option<String>)> {
        self.frames += 1;
        self.dropped += dropped;
        let elapsed = now.saturating_sub(self.window_started);
        if elapsed < RATE_WINDOW {
            return None;
        }
        let rate = f64::from(self.frames) / elapsed.as_secs_f64();
        let dropped = std::mem::take(&mut self.dropped);
        self.last_rate = Some(rate);
        self.window_started = now;
        self.frames = 0;
        match (self.degraded, rate / target_fps) {
            (false, r) if r < 0.7 => {
                self.degraded = true;
                let why = if dropped > 0 {
                    format!(
                        "; {dropped} frames dropped in {} s: detector busy",
                        elapsed.as_secs()
                    )
                } else {
                    String::new()
                };
                Some((
                    CameraStatus::Degraded,
                    Some(format!(
                        "below the target frame rate: {rate:.1} of {target_fps} fps{why}"
                    )),
                ))
            }
            (true, r) if r >= 0.9 => {
                self.degraded = false;
                Some((CameraStatus::Online, None))
            }
            _ => None,
        }
    }
}

/// Where a camera's output goes: everything it reports passes through here.
struct Outlet<'a> {
    spec: &'a CameraSpec,
    out: &'a Sender<Output>,
    stop: &'a AtomicBool,
    clock: &'a dyn Clock,
}

impl Outlet<'_> {
    fn send(&self, output: Output) -> bool {
        // The writer is gone only at shutdown.
        self.out.blocking_send(output).is_ok()
    }

    fn status(&self, status: CameraStatus, reason: Option<String>) -> bool {
        self.send(Output::Status {
            camera_id: self.spec.camera_id,
            status,
            reason,
        })
    }

    fn events(&self, events: &[CountEvent], frame_pts: f64, now: DateTime<Utc>) -> bool {
        if events.is_empty() {
            return true;
        }
        let rows = events
            .iter()
            .map(|e| NewEvent {
                camera_id: self.spec.camera_id,
                event_type: e.kind.as_str().to_string(),
                event_data: serde_json::to_value(e).unwrap_or_default(),
                // Stream time -> wall time: events are at most a frame old.
                timestamp: now
                    - chrono::Duration::milliseconds(
                        ((frame_pts - e.timestamp).max(0.0) * 1e3) as i64,
                    ),
                confidence_score: None,
                severity: EventSeverity::Low,
                client_id: Some(e.id.clone()),
            })
            .collect();
        self.send(Output::Events(rows))
    }

    /// Waits `delay` unless stopped (checking every 100 ms); false when stopped.
    fn sleep(&self, delay: Duration) -> bool {
        let until = self.clock.monotonic() + delay;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            let now = self.clock.monotonic();
            if now >= until {
                return true;
            }
            self.clock
                .sleep((until - now).min(Duration::from_millis(100)));
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// The counting side of a camera: its engine, detector and what it has counted in the
/// current result interval. Outlives reconnections.
struct Counter<'a> {
    outlet: Outlet<'a>,
    engine: Engine,
    detector: CameraDetector,
    counting: Arc<CountingConfig>,
    interval: Interval,
    /// Monotonic time the current result interval started.
    interval_started: Duration,
    results_sent: u64,
    /// Occupancy at the latest analysed frame.
    occupancy: i32,
    /// Latest frame rate measured, frames dropped since start.
    fps: Option<f64>,
    frames_dropped: u64,
    /// Line and zone totals as of the latest frame.
    counts: CountsSnapshot,
    /// Stream time of the latest frame (continuing across reconnections).
    last_pts: Option<f64>,
}

/// The detector failed: the camera stops in `error`.
struct DetectorDown;

impl Counter<'_> {
    fn spec(&self) -> &CameraSpec {
        self.outlet.spec
    }

    /// Publishes the camera's counts now, with these crossings.
    fn live(&self, people_in: i32, people_out: i32, frame_at: Option<DateTime<Utc>>) -> bool {
        let (lines, zones) = PipelineNow::totals(&self.counts);
        self.outlet.send(Output::Live {
            camera_id: self.spec().camera_id,
            update: CountUpdate {
                people_in: i64::from(people_in),
                people_out: i64::from(people_out),
                people_count: Some(i64::from(self.occupancy)),
                frame_at,
                timestamp: None,
                pipeline: Some(PipelineNow {
                    fps: self.fps,
                    frames_dropped: self.frames_dropped,
                    lines,
                    zones,
                }),
            },
        })
    }

    /// Counts one frame: detection, tracking, counting; sends its events, the live
    /// update when something changed, the interval's result when due (with a
    /// checkpoint), and leaves the frame in the camera's slot. `Ok(false)`: the writer
    /// is gone (shutdown).
    fn step(&mut self, frame: Frame) -> Result<bool, DetectorDown> {
        let clock = self.outlet.clock;
        let frame_at = clock.now();
        let step = match self
            .engine
            .step(&frame, &mut self.detector, &EngineClock(clock))
        {
            Ok(step) => step,
            Err(e) => {
                tracing::error!(camera_id = self.spec().camera_id, error = %e, "detector failed");
                self.outlet
                    .status(CameraStatus::Error, Some(format!("detector: {e}")));
                return Err(DetectorDown);
            }
        };
        self.last_pts = Some(frame.pts);
        self.counts = step.counts.clone();
        let occupancy_before = self.occupancy;
        if let Some(present) = step.occupancy {
            let i = &mut self.interval;
            i.analysed += 1;
            i.quality_sum += footfall_core::quality::frame_quality(&frame);
            i.processing_s += step.analysis_s;
            i.detections += step.report.detections.len() as i32;
            i.confidence_sum += step
                .report
                .detections
                .iter()
                .map(|d| f64::from(d.score))
                .sum::<f64>();
            self.occupancy = present as i32;
        }
        let (crossed_in, crossed_out) = (step.crossed_in as i32, step.crossed_out as i32);
        self.interval.people_in += crossed_in;
        self.interval.people_out += crossed_out;
        let report = step.report;
        if (self.occupancy != occupancy_before || !report.events.is_empty())
            && !self.live(crossed_in, crossed_out, Some(frame_at))
        {
            return Ok(false);
        }
        let results_before = self.results_sent;
        if !self.outlet.events(&report.events, frame.pts, clock.now()) || !self.maybe_result(false)
        {
            return Ok(false);
        }
        if self.results_sent != results_before && !self.checkpoint() {
            return Ok(false);
        }
        // Done with the frame: it becomes the camera's latest (moved, not copied).
        if let Some(slot) = &self.spec().frame_slot {
            let latest = LatestFrame {
                frame,
                report,
                counts: step.counts,
                counting: self.counting.clone(),
                blur_people: self.spec().blur_people,
                at: clock.now(),
            };
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(latest);
        }
        Ok(true)
    }

    /// Emits the interval's result row when it is due (or `force`), a `frames_dropped`
    /// event when frames were dropped in it, and a live update (fps, drops, totals).
    fn maybe_result(&mut self, force: bool) -> bool {
        let clock = self.outlet.clock;
        let elapsed = clock.monotonic().saturating_sub(self.interval_started);
        if !force && elapsed < self.spec().result_interval {
            return true;
        }
        let interval_s = elapsed.as_secs_f64();
        let i = std::mem::take(&mut self.interval);
        let spec = self.outlet.spec;
        if i.dropped > 0 {
            // Like the engine's events, the data carries the event's id.
            let id = format!("{}/dropped/{}", spec.run_id, self.results_sent + 1);
            let event = NewEvent {
                camera_id: spec.camera_id,
                event_type: "frames_dropped".into(),
                event_data: serde_json::json!({
                    "id": id,
                    "dropped": i.dropped,
                    "analysed": i.analysed,
                    "interval_s": (interval_s * 10.0).round() / 10.0,
                    "reason": "the shared detector was busy: frames that arrived while this camera waited for its turn were dropped at the source",
                }),
                timestamp: clock.now(),
                confidence_score: None,
                severity: EventSeverity::Medium,
                client_id: Some(id),
            };
            if !self.outlet.send(Output::Events(vec![event])) {
                return false;
            }
        }
        self.interval_started = clock.monotonic();
        self.results_sent += 1;
        let mut row = NewResult::counts(
            spec.camera_id,
            clock.now(),
            self.occupancy,
            i.people_in,
            i.people_out,
        );
        row.detection_count = i.detections;
        row.confidence_score = (i.detections > 0)
            .then(|| (i.confidence_sum / f64::from(i.detections)).clamp(0.0, 1.0));
        row.processing_time_ms =
            (i.analysed > 0).then(|| i.processing_s * 1e3 / f64::from(i.analysed));
        row.frame_quality_score =
            (i.analysed > 0).then(|| (i.quality_sum / f64::from(i.analysed)).clamp(0.0, 1.0));
        row.model_id = spec.model_id;
        row.worker_id = Some(spec.worker_id.clone());
        row.client_id = Some(format!("{}/result/{}", spec.run_id, self.results_sent));
        self.outlet.send(Output::Result(row)) && self.live(0, 0, None)
    }

    /// Checkpoints the engine (see the module comment); false when the writer is gone.
    fn checkpoint(&self) -> bool {
        let spec = self.spec();
        let Some(file) = &spec.state_file else {
            return true;
        };
        let saved = SavedEngine {
            camera_id: spec.camera_id,
            saved_at: self.outlet.clock.now(),
            state: self.engine.state(),
        };
        match serde_json::to_vec(&saved) {
            Ok(saved) => self.outlet.send(Output::Checkpoint {
                camera_id: spec.camera_id,
                file: file.clone(),
                saved,
            }),
            Err(e) => {
                tracing::warn!(camera_id = spec.camera_id, error = %e, "engine checkpoint not encoded");
                true
            }
        }
    }

    /// A file without loop has ended: close the open stays, send the last interval.
    fn finish_file(&mut self) {
        let tail = self.engine.finish();
        let now = self.outlet.clock.now();
        self.outlet.events(&tail, self.last_pts.unwrap_or(0.0), now);
        self.maybe_result(true);
        self.checkpoint();
    }
}

/// The engine's processing-time clock, on the camera's clock.
struct EngineClock<'a>(&'a dyn Clock);

impl footfall_core::pipeline::Clock for EngineClock<'_> {
    fn now_s(&self) -> f64 {
        self.0.monotonic().as_secs_f64()
    }
}

/// How one connection to the stream ended.
enum StreamEnd {
    /// The camera was told to stop.
    Stopped,
    /// The stream ended (a file's end, or the server closed it).
    Ended,
    /// The same picture for `stall_timeout`: the reason.
    Frozen(String),
    /// The source failed (credentials masked in the reason).
    Failed(String),
    /// The detector failed, or the writer is gone: the camera ends now.
    Fatal,
}

/// The connection side of a camera: backoff, the gap bridged across reconnections.
struct Connection {
    backoff: Duration,
    attempt: u32,
    /// Added to stream time so it continues across reconnections (see the module comment).
    pts_offset: f64,
    /// Monotonic time the previous connection ended (or the camera resumed a checkpoint).
    disconnected_at: Option<Duration>,
    /// Time the camera was not watched before `disconnected_at` (the server was down).
    earlier_gap: Duration,
}

/// Runs until `stop` is set (or a file without loop ends, or the detector cannot load).
pub fn run_camera(
    spec: CameraSpec,
    inputs: CameraInputs,
    stop: Arc<AtomicBool>,
    out: Sender<Output>,
) {
    let clock = &*inputs.clock;
    let outlet = Outlet {
        spec: &spec,
        out: &out,
        stop: &stop,
        clock,
    };
    outlet.status(CameraStatus::Connecting, None);
    let Some((mut counter, mut connection)) = start(outlet, &inputs) else {
        return;
    };
    while !counter.outlet.stopped() {
        let Some(source) = connect(&mut counter, &mut connection, &inputs) else {
            break;
        };
        let end = watch(&mut counter, &mut connection, source);
        if !end_of_stream(&mut counter, end) {
            return;
        }
        connection.disconnected_at = Some(clock.monotonic());
        if !counter.outlet.sleep(jitter(connection.backoff)) {
            break;
        }
        connection.backoff = (connection.backoff * 2).min(spec.max_backoff);
    }
    counter.maybe_result(true);
    counter.checkpoint();
    counter
        .outlet
        .status(CameraStatus::Offline, Some("stopped".into()));
}

/// Loads the detector and the engine (resumed from the camera's checkpoint when there is
/// one), and checkpoints at once. `None`: the camera cannot run (status sent).
fn start<'a>(outlet: Outlet<'a>, inputs: &CameraInputs) -> Option<(Counter<'a>, Connection)> {
    let spec = outlet.spec;
    let detector = match inputs.sources.detectors.detector(&spec.detector) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(camera_id = spec.camera_id, error = %e, "detector does not load");
            outlet.status(CameraStatus::Error, Some(format!("detector: {e}")));
            return None;
        }
    };
    let engine_config = EngineConfig {
        camera: spec.run_id.clone(),
        counting: spec.counting.clone(),
        tracker: ByteTrackConfig {
            frame_rate: spec.detector_fps,
            ..Default::default()
        },
        motion: MotionConfig {
            enabled: spec.motion_gate,
            ..Default::default()
        },
    };
    let clock = outlet.clock;
    let mut connection = Connection {
        backoff: Duration::from_secs(1),
        attempt: 0,
        pts_offset: 0.0,
        disconnected_at: None,
        earlier_gap: Duration::ZERO,
    };
    let saved = spec
        .state_file
        .as_deref()
        .and_then(|f| read_saved(f, spec.camera_id));
    // Where the stream stopped last time, and how long ago: bridged like a reconnection.
    let mut last_pts = None;
    let engine = match saved {
        Some(saved) => {
            last_pts = saved.state.last_pts();
            let gap = (clock.now() - saved.saved_at).to_std().unwrap_or_default();
            connection.disconnected_at = Some(clock.monotonic());
            connection.earlier_gap = gap;
            tracing::info!(
                camera_id = spec.camera_id,
                gap_s = gap.as_secs_f64(),
                "resuming the camera's engine"
            );
            Engine::resume(engine_config, saved.state)
        }
        None => Engine::new(engine_config),
    };
    let engine = match engine {
        Ok(e) => e,
        Err(e) => {
            outlet.status(
                CameraStatus::Error,
                Some(format!("counting configuration: {e}")),
            );
            return None;
        }
    };
    let counts = engine.counts();
    let counter = Counter {
        engine,
        detector,
        counting: Arc::new(spec.counting.clone()),
        interval: Interval::default(),
        interval_started: clock.monotonic(),
        results_sent: 0,
        occupancy: 0,
        fps: None,
        frames_dropped: 0,
        counts,
        last_pts,
        outlet,
    };
    // At once: a crash before the first interval ends must resume from this state (a
    // new configuration, the bridged gap), not from what a previous run left.
    counter.checkpoint().then_some((counter, connection))
}

/// Opens the stream, retrying with backoff until it opens; `None` when stopped first.
/// Bridges the gap since the previous connection.
fn connect(
    counter: &mut Counter<'_>,
    connection: &mut Connection,
    inputs: &CameraInputs,
) -> Option<Box<dyn LiveSource>> {
    let spec = counter.outlet.spec;
    loop {
        if counter.outlet.stopped() {
            return None;
        }
        if connection.attempt > 0 {
            counter.outlet.status(CameraStatus::Reconnecting, None);
        }
        connection.attempt += 1;
        let mut config = FfmpegConfig::new(spec.input.clone());
        config.fps = Some(spec.detector_fps);
        config.fit = counter.detector.input_size();
        config.realtime = spec.is_file;
        config.loop_input = spec.is_file && spec.loop_file;
        config.stall_timeout = spec.stall_timeout;
        // Reconnection is ours (with the engine kept), not ffmpeg's.
        config.max_restarts = Some(0);
        config.drop_when_behind = true;
        config.destinations = Some(spec.destinations.clone());
        match inputs.sources.streams.open(config) {
            Ok(source) => {
                if let (Some(last), Some(since)) =
                    (counter.last_pts, connection.disconnected_at.take())
                {
                    let gap = inputs.clock.monotonic().saturating_sub(since)
                        + std::mem::take(&mut connection.earlier_gap);
                    connection.pts_offset = last + gap.as_secs_f64();
                    if gap <= spec.resume_window {
                        counter.engine.bridge_gap(gap.as_secs_f64());
                    }
                }
                return Some(source);
            }
            Err(e) => {
                let reason = footfall_source::url::mask_credentials_in_text(&e.to_string());
                tracing::warn!(camera_id = spec.camera_id, error = %reason, "stream did not open");
                counter.outlet.status(CameraStatus::Error, Some(reason));
                if !counter.outlet.sleep(jitter(connection.backoff)) {
                    return None;
                }
                connection.backoff = (connection.backoff * 2).min(spec.max_backoff);
            }
        }
    }
}

/// Counts the stream's frames until it ends, freezes, fails or the camera stops.
fn watch(
    counter: &mut Counter<'_>,
    connection: &mut Connection,
    mut source: Box<dyn LiveSource>,
) -> StreamEnd {
    let spec = counter.outlet.spec;
    let clock = counter.outlet.clock;
    let mut dropped_seen = 0u64;
    let mut online = false;
    let mut rate = RateWatch::new(clock.monotonic());
    // A stream that keeps delivering the very same picture is frozen (a hung encoder or
    // a decoder repeating its last frame): a live camera always has sensor noise.
    let mut same_picture: Option<(u64, Duration)> = None;
    loop {
        if counter.outlet.stopped() {
            return StreamEnd::Stopped;
        }
        let mut frame = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => return StreamEnd::Ended,
            Err(e) => {
                return StreamEnd::Failed(footfall_source::url::mask_credentials_in_text(
                    &e.to_string(),
                ));
            }
        };
        if !online {
            online = true;
            connection.backoff = Duration::from_secs(1);
            counter.outlet.status(CameraStatus::Online, None);
        }
        frame.pts += connection.pts_offset;
        let picture = picture_hash(&frame.pixels);
        let now = clock.monotonic();
        match same_picture {
            Some((previous, since)) if previous == picture => {
                let frozen_for = now.saturating_sub(since);
                if frozen_for >= spec.stall_timeout {
                    return StreamEnd::Frozen(format!(
                        "stream frozen: the same picture for {} s",
                        frozen_for.as_secs()
                    ));
                }
            }
            _ => same_picture = Some((picture, now)),
        }
        let dropped = source.dropped_frames() - dropped_seen;
        dropped_seen += dropped;
        counter.interval.dropped += dropped;
        counter.frames_dropped += dropped;
        if let Some((status, reason)) = rate.frame(spec.detector_fps, dropped, now) {
            counter.outlet.status(status, reason);
        }
        counter.fps = rate.last_rate;
        match counter.step(frame) {
            Ok(true) => {}
            Ok(false) | Err(DetectorDown) => return StreamEnd::Fatal,
        }
    }
}

/// Reports how the stream ended; false when the camera ends now (a file without loop
/// is done, the detector failed, the writer is gone).
fn end_of_stream(counter: &mut Counter<'_>, end: StreamEnd) -> bool {
    let spec = counter.outlet.spec;
    match end {
        StreamEnd::Fatal => false,
        // The loop in `run_camera` sees the stop and ends the camera.
        StreamEnd::Stopped => true,
        StreamEnd::Frozen(reason) => {
            tracing::warn!(camera_id = spec.camera_id, %reason, "stream frozen");
            counter.outlet.status(CameraStatus::Error, Some(reason));
            true
        }
        StreamEnd::Ended if spec.is_file && !spec.loop_file => {
            counter.finish_file();
            counter
                .outlet
                .status(CameraStatus::Offline, Some("end of file".into()));
            false
        }
        StreamEnd::Ended => {
            counter
                .outlet
                .status(CameraStatus::Reconnecting, Some("stream ended".into()));
            true
        }
        StreamEnd::Failed(reason) => {
            tracing::warn!(camera_id = spec.camera_id, error = %reason, "stream lost");
            counter.outlet.status(CameraStatus::Error, Some(reason));
            true
        }
    }
}

fn jitter(delay: Duration) -> Duration {
    use rand::Rng;
    delay.mul_f64(1.0 + rand::thread_rng().gen_range(0.0..0.25))
}

/// The camera's latest engine checkpoint, if there is a readable one of this camera.
/// It stays in place: the camera checkpoints again as soon as it starts.
fn read_saved(file: &std::path::Path, camera_id: i64) -> Option<SavedEngine> {
    let bytes = std::fs::read(file).ok()?;
    match serde_json::from_slice::<SavedEngine>(&bytes) {
        Ok(saved) if saved.camera_id == camera_id => Some(saved),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(camera_id, error = %e, "saved engine unreadable; starting afresh");
            None
        }
    }
}

/// Writes a checkpoint atomically (temporary file, fsync, rename): a crash leaves the
/// old checkpoint or the new one, never half of one.
pub fn write_checkpoint(file: &std::path::Path, saved: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(saved)?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
}

/// A cheap fingerprint of a frame's pixels (every 7th byte, so it costs ~50 us at
/// detector resolution): equal only for byte-identical pictures in practice.
fn picture_hash(pixels: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for chunk in pixels.chunks(7) {
        hasher.write_u8(chunk[0]);
    }
    hasher.write_usize(pixels.len());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_is_resumed_only_by_its_camera() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("engines/camera-7.json");
        let engine = Engine::new(EngineConfig::default()).unwrap();
        let saved = |camera_id| {
            serde_json::to_vec(&SavedEngine {
                camera_id,
                saved_at: Utc::now(),
                state: engine.state(),
            })
            .unwrap()
        };
        write_checkpoint(&file, &saved(7)).unwrap();
        assert!(read_saved(&file, 8).is_none(), "another camera's state");
        let resumed = read_saved(&file, 7).expect("resumable");
        assert!((Utc::now() - resumed.saved_at).num_seconds() < 5);
        assert!(file.exists(), "kept until the next checkpoint replaces it");
        assert!(!file.with_extension("tmp").exists(), "renamed into place");
        std::fs::write(&file, b"{not json").unwrap();
        assert!(read_saved(&file, 7).is_none(), "unreadable: start afresh");
    }

    #[test]
    fn rate_watch_degrades_and_recovers_with_hysteresis() {
        let mut watch = RateWatch::new(Duration::ZERO);
        let at = Duration::from_secs_f64;
        // 10 fps wanted; 5 frames in the first 10 s window, 3 dropped before each.
        let mut changes = Vec::new();
        for i in 1..=5 {
            changes.extend(watch.frame(10.0, 3, at(f64::from(i) * 2.0)));
        }
        assert_eq!(
            changes,
            vec![(
                CameraStatus::Degraded,
                Some(
                    "below the target frame rate: 0.5 of 10 fps; 15 frames dropped in 10 s: detector busy"
                        .into()
                )
            )]
        );
        assert_eq!(watch.last_rate, Some(0.5));
        // 8.5 fps: not yet recovered (below 90 %).
        let start = 10.0;
        let mut changes = Vec::new();
        for i in 1..=85 {
            changes.extend(watch.frame(10.0, 0, at(start + f64::from(i) * 10.0 / 85.0)));
        }
        assert!(changes.is_empty(), "{changes:?}");
        let mut changes = Vec::new();
        for i in 1..=100 {
            changes.extend(watch.frame(10.0, 0, at(20.0 + f64::from(i) * 0.1)));
        }
        assert_eq!(changes, vec![(CameraStatus::Online, None)]);
    }
}
