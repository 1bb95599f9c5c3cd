#!/usr/bin/env bash
# Runs the seeded differential tests against CPython with seeds other than their defaults,
# to look for mismatches the default run does not reach. Every such test reads
# PYMEMORY_SEED; a failure prints the seed that replays it:
#   PYMEMORY_SEED=<seed> cargo test -p <crate> --test <test>
#
# Usage: scripts/sweep.sh [FIRST_SEED [COUNT]]   (default: seeds 1..20)
# Exits 1 when any seed fails; the failing output is kept in target/sweep/.
set -euo pipefail
cd "$(dirname "$0")/.."
FIRST=${1:-1}
COUNT=${2:-20}
for n in "$FIRST" "$COUNT"; do
    case "$n" in
        '' | *[!0-9]*) echo "usage: $0 [FIRST_SEED [COUNT]]" >&2; exit 2 ;;
    esac
done
command -v python3 >/dev/null || { echo "error: python3 (the oracle) is required" >&2; exit 1; }

# crate:test pairs; the numpy differential needs test-all.sh's virtualenv and is left out.
TESTS=(
    pymemory-struct:differential_struct
    pymemory-struct:differential_bigint
    pymemory-struct:differential_complex
    pymemory-struct:differential_repr
    pymemory-buffer:memoryview_differential
    pymemory-buffer:array_differential
    pymemory-buffer:bytearray_differential
    pymemory-cli:view_cli
    pymemory-cli:struct_cli
)
LOGS=${CARGO_TARGET_DIR:-target}/sweep
mkdir -p "$LOGS"

args=()
for t in "${TESTS[@]}"; do args+=(-p "${t%%:*}" --test "${t#*:}"); done
echo "==> building the differential tests"
cargo test -q --locked --no-run "${args[@]}"

failures=0
for ((seed = FIRST; seed < FIRST + COUNT; seed++)); do
    for t in "${TESTS[@]}"; do
        crate=${t%%:*} test=${t#*:}
        log=$LOGS/$test-$seed.log
        if PYMEMORY_SEED=$seed cargo test -q --locked -p "$crate" --test "$test" >"$log" 2>&1; then
            rm "$log"
        else
            echo "FAILED: PYMEMORY_SEED=$seed cargo test -p $crate --test $test (log: $log)"
            failures=$((failures + 1))
        fi
    done
    echo "seed $seed done"
done
if ((failures)); then
    echo "==> $failures failing runs over seeds $FIRST..$((FIRST + COUNT - 1))" >&2
    exit 1
fi
echo "==> ${#TESTS[@]} differential tests passed with each of the seeds $FIRST..$((FIRST + COUNT - 1))"
