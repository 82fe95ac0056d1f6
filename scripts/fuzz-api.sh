#!/usr/bin/env bash
# API fuzzing with schemathesis (tests/fuzz/fuzz_api.py) against a real `footfall serve`
# on SQLite and/or PostgreSQL (127.0.0.1:5432, or FOOTFALL_TEST_POSTGRES_URL): every
# operation of /api/openapi.json as anonymous, device (API key), viewer, user and admin,
# plus /api/graphql as viewer. Fails on a 5xx, a response the document does not declare,
# or a 2xx to a caller below the operation's x-footfall-access.
#
#   scripts/fuzz-api.sh                                  5 examples per operation and mode, both backends
#   scripts/fuzz-api.sh --examples 200 --backend sqlite  longer
#   scripts/fuzz-api.sh --seed 7                         other examples (default: fixed, derandomized)
#   scripts/fuzz-api.sh --coverage all --stats           boundary cases for every caller; statuses per operation
#
# Uses $FOOTFALL_BIN, else the debug build ($CARGO_TARGET_DIR/debug/footfall, built by
# `cargo build -p footfall` or `cargo test --workspace`); needs .venv (scripts/setup.sh --dev).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/scripts/env.sh"
export FOOTFALL_BIN="${FOOTFALL_BIN:-$CARGO_TARGET_DIR/debug/footfall}"
exec "$ROOT/.venv/bin/python" "$ROOT/tests/fuzz/fuzz_api.py" "$@"
