"""Side-by-side timings: builtin memoryview vs pymemory.memoryview, same data, one process.

Run after installing the wheels (scripts/test-python.sh builds them):
    python crates/pymemory-python/bench/compare.py [--quick]
Prints median seconds of several repeats and the pymemory/builtin ratio per operation.
"""

import array
import statistics
import sys
import time

import pymemory

QUICK = "--quick" in sys.argv
REPEAT = 3 if QUICK else 7


def median_time(fn):
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def row(name, builtin_fn, pymemory_fn):
    """Alternates the two sides, so load from other processes hits both alike."""
    tb, tp = [], []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        builtin_fn()
        t1 = time.perf_counter()
        pymemory_fn()
        t2 = time.perf_counter()
        tb.append(t1 - t0)
        tp.append(t2 - t1)
    b, p = statistics.median(tb), statistics.median(tp)
    print(f"{name:<28} builtin {b * 1e3:10.3f} ms   pymemory {p * 1e3:10.3f} ms   ratio {p / b:6.2f}x")
    return name, b, p


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

    rows = [
        row(f"item get x{n_loop} ('B')", get_loop(bm), get_loop(pm)),
        row(f"item set x{n_loop} ('B')", set_loop(bm), set_loop(pm)),
        row(f"tolist {n_bulk} 'i'", bi.tolist, pi.tolist),
        row(f"tobytes {n_bulk} 'i'", bi.tobytes, pi.tobytes),
        row(f"hex {len(raw)} bytes", bh.hex, ph.hex),
        row(f"== {n_bulk} 'i' vs 'l'", lambda: bi == bi2, lambda: pi == pi2),
    ]
    if hasattr(bi, "count"):
        rows.append(row(f"count {n_bulk} 'i'", lambda: bi.count(5), lambda: pi.count(5)))
    else:
        rows.append(row("count (3.11: tolist().count)", lambda: bi.tolist().count(5), lambda: pi.count(5)))
    try:
        import numpy as np
        import pymemory_example as ex
    except ImportError:
        print("1 GB hand-off: needs numpy and the example extension")
        return
    size = (1 << 30) if not QUICK else (1 << 26)
    t0 = time.perf_counter()
    buf = ex.zeros(size)
    t1 = time.perf_counter()
    a = np.asarray(buf)
    t2 = time.perf_counter()
    assert a.nbytes == size and np.shares_memory(a, np.asarray(buf))
    print(f"hand-off {size >> 20} MiB Rust Vec<u8> -> numpy: np.asarray {1e6 * (t2 - t1):.1f} us "
          f"(allocation {1e3 * (t1 - t0):.1f} ms, zeroed pages, not counted)")


if __name__ == "__main__":
    main()
