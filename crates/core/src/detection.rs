//! Detector output and the `Detector` trait that runtimes implement.

use crate::frame::Frame;
use crate::geometry::BBox;

/// COCO class id of "person", the default class Footfall counts.
pub const PERSON_CLASS: u32 = 0;

/// One detected object in frame pixel coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// Box in pixels of the frame the detector was given.
    pub bbox: BBox,
    /// Confidence 0..1 (objectness x class score for layouts that have objectness).
    pub score: f32,
    /// Class index of the model (COCO: 0 = person).
    pub class_id: u32,
}

/// Something that finds objects in a frame: ONNX Runtime in production, scripted
/// detections in tests.
pub trait Detector {
    /// The runtime's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Detections in `frame`, already filtered by class and confidence and de-duplicated
    /// by non-maximum suppression.
    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, Self::Error>;

    /// The frame size the detector works at best (its input tensor size, width x height);
    /// sources decode straight to a size that fits inside it.
    fn input_size(&self) -> (u32, u32);
}

impl<D: Detector + ?Sized> Detector for Box<D> {
    type Error = D::Error;
    fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>, Self::Error> {
        (**self).detect(frame)
    }
    fn input_size(&self) -> (u32, u32) {
        (**self).input_size()
    }
}

/// Greedy non-maximum suppression per class: keeps the highest-scoring box and drops
/// every box of the same class that overlaps it with IoU above `iou_threshold`.
/// Output is sorted by descending score; ties keep input order (deterministic).
pub fn non_max_suppression(mut detections: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::with_capacity(detections.len());
    for candidate in detections {
        let suppressed = kept.iter().any(|k| {
            k.class_id == candidate.class_id && k.bbox.iou(&candidate.bbox) > iou_threshold
        });
        if !suppressed {
            kept.push(candidate);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(x1: f32, y1: f32, x2: f32, y2: f32, score: f32, class_id: u32) -> Detection {
        Detection {
            bbox: BBox::new(x1, y1, x2, y2),
            score,
            class_id,
        }
    }

    #[test]
    fn nms_drops_overlapping_lower_scores() {
        let out = non_max_suppression(
            vec![
                det(0.0, 0.0, 10.0, 10.0, 0.6, 0),
                det(1.0, 1.0, 11.0, 11.0, 0.9, 0),
                det(50.0, 50.0, 60.0, 60.0, 0.5, 0),
            ],
            0.45,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        assert_eq!(out[1].score, 0.5);
    }

    #[test]
    fn nms_keeps_overlapping_boxes_of_other_classes() {
        let out = non_max_suppression(
            vec![
                det(0.0, 0.0, 10.0, 10.0, 0.6, 0),
                det(0.0, 0.0, 10.0, 10.0, 0.9, 1),
            ],
            0.45,
        );
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn nms_keeps_boxes_below_threshold_overlap() {
        // IoU of these two is 25/175 = 0.14.
        let out = non_max_suppression(
            vec![
                det(0.0, 0.0, 10.0, 10.0, 0.6, 0),
                det(5.0, 5.0, 15.0, 15.0, 0.9, 0),
            ],
            0.45,
        );
        assert_eq!(out.len(), 2);
    }
}
