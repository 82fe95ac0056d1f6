#!/usr/bin/env bash
# Builds and tests the web dashboard (web/): installs what the UI tests need, builds the
# bundle, runs the unit tests (vitest), then the end-to-end run against a real
# `footfall demo` in headless Chromium (screenshots in web/test-results/screenshots).
#
#   scripts/test-web.sh            FOOTFALL_BIN defaults to $CARGO_TARGET_DIR/release/footfall
#   SKIP_E2E=1 scripts/test-web.sh unit tests only (no server binary needed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/footfall-target}"
export FOOTFALL_BIN="${FOOTFALL_BIN:-$CARGO_TARGET_DIR/release/footfall}"
export ORT_DYLIB_PATH="${ORT_DYLIB_PATH:-$ROOT/.cache/onnxruntime/libonnxruntime.so}"

log() { printf 'test-web: %s\n' "$*" >&2; }

# The E2E drives the system Chromium; it never downloads a browser.
if [[ "${SKIP_E2E:-0}" != 1 && ! -x /usr/bin/chromium ]]; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  log "installing chromium"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

cd "$ROOT/web"
log "npm ci"
npm ci --no-audit --no-fund
log "build"
npm run build
log "unit tests"
npm test

if [[ "${SKIP_E2E:-0}" == 1 ]]; then
  log "SKIP_E2E=1: end-to-end run skipped"
  exit 0
fi
if [[ ! -x "$FOOTFALL_BIN" ]]; then
  log "no server binary at $FOOTFALL_BIN: build it (cargo build --release) or set FOOTFALL_BIN"
  exit 1
fi
log "end to end against $FOOTFALL_BIN"
node e2e/run.mjs
