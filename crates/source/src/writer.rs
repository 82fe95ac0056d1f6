//! Writing frames out through ffmpeg: annotated videos and JPEG snapshots.

use crate::error::SourceError;
use footfall_core::frame::Frame;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};

/// An H.264 MP4 (or whatever the extension implies) encoded by an ffmpeg child.
pub struct VideoWriter {
    child: Child,
    stdin: Option<ChildStdin>,
    size: (u32, u32),
    path: PathBuf,
}

impl VideoWriter {
    pub fn create(
        program: &Path,
        path: &Path,
        width: u32,
        height: u32,
        fps: f64,
    ) -> Result<Self, SourceError> {
        let mut cmd = Command::new(program);
        cmd.args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
        ])
        .args([
            "-s",
            &format!("{width}x{height}"),
            "-r",
            &format!("{fps}"),
            "-i",
            "pipe:0",
        ]);
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("mp4") || e.eq_ignore_ascii_case("mkv"))
        {
            cmd.args([
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
            ]);
        }
        let mut child = cmd
            .arg(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|_| SourceError::FfmpegMissing {
                program: program.display().to_string(),
            })?;
        let stdin = child.stdin.take();
        Ok(VideoWriter {
            child,
            stdin,
            size: (width, height),
            path: path.to_path_buf(),
        })
    }

    /// Appends a frame; frames of another size are rejected (the encoder's size is fixed).
    pub fn write(&mut self, frame: &Frame) -> Result<(), SourceError> {
        if (frame.width, frame.height) != self.size {
            return Err(SourceError::InvalidSource {
                url: self.path.display().to_string(),
                detail: format!(
                    "frame size changed from {:?} to {}x{}",
                    self.size, frame.width, frame.height
                ),
            });
        }
        let stdin = self.stdin.as_mut().expect("open until finish");
        stdin.write_all(&frame.pixels).map_err(|e| SourceError::Io {
            url: self.path.display().to_string(),
            source: e,
        })
    }

    /// Closes the input and waits for the encoder to write the file.
    pub fn finish(mut self) -> Result<(), SourceError> {
        drop(self.stdin.take());
        // With -loglevel error, stderr stays far below a pipe buffer: reading it after the
        // frames were written cannot deadlock.
        let mut stderr = Vec::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_end(&mut stderr);
        }
        let status = self.child.wait().map_err(|e| SourceError::Io {
            url: self.path.display().to_string(),
            source: e,
        })?;
        check_exit(status, &stderr, &self.path)
    }
}

/// Writes one frame as an image file (format from the extension: .jpg, .png).
pub fn write_image(program: &Path, path: &Path, frame: &Frame) -> Result<(), SourceError> {
    let mut child = Command::new(program)
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
        ])
        .args([
            "-s",
            &format!("{}x{}", frame.width, frame.height),
            "-i",
            "pipe:0",
            "-frames:v",
            "1",
            "-q:v",
            "3",
        ])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|_| SourceError::FfmpegMissing {
            program: program.display().to_string(),
        })?;
    let io_err = |e| SourceError::Io {
        url: path.display().to_string(),
        source: e,
    };
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(&frame.pixels)
        .map_err(io_err)?;
    let out = child.wait_with_output().map_err(io_err)?;
    check_exit(out.status, &out.stderr, path)
}

/// An encoder's exit: success, or its stderr as the error.
fn check_exit(status: ExitStatus, stderr: &[u8], path: &Path) -> Result<(), SourceError> {
    if status.success() {
        return Ok(());
    }
    Err(SourceError::Ffmpeg {
        url: path.display().to_string(),
        status: status.to_string(),
        detail: String::from_utf8_lossy(stderr).trim().to_string(),
    })
}
