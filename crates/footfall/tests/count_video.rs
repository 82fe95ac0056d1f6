//! `footfall count` end to end on the real camera video: decode, detect, track, count.

mod common;
use common::*;

#[test]
fn shared_video_has_six_visitors_at_the_table_and_never_two_people() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    let v = count_json(&[
        "--source",
        video().to_str().unwrap(),
        "--model",
        model().to_str().unwrap(),
        "--zone",
        TABLE_ZONE,
        "--events",
        events.to_str().unwrap(),
    ]);
    let zone = &v["zones"][0];
    assert_eq!(zone["name"], "table");
    assert_eq!(zone["visitors"], 6, "{v:#}");
    assert_eq!(zone["peak_occupancy"], 1, "{v:#}");
    assert_eq!(zone["entries"], zone["exits"], "every stay closed");
    assert_eq!(v["frames"], 1394);
    assert!(
        v["frames_analysed"].as_u64().unwrap() < 1394,
        "motion gate skipped frames"
    );
    // The event log agrees with the summary and carries stable ids.
    let log = std::fs::read_to_string(&events).unwrap();
    let visits: Vec<&str> = log.lines().filter(|l| l.contains(",zone_visit,")).collect();
    assert_eq!(visits.len(), 6);
    assert!(visits[0].starts_with("cli/zone_visit/table/"));
    // Visit times fall inside the ground-truth visits (5-18, 22-43, 50-68, 75-86, 92-118, 122-136 s).
    let truth = [
        (5.0, 18.0),
        (22.0, 43.0),
        (50.0, 68.0),
        (75.0, 86.0),
        (92.0, 118.0),
        (122.0, 136.0),
    ];
    for (line, (from, to)) in visits.iter().zip(truth) {
        let t: f64 = line.split(',').nth(4).unwrap().parse().unwrap();
        assert!(t >= from && t <= to, "visit at {t} s outside {from}-{to} s");
    }
}

#[test]
fn motion_gate_off_gives_the_same_counts() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    cut_video(0.0, 46.0, 1.0, &clip);
    let args = |gate: bool| {
        let mut a = vec![
            "--source",
            clip.to_str().unwrap(),
            "--zone",
            TABLE_ZONE,
            "--line",
            "floor:0.0,0.9,1.0,0.9",
        ];
        if !gate {
            a.push("--no-motion-gate");
        }
        a
    };
    let model = model();
    let mut on_args = args(true);
    on_args.extend(["--model", model.to_str().unwrap()]);
    let mut off_args = args(false);
    off_args.extend(["--model", model.to_str().unwrap()]);
    let on = count_json(&on_args);
    let off = count_json(&off_args);
    assert_eq!(off["frames_analysed"], off["frames"]);
    assert!(on["frames_analysed"].as_u64() < off["frames_analysed"].as_u64());
    assert_eq!(on["zones"][0]["visitors"], 2);
    for key in ["visitors", "peak_occupancy", "entries"] {
        assert_eq!(on["zones"][0][key], off["zones"][0][key], "{key}");
    }
    assert_eq!(on["lines"][0]["in"], off["lines"][0]["in"]);
    assert_eq!(on["lines"][0]["out"], off["lines"][0]["out"]);
}

#[test]
fn image_folder_counts_like_the_video() {
    let dir = tempfile::tempdir().unwrap();
    let seq = dir.path().join("seq");
    std::fs::create_dir_all(seq.join("img1")).unwrap();
    let status = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-t", "20", "-i"])
        .arg(video())
        .args(["-q:v", "2"])
        .arg(seq.join("img1/%06d.jpg"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(seq.join("seqinfo.ini"), "[Sequence]\nframeRate=10\n").unwrap();
    let v = count_json(&[
        "--source",
        seq.to_str().unwrap(),
        "--model",
        model().to_str().unwrap(),
        "--zone",
        TABLE_ZONE,
    ]);
    assert_eq!(v["frames"], 200);
    assert_eq!(v["zones"][0]["visitors"], 1, "first visit (5-18 s)");
}

#[test]
fn annotated_video_and_snapshots_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    cut_video(4.0, 12.0, 1.0, &clip);
    let out = dir.path().join("annotated.mp4");
    let snaps = dir.path().join("snaps");
    let v = count_json(&[
        "--source",
        clip.to_str().unwrap(),
        "--model",
        model().to_str().unwrap(),
        "--zone",
        TABLE_ZONE,
        "--annotate",
        out.to_str().unwrap(),
        "--snapshots",
        snaps.to_str().unwrap(),
    ]);
    // The annotated video has every frame.
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames,width",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&probe.stdout);
    assert_eq!(
        text.trim(),
        format!("416,{}", v["frames"]),
        "ffprobe: {text}"
    );
    let jpgs = std::fs::read_dir(&snaps).unwrap().count();
    assert!(jpgs >= 2, "a snapshot per event (enter, visit): {jpgs}");
}
