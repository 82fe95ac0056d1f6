#!/usr/bin/env bash
# Sets up everything the tests need and runs the whole test suite:
#   1. the Rust workspace (unit tests, and integration tests on the real video, real
#      ffmpeg, real RTSP server, real ONNX Runtime model),
#      and the platform (store and API) against SQLite and the PostgreSQL server on
#      127.0.0.1:5432 (started by scripts/services.sh if it stopped),
#   2. the Python accuracy tests (our tracker vs supervision's ByteTrack, scored by
#      motmetrics on MOTChallenge ground truth), then a short API fuzzing run
#      (schemathesis, scripts/fuzz-api.sh) on SQLite and PostgreSQL,
#   3. the web dashboard: vitest unit tests, then end to end in headless Chromium against
#      a real `footfall demo` (scripts/test-web.sh).
# Needs ../shared (model, video, MOT15) beside the repository; see README.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh --dev
scripts/services.sh

. "$ROOT/scripts/env.sh"

echo "== cargo test (workspace)"
cargo test --workspace --locked

echo "== pytest (tracking accuracy vs supervision)"
cargo build --release --locked -p footfall
export FOOTFALL_BIN="$CARGO_TARGET_DIR/release/footfall"
.venv/bin/python -m pytest -q tests/python

echo "== API fuzzing (schemathesis, short)"
# On the debug binary `cargo test --workspace` built above (integer overflow checks on).
[ -x "$CARGO_TARGET_DIR/debug/footfall" ] || cargo build --locked -p footfall
FOOTFALL_BIN="$CARGO_TARGET_DIR/debug/footfall" scripts/fuzz-api.sh --examples 5 --backend both

echo "== web dashboard (vitest, Chromium end to end)"
scripts/test-web.sh
