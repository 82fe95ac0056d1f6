//! Scripted cameras for tests: each connection to the "stream" is scripted (refused, or
//! frames with the people in them, then an end or a failure), the detector finds exactly
//! the people scripted, and frames arrive at the script's rate on the given clock: on a
//! [`crate::clock::ManualClock`] a camera's minutes run in milliseconds; on the system
//! clock a server under test runs cameras in real time without ffmpeg or a model
//! ([`ScriptedCamera::sources`]).

use crate::clock::Clock;
use crate::inputs::{
    CameraDetector, CameraSources, DetectorFactory, DetectorFailed, LiveSource, SourceOpener,
};
use footfall_core::detection::{Detection, Detector};
use footfall_core::frame::Frame;
use footfall_core::geometry::BBox;
use footfall_detect::DetectorConfig;
use footfall_source::{FfmpegConfig, SourceError};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Frame size of scripted streams, pixels.
pub const WIDTH: u32 = 160;
pub const HEIGHT: u32 = 120;

/// One frame of a scripted stream.
#[derive(Debug, Clone, Default)]
pub struct ScriptedFrame {
    /// The people in the frame (pixel boxes), found by the scripted detector.
    pub people: Vec<BBox>,
    /// The very same picture as the frame before (a frozen stream).
    pub repeat_picture: bool,
    /// Frames dropped at the source just before this one.
    pub dropped_before: u64,
    /// Time since the previous frame (default: 1 / the camera's fps).
    pub after: Option<Duration>,
}

impl ScriptedFrame {
    pub fn with(people: Vec<BBox>) -> ScriptedFrame {
        ScriptedFrame {
            people,
            ..Default::default()
        }
    }
}

/// How one connection attempt goes.
#[derive(Debug, Clone)]
pub enum Connection {
    /// The stream does not open: the reason.
    Refused(String),
    /// The stream opens and delivers these frames, then ends (`failure: None`) or fails.
    Stream {
        frames: Vec<ScriptedFrame>,
        failure: Option<String>,
    },
}

/// Scripted streams and detector, for one camera or for every camera of a server (each
/// stream URL with its own script). When a script runs out, the next connection attempt
/// is refused, and sets `stop` when there is one, so a camera run by a test ends without
/// the test waiting on it.
pub struct ScriptedCamera {
    pub clock: Arc<dyn Clock>,
    /// Frames per second the stream delivers (the clock advances 1 / fps per frame).
    pub fps: f64,
    /// Connection scripts by stream URL ("" for any URL).
    connections: Mutex<HashMap<String, VecDeque<Connection>>>,
    stop: Option<Arc<AtomicBool>>,
    /// People of each delivered picture, by the serial number written into its pixels.
    people: Arc<Mutex<HashMap<u64, Vec<BBox>>>>,
    serial: AtomicU64,
    /// Monotonic times of every connection attempt.
    pub attempts: Mutex<Vec<Duration>>,
    /// Makes the detector fail from this picture serial on.
    pub detector_fails_from: Mutex<Option<u64>>,
}

impl ScriptedCamera {
    /// One camera, whatever its URL, that stops when its script is over.
    pub fn new(
        clock: Arc<dyn Clock>,
        fps: f64,
        connections: Vec<Connection>,
        stop: Arc<AtomicBool>,
    ) -> Arc<ScriptedCamera> {
        let scripts = HashMap::from([(String::new(), connections)]);
        ScriptedCamera::by_url(clock, fps, scripts, Some(stop))
    }

    /// Cameras by stream URL (a camera created with `rtsp://scripted.test/door` plays
    /// the script of that URL).
    pub fn by_url(
        clock: Arc<dyn Clock>,
        fps: f64,
        scripts: HashMap<String, Vec<Connection>>,
        stop: Option<Arc<AtomicBool>>,
    ) -> Arc<ScriptedCamera> {
        let connections = scripts
            .into_iter()
            .map(|(url, script)| (url, script.into()))
            .collect();
        Arc::new(ScriptedCamera {
            clock,
            fps,
            connections: Mutex::new(connections),
            stop,
            people: Default::default(),
            serial: AtomicU64::new(1),
            attempts: Default::default(),
            detector_fails_from: Default::default(),
        })
    }

    /// Streams and detector for a server's cameras.
    pub fn sources(self: &Arc<Self>) -> CameraSources {
        CameraSources {
            streams: Arc::new(self.clone()),
            detectors: Arc::new(self.clone()),
        }
    }

    /// Seconds between connection attempts so far.
    pub fn gaps_s(&self) -> Vec<f64> {
        let attempts = self.attempts.lock().unwrap();
        attempts
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect()
    }
}

