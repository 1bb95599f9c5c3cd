#!/usr/bin/env bash
# Runs every test of the project: the whole Cargo workspace (unit, integration,
# differential-against-CPython and doc tests). Fails loudly if a needed tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "error: '$1' is required to run the tests ($2) but was not found" >&2
        exit 1
    fi
}
need cargo "the Rust toolchain"
need python3 "the differential tests compare against CPython"
python3 - <<'PY' || { echo "error: python3 lacks struct/array/_testbuffer, the differential oracle" >&2; exit 1; }
import struct, array, _testbuffer  # noqa: F401
PY

cargo test --workspace --locked
