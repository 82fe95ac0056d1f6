"""Tracker accuracy on MOTChallenge 2015 sequences: ours must match or beat the Python peer.

For every sequence directory under ../shared/mot15 (SEQ/det/det.txt, SEQ/gt/gt.txt):
* the peer: supervision 0.26.1 `sv.ByteTrack` (default parameters, frame_rate from
  SEQ/seqinfo.ini if present, else 25) fed the public detections frame by frame;
* ours: `$FOOTFALL_BIN track --mot-det det.txt --fps FPS --out OUT.txt`, whose output is
  MOT lines `frame,id,x,y,w,h,score,-1,-1,-1`.
Both are scored against gt.txt with motmetrics (IoU matching, distth=0.5). The test fails
if ours has a lower MOTA or IDF1 than the peer on any sequence.

Run (from the repo root, after building the binary):

    FOOTFALL_BIN=target/release/footfall .venv/bin/python -m pytest -s tests/python/test_mot_accuracy.py

It prints a table of both trackers and writes it to out/mot_accuracy.json (plus each
tracker's MOT output under out/mot/SEQ/).
"""

import configparser
import json
import os
import subprocess
from pathlib import Path

import numpy as np

# motmetrics 1.4.0 calls np.asfarray, which numpy 2 removed (numpy<2 is pinned anyway).
np.asfarray = getattr(np, "asfarray", lambda a, dtype=float: np.asarray(a, dtype=dtype))

import motmetrics as mm  # noqa: E402
import pytest  # noqa: E402
import supervision as sv  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
MOT_ROOT = REPO_ROOT.parent / "shared" / "mot15"
OUT_DIR = REPO_ROOT / "out"
METRICS = ["mota", "idf1", "num_switches"]
DEFAULT_FPS = 25  # TUD-Campus and TUD-Stadtmitte are 25 fps (MOT15 seqinfo)
EPS = 1e-9


def sequences():
    if not MOT_ROOT.is_dir():
        return []
    return sorted(
        p.name
        for p in MOT_ROOT.iterdir()
        if (p / "det" / "det.txt").is_file() and (p / "gt" / "gt.txt").is_file()
    )


def sequence_fps(seq_dir: Path) -> int:
    ini = seq_dir / "seqinfo.ini"
    if ini.is_file():
        cp = configparser.ConfigParser()
        cp.read(ini)
        if cp.has_option("Sequence", "frameRate"):
            return int(round(float(cp.get("Sequence", "frameRate"))))
    return DEFAULT_FPS


def load_mot_detections(path: Path):
    """det.txt -> (last frame number, {frame: array[N, 5] of x1, y1, x2, y2, conf})."""
    rows = np.loadtxt(path, delimiter=",", ndmin=2)
    by_frame = {}
    for frame in np.unique(rows[:, 0]).astype(int):
        r = rows[rows[:, 0] == frame]
        by_frame[int(frame)] = np.c_[r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5], r[:, 6]]
    return int(rows[:, 0].max()), by_frame


def run_peer(det_path: Path, fps: int, out_path: Path):
    """supervision ByteTrack with default parameters; writes MOT lines, boxes as returned."""
    last, by_frame = load_mot_detections(det_path)
    tracker = sv.ByteTrack(frame_rate=fps)
    lines = []
    for frame in range(1, last + 1):
        d = by_frame.get(frame, np.zeros((0, 5)))
        dets = sv.Detections(
            xyxy=d[:, :4].astype(np.float32),
            confidence=d[:, 4].astype(np.float32),
            class_id=np.zeros(len(d), dtype=int),
        )
        out = tracker.update_with_detections(dets)
        for (x1, y1, x2, y2), tid, conf in zip(out.xyxy, out.tracker_id, out.confidence):
            lines.append(
                f"{frame},{int(tid)},{x1:.3f},{y1:.3f},{x2 - x1:.3f},{y2 - y1:.3f},{conf:.5f},-1,-1,-1\n"
            )
    out_path.write_text("".join(lines))


