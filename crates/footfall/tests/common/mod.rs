//! Shared helpers for the CLI tests: paths to the shared data, the binary, ORT.

#![allow(dead_code)] // each test file uses a different subset

#[allow(unused_imports)] // each test file uses a different subset
pub use footfall_server::testutil::{
    RtspServer, TABLE_ZONE, cut_video, model, shared, video, workspace_root,
};
use std::process::{Command, Output};

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

/// Spawns `cmd` with its stderr piped; its lines arrive on the returned channel, read by
/// a thread of their own until the child exits, so it never blocks on a full pipe.
pub fn spawn_with_stderr(
    cmd: &mut Command,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn footfall");
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// `footfall` with a private data dir (SQLite) and no config file.
pub fn platform(data_dir: &std::path::Path) -> Command {
    let mut cmd = footfall();
    cmd.env("FOOTFALL_DATABASE__DATA_DIR", data_dir)
        .env_remove("FOOTFALL_CONFIG")
        .current_dir(data_dir);
    cmd
}
