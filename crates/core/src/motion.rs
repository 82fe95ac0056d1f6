//! Motion gate: skip the detector on frames where nothing moved.
//!
//! Each frame is reduced to a small grayscale grid (block means over `block` x `block`
//! pixels) and compared with the grid of the last frame the detector ran on. If more than
//! `area_threshold` of the cells changed by more than `pixel_threshold` grey levels, the
//! frame has motion. Comparing with the last *analysed* frame, not the previous one, means
//! slow movement accumulates until it triggers instead of slipping under the threshold.
//! A keep-alive forces a detection every `keepalive_s` so a person standing still stays
//! tracked.

use crate::frame::Frame;
use serde::{Deserialize, Serialize};

/// Motion gate settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MotionConfig {
    /// Run the gate at all; when false every frame is analysed. Default true.
    pub enabled: bool,
    /// Side of the square block averaged into one grid cell, in frame pixels. Default 4
    /// (a 416x234 frame becomes a 104x58 grid).
    pub block: u32,
    /// Grey-level change (0..255) for a cell to count as changed. Default 18, above
    /// H.264 noise on a still scene.
    pub pixel_threshold: u8,
    /// Fraction of cells (0..1) that must change for the frame to have motion.
    /// Default 0.002 (about 12 cells of 104x58: a distant person's arm).
    pub area_threshold: f32,
    /// Longest time (s) between two detector runs even without motion. Default 1.0.
    pub keepalive_s: f64,
}

impl Default for MotionConfig {
    fn default() -> Self {
        MotionConfig {
            enabled: true,
            block: 4,
            pixel_threshold: 18,
            area_threshold: 0.002,
            keepalive_s: 1.0,
        }
    }
}

/// Why the gate decided as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateDecision {
    /// Analyse: the gate is off, or this is the first frame.
    Always,
    /// Analyse: enough of the picture changed.
    Motion,
    /// Analyse: nothing moved, but the keep-alive interval passed.
    KeepAlive,
    /// Skip the detector.
    Skip,
}

impl GateDecision {
    pub fn analyse(self) -> bool {
        self != GateDecision::Skip
    }
}

/// The gate's state: the reference grid and when the detector last ran.
#[derive(Clone, Debug)]
pub struct MotionGate {
    config: MotionConfig,
    reference: Vec<u8>,
    scratch: Vec<u8>,
    grid: (u32, u32),
    last_analysed_at: Option<f64>,
}

impl MotionGate {
    pub fn new(config: MotionConfig) -> Self {
        MotionGate {
            config,
            reference: Vec::new(),
            scratch: Vec::new(),
            grid: (0, 0),
            last_analysed_at: None,
        }
    }

    pub fn config(&self) -> &MotionConfig {
        &self.config
    }

    /// Decides for `frame`; when the answer is to analyse, the frame becomes the new
    /// reference.
    pub fn decide(&mut self, frame: &Frame) -> GateDecision {
        if !self.config.enabled {
            return GateDecision::Always;
        }
        let block = self.config.block.max(1);
        let grid = (frame.width / block, frame.height / block);
        downsample_gray(frame, block, &mut self.scratch);
        let decision = if self.last_analysed_at.is_none() || grid != self.grid {
            GateDecision::Always
        } else if changed_fraction(&self.reference, &self.scratch, self.config.pixel_threshold)
            > self.config.area_threshold
        {
            GateDecision::Motion
        } else if frame.pts - self.last_analysed_at.unwrap_or(f64::NEG_INFINITY)
            >= self.config.keepalive_s - 1e-9
        {
            GateDecision::KeepAlive
        } else {
            GateDecision::Skip
        };
        if decision.analyse() {
            std::mem::swap(&mut self.reference, &mut self.scratch);
            self.grid = grid;
            self.last_analysed_at = Some(frame.pts);
        }
        decision
    }
}

