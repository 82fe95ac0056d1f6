//! Frame quality: one number per frame, 0 (useless) to 1 (good), stored as
//! `counting_results.frame_quality_score` (the interval's mean).
//!
//! `score = sharpness * exposure`, on the luma of the frame downsampled by 2 (block means):
//! - sharpness: mean absolute Laplacian (4-neighbour) of that image, divided by 8 and
//!   clamped to 1. A focused indoor scene at detector resolution measures 8-20; a strongly
//!   blurred or fogged one 1-3.
//! - exposure: 1 - |mean luma - 118| / 118, clamped to 0..1: 1 for a mid-grey mean, 0 for
//!   a black or white frame (covered lens, night without IR, glare).

use crate::frame::Frame;
use crate::motion::downsample_gray;

/// Mean luma a well exposed frame has (of 255).
const MID_GREY: f64 = 118.0;
/// Mean |Laplacian| at which sharpness counts as full.
const SHARP: f64 = 8.0;

/// Quality of `frame`, 0..=1 (0 for frames too small to measure).
pub fn frame_quality(frame: &Frame) -> f64 {
    let mut gray = Vec::new();
    downsample_gray(frame, 2, &mut gray);
    let (w, h) = ((frame.width / 2) as usize, (frame.height / 2) as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let mean = gray.iter().map(|&v| f64::from(v)).sum::<f64>() / gray.len() as f64;
    let exposure = (1.0 - (mean - MID_GREY).abs() / MID_GREY).clamp(0.0, 1.0);
    let mut laplacian = 0u64;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let c = i32::from(gray[y * w + x]) * 4;
            let n = i32::from(gray[(y - 1) * w + x])
                + i32::from(gray[(y + 1) * w + x])
                + i32::from(gray[y * w + x - 1])
                + i32::from(gray[y * w + x + 1]);
            laplacian += u64::from((c - n).unsigned_abs());
        }
    }
    let sharpness = (laplacian as f64 / ((w - 2) * (h - 2)) as f64 / SHARP).clamp(0.0, 1.0);
    sharpness * exposure
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(width: u32, height: u32, pixel: impl Fn(u32, u32) -> u8) -> Frame {
        let mut pixels = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                let v = pixel(x, y);
                pixels.extend_from_slice(&[v, v, v]);
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

    #[test]
    fn flat_frames_score_zero_and_texture_scores_high() {
        assert_eq!(frame_quality(&frame(64, 64, |_, _| 118)), 0.0, "no detail");
        let checker = frame(
            64,
            64,
            |x, y| if (x / 4 + y / 4) % 2 == 0 { 60 } else { 180 },
        );
        assert!(frame_quality(&checker) > 0.9, "{}", frame_quality(&checker));
    }

    #[test]
    fn dark_and_blurred_frames_score_lower() {
        let sharp = frame(
            64,
            64,
            |x, y| if (x / 4 + y / 4) % 2 == 0 { 60 } else { 180 },
        );
        let dark = frame(64, 64, |x, y| if (x / 4 + y / 4) % 2 == 0 { 5 } else { 25 });
        let blurred = frame(64, 64, |x, _| (100 + x / 8) as u8);
        let (s, d, b) = (
            frame_quality(&sharp),
            frame_quality(&dark),
            frame_quality(&blurred),
        );
        assert!(d < s / 2.0, "dark {d} vs sharp {s}");
        assert!(b < 0.1, "smooth gradient {b}");
        assert_eq!(frame_quality(&frame(2, 2, |_, _| 100)), 0.0);
    }
}
