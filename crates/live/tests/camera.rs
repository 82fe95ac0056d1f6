//! The camera loop on scripted streams and a simulated clock: the status machine,
//! reconnection and backoff, frozen pictures, drops and degraded rates, resume after a
//! restart, the end of a file and a failing detector. A camera's minutes run in
//! milliseconds, with no ffmpeg, model or sleep (the real-ffmpeg and RTSP end-to-end
//! tests are in crates/server/tests/live_camera.rs).

use chrono::Utc;
use footfall_core::counting::{CountingConfig, LineConfig, ZoneConfig};
use footfall_core::geometry::Point;
use footfall_live::clock::{Clock, ManualClock};
use footfall_live::runner::{CameraInputs, CameraSpec, Output, run_camera, write_checkpoint};
use footfall_live::testing::{Connection, ScriptedCamera, ScriptedFrame, empty, person_at, walk};
use footfall_store::CameraStatus;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const FPS: f64 = 5.0;

fn spec(counting: CountingConfig) -> CameraSpec {
    CameraSpec {
        camera_id: 7,
        input: "rtsp://user:secret@cam.test/live".into(),
        is_file: false,
        loop_file: false,
        detector_fps: FPS,
        // Every frame is analysed: the scripted pictures have no motion to gate on.
        motion_gate: false,
        blur_people: false,
        counting,
        detector: Default::default(),
        model_id: None,
        worker_id: "test:1".into(),
        run_id: "cam7-run".into(),
        result_interval: Duration::from_secs(10),
        max_backoff: Duration::from_secs(8),
        stall_timeout: Duration::from_secs(3),
        state_file: None,
        resume_window: Duration::from_secs(30),
        frame_slot: None,
        destinations: footfall_source::DestinationPolicy::strict(),
    }
}

/// A vertical line through the middle of the picture.
fn door() -> CountingConfig {
    CountingConfig {
        lines: vec![LineConfig::new(
            "door",
            Point::new(0.5, 0.0),
            Point::new(0.5, 1.0),
        )],
        zones: Vec::new(),
    }
}

/// The left half of the picture.
fn table() -> CountingConfig {
    let polygon = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]
        .map(|(x, y)| Point::new(x, y))
        .to_vec();
    CountingConfig {
        lines: Vec::new(),
        zones: vec![ZoneConfig::new("table", polygon)],
    }
}

/// What one run of a camera produced, and its scripted camera.
struct Ran {
    outputs: Vec<Output>,
    camera: Arc<ScriptedCamera>,
}

/// Runs the camera until its script is over (or it ends by itself), acting as the writer
/// for checkpoints (written as the writer writes them).
fn run(spec: CameraSpec, clock: &Arc<ManualClock>, connections: Vec<Connection>) -> Ran {
    run_with(spec, clock, connections, |_| {})
}

fn run_with(
    spec: CameraSpec,
    clock: &Arc<ManualClock>,
    connections: Vec<Connection>,
    adjust: impl FnOnce(&ScriptedCamera),
) -> Ran {
    let stop = Arc::new(AtomicBool::new(false));
    let camera = ScriptedCamera::new(clock.clone(), FPS, connections, stop.clone());
    adjust(&camera);
    let inputs = CameraInputs {
        sources: camera.sources(),
        clock: clock.clone(),
    };
    // Never full: the camera never waits on the test.
    let (tx, mut rx) = tokio::sync::mpsc::channel(100_000);
    std::thread::spawn(move || run_camera(spec, inputs, stop, tx))
        .join()
        .expect("the camera thread ends without panicking");
    let mut outputs = Vec::new();
    while let Ok(output) = rx.try_recv() {
        if let Output::Checkpoint { file, saved, .. } = &output {
            write_checkpoint(file, saved).unwrap();
        }
        outputs.push(output);
    }
    Ran { outputs, camera }
}

impl Ran {
    fn statuses(&self) -> Vec<(CameraStatus, Option<String>)> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Status { status, reason, .. } => Some((*status, reason.clone())),
                _ => None,
            })
            .collect()
    }

    fn event_types(&self) -> Vec<String> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Events(events) => Some(events.iter().map(|e| e.event_type.clone())),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// (in, out) summed over the result rows.
    fn results_in_out(&self) -> (i32, i32) {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Result(r) => Some((r.people_in, r.people_out)),
                _ => None,
            })
            .fold((0, 0), |(i, o), (ri, ro)| (i + ri, o + ro))
    }

    fn live_updates(&self) -> Vec<&footfall_live::message::CountUpdate> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Live { update, .. } => Some(update),
                _ => None,
            })
            .collect()
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc::now()))
}

fn stream(frames: Vec<ScriptedFrame>) -> Connection {
    Connection::Stream {
        frames,
        failure: None,
    }
}

