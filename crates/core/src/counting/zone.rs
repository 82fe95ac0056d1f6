//! Zone counters: occupancy, entries, exits, dwell time and unique visitors.

use super::config::ZoneConfig;
use super::event::{CountEvent, EventKind};
use crate::geometry::{BBox, Point, Polygon, Segment};
use crate::tracker::TrackId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Totals of one zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ZoneCounts {
    /// Confirmed tracks inside as of the latest analysed frame.
    pub occupancy: u64,
    /// Highest occupancy seen.
    pub peak_occupancy: u64,
    /// Stream time (s) the peak was first reached.
    pub peak_at: Option<f64>,
    pub entries: u64,
    pub exits: u64,
    /// Tracks whose total time inside reached `min_dwell_s`, each counted once.
    pub visitors: u64,
    /// Sum of completed stays, seconds (mean dwell = total / exits).
    pub total_dwell_s: f64,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Member {
    /// Start of the current stay (s).
    entered_at: f64,
    /// Time inside in earlier stays of the same track (s).
    earlier_dwell_s: f64,
    /// Last time the track was seen inside (s).
    last_seen: f64,
    inside: bool,
    visitor: bool,
    /// Seen in the latest analysed frame.
    present: bool,
}

/// One zone scaled to pixels, with per-track state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ZoneCounter {
    config: ZoneConfig,
    polygon: Polygon,
    hysteresis_px: f32,
    counts: ZoneCounts,
    members: BTreeMap<TrackId, Member>,
}

impl ZoneCounter {
    /// Scales `config` (already validated) to a frame of `width` x `height` pixels.
    pub fn new(config: ZoneConfig, width: u32, height: u32) -> Self {
        let mut z = ZoneCounter {
            polygon: Polygon::new(vec![]),
            hysteresis_px: 0.0,
            counts: ZoneCounts::default(),
            members: BTreeMap::new(),
            config,
        };
        z.resize(width, height);
        z
    }

    /// Rescales to a new frame size, keeping counts and track state.
    pub fn resize(&mut self, width: u32, height: u32) {
        let (w, h) = (width as f32, height as f32);
        self.polygon = Polygon::new(self.config.polygon.iter().map(|p| p.scaled(w, h)).collect());
        self.hysteresis_px = self.config.hysteresis * (w * w + h * h).sqrt();
    }

    pub fn config(&self) -> &ZoneConfig {
        &self.config
    }

    pub fn counts(&self) -> ZoneCounts {
        self.counts
    }

    /// Current stays: (track, seconds inside so far) as of time `t`.
    pub fn dwell_times(&self, t: f64) -> Vec<(TrackId, f64)> {
        self.members
            .iter()
            .filter(|(_, m)| m.inside)
            .map(|(id, m)| (*id, (t - m.entered_at).max(0.0)))
            .collect()
    }

    /// Starts an analysed frame: nobody is present until seen.
    pub fn begin_frame(&mut self) {
        for m in self.members.values_mut() {
            m.present = false;
        }
    }

    /// Feeds one confirmed track's box at time `t`, pushing any events to `out`.
    pub fn update(
        &mut self,
        camera: &str,
        track: TrackId,
        bbox: &BBox,
        t: f64,
        out: &mut Vec<CountEvent>,
    ) {
        let p = bbox.anchor(self.config.anchor);
        let near_edge = self.distance_to_boundary(p) <= self.hysteresis_px;
        let contains = self.polygon.contains(p);
        let (clearly_inside, clearly_outside) = (contains && !near_edge, !contains && !near_edge);
        let m = match self.members.get_mut(&track) {
            Some(m) => m,
            // Tracks that never entered are not remembered.
            None if clearly_inside => self.members.entry(track).or_insert(Member {
                entered_at: t,
                earlier_dwell_s: 0.0,
                last_seen: t,
                inside: false,
                visitor: false,
                present: false,
            }),
            None => return,
        };
        m.present = true;
        if m.inside && clearly_outside {
            out.push(close_stay(
                &mut self.counts,
                camera,
                &self.config.name,
                track,
                m,
                t,
            ));
        } else if !m.inside && clearly_inside {
            m.inside = true;
            m.entered_at = t;
            self.counts.entries += 1;
            out.push(CountEvent::new(
                camera,
                EventKind::ZoneEnter,
                &self.config.name,
                track,
                t,
            ));
        }
        if m.inside {
            m.last_seen = t;
            let total = m.earlier_dwell_s + (t - m.entered_at).max(0.0);
            if !m.visitor && total + 1e-9 >= self.config.min_dwell_s {
                m.visitor = true;
                self.counts.visitors += 1;
                out.push(CountEvent::new(
                    camera,
                    EventKind::ZoneVisit,
                    &self.config.name,
                    track,
                    t,
                ));
            }
        }
    }

