//! Frames from an ffmpeg child process (the approach Frigate uses): ffmpeg demuxes and
//! decodes anything it supports, drops frames to the analysis rate, scales straight to the
//! detector's working size and writes packed BGR to a pipe. A `showinfo` filter at the end
//! of the chain reports each frame's stream timestamp on stderr, in the same order.
//!
//! Threads per running child: one reads stderr (timestamps, stream facts, errors), one
//! pairs timestamps with frame bytes from stdout and hands whole frames over a channel of
//! two, so decoding runs ahead of analysis by at most two frames. A watchdog on that channel
//! kills and restarts a child that stops delivering frames.

use crate::error::SourceError;
use crate::ffmpeg_log::{
    FrameInfo, StreamInfo, classify_failure, parse_duration, parse_showinfo, parse_stream_info,
};
use crate::url::{SourceKind, mask_credentials, mask_credentials_in_text};
use footfall_core::frame::Frame;
use footfall_core::pipeline::FrameSource;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many stderr lines are kept to explain a failure.
const STDERR_LINES_KEPT: usize = 40;

/// Settings of one ffmpeg source.
#[derive(Clone, Debug)]
pub struct FfmpegConfig {
    /// File path, image folder, `rtsp(s)://` or `http(s)://` URL.
    pub input: String,
    /// Analysis rate in frames per second; `None` keeps every frame. Default `None`.
    pub fps: Option<f64>,
    /// Frames are scaled to fit inside this box (width, height), keeping the aspect
    /// ratio: the detector's input size. Default 416x416.
    pub fit: (u32, u32),
    /// RTSP over TCP (default true): no UDP packet loss, works through NAT.
    pub rtsp_tcp: bool,
    /// Read files at their native rate, like a live camera. Default false.
    pub realtime: bool,
    /// Loop a file forever. Default false.
    pub loop_input: bool,
    /// No frame for this long means the stream stalled. Default 10 s.
    pub stall_timeout: Duration,
    /// Socket timeout for network sources, and extra time allowed for the first frame.
    /// Default 10 s.
    pub connect_timeout: Duration,
    /// Decoder threads. Default 1: one core per camera is the unit of capacity planning.
    pub decode_threads: u32,
    /// Restarts of the child after a transient failure (stall, network error) before
    /// giving up. Default 0 for files, 3 for live sources.
    pub max_restarts: Option<u32>,
    /// Frame rate of an image folder. Default: `frameRate` of its `seqinfo.ini`, else 25.
    pub image_fps: Option<f64>,
    /// The ffmpeg program. Default `ffmpeg` on PATH.
    pub program: PathBuf,
    /// When the consumer falls behind (more than [`FRAMES_BUFFERED`] decoded frames
    /// waiting), drop new frames and count them ([`FfmpegSource::dropped_frames`]) instead
    /// of stalling ffmpeg: a live camera then stays current rather than building a
    /// growing backlog. Default false: every frame of a file is read.
    pub drop_when_behind: bool,
    /// Where a network source may connect, checked before every (re)connection (see
    /// [`crate::destination`]). Default `None`: anywhere (the command line, where the
    /// operator types the URL). The server always sets one.
    pub destinations: Option<crate::DestinationPolicy>,
}

/// Decoded frames waiting between ffmpeg and the consumer.
pub const FRAMES_BUFFERED: usize = 2;

impl FfmpegConfig {
    pub fn new(input: impl Into<String>) -> Self {
        FfmpegConfig {
            input: input.into(),
            fps: None,
            fit: (416, 416),
            rtsp_tcp: true,
            realtime: false,
            loop_input: false,
            stall_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            decode_threads: 1,
            max_restarts: None,
            image_fps: None,
            program: PathBuf::from("ffmpeg"),
            drop_when_behind: false,
            destinations: None,
        }
    }
}

