//! The camera service: runs every camera of this node ([`supervisor`] -> one thread per
//! camera, [`runner`]), stores what the cameras produce without losing it ([`writer`]),
//! and publishes what happens to live clients ([`hub`], typed by [`message`]) and the
//! latest frames to viewers ([`frames`]).
//!
//! No HTTP here: the server owns a [`CameraService`] and exposes it. What a camera opens
//! (its stream, its detector) and the time are injected ([`inputs`], [`clock`]), so
//! tests drive cameras with scripted frames on a simulated clock.

pub mod clock;
pub mod config;
pub mod frames;
pub mod hub;
pub mod inputs;
pub mod message;
pub mod runner;
pub mod service;
pub mod settings;
pub mod supervisor;
pub mod testing;
pub mod usage;
pub mod writer;

pub use config::LiveConfig;
pub use service::{CameraService, LiveMetrics};
pub use settings::{CameraSettings, StoredSettings};
