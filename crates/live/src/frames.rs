//! The latest frame of every camera running on this node, for snapshots and the MJPEG
//! view: a camera thread leaves each frame it has counted in its [`FrameSlot`] (moved,
//! not copied); a viewer gets it JPEG-encoded, drawn on or bare, and each frame is
//! encoded at most once per drawing however many viewers ask ([`Frames::latest_jpeg`]).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use footfall_core::counting::CountingConfig;
use footfall_core::frame::Frame;
use footfall_core::pipeline::{CountsSnapshot, FrameReport};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The latest frame of a running camera with what to draw on it (drawn only when
/// someone asks).
#[derive(Clone)]
pub struct LatestFrame {
    pub frame: Frame,
    pub report: FrameReport,
    pub counts: CountsSnapshot,
    pub counting: Arc<CountingConfig>,
    /// Pixelate the people (this frame's detections and the tracks) in every picture
    /// made of it, overlay or bare (the camera's `settings.blur_people`).
    pub blur_people: bool,
    pub at: DateTime<Utc>,
}

impl std::fmt::Debug for LatestFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LatestFrame({}x{} at {})",
            self.frame.width, self.frame.height, self.at
        )
    }
}

/// Where a camera thread leaves its latest frame.
pub type FrameSlot = Arc<Mutex<Option<LatestFrame>>>;

/// Why there is no picture of a camera.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the camera is not running (disabled, or on another node)")]
    NotRunning,
    #[error("no frame yet; the camera is connecting")]
    NoFrameYet,
    #[error("the frame cannot be encoded: {0}")]
    Encode(String),
}

/// One camera's latest JPEG (one drawing), behind the lock its encoders share.
type EncodedSlot = Arc<tokio::sync::Mutex<Option<Encoded>>>;

struct Encoded {
    frame_at: DateTime<Utc>,
    jpeg: Bytes,
}

/// The frame slots of the cameras running here, and the JPEGs last made of them.
#[derive(Default)]
pub struct Frames {
    slots: Mutex<HashMap<i64, FrameSlot>>,
    /// Per camera and drawing (`overlay`), with its own async lock, so viewers asking
    /// at once wait for one encode instead of each running their own.
    encoded: Mutex<HashMap<(i64, bool), EncodedSlot>>,
    /// Frames encoded since start (each frame at most once per drawing).
    pub encodes: AtomicU64,
}

impl Frames {
    /// A fresh slot for a camera that starts.
    pub fn open(&self, camera_id: i64) -> FrameSlot {
        let slot = FrameSlot::default();
        self.lock_slots().insert(camera_id, slot.clone());
        slot
    }

    /// The camera stopped: its frames are gone.
    pub fn close(&self, camera_id: i64) {
        self.lock_slots().remove(&camera_id);
        self.encoded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(camera, _), _| *camera != camera_id);
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<i64, FrameSlot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The latest frame of camera `id`, JPEG-encoded, drawn on when `overlay`; encoded
    /// once per frame however many viewers ask.
    pub async fn latest_jpeg(&self, id: i64, overlay: bool) -> Result<Bytes, SnapshotError> {
        let Some(slot) = self.lock_slots().get(&id).cloned() else {
            return Err(SnapshotError::NotRunning);
        };
        let entry = self
            .encoded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((id, overlay))
            .or_default()
            .clone();
        let mut cached = entry.lock().await;
        let newest_at = slot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|l| l.at)
            .ok_or(SnapshotError::NoFrameYet)?;
        if let Some(encoded) = cached.as_ref().filter(|e| e.frame_at == newest_at) {
            return Ok(encoded.jpeg.clone());
        }
        // Cloned under the slot's lock (held briefly: the camera thread writes it), then
        // drawn and encoded off the async threads.
        let latest = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut latest = latest.ok_or(SnapshotError::NoFrameYet)?;
        let frame_at = latest.at;
        let jpeg = tokio::task::spawn_blocking(move || {
            if latest.blur_people {
                footfall_core::render::blur_people(&mut latest.frame, latest.report.people());
            }
            if overlay {
                footfall_core::render::annotate(
                    &mut latest.frame,
                    &latest.counting,
                    &latest.report,
                    &latest.counts,
                );
            }
            encode_jpeg(&latest.frame)
        })
        .await
        .map_err(|e| SnapshotError::Encode(e.to_string()))??;
        self.encodes.fetch_add(1, Ordering::Relaxed);
        let jpeg = Bytes::from(jpeg);
        *cached = Some(Encoded {
            frame_at,
            jpeg: jpeg.clone(),
        });
        Ok(jpeg)
    }
}

/// BGR frame -> JPEG (quality 80).
pub fn encode_jpeg(frame: &Frame) -> Result<Vec<u8>, SnapshotError> {
    let mut out = Vec::with_capacity(frame.pixels.len() / 8);
    let (w, h) = (u16::try_from(frame.width), u16::try_from(frame.height));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(SnapshotError::Encode("frame too large for JPEG".into()));
    };
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(&frame.pixels, w, h, jpeg_encoder::ColorType::Bgr)
        .map_err(|e| SnapshotError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use footfall_core::detection::Detection;
    use footfall_core::geometry::BBox;

    fn latest(blur_people: bool, people: &[BBox]) -> LatestFrame {
        let mut frame = Frame::filled(160, 120, [0, 0, 0]);
        for (i, p) in frame.pixels.iter_mut().enumerate() {
            *p = ((i * 37) % 251) as u8;
        }
        LatestFrame {
            frame,
            report: FrameReport {
                detections: people
                    .iter()
                    .map(|&bbox| Detection {
                        bbox,
                        score: 0.9,
                        class_id: 0,
                    })
                    .collect(),
                ..Default::default()
            },
            counts: Default::default(),
            counting: Default::default(),
            blur_people,
            at: Utc::now(),
        }
    }

    async fn jpeg_of(latest: LatestFrame, overlay: bool) -> Bytes {
        let frames = Frames::default();
        *frames.open(1).lock().unwrap() = Some(latest);
        frames.latest_jpeg(1, overlay).await.unwrap()
    }

    #[tokio::test]
    async fn blur_people_changes_the_picture_only_where_people_are() {
        let person = [BBox::new(60.0, 20.0, 100.0, 100.0)];
        for overlay in [false, true] {
            let plain = jpeg_of(latest(false, &person), overlay).await;
            let blurred = jpeg_of(latest(true, &person), overlay).await;
            assert_ne!(plain, blurred, "overlay {overlay}: the person is pixelated");
            // Nobody in the picture: blurring changes nothing.
            assert_eq!(
                jpeg_of(latest(false, &[]), overlay).await,
                jpeg_of(latest(true, &[]), overlay).await
            );
        }
    }
}