/// ffmpeg's `-protocol_whitelist` for a source: what its scheme needs and nothing else.
fn protocol_whitelist(kind: &SourceKind) -> &'static str {
    match kind {
        SourceKind::Rtsp(url)
            if url
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("rtsps:")) =>
        {
            "rtsp,rtsps,rtp,srtp,tcp,udp,tls"
        }
        SourceKind::Rtsp(_) => "rtsp,rtp,tcp,udp",
        // `crypto` decrypts AES-128 HLS segments fetched over the same scheme.
        SourceKind::Http(url)
            if url
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("https:")) =>
        {
            "https,tls,tcp,crypto"
        }
        SourceKind::Http(_) => "http,tcp,crypto",
        SourceKind::File(_) | SourceKind::ImageFolder(_) => "file",
    }
}

/// Shared between the stderr thread and the source.
#[derive(Default)]
struct StderrState {
    lines: VecDeque<String>,
    duration: Option<f64>,
    stream: Option<StreamInfo>,
}

struct Running {
    child: Child,
    frames: Receiver<Frame>,
    state: Arc<Mutex<StderrState>>,
    delivered: u64,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A [`FrameSource`] backed by ffmpeg.
pub struct FfmpegSource {
    config: FfmpegConfig,
    kind: SourceKind,
    masked: String,
    running: Option<Running>,
    restarts: u32,
    /// Frames dropped because the consumer was behind (all children together).
    dropped: Arc<AtomicU64>,
    next_index: u64,
    /// Added to stream timestamps so they stay monotonic across restarts and loops.
    pts_offset: f64,
    last_pts: Option<f64>,
    duration: Option<f64>,
    stream: Option<StreamInfo>,
}

impl FfmpegSource {
    /// Validates the input and starts ffmpeg. Errors that show at once (ffmpeg missing,
    /// file missing, bad scheme) are returned here; network errors surface on the first
    /// [`FrameSource::next_frame`].
    pub fn open(config: FfmpegConfig) -> Result<Self, SourceError> {
        let masked = mask_credentials(&config.input);
        let kind =
            SourceKind::parse(&config.input).map_err(|detail| SourceError::InvalidSource {
                url: masked.clone(),
                detail,
            })?;
        if let SourceKind::File(path) = &kind
            && !path.exists()
        {
            return Err(SourceError::NotFound {
                url: masked,
                detail: "no such file or directory".into(),
            });
        }
        if let Some(fps) = config.fps
            && !(fps.is_finite() && fps > 0.0 && fps <= 240.0)
        {
            return Err(SourceError::InvalidSource {
                url: masked,
                detail: format!("fps must be in (0, 240], got {fps}"),
            });
        }
        let mut source = FfmpegSource {
            config,
            kind,
            masked,
            running: None,
            restarts: 0,
            dropped: Arc::default(),
            next_index: 0,
            pts_offset: 0.0,
            last_pts: None,
            duration: None,
            stream: None,
        };
        source.spawn()?;
        Ok(source)
    }

    /// The input's duration in seconds when ffmpeg knows it (files), for progress bars.
    pub fn duration(&self) -> Option<f64> {
        self.duration
    }

    /// Codec, resolution and frame rate of the input video stream, once ffmpeg has read it.
    pub fn stream_info(&self) -> Option<&StreamInfo> {
        self.stream.as_ref()
    }

    /// The input with credentials masked, for logs.
    pub fn masked_input(&self) -> &str {
        &self.masked
    }

    /// Times the child was restarted after a stall or a transient failure.
    /// Frames dropped so far because the consumer was behind (see
    /// [`FfmpegConfig::drop_when_behind`]).
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    fn max_restarts(&self) -> u32 {
        self.config
            .max_restarts
            .unwrap_or(if self.kind.is_live() { 3 } else { 0 })
    }

