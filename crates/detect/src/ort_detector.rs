//! [`OrtDetector`]: a YOLO-family ONNX model run by ONNX Runtime on the CPU, behind
//! `footfall_core`'s [`Detector`] trait.
//!
//! Per frame: letterbox into the input tensor (allocated once, reused), run, decode the
//! configured classes above the confidence threshold, map boxes to the frame, NMS, clip.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use footfall_core::detection::{Detection, Detector, PERSON_CLASS, non_max_suppression};
use footfall_core::frame::Frame;
use ort::session::Session;
use ort::value::{Tensor, TensorElementType, ValueType};

use crate::error::DetectError;
use crate::layout::{Layout, OutputDecoder, OutputLayout};
use crate::letterbox::{InputFormat, Letterbox};
use crate::model::{TensorInfo, check_model_file, open_session};
use crate::runtime::{Runtime, init_runtime};

/// Default minimum score (objectness x class score, or class score alone for YOLOv8).
pub const DEFAULT_CONFIDENCE: f32 = 0.3;
/// Default IoU above which NMS drops the lower-scoring of two boxes of one class.
pub const DEFAULT_NMS_IOU: f32 = 0.45;
/// Default model path, relative to the working directory.
pub const DEFAULT_MODEL: &str = "models/yolox_nano.onnx";

/// Settings of an [`OrtDetector`]. [`Default`] gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorConfig {
    /// ONNX model file. Default: `models/yolox_nano.onnx` (relative to the working directory).
    pub model: PathBuf,
    /// How to read the model's output. Default: [`Layout::Auto`], recognised from the output
    /// shape; set it when recognition fails.
    pub layout: Layout,
    /// Minimum score, 0..1, a box needs before NMS. Default: 0.3.
    pub confidence: f32,
    /// NMS IoU threshold, 0..1: a box overlapping a higher-scoring box of the same class by
    /// more than this is dropped. Default: 0.45.
    pub nms_iou: f32,
    /// Model class ids to detect; all others are skipped unread. Default: `[0]` (COCO person).
    pub classes: Vec<u32>,
    /// ONNX Runtime threads per operator. Default: 1, because a deployment runs one
    /// detector per camera stream and scales across streams, not within one model;
    /// 0 lets ONNX Runtime use one thread per core.
    pub intra_threads: usize,
    /// The ONNX Runtime shared library. Default: `None`, searching `ORT_DYLIB_PATH`, the
    /// project cache, the executable's directory and the system loader (see
    /// [`crate::runtime`]).
    pub ort_library: Option<PathBuf>,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            model: PathBuf::from(DEFAULT_MODEL),
            layout: Layout::Auto,
            confidence: DEFAULT_CONFIDENCE,
            nms_iou: DEFAULT_NMS_IOU,
            classes: vec![PERSON_CLASS],
            intra_threads: 1,
            ort_library: None,
        }
    }
}

impl DetectorConfig {
    /// The defaults with another model file.
    pub fn new(model: impl Into<PathBuf>) -> Self {
        DetectorConfig {
            model: model.into(),
            ..Default::default()
        }
    }

    /// Checks the ranges of the numeric settings.
    pub fn validate(&self) -> Result<(), DetectError> {
        let unit = |field, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(DetectError::InvalidConfig {
                    field,
                    reason: format!("{v} is outside 0..1"),
                })
            }
        };
        unit("confidence", self.confidence)?;
        unit("nms_iou", self.nms_iou)?;
        if self.classes.is_empty() {
            return Err(DetectError::InvalidConfig {
                field: "classes",
                reason: "no class to detect; use [0] for persons".into(),
            });
        }
        Ok(())
    }
}

/// Wall-clock milliseconds of the stages of one [`Detector::detect`] call.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// Letterbox and conversion into the input tensor.
    pub preprocess_ms: f64,
    /// ONNX Runtime's `run`.
    pub inference_ms: f64,
    /// Decoding, mapping to the frame, NMS.
    pub postprocess_ms: f64,
}

impl Timing {
    pub fn total_ms(&self) -> f64 {
        self.preprocess_ms + self.inference_ms + self.postprocess_ms
    }
}

