//! Counting configuration: named lines and zones in normalised coordinates.
//!
//! Coordinates are fractions of the frame (0..1, x right, y down) so a configuration
//! survives a change of stream resolution. They are validated once, here, and scaled to
//! pixels by the counters.

use crate::geometry::{Anchor, Point, Polygon, Segment, Side};
use serde::{Deserialize, Serialize};

/// Longest accepted line or zone name, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// A configuration problem, naming the offending field (`lines[0].start`, `zones[1].name`,
/// or the CLI spec that produced it).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// How a line decides that a track crossed it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineMode {
    /// The track's anchor point crosses the drawn segment and settles beyond the
    /// hysteresis band on the other side. One count per crossing, never on jitter.
    #[default]
    Anchor,
    /// Roboflow supervision's `LineZone` rule, reproduced exactly: all four box corners
    /// change side inside the strip between the perpendiculars at the segment's ends,
    /// confirmed over `min_crossing_frames` frames.
    Strip,
}

/// A counting line.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineConfig {
    /// Unique name among the camera's lines, 1..=64 characters.
    pub name: String,
    /// Start of the segment, normalised 0..1.
    pub start: Point,
    /// End of the segment, normalised 0..1.
    pub end: Point,
    /// Side a crossing ends on to count as "in", looking from `start` to `end` on screen.
    /// Default `left` (supervision's "in" direction).
    #[serde(rename = "in", default = "default_in_side")]
    pub in_side: Side,
    /// Box point tested in `anchor` mode. Default `bottom_center` (the feet).
    #[serde(default)]
    pub anchor: Anchor,
    /// Crossing rule. Default `anchor`.
    #[serde(default)]
    pub mode: LineMode,
    /// Anchor mode: half-width of the dead band around the line, as a fraction of the frame
    /// diagonal. A track must get this far past the line to count. Default 0.01
    /// (about 15 px at 1280x720).
    #[serde(default = "default_hysteresis")]
    pub hysteresis: f32,
    /// Strip mode: supervision's `minimum_crossing_threshold`, in frames. Default 1.
    #[serde(default = "default_min_crossing_frames")]
    pub min_crossing_frames: u32,
}

/// A counting zone.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    /// Unique name among the camera's zones, 1..=64 characters.
    pub name: String,
    /// At least three vertices, normalised 0..1, in order, not self-intersecting.
    pub polygon: Vec<Point>,
    /// Box point tested against the polygon. Default `bottom_center` (the feet).
    #[serde(default)]
    pub anchor: Anchor,
    /// Seconds a track must spend inside (in total) to count as a visitor. Default 1.0.
    #[serde(default = "default_min_dwell")]
    pub min_dwell_s: f64,
    /// Half-width of the dead band around the boundary, as a fraction of the frame
    /// diagonal: entering or leaving needs this much margin. Default 0.01.
    #[serde(default = "default_hysteresis")]
    pub hysteresis: f32,
}

/// All lines and zones of one camera.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountingConfig {
    #[serde(default)]
    pub lines: Vec<LineConfig>,
    #[serde(default)]
    pub zones: Vec<ZoneConfig>,
}

fn default_in_side() -> Side {
    Side::Left
}
fn default_hysteresis() -> f32 {
    0.01
}
fn default_min_crossing_frames() -> u32 {
    1
}
fn default_min_dwell() -> f64 {
    1.0
}

impl LineConfig {
    /// A line with default options.
    pub fn new(name: impl Into<String>, start: Point, end: Point) -> Self {
        LineConfig {
            name: name.into(),
            start,
            end,
            in_side: default_in_side(),
            anchor: Anchor::default(),
            mode: LineMode::default(),
            hysteresis: default_hysteresis(),
            min_crossing_frames: default_min_crossing_frames(),
        }
    }
}

impl ZoneConfig {
    /// A zone with default options.
    pub fn new(name: impl Into<String>, polygon: Vec<Point>) -> Self {
        ZoneConfig {
            name: name.into(),
            polygon,
            anchor: Anchor::default(),
            min_dwell_s: default_min_dwell(),
            hysteresis: default_hysteresis(),
        }
    }
}

