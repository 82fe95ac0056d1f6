//! Output layouts of the YOLO family and their decoding into boxes. Pure: no runtime, no I/O.
//!
//! All three layouts end in boxes in *input tensor* pixels; mapping them back to the frame is
//! [`crate::letterbox`]'s job.
//!
//! | layout | output | boxes | score |
//! |---|---|---|---|
//! | YOLOX | `[1, N, 5+C]`, N = grid cells of strides 8/16/32 | raw: `(v + grid) * stride`, `exp(v) * stride` | objectness x class (both already sigmoid) |
//! | YOLOv5 | `[1, N, 5+C]`, N = 3 anchors x grid cells | decoded cx, cy, w, h | objectness x class |
//! | YOLOv8 / YOLO11 | `[1, 4+C, N]` (transposed) | decoded cx, cy, w, h | class only |

use std::fmt;
use std::str::FromStr;

use footfall_core::detection::Detection;
use footfall_core::geometry::BBox;

use crate::error::DetectError;

/// Strides of the three detection heads every supported layout uses.
const STRIDES: [u32; 3] = [8, 16, 32];

/// How to read the model's output: the `layout` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Recognise the layout from the output shape and the input size. The default.
    #[default]
    Auto,
    /// YOLOX, raw head output (the official ONNX exports).
    Yolox,
    /// YOLOv5 (ultralytics/yolov5 export), decoded, with objectness.
    Yolov5,
    /// YOLOv8 and YOLO11 (ultralytics export), decoded, transposed, no objectness.
    Yolov8,
}

impl Layout {
    /// The concrete layout this setting asks for, `None` for [`Layout::Auto`].
    pub fn fixed(self) -> Option<OutputLayout> {
        match self {
            Layout::Auto => None,
            Layout::Yolox => Some(OutputLayout::Yolox),
            Layout::Yolov5 => Some(OutputLayout::Yolov5),
            Layout::Yolov8 => Some(OutputLayout::Yolov8),
        }
    }

    /// The setting's name as a user writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Auto => "auto",
            Layout::Yolox => "yolox",
            Layout::Yolov5 => "yolov5",
            Layout::Yolov8 => "yolov8",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layout {
    type Err = DetectError;

    /// Accepts `auto`, `yolox`, `yolov5`, `yolov8`, `yolo11`/`yolov11` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Layout::Auto),
            "yolox" => Ok(Layout::Yolox),
            "yolov5" => Ok(Layout::Yolov5),
            "yolov8" | "yolo11" | "yolov11" => Ok(Layout::Yolov8),
            _ => Err(DetectError::UnknownLayout(s.to_string())),
        }
    }
}

/// A concrete output layout: what [`Layout::Auto`] resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputLayout {
    Yolox,
    Yolov5,
    Yolov8,
}

impl OutputLayout {
    /// The [`Layout`] setting that selects this layout explicitly.
    pub fn setting(self) -> Layout {
        match self {
            OutputLayout::Yolox => Layout::Yolox,
            OutputLayout::Yolov5 => Layout::Yolov5,
            OutputLayout::Yolov8 => Layout::Yolov8,
        }
    }

    /// Input side the family is usually exported at, used when the model's input size is
    /// dynamic: 416 for YOLOX (nano/tiny), 640 for the ultralytics models.
    pub fn default_input_side(self) -> u32 {
        match self {
            OutputLayout::Yolox => 416,
            OutputLayout::Yolov5 | OutputLayout::Yolov8 => 640,
        }
    }
}

impl fmt::Display for OutputLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.setting().fmt(f)
    }
}

/// Number of grid cells over the three heads (strides 8, 16, 32) for an input of
/// `width` x `height` pixels.
pub fn grid_cells(width: u32, height: u32) -> usize {
    STRIDES
        .iter()
        .map(|&s| (width / s) as usize * (height / s) as usize)
        .sum()
}

