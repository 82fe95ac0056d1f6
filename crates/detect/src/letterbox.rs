//! Letterboxing a BGR frame into a planar float input tensor, and mapping boxes back.
//! Pure: no runtime, no I/O, no allocation on the fast path.
//!
//! The frame is scaled (keeping its aspect ratio) until it touches two opposite sides of
//! the input, placed top-left (YOLOX) or centred (YOLOv5/v8), and the rest is padded with 114
//! grey, as each family was trained. Sources normally deliver frames that already touch the
//! input (scale 1): that path is a straight copy with conversion. Any other size is resampled
//! bilinearly (OpenCV's `INTER_LINEAR` pixel-centre convention).

use footfall_core::frame::Frame;
use footfall_core::geometry::BBox;

use crate::layout::OutputLayout;

/// Grey level of the padding in 0..255 units, shared by the whole YOLO family.
const PAD_LEVEL: f32 = 114.0;

/// Where the scaled frame sits inside the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// At the top-left corner, padding right and below (YOLOX).
    TopLeft,
    /// Centred, padding split evenly, the odd pixel going right/below (YOLOv5/v8).
    Centre,
}

/// Channel order of the input planes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelOrder {
    Bgr,
    Rgb,
}

/// How a model family wants its input: channel order, value scale and placement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputFormat {
    pub order: ChannelOrder,
    /// Multiplier from a 0..255 byte to the tensor value (1 or 1/255).
    pub value_scale: f32,
    pub placement: Placement,
}

impl InputFormat {
    /// YOLOX: BGR, 0..255, top-left. YOLOv5/v8: RGB, 0..1, centred.
    pub fn for_layout(layout: OutputLayout) -> Self {
        match layout {
            OutputLayout::Yolox => InputFormat {
                order: ChannelOrder::Bgr,
                value_scale: 1.0,
                placement: Placement::TopLeft,
            },
            OutputLayout::Yolov5 | OutputLayout::Yolov8 => InputFormat {
                order: ChannelOrder::Rgb,
                value_scale: 1.0 / 255.0,
                placement: Placement::Centre,
            },
        }
    }

    /// The padding value in tensor units.
    pub fn pad_value(&self) -> f32 {
        PAD_LEVEL * self.value_scale
    }

    /// Byte index within a BGR pixel of each tensor plane.
    fn source_channels(&self) -> [usize; 3] {
        match self.order {
            ChannelOrder::Bgr => [0, 1, 2],
            ChannelOrder::Rgb => [2, 1, 0],
        }
    }
}

/// The geometry of one letterbox: how a `frame` sized image sits inside an `input` sized
/// tensor. Cheap to compute; the detector recomputes it only when the frame size changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Letterbox {
    pub frame_width: u32,
    pub frame_height: u32,
    pub input_width: u32,
    pub input_height: u32,
    /// Size of the scaled frame inside the input, in input pixels.
    pub scaled_width: u32,
    pub scaled_height: u32,
    /// Offset of the scaled frame's top-left corner in the input.
    pub pad_x: u32,
    pub pad_y: u32,
}

impl Letterbox {
    /// Fits `frame` (width, height) into `input` (width, height) keeping the aspect ratio.
    /// A frame that already fits and touches one pair of sides is not scaled.
    pub fn new(frame: (u32, u32), input: (u32, u32), placement: Placement) -> Self {
        let (fw, fh) = (frame.0.max(1), frame.1.max(1));
        let (iw, ih) = input;
        let fits = fw <= iw && fh <= ih;
        let (scaled_width, scaled_height) = if fits && (fw == iw || fh == ih) {
            (fw, fh)
        } else {
            let r = (iw as f64 / fw as f64).min(ih as f64 / fh as f64);
            let side = |v: u32, limit: u32| ((v as f64 * r).round() as u32).clamp(1, limit);
            (side(fw, iw), side(fh, ih))
        };
        let (pad_x, pad_y) = match placement {
            Placement::TopLeft => (0, 0),
            Placement::Centre => ((iw - scaled_width) / 2, (ih - scaled_height) / 2),
        };
        Letterbox {
            frame_width: fw,
            frame_height: fh,
            input_width: iw,
            input_height: ih,
            scaled_width,
            scaled_height,
            pad_x,
            pad_y,
        }
    }

    /// Whether the frame is copied without resampling.
    pub fn is_unscaled(&self) -> bool {
        self.scaled_width == self.frame_width && self.scaled_height == self.frame_height
    }

