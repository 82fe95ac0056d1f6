//! The source crate's one error type.

use std::time::Duration;

/// Why frames could not be read. Every message names the (credential-masked) source and
/// what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "ffmpeg not found or not runnable ({program}): install it (`apt-get install ffmpeg` or `scripts/setup.sh`)"
    )]
    FfmpegMissing { program: String },
    #[error("source not found: {url}: {detail}")]
    NotFound { url: String, detail: String },
    #[error("source unreachable: {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("authentication failed for {url}: check the user name and password in the URL")]
    AuthFailed { url: String },
    #[error("unsupported codec in {url}: {detail}")]
    UnsupportedCodec { url: String, detail: String },
    #[error("not a readable video: {url}: {detail}")]
    InvalidData { url: String, detail: String },
    #[error("stream stalled: no frame from {url} for {:.1} s (after {restarts} restarts)", .after.as_secs_f64())]
    Stalled {
        url: String,
        after: Duration,
        restarts: u32,
    },
    #[error("destination refused: {url}: {detail}")]
    Refused { url: String, detail: String },
    #[error("invalid source {url}: {detail}")]
    InvalidSource { url: String, detail: String },
    #[error("ffmpeg failed on {url} ({status}): {detail}")]
    Ffmpeg {
        url: String,
        status: String,
        detail: String,
    },
    #[error("I/O error on {url}: {source}")]
    Io {
        url: String,
        #[source]
        source: std::io::Error,
    },
}

impl SourceError {
    /// Errors worth a reconnect for a live stream (the network or the camera may recover);
    /// the others need an operator.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::Unreachable { .. }
                | SourceError::Stalled { .. }
                | SourceError::Ffmpeg { .. }
                | SourceError::Io { .. }
        )
    }
}
