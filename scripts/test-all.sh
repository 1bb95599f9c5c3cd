#!/usr/bin/env bash
# Runs every test of the project:
#   1. the whole Cargo workspace: unit, integration, differential-against-CPython, CLI
#      (outside-in) and doc tests;
#   2. the Python package and the example extension (scripts/test-python.sh: builds the
#      wheels with maturin into a throwaway virtualenv, then runs pytest);
#   3. the struct layer's differential test against numpy's PEP 3118 parser, with the
#      virtualenv's numpy.
# Fails loudly if a needed tool is missing; never skips a check in silence.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

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

echo "==> cargo test --workspace"
cargo test --workspace --locked --no-fail-fast

echo "==> Python package and example extension"
./scripts/test-python.sh

echo "==> struct formats against numpy's PEP 3118 parser"
PATH="$TARGET/python-venv/bin:$PATH" \
    cargo test --locked -p pymemory-struct --test differential_numpy -- --include-ignored

echo "==> all tests passed"
