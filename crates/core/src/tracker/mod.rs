//! Multi-object tracking: ByteTrack over a constant-velocity Kalman filter.

pub mod assignment;
mod bytetrack;
pub mod kalman;

pub use bytetrack::{ByteTrack, ByteTrackConfig, Track, TrackId};
