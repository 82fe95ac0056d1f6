//! `footfall count`: one video, stream or image folder through the whole engine.

use super::DetectorArgs;
use crate::clock::{MonotonicClock, cpu_seconds};
use crate::summary::{CountSummary, Format, LineSummary, ZoneSummary, render_events};
use anyhow::{Context, bail};
use footfall_core::counting::{CountEvent, CountingConfig, parse_line_spec, parse_zone_spec};
use footfall_core::detection::Detector;
use footfall_core::motion::MotionConfig;
use footfall_core::pipeline::{Clock, Engine, EngineConfig, FrameSource};
use footfall_core::render::annotate;
use footfall_core::tracker::ByteTrackConfig;
use footfall_detect::OrtDetector;
use footfall_source::{FfmpegConfig, FfmpegSource, VideoWriter, write_image};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Video file, image folder, rtsp:// or http(s):// URL.
    #[arg(short, long)]
    pub source: String,
    #[command(flatten)]
    pub detector: DetectorArgs,
    /// Counting line NAME:X1,Y1,X2,Y2[:in=left|right,mode=anchor|strip,anchor=..,hysteresis=F,min_frames=N]
    /// in normalised 0..1 coordinates (repeatable).
    #[arg(long = "line", value_name = "SPEC")]
    pub lines: Vec<String>,
    /// Counting zone NAME:X1,Y1,X2,Y2,X3,Y3[,...][:min_dwell=S,anchor=..,hysteresis=F]
    /// in normalised 0..1 coordinates (repeatable).
    #[arg(long = "zone", value_name = "SPEC")]
    pub zones: Vec<String>,
    /// JSON file with {"lines": [...], "zones": [...]} (added to --line / --zone).
    #[arg(long, value_name = "FILE")]
    pub counting: Option<PathBuf>,
    /// Analysis rate, frames per second (default: every frame of the source).
    #[arg(long)]
    pub fps: Option<f64>,
    /// Summary format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write every crossing / entry / exit / visit event here (.csv, else JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Write an annotated video (boxes, ids, lines, zones, counts) here, e.g. out.mp4.
    #[arg(long, value_name = "FILE")]
    pub annotate: Option<PathBuf>,
    /// Save an annotated JPEG of every counting event into this folder.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Pixelate every detected person in the annotated video and the snapshots.
    #[arg(long)]
    pub blur_people: bool,
    /// Run the detector on every frame instead of only on frames with motion.
    #[arg(long)]
    pub no_motion_gate: bool,
    /// With the motion gate: longest gap between detector runs, seconds.
    #[arg(long, default_value_t = 1.0)]
    pub keepalive: f64,
    /// Seconds a lost track is kept for re-identification.
    #[arg(long, default_value_t = 1.0)]
    pub lost_buffer: f64,
    /// Camera name used in event ids.
    #[arg(long, default_value = "cli")]
    pub camera: String,
    /// Read files at their native frame rate, like a live camera.
    #[arg(long)]
    pub realtime: bool,
    /// Seconds without a frame before the stream counts as stalled.
    #[arg(long, default_value_t = 10.0)]
    pub stall_timeout: f64,
    /// Restarts of ffmpeg after a stall or network error (default: 3 for live sources,
    /// 0 for files).
    #[arg(long)]
    pub max_restarts: Option<u32>,
    /// Decoder threads for ffmpeg.
    #[arg(long, default_value_t = 1)]
    pub decode_threads: u32,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Cheap checks first: a typo in a zone should not wait for a model to load.
    let counting = counting_config(&args)?;
    if let Some(fps) = args.fps
        && !(fps.is_finite() && fps > 0.0 && fps <= 240.0)
    {
        bail!("--fps {fps}: must be in (0, 240]");
    }
    if !(args.keepalive.is_finite()
        && args.keepalive > 0.0
        && args.lost_buffer.is_finite()
        && args.lost_buffer >= 0.0)
    {
        bail!("--keepalive must be > 0 and --lost-buffer >= 0 seconds");
    }
    let mut detector = OrtDetector::new(&args.detector.config())
        .with_context(|| format!("loading model {}", args.detector.model.display()))?;
    let mut source_config = FfmpegConfig::new(args.source.clone());
    source_config.fps = args.fps;
    source_config.fit = detector.input_size();
    source_config.realtime = args.realtime;
    source_config.decode_threads = args.decode_threads;
    source_config.max_restarts = args.max_restarts;
    source_config.stall_timeout = Duration::from_secs_f64(args.stall_timeout.max(0.1));
    let mut source = FfmpegSource::open(source_config).context("opening source")?;
    let masked = source.masked_input().to_string();

    let engine_config = EngineConfig {
        camera: args.camera.clone(),
        counting: counting.clone(),
        tracker: ByteTrackConfig {
            frame_rate: args.fps.unwrap_or(10.0),
            lost_track_buffer_s: args.lost_buffer,
            ..Default::default()
        },
        motion: MotionConfig {
            enabled: !args.no_motion_gate,
            keepalive_s: args.keepalive,
            ..Default::default()
        },
    };
    let mut engine = Engine::new(engine_config).context("counting configuration")?;
    if let Some(dir) = &args.snapshots {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let clock = MonotonicClock::new();
    let started = clock.now_s();
    let progress = Progress::new(args.quiet);
    let mut writer: Option<VideoWriter> = None;
    let mut events: Vec<CountEvent> = Vec::new();
    let ffmpeg = PathBuf::from("ffmpeg");
    // Source and detector errors name their input already.
    while let Some(frame) = source.next_frame()? {
        // The same frame step as a live camera's (Engine::step).
        let step = engine.step(&frame, &mut detector, &clock)?;
        let report = &step.report;
        progress.update(frame.pts, source.duration(), report.events.len());
        events.extend(report.events.iter().cloned());
        if args.annotate.is_none() && (args.snapshots.is_none() || report.events.is_empty()) {
            continue;
        }
        let mut drawn = frame;
        if args.blur_people {
            footfall_core::render::blur_people(&mut drawn, report.people());
        }
        // The counts as of this frame, drawn as the live view draws them.
        annotate(&mut drawn, &counting, report, &step.counts);
        if let Some(path) = &args.annotate {
            match &mut writer {
                Some(w) => w.write(&drawn),
                None => VideoWriter::create(
                    &ffmpeg,
                    path,
                    drawn.width,
                    drawn.height,
                    args.fps.unwrap_or(10.0),
                )
                .and_then(|w| writer.insert(w).write(&drawn)),
            }
            .with_context(|| format!("writing {}", path.display()))?;
        }
        if let Some(dir) = &args.snapshots {
            for e in &report.events {
                let path = dir.join(format!("{}.jpg", e.id.replace('/', "_")));
                write_image(&ffmpeg, &path, &drawn)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    let tail = engine.finish();
    progress.finish();
    events.extend(tail);
    if let Some(w) = writer {
        w.finish().context("finishing the annotated video")?;
    }
    if let Some(path) = &args.events {
        let csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        std::fs::write(path, render_events(&events, csv))
            .with_context(|| format!("writing {}", path.display()))?;
    }

    let wall_s = clock.now_s() - started;
    let stats = *engine.stats();
    let stream_s = match (stats.first_pts, stats.last_pts) {
        (Some(a), Some(b)) => b - a + args.fps.map(|f| 1.0 / f).unwrap_or(0.0),
        _ => 0.0,
    };
    let counts = engine.counts();
    let summary = CountSummary {
        source: masked,
        frames: stats.frames,
        frames_analysed: stats.frames_analysed,
        frames_skipped_motion: stats.frames_skipped,
        skipped_fraction: stats.skipped_fraction(),
        stream_s,
        wall_s,
        cpu_s: cpu_seconds(),
        throughput_fps: if wall_s > 0.0 {
            stats.frames as f64 / wall_s
        } else {
            0.0
        },
        realtime_factor: if wall_s > 0.0 { stream_s / wall_s } else { 0.0 },
        detector_ms_per_frame: stats.detector_ms_per_frame(),
        mean_confidence: stats.mean_confidence(),
        restarts: source.restarts(),
        lines: counts
            .lines
            .iter()
            .map(|(name, c)| LineSummary {
                name: name.clone(),
                inward: c.inward,
                outward: c.outward,
            })
            .collect(),
        zones: counts
            .zones
            .iter()
            .map(|(name, c)| ZoneSummary {
                name: name.clone(),
                visitors: c.visitors,
                entries: c.entries,
                exits: c.exits,
                peak_occupancy: c.peak_occupancy,
                peak_at_s: c.peak_at,
                mean_dwell_s: (c.exits > 0).then(|| c.total_dwell_s / c.exits as f64),
            })
            .collect(),
    };
    print!("{}", summary.render(args.format));
    Ok(ExitCode::SUCCESS)
}

/// Lines and zones from --line, --zone and --counting, validated together (names unique
/// across all of them).
fn counting_config(args: &Args) -> anyhow::Result<CountingConfig> {
    let mut config = match &args.counting {
        Some(path) => read_counting_file(path)?,
        None => CountingConfig::default(),
    };
    for spec in &args.lines {
        config.lines.push(parse_line_spec(spec)?);
    }
    for spec in &args.zones {
        config.zones.push(parse_zone_spec(spec)?);
    }
    config.validate()?;
    Ok(config)
}

fn read_counting_file(path: &Path) -> anyhow::Result<CountingConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: invalid counting configuration", path.display()))
}

/// Progress on stderr when it is a terminal: a bar over the file's duration, or a spinner
/// with stream time for live sources.
struct Progress {
    bar: Option<ProgressBar>,
    events: std::cell::Cell<u64>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            events: std::cell::Cell::new(0),
        }
    }

    fn update(&self, pts: f64, duration: Option<f64>, new_events: usize) {
        let Some(bar) = &self.bar else { return };
        self.events.set(self.events.get() + new_events as u64);
        if bar.length().is_none()
            && let Some(d) = duration
        {
            bar.set_length((d * 1000.0) as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {percent:>3}% {msg} (eta {eta})")
                    .expect("valid template"),
            );
        }
        bar.set_position((pts * 1000.0) as u64);
        bar.set_message(format!("{pts:.1} s, {} events", self.events.get()));
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
