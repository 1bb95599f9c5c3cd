#!/usr/bin/env bash
# Runs the ignored-by-default stress tests (names `stress_*`, issue #6) in release mode,
# one at a time (they are large: 10-million-object heaps, an 8 GB sparse file, a
# 64-dimension view with a million items, 10,000 live exports, 20,000 huge struct formats
# against python3):
#   pymemory-struct  tests/hardening.rs
#   pymemory-buffer  tests/hardening.rs
#   pymemory-gc      tests/stress.rs
# Needs about 8 GB of free (sparse) disk in the temp dir and python3. Fails loudly if a
# stress test fails or none ran.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
    echo "error: python3 is required (the struct stress test compares with CPython)" >&2
    exit 1
fi

ran=0
for crate in pymemory-struct pymemory-buffer pymemory-gc; do
    echo "==> $crate: stress tests (release)"
    out=$(cargo test --release --locked -p "$crate" -- --ignored --test-threads=1 --nocapture stress_ 2>&1) || {
        echo "$out"
        echo "error: stress tests of $crate failed" >&2
        exit 1
    }
    # Only stress_* tests match the filter, so every test that passed is one of them.
    echo "$out" | grep -E '^test stress_|^stress_|RSS|^ok$|test result: ok\. [1-9]' || true
    while read -r k; do
        ran=$((ran + k))
    done < <(echo "$out" | sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p')
done
if [ "$ran" -eq 0 ]; then
    echo "error: no stress test ran" >&2
    exit 1
fi
echo "==> $ran stress tests passed"
