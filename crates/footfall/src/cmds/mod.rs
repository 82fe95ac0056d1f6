pub mod backup;
pub mod bench;
#[cfg(feature = "bench")]
pub mod bench_api;
#[cfg(feature = "bench")]
pub mod bench_live;
#[cfg(feature = "bench")]
pub mod bench_soak;
pub mod count;
pub mod demo;
pub mod doctor;
pub mod keys;
pub mod server;
pub mod track;

use footfall_detect::{DetectorConfig, Layout};
use std::path::PathBuf;

/// Detector options shared by the subcommands that run the model.
#[derive(Debug, clap::Args)]
pub struct DetectorArgs {
    /// ONNX detection model (YOLOX, YOLOv5, YOLOv8/11 exports).
    #[arg(short, long, env = "FOOTFALL_MODEL")]
    pub model: PathBuf,
    /// Output layout of the model; `auto` recognises it from the output shape.
    #[arg(long, default_value = "auto", value_parser = parse_layout)]
    pub layout: Layout,
    /// Minimum detection confidence, 0..1.
    #[arg(long, default_value_t = 0.3)]
    pub confidence: f32,
    /// Class ids to detect, comma separated (COCO: 0 = person).
    #[arg(long, value_delimiter = ',', default_value = "0")]
    pub classes: Vec<u32>,
    /// ONNX Runtime threads per inference (0 = one per core).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// ONNX Runtime shared library (default: $ORT_DYLIB_PATH, ./.cache/onnxruntime, system).
    #[arg(long, env = "ORT_DYLIB_PATH")]
    pub ort_lib: Option<PathBuf>,
}

impl DetectorArgs {
    pub fn config(&self) -> DetectorConfig {
        DetectorConfig {
            model: self.model.clone(),
            layout: self.layout,
            confidence: self.confidence,
            classes: self.classes.clone(),
            intra_threads: self.threads,
            ort_library: self.ort_lib.clone(),
            ..DetectorConfig::default()
        }
    }
}

fn parse_layout(s: &str) -> Result<Layout, String> {
    match s {
        "auto" => Ok(Layout::Auto),
        "yolox" => Ok(Layout::Yolox),
        "yolov5" => Ok(Layout::Yolov5),
        "yolov8" | "yolo11" => Ok(Layout::Yolov8),
        _ => Err(format!(
            "unknown layout {s:?}: expected auto, yolox, yolov5, yolov8 or yolo11"
        )),
    }
}