    fn args(&self) -> Result<Vec<String>, SourceError> {
        let c = &self.config;
        let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"]
            .map(String::from)
            .to_vec();
        args.extend(["-threads".into(), c.decode_threads.to_string()]);
        let timeout_us = c.connect_timeout.as_micros().to_string();
        // Only the protocols the URL's own scheme needs: a playlist or a redirect cannot
        // lead ffmpeg to another scheme (file:, a different transport, ...).
        args.extend([
            "-protocol_whitelist".into(),
            protocol_whitelist(&self.kind).into(),
        ]);
        let input = match &self.kind {
            SourceKind::Rtsp(url) => {
                if c.rtsp_tcp {
                    args.extend(["-rtsp_transport".into(), "tcp".into()]);
                }
                args.extend(["-timeout".into(), timeout_us]);
                url.clone()
            }
            SourceKind::Http(url) => {
                // Redirects are not followed: the address was checked, its target was
                // not (put the final URL into the camera instead).
                args.extend([
                    "-rw_timeout".into(),
                    timeout_us,
                    "-max_redirects".into(),
                    "0".into(),
                ]);
                url.clone()
            }
            SourceKind::File(path) => {
                if c.realtime {
                    args.push("-re".into());
                }
                if c.loop_input {
                    args.extend(["-stream_loop".into(), "-1".into()]);
                }
                path.to_string_lossy().into_owned()
            }
            SourceKind::ImageFolder(dir) => {
                let seq = ImageSequence::scan(dir).map_err(|detail| SourceError::NotFound {
                    url: self.masked.clone(),
                    detail,
                })?;
                let fps = c.image_fps.or(seq.frame_rate).unwrap_or(25.0);
                if c.realtime {
                    args.push("-re".into());
                }
                args.extend([
                    "-framerate".into(),
                    fps.to_string(),
                    "-start_number".into(),
                    seq.start.to_string(),
                ]);
                args.extend(["-f".into(), "image2".into()]);
                seq.pattern.to_string_lossy().into_owned()
            }
        };
        args.extend(["-i".into(), input, "-an".into(), "-sn".into(), "-dn".into()]);
        let mut filters = Vec::new();
        if let Some(fps) = c.fps {
            filters.push(format!("fps={fps}"));
        }
        let (w, h) = c.fit;
        filters.push(format!(
            "scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2:flags=area"
        ));
        filters.push("showinfo=checksum=0".into());
        args.extend(["-vf".into(), filters.join(",")]);
        args.extend(
            [
                "-fps_mode",
                "passthrough",
                "-pix_fmt",
                "bgr24",
                "-f",
                "rawvideo",
                "pipe:1",
            ]
            .map(String::from),
        );
        Ok(args)
    }

    fn spawn(&mut self) -> Result<(), SourceError> {
        if let Some(policy) = &self.config.destinations
            && self.kind.is_live()
        {
            policy
                .check(&self.config.input)
                .map_err(|detail| SourceError::Refused {
                    url: self.masked.clone(),
                    detail,
                })?;
        }
        let args = self.args()?;
        tracing::debug!(source = %self.masked, "starting ffmpeg");
        let mut child = Command::new(&self.config.program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                    SourceError::FfmpegMissing {
                        program: self.config.program.display().to_string(),
                    }
                }
                _ => SourceError::Io {
                    url: self.masked.clone(),
                    source: e,
                },
            })?;
        let state = Arc::new(Mutex::new(StderrState::default()));
        let (info_tx, info_rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr_state = Arc::clone(&state);
        std::thread::Builder::new()
            .name("ffmpeg-stderr".into())
            .spawn(move || read_stderr(stderr, stderr_state, info_tx))
            .map_err(|e| SourceError::Io {
                url: self.masked.clone(),
                source: e,
            })?;
        let (frame_tx, frame_rx) = sync_channel(FRAMES_BUFFERED);
        let dropped = self
            .config
            .drop_when_behind
            .then(|| Arc::clone(&self.dropped));
        std::thread::Builder::new()
            .name("ffmpeg-frames".into())
            .spawn(move || pair_frames(stdout, info_rx, frame_tx, dropped))
            .map_err(|e| SourceError::Io {
                url: self.masked.clone(),
                source: e,
            })?;
        self.running = Some(Running {
            child,
            frames: frame_rx,
            state,
            delivered: 0,
        });
        Ok(())
    }

