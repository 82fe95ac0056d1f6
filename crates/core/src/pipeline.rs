//! The per-camera pipeline: frames -> motion gate -> detector -> tracker -> counters.
//!
//! [`Engine`] holds the state and does no I/O; [`run`] drives it from a [`FrameSource`]
//! and a [`Detector`], measuring processing time through a [`Clock`]. Tests plug in
//! scripted sources, detectors and clocks.

use crate::counting::{
    ConfigError, CountEvent, Counter, CountingConfig, EventKind, LineCounts, ZoneCounts,
};
use crate::detection::{Detection, Detector};
use crate::frame::Frame;
use crate::motion::{GateDecision, MotionConfig, MotionGate};
use crate::tracker::{ByteTrack, ByteTrackConfig, Track};
use serde::{Deserialize, Serialize};

/// Where frames come from: ffmpeg in production, a vector in tests.
pub trait FrameSource {
    type Error: std::error::Error + Send + Sync + 'static;
    /// The next frame, or `None` at the end of the stream.
    fn next_frame(&mut self) -> Result<Option<Frame>, Self::Error>;
}

/// A monotonic clock in seconds, used only to measure processing time.
pub trait Clock {
    fn now_s(&self) -> f64;
}

/// Everything that decides how one camera is counted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Camera name used in event ids. Default empty.
    #[serde(default)]
    pub camera: String,
    #[serde(default)]
    pub counting: CountingConfig,
    #[serde(default)]
    pub tracker: ByteTrackConfig,
    #[serde(default)]
    pub motion: MotionConfig,
}

/// Running totals of the work done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineStats {
    /// Frames received from the source.
    pub frames: u64,
    /// Frames the detector ran on.
    pub frames_analysed: u64,
    /// Frames the motion gate skipped.
    pub frames_skipped: u64,
    /// Detections kept by the detector, over all analysed frames.
    pub detections: u64,
    /// Sum of their scores (mean confidence = sum / detections).
    pub detection_score_sum: f64,
    /// Seconds spent inside the detector (pre-processing, inference, post-processing).
    pub detector_s: f64,
    /// Stream time of the first and latest frame (s).
    pub first_pts: Option<f64>,
    pub last_pts: Option<f64>,
}

impl EngineStats {
    pub fn skipped_fraction(&self) -> f64 {
        if self.frames == 0 {
            0.0
        } else {
            self.frames_skipped as f64 / self.frames as f64
        }
    }
    pub fn detector_ms_per_frame(&self) -> f64 {
        if self.frames_analysed == 0 {
            0.0
        } else {
            1000.0 * self.detector_s / self.frames_analysed as f64
        }
    }
    pub fn mean_confidence(&self) -> f64 {
        if self.detections == 0 {
            0.0
        } else {
            self.detection_score_sum / self.detections as f64
        }
    }
}

/// What happened on one frame.
#[derive(Clone, Debug, Default)]
pub struct FrameReport {
    pub gate: Option<GateDecision>,
    /// Detections of this frame (empty when skipped).
    pub detections: Vec<Detection>,
    /// Confirmed tracks as last updated (on skipped frames: the previous analysed frame's).
    pub tracks: Vec<Track>,
    pub events: Vec<CountEvent>,
}

impl FrameReport {
    /// Boxes of the people on this frame: its detections and the confirmed tracks (which
    /// stand for the people on a frame the motion gate skipped).
    pub fn people(&self) -> impl Iterator<Item = crate::geometry::BBox> + '_ {
        (self.detections.iter().map(|d| d.bbox)).chain(self.tracks.iter().map(|t| t.bbox))
    }

    /// Line crossings among this frame's events: (in, out).
    pub fn crossings(&self) -> (u32, u32) {
        self.events.iter().fold((0, 0), |(i, o), e| match e.kind {
            EventKind::LineIn => (i + 1, o),
            EventKind::LineOut => (i, o + 1),
            _ => (i, o),
        })
    }
}

