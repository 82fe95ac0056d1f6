//! `footfall track`: ByteTrack over MOTChallenge public detections, for tracker evaluation.
//!
//! Input: `det.txt` lines `frame,id,x,y,w,h,conf,...` (frame 1-based, id ignored, box as
//! top-left + size in pixels, confidence 0..1). Output: MOT lines
//! `frame,track_id,x,y,w,h,score,-1,-1,-1`, one per confirmed track per frame.

use anyhow::{Context, bail};
use footfall_core::detection::{Detection, PERSON_CLASS};
use footfall_core::geometry::BBox;
use footfall_core::tracker::{ByteTrack, ByteTrackConfig};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// MOTChallenge detections file (det/det.txt).
    #[arg(long)]
    pub mot_det: PathBuf,
    /// Frame rate of the sequence, frames per second.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// Seconds a lost track is kept for re-identification.
    #[arg(long, default_value_t = 1.0)]
    pub lost_buffer: f64,
    /// Where to write the tracks (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run the whole sequence this many times and report the mean time (benchmarking).
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
}

/// Detections per frame, index 0 = frame 1.
pub fn parse_mot_detections(text: &str) -> anyhow::Result<Vec<Vec<Detection>>> {
    let mut frames: Vec<Vec<Detection>> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() < 7 {
            bail!(
                "line {}: expected at least 7 comma-separated fields (frame,id,x,y,w,h,conf), got {}",
                n + 1,
                fields.len()
            );
        }
        let num = |i: usize| -> anyhow::Result<f64> {
            fields[i].parse::<f64>().with_context(|| {
                format!(
                    "line {}: field {} ({:?}) is not a number",
                    n + 1,
                    i + 1,
                    fields[i]
                )
            })
        };
        let frame = num(0)?;
        if frame < 1.0 || frame.fract() != 0.0 || frame > 10_000_000.0 {
            bail!(
                "line {}: frame number {frame} must be a positive integer",
                n + 1
            );
        }
        let (x, y, w, h, conf) = (num(2)?, num(3)?, num(4)?, num(5)?, num(6)?);
        if !(w > 0.0 && h > 0.0) {
            continue; // degenerate boxes carry no information
        }
        let index = frame as usize - 1;
        if frames.len() <= index {
            frames.resize_with(index + 1, Vec::new);
        }
        frames[index].push(Detection {
            bbox: BBox::from_xywh(x as f32, y as f32, w as f32, h as f32),
            score: conf as f32,
            class_id: PERSON_CLASS,
        });
    }
    Ok(frames)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.fps.is_finite() && args.fps > 0.0) {
        bail!("--fps {}: must be > 0", args.fps);
    }
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let text = std::fs::read_to_string(&args.mot_det)
        .with_context(|| format!("reading {}", args.mot_det.display()))?;
    let frames = parse_mot_detections(&text)
        .with_context(|| format!("parsing {}", args.mot_det.display()))?;
    let config = ByteTrackConfig {
        frame_rate: args.fps,
        lost_track_buffer_s: args.lost_buffer,
        ..Default::default()
    };

    let mut output = String::new();
    let mut elapsed = std::time::Duration::ZERO;
    let mut ids = std::collections::BTreeSet::new();
    for round in 0..args.repeat {
        let mut tracker = ByteTrack::new(config.clone());
        for (index, dets) in frames.iter().enumerate() {
            let t = index as f64 / args.fps;
            let started = Instant::now();
            let tracks = tracker.update(t, dets);
            elapsed += started.elapsed();
            if round == 0 {
                for tr in tracks {
                    ids.insert(tr.id);
                    let b = tr.bbox;
                    let _ = writeln!(
                        output,
                        "{},{},{:.2},{:.2},{:.2},{:.2},{:.3},-1,-1,-1",
                        index + 1,
                        tr.id,
                        b.x1,
                        b.y1,
                        b.width(),
                        b.height(),
                        tr.score
                    );
                }
            }
        }
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, &output).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{output}"),
    }
    let updates = frames.len() as f64 * args.repeat as f64;
    let us_per_frame = if updates > 0.0 {
        elapsed.as_secs_f64() * 1e6 / updates
    } else {
        0.0
    };
    eprintln!(
        "frames={} tracks={} repeats={} mean_us_per_frame={us_per_frame:.2}",
        frames.len(),
        ids.len(),
        args.repeat
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mot_lines_and_fills_empty_frames() {
        let frames = parse_mot_detections(
            "1,-1,10,20,30,40,0.9,-1,-1,-1\n3,-1,1,2,3,4,0.5,-1,-1,-1\n3,-1,5,5,0,4,0.5\n",
        )
        .unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0][0].bbox, BBox::new(10.0, 20.0, 40.0, 60.0));
        assert!(frames[1].is_empty());
        assert_eq!(frames[2].len(), 1, "zero-width box dropped");
    }

    #[test]
    fn rejects_malformed_lines_with_line_numbers() {
        let err = parse_mot_detections("1,-1,10,20,30,40,0.9\n2,-1,x,20,30,40,0.9\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = parse_mot_detections("0,-1,10,20,30,40,0.9\n").unwrap_err();
        assert!(err.to_string().contains("positive integer"), "{err}");
        assert!(parse_mot_detections("1,2,3\n").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        #[test]
        fn no_detections_file_makes_the_parser_panic(text in "[0-9,.\\-e \n]{0,200}") {
            let _ = parse_mot_detections(&text);
        }

        #[test]
        fn every_valid_line_lands_in_its_frame(
            rows in proptest::collection::vec(
                // Whole pixels (as MOT files have): exact in f32 and f64 alike.
                (1u32..300, 0u16..1920, 0u16..1080, 1u16..400, 1u16..400, 0u8..=100),
                1..40,
            ),
        ) {
            let text: String = rows
                .iter()
                .map(|(f, x, y, w, h, c)| format!("{f},-1,{x},{y},{w},{h},{}.{:02},-1,-1,-1\n", c / 100, c % 100))
                .collect();
            let frames = parse_mot_detections(&text).unwrap();
            let last = rows.iter().map(|r| r.0).max().unwrap() as usize;
            proptest::prop_assert_eq!(frames.len(), last);
            for (f, x, y, w, h, _) in &rows {
                let bbox = BBox::from_xywh(f32::from(*x), f32::from(*y), f32::from(*w), f32::from(*h));
                proptest::prop_assert!(frames[*f as usize - 1].iter().any(|d| d.bbox == bbox));
            }
            let total: usize = frames.iter().map(Vec::len).sum();
            proptest::prop_assert_eq!(total, rows.len());
        }
    }
}