/// A YOLOX / YOLOv5 / YOLOv8 / YOLO11 ONNX model on ONNX Runtime (CPU).
pub struct OrtDetector {
    session: Session,
    /// `[1, 3, H, W]`, allocated once and refilled for every frame.
    input: Tensor<f32>,
    input_size: (u32, u32),
    format: InputFormat,
    decoder: OutputDecoder,
    /// Letterbox of the last frame size seen.
    letterbox: Option<Letterbox>,
    classes: Vec<u32>,
    confidence: f32,
    nms_iou: f32,
    timing: Timing,
    model: PathBuf,
    runtime: &'static Runtime,
}

impl fmt::Debug for OrtDetector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrtDetector")
            .field("model", &self.model)
            .field("layout", &self.decoder.layout())
            .field("input_size", &self.input_size)
            .field("classes", &self.classes)
            .field("confidence", &self.confidence)
            .field("nms_iou", &self.nms_iou)
            .finish_non_exhaustive()
    }
}

impl OrtDetector {
    /// Loads ONNX Runtime (once per process) and the model, reads its input size and
    /// recognises (or checks) its output layout.
    pub fn new(config: &DetectorConfig) -> Result<Self, DetectError> {
        config.validate()?;
        check_model_file(&config.model)?;
        let runtime = init_runtime(config.ort_library.as_deref())?;
        let mut session = open_session(runtime, &config.model, config.intra_threads)?;
        let path = config.model.as_path();

        let (fixed_w, fixed_h) = input_dims(&session, path)?;
        let output = output_info(&session, path, (fixed_w.unwrap_or(0), fixed_h.unwrap_or(0)))?;
        let (input_size, decoder) = match (fixed_w, fixed_h) {
            (Some(w), Some(h)) if output.is_static() => (
                (w, h),
                OutputDecoder::new(config.layout, &output.shape, (w, h))?,
            ),
            _ => probe_geometry(&mut session, config.layout, (fixed_w, fixed_h), path)?,
        };
        decoder.check_classes(&config.classes)?;

        let (w, h) = (input_size.0 as usize, input_size.1 as usize);
        let input =
            Tensor::from_array(([1usize, 3, h, w], vec![0.0f32; 3 * w * h])).map_err(|source| {
                DetectError::Session {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        tracing::info!(
            model = %path.display(),
            layout = %decoder.layout(),
            input_width = input_size.0,
            input_height = input_size.1,
            classes = decoder.num_classes(),
            "detector ready"
        );
        Ok(OrtDetector {
            session,
            input,
            input_size,
            format: InputFormat::for_layout(decoder.layout()),
            decoder,
            letterbox: None,
            classes: config.classes.clone(),
            confidence: config.confidence,
            nms_iou: config.nms_iou,
            timing: Timing::default(),
            model: config.model.clone(),
            runtime,
        })
    }

    /// The output layout being decoded (never [`Layout::Auto`]).
    pub fn layout(&self) -> OutputLayout {
        self.decoder.layout()
    }

    /// Stage timings of the last [`Detector::detect`] call (zeros before the first).
    pub fn last_timing(&self) -> Timing {
        self.timing
    }

    /// The model file.
    pub fn model_path(&self) -> &Path {
        &self.model
    }

    /// The ONNX Runtime this detector runs on.
    pub fn runtime(&self) -> &'static Runtime {
        self.runtime
    }

    fn letterbox_for(&mut self, frame: &Frame) -> Letterbox {
        match self.letterbox {
            Some(lb) if (lb.frame_width, lb.frame_height) == (frame.width, frame.height) => lb,
            _ => {
                let lb = Letterbox::new(
                    (frame.width, frame.height),
                    self.input_size,
                    self.format.placement,
                );
                if !lb.is_unscaled() {
                    tracing::debug!(
                        frame_width = frame.width,
                        frame_height = frame.height,
                        input_width = self.input_size.0,
                        input_height = self.input_size.1,
                        "frame does not fit the model input; resampling every frame (decode at a fitting size to avoid it)"
                    );
                }
                self.letterbox = Some(lb);
                lb
            }
        }
    }
}

impl Detector for OrtDetector {
    type Error = DetectError;

    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, DetectError> {
        let expected = Frame::byte_len(frame.width, frame.height);
        if frame.pixels.len() != expected || expected == 0 {
            return Err(DetectError::BadFrame {
                width: frame.width,
                height: frame.height,
                expected,
                actual: frame.pixels.len(),
            });
        }
        let start = Instant::now();
        let letterbox = self.letterbox_for(frame);
        let (_, input) = self.input.extract_tensor_mut();
        letterbox.fill(frame, &self.format, input);
        let preprocessed = Instant::now();

        let outputs = self
            .session
            .run(ort::inputs![&self.input])
            .map_err(DetectError::Inference)?;
        let inferred = Instant::now();
        let (shape, data) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(DetectError::Inference)?;
        if shape[..] != *self.decoder.shape() {
            return Err(DetectError::UnsupportedOutput {
                shape: shape.to_vec(),
                layout: self.decoder.layout().to_string(),
                input_width: self.input_size.0,
                input_height: self.input_size.1,
                hint: format!(
                    "the model returned a different shape than {:?} at load time",
                    self.decoder.shape()
                ),
            });
        }
        let mut candidates = Vec::new();
        self.decoder
            .decode(data, &self.classes, self.confidence, &mut candidates);
        drop(outputs);
        let detections = finish(candidates, &letterbox, self.nms_iou);
        let done = Instant::now();

        self.timing = Timing {
            preprocess_ms: ms(preprocessed - start),
            inference_ms: ms(inferred - preprocessed),
            postprocess_ms: ms(done - inferred),
        };
        tracing::trace!(
            frame = frame.index,
            detections = detections.len(),
            total_ms = self.timing.total_ms(),
            "detected"
        );
        Ok(detections)
    }

    fn input_size(&self) -> (u32, u32) {
        self.input_size
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Maps decoded boxes from input to frame pixels, applies NMS, clips to the frame and drops
/// boxes left empty (found entirely in the padding).
pub(crate) fn finish(
    mut candidates: Vec<Detection>,
    letterbox: &Letterbox,
    nms_iou: f32,
) -> Vec<Detection> {
    for d in &mut candidates {
        d.bbox = letterbox.to_frame(d.bbox);
    }
    let mut kept = non_max_suppression(candidates, nms_iou);
    for d in &mut kept {
        d.bbox = letterbox.clip(d.bbox);
    }
    kept.retain(|d| d.bbox.area() > 0.0);
    kept
}

/// Width and height of the model's single `[1, 3, H, W]` float input; `None` where dynamic.
fn input_dims(session: &Session, path: &Path) -> Result<(Option<u32>, Option<u32>), DetectError> {
    let unsupported = |detail: String| DetectError::UnsupportedInput {
        path: path.to_path_buf(),
        detail,
    };
    let [input] = session.inputs() else {
        return Err(unsupported(format!("{} inputs", session.inputs().len())));
    };
    let dim = |d: i64| u32::try_from(d).ok().filter(|&d| d > 0);
    match input.dtype() {
        ValueType::Tensor {
            ty: TensorElementType::Float32,
            shape,
            ..
        } => match shape[..] {
            [n, c, h, w] if (n == 1 || n == -1) && (c == 3 || c == -1) => Ok((dim(w), dim(h))),
            _ => Err(unsupported(format!(
                "input `{}` has shape {:?}",
                input.name(),
                &shape[..]
            ))),
        },
        other => Err(unsupported(format!("input `{}` is {other}", input.name()))),
    }
}

/// The first output, which must be a float tensor (YOLOv5 exports may add raw head
/// outputs after it).
fn output_info(
    session: &Session,
    path: &Path,
    input: (u32, u32),
) -> Result<TensorInfo, DetectError> {
    let Some(output) = session.outputs().first() else {
        return Err(DetectError::Session {
            path: path.to_path_buf(),
            source: ort::Error::new("the model has no outputs"),
        });
    };
    let info = TensorInfo::from_outlet(output);
    if info.element_type != TensorElementType::Float32.to_string() {
        return Err(DetectError::UnsupportedOutput {
            shape: info.shape.clone(),
            layout: "auto".into(),
            input_width: input.0,
            input_height: input.1,
            hint: format!(
                "output `{}` is {}, expected f32; export the model with float32 outputs",
                info.name, info.element_type
            ),
        });
    }
    Ok(info)
}

/// For models with a dynamic input or output size: runs one blank frame to learn the
/// output shape. Dynamic input sides get the family's usual size (416 for YOLOX, 640
/// otherwise); with [`Layout::Auto`] that means probing at 640 first and again at 416 when
/// the model turns out to be YOLOX.
fn probe_geometry(
    session: &mut Session,
    layout: Layout,
    fixed: (Option<u32>, Option<u32>),
    path: &Path,
) -> Result<((u32, u32), OutputDecoder), DetectError> {
    let size_for = |side: u32| (fixed.0.unwrap_or(side), fixed.1.unwrap_or(side));
    let first_side = layout.fixed().map_or(640, OutputLayout::default_input_side);
    let size = size_for(first_side);
    let decoder = OutputDecoder::new(layout, &probe_output_shape(session, size, path)?, size)?;
    let yolox_side = OutputLayout::Yolox.default_input_side();
    let resize = (fixed.0.is_none() || fixed.1.is_none()) && first_side != yolox_side;
    if layout == Layout::Auto && decoder.layout() == OutputLayout::Yolox && resize {
        let size = size_for(yolox_side);
        let decoder = OutputDecoder::new(
            Layout::Yolox,
            &probe_output_shape(session, size, path)?,
            size,
        )?;
        return Ok((size, decoder));
    }
    Ok((size, decoder))
}

fn probe_output_shape(
    session: &mut Session,
    (w, h): (u32, u32),
    path: &Path,
) -> Result<Vec<i64>, DetectError> {
    let (w, h) = (w as usize, h as usize);
    let blank =
        Tensor::from_array(([1usize, 3, h, w], vec![0.0f32; 3 * w * h])).map_err(|source| {
            DetectError::Session {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let outputs = session
        .run(ort::inputs![blank])
        .map_err(DetectError::Inference)?;
    let shape = outputs[0]
        .try_extract_tensor::<f32>()
        .map_err(DetectError::Inference)?
        .0
        .to_vec();
    tracing::debug!(
        input_width = w,
        input_height = h,
        ?shape,
        "probed dynamic model output"
    );
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use footfall_core::geometry::BBox;

    use super::*;
    use crate::letterbox::Placement;

    fn det(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Detection {
        Detection {
            bbox: BBox::new(x1, y1, x2, y2),
            score,
            class_id: 0,
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = DetectorConfig::default();
        assert_eq!(c.layout, Layout::Auto);
        assert_eq!((c.confidence, c.nms_iou, c.intra_threads), (0.3, 0.45, 1));
        assert_eq!(c.classes, [PERSON_CLASS]);
        assert_eq!(c.ort_library, None);
        assert_eq!(DetectorConfig::new("m.onnx").model, PathBuf::from("m.onnx"));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn invalid_settings_name_the_field() {
        let bad = DetectorConfig {
            confidence: 1.5,
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("`confidence`")
        );
        let bad = DetectorConfig {
            nms_iou: -0.1,
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("`nms_iou`")
        );
        let bad = DetectorConfig {
            classes: vec![],
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("`classes`")
        );
    }

    #[test]
    fn finish_maps_suppresses_and_clips() {
        // 768x432 frame letterboxed top-left into 416x416 at scale 416/768.
        let lb = Letterbox::new((768, 432), (416, 416), Placement::TopLeft);
        let s = 416.0 / 768.0;
        let out = finish(
            vec![
                det(104.0 * s, 54.0 * s, 208.0 * s, 216.0 * s, 0.6),
                det(100.0 * s, 50.0 * s, 210.0 * s, 220.0 * s, 0.9),
                det(700.0 * s, 400.0 * s, 800.0 * s, 500.0 * s, 0.5),
                det(10.0, 300.0, 50.0, 400.0, 0.8), // in the padding below the frame
            ],
            &lb,
            0.45,
        );
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].score, 0.9);
        let b = out[0].bbox;
        assert!(
            (b.x1 - 100.0).abs() < 1e-3 && (b.y2 - 220.0).abs() < 1e-3,
            "{b:?}"
        );
        assert_eq!(out[1].bbox.x2, 768.0, "clipped to the frame");
        assert_eq!(out[1].bbox.y2, 432.0);
    }

    #[test]
    fn detector_and_errors_can_move_to_worker_threads() {
        fn send<T: Send>() {}
        fn send_sync<T: Send + Sync + 'static>() {}
        send::<OrtDetector>();
        send_sync::<DetectError>();
    }

    #[test]
    fn missing_model_is_reported_before_loading_the_runtime() {
        let err = OrtDetector::new(&DetectorConfig::new("/nonexistent/model.onnx")).unwrap_err();
        assert!(matches!(err, DetectError::ModelNotFound { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/model.onnx"));
    }
}
