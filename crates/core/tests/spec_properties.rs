//! Property tests of the line and zone parsers (outside input: CLI flags and the JSON
//! of the camera API): no input makes them panic, a valid spec reads back exactly what
//! was written, and whatever they accept passes validation.

use footfall_core::counting::{
    CountingConfig, LineConfig, ZoneConfig, parse_line_spec, parse_zone_spec,
};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

/// A coordinate in the frame, normalised.
fn coordinate() -> impl Strategy<Value = f32> {
    (0u32..=1000).prop_map(|v| v as f32 / 1000.0)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_spec_makes_the_parsers_panic(spec in ".{0,80}") {
        let _ = parse_line_spec(&spec);
        let _ = parse_zone_spec(&spec);
    }

    #[test]
    fn spec_like_noise_is_refused_with_the_flag_named(
        name in "[a-z]{0,6}",
        numbers in proptest::collection::vec(-2.0f32..2.0, 0..9),
        options in "[a-z_=,.0-9]{0,20}",
    ) {
        let coords: Vec<String> = numbers.iter().map(f32::to_string).collect();
        let spec = format!("{name}:{}:{options}", coords.join(","));
        for result in [parse_line_spec(&spec).map(drop), parse_zone_spec(&spec).map(drop)] {
            if let Err(e) = result {
                prop_assert!(e.field.contains(&format!("{spec:?}")), "{} names {}", e.field, spec);
            }
        }
        if let Ok(line) = parse_line_spec(&spec) {
            let config = CountingConfig { lines: vec![line], zones: vec![] };
            prop_assert!(config.validate().is_ok());
        }
        if let Ok(zone) = parse_zone_spec(&spec) {
            let config = CountingConfig { lines: vec![], zones: vec![zone] };
            prop_assert!(config.validate().is_ok());
        }
    }

    #[test]
    fn a_valid_line_reads_back_what_was_written(
        name in "[a-z][a-z0-9_]{0,11}",
        (x1, y1, x2, y2) in (coordinate(), coordinate(), coordinate(), coordinate())
            .prop_filter("a line has length", |(a, b, c, d)| (a - c).abs() + (b - d).abs() > 0.01),
        right in any::<bool>(),
    ) {
        let side = if right { "right" } else { "left" };
        let line = parse_line_spec(&format!("{name}:{x1},{y1},{x2},{y2}:in={side}")).unwrap();
        prop_assert_eq!(&line.name, &name);
        prop_assert_eq!((line.start.x, line.start.y, line.end.x, line.end.y), (x1, y1, x2, y2));
        let json = serde_json::to_string(&line).unwrap();
        let back: LineConfig = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, line);
    }

    #[test]
    fn a_valid_zone_reads_back_what_was_written(
        name in "[a-z][a-z0-9_]{0,11}",
        (x0, y0) in (coordinate(), coordinate()),
        (w, h) in (10u32..=500, 10u32..=500),
    ) {
        let (x1, y1) = ((x0 + w as f32 / 1000.0).min(1.0), (y0 + h as f32 / 1000.0).min(1.0));
        prop_assume!(x1 - x0 > 0.005 && y1 - y0 > 0.005);
        let spec = format!("{name}:{x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1}:min_dwell=2");
        let zone = parse_zone_spec(&spec).unwrap();
        prop_assert_eq!(zone.polygon.len(), 4);
        prop_assert_eq!((zone.polygon[2].x, zone.polygon[2].y), (x1, y1));
        prop_assert_eq!(zone.min_dwell_s, 2.0);
        let json = serde_json::to_string(&zone).unwrap();
        let back: ZoneConfig = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, zone);
    }

    /// The camera API sends lines and zones as JSON: any numbers, any names.
    #[test]
    fn validation_of_any_json_geometry_never_panics(
        points in proptest::collection::vec((-1e30f64..1e30, -1e30f64..1e30), 0..8),
        name in ".{0,30}",
        hysteresis in -10.0f64..10.0,
        min_frames in 0u32..2000,
    ) {
        let polygon: Vec<_> = points.iter().map(|(x, y)| serde_json::json!({"x": x, "y": y})).collect();
        let start = polygon.first().cloned().unwrap_or(serde_json::json!({"x": 0, "y": 0}));
        let end = polygon.last().cloned().unwrap_or(serde_json::json!({"x": 1, "y": 1}));
        let json = serde_json::json!({
            "lines": [{"name": name, "start": start, "end": end, "hysteresis": hysteresis, "min_crossing_frames": min_frames}],
            "zones": [{"name": name, "polygon": polygon}],
        });
        if let Ok(config) = serde_json::from_value::<CountingConfig>(json)
            && config.validate().is_ok()
        {
            for p in config.zones.iter().flat_map(|z| &z.polygon) {
                prop_assert!((0.0..=1.0).contains(&p.x) && (0.0..=1.0).contains(&p.y));
            }
        }
    }
}