    /// Ends an analysed frame: updates occupancy and the peak.
    pub fn end_frame(&mut self, t: f64) {
        let occupancy = self
            .members
            .values()
            .filter(|m| m.inside && m.present)
            .count() as u64;
        self.counts.occupancy = occupancy;
        if occupancy > self.counts.peak_occupancy {
            self.counts.peak_occupancy = occupancy;
            self.counts.peak_at = Some(t);
        }
    }

    /// A track the tracker removed: if it was inside, its stay ends when it was last seen.
    pub fn forget(&mut self, camera: &str, track: TrackId, out: &mut Vec<CountEvent>) {
        let Some(mut m) = self.members.remove(&track) else {
            return;
        };
        if m.inside {
            let at = m.last_seen;
            out.push(close_stay(
                &mut self.counts,
                camera,
                &self.config.name,
                track,
                &mut m,
                at,
            ));
        }
    }

    fn distance_to_boundary(&self, p: Point) -> f32 {
        let v = &self.polygon.vertices;
        (0..v.len())
            .map(|i| point_segment_distance(p, Segment::new(v[i], v[(i + 1) % v.len()])))
            .fold(f32::INFINITY, f32::min)
    }
}

/// Ends `m`'s current stay at `at` and returns its exit event.
fn close_stay(
    counts: &mut ZoneCounts,
    camera: &str,
    zone: &str,
    track: TrackId,
    m: &mut Member,
    at: f64,
) -> CountEvent {
    let stay = (at - m.entered_at).max(0.0);
    m.inside = false;
    m.earlier_dwell_s += stay;
    counts.exits += 1;
    counts.total_dwell_s += stay;
    let mut e = CountEvent::new(camera, EventKind::ZoneExit, zone, track, at);
    e.dwell_s = Some(stay);
    e
}

