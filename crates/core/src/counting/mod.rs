//! Turning tracks into counts: lines (in / out) and zones (occupancy, visitors, dwell).

pub mod config;
pub mod event;
pub mod line;
pub mod zone;

pub use config::{
    ConfigError, CountingConfig, LineConfig, LineMode, ZoneConfig, parse_line_spec, parse_zone_spec,
};
pub use event::{CountEvent, EventKind};
pub use line::{LineCounter, LineCounts};
pub use zone::{ZoneCounter, ZoneCounts};

use crate::tracker::{Track, TrackId};

/// All counters of one camera.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Counter {
    camera: String,
    lines: Vec<LineCounter>,
    zones: Vec<ZoneCounter>,
}

impl Counter {
    /// Validates `config` and scales it to a `width` x `height` frame.
    pub fn new(
        camera: &str,
        config: &CountingConfig,
        width: u32,
        height: u32,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Counter {
            camera: camera.to_string(),
            lines: config
                .lines
                .iter()
                .map(|l| LineCounter::new(l.clone(), width, height))
                .collect(),
            zones: config
                .zones
                .iter()
                .map(|z| ZoneCounter::new(z.clone(), width, height))
                .collect(),
        })
    }

    /// A counter for `config` that keeps, from `previous`, every line and zone whose
    /// definition is unchanged (same name, geometry and rules): their counts and per-track
    /// state carry over. Lines and zones that are new or changed start from zero.
    pub fn carry_over(
        previous: Counter,
        camera: &str,
        config: &CountingConfig,
        width: u32,
        height: u32,
    ) -> Result<Self, ConfigError> {
        let mut counter = Counter::new(camera, config, width, height)?;
        let Counter {
            lines: old_lines,
            zones: old_zones,
            ..
        } = previous;
        for line in &mut counter.lines {
            if let Some(old) = old_lines.iter().find(|o| o.config() == line.config()) {
                *line = old.clone();
                line.resize(width, height);
            }
        }
        for zone in &mut counter.zones {
            if let Some(old) = old_zones.iter().find(|o| o.config() == zone.config()) {
                *zone = old.clone();
                zone.resize(width, height);
            }
        }
        Ok(counter)
    }

    /// The frame size changed: geometry is rescaled, counts and track state kept.
    pub fn resize(&mut self, width: u32, height: u32) {
        self.lines.iter_mut().for_each(|l| l.resize(width, height));
        self.zones.iter_mut().for_each(|z| z.resize(width, height));
    }

    /// One analysed frame: the tracker's confirmed tracks at time `t` and the ids it
    /// removed. Events are appended to `out` in a deterministic order.
    pub fn update(
        &mut self,
        t: f64,
        tracks: &[Track],
        removed: &[TrackId],
        out: &mut Vec<CountEvent>,
    ) {
        for zone in &mut self.zones {
            zone.begin_frame();
        }
        for track in tracks {
            for line in &mut self.lines {
                out.extend(line.update(&self.camera, track.id, &track.bbox, t));
            }
            for zone in &mut self.zones {
                zone.update(&self.camera, track.id, &track.bbox, t, out);
            }
        }
        for &id in removed {
            for line in &mut self.lines {
                line.forget(id);
            }
            for zone in &mut self.zones {
                zone.forget(&self.camera, id, out);
            }
        }
        for zone in &mut self.zones {
            zone.end_frame(t);
        }
    }

    pub fn lines(&self) -> &[LineCounter] {
        &self.lines
    }

    pub fn zones(&self) -> &[ZoneCounter] {
        &self.zones
    }

    /// Ends every open zone stay (end of stream), as if all tracks were removed.
    pub fn finish(&mut self, out: &mut Vec<CountEvent>) {
        for zone in &mut self.zones {
            let ids: Vec<TrackId> = zone
                .dwell_times(0.0)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            for id in ids {
                zone.forget(&self.camera, id, out);
            }
        }
    }
}
