//! Person detection with YOLO-family ONNX models on ONNX Runtime.
//!
//! Modules by domain:
//! - [`runtime`]: finding and loading the ONNX Runtime shared library, once per process.
//! - [`model`]: opening a model; describing its inputs and outputs (`footfall doctor`).
//! - [`letterbox`]: pure preprocessing, frame to input tensor and boxes back.
//! - [`layout`]: pure decoding of the YOLOX, YOLOv5 and YOLOv8/YOLO11 output layouts.
//! - [`ort_detector`]: [`OrtDetector`], the [`footfall_core::detection::Detector`] that ties
//!   them together.
//! - [`pool`]: [`DetectorPool`], inference threads shared by many cameras through one
//!   bounded queue.
//! - [`error`]: [`DetectError`], the crate's one error type.
//!
//! The library is quiet: it logs through `tracing` only, ONNX Runtime's own log included.

pub mod error;
pub mod layout;
pub mod letterbox;
pub mod model;
pub mod ort_detector;
pub mod pool;
pub mod runtime;

pub use error::DetectError;
pub use layout::{Layout, OutputDecoder, OutputLayout};
pub use letterbox::{InputFormat, Letterbox, Placement};
pub use model::{ModelInfo, TensorInfo, model_info};
pub use ort_detector::{DetectorConfig, OrtDetector, Timing};
pub use pool::{DetectorPool, PooledDetector};
pub use runtime::{Runtime, init_runtime};
