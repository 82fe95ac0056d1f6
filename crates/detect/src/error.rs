//! The crate's one error type. Every message says what to do about it: which file is
//! missing, which command installs the runtime, which `layout` setting to try.

use std::path::PathBuf;

/// Everything that can go wrong while finding the runtime, loading a model or detecting.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// No ONNX Runtime shared library was found in any of the searched places.
    #[error(
        "ONNX Runtime shared library not found (looked at: {tried}). Run `scripts/setup.sh`, or \
         `pip install onnxruntime` and set ORT_DYLIB_PATH to the libonnxruntime.so* file inside \
         site-packages/onnxruntime/capi/"
    )]
    RuntimeNotFound {
        /// The places searched, in order, joined for display.
        tried: String,
    },

    /// A library file was found but could not be used (not a shared library, wrong
    /// architecture, or an ONNX Runtime older than the API this build needs).
    #[error(
        "could not load ONNX Runtime from {}: {reason}. Point ORT_DYLIB_PATH (or the \
         `ort_library` setting) at libonnxruntime.so from ONNX Runtime 1.{min_minor} or newer \
         (`pip install -U onnxruntime`, or run `scripts/setup.sh`)",
        path.display()
    )]
    RuntimeLoad {
        path: PathBuf,
        reason: String,
        /// Oldest ONNX Runtime minor version (1.x) this build works with.
        min_minor: u32,
    },

    /// The library loaded but ONNX Runtime refused to set up its environment.
    #[error("ONNX Runtime failed to initialise: {0}")]
    RuntimeInit(#[source] ort::Error),

    /// The model file does not exist.
    #[error(
        "model file {} does not exist; set the model path to a YOLOX/YOLOv5/YOLOv8/YOLO11 .onnx \
         file (e.g. yolox_nano.onnx from the YOLOX GitHub release)",
        path.display()
    )]
    ModelNotFound { path: PathBuf },

    /// The file exists but ONNX Runtime cannot parse it as a model.
    #[error(
        "{} is not a valid ONNX model ({reason}); re-download or re-export it, and check that \
         it is not a Git LFS pointer or an HTML error page",
        path.display()
    )]
    InvalidModel { path: PathBuf, reason: String },

    /// Creating the session failed for another reason (unsupported operator, out of memory...).
    #[error("ONNX Runtime could not load model {}: {source}", path.display())]
    Session {
        path: PathBuf,
        #[source]
        source: ort::Error,
    },

    /// The model's input is not one float32 image tensor `[1, 3, H, W]`.
    #[error(
        "model {} has an unsupported input ({detail}); expected one float32 tensor [1, 3, H, W] \
         as exported by YOLOX, YOLOv5 or YOLOv8/YOLO11",
        path.display()
    )]
    UnsupportedInput { path: PathBuf, detail: String },

    /// The model's output shape does not fit the requested (or any recognised) layout.
    #[error(
        "unsupported output shape {shape:?} for a {input_width}x{input_height} input with \
         layout `{layout}`: {hint}"
    )]
    UnsupportedOutput {
        /// The output tensor's shape (-1 for a dynamic dimension).
        shape: Vec<i64>,
        /// The `layout` setting in effect (`auto` when recognition failed).
        layout: String,
        input_width: u32,
        input_height: u32,
        /// Which `layout` value to set, or why none fits.
        hint: String,
    },

    /// A configured class id does not exist in the model.
    #[error(
        "class {class} is out of range: the model has {num_classes} classes (ids 0..{num_classes}); \
         fix the `classes` setting (COCO person = 0)"
    )]
    ClassOutOfRange { class: u32, num_classes: usize },

    /// The `layout` setting names no known layout.
    #[error("unknown layout {0:?}: use one of auto, yolox, yolov5, yolov8 (also for YOLO11)")]
    UnknownLayout(String),

    /// A configuration value is out of its valid range.
    #[error("invalid detector setting `{field}`: {reason}")]
    InvalidConfig { field: &'static str, reason: String },

    /// The frame's pixel buffer does not match its stated size.
    #[error(
        "frame {width}x{height} has {actual} bytes of pixels, expected {expected} (packed BGR24)"
    )]
    BadFrame {
        width: u32,
        height: u32,
        expected: usize,
        actual: usize,
    },

    /// ONNX Runtime failed while running the model.
    #[error("inference failed: {0}")]
    Inference(#[source] ort::Error),

    /// The shared inference threads are gone (the process is shutting down).
    #[error("the shared detector has stopped")]
    PoolClosed,
}
