//! Line crossing counters: anchor-with-hysteresis (default) and supervision's strip rule.

use super::config::{LineConfig, LineMode};
use super::event::{CountEvent, EventKind};
use crate::geometry::{BBox, Point, Segment, Side};
use crate::tracker::TrackId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// In/out totals of one line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCounts {
    pub inward: u64,
    pub outward: u64,
}

/// One line scaled to pixels, with per-track state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LineCounter {
    config: LineConfig,
    segment: Segment,
    /// Dead band half-width in pixels.
    hysteresis_px: f32,
    counts: LineCounts,
    anchor_state: BTreeMap<TrackId, Settled>,
    strip: Option<Strip>,
}

/// Anchor mode: last side a track was clearly on, and where it was then.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Settled {
    side: Side,
    at: Point,
}

/// Strip mode (supervision `LineZone`): the two perpendicular limits and per-track history.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Strip {
    start_limit: (Point, Point),
    end_limit: (Point, Point),
    history_len: usize,
    history: BTreeMap<TrackId, VecDeque<bool>>,
}

impl LineCounter {
    /// Scales `config` (already validated) to a frame of `width` x `height` pixels.
    pub fn new(config: LineConfig, width: u32, height: u32) -> Self {
        let mut counter = LineCounter {
            segment: Segment::new(config.start, config.end),
            hysteresis_px: 0.0,
            counts: LineCounts::default(),
            anchor_state: BTreeMap::new(),
            strip: None,
            config,
        };
        counter.resize(width, height);
        counter
    }

    /// Rescales to a new frame size, keeping counts and track state.
    pub fn resize(&mut self, width: u32, height: u32) {
        let (w, h) = (width as f32, height as f32);
        self.segment = Segment::new(self.config.start.scaled(w, h), self.config.end.scaled(w, h));
        self.hysteresis_px = self.config.hysteresis * (w * w + h * h).sqrt();
        if self.config.mode == LineMode::Strip {
            let history = self.strip.take().map(|s| s.history).unwrap_or_default();
            self.strip = Some(Strip::new(
                self.segment,
                self.config.min_crossing_frames,
                history,
            ));
        }
    }

    pub fn config(&self) -> &LineConfig {
        &self.config
    }

    pub fn counts(&self) -> LineCounts {
        self.counts
    }

    /// Feeds one confirmed track's box at time `t`; returns a crossing event if it crossed.
    pub fn update(
        &mut self,
        camera: &str,
        track: TrackId,
        bbox: &BBox,
        t: f64,
    ) -> Option<CountEvent> {
        let crossed_to = match &mut self.strip {
            Some(strip) => strip.update(&self.segment, track, bbox),
            None => self.update_anchor(track, bbox.anchor(self.config.anchor)),
        }?;
        let kind = if crossed_to == self.config.in_side {
            self.counts.inward += 1;
            EventKind::LineIn
        } else {
            self.counts.outward += 1;
            EventKind::LineOut
        };
        Some(CountEvent::new(camera, kind, &self.config.name, track, t))
    }

    /// Forgets a track that the tracker removed.
    pub fn forget(&mut self, track: TrackId) {
        self.anchor_state.remove(&track);
        if let Some(strip) = &mut self.strip {
            strip.history.remove(&track);
        }
    }

    /// Returns the side a track crossed to, if this point completes a crossing.
    fn update_anchor(&mut self, track: TrackId, p: Point) -> Option<Side> {
        let d = self.segment.signed_distance(p);
        if d.abs() <= self.hysteresis_px {
            return None; // inside the dead band: no decision either way
        }
        let side = if d < 0.0 { Side::Left } else { Side::Right };
        let previous = self.anchor_state.insert(track, Settled { side, at: p });
        match previous {
            Some(prev) if prev.side != side => {
                // Changed sides: it counts only if the path went through the drawn segment,
                // not around one of its ends.
                Segment::new(prev.at, p)
                    .intersects(&self.segment)
                    .then_some(side)
            }
            _ => None,
        }
    }
}