    /// Kills the child and starts a new one after an exponential back-off
    /// (0.5 s, 1 s, 2 s, ... capped at 10 s), or returns `error` when out of restarts.
    fn restart_or_fail(&mut self, error: SourceError) -> Result<(), SourceError> {
        self.running = None;
        if self.restarts >= self.max_restarts() {
            return Err(error);
        }
        self.restarts += 1;
        let backoff = Duration::from_millis(500u64.saturating_mul(1 << (self.restarts - 1).min(5)))
            .min(Duration::from_secs(10));
        tracing::warn!(source = %self.masked, restart = self.restarts, error = %error, backoff_ms = backoff.as_millis() as u64, "restarting ffmpeg");
        std::thread::sleep(backoff);
        // A restarted stream's timestamps start again; next_frame keeps them monotonic.
        self.spawn()
    }

    fn frame_interval(&self) -> f64 {
        1.0 / self
            .config
            .fps
            .or(self.stream.as_ref().and_then(|s| s.fps))
            .unwrap_or(25.0)
    }

    fn capture_stream_facts(&mut self) {
        if let Some(running) = &self.running {
            let state = running.state.lock().expect("stderr state");
            if self.duration.is_none() {
                self.duration = state.duration;
            }
            if self.stream.is_none() {
                self.stream = state.stream.clone();
            }
        }
    }

    /// Waits for the child to exit and turns its status into end-of-stream or an error.
    fn finish_child(&mut self) -> Result<(), SourceError> {
        let running = self.running.as_mut().expect("running");
        let status = running.child.wait().map_err(|e| SourceError::Io {
            url: self.masked.clone(),
            source: e,
        })?;
        // The stderr thread may still be flushing the last lines.
        std::thread::sleep(Duration::from_millis(20));
        let lines: Vec<String> = running
            .state
            .lock()
            .expect("stderr state")
            .lines
            .iter()
            .cloned()
            .collect();
        let delivered = running.delivered;
        if status.success() && (delivered > 0 || !self.kind.is_live()) {
            if delivered == 0 {
                return Err(SourceError::InvalidData {
                    url: self.masked.clone(),
                    detail: "no video frames in the input".into(),
                });
            }
            return Ok(());
        }
        Err(classify_failure(&self.masked, &status.to_string(), &lines))
    }
}

impl FrameSource for FfmpegSource {
    type Error = SourceError;

    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        loop {
            let Some(running) = &self.running else {
                return Ok(None);
            };
            let wait = if running.delivered == 0 {
                self.config.stall_timeout + self.config.connect_timeout
            } else {
                self.config.stall_timeout
            };
            match running.frames.recv_timeout(wait) {
                Ok(mut frame) => {
                    if let Some(r) = self.running.as_mut() {
                        r.delivered += 1;
                    }
                    self.capture_stream_facts();
                    let mut pts = frame.pts + self.pts_offset;
                    if let Some(last) = self.last_pts
                        && pts <= last
                    {
                        // A looped file or a camera that reset its clock: keep time moving.
                        self.pts_offset += last + self.frame_interval() - pts;
                        pts = last + self.frame_interval();
                    }
                    self.last_pts = Some(pts);
                    frame.pts = pts;
                    frame.index = self.next_index;
                    self.next_index += 1;
                    return Ok(Some(frame));
                }
                Err(RecvTimeoutError::Timeout) => {
                    tracing::warn!(source = %self.masked, waited_s = wait.as_secs_f64(), "no frame: stream stalled");
                    let error = SourceError::Stalled {
                        url: self.masked.clone(),
                        after: wait,
                        restarts: self.restarts,
                    };
                    self.restart_or_fail(error)?;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.capture_stream_facts();
                    match self.finish_child() {
                        Ok(()) => {
                            self.running = None;
                            return Ok(None);
                        }
                        Err(e) if e.is_transient() && self.kind.is_live() => {
                            self.restart_or_fail(e)?
                        }
                        Err(e) => {
                            self.running = None;
                            return Err(e);
                        }
                    }
                }
            }
        }
    }
}

