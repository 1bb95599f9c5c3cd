#!/usr/bin/env bash
# Runs the tests that exercise unsafe code under Miri (strict provenance), sized for CI:
# property tests use fewer cases under cfg(miri). Fails loudly when Miri is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "error: Miri is not installed; run 'rustup component add --toolchain nightly miri rust-src'" >&2
    exit 1
fi
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance}"
# Miri gets its own target dir so it never invalidates the normal build.
export CARGO_TARGET_DIR="${MIRI_TARGET_DIR:-target/miri}"

run() { echo "--- miri: $*"; cargo +nightly miri test --locked "$@"; }

# pymemory-struct: the unchecked fast decoding paths (src/fast.rs).
run -p pymemory-struct --lib
run -p pymemory-struct --test hardening
# pymemory-buffer: the protocol core, views, overlapping assignment, unaligned items, views
# outliving their exporter handle (mmap and shared memory are skipped: Miri cannot map files).
run -p pymemory-buffer --lib
run -p pymemory-buffer --test buffer_protocol
run -p pymemory-buffer --test array_api
run -p pymemory-buffer --test array_memoryview
# Extreme inputs, panicking exporters, export/release orders (mmap and stress tests skip).
run -p pymemory-buffer --test hardening
# pymemory-gc: the collector, finalizers, weak references, abuse and the model check.
run -p pymemory-gc --lib
run -p pymemory-gc --test test_gc --test test_finalization --test abuse --test model --test derive --test deep --test test_weakref --test fast_paths
# pymemory-python: its raw-pointer helpers (the FFI into CPython itself cannot run under Miri).
run -p pymemory-python --lib
