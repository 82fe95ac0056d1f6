//! Decoded video frames as the engine sees them.

/// One decoded frame: packed 8-bit BGR (the byte order OpenCV and the YOLO family expect),
/// rows top to bottom, no row padding, so `pixels.len() == width * height * 3`.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Presentation time in seconds from the start of the stream, taken from the stream's
    /// own timestamps (not the wall clock). Monotonic within one source.
    pub pts: f64,
    /// 0-based index of this frame among the frames the source delivered.
    pub index: u64,
    /// `width * height * 3` bytes, BGR.
    pub pixels: Vec<u8>,
}

impl Frame {
    /// A frame filled with one BGR colour.
    pub fn filled(width: u32, height: u32, bgr: [u8; 3]) -> Self {
        let pixels = bgr
            .iter()
            .copied()
            .cycle()
            .take(width as usize * height as usize * 3)
            .collect();
        Frame {
            width,
            height,
            pts: 0.0,
            index: 0,
            pixels,
        }
    }

    /// Bytes a BGR frame of this size occupies.
    pub fn byte_len(width: u32, height: u32) -> usize {
        width as usize * height as usize * 3
    }

    /// The BGR triple at (x, y). Panics when out of bounds.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }
}