/// One frame counted ([`Engine::step`]).
#[derive(Clone, Debug, Default)]
pub struct FrameStep {
    pub report: FrameReport,
    /// Line and zone totals as of this frame.
    pub counts: CountsSnapshot,
    /// Line crossings among this frame's events.
    pub crossed_in: u32,
    pub crossed_out: u32,
    /// People present ([`CountsSnapshot::occupancy`]) on an analysed frame; `None` when
    /// the motion gate skipped the frame (nothing moved: the previous value stands).
    pub occupancy: Option<u64>,
    /// Seconds an analysed frame took (motion gate, detector, tracker, counters); 0 on a
    /// skipped frame.
    pub analysis_s: f64,
}

/// Per-line and per-zone totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CountsSnapshot {
    pub lines: Vec<(String, LineCounts)>,
    pub zones: Vec<(String, ZoneCounts)>,
}

impl CountsSnapshot {
    /// People present: inside the zones when there are zones, else the `in_view` tracks.
    pub fn occupancy(&self, in_view: usize) -> u64 {
        if self.zones.is_empty() {
            in_view as u64
        } else {
            self.zones.iter().map(|(_, z)| z.occupancy).sum()
        }
    }
}

/// What an engine knows about the scene (tracks, counters, totals), saved to carry a
/// camera's counting across a restart of the server or a change of its configuration.
/// The motion gate is not part of it: it primes itself on the next frame.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineState {
    tracker: ByteTrack,
    counter: Option<Counter>,
    frame_size: (u32, u32),
    stats: EngineStats,
    tracks: Vec<Track>,
}

impl EngineState {
    /// Stream time (s) of the last frame the engine saw.
    pub fn last_pts(&self) -> Option<f64> {
        self.stats.last_pts
    }
}

/// One camera's counting state.
pub struct Engine {
    config: EngineConfig,
    gate: MotionGate,
    tracker: ByteTrack,
    counter: Option<Counter>,
    frame_size: (u32, u32),
    stats: EngineStats,
    tracks: Vec<Track>,
}

impl Engine {
    /// Validates the configuration; counters are sized on the first frame.
    pub fn new(config: EngineConfig) -> Result<Self, ConfigError> {
        config.counting.validate()?;
        Ok(Engine {
            gate: MotionGate::new(config.motion.clone()),
            tracker: ByteTrack::new(config.tracker.clone()),
            counter: None,
            frame_size: (0, 0),
            stats: EngineStats::default(),
            tracks: Vec::new(),
            config,
        })
    }

    /// Resumes from `state`, saved by an engine whose configuration may differ: tracks
    /// carry over, and so does each line and zone whose definition is unchanged (see
    /// [`Counter::carry_over`]); the rest start from zero. Stream time continues from
    /// the state's; call [`Engine::bridge_gap`] for the time the camera was not watched.
    pub fn resume(config: EngineConfig, state: EngineState) -> Result<Self, ConfigError> {
        let mut engine = Engine::new(config)?;
        let EngineState {
            mut tracker,
            counter,
            frame_size,
            stats,
            tracks,
        } = state;
        tracker.set_config(engine.config.tracker.clone());
        engine.tracker = tracker;
        engine.counter = match counter {
            Some(previous) => Some(Counter::carry_over(
                previous,
                &engine.config.camera,
                &engine.config.counting,
                frame_size.0,
                frame_size.1,
            )?),
            None => None,
        };
        engine.frame_size = frame_size;
        engine.stats = stats;
        engine.tracks = tracks;
        Ok(engine)
    }

    /// The state to resume from later (see [`Engine::resume`]).
    pub fn state(&self) -> EngineState {
        EngineState {
            tracker: self.tracker.clone(),
            counter: self.counter.clone(),
            frame_size: self.frame_size,
            stats: self.stats,
            tracks: self.tracks.clone(),
        }
    }