    /// Input pixels per frame pixel, horizontally and vertically (equal up to rounding).
    pub fn scale(&self) -> (f32, f32) {
        (
            self.scaled_width as f32 / self.frame_width as f32,
            self.scaled_height as f32 / self.frame_height as f32,
        )
    }

    /// Maps a box from input tensor pixels to frame pixels, without clipping.
    pub fn to_frame(&self, b: BBox) -> BBox {
        let (sx, sy) = self.scale();
        let (px, py) = (self.pad_x as f32, self.pad_y as f32);
        BBox::new(
            (b.x1 - px) / sx,
            (b.y1 - py) / sy,
            (b.x2 - px) / sx,
            (b.y2 - py) / sy,
        )
    }

    /// Clips a box in frame pixels to the frame.
    pub fn clip(&self, b: BBox) -> BBox {
        let (w, h) = (self.frame_width as f32, self.frame_height as f32);
        BBox::new(
            b.x1.clamp(0.0, w),
            b.y1.clamp(0.0, h),
            b.x2.clamp(0.0, w),
            b.y2.clamp(0.0, h),
        )
    }

    /// Writes `frame` into `out`, a planar `[3, input_height, input_width]` tensor, in
    /// `format`. Every value of `out` is written, so the buffer can be reused across frames
    /// of any size.
    ///
    /// Panics when `out` has the wrong length or the frame is not `width * height * 3` bytes
    /// of this letterbox's frame size.
    pub fn fill(&self, frame: &Frame, format: &InputFormat, out: &mut [f32]) {
        let (iw, ih) = (self.input_width as usize, self.input_height as usize);
        let plane = iw * ih;
        assert_eq!(out.len(), 3 * plane, "input buffer size");
        assert_eq!(
            (frame.width, frame.height),
            (self.frame_width, self.frame_height),
            "frame size"
        );
        assert_eq!(
            frame.pixels.len(),
            Frame::byte_len(frame.width, frame.height),
            "frame bytes"
        );

        let (p0, rest) = out.split_at_mut(plane);
        let (p1, p2) = rest.split_at_mut(plane);
        let mut planes = [p0, p1, p2];
        self.fill_padding(&mut planes, format.pad_value());
        if self.is_unscaled() {
            self.copy_unscaled(frame, format, &mut planes);
        } else {
            self.resample(frame, format, &mut planes);
        }
    }

    /// Pads the bands above, below, left and right of the scaled frame.
    fn fill_padding(&self, planes: &mut [&mut [f32]; 3], pad: f32) {
        let iw = self.input_width as usize;
        let (x0, y0) = (self.pad_x as usize, self.pad_y as usize);
        let (x1, y1) = (
            x0 + self.scaled_width as usize,
            y0 + self.scaled_height as usize,
        );
        for plane in planes.iter_mut() {
            plane[..y0 * iw].fill(pad);
            plane[y1 * iw..].fill(pad);
            if x0 > 0 || x1 < iw {
                for row in plane[y0 * iw..y1 * iw].chunks_exact_mut(iw) {
                    row[..x0].fill(pad);
                    row[x1..].fill(pad);
                }
            }
        }
    }

    /// The fast path: one frame pixel per input pixel.
    fn copy_unscaled(&self, frame: &Frame, format: &InputFormat, planes: &mut [&mut [f32]; 3]) {
        let (iw, fw) = (self.input_width as usize, self.frame_width as usize);
        let [c0, c1, c2] = format.source_channels();
        let k = format.value_scale;
        let [p0, p1, p2] = planes;
        for (y, src) in frame.pixels.chunks_exact(fw * 3).enumerate() {
            let start = (y + self.pad_y as usize) * iw + self.pad_x as usize;
            let range = start..start + fw;
            let (d0, d1, d2) = (
                &mut p0[range.clone()],
                &mut p1[range.clone()],
                &mut p2[range],
            );
            for (((px, a), b), c) in src.chunks_exact(3).zip(d0).zip(d1).zip(d2) {
                *a = px[c0] as f32 * k;
                *b = px[c1] as f32 * k;
                *c = px[c2] as f32 * k;
            }
        }
    }

