//! The real thing: YOLOX-Nano on ONNX Runtime against frames of the shared sample video.
//!
//! Needs the ONNX Runtime library (ORT_DYLIB_PATH, or the project's `.venv` from
//! `pip install onnxruntime`), `ffmpeg` on PATH, and `../shared` next to the project.
//! Missing any of them fails the test with a message saying what to install: these tests
//! guard the detector and must not pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

use footfall_core::detection::{Detection, Detector, PERSON_CLASS};
use footfall_core::frame::Frame;
use footfall_detect::{
    DetectError, DetectorConfig, DetectorPool, OrtDetector, OutputLayout, model_info,
};

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/models/yolox_nano.onnx"
);
const VIDEO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/one-by-one-person-detection.mp4"
);
/// The video is 768x432; sources decode it to fit YOLOX-Nano's 416x416 input.
const FIT: (u32, u32) = (416, 234);

/// ORT_DYLIB_PATH, else the library of the `onnxruntime` wheel in the project's `.venv`.
fn ort_library() -> PathBuf {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let venv_lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/lib");
    let found = std::fs::read_dir(&venv_lib)
        .into_iter()
        .flatten()
        .flatten()
        .find_map(|python| {
            let capi = python.path().join("site-packages/onnxruntime/capi");
            std::fs::read_dir(capi)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("libonnxruntime.so"))
                })
        });
    found.unwrap_or_else(|| {
        panic!(
            "ONNX Runtime library not found: set ORT_DYLIB_PATH to libonnxruntime.so, or run \
             scripts/setup.sh / `pip install onnxruntime` into {}",
            venv_lib.parent().unwrap().display()
        )
    })
}

fn config() -> DetectorConfig {
    assert!(
        Path::new(MODEL).is_file(),
        "model missing: {MODEL} (the shared files must be at ../shared)"
    );
    DetectorConfig {
        ort_library: Some(ort_library()),
        ..DetectorConfig::new(MODEL)
    }
}

fn detector() -> OrtDetector {
    OrtDetector::new(&config()).unwrap_or_else(|e| panic!("loading the detector: {e}"))
}

/// One frame at `seconds`, decoded by ffmpeg to BGR24 at `size` (or the native size).
fn frame_at(seconds: f64, size: Option<(u32, u32)>) -> Frame {
    let seek = seconds.to_string();
    let mut args = vec![
        "-v",
        "error",
        "-ss",
        seek.as_str(),
        "-i",
        VIDEO,
        "-frames:v",
        "1",
    ];
    let scale = size.map(|(w, h)| format!("scale={w}:{h}"));
    if let Some(scale) = &scale {
        args.extend(["-vf", scale.as_str()]);
    }
    args.extend(["-f", "rawvideo", "-pix_fmt", "bgr24", "-"]);
    let out = Command::new("ffmpeg")
        .args(&args)
        .output()
        .unwrap_or_else(|e| {
            panic!("running ffmpeg (install it, e.g. `apt-get install ffmpeg`): {e}")
        });
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (width, height) = size.unwrap_or((768, 432));
    assert_eq!(
        out.stdout.len(),
        Frame::byte_len(width, height),
        "ffmpeg frame size"
    );
    Frame {
        width,
        height,
        pts: seconds,
        index: 0,
        pixels: out.stdout,
    }
}

fn persons_above(detections: &[Detection], score: f32) -> Vec<Detection> {
    detections
        .iter()
        .filter(|d| d.class_id == PERSON_CLASS && d.score > score)
        .copied()
        .collect()
}

