#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time each and prints the executions per
# target (issue #6):
#   fuzz/                    struct_format, memoryview, literal, cli
#   crates/pymemory-gc/fuzz  graph
#
# Usage: scripts/fuzz.sh [SECONDS]   (default 60 seconds per target)
#
# New corpus entries go to target/fuzz-corpus/<target>/ (the committed seeds in
# fuzz/corpus/<target>/ are only read); crashes go to target/fuzz-artifacts/. Fails loudly
# when nightly or cargo-fuzz is missing, and with status 1 when any target finds a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_PER_TARGET=${1:-60}
case "$SECONDS_PER_TARGET" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "error: the nightly toolchain is required (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "error: cargo-fuzz is required (cargo install cargo-fuzz --locked)" >&2
    exit 1
fi

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
CORPUS=$TARGET_DIR/fuzz-corpus
ARTIFACTS=$TARGET_DIR/fuzz-artifacts
LOGS=$TARGET_DIR/fuzz-logs
mkdir -p "$CORPUS" "$ARTIFACTS" "$LOGS"

failed=()
summary=()
run_dir() {
    local dir=$1
    local targets
    targets=$(cd "$dir" && cargo +nightly fuzz list)
    for t in $targets; do
        local seeds=$dir/corpus/$t work=$CORPUS/$t log=$LOGS/$t.log
        mkdir -p "$work" "$seeds"
        echo "--- fuzz $t (${SECONDS_PER_TARGET}s)"
        local rc=0
        (cd "$dir" && CARGO_TARGET_DIR=$TARGET_DIR/fuzz-build cargo +nightly fuzz run "$t" "$work" "$seeds" -- \
            -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
            -artifact_prefix="$ARTIFACTS/$t-") >"$log" 2>&1 || rc=$?
        local done_line
        done_line=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 || true)
        if [ "$rc" -ne 0 ]; then
            failed+=("$t")
            summary+=("$t: FAILED (exit $rc), see $log and $ARTIFACTS/$t-*")
            grep -m1 -A3 'panicked\|ERROR: libFuzzer\|ERROR: AddressSanitizer' "$log" >&2 || tail -20 "$log" >&2
        else
            summary+=("$t: ${done_line:-no summary line, see $log}")
        fi
    done
}

run_dir "$ROOT/fuzz"
run_dir "$ROOT/crates/pymemory-gc/fuzz"

echo
echo "=== executions per target (${SECONDS_PER_TARGET}s each)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "error: crashes found in: ${failed[*]}" >&2
    exit 1
fi
