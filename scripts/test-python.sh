#!/usr/bin/env bash
# Builds the `pymemory` wheel (maturin, release) and the example Rust extension, installs
# both into a throwaway virtual environment and runs their pytest suites.
#
# Needs only python3 (>= 3.11) with pip and venv, and cargo. Exits non-zero, saying what
# failed, on any failure (including pytest collecting no tests).
#
# Environment: PYTHON (default python3), PYMEMORY_VENV (default target/python-venv),
# CARGO_TARGET_DIR (respected by maturin).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=${PYMEMORY_VENV:-$TARGET/python-venv}
WHEELS=$TARGET/python-wheels

fail() {
    echo "" >&2
    echo "************************************************************" >&2
    echo "test-python.sh: FAILED: $*" >&2
    echo "************************************************************" >&2
    exit 1
}
step() { echo "==> $*"; }

cd "$ROOT" || fail "cannot cd to $ROOT"

step "checking $PY"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || fail "$PY is missing or older than 3.11"

if [ ! -x "$VENV/bin/python" ]; then
    step "creating virtual environment $VENV"
    "$PY" -m venv "$VENV" || fail "could not create the virtual environment $VENV"
fi
VPY=$VENV/bin/python

step "installing maturin, pytest, numpy"
"$VPY" -m pip install --quiet --disable-pip-version-check maturin pytest numpy \
    || fail "pip install maturin pytest numpy"

rm -rf "$WHEELS"
mkdir -p "$WHEELS" || fail "cannot create $WHEELS"

step "building the pymemory wheel (maturin build --release)"
"$VENV/bin/maturin" build --release --quiet -j 2 \
    -m crates/pymemory-python/Cargo.toml -i "$VPY" -o "$WHEELS/pymemory" \
    || fail "maturin build of crates/pymemory-python"

step "building the example extension wheel"
"$VENV/bin/maturin" build --release --quiet -j 2 \
    -m examples/rust-extension/Cargo.toml -i "$VPY" -o "$WHEELS/example" \
    || fail "maturin build of examples/rust-extension"

step "installing the wheels"
"$VPY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "$WHEELS"/pymemory/*.whl "$WHEELS"/example/*.whl \
    || fail "pip install of the built wheels"

run_pytest() {
    local name=$1 dir=$2
    step "pytest $dir"
    # Run from a neutral directory so the source tree never shadows the installed package.
    (cd "$TARGET" && "$VPY" -m pytest -q -p no:cacheprovider --import-mode=importlib "$ROOT/$dir")
    local rc=$?
    if [ $rc -eq 5 ]; then
        fail "$name: pytest collected no tests in $dir"
    elif [ $rc -ne 0 ]; then
        fail "$name: pytest exited with $rc (see the failures above)"
    fi
}

run_pytest "pymemory" crates/pymemory-python/tests
run_pytest "example extension" examples/rust-extension/tests

echo "==> test-python.sh: all Python tests passed"