    /// The stream had a gap of `gap_s` seconds (reconnection, restart): see
    /// [`ByteTrack::bridge_gap`]. Stay and dwell times still include the gap.
    pub fn bridge_gap(&mut self, gap_s: f64) {
        self.tracker.bridge_gap(gap_s);
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// Runs the motion gate on `frame` and counts it as received. Call before
    /// [`Engine::observe`].
    pub fn gate(&mut self, frame: &Frame) -> GateDecision {
        self.stats.frames += 1;
        self.stats.first_pts.get_or_insert(frame.pts);
        self.stats.last_pts = Some(frame.pts);
        let decision = self.gate.decide(frame);
        if !decision.analyse() {
            self.stats.frames_skipped += 1;
        }
        decision
    }

    /// Feeds the detections of an analysed frame (`detector_s`: time the detector took).
    pub fn observe(
        &mut self,
        frame: &Frame,
        detections: &[Detection],
        detector_s: f64,
        report: &mut FrameReport,
    ) {
        if self.frame_size != (frame.width, frame.height) {
            self.frame_size = (frame.width, frame.height);
            match &mut self.counter {
                Some(c) => c.resize(frame.width, frame.height),
                None => {
                    self.counter = Some(
                        Counter::new(
                            &self.config.camera,
                            &self.config.counting,
                            frame.width,
                            frame.height,
                        )
                        .expect("validated in Engine::new"),
                    )
                }
            }
        }
        self.stats.frames_analysed += 1;
        self.stats.detections += detections.len() as u64;
        self.stats.detection_score_sum += detections.iter().map(|d| d.score as f64).sum::<f64>();
        self.stats.detector_s += detector_s;
        let tracks = self.tracker.update(frame.pts, detections).to_vec();
        let removed = self.tracker.take_removed();
        if let Some(counter) = &mut self.counter {
            counter.update(frame.pts, &tracks, &removed, &mut report.events);
        }
        self.tracks = tracks;
    }

    /// One frame through gate, detector, tracker and counters: the frame step of both
    /// `footfall count` and a live camera, so offline and live counting agree by
    /// construction. `clock` times the analysis.
    pub fn step<D: Detector, C: Clock>(
        &mut self,
        frame: &Frame,
        detector: &mut D,
        clock: &C,
    ) -> Result<FrameStep, D::Error> {
        let started = clock.now_s();
        let gate = self.gate(frame);
        let mut report = FrameReport {
            gate: Some(gate),
            ..Default::default()
        };
        let mut analysis_s = 0.0;
        if gate.analyse() {
            let detecting = clock.now_s();
            let detections = detector.detect(frame)?;
            let detected = clock.now_s();
            self.observe(frame, &detections, detected - detecting, &mut report);
            report.detections = detections;
            analysis_s = clock.now_s() - started;
        }
        report.tracks = self.tracks.clone();
        let counts = self.counts();
        let occupancy = gate
            .analyse()
            .then(|| counts.occupancy(report.tracks.len()));
        let (crossed_in, crossed_out) = report.crossings();
        Ok(FrameStep {
            report,
            counts,
            crossed_in,
            crossed_out,
            occupancy,
            analysis_s,
        })
    }

    /// Closes open zone stays at the end of the stream.
    pub fn finish(&mut self) -> Vec<CountEvent> {
        let mut out = Vec::new();
        if let Some(counter) = &mut self.counter {
            counter.finish(&mut out);
        }
        out
    }

    pub fn counts(&self) -> CountsSnapshot {
        match &self.counter {
            None => CountsSnapshot {
                lines: self
                    .config
                    .counting
                    .lines
                    .iter()
                    .map(|l| (l.name.clone(), LineCounts::default()))
                    .collect(),
                zones: self
                    .config
                    .counting
                    .zones
                    .iter()
                    .map(|z| (z.name.clone(), ZoneCounts::default()))
                    .collect(),
            },
            Some(c) => CountsSnapshot {
                lines: c
                    .lines()
                    .iter()
                    .map(|l| (l.config().name.clone(), l.counts()))
                    .collect(),
                zones: c
                    .zones()
                    .iter()
                    .map(|z| (z.config().name.clone(), z.counts()))
                    .collect(),
            },
        }
    }
}

/// Failure of a pipeline run: the source's or the detector's.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError<S: std::error::Error + 'static, D: std::error::Error + 'static> {
    #[error(transparent)]
    Source(S),
    #[error(transparent)]
    Detector(D),
}