impl CountingConfig {
    /// Checks every field; the first problem found is returned with its path.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut names = std::collections::BTreeSet::new();
        for (i, line) in self.lines.iter().enumerate() {
            let at = |f: &str| format!("lines[{i}].{f}");
            check_name(&line.name, &at("name"))?;
            if !names.insert(("line", line.name.as_str())) {
                return Err(ConfigError::new(
                    at("name"),
                    format!("duplicate line name {:?}", line.name),
                ));
            }
            check_point(line.start, &at("start"))?;
            check_point(line.end, &at("end"))?;
            if Segment::new(line.start, line.end).length() < 1e-4 {
                return Err(ConfigError::new(
                    at("end"),
                    "line start and end are the same point",
                ));
            }
            check_hysteresis(line.hysteresis, &at("hysteresis"))?;
            if line.min_crossing_frames == 0 || line.min_crossing_frames > 1000 {
                return Err(ConfigError::new(
                    at("min_crossing_frames"),
                    "must be 1..=1000",
                ));
            }
        }
        for (i, zone) in self.zones.iter().enumerate() {
            let at = |f: &str| format!("zones[{i}].{f}");
            check_name(&zone.name, &at("name"))?;
            if !names.insert(("zone", zone.name.as_str())) {
                return Err(ConfigError::new(
                    at("name"),
                    format!("duplicate zone name {:?}", zone.name),
                ));
            }
            if zone.polygon.len() < 3 {
                return Err(ConfigError::new(
                    at("polygon"),
                    format!("needs at least 3 points, got {}", zone.polygon.len()),
                ));
            }
            for (k, p) in zone.polygon.iter().enumerate() {
                check_point(*p, &format!("zones[{i}].polygon[{k}]"))?;
            }
            let polygon = Polygon::new(zone.polygon.clone());
            if polygon.self_intersects() {
                return Err(ConfigError::new(
                    at("polygon"),
                    "polygon edges cross each other",
                ));
            }
            if polygon.signed_area().abs() < 1e-6 {
                return Err(ConfigError::new(at("polygon"), "polygon has no area"));
            }
            if !(zone.min_dwell_s.is_finite() && (0.0..=86_400.0).contains(&zone.min_dwell_s)) {
                return Err(ConfigError::new(
                    at("min_dwell_s"),
                    "must be 0..=86400 seconds",
                ));
            }
            check_hysteresis(zone.hysteresis, &at("hysteresis"))?;
        }
        Ok(())
    }
}

fn check_name(name: &str, field: &str) -> Result<(), ConfigError> {
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME_LEN {
        return Err(ConfigError::new(
            field,
            format!("must be 1..={MAX_NAME_LEN} characters"),
        ));
    }
    if name.chars().any(|c| c.is_control() || c == ':' || c == '/') {
        return Err(ConfigError::new(
            field,
            "must not contain control characters, ':' or '/'",
        ));
    }
    Ok(())
}

fn check_point(p: Point, field: &str) -> Result<(), ConfigError> {
    let ok = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
    if ok(p.x) && ok(p.y) {
        Ok(())
    } else {
        Err(ConfigError::new(
            field,
            format!(
                "coordinates must be normalised 0..1, got ({}, {})",
                p.x, p.y
            ),
        ))
    }
}

fn check_hysteresis(h: f32, field: &str) -> Result<(), ConfigError> {
    if h.is_finite() && (0.0..=0.25).contains(&h) {
        Ok(())
    } else {
        Err(ConfigError::new(
            field,
            "must be 0..=0.25 (fraction of the frame diagonal)",
        ))
    }
}

/// Parses the CLI line syntax `NAME:X1,Y1,X2,Y2[:OPTION=VALUE,...]`, options
/// `in=left|right`, `anchor=bottom_center|center|...`, `mode=anchor|strip`,
/// `hysteresis=F`, `min_frames=N`.
pub fn parse_line_spec(spec: &str) -> Result<LineConfig, ConfigError> {
    let field = format!("--line {spec:?}");
    let (name, coords, options) = split_spec(spec, &field)?;
    if coords.len() != 4 {
        return Err(ConfigError::new(
            field,
            format!("expected 4 coordinates X1,Y1,X2,Y2, got {}", coords.len()),
        ));
    }
    let mut line = LineConfig::new(
        name,
        Point::new(coords[0], coords[1]),
        Point::new(coords[2], coords[3]),
    );
    for (key, value) in options {
        match key {
            "in" => {
                line.in_side = match value {
                    "left" => Side::Left,
                    "right" => Side::Right,
                    _ => {
                        return Err(ConfigError::new(
                            field,
                            format!("in={value}: expected left or right"),
                        ));
                    }
                }
            }
            "anchor" => line.anchor = parse_anchor(value, &field)?,
            "mode" => {
                line.mode = match value {
                    "anchor" => LineMode::Anchor,
                    "strip" | "supervision" => LineMode::Strip,
                    _ => {
                        return Err(ConfigError::new(
                            field,
                            format!("mode={value}: expected anchor or strip"),
                        ));
                    }
                }
            }
            "hysteresis" => line.hysteresis = parse_number(value, key, &field)?,
            "min_frames" => line.min_crossing_frames = parse_number(value, key, &field)?,
            _ => {
                return Err(unknown_option(
                    key,
                    "in, anchor, mode, hysteresis, min_frames",
                    &field,
                ));
            }
        }
    }
    CountingConfig {
        lines: vec![line.clone()],
        zones: vec![],
    }
    .validate()
    .map_err(|e| relabel(e, &field))?;
    Ok(line)
}