def run_ours(binary: str, det_path: Path, fps: int, out_path: Path):
    cmd = [binary, "track", "--mot-det", str(det_path), "--fps", str(fps), "--out", str(out_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} exited with {proc.returncode}\n"
        f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    assert out_path.is_file(), f"{' '.join(cmd)} wrote no {out_path}"


def score(gt, tracks_path: Path, name: str) -> dict:
    if tracks_path.stat().st_size == 0:
        ts = gt.iloc[0:0]  # no tracks at all: every ground-truth box is a miss
    else:
        ts = mm.io.loadtxt(str(tracks_path), fmt="mot15-2D")
    acc = mm.utils.compare_to_groundtruth(gt, ts, "iou", distth=0.5)
    summary = mm.metrics.create().compute(acc, metrics=METRICS, name=name)
    row = summary.loc[name]
    return {
        "mota": float(row["mota"]),
        "idf1": float(row["idf1"]),
        "num_switches": int(row["num_switches"]),
    }


RESULTS = {}


def write_json():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "mot_accuracy.json").write_text(json.dumps(RESULTS, indent=2, sort_keys=True) + "\n")


def print_table():
    header = f"{'sequence':<16} {'tracker':<8} {'MOTA':>8} {'IDF1':>8} {'IDsw':>5}"
    lines = ["", header, "-" * len(header)]
    for seq in sorted(RESULTS):
        for who in ("ours", "peer"):
            r = RESULTS[seq][who]
            lines.append(f"{seq:<16} {who:<8} {r['mota']:>8.4f} {r['idf1']:>8.4f} {r['num_switches']:>5d}")
    print("\n".join(lines))


@pytest.fixture(scope="module", autouse=True)
def table():
    yield
    if RESULTS:
        print_table()
        print(f"(written to {OUT_DIR / 'mot_accuracy.json'})")


@pytest.fixture(scope="session")
def footfall_bin():
    binary = os.environ.get("FOOTFALL_BIN")
    if not binary:
        pytest.fail("FOOTFALL_BIN is not set: point it at the built footfall binary, "
                    "e.g. FOOTFALL_BIN=target/release/footfall", pytrace=False)
    path = Path(binary)
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    if not path.is_file():
        pytest.fail(f"FOOTFALL_BIN={binary}: no such file ({path})", pytrace=False)
    if not os.access(path, os.X_OK):
        pytest.fail(f"FOOTFALL_BIN={binary}: not executable", pytrace=False)
    return str(path)


def test_mot15_data_present():
    assert sequences(), f"no MOT15 sequences (SEQ/det/det.txt + SEQ/gt/gt.txt) under {MOT_ROOT}"


@pytest.mark.parametrize("seq", sequences())
def test_ours_at_least_as_accurate_as_supervision_bytetrack(seq, footfall_bin):
    seq_dir = MOT_ROOT / seq
    det_path = seq_dir / "det" / "det.txt"
    fps = sequence_fps(seq_dir)
    work = OUT_DIR / "mot" / seq
    work.mkdir(parents=True, exist_ok=True)
    peer_out, ours_out = work / "peer.txt", work / "ours.txt"
    ours_out.unlink(missing_ok=True)

    run_peer(det_path, fps, peer_out)
    run_ours(footfall_bin, det_path, fps, ours_out)

    gt = mm.io.loadtxt(str(seq_dir / "gt" / "gt.txt"), fmt="mot15-2D", min_confidence=1)
    peer = score(gt, peer_out, f"{seq}-peer")
    ours = score(gt, ours_out, f"{seq}-ours")
    RESULTS[seq] = {"fps": fps, "ours": ours, "peer": peer}
    write_json()  # keep the JSON current even if a later sequence fails

    assert ours["mota"] >= peer["mota"] - EPS, (
        f"{seq}: our MOTA {ours['mota']:.4f} < supervision ByteTrack {peer['mota']:.4f}")
    assert ours["idf1"] >= peer["idf1"] - EPS, (
        f"{seq}: our IDF1 {ours['idf1']:.4f} < supervision ByteTrack {peer['idf1']:.4f}")
