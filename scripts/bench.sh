#!/usr/bin/env bash
# Side-by-side benchmarks (crates/pymemory-bench). Usage:
#   ./scripts/bench.sh quick       # CI smoke run (< 2 min): target/bench-quick/BENCHMARKS.md + plots
#   ./scripts/bench.sh full        # the committed BENCHMARKS.md and docs/bench/*.png (about 10 min)
#   ./scripts/bench.sh callgrind   # instruction counts vs crates/pymemory-bench/callgrind-baseline.json
#   ./scripts/bench.sh callgrind --update   # rewrite the baseline
# Needs python3 (numpy is installed into target/bench-venv when missing) and, for
# callgrind, valgrind. Exits non-zero on any failure, including a callgrind regression.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode=${1:-quick}
shift || true
run() { cargo run --release --locked -p pymemory-bench -- "$@"; }
case "$mode" in
    quick) run compare --quick "$@" ;;
    full) run compare "$@" ;;
    callgrind)
        if ! command -v valgrind >/dev/null; then
            echo "bench.sh: valgrind is not installed; the instruction-count check cannot run" >&2
            exit 1
        fi
        run callgrind "$@"
        ;;
    *)
        echo "usage: $0 quick|full|callgrind [args...]" >&2
        exit 2
        ;;
esac
