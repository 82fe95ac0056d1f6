//! One camera, run continuously on its own thread: ffmpeg source -> motion gate ->
//! detector -> tracker -> counters, turned into [`Output`]s for the writer.
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
//! Inference runs on the node's shared [`DetectorPool`]; while the camera waits for its
//! turn, frames that arrive are dropped at the source and counted (a `frames_dropped`
//! event per result interval, the live state, the degraded reason), never silently.

use chrono::{DateTime, Utc};
use footfall_core::counting::{CountEvent, CountingConfig, EventKind};
use footfall_core::counting::{LineCounts, ZoneCounts};
use footfall_core::detection::Detector;
use footfall_core::motion::MotionConfig;
use footfall_core::pipeline::{CountsSnapshot, EngineState};
use footfall_core::pipeline::{Engine, EngineConfig, FrameSource};
use footfall_core::tracker::ByteTrackConfig;
use footfall_detect::{DetectorConfig, DetectorPool};
use footfall_source::{FfmpegConfig, FfmpegSource, MonotonicClock};
use footfall_store::{CameraStatus, EventSeverity, NewEvent, NewResult};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
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
        frame_at: Option<DateTime<Utc>>,
        counts: LiveCounts,
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

/// What a live count update carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveCounts {
    /// Occupancy now.
    pub people_count: i32,
    /// Crossings in / out since the previous update (deltas).
    pub people_in: i32,
    pub people_out: i32,
    /// Frames received per second over the last rate window (10 s).
    pub fps: Option<f64>,
    /// Frames dropped at the source since the camera started (detector busy).
    pub frames_dropped: u64,
    /// Totals per line since the camera's engine started (carried across restarts).
    pub lines: Vec<LineTotal>,
    /// Occupancy per zone now.
    pub zones: Vec<ZoneNow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineTotal {
    pub name: String,
    pub people_in: u64,
    pub people_out: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ZoneNow {
    pub name: String,
    pub occupancy: u64,
    pub entries: u64,
    pub visitors: u64,
}

impl LiveCounts {
    fn totals(counts: &CountsSnapshot) -> (Vec<LineTotal>, Vec<ZoneNow>) {
        let lines = counts
            .lines
            .iter()
            .map(|(name, c): &(String, LineCounts)| LineTotal {
                name: name.clone(),
                people_in: c.inward,
                people_out: c.outward,
            })
            .collect();
        let zones = counts
            .zones
            .iter()
            .map(|(name, z): &(String, ZoneCounts)| ZoneNow {
                name: name.clone(),
                occupancy: z.occupancy,
                entries: z.entries,
                visitors: z.visitors,
            })
            .collect();
        (lines, zones)
    }
}

/// A camera's engine checkpoint, resumed by the next start.
#[derive(Serialize, Deserialize)]
struct SavedEngine {
    camera_id: i64,
    saved_at: DateTime<Utc>,
    state: EngineState,
}

/// Everything one camera thread needs.
#[derive(Debug, Clone)]
pub struct CameraSpec {
    pub camera_id: i64,
    /// Stream URL with credentials (never logged) or a file path.
    pub input: String,
    pub is_file: bool,
    pub loop_file: bool,
    pub detector_fps: f64,
    pub motion_gate: bool,
    pub counting: CountingConfig,
    pub detector: DetectorConfig,
    /// The node's shared inference threads.
    pub pool: Arc<DetectorPool>,
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
    pub frame_slot: Option<super::FrameSlot>,
    /// Where the stream may connect (checked before every connection).
    pub destinations: footfall_source::DestinationPolicy,
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
/// `degraded`, back above 90 % it is `online` again (the gap avoids flapping).
struct RateWatch {
    window_started: Instant,
    frames: u32,
    dropped: u64,
    degraded: bool,
    /// Frames per second over the last complete window.
    last_rate: Option<f64>,
}

const RATE_WINDOW: Duration = Duration::from_secs(10);

impl RateWatch {
    fn new() -> RateWatch {
        RateWatch {
            window_started: Instant::now(),
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
        now: Instant,
    ) -> Option<(CameraStatus, Option<String>)> {
        self.frames += 1;
        self.dropped += dropped;
        let elapsed = now.duration_since(self.window_started);
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

struct Run<'a> {
    spec: &'a CameraSpec,
    out: &'a Sender<Output>,
    stop: &'a AtomicBool,
    interval: Interval,
    interval_started: Instant,
    results_sent: u64,
    /// Occupancy at the latest analysed frame.
    occupancy: i32,
    /// Latest frame rate measured, frames dropped since start.
    fps: Option<f64>,
    frames_dropped: u64,
    /// Line and zone totals as of the latest frame.
    counts: CountsSnapshot,
}

impl Run<'_> {
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

    /// Publishes the camera's counts now, with these crossings.
    fn live(&self, people_in: i32, people_out: i32, frame_at: Option<DateTime<Utc>>) -> bool {
        let (lines, zones) = LiveCounts::totals(&self.counts);
        self.send(Output::Live {
            camera_id: self.spec.camera_id,
            frame_at,
            counts: LiveCounts {
                people_count: self.occupancy,
                people_in,
                people_out,
                fps: self.fps,
                frames_dropped: self.frames_dropped,
                lines,
                zones,
            },
        })
    }

    /// Emits the interval's result row when it is due (or `force`), a `frames_dropped`
    /// event when frames were dropped in it, and a live update (fps, drops, totals).
    fn maybe_result(&mut self, force: bool) -> bool {
        if !force && self.interval_started.elapsed() < self.spec.result_interval {
            return true;
        }
        let interval_s = self.interval_started.elapsed().as_secs_f64();
        let i = std::mem::take(&mut self.interval);
        if i.dropped > 0 {
            let now = Utc::now();
            // Like the engine's events, the data carries the event's id.
            let id = format!("{}/dropped/{}", self.spec.run_id, self.results_sent + 1);
            let event = NewEvent {
                camera_id: self.spec.camera_id,
                event_type: "frames_dropped".into(),
                event_data: serde_json::json!({
                    "id": id,
                    "dropped": i.dropped,
                    "analysed": i.analysed,
                    "interval_s": (interval_s * 10.0).round() / 10.0,
                    "reason": "the shared detector was busy: frames that arrived while this camera waited for its turn were dropped at the source",
                }),
                timestamp: now,
                confidence_score: None,
                severity: EventSeverity::Medium,
                client_id: Some(id),
            };
            if !self.send(Output::Events(vec![event])) {
                return false;
            }
        }
        self.interval_started = Instant::now();
        self.results_sent += 1;
        let mut row = NewResult::counts(
            self.spec.camera_id,
            Utc::now(),
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
        row.model_id = self.spec.model_id;
        row.worker_id = Some(self.spec.worker_id.clone());
        row.client_id = Some(format!("{}/result/{}", self.spec.run_id, self.results_sent));
        self.send(Output::Result(row)) && self.live(0, 0, None)
    }

    /// Checkpoints the engine (see the module comment); false when the writer is gone.
    fn checkpoint(&self, engine: &Engine) -> bool {
        let Some(file) = &self.spec.state_file else {
            return true;
        };
        let saved = SavedEngine {
            camera_id: self.spec.camera_id,
            saved_at: Utc::now(),
            state: engine.state(),
        };
        match serde_json::to_vec(&saved) {
            Ok(saved) => self.send(Output::Checkpoint {
                camera_id: self.spec.camera_id,
                file: file.clone(),
                saved,
            }),
            Err(e) => {
                tracing::warn!(camera_id = self.spec.camera_id, error = %e, "engine checkpoint not encoded");
                true
            }
        }
    }

    /// Waits `delay` unless stopped; false when stopped.
    fn sleep(&self, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        while Instant::now() < until {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        !self.stop.load(Ordering::Relaxed)
    }
}

fn jitter(delay: Duration) -> Duration {
    use rand::Rng;
    delay.mul_f64(1.0 + rand::thread_rng().gen_range(0.0..0.25))
}

/// Runs until `stop` is set (or a file without loop ends, or the detector cannot load).
pub fn run_camera(spec: CameraSpec, stop: Arc<AtomicBool>, out: Sender<Output>) {
    let mut run = Run {
        spec: &spec,
        out: &out,
        stop: &stop,
        interval: Interval::default(),
        interval_started: Instant::now(),
        results_sent: 0,
        occupancy: 0,
        fps: None,
        frames_dropped: 0,
        counts: CountsSnapshot::default(),
    };
    run.status(CameraStatus::Connecting, None);
    let mut detector = match spec.pool.detector(&spec.detector) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(camera_id = spec.camera_id, error = %e, "detector does not load");
            run.status(CameraStatus::Error, Some(format!("detector: {e}")));
            return;
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
    let saved = spec
        .state_file
        .as_deref()
        .and_then(|f| read_saved(f, spec.camera_id));
    // Where the stream stopped last time, and how long ago: bridged like a reconnection.
    let mut last_pts: Option<f64> = None;
    let mut disconnected_at: Option<Instant> = None;
    // Time the camera was not watched before `disconnected_at` (the server was down).
    let mut earlier_gap = Duration::ZERO;
    let engine = match saved {
        Some(saved) => {
            last_pts = saved.state.last_pts();
            let gap = (Utc::now() - saved.saved_at).to_std().unwrap_or_default();
            disconnected_at = Some(Instant::now());
            earlier_gap = gap;
            tracing::info!(
                camera_id = spec.camera_id,
                gap_s = gap.as_secs_f64(),
                "resuming the camera's engine"
            );
            Engine::resume(engine_config, saved.state)
        }
        None => Engine::new(engine_config),
    };
    let mut engine = match engine {
        Ok(e) => e,
        Err(e) => {
            run.status(
                CameraStatus::Error,
                Some(format!("counting configuration: {e}")),
            );
            return;
        }
    };
    // At once: a crash before the first interval ends must resume from this state (a
    // new configuration, the bridged gap), not from what a previous run left.
    if !run.checkpoint(&engine) {
        return;
    }
    let clock = MonotonicClock::new();
    let counting = Arc::new(spec.counting.clone());
    let mut backoff = Duration::from_secs(1);
    // Stream time continues across reconnections (see the module comment).
    let mut pts_offset = 0.0;
    run.counts = engine.counts();
    let mut attempt = 0u32;
    while !stop.load(Ordering::Relaxed) {
        if attempt > 0 {
            run.status(CameraStatus::Reconnecting, None);
        }
        attempt += 1;
        let mut config = FfmpegConfig::new(spec.input.clone());
        config.fps = Some(spec.detector_fps);
        config.fit = detector.input_size();
        config.realtime = spec.is_file;
        config.loop_input = spec.is_file && spec.loop_file;
        config.stall_timeout = spec.stall_timeout;
        // Reconnection is ours (with the engine kept), not ffmpeg's.
        config.max_restarts = Some(0);
        config.drop_when_behind = true;
        config.destinations = Some(spec.destinations.clone());
        let opened = FfmpegSource::open(config);
        let mut source = match opened {
            Ok(s) => s,
            Err(e) => {
                let reason = footfall_source::url::mask_credentials_in_text(&e.to_string());
                tracing::warn!(camera_id = spec.camera_id, error = %reason, "stream did not open");
                run.status(CameraStatus::Error, Some(reason));
                if !run.sleep(jitter(backoff)) {
                    break;
                }
                backoff = (backoff * 2).min(spec.max_backoff);
                continue;
            }
        };
        if let (Some(last), Some(since)) = (last_pts, disconnected_at.take()) {
            let gap = since.elapsed() + std::mem::take(&mut earlier_gap);
            pts_offset = last + gap.as_secs_f64();
            if gap <= spec.resume_window {
                engine.bridge_gap(gap.as_secs_f64());
            }
        }
        let mut dropped_seen = 0u64;
        let mut online = false;
        let mut rate = RateWatch::new();
        // A stream that keeps delivering the very same picture is frozen (a hung encoder
        // or a decoder repeating its last frame): a live camera always has sensor noise.
        let mut same_picture: Option<(u64, Instant)> = None;
        let mut frozen: Option<String> = None;
        let ended = loop {
            if stop.load(Ordering::Relaxed) {
                break Ok(false);
            }
            let mut frame = match source.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break Ok(true),
                Err(e) => break Err(e),
            };
            if !online {
                online = true;
                backoff = Duration::from_secs(1);
                run.status(CameraStatus::Online, None);
            }
            frame.pts += pts_offset;
            let picture = picture_hash(&frame.pixels);
            match same_picture {
                Some((previous, since)) if previous == picture => {
                    if since.elapsed() >= spec.stall_timeout {
                        frozen = Some(format!(
                            "stream frozen: the same picture for {} s",
                            since.elapsed().as_secs()
                        ));
                        break Ok(true);
                    }
                }
                _ => same_picture = Some((picture, Instant::now())),
            }
            let dropped = source.dropped_frames() - dropped_seen;
            dropped_seen += dropped;
            run.interval.dropped += dropped;
            run.frames_dropped += dropped;
            if let Some((status, reason)) = rate.frame(spec.detector_fps, dropped, Instant::now()) {
                run.status(status, reason);
            }
            run.fps = rate.last_rate;
            let frame_at = Utc::now();
            let started = clock_now(&clock);
            let report = match engine.process(&frame, &mut detector, &clock) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(camera_id = spec.camera_id, error = %e, "detector failed");
                    run.status(CameraStatus::Error, Some(format!("detector: {e}")));
                    return;
                }
            };
            last_pts = Some(frame.pts);
            let counts = engine.counts();
            run.counts = counts.clone();
            let occupancy_before = run.occupancy;
            if report.gate.is_some_and(|g| g.analyse()) {
                run.interval.analysed += 1;
                run.interval.quality_sum += footfall_core::quality::frame_quality(&frame);
                run.interval.processing_s += clock_now(&clock) - started;
                run.interval.detections += report.detections.len() as i32;
                run.interval.confidence_sum += report
                    .detections
                    .iter()
                    .map(|d| f64::from(d.score))
                    .sum::<f64>();
                run.occupancy = occupancy(&counts, report.tracks.len());
            }
            let (mut crossed_in, mut crossed_out) = (0, 0);
            for e in &report.events {
                match e.kind {
                    EventKind::LineIn => crossed_in += 1,
                    EventKind::LineOut => crossed_out += 1,
                    _ => {}
                }
            }
            run.interval.people_in += crossed_in;
            run.interval.people_out += crossed_out;
            if (run.occupancy != occupancy_before || !report.events.is_empty())
                && !run.live(crossed_in, crossed_out, Some(frame_at))
            {
                return;
            }
            let results_before = run.results_sent;
            if !run.events(&report.events, frame.pts, Utc::now()) || !run.maybe_result(false) {
                return;
            }
            if run.results_sent != results_before && !run.checkpoint(&engine) {
                return;
            }
            // Done with the frame: it becomes the camera's latest (moved, not copied).
            if let Some(slot) = &spec.frame_slot {
                let latest = super::LatestFrame {
                    frame,
                    report,
                    counts,
                    counting: counting.clone(),
                    at: Utc::now(),
                };
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(latest);
            }
        };
        drop(source);
        if let Some(reason) = frozen.take() {
            tracing::warn!(camera_id = spec.camera_id, %reason, "stream frozen");
            run.status(CameraStatus::Error, Some(reason));
        } else {
            match ended {
                Ok(false) => break,
                Ok(true) if spec.is_file && !spec.loop_file => {
                    let tail = engine.finish();
                    let now = Utc::now();
                    run.events(&tail, last_pts.unwrap_or(0.0), now);
                    run.maybe_result(true);
                    run.checkpoint(&engine);
                    run.status(CameraStatus::Offline, Some("end of file".into()));
                    return;
                }
                Ok(true) => {
                    run.status(CameraStatus::Reconnecting, Some("stream ended".into()));
                }
                Err(e) => {
                    let reason = footfall_source::url::mask_credentials_in_text(&e.to_string());
                    tracing::warn!(camera_id = spec.camera_id, error = %reason, "stream lost");
                    run.status(CameraStatus::Error, Some(reason));
                }
            }
        }
        disconnected_at = Some(Instant::now());
        if !run.sleep(jitter(backoff)) {
            break;
        }
        backoff = (backoff * 2).min(spec.max_backoff);
    }
    run.maybe_result(true);
    run.checkpoint(&engine);
    run.status(CameraStatus::Offline, Some("stopped".into()));
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

fn clock_now(clock: &MonotonicClock) -> f64 {
    footfall_core::pipeline::Clock::now_s(clock)
}

/// Occupancy: people inside the zones when the camera has zones, else people in view.
fn occupancy(counts: &footfall_core::pipeline::CountsSnapshot, tracks_in_view: usize) -> i32 {
    if counts.zones.is_empty() {
        tracks_in_view as i32
    } else {
        counts.zones.iter().map(|(_, z)| z.occupancy as i32).sum()
    }
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
        let mut watch = RateWatch::new();
        let t0 = watch.window_started;
        let at = |s: f64| t0 + Duration::from_secs_f64(s);
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
