"""Python peer of Footfall's counting pipeline: what a user would write with
OpenCV + onnxruntime + supervision. Prints one JSON object on stdout.

    .venv/bin/python bench/peer_count.py [--video V] [--model M] [--fps 10] [--threads 1]
        [--conf 0.3] [--zone "x1,y1,x2,y2,..."] [--min-dwell 1.0] [--line "x1,y1,x2,y2"]
    taskset -c 0 .venv/bin/python bench/peer_count.py --fps 10 --threads 1   # one core

Pipeline per processed frame: cv2.VideoCapture decode (subsampled to --fps when that is
lower than the video's rate) -> YOLOX letterbox preprocessing -> onnxruntime YOLOX-Nano
(intra-op threads = --threads, inter-op 1) -> YOLOX decode, person only, conf, NMS 0.45 ->
sv.ByteTrack(frame_rate=fps) -> sv.PolygonZone (anchor BOTTOM_CENTER, i.e. the feet) and
optionally sv.LineZone (same anchor).

Counts: peak_occupancy = max over frames of the zone's current_count; visitors = number of
distinct tracker ids whose total time inside the zone (frames inside / fps) is at least
--min-dwell seconds.

Timing: wall_s and cpu_s (time.process_time) cover the frame loop (decode to counting),
not the model load; fps = frames / wall_s; detector_ms_per_frame is session.run only;
preprocess_ms, postprocess_ms, tracking_ms, decode_ms are per processed frame.
OpenCV's own thread pool is limited to --threads too (cv2.setNumThreads).
"""

import argparse
import json
import sys
import time
from collections import defaultdict

import cv2
import numpy as np
import supervision as sv

from peer_yolox import DEFAULT_MODEL, DEFAULT_VIDEO, make_session, postprocess, preprocess

# Zone around the table in one-by-one-person-detection.mp4 (normalised x,y pairs); chosen
# empirically from the tracks of the six visitors: feet at the table are at x 0.56-0.64,
# y 0.85-0.94; people walking in from the bottom edge (y >= 0.98) are outside it.
DEFAULT_ZONE = "0.45,0.60,0.75,0.60,0.75,0.97,0.45,0.97"


def parse_floats(text: str, n_min: int, what: str):
    vals = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    if len(vals) < n_min or len(vals) % 2:
        raise SystemExit(f"--{what}: need an even number (>= {n_min}) of comma-separated values")
    return vals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--video", default=str(DEFAULT_VIDEO))
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--fps", type=float, default=None,
                    help="process at most this many frames per second (default: every frame)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--conf", type=float, default=0.3)
    ap.add_argument("--zone", default=DEFAULT_ZONE, help="normalised polygon x1,y1,x2,y2,...")
    ap.add_argument("--min-dwell", type=float, default=1.0, help="seconds inside to count a visitor")
    ap.add_argument("--line", default=None, help="normalised line x1,y1,x2,y2 for in/out")
    ap.add_argument("--verbose", action="store_true", help="per-track dwell times on stderr")
    args = ap.parse_args()

    cv2.setNumThreads(args.threads)
    session = make_session(args.model, args.threads)
    input_name = session.get_inputs()[0].name

    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {args.video}")
    src_fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = min(args.fps, src_fps) if args.fps else src_fps
    step = src_fps / fps  # keep a frame whenever its index reaches the next multiple of step

    zone_pts = np.array(parse_floats(args.zone, 6, "zone"), dtype=np.float64).reshape(-1, 2)
    polygon = np.round(zone_pts * [width, height]).astype(np.int64)
    zone = sv.PolygonZone(polygon=polygon, triggering_anchors=(sv.Position.BOTTOM_CENTER,))
    line = None
    if args.line:
        lx1, ly1, lx2, ly2 = parse_floats(args.line, 4, "line")[:4]
        line = sv.LineZone(
            start=sv.Point(lx1 * width, ly1 * height), end=sv.Point(lx2 * width, ly2 * height),
            triggering_anchors=(sv.Position.BOTTOM_CENTER,),
        )
    tracker = sv.ByteTrack(frame_rate=int(round(fps)))

    frames_inside = defaultdict(int)
    first_seen, last_seen = {}, {}
    peak = 0
    frames = 0
    t_decode = t_pre = t_inf = t_post = t_track = 0.0
    next_keep = 0.0
    index = 0

    wall0, cpu0 = time.perf_counter(), time.process_time()
    while True:
        t0 = time.perf_counter()
        ok, frame = cap.read()
        t_decode += time.perf_counter() - t0
        if not ok:
            break
        i = index
        index += 1
        if i + 1e-6 < next_keep:
            continue
        next_keep += step
        ts = i / src_fps
        frames += 1

        t0 = time.perf_counter()
        blob, r = preprocess(frame)
        t1 = time.perf_counter()
        output = session.run(None, {input_name: blob})[0]
        t2 = time.perf_counter()
        xyxy, scores = postprocess(output, r, args.conf)
        t3 = time.perf_counter()
        dets = sv.Detections(xyxy=xyxy, confidence=scores, class_id=np.zeros(len(scores), dtype=int))
        tracks = tracker.update_with_detections(dets)
        inside = zone.trigger(tracks)
        peak = max(peak, int(zone.current_count))
        for tid in tracks.tracker_id[inside]:
            tid = int(tid)
            frames_inside[tid] += 1
            first_seen.setdefault(tid, ts)
            last_seen[tid] = ts
        if line is not None:
            line.trigger(tracks)
        t4 = time.perf_counter()
        t_pre += t1 - t0
        t_inf += t2 - t1
        t_post += t3 - t2
        t_track += t4 - t3
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    cap.release()

    dwell = {tid: n / fps for tid, n in frames_inside.items()}
    visitors = sum(1 for d in dwell.values() if d >= args.min_dwell - 1e-9)
    if args.verbose:
        for tid in sorted(dwell):
            print(f"track {tid}: inside {dwell[tid]:.1f} s, first {first_seen[tid]:.1f} s, "
                  f"last {last_seen[tid]:.1f} s", file=sys.stderr)
    per = 1000.0 / max(frames, 1)
    print(json.dumps({
        "frames": frames,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "fps": round(frames / wall, 2) if wall > 0 else None,
        "detector_ms_per_frame": round(t_inf * per, 3),
        "preprocess_ms": round(t_pre * per, 3),
        "postprocess_ms": round(t_post * per, 3),
        "tracking_ms": round(t_track * per, 3),
        "decode_ms": round(t_decode * per, 3),
        "visitors": visitors,
        "peak_occupancy": peak,
        "line_in": int(line.in_count) if line is not None else None,
        "line_out": int(line.out_count) if line is not None else None,
        "threads": args.threads,
        "processing_fps": fps,
        "video_fps": src_fps,
        "frame_size": [width, height],
        "zone": args.zone,
        "min_dwell_s": args.min_dwell,
        "conf": args.conf,
    }))


if __name__ == "__main__":
    main()
