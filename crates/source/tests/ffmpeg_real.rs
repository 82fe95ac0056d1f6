//! The ffmpeg source against real ffmpeg on the shared camera video.

use footfall_core::pipeline::FrameSource;
use footfall_source::{FfmpegConfig, FfmpegSource, SourceError};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn shared_video() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/one-by-one-person-detection.mp4");
    assert!(p.exists(), "shared video missing at {}", p.display());
    p
}

/// Cuts `seconds` of the shared video starting at `start` into `out` (re-encoded so it
/// starts on a key frame), in the container its extension names.
fn cut(start: f64, seconds: f64, out: &Path) {
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
        .arg(shared_video())
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-g", "10"])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
}

fn read_all(source: &mut FfmpegSource) -> Vec<footfall_core::frame::Frame> {
    let mut frames = Vec::new();
    while let Some(f) = source.next_frame().unwrap() {
        frames.push(f);
    }
    frames
}

#[test]
fn decodes_file_at_working_size_with_stream_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    cut(20.0, 3.0, &clip);
    let mut source = FfmpegSource::open(FfmpegConfig::new(clip.to_str().unwrap())).unwrap();
    let frames = read_all(&mut source);
    assert_eq!(frames.len(), 30, "3 s at 10 fps");
    assert!(
        frames.iter().all(|f| (f.width, f.height) == (416, 234)),
        "768x432 fits 416x416 as 416x234"
    );
    assert!(frames.iter().all(|f| f.pixels.len() == 416 * 234 * 3));
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.index, i as u64);
        assert!(
            (f.pts - i as f64 * 0.1).abs() < 1e-6,
            "frame {i} pts {}",
            f.pts
        );
    }
    assert!((source.duration().unwrap() - 3.0).abs() < 0.2);
    let info = source.stream_info().unwrap();
    assert_eq!(
        (info.codec.as_str(), info.width, info.height),
        ("h264", 768, 432)
    );
    // Real picture content, not a blank buffer.
    let mean =
        frames[0].pixels.iter().map(|&p| p as f64).sum::<f64>() / frames[0].pixels.len() as f64;
    assert!(mean > 20.0 && mean < 235.0, "mean {mean}");
}

#[test]
fn analysis_fps_drops_frames_and_keeps_time() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    cut(0.0, 4.0, &clip);
    let mut cfg = FfmpegConfig::new(clip.to_str().unwrap());
    cfg.fps = Some(5.0);
    cfg.fit = (320, 320);
    let frames = read_all(&mut FfmpegSource::open(cfg).unwrap());
    assert_eq!(frames.len(), 20);
    assert_eq!((frames[0].width, frames[0].height), (320, 180));
    assert!((frames[19].pts - 3.8).abs() < 1e-6, "{}", frames[19].pts);
}

#[test]
fn image_folder_in_mot_layout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("img1")).unwrap();
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-ss",
            "30",
            "-t",
            "1",
            "-i",
        ])
        .arg(shared_video())
        .arg(dir.path().join("img1/%06d.jpg"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(dir.path().join("seqinfo.ini"), "[Sequence]\nframeRate=10\n").unwrap();
    let frames =
        read_all(&mut FfmpegSource::open(FfmpegConfig::new(dir.path().to_str().unwrap())).unwrap());
    assert_eq!(frames.len(), 10);
    assert!(
        (frames[9].pts - 0.9).abs() < 1e-6,
        "seqinfo frame rate used: {}",
        frames[9].pts
    );
}

#[test]
fn corrupt_file_is_invalid_data() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.mp4");
    std::fs::write(&bad, vec![0x42u8; 100_000]).unwrap();
    let mut source = FfmpegSource::open(FfmpegConfig::new(bad.to_str().unwrap())).unwrap();
    let err = source.next_frame().unwrap_err();
    assert!(matches!(err, SourceError::InvalidData { .. }), "{err}");
}