/// Runs `engine` over every frame of `source`, calling `on_frame` after each; returns the
/// events of the end of stream (zone stays closed).
pub fn run<S: FrameSource, D: Detector, C: Clock>(
    engine: &mut Engine,
    source: &mut S,
    detector: &mut D,
    clock: &C,
    mut on_frame: impl FnMut(&Frame, &FrameStep),
) -> Result<Vec<CountEvent>, PipelineError<S::Error, D::Error>> {
    while let Some(frame) = source.next_frame().map_err(PipelineError::Source)? {
        let step = engine
            .step(&frame, detector, clock)
            .map_err(PipelineError::Detector)?;
        on_frame(&frame, &step);
    }
    Ok(engine.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counting::{LineConfig, ZoneConfig};
    use crate::geometry::{BBox, Point};
    use std::cell::Cell;
    use std::convert::Infallible;

    /// Frames of a 200x100 scene at 10 fps; a bright 10x30 "person" walks down the middle
    /// from y=0 to y=100 during frames 10..=40, otherwise the scene is still.
    struct ScriptedSource {
        next: u64,
        frames: u64,
    }

    fn person_y(index: u64) -> Option<f32> {
        (10..=40)
            .contains(&index)
            .then(|| (index - 10) as f32 * 100.0 / 30.0)
    }

    impl FrameSource for ScriptedSource {
        type Error = Infallible;
        fn next_frame(&mut self) -> Result<Option<Frame>, Infallible> {
            if self.next >= self.frames {
                return Ok(None);
            }
            let mut f = Frame::filled(200, 100, [30, 30, 30]);
            f.index = self.next;
            f.pts = self.next as f64 / 10.0;
            if let Some(feet) = person_y(self.next) {
                for y in ((feet - 30.0).max(0.0) as u32)..(feet.min(100.0) as u32) {
                    for x in 95..105 {
                        let i = (y * 200 + x) as usize * 3;
                        f.pixels[i..i + 3].copy_from_slice(&[250, 250, 250]);
                    }
                }
            }
            self.next += 1;
            Ok(Some(f))
        }
    }

    /// "Detects" the person from the script by frame index, like a perfect detector.
    struct ScriptedDetector {
        calls: u64,
    }

    impl Detector for ScriptedDetector {
        type Error = Infallible;
        fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, Infallible> {
            self.calls += 1;
            Ok(person_y(frame.index)
                .map(|feet| Detection {
                    bbox: BBox::new(95.0, feet - 30.0, 105.0, feet),
                    score: 0.9,
                    class_id: 0,
                })
                .into_iter()
                .collect())
        }
        fn input_size(&self) -> (u32, u32) {
            (200, 100)
        }
    }

    struct FakeClock(Cell<f64>);
    impl Clock for FakeClock {
        fn now_s(&self) -> f64 {
            // Every reading advances 5 ms: each detector call "takes" 5 ms.
            self.0.set(self.0.get() + 0.005);
            self.0.get()
        }
    }

    fn config(motion: bool) -> EngineConfig {
        EngineConfig {
            camera: "test".into(),
            counting: CountingConfig {
                lines: vec![LineConfig::new(
                    "mid",
                    Point::new(0.0, 0.5),
                    Point::new(1.0, 0.5),
                )],
                zones: vec![ZoneConfig::new(
                    "bottom",
                    vec![
                        Point::new(0.25, 0.6),
                        Point::new(0.75, 0.6),
                        Point::new(0.75, 0.99),
                        Point::new(0.25, 0.99),
                    ],
                )],
            },
            motion: MotionConfig {
                enabled: motion,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn run_scripted(motion: bool) -> (Engine, Vec<CountEvent>, u64) {
        let mut engine = Engine::new(config(motion)).unwrap();
        let mut detector = ScriptedDetector { calls: 0 };
        let mut events = Vec::new();
        let tail = run(
            &mut engine,
            &mut ScriptedSource {
                next: 0,
                frames: 80,
            },
            &mut detector,
            &FakeClock(Cell::new(0.0)),
            |_, step| events.extend(step.report.events.iter().cloned()),
        )
        .unwrap();
        events.extend(tail);
        (engine, events, detector.calls)
    }

    #[test]
    fn walking_person_crosses_the_line_once_and_visits_the_zone() {
        let (engine, events, _) = run_scripted(false);
        let counts = engine.counts();
        // Walking down (y grows) across a left-to-right line ends on its right: "out".
        assert_eq!(
            counts.lines[0].1,
            LineCounts {
                inward: 0,
                outward: 1
            }
        );
        let zone = counts.zones[0].1;
        // Feet inside from y = 62 (frame 29) to the last sighting at frame 40: 1.1 s >= 1 s.
        assert_eq!(
            (zone.entries, zone.visitors, zone.peak_occupancy),
            (1, 1, 1)
        );
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::LineOut,
                EventKind::ZoneEnter,
                EventKind::ZoneVisit,
                EventKind::ZoneExit
            ]
        );
        assert!(events[0].id.starts_with("test/line_out/mid/1/"));
        assert_eq!(engine.stats().frames, 80);
        assert_eq!(engine.stats().frames_analysed, 80);
        assert!((engine.stats().detector_ms_per_frame() - 5.0).abs() < 1e-6);
    }

    #[test]
    fn motion_gate_skips_still_frames_with_identical_counts() {
        let (off, off_events, off_calls) = run_scripted(false);
        let (on, on_events, on_calls) = run_scripted(true);
        assert_eq!(off.counts(), on.counts());
        assert_eq!(
            off_events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            on_events.iter().map(|e| e.kind).collect::<Vec<_>>()
        );
        assert_eq!(off_calls, 80);
        assert!(
            on_calls < 50,
            "still frames skipped: {on_calls} detector calls"
        );
        assert!(on.stats().skipped_fraction() > 0.35);
    }

    /// Runs frames `from..to` of the script through `engine`, returning their events.
    fn run_frames(engine: &mut Engine, from: u64, to: u64, pts_shift: f64) -> Vec<CountEvent> {
        let mut source = ScriptedSource {
            next: from,
            frames: to,
        };
        let mut detector = ScriptedDetector { calls: 0 };
        let clock = FakeClock(Cell::new(0.0));
        let mut events = Vec::new();
        while let Some(mut frame) = source.next_frame().unwrap() {
            frame.pts += pts_shift;
            let step = engine.step(&frame, &mut detector, &clock).unwrap();
            events.extend(step.report.events);
        }
        events
    }

    #[test]
    fn a_step_carries_the_frames_crossings_occupancy_and_totals() {
        let mut engine = Engine::new(config(true)).unwrap();
        let mut detector = ScriptedDetector { calls: 0 };
        let clock = FakeClock(Cell::new(0.0));
        let mut source = ScriptedSource {
            next: 0,
            frames: 80,
        };
        let mut crossed = (0, 0);
        let (mut skipped, mut analysed) = (0, 0);
        while let Some(frame) = source.next_frame().unwrap() {
            let step = engine.step(&frame, &mut detector, &clock).unwrap();
            assert_eq!(step.counts, engine.counts(), "totals as of the frame");
            assert_eq!((step.crossed_in, step.crossed_out), step.report.crossings());
            crossed.0 += step.crossed_in;
            crossed.1 += step.crossed_out;
            match step.occupancy {
                // A skipped frame leaves occupancy and timing alone.
                None => {
                    skipped += 1;
                    assert_eq!(step.analysis_s, 0.0);
                    assert!(step.report.detections.is_empty());
                }
                Some(present) => {
                    analysed += 1;
                    // There is a zone: occupancy is the zone's, not the tracks in view.
                    assert_eq!(present, step.counts.zones[0].1.occupancy);
                    // Four clock readings, 5 ms apart: step start, detector start and
                    // end, counted.
                    assert!(
                        (step.analysis_s - 0.015).abs() < 1e-9,
                        "{}",
                        step.analysis_s
                    );
                }
            }
        }
        assert_eq!(crossed, (0, 1), "one walk down across the line: one out");
        assert!(
            skipped > 0 && analysed > 0,
            "{skipped} skipped, {analysed} analysed"
        );
        assert_eq!(engine.stats().frames_skipped, skipped);
        // Detector time alone is one interval of the clock per analysed frame.
        assert!((engine.stats().detector_ms_per_frame() - 5.0).abs() < 1e-6);
    }

    #[test]
    fn resumed_engine_continues_exactly_where_it_stopped() {
        let (_, uninterrupted, _) = run_scripted(false);
        // Stop with the person inside the zone (entered at frame 29), save, restore from
        // JSON (what the server writes at shutdown), and go on.
        let mut first = Engine::new(config(false)).unwrap();
        let mut events = run_frames(&mut first, 0, 33, 0.0);
        assert_eq!(first.counts().zones[0].1.occupancy, 1);
        let saved = serde_json::to_string(&first.state()).unwrap();
        let state: EngineState = serde_json::from_str(&saved).unwrap();
        assert_eq!(state.last_pts(), Some(3.2));
        let mut resumed = Engine::resume(config(false), state).unwrap();
        events.extend(run_frames(&mut resumed, 33, 80, 0.0));
        events.extend(resumed.finish());
        assert_eq!(events, uninterrupted, "same events, same ids");
        // A fresh engine instead would count the person entering a second time.
        let mut fresh = Engine::new(config(false)).unwrap();
        let again = run_frames(&mut fresh, 33, 80, 0.0);
        assert!(again.iter().any(|e| e.kind == EventKind::ZoneEnter));
    }

    #[test]
    fn resume_keeps_unchanged_lines_and_zones_and_resets_changed_ones() {
        let mut first = Engine::new(config(false)).unwrap();
        run_frames(&mut first, 0, 33, 0.0);
        let mut changed = config(false);
        changed.counting.zones[0].polygon[0] = Point::new(0.2, 0.6);
        let resumed = Engine::resume(changed, first.state()).unwrap();
        let counts = resumed.counts();
        assert_eq!(
            counts.lines[0].1.outward, 1,
            "unchanged line keeps its count"
        );
        assert_eq!(
            counts.zones[0].1.entries, 0,
            "changed zone starts from zero"
        );
        // An invalid new configuration is refused, not half-applied.
        let mut invalid = config(false);
        invalid.counting.lines[0].end = invalid.counting.lines[0].start;
        assert!(Engine::resume(invalid, first.state()).is_err());
    }

    #[test]
    fn bridged_gap_keeps_tracks_that_an_unbridged_gap_loses() {
        // The person is in view during frames 10..=40; the camera drops for 5 s after
        // frame 20. Time still advances by the gap (dwell includes it).
        let run_with_gap = |bridge: bool| {
            let mut engine = Engine::new(config(false)).unwrap();
            let mut events = run_frames(&mut engine, 0, 21, 0.0);
            if bridge {
                engine.bridge_gap(5.0);
            }
            events.extend(run_frames(&mut engine, 21, 80, 5.0));
            events.extend(engine.finish());
            events
        };
        let track_ids = |events: &[CountEvent]| {
            let mut ids: Vec<_> = events.iter().map(|e| e.track_id).collect();
            ids.dedup();
            ids
        };
        assert_eq!(track_ids(&run_with_gap(true)), vec![1]);
        let unbridged = run_with_gap(false);
        assert!(
            track_ids(&unbridged).iter().all(|&id| id != 1),
            "without bridging the track is dropped and the person gets a new id: {unbridged:?}"
        );
    }

    #[test]
    fn invalid_config_is_rejected_up_front() {
        let mut cfg = config(true);
        cfg.counting.lines[0].end = cfg.counting.lines[0].start;
        assert!(Engine::new(cfg).is_err());
    }

    #[test]
    fn crossings_and_occupancy_of_a_frame() {
        let event = |kind| CountEvent::new("cam", kind, "door", 1, 2.0);
        let report = FrameReport {
            events: vec![
                event(EventKind::LineIn),
                event(EventKind::LineOut),
                event(EventKind::LineIn),
                event(EventKind::ZoneEnter),
            ],
            ..Default::default()
        };
        assert_eq!(report.crossings(), (2, 1));
        assert_eq!(FrameReport::default().crossings(), (0, 0));
        let no_zones = CountsSnapshot::default();
        assert_eq!(no_zones.occupancy(3), 3, "people in view");
        let zone = |occupancy| ZoneCounts {
            occupancy,
            ..Default::default()
        };
        let zones = CountsSnapshot {
            lines: Vec::new(),
            zones: vec![("a".into(), zone(2)), ("b".into(), zone(1))],
        };
        assert_eq!(zones.occupancy(9), 3, "people inside the zones");
    }
}