impl SourceOpener for Arc<ScriptedCamera> {
    fn open(&self, config: FfmpegConfig) -> Result<Box<dyn LiveSource>, SourceError> {
        self.attempts.lock().unwrap().push(self.clock.monotonic());
        let url = config.input;
        let next = {
            let mut scripts = self.connections.lock().unwrap();
            let key = if scripts.contains_key(&url) {
                url.as_str()
            } else {
                ""
            };
            scripts.get_mut(key).and_then(VecDeque::pop_front)
        };
        match next {
            None => {
                if let Some(stop) = &self.stop {
                    stop.store(true, Ordering::Relaxed);
                }
                Err(SourceError::Unreachable {
                    url,
                    detail: "the script is over".into(),
                })
            }
            Some(Connection::Refused(detail)) => Err(SourceError::Unreachable { url, detail }),
            Some(Connection::Stream { frames, failure }) => Ok(Box::new(ScriptedStream {
                camera: self.clone(),
                url,
                frames: frames.into(),
                failure,
                index: 0,
                pts: 0.0,
                dropped: 0,
                picture: None,
            })),
        }
    }
}

struct ScriptedStream {
    camera: Arc<ScriptedCamera>,
    url: String,
    frames: VecDeque<ScriptedFrame>,
    failure: Option<String>,
    index: u64,
    /// Stream time of the next frame, seconds.
    pts: f64,
    dropped: u64,
    /// The previous picture's serial.
    picture: Option<u64>,
}

impl LiveSource for ScriptedStream {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let Some(scripted) = self.frames.pop_front() else {
            return match self.failure.take() {
                Some(detail) => Err(SourceError::Unreachable {
                    url: self.url.clone(),
                    detail,
                }),
                None => Ok(None),
            };
        };
        let camera = &self.camera;
        let period = Duration::from_secs_f64(1.0 / camera.fps);
        camera.clock.sleep(scripted.after.unwrap_or(period));
        let serial = match (scripted.repeat_picture, self.picture) {
            (true, Some(previous)) => previous,
            _ => camera.serial.fetch_add(1, Ordering::Relaxed),
        };
        self.picture = Some(serial);
        camera
            .people
            .lock()
            .unwrap()
            .insert(serial, scripted.people);
        self.dropped += scripted.dropped_before;
        let mut frame = Frame::filled(WIDTH, HEIGHT, [40, 40, 40]);
        frame.pixels[..8].copy_from_slice(&serial.to_le_bytes());
        frame.pts = self.pts;
        self.pts += scripted.after.unwrap_or(period).as_secs_f64();
        frame.index = self.index;
        self.index += 1;
        Ok(Some(frame))
    }

    fn dropped_frames(&self) -> u64 {
        self.dropped
    }
}

impl DetectorFactory for Arc<ScriptedCamera> {
    fn detector(&self, _config: &DetectorConfig) -> Result<CameraDetector, DetectorFailed> {
        Ok(Box::new(ScriptedDetector(self.clone())))
    }
}

/// Finds the people scripted for the picture.
struct ScriptedDetector(Arc<ScriptedCamera>);

impl Detector for ScriptedDetector {
    type Error = DetectorFailed;

    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, DetectorFailed> {
        let serial = u64::from_le_bytes(frame.pixels[..8].try_into().unwrap_or_default());
        if self
            .0
            .detector_fails_from
            .lock()
            .unwrap()
            .is_some_and(|from| serial >= from)
        {
            return Err(DetectorFailed("scripted failure".into()));
        }
        let people = self.0.people.lock().unwrap();
        Ok(people
            .get(&serial)
            .into_iter()
            .flatten()
            .map(|&bbox| Detection {
                bbox,
                score: 0.9,
                class_id: 0,
            })
            .collect())
    }

    fn input_size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
}

/// A person of 20 x 40 pixels centred at (`x`, `y`).
pub fn person_at(x: f32, y: f32) -> BBox {
    BBox::new(x - 10.0, y - 20.0, x + 10.0, y + 20.0)
}

/// A stream of `frames` frames in which one person walks across the picture again and
/// again (120 px, 12 s at 10 fps): a busy camera for the tests that need one running.
pub fn pacing_person(frames: usize) -> Connection {
    Connection::Stream {
        frames: (0..frames)
            .map(|i| ScriptedFrame::with(vec![person_at(20.0 + (i % 120) as f32, 60.0)]))
            .collect(),
        failure: None,
    }
}

/// Frames of one person walking from `from` to `to` (pixel centres) in `steps` frames.
pub fn walk(from: (f32, f32), to: (f32, f32), steps: usize) -> Vec<ScriptedFrame> {
    (0..steps)
        .map(|i| {
            let t = i as f32 / (steps - 1).max(1) as f32;
            let x = from.0 + (to.0 - from.0) * t;
            let y = from.1 + (to.1 - from.1) * t;
            ScriptedFrame::with(vec![person_at(x, y)])
        })
        .collect()
}

/// `n` frames without anyone.
pub fn empty(n: usize) -> Vec<ScriptedFrame> {
    vec![ScriptedFrame::default(); n]
}
