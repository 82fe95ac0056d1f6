#!/usr/bin/env bash
# Side-by-side benchmarks of Footfall against the Python peer a user would otherwise write
# (onnxruntime + supervision's ByteTrack), same model, video, settings; numbers, not
# assertions. Results go to out/bench/*.json and a summary table on stdout.
#
#   bench/run.sh            all three: detector, whole video on one core, tracker
#
# Pinned to CPU 0 with taskset so "one core" means one core.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh --dev
. "$ROOT/scripts/env.sh"
cargo build --release --locked -p footfall --features bench
FF="$CARGO_TARGET_DIR/release/footfall"
PY="$ROOT/.venv/bin/python"
VIDEO="$ROOT/../shared/data/one-by-one-person-detection.mp4"
MODEL="$ROOT/../shared/models/yolox_nano.onnx"
ZONE_COORDS="0.45,0.60,0.75,0.60,0.75,0.97,0.45,0.97"
OUT="$ROOT/out/bench"
mkdir -p "$OUT"
PIN="taskset -c 0"

echo "== detector alone, 1 thread, 200 frames (ms/frame)"
$PIN "$FF" bench-detector --source "$VIDEO" --model "$MODEL" --threads 1 --frames 200 > "$OUT/detector_ours.json"
$PIN "$PY" bench/peer_detector.py -n 200 --threads 1 > "$OUT/detector_peer.json"

echo "== whole video, one core, 10 fps"
$PIN "$FF" count --source "$VIDEO" --model "$MODEL" --zone "table:$ZONE_COORDS" --fps 10 --format json --quiet > "$OUT/count_ours.json"
$PIN "$FF" count --source "$VIDEO" --model "$MODEL" --zone "table:$ZONE_COORDS" --fps 10 --format json --quiet --no-motion-gate > "$OUT/count_ours_nogate.json"
$PIN "$PY" bench/peer_count.py --zone "$ZONE_COORDS" --fps 10 --threads 1 > "$OUT/count_peer.json"

echo "== tracker alone on MOT15 public detections (microseconds/frame)"
for seq in TUD-Campus TUD-Stadtmitte; do
  "$FF" track --mot-det "../shared/mot15/$seq/det/det.txt" --fps 25 --out /dev/null --repeat 200 2> "$OUT/tracker_ours_$seq.txt"
done
$PIN "$PY" bench/peer_tracker.py --reps 20 > "$OUT/tracker_peer.json"

for f in "$OUT"/*; do echo "== $f"; cat "$f"; done