#[test]
fn finds_the_person_at_10_seconds() {
    let mut detector = detector();
    assert_eq!(detector.layout(), OutputLayout::Yolox);
    assert_eq!(detector.input_size(), (416, 416));
    let detections = detector.detect(&frame_at(10.0, Some(FIT))).unwrap();
    let persons = persons_above(&detections, 0.5);
    assert!(!persons.is_empty(), "no person above 0.5 in {detections:?}");
    let b = persons[0].bbox;
    assert!(
        b.x1 >= 0.0 && b.y1 >= 0.0 && b.x2 <= FIT.0 as f32 && b.y2 <= FIT.1 as f32,
        "inside the frame: {b:?}"
    );
    assert!(
        b.height() > 40.0 && b.width() > 15.0,
        "a person, not a speck: {b:?}"
    );
    assert!(b.height() > b.width() * 0.8, "upright-ish: {b:?}");
    let timing = detector.last_timing();
    assert!(
        timing.inference_ms > 0.0 && timing.total_ms() >= timing.inference_ms,
        "{timing:?}"
    );
}

#[test]
fn empty_room_at_1_second_has_no_person() {
    let mut detector = detector();
    let detections = detector.detect(&frame_at(1.0, Some(FIT))).unwrap();
    let persons = persons_above(&detections, 0.5);
    assert!(
        persons.is_empty(),
        "nobody is in the room at 1 s, got {persons:?}"
    );
}

#[test]
fn full_size_frame_is_resized_and_boxes_come_back_in_its_pixels() {
    let mut detector = detector();
    let small = persons_above(&detector.detect(&frame_at(10.0, Some(FIT))).unwrap(), 0.5);
    let full = persons_above(&detector.detect(&frame_at(10.0, None)).unwrap(), 0.5);
    assert!(
        !small.is_empty() && !full.is_empty(),
        "{small:?} / {full:?}"
    );
    // Same content at 768/416 the scale: the box should land in the same place.
    let k = 768.0 / 416.0;
    let s = small[0].bbox;
    let scaled = footfall_core::geometry::BBox::new(s.x1 * k, s.y1 * k, s.x2 * k, s.y2 * k);
    let iou = scaled.iou(&full[0].bbox);
    assert!(
        iou > 0.8,
        "full-size box {:?} vs scaled {:?}: IoU {iou}",
        full[0].bbox,
        scaled
    );
    assert!(full[0].bbox.x2 <= 768.0 && full[0].bbox.y2 <= 432.0);
}