/// Recognises the layout of an output of `shape` for an input of `input` (width, height),
/// following the rules in the module docs. All dimensions must be known.
pub fn detect_layout(shape: &[i64], input: (u32, u32)) -> Result<OutputLayout, DetectError> {
    let cells = grid_cells(input.0, input.1) as i64;
    match *shape {
        [1, n, k] if k >= 6 && n == cells => Ok(OutputLayout::Yolox),
        [1, n, k] if k >= 6 && n == 3 * cells => Ok(OutputLayout::Yolov5),
        [1, k, n] if k >= 5 && k < n => Ok(OutputLayout::Yolov8),
        _ => Err(unsupported(
            shape,
            Layout::Auto,
            input,
            format!(
                "not recognised; for this input YOLOX gives [1, {cells}, 5+classes], YOLOv5 \
                 [1, {}, 5+classes] and YOLOv8/YOLO11 [1, 4+classes, anchors]; set `layout` to \
                 yolox, yolov5 or yolov8 if the model is one of them",
                3 * cells
            ),
        )),
    }
}

fn unsupported(shape: &[i64], layout: Layout, input: (u32, u32), hint: String) -> DetectError {
    DetectError::UnsupportedOutput {
        shape: shape.to_vec(),
        layout: layout.to_string(),
        input_width: input.0,
        input_height: input.1,
        hint,
    }
}

/// Decodes one output tensor of a fixed shape and layout. Built once per model; decoding a
/// frame allocates nothing beyond the detections it pushes.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDecoder {
    layout: OutputLayout,
    shape: Vec<i64>,
    /// Rows (anchors) in the output.
    boxes: usize,
    classes: usize,
    /// YOLOX only: (grid x, grid y, stride) per anchor, in output order.
    grid: Vec<[f32; 3]>,
}

impl OutputDecoder {
    /// A decoder for an output of `shape` from an input of `input` (width, height) pixels.
    /// `layout` [`Layout::Auto`] recognises the layout with [`detect_layout`]; an explicit
    /// layout is checked against the shape.
    pub fn new(layout: Layout, shape: &[i64], input: (u32, u32)) -> Result<Self, DetectError> {
        let resolved = match layout.fixed() {
            Some(fixed) => fixed,
            None => detect_layout(shape, input)?,
        };
        let dims = match *shape {
            [1, a, b] if a > 0 && b > 0 => (a as usize, b as usize),
            _ => {
                return Err(unsupported(
                    shape,
                    layout,
                    input,
                    "expected a 3-dimensional [1, rows, columns] output with known sizes".into(),
                ));
            }
        };
        let (boxes, classes) = match resolved {
            OutputLayout::Yolox | OutputLayout::Yolov5 if dims.1 >= 6 => (dims.0, dims.1 - 5),
            // More classes than anchors means a [1, anchors, 4+classes] (untransposed) export.
            OutputLayout::Yolov8 if dims.0 >= 5 && dims.0 < dims.1 => (dims.1, dims.0 - 4),
            _ => {
                let hint = match resolved {
                    OutputLayout::Yolov8 => {
                        "YOLOv8/YOLO11 outputs are [1, 4+classes, anchors] with fewer rows than anchors"
                    }
                    _ => "YOLOX and YOLOv5 outputs are [1, anchors, 5+classes]",
                };
                return Err(unsupported(
                    shape,
                    layout,
                    input,
                    format!("{hint}; try `layout = auto`"),
                ));
            }
        };
        let mut grid = Vec::new();
        if resolved == OutputLayout::Yolox {
            let cells = grid_cells(input.0, input.1);
            if boxes != cells {
                return Err(unsupported(
                    shape,
                    layout,
                    input,
                    format!(
                        "YOLOX needs one row per grid cell ({cells} for this input); if the model \
                         decodes boxes itself use `layout = yolov5`"
                    ),
                ));
            }
            grid.reserve_exact(cells);
            for stride in STRIDES {
                let (w, h) = (input.0 / stride, input.1 / stride);
                for y in 0..h {
                    for x in 0..w {
                        grid.push([x as f32, y as f32, stride as f32]);
                    }
                }
            }
        }
        Ok(OutputDecoder {
            layout: resolved,
            shape: shape.to_vec(),
            boxes,
            classes,
            grid,
        })
    }

    /// The concrete layout being decoded.
    pub fn layout(&self) -> OutputLayout {
        self.layout
    }

