//! Bad input gives one line naming the problem and a non-zero exit, never a hang or a panic.

mod common;
use common::*;
use std::process::Output;

/// Exactly one `error:` line, which is the last line, containing every `needles`.
fn assert_one_line_error(out: &Output, needles: &[&str]) {
    assert!(!out.status.success(), "must fail");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(out);
    let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error_lines.len(), 1, "one error line: {err}");
    assert_eq!(err.trim_end().lines().last(), Some(error_lines[0]));
    for n in needles {
        assert!(
            error_lines[0].contains(n),
            "{n:?} not in {:?}",
            error_lines[0]
        );
    }
    assert!(!err.contains("panicked"));
}

fn count(args: &[&str]) -> Output {
    footfall()
        .arg("count")
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn missing_model() {
    let out = count(&[
        "--source",
        video().to_str().unwrap(),
        "--model",
        "/nonexistent/model.onnx",
    ]);
    assert_one_line_error(&out, &["/nonexistent/model.onnx"]);
}

/// A hand-encoded ONNX model whose only node is Identity: its output has the input's
/// shape [1, 3, 416, 416], which is no detector layout.
fn identity_model() -> Vec<u8> {
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    fn field_bytes(field: u32, data: &[u8], out: &mut Vec<u8>) {
        varint(((field << 3) | 2) as u64, out);
        varint(data.len() as u64, out);
        out.extend_from_slice(data);
    }
    fn field_varint(field: u32, v: u64, out: &mut Vec<u8>) {
        varint((field << 3) as u64, out);
        varint(v, out);
    }
    let value_info = |name: &str| {
        let mut shape = Vec::new();
        for d in [1u64, 3, 416, 416] {
            let mut dim = Vec::new();
            field_varint(1, d, &mut dim); // Dimension.dim_value
            field_bytes(1, &dim, &mut shape); // TensorShapeProto.dim
        }
        let mut tensor = Vec::new();
        field_varint(1, 1, &mut tensor); // elem_type FLOAT
        field_bytes(2, &shape, &mut tensor);
        let mut ty = Vec::new();
        field_bytes(1, &tensor, &mut ty); // TypeProto.tensor_type
        let mut vi = Vec::new();
        field_bytes(1, name.as_bytes(), &mut vi);
        field_bytes(2, &ty, &mut vi);
        vi
    };
    let mut node = Vec::new();
    field_bytes(1, b"images", &mut node);
    field_bytes(2, b"output", &mut node);
    field_bytes(4, b"Identity", &mut node);
    let mut graph = Vec::new();
    field_bytes(1, &node, &mut graph);
    field_bytes(2, b"g", &mut graph);
    field_bytes(11, &value_info("images"), &mut graph);
    field_bytes(12, &value_info("output"), &mut graph);
    let mut opset = Vec::new();
    field_varint(2, 13, &mut opset);
    let mut model = Vec::new();
    field_varint(1, 7, &mut model); // ir_version
    field_bytes(7, &graph, &mut model);
    field_bytes(8, &opset, &mut model);
    model
}

#[test]
fn model_with_a_wrong_output_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("identity.onnx");
    std::fs::write(&path, identity_model()).unwrap();
    let out = count(&[
        "--source",
        video().to_str().unwrap(),
        "--model",
        path.to_str().unwrap(),
    ]);
    assert_one_line_error(&out, &["416", "layout"]);
}

#[test]
fn file_that_is_not_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.onnx");
    std::fs::write(&path, b"this is not protobuf at all").unwrap();
    let out = count(&[
        "--source",
        video().to_str().unwrap(),
        "--model",
        path.to_str().unwrap(),
    ]);
    assert_one_line_error(&out, &["junk.onnx"]);
}

#[test]
fn unreachable_rtsp_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("rtsp://viewer:pa55word@127.0.0.1:{port}/stream");
    let out = count(&[
        "--source",
        &url,
        "--model",
        model().to_str().unwrap(),
        "--max-restarts",
        "0",
    ]);
    assert_one_line_error(&out, &["unreachable", "viewer:***@127.0.0.1"]);
    assert!(
        !stderr(&out).contains("pa55word"),
        "password leaked: {}",
        stderr(&out)
    );
}

#[test]
fn corrupt_video() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.mp4");
    let mut bytes = std::fs::read(video()).unwrap();
    bytes.truncate(4096); // the header is cut off mid-way
    std::fs::write(&path, bytes).unwrap();
    let out = count(&[
        "--source",
        path.to_str().unwrap(),
        "--model",
        model().to_str().unwrap(),
    ]);
    assert_one_line_error(&out, &["broken.mp4"]);
}

#[test]
fn missing_video() {
    let out = count(&[
        "--source",
        "/nonexistent/video.mp4",
        "--model",
        model().to_str().unwrap(),
    ]);
    assert_one_line_error(&out, &["not found", "/nonexistent/video.mp4"]);
}

#[test]
fn invalid_line_and_zone_specs_are_named_before_anything_loads() {
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["--line", "door:0.1,0.5,0.9"],
            &["--line", "expected 4 coordinates"],
        ),
        (&["--line", "door:0.1,0.5,1.5,0.5"], &["--line", "0..1"]),
        (&["--zone", "z:0,0,1,1,1,0,0,1"], &["--zone", "cross"]),
        (
            &["--zone", "z:0,0,1,0,1,1", "--zone", "z:0,0,1,0,0,1"],
            &["duplicate zone name"],
        ),
    ];
    for (spec, needles) in cases {
        // The model does not exist: the spec error must come first.
        let mut args = vec![
            "--source",
            "/nonexistent.mp4",
            "--model",
            "/nonexistent.onnx",
        ];
        args.extend_from_slice(spec);
        assert_one_line_error(&count(&args), needles);
    }
}

#[test]
fn doctor_reports_a_missing_model_and_fails() {
    let out = footfall()
        .args(["doctor", "--model", "/nonexistent/m.onnx"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(text.contains("ok   ffmpeg: ffmpeg version"), "{text}");
    assert!(text.contains("ok   onnxruntime:"), "{text}");
    assert!(
        text.contains("FAIL model:") && text.contains("/nonexistent/m.onnx"),
        "{text}"
    );
}

#[test]
fn doctor_passes_with_the_shared_model() {
    let out = footfall()
        .args(["doctor", "--model", model().to_str().unwrap()])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(
        text.contains("[1, 3, 416, 416]")
            && text.contains("[1, 3549, 85]")
            && text.contains("layout yolox"),
        "{text}"
    );
}

#[test]
fn doctor_explains_a_missing_onnx_runtime() {
    let out = footfall()
        .args(["doctor", "--model", model().to_str().unwrap()])
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("FAIL onnxruntime:") && text.contains("setup.sh"),
        "{text}"
    );
}
