//! Footfall's pure counting core.
//!
//! Everything here is deterministic and free of I/O: no threads, no clocks, no files.
//! Time enters only as frame timestamps; frames and detections enter through the
//! [`detection::Detector`] traits, so the whole pipeline runs in a
//! unit test on scripted input.
//!
//! Modules by domain:
//! - [`geometry`]: points, boxes, segments, polygons (pixel space, y down).
//! - [`frame`], [`detection`]: what sources and detectors produce; NMS.

pub mod counting;
pub mod detection;
pub mod frame;
pub mod geometry;
pub mod motion;
pub mod pipeline;
pub mod quality;
pub mod render;
pub mod tracker;