fn read_stderr(
    stderr: impl Read,
    state: Arc<Mutex<StderrState>>,
    info_tx: std::sync::mpsc::Sender<FrameInfo>,
) {
    let mut reader = BufReader::new(stderr);
    let mut buf = Vec::new();
    let mut seen_output = false;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        // Masked before it is kept or logged: ffmpeg quotes URLs with their passwords.
        let line = mask_credentials_in_text(String::from_utf8_lossy(&buf).trim_end());
        if let Some(info) = parse_showinfo(&line) {
            if info_tx.send(info).is_err() {
                break;
            }
            continue;
        }
        let mut s = state.lock().expect("stderr state");
        if line.starts_with("Output #") {
            seen_output = true;
        }
        if let Some(d) = parse_duration(&line) {
            s.duration.get_or_insert(d);
        }
        if !seen_output
            && s.stream.is_none()
            && let Some(info) = parse_stream_info(&line)
        {
            s.stream = Some(info);
        }
        if s.lines.len() == STDERR_LINES_KEPT {
            s.lines.pop_front();
        }
        tracing::trace!(target: "ffmpeg", "{line}");
        s.lines.push_back(line);
    }
}

/// Joins ffmpeg's frame timestamps (stderr) with its pixels (stdout). With `dropped`,
/// a frame that finds the buffer full is dropped and counted instead of waited for.
fn pair_frames(
    mut stdout: ChildStdout,
    infos: Receiver<FrameInfo>,
    frames: SyncSender<Frame>,
    dropped: Option<Arc<AtomicU64>>,
) {
    while let Ok(info) = infos.recv() {
        let mut pixels = vec![0u8; Frame::byte_len(info.width, info.height)];
        if stdout.read_exact(&mut pixels).is_err() {
            break;
        }
        let frame = Frame {
            width: info.width,
            height: info.height,
            pts: info.pts_time,
            index: 0,
            pixels,
        };
        let sent = match &dropped {
            None => frames.send(frame).is_ok(),
            Some(dropped) => match frames.try_send(frame) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Err(TrySendError::Disconnected(_)) => false,
            },
        };
        if !sent {
            break;
        }
    }
}

/// A folder of numbered images: `img1/000001.jpg ...` (MOTChallenge) or flat.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSequence {
    /// printf-style pattern for ffmpeg's image2 demuxer, e.g. `dir/img1/%06d.jpg`.
    pub pattern: PathBuf,
    pub start: u64,
    pub count: usize,
    /// From `seqinfo.ini` when present.
    pub frame_rate: Option<f64>,
}