/// Parses the CLI zone syntax `NAME:X1,Y1,X2,Y2,X3,Y3[,...][:OPTION=VALUE,...]`, options
/// `anchor=...`, `min_dwell=SECONDS`, `hysteresis=F`.
pub fn parse_zone_spec(spec: &str) -> Result<ZoneConfig, ConfigError> {
    let field = format!("--zone {spec:?}");
    let (name, coords, options) = split_spec(spec, &field)?;
    if coords.len() < 6 || coords.len() % 2 != 0 {
        return Err(ConfigError::new(
            field,
            format!(
                "expected at least 3 X,Y pairs, got {} numbers",
                coords.len()
            ),
        ));
    }
    let polygon = coords.chunks(2).map(|c| Point::new(c[0], c[1])).collect();
    let mut zone = ZoneConfig::new(name, polygon);
    for (key, value) in options {
        match key {
            "anchor" => zone.anchor = parse_anchor(value, &field)?,
            "min_dwell" => zone.min_dwell_s = parse_number(value, key, &field)?,
            "hysteresis" => zone.hysteresis = parse_number(value, key, &field)?,
            _ => return Err(unknown_option(key, "anchor, min_dwell, hysteresis", &field)),
        }
    }
    CountingConfig {
        lines: vec![],
        zones: vec![zone.clone()],
    }
    .validate()
    .map_err(|e| relabel(e, &field))?;
    Ok(zone)
}

type SpecParts<'a> = (&'a str, Vec<f32>, Vec<(&'a str, &'a str)>);

