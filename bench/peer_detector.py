"""Time YOLOX-Nano on onnxruntime (CPU) the way a Python user runs it; prints one JSON object.

    .venv/bin/python bench/peer_detector.py [--video V] [--model M] [-n 200] [--threads 1]
        [--warmup 10] [--conf 0.3]
    taskset -c 0 .venv/bin/python bench/peer_detector.py          # pinned to one core

The first N frames of the video are decoded into memory first (decoding is not timed).
Each frame then goes through YOLOX letterbox preprocessing to 416x416, session.run
(intra-op threads = --threads, inter-op 1) and YOLOX decode + person filter + NMS 0.45
(see peer_yolox.py). --warmup runs on the first frame are not timed.
ms_per_frame_infer is session.run alone; ms_per_frame_total is pre + infer + post.
"""

import argparse
import json
import statistics
import time

import cv2

from peer_yolox import DEFAULT_MODEL, DEFAULT_VIDEO, make_session, postprocess, preprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--video", default=str(DEFAULT_VIDEO))
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("-n", "--frames", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--conf", type=float, default=0.3)
    args = ap.parse_args()

    cv2.setNumThreads(args.threads)
    cap = cv2.VideoCapture(args.video)
    frames = []
    while len(frames) < args.frames:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if not frames:
        raise SystemExit(f"no frames decoded from {args.video}")

    session = make_session(args.model, args.threads)
    name = session.get_inputs()[0].name
    blob, _ = preprocess(frames[0])
    for _ in range(args.warmup):
        session.run(None, {name: blob})

    pre, inf, post, total = [], [], [], []
    detections = 0
    cpu0 = time.process_time()
    for frame in frames:
        t0 = time.perf_counter()
        blob, r = preprocess(frame)
        t1 = time.perf_counter()
        out = session.run(None, {name: blob})[0]
        t2 = time.perf_counter()
        boxes, _ = postprocess(out, r, args.conf)
        t3 = time.perf_counter()
        detections += len(boxes)
        pre.append(t1 - t0)
        inf.append(t2 - t1)
        post.append(t3 - t2)
        total.append(t3 - t0)
    cpu = time.process_time() - cpu0

    def ms(v):
        return round(1000.0 * statistics.fmean(v), 3)

    print(json.dumps({
        "ms_per_frame_infer": ms(inf),
        "ms_per_frame_total": ms(total),
        "ms_per_frame_preprocess": ms(pre),
        "ms_per_frame_postprocess": ms(post),
        "ms_infer_median": round(1000.0 * statistics.median(inf), 3),
        "ms_infer_min": round(1000.0 * min(inf), 3),
        "cpu_ms_per_frame": round(1000.0 * cpu / len(frames), 3),
        "frames": len(frames),
        "threads": args.threads,
        "detections": detections,
        "onnxruntime": __import__("onnxruntime").__version__,
    }))


if __name__ == "__main__":
    main()