#[test]
fn a_camera_goes_online_counts_and_reports_every_status_change() {
    let clock = clock();
    let started = std::time::Instant::now();
    let mut frames = walk((30.0, 60.0), (130.0, 60.0), 30);
    frames.extend(empty(5));
    let ran = run(spec(door()), &clock, vec![stream(frames)]);
    let statuses = ran.statuses();
    let (last, before_last) = (statuses.len() - 1, statuses.len() - 2);
    assert_eq!(
        statuses[..3],
        [
            (CameraStatus::Connecting, None),
            (CameraStatus::Online, None),
            (CameraStatus::Reconnecting, Some("stream ended".into())),
        ]
    );
    assert_eq!(
        statuses[3],
        (CameraStatus::Reconnecting, None),
        "{statuses:?}"
    );
    let (status, reason) = &statuses[before_last];
    assert_eq!(*status, CameraStatus::Error);
    let reason = reason.as_deref().unwrap_or_default();
    assert!(reason.contains("the script is over"), "{reason}");
    assert!(!reason.contains("secret"), "credentials masked: {reason}");
    assert_eq!(
        statuses[last],
        (CameraStatus::Offline, Some("stopped".into()))
    );

    let crossings: Vec<String> = ran
        .event_types()
        .into_iter()
        .filter(|t| t.starts_with("line_"))
        .collect();
    assert_eq!(
        crossings.len(),
        1,
        "one person, one crossing: {crossings:?}"
    );
    let (people_in, people_out) = ran.results_in_out();
    assert_eq!(people_in + people_out, 1, "the stored rows count it once");
    let crossing = ran
        .live_updates()
        .into_iter()
        .find(|u| u.people_in + u.people_out == 1)
        .expect("a live update for the crossing");
    assert!(crossing.frame_at.is_some(), "with its frame's time");
    let pipeline = crossing.pipeline.as_ref().expect("a camera's update");
    assert_eq!(
        pipeline.lines[0].people_in + pipeline.lines[0].people_out,
        1
    );
    // 7 s of stream time and a second of backoff, simulated.
    assert!(clock.monotonic() >= Duration::from_secs(7));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no real waiting"
    );
}

#[test]
fn reconnection_backs_off_exponentially_and_starts_over_once_online() {
    let clock = clock();
    let refused = || Connection::Refused("connection refused".into());
    let mut connections = vec![refused(), refused(), refused(), refused(), refused()];
    connections.push(Connection::Stream {
        frames: empty(3),
        failure: Some("connection reset by peer".into()),
    });
    connections.extend([refused(), refused()]);
    let ran = run(spec(door()), &clock, connections);
    let gaps = ran.camera.gaps_s();
    // Each wait doubles from 1 s up to max_backoff (8 s), plus up to 25 % jitter; the
    // stream that went online resets it (its 3 frames took 0.6 s).
    let expected = [
        (1.0, 1.25),
        (2.0, 2.5),
        (4.0, 5.0),
        (8.0, 10.0),
        (8.0, 10.0),
        (1.6, 1.85),
        (2.0, 2.5),
        (4.0, 5.0),
    ];
    assert_eq!(gaps.len(), expected.len(), "{gaps:?}");
    for (gap, (low, high)) in gaps.iter().zip(expected) {
        assert!(
            (low - 1e-6..=high + 1e-6).contains(gap),
            "{gap} s not in {low}..{high}: {gaps:?}"
        );
    }
    let errors: Vec<String> = ran
        .statuses()
        .into_iter()
        .filter(|(s, _)| *s == CameraStatus::Error)
        .filter_map(|(_, r)| r)
        .collect();
    assert!(
        errors
            .iter()
            .any(|r| r.contains("connection reset by peer"))
    );
    assert!(errors.iter().any(|r| r.contains("connection refused")));
}

#[test]
fn a_frozen_picture_is_an_error_and_the_camera_reconnects() {
    let clock = clock();
    let mut frames = empty(2);
    frames.extend((0..30).map(|_| ScriptedFrame {
        repeat_picture: true,
        ..Default::default()
    }));
    let ran = run(spec(door()), &clock, vec![stream(frames), stream(empty(2))]);
    let statuses = ran.statuses();
    let frozen = statuses
        .iter()
        .position(|(s, r)| {
            *s == CameraStatus::Error
                && r.as_deref() == Some("stream frozen: the same picture for 3 s")
        })
        .unwrap_or_else(|| panic!("frozen after stall_timeout (3 s): {statuses:?}"));
    assert_eq!(statuses[frozen + 1], (CameraStatus::Reconnecting, None));
    assert_eq!(
        statuses[frozen + 2],
        (CameraStatus::Online, None),
        "the next connection delivers again"
    );
    assert_eq!(ran.camera.attempts.lock().unwrap().len(), 3);
}