fn point_segment_distance(p: Point, s: Segment) -> f32 {
    let d = s.direction();
    let len2 = d.dot(d);
    let t = if len2 == 0.0 {
        0.0
    } else {
        (p.minus(s.start).dot(d) / len2).clamp(0.0, 1.0)
    };
    let closest = Point::new(s.start.x + t * d.x, s.start.y + t * d.y);
    p.minus(closest).length()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zone covering the middle of a 100x100 frame (x, y in 30..70), visitors after 2 s.
    fn zone() -> ZoneCounter {
        let mut cfg = ZoneConfig::new(
            "table",
            vec![
                Point::new(0.3, 0.3),
                Point::new(0.7, 0.3),
                Point::new(0.7, 0.7),
                Point::new(0.3, 0.7),
            ],
        );
        cfg.min_dwell_s = 2.0;
        cfg.hysteresis = 0.02; // 2.8 px
        ZoneCounter::new(cfg, 100, 100)
    }

    fn feet(x: f32, y: f32) -> BBox {
        BBox::new(x - 5.0, y - 20.0, x + 5.0, y)
    }

    /// One analysed frame: time and (track, feet x, feet y) of each track.
    type ScriptFrame = (f64, Vec<(TrackId, f32, f32)>);

    /// Runs the frames and returns all events.
    fn run(z: &mut ZoneCounter, frames: &[ScriptFrame]) -> Vec<CountEvent> {
        let mut out = Vec::new();
        for (t, tracks) in frames {
            z.begin_frame();
            for &(id, x, y) in tracks {
                z.update("cam", id, &feet(x, y), *t, &mut out);
            }
            z.end_frame(*t);
        }
        out
    }

    fn kinds(events: &[CountEvent]) -> Vec<EventKind> {
        events.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn visit_enter_dwell_exit() {
        let mut z = zone();
        let frames: Vec<_> = (0..=40)
            .map(|k| {
                let t = k as f64 * 0.1;
                // Walks in from below at t=0..1, stays until t=3.5, leaves downwards.
                let y = if t < 1.0 {
                    95.0 - 40.0 * t as f32
                } else if t < 3.5 {
                    55.0
                } else {
                    55.0 + 80.0 * (t as f32 - 3.5)
                };
                (t, vec![(1, 50.0, y)])
            })
            .collect();
        let events = run(&mut z, &frames);
        assert_eq!(
            kinds(&events),
            vec![
                EventKind::ZoneEnter,
                EventKind::ZoneVisit,
                EventKind::ZoneExit
            ]
        );
        let exit = events.last().unwrap();
        let enter = &events[0];
        assert!((exit.dwell_s.unwrap() - (exit.timestamp - enter.timestamp)).abs() < 1e-9);
        assert!(exit.dwell_s.unwrap() > 2.0);
        let c = z.counts();
        assert_eq!(
            (
                c.entries,
                c.exits,
                c.visitors,
                c.peak_occupancy,
                c.occupancy
            ),
            (1, 1, 1, 1, 0)
        );
    }

    #[test]
    fn short_stay_is_not_a_visitor() {
        let mut z = zone();
        let events = run(
            &mut z,
            &[
                (0.0, vec![(1, 50.0, 50.0)]),
                (1.0, vec![(1, 50.0, 50.0)]),
                (1.5, vec![(1, 50.0, 90.0)]),
            ],
        );
        assert_eq!(
            kinds(&events),
            vec![EventKind::ZoneEnter, EventKind::ZoneExit]
        );
        assert_eq!(z.counts().visitors, 0);
    }

    #[test]
    fn repeated_stays_of_one_track_add_up_to_one_visitor() {
        let mut z = zone();
        let events = run(
            &mut z,
            &[
                (0.0, vec![(1, 50.0, 50.0)]),
                (1.5, vec![(1, 50.0, 90.0)]), // out after 1.5 s
                (2.0, vec![(1, 50.0, 50.0)]),
                (2.6, vec![(1, 50.0, 50.0)]), // 1.5 + 0.6 >= 2: visitor
                (3.0, vec![(1, 50.0, 50.0)]),
            ],
        );
        assert_eq!(z.counts().visitors, 1);
        assert_eq!(
            kinds(&events)
                .iter()
                .filter(|k| **k == EventKind::ZoneVisit)
                .count(),
            1
        );
        assert_eq!(z.counts().entries, 2);
    }

    #[test]
    fn boundary_jitter_does_not_flicker() {
        let mut z = zone();
        // Feet wobble across the bottom edge (y = 70) by +-2 px: inside the band.
        let mut frames = vec![(0.0, vec![(1, 50.0, 60.0)])];
        for k in 1..30 {
            frames.push((
                k as f64 * 0.1,
                vec![(1, 50.0, if k % 2 == 0 { 68.5 } else { 71.5 })],
            ));
        }
        let events = run(&mut z, &frames);
        assert_eq!(
            kinds(&events),
            vec![EventKind::ZoneEnter, EventKind::ZoneVisit]
        );
    }

    #[test]
    fn occupancy_and_peak_with_two_people() {
        let mut z = zone();
        run(
            &mut z,
            &[
                (0.0, vec![(1, 40.0, 50.0)]),
                (1.0, vec![(1, 40.0, 50.0), (2, 60.0, 50.0)]),
                (2.0, vec![(2, 60.0, 50.0), (1, 40.0, 95.0)]),
            ],
        );
        let c = z.counts();
        assert_eq!(
            (c.occupancy, c.peak_occupancy, c.peak_at),
            (1, 2, Some(1.0))
        );
    }

    #[test]
    fn removed_track_exits_at_last_sighting() {
        let mut z = zone();
        run(
            &mut z,
            &[
                (0.0, vec![(1, 50.0, 50.0)]),
                (3.0, vec![(1, 50.0, 50.0)]),
                (4.0, vec![]),
            ],
        );
        assert_eq!(z.counts().occupancy, 0, "not seen in the latest frame");
        let mut out = Vec::new();
        z.forget("cam", 1, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, EventKind::ZoneExit);
        assert_eq!(out[0].timestamp, 3.0);
        assert_eq!(out[0].dwell_s, Some(3.0));
        assert_eq!(z.counts().visitors, 1);
    }

    #[test]
    fn distance_to_segment() {
        let s = Segment::new(Point::new(0.0, 0.0), Point::new(10.0, 0.0));
        assert_eq!(point_segment_distance(Point::new(5.0, 3.0), s), 3.0);
        assert_eq!(point_segment_distance(Point::new(13.0, 4.0), s), 5.0);
    }
}