impl ImageSequence {
    pub fn scan(dir: &Path) -> Result<ImageSequence, String> {
        let images_dir = if dir.join("img1").is_dir() {
            dir.join("img1")
        } else {
            dir.to_path_buf()
        };
        let mut found: Vec<(u64, usize, String)> = Vec::new();
        let entries = std::fs::read_dir(&images_dir)
            .map_err(|e| format!("cannot list {}: {e}", images_dir.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((stem, ext)) = name.rsplit_once('.') else {
                continue;
            };
            let ext_lower = ext.to_ascii_lowercase();
            if !matches!(ext_lower.as_str(), "jpg" | "jpeg" | "png" | "bmp")
                || stem.is_empty()
                || !stem.bytes().all(|b| b.is_ascii_digit())
            {
                continue;
            }
            if let Ok(n) = stem.parse() {
                found.push((n, stem.len(), ext.to_string()));
            }
        }
        let Some(&(_, width, ref ext)) = found.first() else {
            return Err(format!(
                "no numbered images (000001.jpg, ...) in {}",
                images_dir.display()
            ));
        };
        if found.iter().any(|(_, w, e)| *w != width || e != ext) {
            return Err(format!(
                "images in {} mix name widths or extensions",
                images_dir.display()
            ));
        }
        let start = found.iter().map(|f| f.0).min().unwrap_or(1);
        let frame_rate = std::fs::read_to_string(dir.join("seqinfo.ini"))
            .ok()
            .and_then(|ini| {
                ini.lines().find_map(|l| {
                    l.trim()
                        .strip_prefix("frameRate=")
                        .and_then(|v| v.trim().parse().ok())
                })
            });
        Ok(ImageSequence {
            pattern: images_dir.join(format!("%0{width}d.{ext}")),
            start,
            count: found.len(),
            frame_rate,
        })
    }
}

/// The first line of `ffmpeg -version`.
pub fn ffmpeg_version(program: &Path) -> Result<String, SourceError> {
    let out = Command::new(program)
        .arg("-version")
        .stdin(Stdio::null())
        .output()
        .map_err(|_| SourceError::FfmpegMissing {
            program: program.display().to_string(),
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .map(str::to_string)
        .filter(|l| l.starts_with("ffmpeg"))
        .ok_or(SourceError::FfmpegMissing {
            program: program.display().to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpeg_may_use_only_the_protocols_of_the_url_scheme() {
        let whitelist = |input: &str| protocol_whitelist(&SourceKind::parse(input).unwrap());
        assert_eq!(whitelist("rtsp://cam/live"), "rtsp,rtp,tcp,udp");
        assert!(whitelist("RTSPS://cam/live").contains("tls"));
        assert_eq!(whitelist("http://cam/video.mjpg"), "http,tcp,crypto");
        assert_eq!(whitelist("https://cam/x.m3u8"), "https,tls,tcp,crypto");
        assert_eq!(whitelist("/srv/door.mp4"), "file");
        for network in ["rtsp://c/x", "http://c/x", "https://c/x"] {
            assert!(!whitelist(network).contains("file"), "{network}");
        }
    }

    #[test]
    fn a_refused_destination_never_starts_ffmpeg() {
        let mut config = FfmpegConfig::new("http://169.254.169.254/latest/meta-data/");
        config.destinations = Some(crate::DestinationPolicy::strict());
        // A program that does not exist: reaching the spawn would say FfmpegMissing.
        config.program = "/nonexistent/ffmpeg".into();
        match FfmpegSource::open(config) {
            Err(SourceError::Refused { detail, .. }) => assert!(detail.contains("169.254.169.254")),
            Err(other) => panic!("expected Refused, got {other}"),
            Ok(_) => panic!("expected Refused, got a source"),
        }
    }

    #[test]
    fn image_sequence_scan_mot_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("img1")).unwrap();
        for n in 1..=3 {
            std::fs::write(dir.path().join("img1").join(format!("{n:06}.jpg")), b"x").unwrap();
        }
        std::fs::write(dir.path().join("img1").join("notes.txt"), b"x").unwrap();
        std::fs::write(
            dir.path().join("seqinfo.ini"),
            "[Sequence]\nname=X\nframeRate=14\n",
        )
        .unwrap();
        let seq = ImageSequence::scan(dir.path()).unwrap();
        assert_eq!(seq.pattern, dir.path().join("img1").join("%06d.jpg"));
        assert_eq!((seq.start, seq.count, seq.frame_rate), (1, 3, Some(14.0)));
    }

    #[test]
    fn image_sequence_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            ImageSequence::scan(dir.path())
                .unwrap_err()
                .contains("no numbered images")
        );
        std::fs::write(dir.path().join("1.jpg"), b"x").unwrap();
        std::fs::write(dir.path().join("002.jpg"), b"x").unwrap();
        assert!(ImageSequence::scan(dir.path()).unwrap_err().contains("mix"));
    }

    #[test]
    fn rejects_bad_input_before_spawning() {
        let err = FfmpegSource::open(FfmpegConfig::new("/definitely/not/here.mp4"))
            .err()
            .unwrap();
        assert!(matches!(err, SourceError::NotFound { .. }), "{err}");
        let err = FfmpegSource::open(FfmpegConfig::new("gopher://x/y"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("unsupported URL scheme"), "{err}");
        let mut cfg = FfmpegConfig::new("rtsp://u:secret@127.0.0.1:1/x");
        cfg.program = PathBuf::from("/nonexistent/ffmpeg");
        let err = FfmpegSource::open(cfg).err().unwrap();
        assert!(matches!(err, SourceError::FfmpegMissing { .. }), "{err}");
        assert!(!err.to_string().contains("secret"));
    }
}
