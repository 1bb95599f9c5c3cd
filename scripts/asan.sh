#!/usr/bin/env bash
# Runs the Rust test suite under AddressSanitizer with LeakSanitizer (nightly
# `-Zsanitizer=address`). Every crate's unit, integration and differential tests run
# instrumented; doc tests are left to the plain run (rustdoc would need the flags twice).
# Fails loudly when the nightly toolchain is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "error: AddressSanitizer needs the nightly toolchain ('rustup toolchain install nightly')" >&2
    exit 1
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Zsanitizer=address"
# The sanitizer needs its own target dir (different flags) and an explicit --target so
# proc macros (derives, clap, PyO3) are built without it.
export CARGO_TARGET_DIR="${ASAN_TARGET_DIR:-target/asan}"
# allocator_may_return_null: the tests ask for absurd sizes on purpose and expect
# MemoryError from try_reserve, not ASan's abort. handle_sigbus=0: a test checks that a
# mapped file truncated underneath kills its child process with a real SIGBUS.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:allocator_may_return_null=1:handle_sigbus=0}"
# CPython, embedded by the Python package's tests, keeps its interned objects alive at
# exit by design; LeakSanitizer may only report leaks of our own allocations.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/scripts/lsan.supp}"

# The trybuild tests (named compile_fail) only check compiler errors, against stable's
# wording; they run in the plain suite, not here.
echo "--- asan: cargo +nightly test --workspace --lib --tests --target $host (skipping compile_fail)"
cargo +nightly test --locked --workspace --lib --tests --target "$host" --no-fail-fast -- --skip compile_fail
