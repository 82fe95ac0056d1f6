//! Plane geometry in pixel space: points, boxes, segments, polygons.
//!
//! Image convention: x grows to the right, y grows downwards, units are pixels of the
//! frame being analysed. Counting configuration is stored normalised (0..1, see
//! [`crate::config`]) and scaled to pixels once the frame size is known.

use serde::{Deserialize, Serialize};

/// A point in pixels (or in normalised 0..1 units where a type says so).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }

    pub fn minus(self, other: Point) -> Point {
        Point::new(self.x - other.x, self.y - other.y)
    }

    /// z component of the 2-D cross product `self x other`.
    pub fn cross(self, other: Point) -> f32 {
        self.x * other.y - self.y * other.x
    }

    pub fn dot(self, other: Point) -> f32 {
        self.x * other.x + self.y * other.y
    }

    pub fn length(self) -> f32 {
        self.dot(self).sqrt()
    }

    /// Scales a normalised point to a frame of `width` x `height` pixels.
    pub fn scaled(self, width: f32, height: f32) -> Point {
        Point::new(self.x * width, self.y * height)
    }
}

/// Which point of a box stands for the object when it is tested against lines and zones.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// Middle of the bottom edge: where a standing person's feet are. The default,
    /// because it is where a person is on the floor plane.
    #[default]
    BottomCenter,
    Center,
    TopCenter,
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

/// Axis-aligned box in pixels; `x1 <= x2`, `y1 <= y2`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl BBox {
    pub const fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        BBox { x1, y1, x2, y2 }
    }

    /// From top-left corner, width and height (the MOTChallenge convention).
    pub fn from_xywh(x: f32, y: f32, w: f32, h: f32) -> Self {
        BBox::new(x, y, x + w, y + h)
    }

    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// Intersection over union, 0 when either box is empty.
    pub fn iou(&self, other: &BBox) -> f32 {
        let iw = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let ih = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let inter = iw * ih;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }

    pub fn anchor(&self, anchor: Anchor) -> Point {
        let cx = (self.x1 + self.x2) / 2.0;
        let cy = (self.y1 + self.y2) / 2.0;
        match anchor {
            Anchor::BottomCenter => Point::new(cx, self.y2),
            Anchor::Center => Point::new(cx, cy),
            Anchor::TopCenter => Point::new(cx, self.y1),
            Anchor::TopLeft => Point::new(self.x1, self.y1),
            Anchor::TopRight => Point::new(self.x2, self.y1),
            Anchor::BottomLeft => Point::new(self.x1, self.y2),
            Anchor::BottomRight => Point::new(self.x2, self.y2),
        }
    }

    /// The four corners: top-left, top-right, bottom-left, bottom-right.
    pub fn corners(&self) -> [Point; 4] {
        [
            Point::new(self.x1, self.y1),
            Point::new(self.x2, self.y1),
            Point::new(self.x1, self.y2),
            Point::new(self.x2, self.y2),
        ]
    }
}

/// A straight segment from `start` to `end`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: Point,
    pub end: Point,
}

/// Side of a directed segment a point lies on, as seen looking from `start` to `end`
/// on screen (y down).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

impl Segment {
    pub const fn new(start: Point, end: Point) -> Self {
        Segment { start, end }
    }

    pub fn direction(&self) -> Point {
        self.end.minus(self.start)
    }

    pub fn length(&self) -> f32 {
        self.direction().length()
    }

    /// Signed perpendicular distance of `p` from the infinite line through the segment:
    /// negative on the left, positive on the right (screen coordinates, y down), in the
    /// same units as the points. Zero for a degenerate segment.
    pub fn signed_distance(&self, p: Point) -> f32 {
        let len = self.length();
        if len == 0.0 {
            return 0.0;
        }
        // With y pointing down, (p - start) x dir > 0 means p is on the screen-left.
        -p.minus(self.start).cross(self.direction()) / len
    }

    /// Side of `p`, or `None` when it lies on the line.
    pub fn side(&self, p: Point) -> Option<Side> {
        let d = self.signed_distance(p);
        if d < 0.0 {
            Some(Side::Left)
        } else if d > 0.0 {
            Some(Side::Right)
        } else {
            None
        }
    }

    /// Whether this segment and `other` share at least one point (touching counts).
    pub fn intersects(&self, other: &Segment) -> bool {
        let d1 = orientation(other.start, other.end, self.start);
        let d2 = orientation(other.start, other.end, self.end);
        let d3 = orientation(self.start, self.end, other.start);
        let d4 = orientation(self.start, self.end, other.end);
        if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
            && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
        {
            return true;
        }
        (d1 == 0.0 && on_segment(other.start, other.end, self.start))
            || (d2 == 0.0 && on_segment(other.start, other.end, self.end))
            || (d3 == 0.0 && on_segment(self.start, self.end, other.start))
            || (d4 == 0.0 && on_segment(self.start, self.end, other.end))
    }
}

fn orientation(a: Point, b: Point, c: Point) -> f32 {
    b.minus(a).cross(c.minus(a))
}

/// Whether `p`, known to be collinear with `a`-`b`, lies within their bounding box.
fn on_segment(a: Point, b: Point, p: Point) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// A simple polygon (not necessarily convex), vertices in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Polygon {
    pub vertices: Vec<Point>,
}

impl Polygon {
    pub fn new(vertices: Vec<Point>) -> Self {
        Polygon { vertices }
    }

