#!/usr/bin/env bash
# The main job on a fresh machine: installs ffmpeg and ONNX Runtime, builds footfall and
# counts the people visiting the table in the bundled demo video, writing an annotated
# copy to out/annotated.mp4 and the event log to out/events.csv.
# Extra arguments go to `footfall count` (e.g. --format json).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
. "$ROOT/scripts/env.sh"
cargo build --release --locked -p footfall
VIDEO="${FOOTFALL_DEMO_VIDEO:-$ROOT/../shared/data/one-by-one-person-detection.mp4}"
MODEL="${FOOTFALL_MODEL:-$ROOT/../shared/models/yolox_nano.onnx}"
mkdir -p out
"$CARGO_TARGET_DIR/release/footfall" doctor --model "$MODEL"
exec "$CARGO_TARGET_DIR/release/footfall" count --source "$VIDEO" --model "$MODEL" \
  --zone "table:0.45,0.60,0.75,0.60,0.75,0.97,0.45,0.97" \
  --annotate out/annotated.mp4 --events out/events.csv "$@"
