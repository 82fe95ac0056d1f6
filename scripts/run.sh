#!/usr/bin/env bash
# The main job on a fresh machine: installs ffmpeg, ONNX Runtime and Node.js, builds the
# web dashboard and footfall (with the dashboard inside) and runs the demo: the server on
# SQLite (./data) with a camera playing the bundled demo video in a loop, in real time;
# it prints the URL (the dashboard) and the admin login. Ctrl-C stops.
#
#   scripts/run.sh            the live demo (footfall demo)
#   scripts/run.sh count      instead, count the demo video offline once, writing
#                             out/annotated.mp4 and out/events.csv (extra args go to
#                             `footfall count`, e.g. --format json)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh
. "$ROOT/scripts/env.sh"
if [ "${1:-}" = "count" ]; then
    cargo build --release --locked -p footfall
else
    (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build)
    cargo build --release --locked -p footfall --features web
fi
VIDEO="${FOOTFALL_DEMO_VIDEO:-$ROOT/../shared/data/one-by-one-person-detection.mp4}"
MODEL="${FOOTFALL_MODEL:-$ROOT/../shared/models/yolox_nano.onnx}"
FOOTFALL="$CARGO_TARGET_DIR/release/footfall"
"$FOOTFALL" doctor --model "$MODEL"
if [ "${1:-}" = "count" ]; then
    shift
    mkdir -p out
    exec "$FOOTFALL" count --source "$VIDEO" --model "$MODEL" \
      --zone "table:0.45,0.60,0.75,0.60,0.75,0.97,0.45,0.97" \
      --annotate out/annotated.mp4 --events out/events.csv "$@"
fi
exec "$FOOTFALL" demo --video "$VIDEO" --model "$MODEL" "$@"
