"""Time supervision's ByteTrack alone on MOTChallenge 2015 public detections.

    .venv/bin/python bench/peer_tracker.py [--mot-root ../shared/mot15] [--reps 20] [--fps 25]
    taskset -c 0 .venv/bin/python bench/peer_tracker.py

For each SEQ under --mot-root with SEQ/det/det.txt, the detections are parsed into one
sv.Detections per frame once (not timed); then --reps times a fresh
sv.ByteTrack(frame_rate=fps) (default parameters otherwise) runs update_with_detections on
every frame, frames without detections included. Prints one JSON object per sequence,
one per line (JSON Lines): us_per_frame (mean over all repetitions), its median and
minimum over repetitions, frames, detections, reps.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import supervision as sv

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MOT_ROOT = REPO_ROOT.parent / "shared" / "mot15"


def load_frames(det_path: Path):
    rows = np.loadtxt(det_path, delimiter=",", ndmin=2)
    last = int(rows[:, 0].max())
    frames = []
    for frame in range(1, last + 1):
        r = rows[rows[:, 0] == frame]
        frames.append(sv.Detections(
            xyxy=np.c_[r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5]].astype(np.float32),
            confidence=r[:, 6].astype(np.float32),
            class_id=np.zeros(len(r), dtype=int),
        ))
    return frames, len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mot-root", default=str(DEFAULT_MOT_ROOT))
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--fps", type=int, default=25, help="ByteTrack frame_rate (TUD: 25)")
    args = ap.parse_args()

    seqs = sorted(p for p in Path(args.mot_root).iterdir() if (p / "det" / "det.txt").is_file())
    if not seqs:
        raise SystemExit(f"no SEQ/det/det.txt under {args.mot_root}")
    for seq in seqs:
        frames, n_dets = load_frames(seq / "det" / "det.txt")
        # one untimed pass so imports/caches are warm
        tracker = sv.ByteTrack(frame_rate=args.fps)
        for d in frames:
            tracker.update_with_detections(d)
        per_rep = []
        for _ in range(args.reps):
            tracker = sv.ByteTrack(frame_rate=args.fps)
            t0 = time.perf_counter()
            for d in frames:
                tracker.update_with_detections(d)
            per_rep.append((time.perf_counter() - t0) / len(frames) * 1e6)
        print(json.dumps({
            "sequence": seq.name,
            "us_per_frame": round(statistics.fmean(per_rep), 2),
            "us_per_frame_median": round(statistics.median(per_rep), 2),
            "us_per_frame_min": round(min(per_rep), 2),
            "frames": len(frames),
            "detections": n_dets,
            "reps": args.reps,
            "supervision": sv.__version__,
        }), flush=True)


if __name__ == "__main__":
    main()