    /// Even-odd ray casting. Points exactly on an edge may go either way; counting never
    /// depends on that because zones apply hysteresis in time, not on the boundary.
    pub fn contains(&self, p: Point) -> bool {
        let v = &self.vertices;
        let mut inside = false;
        let mut j = v.len().wrapping_sub(1);
        for i in 0..v.len() {
            let (a, b) = (v[i], v[j]);
            if (a.y > p.y) != (b.y > p.y) {
                let x_at_y = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if p.x < x_at_y {
                    inside = !inside;
                }
            }
            j = i;
        }
        inside
    }

    /// Signed area (shoelace); its absolute value is the area.
    pub fn signed_area(&self) -> f32 {
        let v = &self.vertices;
        let n = v.len();
        (0..n).map(|i| v[i].cross(v[(i + 1) % n])).sum::<f32>() / 2.0
    }

    /// Whether any two non-adjacent edges cross (a bow-tie), which makes "inside" ambiguous.
    pub fn self_intersects(&self) -> bool {
        let n = self.vertices.len();
        let edge = |i: usize| Segment::new(self.vertices[i], self.vertices[(i + 1) % n]);
        for i in 0..n {
            for j in (i + 1)..n {
                let adjacent = j == i + 1 || (i == 0 && j == n - 1);
                if !adjacent && edge(i).intersects(&edge(j)) {
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f32, y: f32) -> Point {
        Point::new(x, y)
    }

    #[test]
    fn iou_of_identical_disjoint_and_half_overlapping_boxes() {
        let a = BBox::new(0.0, 0.0, 10.0, 10.0);
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&BBox::new(20.0, 20.0, 30.0, 30.0)), 0.0);
        let half = BBox::new(5.0, 0.0, 15.0, 10.0);
        assert!((a.iou(&half) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(a.iou(&BBox::new(3.0, 3.0, 3.0, 3.0)), 0.0);
    }

    #[test]
    fn anchors_and_xywh() {
        let b = BBox::from_xywh(10.0, 20.0, 4.0, 8.0);
        assert_eq!(b, BBox::new(10.0, 20.0, 14.0, 28.0));
        assert_eq!(b.anchor(Anchor::BottomCenter), p(12.0, 28.0));
        assert_eq!(b.anchor(Anchor::Center), p(12.0, 24.0));
        assert_eq!(b.anchor(Anchor::TopCenter), p(12.0, 20.0));
        assert_eq!(b.anchor(Anchor::TopLeft), p(10.0, 20.0));
        assert_eq!(b.anchor(Anchor::BottomRight), p(14.0, 28.0));
        assert_eq!(b.corners()[1], p(14.0, 20.0));
    }

    #[test]
    fn side_follows_screen_left_and_right() {
        // A horizontal segment drawn left to right: looking along it (towards +x) on a
        // screen whose y grows downwards, "left" is up (smaller y).
        let s = Segment::new(p(0.0, 10.0), p(10.0, 10.0));
        assert_eq!(s.side(p(5.0, 0.0)), Some(Side::Left));
        assert_eq!(s.side(p(5.0, 20.0)), Some(Side::Right));
        assert_eq!(s.side(p(5.0, 10.0)), None);
        assert_eq!(s.signed_distance(p(5.0, 0.0)), -10.0);
        assert_eq!(s.signed_distance(p(50.0, 13.0)), 3.0);
        // Reversing the segment swaps the sides.
        let r = Segment::new(p(10.0, 10.0), p(0.0, 10.0));
        assert_eq!(r.side(p(5.0, 0.0)), Some(Side::Right));
        assert_eq!(Side::Left.opposite(), Side::Right);
    }

    #[test]
    fn segment_intersection_cases() {
        let s = Segment::new(p(0.0, 0.0), p(10.0, 0.0));
        assert!(s.intersects(&Segment::new(p(5.0, -5.0), p(5.0, 5.0))));
        assert!(
            !s.intersects(&Segment::new(p(15.0, -5.0), p(15.0, 5.0))),
            "beyond the end"
        );
        assert!(
            s.intersects(&Segment::new(p(10.0, -5.0), p(10.0, 0.0))),
            "touching the end"
        );
        assert!(
            !s.intersects(&Segment::new(p(0.0, 1.0), p(10.0, 1.0))),
            "parallel"
        );
        assert!(
            s.intersects(&Segment::new(p(5.0, 0.0), p(20.0, 0.0))),
            "collinear overlap"
        );
        assert!(
            !s.intersects(&Segment::new(p(11.0, 0.0), p(20.0, 0.0))),
            "collinear apart"
        );
    }

    #[test]
    fn polygon_containment_convex_and_concave() {
        let square = Polygon::new(vec![p(0.0, 0.0), p(10.0, 0.0), p(10.0, 10.0), p(0.0, 10.0)]);
        assert!(square.contains(p(5.0, 5.0)));
        assert!(!square.contains(p(15.0, 5.0)));
        assert!(!square.contains(p(-1.0, 5.0)));
        assert_eq!(square.signed_area().abs(), 100.0);
        // An L shape: the notch at the top right is outside.
        let l = Polygon::new(vec![
            p(0.0, 0.0),
            p(5.0, 0.0),
            p(5.0, 5.0),
            p(10.0, 5.0),
            p(10.0, 10.0),
            p(0.0, 10.0),
        ]);
        assert!(l.contains(p(2.0, 2.0)));
        assert!(l.contains(p(8.0, 8.0)));
        assert!(!l.contains(p(8.0, 2.0)));
        assert!(!l.self_intersects());
    }

    #[test]
    fn bow_tie_is_self_intersecting() {
        let bow = Polygon::new(vec![p(0.0, 0.0), p(10.0, 10.0), p(10.0, 0.0), p(0.0, 10.0)]);
        assert!(bow.self_intersects());
    }
}