#[test]
fn a_file_that_is_not_onnx_is_reported_as_such() {
    let path = std::env::temp_dir().join(format!(
        "footfall-detect-garbage-{}.onnx",
        std::process::id()
    ));
    std::fs::write(
        &path,
        b"this is not a protobuf \x00\xff\x13\x37 model at all".repeat(10),
    )
    .unwrap();
    let result = OrtDetector::new(&DetectorConfig {
        model: path.clone(),
        ..config()
    });
    std::fs::remove_file(&path).ok();
    let err = result.unwrap_err();
    assert!(matches!(err, DetectError::InvalidModel { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("not a valid ONNX model") && msg.contains(&path.display().to_string()),
        "{msg}"
    );
}

#[test]
fn a_missing_model_file_is_reported_as_missing() {
    let path = std::env::temp_dir().join("footfall-detect-no-such-model.onnx");
    let err = OrtDetector::new(&DetectorConfig {
        model: path.clone(),
        ..config()
    })
    .unwrap_err();
    assert!(matches!(err, DetectError::ModelNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn model_info_lists_inputs_outputs_and_layout() {
    let info = model_info(Path::new(MODEL), Some(&ort_library())).unwrap();
    assert_eq!(info.inputs.len(), 1);
    assert_eq!(info.inputs[0].name, "images");
    assert_eq!(info.inputs[0].shape, [1, 3, 416, 416]);
    assert_eq!(info.inputs[0].element_type, "f32");
    assert_eq!(info.outputs[0].name, "output");
    assert_eq!(info.outputs[0].shape, [1, 3549, 85]);
    assert_eq!(info.layout, Some(OutputLayout::Yolox));
    assert!(info.runtime_version.is_some(), "{info:?}");
}

#[test]
fn pooled_detectors_share_two_threads_fairly_and_match_a_private_one() {
    let person = frame_at(10.0, Some((416, 234)));
    let empty = frame_at(1.0, Some((416, 234)));
    let expected_person = detector().detect(&person).unwrap();
    assert!(!expected_person.is_empty());
    let pool = DetectorPool::new(2, 4);
    // Four cameras, two inference threads: each camera's answers are its own frames'
    // and equal a private session's; every camera gets through its 10 frames.
    let cameras: Vec<_> = (0..4)
        .map(|i| {
            let mut camera = pool.detector(&config()).unwrap();
            assert_eq!(camera.input_size(), (416, 416));
            let frame = if i % 2 == 0 {
                person.clone()
            } else {
                empty.clone()
            };
            let expected = if i % 2 == 0 {
                expected_person.clone()
            } else {
                vec![]
            };
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert_eq!(camera.detect(&frame).unwrap(), expected);
                }
                camera.last_wait()
            })
        })
        .collect();
    for camera in cameras {
        camera.join().unwrap();
    }
    // Both threads took a session; cameras starting again keep no extra ones loaded.
    for _ in 0..5 {
        drop(pool.detector(&config()).unwrap());
    }
    assert_eq!(pool.spare_sessions(), 0);
    // A model that does not load is refused when the camera asks, not at its first frame.
    let missing = DetectorConfig {
        model: "/nonexistent/model.onnx".into(),
        ..config()
    };
    assert!(matches!(
        pool.detector(&missing),
        Err(DetectError::ModelNotFound { .. })
    ));
}

/// Issue 12, privacy: on the shared video, blurring the detected people changes the
/// pixels inside each detection and none far outside, and the blurred frame no longer
/// yields that person to the detector at the same confidence.
#[test]
fn blurring_the_detected_people_hides_them_and_nothing_else() {
    let mut detector = detector();
    let raw = frame_at(10.0, Some(FIT));
    let persons = persons_above(&detector.detect(&raw).unwrap(), 0.5);
    assert!(!persons.is_empty());
    let mut blurred = raw.clone();
    footfall_core::render::blur_people(&mut blurred, persons.iter().map(|p| p.bbox));
    let px = |f: &Frame, x: u32, y: u32| {
        let i = ((y * f.width + x) * 3) as usize;
        [f.pixels[i], f.pixels[i + 1], f.pixels[i + 2]]
    };
    let b = persons[0].bbox;
    let inside: Vec<(u32, u32)> = (b.y1 as u32 + 2..b.y2 as u32 - 2)
        .flat_map(|y| (b.x1 as u32 + 2..b.x2 as u32 - 2).map(move |x| (x, y)))
        .collect();
    let changed = inside
        .iter()
        .filter(|&&(x, y)| px(&blurred, x, y) != px(&raw, x, y))
        .count();
    assert!(
        changed * 2 > inside.len(),
        "{changed} of {} pixels inside the person changed",
        inside.len()
    );
    // Far outside every (padded) detection nothing changed.
    let far = |x: u32, y: u32| {
        persons.iter().all(|p| {
            let (w, h) = (p.bbox.width(), p.bbox.height());
            (x as f32) < p.bbox.x1 - w * 0.2 - 2.0
                || (x as f32) > p.bbox.x2 + w * 0.2 + 2.0
                || (y as f32) < p.bbox.y1 - h * 0.2 - 2.0
                || (y as f32) > p.bbox.y2 + h * 0.2 + 2.0
        })
    };
    let mut outside = 0;
    for y in 0..raw.height {
        for x in 0..raw.width {
            if far(x, y) {
                outside += 1;
                assert_eq!(px(&blurred, x, y), px(&raw, x, y), "({x}, {y}) changed");
            }
        }
    }
    assert!(outside > (raw.width * raw.height / 2) as usize);
    let again = persons_above(&detector.detect(&blurred).unwrap(), persons[0].score);
    assert!(
        again.iter().all(|p| p.bbox.iou(&b) < 0.5),
        "the blurred person is still found as surely: {again:?}"
    );
}