#[test]
fn a_slow_stream_is_degraded_with_its_dropped_frames_and_recovers() {
    let clock = clock();
    // 2 fps of the 5 wanted for 12 s, a frame dropped before each (detector busy), then
    // the full rate for 20 s.
    let slow = (0..24).map(|_| ScriptedFrame {
        after: Some(Duration::from_millis(500)),
        dropped_before: 1,
        ..Default::default()
    });
    let full = empty(100);
    let frames = slow.chain(full).collect();
    let ran = run(spec(door()), &clock, vec![stream(frames)]);
    let statuses = ran.statuses();
    let degraded = statuses
        .iter()
        .position(|(s, _)| *s == CameraStatus::Degraded)
        .unwrap_or_else(|| panic!("degraded: {statuses:?}"));
    let reason = statuses[degraded].1.clone().unwrap_or_default();
    assert!(
        reason.starts_with("below the target frame rate: 2.0 of 5 fps; 2")
            && reason.ends_with("frames dropped in 10 s: detector busy"),
        "{reason}"
    );
    assert_eq!(
        statuses[degraded + 1],
        (CameraStatus::Online, None),
        "recovered"
    );

    let dropped: Vec<u64> = ran
        .outputs
        .iter()
        .filter_map(|o| match o {
            Output::Events(events) => Some(events.iter()),
            _ => None,
        })
        .flatten()
        .filter(|e| e.event_type == "frames_dropped")
        .map(|e| e.event_data["dropped"].as_u64().unwrap())
        .collect();
    assert_eq!(
        dropped.iter().sum::<u64>(),
        24,
        "every drop reported: {dropped:?}"
    );
    let last = ran.live_updates().last().unwrap().pipeline.clone().unwrap();
    assert_eq!(last.frames_dropped, 24);
    assert!(last.fps.is_some_and(|fps| fps > 4.5), "{:?}", last.fps);
}

#[test]
fn a_restarted_camera_resumes_its_engine_and_counts_nobody_twice() {
    let dir = tempfile::tempdir().unwrap();
    let state_file: PathBuf = dir.path().join("engines/camera-7.json");
    let mut first = spec(table());
    first.state_file = Some(state_file.clone());
    let clock = clock();
    let standing = || -> Vec<ScriptedFrame> {
        (0..20)
            .map(|_| ScriptedFrame::with(vec![person_at(40.0, 60.0)]))
            .collect()
    };
    let ran = run(first.clone(), &clock, vec![stream(standing())]);
    assert_eq!(
        ran.event_types()
            .iter()
            .filter(|t| *t == "zone_enter")
            .count(),
        1
    );
    assert!(state_file.exists(), "checkpointed");

    // The server restarts 5 s later; the person has not moved.
    clock.advance(chrono::Duration::seconds(5));
    let mut second = first;
    second.run_id = "cam7-run2".into();
    let ran = run(second, &clock, vec![stream(standing())]);
    let types = ran.event_types();
    assert!(
        !types.iter().any(|t| t == "zone_enter"),
        "the same person, not a new entry: {types:?}"
    );
    let occupancy = ran
        .live_updates()
        .last()
        .and_then(|u| u.people_count)
        .unwrap();
    assert_eq!(occupancy, 1);
    let zones = &ran
        .live_updates()
        .last()
        .unwrap()
        .pipeline
        .as_ref()
        .unwrap()
        .zones;
    assert_eq!(zones[0].entries, 1, "totals carried across the restart");
}

#[test]
fn a_file_without_loop_ends_offline_with_its_last_interval() {
    let clock = clock();
    let mut file = spec(table());
    file.input = "/videos/door.mp4".into();
    file.is_file = true;
    let frames = (0..15)
        .map(|_| ScriptedFrame::with(vec![person_at(40.0, 60.0)]))
        .collect();
    let ran = run(file, &clock, vec![stream(frames)]);
    assert_eq!(
        ran.statuses().last().unwrap(),
        &(CameraStatus::Offline, Some("end of file".into()))
    );
    assert_eq!(ran.camera.attempts.lock().unwrap().len(), 1, "not reopened");
    let types = ran.event_types();
    assert!(
        types.contains(&"zone_enter".to_string()) && types.contains(&"zone_exit".to_string()),
        "the open stay is closed at the end: {types:?}"
    );
    assert!(matches!(ran.outputs.last(), Some(Output::Status { .. })));
    assert!(
        ran.outputs
            .iter()
            .any(|o| matches!(o, Output::Result(r) if r.people_count == 1)),
        "the last interval is stored"
    );
}

#[test]
fn a_failing_detector_stops_the_camera_in_error() {
    let clock = clock();
    let ran = run_with(spec(door()), &clock, vec![stream(empty(10))], |camera| {
        *camera.detector_fails_from.lock().unwrap() = Some(3);
    });
    assert_eq!(
        ran.statuses().last().unwrap(),
        &(
            CameraStatus::Error,
            Some("detector: scripted failure".into())
        )
    );
    assert_eq!(ran.camera.attempts.lock().unwrap().len(), 1);
}
