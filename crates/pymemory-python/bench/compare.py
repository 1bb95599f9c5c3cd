"""Side-by-side timings: builtin memoryview vs pymemory.memoryview, same data, one process.

Run after installing the wheels (scripts/test-python.sh builds them):
    python crates/pymemory-python/bench/compare.py [--quick]
Prints the median time of several repeats per side and the pymemory/builtin ratio per
operation (with the goal of issue #5 where it has one), then the same as a Markdown table.
Options: --quick (smaller data, 3 repeats), --repeat=N.
"""

import array
import statistics
import sys
import time

import pymemory

QUICK = "--quick" in sys.argv
REPEAT = 3 if QUICK else 9
for _arg in sys.argv[1:]:
    if _arg.startswith("--repeat="):
        REPEAT = int(_arg.split("=", 1)[1])

# (name, builtin median s, pymemory median s, goal ratio or None)
RESULTS = []


def row(name, builtin_fn, pymemory_fn, goal=None):
    """Medians of REPEAT timed runs per side. The sides alternate in ABBA order (builtin
    first on even repeats, pymemory first on odd ones), so neither gains from running
    second (warm allocator, freed pages) and load from other processes hits both alike."""
    tb, tp = [], []
    for k in range(REPEAT):
        order = ((builtin_fn, tb), (pymemory_fn, tp))
        for fn, out in (order if k % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    b, p = statistics.median(tb), statistics.median(tp)
    goal_text = "" if goal is None else f"   goal <= {goal:.2f}x {'met' if p / b <= goal else 'NOT met'}"
    print(f"{name:<34} builtin {b * 1e3:10.3f} ms   pymemory {p * 1e3:10.3f} ms   "
          f"ratio {p / b:6.2f}x{goal_text}", flush=True)
    RESULTS.append((name, b, p, goal))
    return name, b, p


def markdown_table():
    print()
    print(f"| operation | builtin median | pymemory median | ratio | goal |")
    print("|---|---|---|---|---|")
    for name, b, p, goal in RESULTS:
        g = "-" if goal is None else f"<= {goal:.1f}x ({'met' if p / b <= goal else 'not met'})"
        print(f"| {name} | {b * 1e3:.2f} ms | {p * 1e3:.2f} ms | {p / b:.2f}x | {g} |")


def main():
    n_loop = 100_000 if QUICK else 1_000_000
    n_bulk = 1_000_000 if QUICK else 10_000_000
    ba = bytearray(range(256)) * (n_loop // 256 + 1)
    ints = array.array("i", range(n_bulk))
    bm, pm = memoryview(ba), pymemory.memoryview(ba)
    bi, pi = memoryview(ints), pymemory.memoryview(ints)
    ints2 = array.array("l", range(n_bulk))
    bi2, pi2 = memoryview(ints2), pymemory.memoryview(ints2)
    raw = bytes(10_000_000 if not QUICK else 1_000_000)
    bh, ph = memoryview(raw), pymemory.memoryview(raw)

    def get_loop(m):
        def run():
            for i in range(n_loop):
                m[i]
        return run

    def set_loop(m):
        def run():
            for i in range(n_loop):
                m[i] = 7
        return run

    strided = array.array("d", range(n_bulk // 5))
    bs, ps = memoryview(strided)[::2], pymemory.memoryview(strided)[::2]
    ints_small = array.array("i", range(n_loop))
    bq, pq = memoryview(ints_small), pymemory.memoryview(ints_small)

    row(f"item get x{n_loop} ('B')", get_loop(bm), get_loop(pm), 1.3)
    row(f"item set x{n_loop} ('B')", set_loop(bm), set_loop(pm), 1.3)
    row(f"item get x{n_loop} ('i')", get_loop(bq), get_loop(pq), 1.3)
    row(f"item set x{n_loop} ('i')", set_loop(bq), set_loop(pq), 1.3)
    row(f"tolist {n_bulk} 'i'", bi.tolist, pi.tolist, 1.0)
    row(f"tolist {len(bs)} 'd' strided [::2]", bs.tolist, ps.tolist)
    row(f"tobytes {n_bulk} 'i'", bi.tobytes, pi.tobytes, 1.0)
    row(f"hex {len(raw)} bytes", bh.hex, ph.hex, 1.0)
    row(f"== {n_bulk} 'i' vs 'l'", lambda: bi == bi2, lambda: pi == pi2, 1.0)
    if hasattr(bi, "count"):
        row(f"count {n_bulk} 'i'", lambda: bi.count(5), lambda: pi.count(5), 1.0)
    else:
        row("count (3.11: tolist().count)", lambda: bi.tolist().count(5), lambda: pi.count(5), 1.0)
    markdown_table()
    try:
        import numpy as np
        import pymemory_example as ex
    except ImportError:
        print("1 GB hand-off: needs numpy and the example extension")
        return
    size = (1 << 30) if not QUICK else (1 << 26)
    np.asarray(ex.zeros(4096))  # warm numpy's buffer-protocol path once
    handoff, alloc = [], []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        buf = ex.zeros(size)
        t1 = time.perf_counter()
        a = np.asarray(buf)
        t2 = time.perf_counter()
        assert a.nbytes == size and np.shares_memory(a, np.asarray(buf))
        alloc.append(t1 - t0)
        handoff.append(t2 - t1)
        del a, buf
    print(f"hand-off {size >> 20} MiB Rust Vec<u8> -> numpy: np.asarray median "
          f"{1e6 * statistics.median(handoff):.1f} us over {REPEAT} runs (Rust allocation "
          f"{1e3 * statistics.median(alloc):.1f} ms, lazily zeroed pages, not counted)")


if __name__ == "__main__":
    main()
