//! Shared helpers for the CLI tests: paths to the shared data, the binary, ORT.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn shared(rel: &str) -> PathBuf {
    let p = workspace_root().join("../shared").join(rel);
    assert!(
        p.exists(),
        "{} missing: see the README for where to get the shared data",
        p.display()
    );
    p
}

pub fn video() -> PathBuf {
    shared("data/one-by-one-person-detection.mp4")
}

pub fn model() -> PathBuf {
    shared("models/yolox_nano.onnx")
}

/// The zone around the table in the shared video (normalised), where each visitor stands.
pub const TABLE_ZONE: &str = "table:0.45,0.60,0.75,0.60,0.75,0.97,0.45,0.97";

/// `footfall` with ORT_DYLIB_PATH pointing at the project's ONNX Runtime when the caller
/// did not set it (scripts/setup.sh puts it in .cache/onnxruntime).
pub fn footfall() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_footfall"));
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        let lib = workspace_root().join(".cache/onnxruntime/libonnxruntime.so");
        assert!(
            lib.exists(),
            "ONNX Runtime missing at {}: run scripts/setup.sh",
            lib.display()
        );
        cmd.env("ORT_DYLIB_PATH", lib);
    }
    cmd.env_remove("FOOTFALL_MODEL");
    cmd
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `count` with JSON output and returns the parsed summary; panics with stderr on failure.
pub fn count_json(args: &[&str]) -> serde_json::Value {
    let out = footfall()
        .arg("count")
        .args(args)
        .args(["--format", "json", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "count failed: {}", stderr(&out));
    serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", stdout(&out)))
}

/// Re-encodes `seconds` of the shared video from `start` into `out`, played `speed` times
/// faster (frames kept, timestamps compressed), key frame every second.
pub fn cut_video(start: f64, seconds: f64, speed: f64, out: &Path) {
    let fps = 10.0 * speed;
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-ss",
            &start.to_string(),
            "-t",
            &seconds.to_string(),
            "-i",
        ])
        .arg(video())
        .args([
            "-vf",
            &format!("setpts=PTS/{speed}"),
            "-r",
            &fps.to_string(),
        ])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "18",
            "-g",
            &fps.to_string(),
            "-an",
        ])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg cut failed");
}
