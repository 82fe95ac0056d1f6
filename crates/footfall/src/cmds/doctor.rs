//! `footfall doctor`: is this machine ready to count? Each check prints one line; a failed
//! check says how to fix it and makes the exit status non-zero.

use footfall_detect::{init_runtime, model_info};
use footfall_source::ffmpeg_version;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model to check.
    #[arg(short, long, env = "FOOTFALL_MODEL")]
    pub model: Option<PathBuf>,
    /// ONNX Runtime shared library (default: $ORT_DYLIB_PATH, ./.cache/onnxruntime, system).
    #[arg(long, env = "ORT_DYLIB_PATH")]
    pub ort_lib: Option<PathBuf>,
    /// The ffmpeg program.
    #[arg(long, default_value = "ffmpeg")]
    pub ffmpeg: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut failures = 0;
    let mut report = |ok: bool, what: &str, text: String| {
        println!("{} {what}: {text}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };
    match ffmpeg_version(&args.ffmpeg) {
        Ok(v) => report(true, "ffmpeg", v),
        Err(e) => report(false, "ffmpeg", e.to_string()),
    }
    let runtime_ok = match init_runtime(args.ort_lib.as_deref()) {
        Ok(rt) => {
            let version = rt
                .version()
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default();
            report(
                true,
                "onnxruntime",
                format!("{}{version}", rt.library().display()),
            );
            true
        }
        Err(e) => {
            report(false, "onnxruntime", e.to_string());
            false
        }
    };
    match &args.model {
        None => report(
            false,
            "model",
            "no model given: pass --model PATH or set FOOTFALL_MODEL".into(),
        ),
        Some(path) if !runtime_ok => report(
            false,
            "model",
            format!("{}: not checked without ONNX Runtime", path.display()),
        ),
        Some(path) => check_model(path, args.ort_lib.as_deref(), &mut report),
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check_model(path: &Path, lib: Option<&Path>, report: &mut impl FnMut(bool, &str, String)) {
    match model_info(path, lib) {
        Ok(info) => {
            let shapes = |ts: &[footfall_detect::TensorInfo]| {
                ts.iter()
                    .map(|t| format!("{} {:?}", t.name, t.shape))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match info.layout {
                Some(layout) => report(
                    true,
                    "model",
                    format!(
                        "{}: inputs {}; outputs {}; layout {}",
                        path.display(),
                        shapes(&info.inputs),
                        shapes(&info.outputs),
                        layout.setting().as_str()
                    ),
                ),
                None => report(
                    false,
                    "model",
                    format!(
                        "{}: outputs {} match no known detector layout; pass --layout yolox|yolov5|yolov8",
                        path.display(),
                        shapes(&info.outputs)
                    ),
                ),
            }
        }
        Err(e) => report(false, "model", e.to_string()),
    }
}
