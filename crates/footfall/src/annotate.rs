//! Draws what the engine saw onto a frame: lines, zones, boxes, ids and running counts.

use footfall_core::counting::CountingConfig;
use footfall_core::frame::Frame;
use footfall_core::geometry::Point;
use footfall_core::pipeline::{CountsSnapshot, FrameReport};
use footfall_core::render::{self, BLACK, CYAN, MAGENTA, WHITE, YELLOW};

pub fn annotate(
    frame: &mut Frame,
    config: &CountingConfig,
    report: &FrameReport,
    counts: &CountsSnapshot,
) {
    let (w, h) = (frame.width as f32, frame.height as f32);
    let scale = if frame.width >= 800 { 2 } else { 1 };
    for (zone, (_, c)) in config.zones.iter().zip(&counts.zones) {
        let pts: Vec<Point> = zone.polygon.iter().map(|p| p.scaled(w, h)).collect();
        render::draw_polygon(frame, &pts, 2, MAGENTA);
        let label = format!("{} NOW {} VIS {}", zone.name, c.occupancy, c.visitors);
        render::draw_label(
            frame,
            pts[0].x as i32,
            pts[0].y as i32,
            &label,
            scale,
            WHITE,
            MAGENTA,
        );
    }
    for (line, (_, c)) in config.lines.iter().zip(&counts.lines) {
        let (a, b) = (line.start.scaled(w, h), line.end.scaled(w, h));
        render::draw_line(frame, a, b, 2, CYAN);
        let label = format!("{} IN {} OUT {}", line.name, c.inward, c.outward);
        render::draw_label(
            frame,
            a.x as i32,
            a.y as i32 - 10 * scale,
            &label,
            scale,
            BLACK,
            CYAN,
        );
    }
    for track in &report.tracks {
        let colour = render::track_colour(track.id);
        render::draw_box(frame, &track.bbox, 2, colour);
        render::draw_label(
            frame,
            track.bbox.x1 as i32,
            track.bbox.y1 as i32 - 9 * scale,
            &format!("#{}", track.id),
            scale,
            BLACK,
            colour,
        );
    }
    if report
        .events
        .iter()
        .any(|e| e.kind.as_str().starts_with("line"))
    {
        render::draw_label(frame, 4, 4, "CROSSING", scale, BLACK, YELLOW);
    }
}