/// Block means of the BGR frame's luma (ITU-R BT.601 weights in 8-bit fixed point),
/// row-major, `(width / block) x (height / block)` cells; partial blocks at the edges are
/// dropped.
pub fn downsample_gray(frame: &Frame, block: u32, out: &mut Vec<u8>) {
    let (gw, gh) = (
        (frame.width / block) as usize,
        (frame.height / block) as usize,
    );
    let b = block as usize;
    let stride = frame.width as usize * 3;
    out.clear();
    out.resize(gw * gh, 0);
    let mut sums = vec![0u32; gw];
    for gy in 0..gh {
        sums.iter_mut().for_each(|s| *s = 0);
        for row in 0..b {
            let line = &frame.pixels[(gy * b + row) * stride..][..gw * b * 3];
            for (gx, sum) in sums.iter_mut().enumerate() {
                for px in line[gx * b * 3..(gx + 1) * b * 3].chunks_exact(3) {
                    // BGR order: 29 B + 150 G + 77 R, /256.
                    *sum += (29 * px[0] as u32 + 150 * px[1] as u32 + 77 * px[2] as u32) >> 8;
                }
            }
        }
        let n = (b * b) as u32;
        for (gx, sum) in sums.iter().enumerate() {
            out[gy * gw + gx] = (sum / n) as u8;
        }
    }
}

/// Fraction of cells whose value differs by more than `threshold`.
pub fn changed_fraction(a: &[u8], b: &[u8], threshold: u8) -> f32 {
    if a.is_empty() || a.len() != b.len() {
        return 1.0;
    }
    let changed = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.abs_diff(**y) > threshold)
        .count();
    changed as f32 / a.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_at(pts: f64, square_x: Option<u32>) -> Frame {
        let mut f = Frame::filled(64, 64, [40, 40, 40]);
        f.pts = pts;
        if let Some(sx) = square_x {
            for y in 20..36 {
                for x in sx..sx + 16 {
                    let i = (y * 64 + x) as usize * 3;
                    f.pixels[i..i + 3].copy_from_slice(&[220, 220, 220]);
                }
            }
        }
        f
    }

    #[test]
    fn gray_downsample_averages_blocks() {
        let mut f = Frame::filled(8, 4, [0, 0, 0]);
        // Top-left 4x4 block white: its mean is 255 * 256/256 >> 8 = 255 minus rounding.
        for y in 0..4 {
            for x in 0..4 {
                let i = (y * 8 + x) * 3;
                f.pixels[i..i + 3].copy_from_slice(&[255, 255, 255]);
            }
        }
        let mut out = Vec::new();
        downsample_gray(&f, 4, &mut out);
        assert_eq!(out.len(), 2);
        assert!(out[0] >= 254, "{}", out[0]);
        assert_eq!(out[1], 0);
    }

    #[test]
    fn still_scene_is_skipped_until_keepalive() {
        let mut gate = MotionGate::new(MotionConfig::default());
        assert_eq!(gate.decide(&frame_at(0.0, None)), GateDecision::Always);
        assert_eq!(gate.decide(&frame_at(0.1, None)), GateDecision::Skip);
        assert_eq!(gate.decide(&frame_at(0.9, None)), GateDecision::Skip);
        assert_eq!(gate.decide(&frame_at(1.0, None)), GateDecision::KeepAlive);
        assert_eq!(gate.decide(&frame_at(1.1, None)), GateDecision::Skip);
    }

    #[test]
    fn moving_object_triggers() {
        let mut gate = MotionGate::new(MotionConfig::default());
        gate.decide(&frame_at(0.0, Some(10)));
        assert_eq!(gate.decide(&frame_at(0.1, Some(10))), GateDecision::Skip);
        assert_eq!(gate.decide(&frame_at(0.2, Some(14))), GateDecision::Motion);
    }

    #[test]
    fn slow_drift_accumulates_against_the_analysed_reference() {
        // A 16 px square moving 1 px per frame: each step changes few cells, but against
        // the last analysed frame the change grows until it triggers.
        let mut gate = MotionGate::new(MotionConfig {
            area_threshold: 0.02,
            keepalive_s: 100.0,
            ..Default::default()
        });
        gate.decide(&frame_at(0.0, Some(10)));
        let decisions: Vec<_> = (1..12)
            .map(|k| gate.decide(&frame_at(k as f64 * 0.1, Some(10 + k))))
            .collect();
        assert!(decisions.contains(&GateDecision::Motion), "{decisions:?}");
    }

    #[test]
    fn disabled_gate_analyses_everything() {
        let mut gate = MotionGate::new(MotionConfig {
            enabled: false,
            ..Default::default()
        });
        for k in 0..5 {
            assert_eq!(gate.decide(&frame_at(k as f64, None)), GateDecision::Always);
        }
    }
}