impl Strip {
    fn new(
        segment: Segment,
        min_crossing_frames: u32,
        history: BTreeMap<TrackId, VecDeque<bool>>,
    ) -> Self {
        // supervision: perpendicular unit vector (-uy, ux) from start, and its opposite
        // from end; 1 px long, only their direction matters.
        let dir = segment.direction();
        let len = dir.length();
        let (ux, uy) = (dir.x / len, dir.y / len);
        let perp = Point::new(-uy, ux);
        Strip {
            start_limit: (
                segment.start,
                Point::new(segment.start.x + perp.x, segment.start.y + perp.y),
            ),
            end_limit: (
                segment.end,
                Point::new(segment.end.x - perp.x, segment.end.y - perp.y),
            ),
            history_len: (min_crossing_frames as usize + 1).max(2),
            history,
        }
    }

    /// supervision `LineZone.trigger` for one detection. `Some(Side::Left)` is its "in".
    fn update(&mut self, segment: &Segment, track: TrackId, bbox: &BBox) -> Option<Side> {
        let corners = bbox.corners();
        // supervision's cross_product(anchors, vector) = cross(vector, anchor - start).
        let cross = |a: Point, from: Point, to: Point| to.minus(from).cross(a.minus(from));
        let in_limits = corners.iter().all(|&c| {
            (cross(c, self.start_limit.0, self.start_limit.1) > 0.0)
                == (cross(c, self.end_limit.0, self.end_limit.1) > 0.0)
        });
        if !in_limits {
            return None;
        }
        let left: Vec<bool> = corners
            .iter()
            .map(|&c| cross(c, segment.start, segment.end) < 0.0)
            .collect();
        let any_left = left.iter().any(|&l| l);
        let any_right = left.iter().any(|&l| !l);
        if any_left && any_right {
            return None;
        }
        let history = self.history.entry(track).or_default();
        history.push_back(any_left);
        if history.len() > self.history_len {
            history.pop_front();
        }
        if history.len() < self.history_len {
            return None;
        }
        let oldest = history[0];
        if history.iter().filter(|&&s| s == oldest).count() > 1 {
            return None;
        }
        Some(if any_left { Side::Left } else { Side::Right })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Horizontal line across the middle of a 100x100 frame, drawn left to right, so
    /// screen-left (the default "in") is up.
    fn horizontal(mode: LineMode) -> LineCounter {
        let mut cfg = LineConfig::new("door", Point::new(0.2, 0.5), Point::new(0.8, 0.5));
        cfg.mode = mode;
        cfg.hysteresis = 0.02; // 2.8 px
        LineCounter::new(cfg, 100, 100)
    }

    /// A 10x20 box whose bottom centre is at (x, y).
    fn feet(x: f32, y: f32) -> BBox {
        BBox::new(x - 5.0, y - 20.0, x + 5.0, y)
    }

    fn walk(counter: &mut LineCounter, track: TrackId, ys: &[f32], x: f32) -> Vec<EventKind> {
        ys.iter()
            .enumerate()
            .filter_map(|(i, &y)| counter.update("cam", track, &feet(x, y), i as f64))
            .map(|e| e.kind)
            .collect()
    }

    #[test]
    fn crossing_upwards_is_in_downwards_is_out() {
        let mut c = horizontal(LineMode::Anchor);
        assert_eq!(
            walk(&mut c, 1, &[80.0, 60.0, 40.0, 20.0], 50.0),
            vec![EventKind::LineIn]
        );
        assert_eq!(
            walk(&mut c, 2, &[20.0, 45.0, 55.0, 90.0], 50.0),
            vec![EventKind::LineOut]
        );
        assert_eq!(
            c.counts(),
            LineCounts {
                inward: 1,
                outward: 1
            }
        );
    }

    #[test]
    fn in_side_right_swaps_direction() {
        let mut cfg = LineConfig::new("door", Point::new(0.2, 0.5), Point::new(0.8, 0.5));
        cfg.in_side = Side::Right;
        let mut c = LineCounter::new(cfg, 100, 100);
        assert_eq!(
            walk(&mut c, 1, &[80.0, 20.0], 50.0),
            vec![EventKind::LineOut]
        );
    }

    #[test]
    fn jitter_on_the_line_never_double_counts() {
        let mut c = horizontal(LineMode::Anchor);
        // Approaches, then wobbles +-2 px around the line (inside the 2.8 px band), then
        // finally leaves upwards: one count.
        let ys = [
            70.0, 55.0, 51.0, 49.0, 51.5, 48.5, 50.0, 52.0, 48.0, 40.0, 30.0,
        ];
        assert_eq!(walk(&mut c, 1, &ys, 50.0), vec![EventKind::LineIn]);
        // Standing right on the line for a long time: nothing.
        let still = [49.0; 50];
        assert!(walk(&mut c, 2, &still, 50.0).is_empty());
    }

    #[test]
    fn hysteresis_band_must_be_cleared() {
        let mut c = horizontal(LineMode::Anchor);
        // From clearly below to 1 px above: inside the band, no count yet.
        assert!(walk(&mut c, 1, &[70.0, 49.0], 50.0).is_empty());
        assert_eq!(
            c.update("cam", 1, &feet(50.0, 46.0), 3.0).map(|e| e.kind),
            Some(EventKind::LineIn)
        );
    }

    #[test]
    fn passing_beside_the_segment_does_not_count() {
        let mut c = horizontal(LineMode::Anchor);
        // x = 95 is beyond the segment's end at x = 80.
        assert!(walk(&mut c, 1, &[80.0, 20.0], 95.0).is_empty());
    }

    #[test]
    fn back_and_forth_counts_each_crossing() {
        let mut c = horizontal(LineMode::Anchor);
        let kinds = walk(&mut c, 1, &[80.0, 20.0, 80.0, 20.0], 50.0);
        assert_eq!(
            kinds,
            vec![EventKind::LineIn, EventKind::LineOut, EventKind::LineIn]
        );
    }

    #[test]
    fn strip_rule_counts_like_supervision() {
        let mut c = horizontal(LineMode::Strip);
        // Whole box below, straddling (ignored), whole box above: supervision counts "in".
        let kinds = walk(&mut c, 1, &[90.0, 60.0, 40.0, 20.0], 50.0);
        assert_eq!(kinds, vec![EventKind::LineIn]);
        // A box with a corner outside the strip (x beyond the end perpendicular) is ignored.
        let kinds = walk(&mut c, 2, &[90.0, 20.0], 79.0);
        assert!(kinds.is_empty());
    }

    #[test]
    fn strip_rule_minimum_crossing_threshold() {
        let mut cfg = LineConfig::new("door", Point::new(0.2, 0.5), Point::new(0.8, 0.5));
        cfg.mode = LineMode::Strip;
        cfg.min_crossing_frames = 2;
        let mut c = LineCounter::new(cfg, 100, 100);
        // Below, then above once, then back below: the history [below, above, below] has
        // the oldest state twice, so supervision counts nothing.
        assert!(walk(&mut c, 1, &[90.0, 20.0, 90.0], 50.0).is_empty());
        // Below, above, above: counted on the frame that confirms it.
        let kinds = walk(&mut c, 2, &[90.0, 20.0, 15.0], 50.0);
        assert_eq!(kinds, vec![EventKind::LineIn]);
    }

    #[test]
    fn resize_keeps_counts_and_scales_geometry() {
        let mut c = horizontal(LineMode::Anchor);
        walk(&mut c, 1, &[80.0, 20.0], 50.0);
        c.resize(200, 200);
        assert_eq!(c.counts().inward, 1);
        assert!(walk(&mut c, 2, &[160.0, 40.0], 100.0) == vec![EventKind::LineIn]);
    }
}