    /// The output shape this decoder was built for.
    pub fn shape(&self) -> &[i64] {
        &self.shape
    }

    /// Number of classes the model predicts.
    pub fn num_classes(&self) -> usize {
        self.classes
    }

    /// Checks that every id in `classes` exists in the model.
    pub fn check_classes(&self, classes: &[u32]) -> Result<(), DetectError> {
        match classes.iter().find(|&&c| c as usize >= self.classes) {
            Some(&class) => Err(DetectError::ClassOutOfRange {
                class,
                num_classes: self.classes,
            }),
            None => Ok(()),
        }
    }

    /// Appends to `out` one detection per anchor whose best score among `classes` exceeds
    /// `confidence`, with the box in input tensor pixels. Classes not listed are never read.
    /// Class ids outside the model are ignored (see [`Self::check_classes`]).
    ///
    /// Panics when `output` is shorter than the shape this decoder was built for.
    pub fn decode(
        &self,
        output: &[f32],
        classes: &[u32],
        confidence: f32,
        out: &mut Vec<Detection>,
    ) {
        let expected = self.shape.iter().product::<i64>() as usize;
        assert!(
            output.len() >= expected,
            "output has {} values, shape {:?} needs {expected}",
            output.len(),
            self.shape
        );
        let classes_in_range = classes.iter().all(|&c| (c as usize) < self.classes);
        let filtered;
        let classes = if classes_in_range {
            classes
        } else {
            filtered = classes
                .iter()
                .copied()
                .filter(|&c| (c as usize) < self.classes)
                .collect::<Vec<_>>();
            &filtered
        };
        match self.layout {
            OutputLayout::Yolox | OutputLayout::Yolov5 => {
                self.decode_rows(output, classes, confidence, out)
            }
            OutputLayout::Yolov8 => self.decode_transposed(output, classes, confidence, out),
        }
    }

    /// `[1, N, 5+C]`: one row per anchor, objectness in column 4.
    fn decode_rows(
        &self,
        output: &[f32],
        classes: &[u32],
        confidence: f32,
        out: &mut Vec<Detection>,
    ) {
        let width = 5 + self.classes;
        for (i, row) in output.chunks_exact(width).take(self.boxes).enumerate() {
            let objectness = row[4];
            // Class scores are at most 1, so a low objectness rules the anchor out unread.
            if objectness <= confidence {
                continue;
            }
            let Some((class_id, score)) = best_class(classes, |c| objectness * row[5 + c]) else {
                continue;
            };
            if score <= confidence {
                continue;
            }
            let (cx, cy, w, h) = match self.layout {
                OutputLayout::Yolox => {
                    let [gx, gy, stride] = self.grid[i];
                    (
                        (row[0] + gx) * stride,
                        (row[1] + gy) * stride,
                        row[2].exp() * stride,
                        row[3].exp() * stride,
                    )
                }
                _ => (row[0], row[1], row[2], row[3]),
            };
            out.push(Detection {
                bbox: centre_box(cx, cy, w, h),
                score,
                class_id,
            });
        }
    }

    /// `[1, 4+C, N]`: one column per anchor, class scores without objectness.
    fn decode_transposed(
        &self,
        output: &[f32],
        classes: &[u32],
        confidence: f32,
        out: &mut Vec<Detection>,
    ) {
        let n = self.boxes;
        let row = |r: usize| &output[r * n..(r + 1) * n];
        if let [class] = *classes {
            // The common case (persons only) reads one contiguous row of scores.
            for (i, &score) in row(4 + class as usize).iter().enumerate() {
                if score > confidence {
                    let bbox = centre_box(row(0)[i], row(1)[i], row(2)[i], row(3)[i]);
                    out.push(Detection {
                        bbox,
                        score,
                        class_id: class,
                    });
                }
            }
            return;
        }
        for i in 0..n {
            let Some((class_id, score)) = best_class(classes, |c| output[(4 + c) * n + i]) else {
                continue;
            };
            if score > confidence {
                let bbox = centre_box(row(0)[i], row(1)[i], row(2)[i], row(3)[i]);
                out.push(Detection {
                    bbox,
                    score,
                    class_id,
                });
            }
        }
    }
}

