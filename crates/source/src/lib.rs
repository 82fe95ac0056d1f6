//! Frame sources and sinks at the edge of the engine: ffmpeg child processes for files,
//! RTSP, HTTP and image folders, and ffmpeg encoders for annotated output.
//!
//! Credentials in source URLs never reach logs or error messages: everything that names a
//! source goes through [`url::mask_credentials`].

pub mod clock;
pub mod destination;
pub mod error;
pub mod ffmpeg;
pub mod ffmpeg_log;
pub mod url;
pub mod writer;

pub use clock::MonotonicClock;
pub use destination::DestinationPolicy;
pub use error::SourceError;
pub use ffmpeg::{FfmpegConfig, FfmpegSource, ImageSequence, ffmpeg_version};
pub use writer::{VideoWriter, write_image};