    /// Bilinear resampling into the scaled area, sampling at pixel centres like OpenCV's
    /// `INTER_LINEAR`.
    fn resample(&self, frame: &Frame, format: &InputFormat, planes: &mut [&mut [f32]; 3]) {
        let (fw, fh) = (self.frame_width as usize, self.frame_height as usize);
        let iw = self.input_width as usize;
        let taps = |dst: usize, src: usize| -> Vec<(usize, usize, f32)> {
            let ratio = src as f32 / dst as f32;
            (0..dst)
                .map(|d| {
                    let s = ((d as f32 + 0.5) * ratio - 0.5).max(0.0);
                    let i0 = (s.floor() as usize).min(src - 1);
                    let i1 = (i0 + 1).min(src - 1);
                    (i0, i1, s - i0 as f32)
                })
                .collect()
        };
        let xs = taps(self.scaled_width as usize, fw);
        let ys = taps(self.scaled_height as usize, fh);
        let channels = format.source_channels();
        let k = format.value_scale;
        let px = &frame.pixels;
        for (dy, &(y0, y1, wy)) in ys.iter().enumerate() {
            let (r0, r1) = (y0 * fw * 3, y1 * fw * 3);
            let start = (dy + self.pad_y as usize) * iw + self.pad_x as usize;
            for (dx, &(x0, x1, wx)) in xs.iter().enumerate() {
                let (a, b) = (x0 * 3, x1 * 3);
                for (plane, &c) in planes.iter_mut().zip(&channels) {
                    let top = px[r0 + a + c] as f32 * (1.0 - wx) + px[r0 + b + c] as f32 * wx;
                    let bottom = px[r1 + a + c] as f32 * (1.0 - wx) + px[r1 + b + c] as f32 * wx;
                    plane[start + dx] = (top * (1.0 - wy) + bottom * wy) * k;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YOLOX: InputFormat = InputFormat {
        order: ChannelOrder::Bgr,
        value_scale: 1.0,
        placement: Placement::TopLeft,
    };

    fn frame_from(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Frame {
        let mut pixels = Vec::with_capacity(Frame::byte_len(width, height));
        for y in 0..height {
            for x in 0..width {
                pixels.extend_from_slice(&f(x, y));
            }
        }
        Frame {
            width,
            height,
            pts: 0.0,
            index: 0,
            pixels,
        }
    }

    fn at(out: &[f32], lb: &Letterbox, c: usize, x: u32, y: u32) -> f32 {
        let (w, h) = (lb.input_width as usize, lb.input_height as usize);
        out[c * w * h + y as usize * w + x as usize]
    }

    #[test]
    fn fitting_frame_is_copied_top_left_in_bgr() {
        let lb = Letterbox::new((416, 234), (416, 416), Placement::TopLeft);
        assert!(lb.is_unscaled());
        assert_eq!(
            (lb.pad_x, lb.pad_y, lb.scaled_width, lb.scaled_height),
            (0, 0, 416, 234)
        );
        let frame = frame_from(416, 234, |x, y| [x as u8, y as u8, 7]);
        let mut out = vec![-1.0; 3 * 416 * 416];
        lb.fill(&frame, &YOLOX, &mut out);
        assert_eq!(at(&out, &lb, 0, 200, 100), 200.0, "plane 0 is blue");
        assert_eq!(at(&out, &lb, 1, 200, 100), 100.0);
        assert_eq!(at(&out, &lb, 2, 200, 100), 7.0);
        assert_eq!(at(&out, &lb, 0, 10, 233), 10.0, "last frame row");
        assert_eq!(at(&out, &lb, 2, 10, 234), 114.0, "padding below");
        assert!(out.iter().all(|&v| v >= 0.0), "every value written");
    }

    #[test]
    fn fitting_frame_is_centred_in_rgb_for_ultralytics() {
        let format = InputFormat::for_layout(OutputLayout::Yolov8);
        let lb = Letterbox::new((640, 361), (640, 640), format.placement);
        assert_eq!(
            (lb.pad_x, lb.pad_y),
            (0, 139),
            "279 rows of padding, the odd one below"
        );
        let frame = frame_from(640, 361, |_, _| [0, 51, 255]);
        let mut out = vec![-1.0; 3 * 640 * 640];
        lb.fill(&frame, &format, &mut out);
        assert_eq!(at(&out, &lb, 0, 5, 139), 1.0, "plane 0 is red");
        assert!((at(&out, &lb, 1, 5, 139) - 0.2).abs() < 1e-6);
        assert_eq!(at(&out, &lb, 2, 5, 499), 0.0);
        assert!(
            (at(&out, &lb, 2, 5, 138) - 114.0 / 255.0).abs() < 1e-6,
            "padding above"
        );
        assert!(
            (at(&out, &lb, 2, 5, 500) - 114.0 / 255.0).abs() < 1e-6,
            "padding below"
        );
    }

    #[test]
    fn boxes_map_back_for_top_left_and_centre() {
        let top_left = Letterbox::new((416, 234), (416, 416), Placement::TopLeft);
        let b = BBox::new(10.0, 20.0, 110.0, 220.0);
        assert_eq!(top_left.to_frame(b), b);
        assert_eq!(
            top_left.clip(BBox::new(-5.0, 20.0, 500.0, 300.0)),
            BBox::new(0.0, 20.0, 416.0, 234.0)
        );

        let centre = Letterbox::new((300, 416), (416, 416), Placement::Centre);
        assert_eq!((centre.pad_x, centre.pad_y), (58, 0));
        assert_eq!(
            centre.to_frame(BBox::new(68.0, 20.0, 158.0, 220.0)),
            BBox::new(10.0, 20.0, 100.0, 220.0)
        );
    }

    #[test]
    fn larger_frame_is_scaled_down_and_boxes_scale_back() {
        // 768x432 into 416x416: scale 416/768, 234 rows.
        let lb = Letterbox::new((768, 432), (416, 416), Placement::TopLeft);
        assert!(!lb.is_unscaled());
        assert_eq!((lb.scaled_width, lb.scaled_height), (416, 234));
        let b = lb.to_frame(BBox::new(104.0, 117.0, 208.0, 234.0));
        assert!(
            (b.x1 - 192.0).abs() < 1e-3 && (b.x2 - 384.0).abs() < 1e-3,
            "{b:?}"
        );
        assert!(
            (b.y1 - 216.0).abs() < 1e-3 && (b.y2 - 432.0).abs() < 1e-3,
            "{b:?}"
        );

        let centred = Letterbox::new((1280, 720), (640, 640), Placement::Centre);
        assert_eq!(
            (centred.scaled_width, centred.scaled_height, centred.pad_y),
            (640, 360, 140)
        );
        let b = centred.to_frame(BBox::new(0.0, 140.0, 320.0, 500.0));
        assert!(
            (b.x2 - 640.0).abs() < 1e-3 && b.y1.abs() < 1e-3 && (b.y2 - 720.0).abs() < 1e-3,
            "{b:?}"
        );
    }

    #[test]
    fn small_frame_is_scaled_up() {
        let lb = Letterbox::new((208, 117), (416, 416), Placement::TopLeft);
        assert_eq!((lb.scaled_width, lb.scaled_height), (416, 234));
        assert_eq!(lb.scale(), (2.0, 2.0));
    }

    #[test]
    fn resampling_is_bilinear_at_pixel_centres() {
        // A horizontal ramp 0, 10, 20, ... scaled down 2x: output pixel d samples source
        // 2d + 0.5, halfway between two pixels.
        let frame = frame_from(64, 8, |x, _| [(x * 10 % 256) as u8, 0, 0]);
        let lb = Letterbox::new((64, 8), (32, 32), Placement::TopLeft);
        assert_eq!((lb.scaled_width, lb.scaled_height), (32, 4));
        let mut out = vec![0.0; 3 * 32 * 32];
        lb.fill(&frame, &YOLOX, &mut out);
        assert!(
            (at(&out, &lb, 0, 3, 1) - 65.0).abs() < 1e-4,
            "{}",
            at(&out, &lb, 0, 3, 1)
        );
        assert_eq!(
            at(&out, &lb, 0, 3, 4),
            114.0,
            "padding below the scaled frame"
        );
        // A uniform frame stays uniform at any scale, edges included.
        let grey = frame_from(100, 30, |_, _| [40, 80, 120]);
        let lb = Letterbox::new((100, 30), (64, 64), Placement::Centre);
        let mut out = vec![0.0; 3 * 64 * 64];
        lb.fill(&grey, &YOLOX, &mut out);
        for y in lb.pad_y..lb.pad_y + lb.scaled_height {
            for x in 0..64 {
                assert!((at(&out, &lb, 2, x, y) - 120.0).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn buffer_reused_for_a_smaller_frame_gets_fresh_padding() {
        let mut out = vec![0.0; 3 * 416 * 416];
        let big = frame_from(416, 416, |_, _| [1, 1, 1]);
        Letterbox::new((416, 416), (416, 416), Placement::TopLeft).fill(&big, &YOLOX, &mut out);
        let small = frame_from(416, 100, |_, _| [2, 2, 2]);
        let lb = Letterbox::new((416, 100), (416, 416), Placement::TopLeft);
        lb.fill(&small, &YOLOX, &mut out);
        assert_eq!(at(&out, &lb, 1, 0, 99), 2.0);
        assert_eq!(at(&out, &lb, 1, 0, 100), 114.0);
    }
}
