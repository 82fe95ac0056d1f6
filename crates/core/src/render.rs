//! Drawing on BGR frames for annotated output: boxes, track ids, lines, zones, labels.
//! Pure pixel arithmetic, no font files: a built-in 5x7 bitmap font.

use crate::counting::CountingConfig;
use crate::frame::Frame;
use crate::geometry::{BBox, Point};
use crate::pipeline::{CountsSnapshot, FrameReport};

/// BGR colour.
pub type Bgr = [u8; 3];

pub const GREEN: Bgr = [60, 200, 60];
pub const YELLOW: Bgr = [0, 220, 255];
pub const CYAN: Bgr = [230, 200, 0];
pub const MAGENTA: Bgr = [200, 60, 220];
pub const WHITE: Bgr = [255, 255, 255];
pub const BLACK: Bgr = [0, 0, 0];

/// A distinct colour per track id (golden-ratio hue walk), so ids are told apart.
pub fn track_colour(id: u64) -> Bgr {
    let hue = (id as f32 * 0.618_034).fract() * 6.0;
    let x = 1.0 - (hue % 2.0 - 1.0).abs();
    let (r, g, b) = match hue as u32 {
        0 => (1.0, x, 0.0),
        1 => (x, 1.0, 0.0),
        2 => (0.0, 1.0, x),
        3 => (0.0, x, 1.0),
        4 => (x, 0.0, 1.0),
        _ => (1.0, 0.0, x),
    };
    let scale = |v: f32| (60.0 + v * 195.0) as u8;
    [scale(b), scale(g), scale(r)]
}

fn put(frame: &mut Frame, x: i32, y: i32, c: Bgr) {
    if x >= 0 && y >= 0 && (x as u32) < frame.width && (y as u32) < frame.height {
        let i = (y as usize * frame.width as usize + x as usize) * 3;
        frame.pixels[i..i + 3].copy_from_slice(&c);
    }
}

/// Filled axis-aligned rectangle, clipped to the frame.
pub fn fill_rect(frame: &mut Frame, x1: i32, y1: i32, x2: i32, y2: i32, c: Bgr) {
    for y in y1.max(0)..y2.min(frame.height as i32) {
        for x in x1.max(0)..x2.min(frame.width as i32) {
            put(frame, x, y, c);
        }
    }
}

/// Segment `a`-`b`, `thickness` pixels wide (square brush), clipped to the frame.
pub fn draw_line(frame: &mut Frame, a: Point, b: Point, thickness: i32, c: Bgr) {
    let steps = (b.x - a.x).abs().max((b.y - a.y).abs()).ceil().max(1.0) as i32;
    let r = thickness / 2;
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        let (x, y) = (
            (a.x + t * (b.x - a.x)).round() as i32,
            (a.y + t * (b.y - a.y)).round() as i32,
        );
        fill_rect(frame, x - r, y - r, x - r + thickness, y - r + thickness, c);
    }
}

pub fn draw_box(frame: &mut Frame, b: &BBox, thickness: i32, c: Bgr) {
    let [tl, tr, bl, br] = b.corners();
    draw_line(frame, tl, tr, thickness, c);
    draw_line(frame, tr, br, thickness, c);
    draw_line(frame, br, bl, thickness, c);
    draw_line(frame, bl, tl, thickness, c);
}

pub fn draw_polygon(frame: &mut Frame, vertices: &[Point], thickness: i32, c: Bgr) {
    for i in 0..vertices.len() {
        draw_line(
            frame,
            vertices[i],
            vertices[(i + 1) % vertices.len()],
            thickness,
            c,
        );
    }
}

/// 5x7 glyphs, one byte per row, low 5 bits, bit 4 = leftmost pixel.
fn glyph(ch: char) -> [u8; 7] {
    match ch.to_ascii_uppercase() {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
        '#' => [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        '=' => [0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00],
        '_' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F],
        ' ' => [0; 7],
        _ => [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F],
    }
}

/// Pixel width of `text` at `scale`.
pub fn text_width(text: &str, scale: i32) -> i32 {
    text.chars().count() as i32 * 6 * scale
}

/// Text with its top-left at (x, y) on a filled background for legibility.
pub fn draw_label(frame: &mut Frame, x: i32, y: i32, text: &str, scale: i32, fg: Bgr, bg: Bgr) {
    fill_rect(
        frame,
        x,
        y,
        x + text_width(text, scale) + scale,
        y + 8 * scale + scale,
        bg,
    );
    for (i, ch) in text.chars().enumerate() {
        let gx = x + scale + i as i32 * 6 * scale;
        for (row, bits) in glyph(ch).iter().enumerate() {
            for col in 0..5 {
                if bits & (0x10 >> col) != 0 {
                    fill_rect(
                        frame,
                        gx + col * scale,
                        y + scale + row as i32 * scale,
                        gx + (col + 1) * scale,
                        y + scale + (row as i32 + 1) * scale,
                        fg,
                    );
                }
            }
        }
    }
}