fn split_spec<'a>(spec: &'a str, field: &str) -> Result<SpecParts<'a>, ConfigError> {
    let mut parts = spec.splitn(3, ':');
    let name = parts.next().unwrap_or_default().trim();
    let Some(coords) = parts.next() else {
        return Err(ConfigError::new(
            field,
            "expected NAME:X1,Y1,... (missing ':' after the name)",
        ));
    };
    let coords = coords
        .split(',')
        .map(|c| {
            c.trim()
                .parse::<f32>()
                .map_err(|_| ConfigError::new(field, format!("{c:?} is not a number")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = Vec::new();
    if let Some(rest) = parts.next() {
        for kv in rest.split(',').filter(|s| !s.trim().is_empty()) {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(ConfigError::new(
                    field,
                    format!("option {kv:?} is not KEY=VALUE"),
                ));
            };
            options.push((k.trim(), v.trim()));
        }
    }
    Ok((name, coords, options))
}

fn parse_anchor(value: &str, field: &str) -> Result<Anchor, ConfigError> {
    serde_plain_enum(value).ok_or_else(|| {
        ConfigError::new(
            field,
            format!("anchor={value}: expected bottom_center, center, top_center, top_left, top_right, bottom_left or bottom_right"),
        )
    })
}

fn serde_plain_enum(value: &str) -> Option<Anchor> {
    Some(match value {
        "bottom_center" => Anchor::BottomCenter,
        "center" => Anchor::Center,
        "top_center" => Anchor::TopCenter,
        "top_left" => Anchor::TopLeft,
        "top_right" => Anchor::TopRight,
        "bottom_left" => Anchor::BottomLeft,
        "bottom_right" => Anchor::BottomRight,
        _ => return None,
    })
}

fn parse_number<T: std::str::FromStr>(
    value: &str,
    key: &str,
    field: &str,
) -> Result<T, ConfigError> {
    value
        .parse()
        .map_err(|_| ConfigError::new(field, format!("{key}={value}: not a valid number")))
}

fn unknown_option(key: &str, known: &str, field: &str) -> ConfigError {
    ConfigError::new(field, format!("unknown option {key:?} (known: {known})"))
}

/// Puts the CLI spec in front of a validation error's field path.
fn relabel(e: ConfigError, field: &str) -> ConfigError {
    let inner = e.field.split_once('.').map(|(_, f)| f).unwrap_or(&e.field);
    ConfigError::new(field, format!("{inner}: {}", e.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_line_with_options() {
        let l = parse_line_spec("door:0.1,0.5,0.9,0.5:in=right,mode=strip,min_frames=3").unwrap();
        assert_eq!(l.name, "door");
        assert_eq!(l.start, Point::new(0.1, 0.5));
        assert_eq!(l.end, Point::new(0.9, 0.5));
        assert_eq!(l.in_side, Side::Right);
        assert_eq!(l.mode, LineMode::Strip);
        assert_eq!(l.min_crossing_frames, 3);
        let d = parse_line_spec("a:0,0,1,1").unwrap();
        assert_eq!(
            (d.in_side, d.mode, d.anchor),
            (Side::Left, LineMode::Anchor, Anchor::BottomCenter)
        );
    }

    #[test]
    fn parses_zone_with_options() {
        let z =
            parse_zone_spec("table:0.1,0.1,0.5,0.1,0.5,0.6,0.1,0.6:min_dwell=2.5,anchor=center")
                .unwrap();
        assert_eq!(z.polygon.len(), 4);
        assert_eq!(z.min_dwell_s, 2.5);
        assert_eq!(z.anchor, Anchor::Center);
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let cases = [
            ("door", "missing ':'"),
            ("door:0.1,0.5,0.9", "expected 4 coordinates"),
            ("door:0.1,0.5,0.9,x", "\"x\" is not a number"),
            ("door:0.1,0.5,1.9,0.5", "normalised 0..1"),
            ("door:0.5,0.5,0.5,0.5", "same point"),
            ("door:0.1,0.5,0.9,0.5:in=up", "expected left or right"),
            ("door:0.1,0.5,0.9,0.5:speed=3", "unknown option \"speed\""),
            (":0.1,0.5,0.9,0.5", "1..=64 characters"),
        ];
        for (spec, want) in cases {
            let err = parse_line_spec(spec).unwrap_err();
            assert!(err.to_string().contains(want), "{spec}: {err}");
            assert!(err.field.starts_with("--line"), "{}", err.field);
        }
        let zone_cases = [
            ("z:0.1,0.1,0.5,0.1", "at least 3 X,Y pairs"),
            ("z:0,0,1,1,1,0,0,1", "edges cross"),
            ("z:0,0,0.5,0.5,1,1", "no area"),
            ("z:0,0,1,0,1,1:min_dwell=-1", "0..=86400"),
        ];
        for (spec, want) in zone_cases {
            let err = parse_zone_spec(spec).unwrap_err();
            assert!(err.to_string().contains(want), "{spec}: {err}");
        }
    }

    #[test]
    fn validate_rejects_duplicate_names_with_path() {
        let cfg = CountingConfig {
            lines: vec![LineConfig::new("a", Point::new(0.0, 0.5), Point::new(1.0, 0.5)); 2],
            zones: vec![],
        };
        let err = cfg.validate().unwrap_err();
        assert_eq!(err.field, "lines[1].name");
    }

    #[test]
    fn json_config_uses_documented_defaults_and_rejects_unknown_fields() {
        let cfg: CountingConfig = serde_json::from_str(
            r#"{"lines":[{"name":"door","start":{"x":0.1,"y":0.5},"end":{"x":0.9,"y":0.5},"in":"right"}],
                "zones":[{"name":"z","polygon":[{"x":0,"y":0},{"x":1,"y":0},{"x":1,"y":1}]}]}"#,
        )
        .unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.lines[0].in_side, Side::Right);
        assert_eq!(cfg.lines[0].hysteresis, 0.01);
        assert_eq!(cfg.zones[0].min_dwell_s, 1.0);
        let bad = serde_json::from_str::<CountingConfig>(r#"{"lines":[],"zonez":[]}"#);
        assert!(bad.is_err());
    }
}
