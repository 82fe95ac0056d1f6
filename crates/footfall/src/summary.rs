//! The result of a `count` run and its table / JSON / CSV renderings.

use footfall_core::counting::CountEvent;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Serialize)]
pub struct LineSummary {
    pub name: String,
    #[serde(rename = "in")]
    pub inward: u64,
    #[serde(rename = "out")]
    pub outward: u64,
}

#[derive(Debug, Serialize)]
pub struct ZoneSummary {
    pub name: String,
    pub visitors: u64,
    pub entries: u64,
    pub exits: u64,
    pub peak_occupancy: u64,
    /// Stream time (s) the peak was first reached.
    pub peak_at_s: Option<f64>,
    /// Mean of completed stays (s).
    pub mean_dwell_s: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct CountSummary {
    /// The input, credentials masked.
    pub source: String,
    pub frames: u64,
    pub frames_analysed: u64,
    pub frames_skipped_motion: u64,
    pub skipped_fraction: f64,
    /// Stream time covered (s).
    pub stream_s: f64,
    pub wall_s: f64,
    /// CPU seconds of footfall and its ffmpeg child.
    pub cpu_s: Option<f64>,
    /// Frames per wall-clock second.
    pub throughput_fps: f64,
    pub realtime_factor: f64,
    pub detector_ms_per_frame: f64,
    pub mean_confidence: f64,
    pub restarts: u32,
    pub lines: Vec<LineSummary>,
    pub zones: Vec<ZoneSummary>,
}

impl CountSummary {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => {
                serde_json::to_string_pretty(self).expect("plain data serialises") + "\n"
            }
            Format::Csv => self.csv(),
            Format::Table => self.table(),
        }
    }

    fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "source     {}", self.source);
        let _ = writeln!(
            s,
            "frames     {} ({} analysed, {:.1}% skipped by the motion gate)",
            self.frames,
            self.frames_analysed,
            100.0 * self.skipped_fraction
        );
        let cpu = self
            .cpu_s
            .map(|c| format!(", {c:.1} CPU-s"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "time       {:.1} s of stream in {:.1} s ({:.1} fps, {:.1}x real time{cpu})",
            self.stream_s, self.wall_s, self.throughput_fps, self.realtime_factor
        );
        let _ = writeln!(
            s,
            "detector   {:.2} ms/frame, mean confidence {:.2}",
            self.detector_ms_per_frame, self.mean_confidence
        );
        if !self.lines.is_empty() {
            let _ = writeln!(s, "\n{:<24} {:>8} {:>8}", "LINE", "IN", "OUT");
            for l in &self.lines {
                let _ = writeln!(s, "{:<24} {:>8} {:>8}", l.name, l.inward, l.outward);
            }
        }
        if !self.zones.is_empty() {
            let _ = writeln!(
                s,
                "\n{:<24} {:>8} {:>8} {:>8} {:>5} {:>11}",
                "ZONE", "VISITORS", "ENTRIES", "EXITS", "PEAK", "MEAN DWELL"
            );
            for z in &self.zones {
                let dwell = z
                    .mean_dwell_s
                    .map(|d| format!("{d:.1} s"))
                    .unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    s,
                    "{:<24} {:>8} {:>8} {:>8} {:>5} {:>11}",
                    z.name, z.visitors, z.entries, z.exits, z.peak_occupancy, dwell
                );
            }
        }
        s
    }

    /// One row per line and zone; run statistics repeated on each row so any row stands alone.
    fn csv(&self) -> String {
        let mut s = String::from(
            "kind,name,in,out,visitors,entries,exits,peak_occupancy,mean_dwell_s,frames,frames_analysed,skipped_fraction,detector_ms_per_frame\n",
        );
        let run = format!(
            "{},{},{:.4},{:.3}",
            self.frames, self.frames_analysed, self.skipped_fraction, self.detector_ms_per_frame
        );
        for l in &self.lines {
            let _ = writeln!(
                s,
                "line,{},{},{},,,,,,{run}",
                csv_field(&l.name),
                l.inward,
                l.outward
            );
        }
        for z in &self.zones {
            let dwell = z
                .mean_dwell_s
                .map(|d| format!("{d:.3}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "zone,{},,,{},{},{},{},{dwell},{run}",
                csv_field(&z.name),
                z.visitors,
                z.entries,
                z.exits,
                z.peak_occupancy
            );
        }
        s
    }
}

/// Quotes a CSV field when needed (RFC 4180).
pub fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The per-event log: CSV when the path ends in `.csv`, JSON Lines otherwise.
pub fn render_events(events: &[CountEvent], csv: bool) -> String {
    let mut s = String::new();
    if csv {
        s.push_str("id,kind,name,track_id,timestamp_s,dwell_s\n");
        for e in events {
            let dwell = e.dwell_s.map(|d| format!("{d:.3}")).unwrap_or_default();
            let _ = writeln!(
                s,
                "{},{},{},{},{:.3},{dwell}",
                csv_field(&e.id),
                e.kind.as_str(),
                csv_field(&e.name),
                e.track_id,
                e.timestamp
            );
        }
    } else {
        for e in events {
            s.push_str(&serde_json::to_string(e).expect("plain data serialises"));
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use footfall_core::counting::EventKind;

    fn summary() -> CountSummary {
        CountSummary {
            source: "v.mp4".into(),
            frames: 100,
            frames_analysed: 60,
            frames_skipped_motion: 40,
            skipped_fraction: 0.4,
            stream_s: 10.0,
            wall_s: 2.0,
            cpu_s: Some(1.5),
            throughput_fps: 50.0,
            realtime_factor: 5.0,
            detector_ms_per_frame: 20.0,
            mean_confidence: 0.8,
            restarts: 0,
            lines: vec![LineSummary {
                name: "door, main".into(),
                inward: 3,
                outward: 2,
            }],
            zones: vec![ZoneSummary {
                name: "table".into(),
                visitors: 6,
                entries: 7,
                exits: 7,
                peak_occupancy: 1,
                peak_at_s: Some(5.0),
                mean_dwell_s: Some(9.5),
            }],
        }
    }

    #[test]
    fn json_has_named_counts() {
        let v: serde_json::Value = serde_json::from_str(&summary().render(Format::Json)).unwrap();
        assert_eq!(v["lines"][0]["in"], 3);
        assert_eq!(v["zones"][0]["visitors"], 6);
        assert_eq!(v["zones"][0]["peak_occupancy"], 1);
    }

    #[test]
    fn csv_quotes_names_and_has_a_row_each() {
        let csv = summary().render(Format::Csv);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[1].starts_with("line,\"door, main\",3,2,"));
        assert!(rows[2].starts_with("zone,table,,,6,7,7,1,9.500,100,60,"));
    }

    #[test]
    fn table_mentions_everything() {
        let t = summary().render(Format::Table);
        assert!(t.contains("40.0% skipped"));
        assert!(t.contains("door, main"));
        assert!(t.contains("9.5 s"));
    }

    #[test]
    fn events_csv_and_jsonl() {
        let mut e = CountEvent::new("cam", EventKind::ZoneExit, "table", 3, 12.5);
        e.dwell_s = Some(4.0);
        let csv = render_events(std::slice::from_ref(&e), true);
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "cam/zone_exit/table/3/12500,zone_exit,table,3,12.500,4.000"
        );
        let jsonl = render_events(&[e], false);
        let v: serde_json::Value = serde_json::from_str(jsonl.trim()).unwrap();
        assert_eq!(v["kind"], "zone_exit");
    }
}