/// The highest-scoring class among `classes`; the first wins a tie.
fn best_class(classes: &[u32], score: impl Fn(usize) -> f32) -> Option<(u32, f32)> {
    let mut best: Option<(u32, f32)> = None;
    for &c in classes {
        let s = score(c as usize);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((c, s));
        }
    }
    best
}

fn centre_box(cx: f32, cy: f32, w: f32, h: f32) -> BBox {
    BBox::new(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One anchor of a synthetic `[1, N, 5+C]` output: index, cx, cy, w, h, objectness, and
    /// (class, score) pairs.
    type Row<'a> = (usize, [f32; 5], &'a [(usize, f32)]);

    /// A `[1, N, 5+C]` output of zeros with `rows` filled in at their anchor index.
    fn rows_output(n: usize, classes: usize, rows: &[Row<'_>]) -> Vec<f32> {
        let width = 5 + classes;
        let mut out = vec![0.0; n * width];
        for (i, head, scores) in rows {
            out[i * width..i * width + 5].copy_from_slice(head);
            for &(c, s) in *scores {
                out[i * width + 5 + c] = s;
            }
        }
        out
    }

    fn assert_box(b: BBox, expected: [f32; 4]) {
        let got = [b.x1, b.y1, b.x2, b.y2];
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-3, "box {got:?} != {expected:?}");
        }
    }

    #[test]
    fn grid_cells_of_common_inputs() {
        assert_eq!(grid_cells(416, 416), 52 * 52 + 26 * 26 + 13 * 13);
        assert_eq!(grid_cells(416, 416), 3549);
        assert_eq!(grid_cells(640, 640), 8400);
        assert_eq!(grid_cells(640, 384), 80 * 48 + 40 * 24 + 20 * 12);
    }

    #[test]
    fn auto_recognises_each_family() {
        assert_eq!(
            detect_layout(&[1, 3549, 85], (416, 416)).unwrap(),
            OutputLayout::Yolox
        );
        assert_eq!(
            detect_layout(&[1, 8400, 85], (640, 640)).unwrap(),
            OutputLayout::Yolox
        );
        assert_eq!(
            detect_layout(&[1, 25200, 85], (640, 640)).unwrap(),
            OutputLayout::Yolov5
        );
        assert_eq!(
            detect_layout(&[1, 84, 8400], (640, 640)).unwrap(),
            OutputLayout::Yolov8
        );
        assert_eq!(
            detect_layout(&[1, 5, 8400], (640, 640)).unwrap(),
            OutputLayout::Yolov8,
            "single class"
        );
        assert_eq!(
            detect_layout(&[1, 6, 3549], (416, 416)).unwrap(),
            OutputLayout::Yolov8
        );
    }

    #[test]
    fn auto_rejects_unknown_shapes_and_names_the_setting() {
        for shape in [&[1, 1000, 85][..], &[1, 85], &[2, 3549, 85], &[1, 85, 80]] {
            let err = detect_layout(shape, (416, 416)).unwrap_err();
            let DetectError::UnsupportedOutput {
                shape: s, layout, ..
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(s.as_slice(), shape);
            assert_eq!(layout, "auto");
            let msg = err.to_string();
            assert!(msg.contains(&format!("{shape:?}")), "{msg}");
            assert!(msg.contains("`layout`") && msg.contains("yolox"), "{msg}");
        }
    }

    #[test]
    fn explicit_layout_is_checked_against_the_shape() {
        let err = OutputDecoder::new(Layout::Yolox, &[1, 25200, 85], (640, 640)).unwrap_err();
        assert!(err.to_string().contains("yolov5"), "{err}");
        assert!(
            OutputDecoder::new(Layout::Yolov8, &[1, 3549, 84], (416, 416)).is_err(),
            "untransposed"
        );
        assert!(
            OutputDecoder::new(Layout::Yolov8, &[1, 4, 3549], (416, 416)).is_err(),
            "no classes"
        );
        assert!(OutputDecoder::new(Layout::Yolov5, &[1, 3549], (416, 416)).is_err());
        assert!(
            OutputDecoder::new(Layout::Yolov5, &[1, -1, 85], (416, 416)).is_err(),
            "dynamic"
        );
        // An explicit YOLOv5 accepts any anchor count.
        let d = OutputDecoder::new(Layout::Yolov5, &[1, 1000, 85], (640, 640)).unwrap();
        assert_eq!((d.layout(), d.num_classes()), (OutputLayout::Yolov5, 80));
    }

    #[test]
    fn layout_setting_parses_and_prints() {
        assert_eq!("YOLOX".parse::<Layout>().unwrap(), Layout::Yolox);
        assert_eq!("yolo11".parse::<Layout>().unwrap(), Layout::Yolov8);
        assert_eq!(" auto ".parse::<Layout>().unwrap(), Layout::Auto);
        assert!(matches!(
            "ssd".parse::<Layout>(),
            Err(DetectError::UnknownLayout(_))
        ));
        assert_eq!(Layout::Yolov5.to_string(), "yolov5");
        assert_eq!(OutputLayout::Yolov8.setting(), Layout::Yolov8);
    }

    #[test]
    fn yolox_decodes_grid_offsets_and_log_sizes() {
        // 64x32 input: strides 8/16/32 give 8x4 + 4x2 + 2x1 = 42 cells.
        let input = (64, 32);
        assert_eq!(grid_cells(64, 32), 42);
        // Anchor 9 is stride 8, grid (1, 1); anchor 32 is stride 16, grid (0, 0); anchor 41 is
        // stride 32, grid (1, 0).
        let out = rows_output(
            42,
            3,
            &[
                (9, [0.5, 0.25, 0.0, 0.0, 1.0], &[(0, 0.9)]),
                (32, [0.5, 0.5, 2.0f32.ln(), 0.0, 0.5], &[(0, 0.8)]),
                (41, [0.0, 0.0, 0.0, 0.0, 0.8], &[(0, 0.1), (2, 0.9)]),
            ],
        );
        let d = OutputDecoder::new(Layout::Auto, &[1, 42, 8], input).unwrap();
        assert_eq!(d.layout(), OutputLayout::Yolox);
        let mut dets = Vec::new();
        d.decode(&out, &[0], 0.3, &mut dets);
        assert_eq!(dets.len(), 2, "{dets:?}");
        // (0.5 + 1) * 8 = 12, (0.25 + 1) * 8 = 10, w = 1 * 8, h = 1 * 8.
        assert_box(dets[0].bbox, [8.0, 6.0, 16.0, 14.0]);
        assert!((dets[0].score - 0.9).abs() < 1e-6);
        // (0.5 + 0) * 16 = 8, w = 2 * 16 = 32, h = 16.
        assert_box(dets[1].bbox, [-8.0, 0.0, 24.0, 16.0]);
        assert!((dets[1].score - 0.4).abs() < 1e-6, "objectness x class");
        assert_eq!(dets[1].class_id, 0);

        // Class 2 only: anchor 41, box (1 * 32 +- 16, 0 +- 16).
        dets.clear();
        d.decode(&out, &[2], 0.3, &mut dets);
        assert_eq!(dets.len(), 1);
        assert_eq!(dets[0].class_id, 2);
        assert_box(dets[0].bbox, [16.0, -16.0, 48.0, 16.0]);
        assert!((dets[0].score - 0.72).abs() < 1e-6);

        // Both classes: anchor 41 reports its best listed class once.
        dets.clear();
        d.decode(&out, &[0, 2], 0.3, &mut dets);
        assert_eq!(
            dets.iter().map(|d| d.class_id).collect::<Vec<_>>(),
            [0, 0, 2]
        );
    }

    #[test]
    fn threshold_is_strict_and_applies_to_the_product() {
        let mut out = rows_output(42, 1, &[(0, [0.0, 0.0, 0.0, 0.0, 0.5], &[(0, 0.8)])]);
        out[6 + 4] = 0.9; // anchor 1: objectness 0.9, class 0.0
        let d = OutputDecoder::new(Layout::Yolox, &[1, 42, 6], (64, 32)).unwrap();
        let mut dets = Vec::new();
        d.decode(&out, &[0], 0.4, &mut dets);
        assert_eq!(dets.len(), 0, "0.5 * 0.8 = 0.4 is not above 0.4");
        d.decode(&out, &[0], 0.39, &mut dets);
        assert_eq!(dets.len(), 1);
    }

    #[test]
    fn yolov5_reads_decoded_boxes_with_objectness() {
        // 64x32 input: 3 x 42 = 126 anchors.
        let out = rows_output(
            126,
            2,
            &[
                (0, [20.0, 10.0, 8.0, 4.0, 0.9], &[(0, 0.5), (1, 0.9)]),
                (125, [40.0, 16.0, 10.0, 20.0, 0.2], &[(0, 1.0)]),
            ],
        );
        let d = OutputDecoder::new(Layout::Auto, &[1, 126, 7], (64, 32)).unwrap();
        assert_eq!(d.layout(), OutputLayout::Yolov5);
        let mut dets = Vec::new();
        d.decode(&out, &[0], 0.3, &mut dets);
        assert_eq!(dets.len(), 1, "anchor 125 has objectness 0.2");
        assert_box(dets[0].bbox, [16.0, 8.0, 24.0, 12.0]);
        assert!((dets[0].score - 0.45).abs() < 1e-6);
        dets.clear();
        d.decode(&out, &[1], 0.3, &mut dets);
        assert_eq!((dets.len(), dets[0].class_id), (1, 1));
        assert!((dets[0].score - 0.81).abs() < 1e-6);
        dets.clear();
        d.decode(&out, &[0], 0.1, &mut dets);
        assert_eq!(dets.len(), 2);
        assert_box(dets[1].bbox, [35.0, 6.0, 45.0, 26.0]);
    }

    #[test]
    fn yolov8_reads_transposed_columns_without_objectness() {
        // [1, 4+2, 10]: rows cx, cy, w, h, class 0, class 1; 10 anchors.
        let n = 10;
        let mut out = vec![0.0f32; 6 * n];
        let mut set = |row: usize, i: usize, v: f32| out[row * n + i] = v;
        for (i, (cx, cy, w, h, s0, s1)) in [
            (3, (50.0, 60.0, 10.0, 20.0, 0.7, 0.1)),
            (8, (5.0, 5.0, 2.0, 2.0, 0.2, 0.95)),
        ] {
            for (row, v) in [cx, cy, w, h, s0, s1].into_iter().enumerate() {
                set(row, i, v);
            }
        }
        let d = OutputDecoder::new(Layout::Auto, &[1, 6, 10], (64, 64)).unwrap();
        assert_eq!((d.layout(), d.num_classes()), (OutputLayout::Yolov8, 2));
        let mut dets = Vec::new();
        d.decode(&out, &[0], 0.3, &mut dets);
        assert_eq!(dets.len(), 1);
        assert_box(dets[0].bbox, [45.0, 50.0, 55.0, 70.0]);
        assert_eq!(dets[0].score, 0.7);
        dets.clear();
        d.decode(&out, &[1], 0.3, &mut dets);
        assert_eq!((dets.len(), dets[0].class_id, dets[0].score), (1, 1, 0.95));
        assert_box(dets[0].bbox, [4.0, 4.0, 6.0, 6.0]);
        dets.clear();
        d.decode(&out, &[0, 1], 0.15, &mut dets);
        assert_eq!(
            dets.iter()
                .map(|d| (d.class_id, d.score))
                .collect::<Vec<_>>(),
            [(0, 0.7), (1, 0.95)]
        );
    }

    #[test]
    fn class_ids_outside_the_model_are_reported_and_skipped() {
        let d = OutputDecoder::new(Layout::Yolov8, &[1, 6, 10], (64, 64)).unwrap();
        assert!(d.check_classes(&[0, 1]).is_ok());
        let err = d.check_classes(&[0, 2]).unwrap_err();
        assert!(matches!(
            err,
            DetectError::ClassOutOfRange {
                class: 2,
                num_classes: 2
            }
        ));
        let mut dets = Vec::new();
        d.decode(&[0.0; 60], &[7], 0.0, &mut dets);
        assert!(dets.is_empty());
    }
}