/// Makes the people in `boxes` unrecognisable (privacy): each box, padded by a tenth of
/// its size on every side, is pixelated in blocks of an eighth of its height (at least
/// 6 px), each block replaced by its mean colour. Pixels outside the padded boxes are
/// left as they are.
pub fn blur_people(frame: &mut Frame, boxes: impl IntoIterator<Item = BBox>) {
    let (w, h) = (frame.width as i64, frame.height as i64);
    for b in boxes {
        let (bw, bh) = (b.x2 - b.x1, b.y2 - b.y1);
        if !(bw.is_finite() && bh.is_finite() && bw > 0.0 && bh > 0.0) {
            continue;
        }
        let x1 = ((b.x1 - bw * 0.1).floor() as i64).clamp(0, w);
        let x2 = ((b.x2 + bw * 0.1).ceil() as i64).clamp(0, w);
        let y1 = ((b.y1 - bh * 0.1).floor() as i64).clamp(0, h);
        let y2 = ((b.y2 + bh * 0.1).ceil() as i64).clamp(0, h);
        let block = ((bh / 8.0) as i64).max(6);
        for by in (y1..y2).step_by(block as usize) {
            for bx in (x1..x2).step_by(block as usize) {
                let (ey, ex) = ((by + block).min(y2), (bx + block).min(x2));
                let mut sum = [0u64; 3];
                for y in by..ey {
                    for x in bx..ex {
                        let i = ((y * w + x) * 3) as usize;
                        for (total, &value) in sum.iter_mut().zip(&frame.pixels[i..i + 3]) {
                            *total += u64::from(value);
                        }
                    }
                }
                let n = ((ey - by) * (ex - bx)).max(1) as u64;
                let mean = sum.map(|s| (s / n) as u8);
                for y in by..ey {
                    for x in bx..ex {
                        let i = ((y * w + x) * 3) as usize;
                        frame.pixels[i..i + 3].copy_from_slice(&mean);
                    }
                }
            }
        }
    }
}

/// Draws what the engine saw onto `frame`: zones with occupancy and visitors, lines with
/// in / out, each track's box and id, and a CROSSING banner on frames with a line event.
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
        draw_polygon(frame, &pts, 2, MAGENTA);
        let label = format!("{} NOW {} VIS {}", zone.name, c.occupancy, c.visitors);
        draw_label(
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
        draw_line(frame, a, b, 2, CYAN);
        let label = format!("{} IN {} OUT {}", line.name, c.inward, c.outward);
        draw_label(
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
        let colour = track_colour(track.id);
        draw_box(frame, &track.bbox, 2, colour);
        draw_label(
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
        draw_label(frame, 4, 4, "CROSSING", scale, BLACK, YELLOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame whose every pixel differs from its neighbours (texture a face would have).
    fn textured(w: u32, h: u32) -> Frame {
        let mut f = Frame::filled(w, h, BLACK);
        for (i, p) in f.pixels.iter_mut().enumerate() {
            *p = ((i * 37) % 251) as u8;
        }
        f
    }

    #[test]
    fn people_are_pixelated_and_the_rest_is_untouched() {
        let raw = textured(200, 100);
        let mut f = raw.clone();
        let person = BBox::new(80.0, 20.0, 120.0, 80.0);
        blur_people(&mut f, [person]);
        let px = |f: &Frame, x: u32, y: u32| {
            let i = ((y * f.width + x) * 3) as usize;
            [f.pixels[i], f.pixels[i + 1], f.pixels[i + 2]]
        };
        // Inside: blocks of one colour (the box is 60 px tall: 7 px blocks),
        // so neighbours inside a block are equal where the raw frame differs.
        assert_ne!(px(&raw, 100, 50), px(&raw, 101, 50));
        assert_eq!(px(&f, 100, 50), px(&f, 101, 50));
        let changed = (20..80)
            .flat_map(|y| (80..120).map(move |x| (x, y)))
            .filter(|&(x, y)| px(&f, x, y) != px(&raw, x, y))
            .count();
        assert!(
            changed > 40 * 60 * 9 / 10,
            "{changed} of 2400 pixels changed"
        );
        // Outside the padded box (4 px each side), nothing changed.
        for (x, y) in [(0, 0), (75, 50), (125, 50), (100, 10), (100, 90), (199, 99)] {
            assert_eq!(px(&f, x, y), px(&raw, x, y), "({x}, {y})");
        }
        // Boxes reaching out of the frame, and degenerate ones, are fine.
        blur_people(
            &mut f,
            [
                BBox::new(-50.0, -50.0, 10.0, 10.0),
                BBox::new(190.0, 90.0, 400.0, 300.0),
                BBox::new(5.0, 5.0, 5.0, 5.0),
                BBox::new(f32::NAN, 0.0, 10.0, 10.0),
            ],
        );
    }

    #[test]
    fn box_outline_is_drawn_and_interior_untouched() {
        let mut f = Frame::filled(50, 50, BLACK);
        draw_box(&mut f, &BBox::new(10.0, 10.0, 40.0, 40.0), 1, GREEN);
        assert_eq!(f.pixel(10, 25), GREEN);
        assert_eq!(f.pixel(40, 40), GREEN);
        assert_eq!(f.pixel(25, 25), BLACK);
    }

    #[test]
    fn drawing_outside_the_frame_is_clipped() {
        let mut f = Frame::filled(10, 10, BLACK);
        draw_line(
            &mut f,
            Point::new(-50.0, 5.0),
            Point::new(50.0, 5.0),
            3,
            WHITE,
        );
        assert_eq!(f.pixel(0, 5), WHITE);
        assert_eq!(f.pixel(9, 4), WHITE);
        fill_rect(&mut f, -5, -5, 100, 100, GREEN);
        assert_eq!(f.pixels.len(), 300);
    }

    #[test]
    fn label_draws_glyph_pixels() {
        let mut f = Frame::filled(40, 20, BLACK);
        draw_label(&mut f, 0, 0, "1", 1, WHITE, BLACK);
        // '1' has its stem at column 2 of the glyph: x = 1 (margin) + 2.
        assert_eq!(f.pixel(3, 3), WHITE);
        assert_eq!(f.pixel(0, 0), BLACK);
        assert_eq!(text_width("ID 12", 2), 60);
    }

    #[test]
    fn track_colours_differ() {
        assert_ne!(track_colour(1), track_colour(2));
        assert_ne!(track_colour(2), track_colour(3));
    }
}
