//! What a camera thread opens, behind traits: the stream ([`SourceOpener`]) and the
//! detector ([`DetectorFactory`]). The server passes ffmpeg and the node's shared ONNX
//! Runtime pool; tests pass scripted frames and a scripted detector, so the camera loop
//! (status machine, reconnection, stalls, frozen pictures, drops, resume, spill) runs
//! in milliseconds without ffmpeg or a model.

use footfall_core::detection::{Detection, Detector};
use footfall_core::frame::Frame;
use footfall_core::pipeline::FrameSource;
use footfall_detect::{DetectorConfig, DetectorPool};
use footfall_source::{FfmpegConfig, FfmpegSource, SourceError};
use std::sync::Arc;

/// What the cameras of a node open: their streams and their detectors.
#[derive(Clone)]
pub struct CameraSources {
    pub streams: Arc<dyn SourceOpener>,
    pub detectors: Arc<dyn DetectorFactory>,
}

impl CameraSources {
    /// ffmpeg streams and a detector pool of `live.detector_threads` inference threads
    /// (0: one per CPU core) shared by every camera.
    pub fn ffmpeg_and_onnx(config: &crate::LiveConfig) -> CameraSources {
        let threads = match config.detector_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        // One waiting frame per camera at most (each waits for its answer).
        let pool = footfall_detect::DetectorPool::new(threads, config.max_cameras.max(1));
        tracing::info!(threads, "shared detector started");
        CameraSources {
            streams: Arc::new(FfmpegOpener),
            detectors: Arc::new(pool),
        }
    }
}

/// An open stream of a camera.
pub trait LiveSource: Send {
    /// The next frame; `Ok(None)` at the end of the stream.
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError>;
    /// Frames dropped at the source since it opened (the camera was busy).
    fn dropped_frames(&self) -> u64;
}

/// Opens a camera's stream. `config` says what to open and how (its `input` holds the
/// credentials: never log it).
pub trait SourceOpener: Send + Sync {
    fn open(&self, config: FfmpegConfig) -> Result<Box<dyn LiveSource>, SourceError>;
}

/// Streams through ffmpeg (RTSP, HTTP, files).
pub struct FfmpegOpener;

impl SourceOpener for FfmpegOpener {
    fn open(&self, config: FfmpegConfig) -> Result<Box<dyn LiveSource>, SourceError> {
        Ok(Box::new(FfmpegSource::open(config)?))
    }
}

impl LiveSource for FfmpegSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        FrameSource::next_frame(self)
    }
    fn dropped_frames(&self) -> u64 {
        FfmpegSource::dropped_frames(self)
    }
}

/// A detector failed on a frame (the runtime's message).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DetectorFailed(pub String);

/// A camera's detector, whatever runs it.
pub type CameraDetector = Box<dyn Detector<Error = DetectorFailed> + Send>;

/// Makes a camera's detector.
pub trait DetectorFactory: Send + Sync {
    fn detector(&self, config: &DetectorConfig) -> Result<CameraDetector, DetectorFailed>;
}

impl DetectorFactory for DetectorPool {
    fn detector(&self, config: &DetectorConfig) -> Result<CameraDetector, DetectorFailed> {
        let pooled = DetectorPool::detector(self, config).map_err(failed)?;
        Ok(Box::new(Erased(pooled)))
    }
}

/// Any detector, with its error turned into [`DetectorFailed`].
pub struct Erased<D>(pub D);

impl<D: Detector> Detector for Erased<D> {
    type Error = DetectorFailed;
    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, DetectorFailed> {
        self.0.detect(frame).map_err(failed)
    }
    fn input_size(&self) -> (u32, u32) {
        self.0.input_size()
    }
}

fn failed(e: impl std::fmt::Display) -> DetectorFailed {
    DetectorFailed(e.to_string())
}
