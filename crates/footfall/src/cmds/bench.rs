//! `footfall bench-detector`: the detector alone on real frames, for comparison with
//! Python onnxruntime on the same model and input.

use super::DetectorArgs;
use anyhow::{Context, bail};
use footfall_core::detection::Detector;
use footfall_core::pipeline::FrameSource;
use footfall_detect::OrtDetector;
use footfall_source::{FfmpegConfig, FfmpegSource};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Video to take frames from.
    #[arg(short, long)]
    pub source: String,
    #[command(flatten)]
    pub detector: DetectorArgs,
    /// Frames to time (after the warm-up).
    #[arg(long, default_value_t = 200)]
    pub frames: usize,
    /// Untimed frames first (allocations, caches).
    #[arg(long, default_value_t = 10)]
    pub warmup: usize,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.frames == 0 {
        bail!("--frames must be at least 1");
    }
    let mut detector = OrtDetector::new(&args.detector.config()).context("loading model")?;
    let mut cfg = FfmpegConfig::new(args.source.clone());
    cfg.fit = detector.input_size();
    let mut source = FfmpegSource::open(cfg).context("opening source")?;
    let mut frames = Vec::new();
    while frames.len() < args.frames + args.warmup {
        match source.next_frame().context("reading frames")? {
            Some(f) => frames.push(f),
            None => break,
        }
    }
    if frames.len() <= args.warmup {
        bail!("the source has only {} frames", frames.len());
    }
    let (mut pre, mut infer, mut post, mut detections) = (0.0, 0.0, 0.0, 0usize);
    for (i, frame) in frames.iter().enumerate() {
        let found = detector.detect(frame).context("detecting")?;
        if i >= args.warmup {
            let t = detector.last_timing();
            pre += t.preprocess_ms;
            infer += t.inference_ms;
            post += t.postprocess_ms;
            detections += found.len();
        }
    }
    let n = (frames.len() - args.warmup) as f64;
    let result = serde_json::json!({
        "frames": n as u64,
        "threads": args.detector.threads,
        "frame_size": [frames[0].width, frames[0].height],
        "ms_per_frame_preprocess": pre / n,
        "ms_per_frame_infer": infer / n,
        "ms_per_frame_postprocess": post / n,
        "ms_per_frame_total": (pre + infer + post) / n,
        "detections": detections,
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(ExitCode::SUCCESS)
}
