#!/usr/bin/env bash
# Installs what Footfall needs on a Debian/Ubuntu machine. Idempotent: each step checks
# first and does nothing when its piece is already there.
#
#   scripts/setup.sh          runtime: ffmpeg, the ONNX Runtime library (.cache/onnxruntime),
#                             Node.js + npm (to build the web dashboard)
#   scripts/setup.sh --dev    also the test tools: GStreamer RTSP server (tests), the
#                             PostgreSQL client tools (backup tests), Chromium
#                             (web E2E), a Python venv (.venv) with the peer baselines,
#                             pytest, motmetrics
#
# ONNX Runtime comes from the PyPI `onnxruntime` wheel (CPU build); only its shared library
# is kept. To use your own build (e.g. GPU), set ORT_DYLIB_PATH to its libonnxruntime.so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ORT_VERSION="1.32.0"
ORT_DIR="$ROOT/.cache/onnxruntime"
DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1

log() { printf 'setup: %s\n' "$*" >&2; }

APT_UPDATED=0
apt_install() {
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- ffmpeg: decoding every source and encoding annotated output ---------------------
if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  apt_install ffmpeg
fi

# --- Node.js + npm: building the web dashboard (web/) ---------------------------------
if ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi

# --- ONNX Runtime shared library from the PyPI wheel ---------------------------------
PYTHON="${PYTHON:-python3}"
if [[ ! -e "$ORT_DIR/libonnxruntime.so" ]] || [[ "$(cat "$ORT_DIR/VERSION" 2>/dev/null)" != "$ORT_VERSION" ]]; then
  command -v "$PYTHON" >/dev/null || apt_install python3 python3-pip
  wheels="$ROOT/.cache/wheels"
  mkdir -p "$wheels" "$ORT_DIR"
  log "downloading onnxruntime==$ORT_VERSION wheel"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: -d "$wheels" "onnxruntime==$ORT_VERSION"
  wheel="$(ls "$wheels"/onnxruntime-"$ORT_VERSION"-*.whl | head -n 1)"
  "$PYTHON" - "$wheel" "$ORT_DIR" <<'PY'
import sys, zipfile, pathlib
wheel, dest = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    libs = [n for n in z.namelist() if "/capi/libonnxruntime.so" in n]
    if not libs:
        sys.exit(f"no libonnxruntime.so in {wheel}")
    for name in libs:
        (dest / pathlib.Path(name).name).write_bytes(z.read(name))
PY
  real="$(ls "$ORT_DIR"/libonnxruntime.so.* | head -n 1)"
  ln -sf "$(basename "$real")" "$ORT_DIR/libonnxruntime.so"
  echo "$ORT_VERSION" > "$ORT_DIR/VERSION"
  log "ONNX Runtime $ORT_VERSION in $ORT_DIR"
fi

if [[ $DEV -eq 1 ]]; then
  # --- GStreamer RTSP server for the RTSP tests (system python3 + gi) -----------------
  if ! /usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer' 2>/dev/null \
     || ! command -v gst-inspect-1.0 >/dev/null || ! gst-inspect-1.0 h264parse >/dev/null 2>&1 || ! gst-inspect-1.0 qtdemux >/dev/null 2>&1; then
    apt_install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  fi
  # --- PostgreSQL client tools: backup / restore tests (pg_dump, pg_restore, psql) -----
  if ! command -v pg_dump >/dev/null || ! command -v pg_restore >/dev/null || ! command -v psql >/dev/null; then
    apt_install postgresql-client
  fi
  # --- Chromium for the web dashboard's end-to-end tests (scripts/test-web.sh) ----------
  if [[ ! -x /usr/bin/chromium ]]; then
    apt_install chromium
  fi
  # --- Python venv: peer baselines (onnxruntime + supervision) and metrics ------------
  if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
    log "creating .venv"
    "$PYTHON" -m venv "$ROOT/.venv"
  fi
  stamp="$ROOT/.venv/.requirements-dev.sha"
  want="$(sha256sum "$ROOT/requirements-dev.txt" | cut -d' ' -f1)"
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    log "installing requirements-dev.txt into .venv"
    "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/requirements-dev.txt"
    echo "$want" > "$stamp"
  fi
fi
log "ready"
