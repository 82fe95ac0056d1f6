//! `footfall count` over real RTSP: GStreamer's RTSP server on loopback serves a cut of the
//! shared video; the counts must equal those of the same file read directly.

mod common;
use common::*;

#[test]
fn rtsp_stream_counts_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    // The first two visits (5-18 s and 22-43 s), played twice as fast so the real-time
    // RTSP stream takes 23 s instead of 46.
    cut_video(0.0, 46.0, 2.0, &clip);
    let counting = [
        "--zone",
        TABLE_ZONE,
        "--line",
        "floor:0.0,0.9,1.0,0.9",
        "--model",
    ];
    let model = model();

    let mut file_args = vec!["--source", clip.to_str().unwrap()];
    file_args.extend(counting);
    file_args.push(model.to_str().unwrap());
    let from_file = count_json(&file_args);

    let server = RtspServer::start(&clip, None, &[]);
    let mut rtsp_args = vec!["--source", server.url.as_str()];
    rtsp_args.extend(counting);
    rtsp_args.push(model.to_str().unwrap());
    let from_rtsp = count_json(&rtsp_args);

    assert_eq!(from_file["zones"][0]["visitors"], 2, "{from_file:#}");
    for key in ["visitors", "entries", "exits", "peak_occupancy"] {
        assert_eq!(
            from_rtsp["zones"][0][key], from_file["zones"][0][key],
            "zone {key}: rtsp {from_rtsp:#}"
        );
    }
    for key in ["in", "out"] {
        assert_eq!(
            from_rtsp["lines"][0][key], from_file["lines"][0][key],
            "line {key}"
        );
    }
    let (f, r) = (
        from_file["frames"].as_i64().unwrap(),
        from_rtsp["frames"].as_i64().unwrap(),
    );
    assert!(
        (f - r).abs() <= 2,
        "every frame arrives over RTSP: file {f}, rtsp {r}"
    );
}

#[test]
fn wrong_rtsp_password_is_an_authentication_error() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    cut_video(0.0, 3.0, 1.0, &clip);
    let server = RtspServer::start(&clip, None, &["--user", "admin", "--password", "right-one"]);
    let url = server.url.replacen("rtsp://", "rtsp://admin:wrong-one@", 1);
    let out = footfall()
        .args([
            "count",
            "--quiet",
            "--source",
            &url,
            "--model",
            model().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: authentication failed for rtsp://admin:***@127.0.0.1:"),
        "{err}"
    );
    assert!(!err.contains("wrong-one"), "password leaked: {err}");
}