#[test]
fn refused_rtsp_connection_is_unreachable_without_leaking_the_password() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // now closed
    let mut cfg = FfmpegConfig::new(format!("rtsp://admin:s3cret@127.0.0.1:{port}/cam"));
    cfg.max_restarts = Some(0);
    let started = Instant::now();
    let err = FfmpegSource::open(cfg).unwrap().next_frame().unwrap_err();
    assert!(matches!(err, SourceError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("admin:***@127.0.0.1"), "{err}");
    assert!(!err.to_string().contains("s3cret"));
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");
}

/// An HTTP server that sends the first part of an MPEG-TS stream, then holds the connection
/// open without sending more: ffmpeg delivers some frames, then nothing. The watchdog must
/// notice, restart ffmpeg (which gets the same again), and finally report the stall.
#[test]
fn stalled_stream_is_restarted_by_the_watchdog_then_reported() {
    let dir = tempfile::tempdir().unwrap();
    let ts = dir.path().join("clip.ts");
    cut(10.0, 12.0, &ts);
    let bytes = std::fs::read(&ts).unwrap();
    // About 9 s of video: more than ffmpeg's 5 s probe, so frames flow before the data ends.
    let half = bytes[..bytes.len() * 3 / 4].to_vec();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = connections.clone();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut req = [0u8; 2048];
            let _ = stream.read(&mut req);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\n\r\n");
            let _ = stream.write_all(&half);
            open.push(stream); // never closed: a hung camera
        }
    });
    let mut cfg = FfmpegConfig::new(format!("http://127.0.0.1:{port}/live.ts"));
    cfg.stall_timeout = Duration::from_millis(1500);
    cfg.connect_timeout = Duration::from_secs(30); // longer than the stall: the watchdog acts first
    cfg.max_restarts = Some(1);
    let mut source = FfmpegSource::open(cfg).unwrap();
    let mut frames = 0;
    let err = loop {
        match source.next_frame() {
            Ok(Some(_)) => frames += 1,
            Ok(None) => panic!("a hung stream must not look like a clean end"),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(err, SourceError::Stalled { restarts: 1, .. }),
        "{err}"
    );
    assert_eq!(source.restarts(), 1);
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "reconnected once"
    );
    assert!(
        frames >= 100,
        "frames before the stall on both connections: {frames}"
    );
}

#[test]
fn consumer_behind_a_live_stream_gets_current_frames_and_the_drops_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    cut(10.0, 4.0, &clip);
    // The comparison without dropping needs no long clip: one second (10 frames) shows
    // that every frame still arrives, in 2.5 s instead of 10.
    let short_clip = dir.path().join("short.mp4");
    cut(10.0, 1.0, &short_clip);
    let open = |clip: &Path, drop_when_behind: bool| {
        let mut config = FfmpegConfig::new(clip.display().to_string());
        config.fps = Some(10.0);
        config.realtime = true;
        config.drop_when_behind = drop_when_behind;
        FfmpegSource::open(config).unwrap()
    };
    // A consumer that needs 250 ms a frame: 4 fps against a 10 fps stream.
    let consume = |source: &mut FfmpegSource| {
        let started = Instant::now();
        let mut received = 0u64;
        while source.next_frame().unwrap().is_some() {
            received += 1;
            std::thread::sleep(Duration::from_millis(250));
        }
        (received, started.elapsed())
    };
    let mut live = open(&clip, true);
    let (received, took) = consume(&mut live);
    let dropped = live.dropped_frames();
    // 40 frames in 4 s of real time: about 16 consumed, the rest dropped, none lost
    // unaccounted, and the stream ends on time instead of 10 s later.
    assert_eq!(
        received + dropped,
        40,
        "received {received}, dropped {dropped}"
    );
    assert!(dropped >= 15, "dropped {dropped}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    // Without it every frame is delivered (and the stream falls behind).
    let mut file = open(&short_clip, false);
    assert_eq!(consume(&mut file).0, 10);
    assert_eq!(file.dropped_frames(), 0);
}
