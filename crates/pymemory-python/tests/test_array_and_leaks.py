"""pymemory.array against array.array (seeded), and reference/memory leak checks."""

import array
import gc
import random
import sys
import tracemalloc

import numpy as np

import pymemory

SEED = 1884


def outcome(fn):
    try:
        return ("ok", repr(fn()))
    except Exception as e:  # noqa: BLE001
        return ("err", type(e), str(e))


def test_array_conformance():
    """array.array(tc, init) then append/pop/[i]/[i]=v/tolist/tobytes, value for value."""
    rng = random.Random(SEED)
    compared = 0
    values = [0, 1, -1, 127, 128, 255, 256, -129, 2**31, 2**63, -(2**63), 1.5, "a", None, True]
    for case in range(4000):
        tc = rng.choice("bBhHiIlLqQfd")
        init = [rng.choice(values[:7]) for _ in range(rng.randint(0, 6))]
        ours = outcome(lambda: pymemory.array(tc, init).tolist())
        theirs = outcome(lambda: array.array(tc, init).tolist())
        assert ours == theirs, (SEED, case, tc, init, ours, theirs)
        if theirs[0] == "err":
            continue
        pa, ba = pymemory.array(tc, init), array.array(tc, init)
        for _ in range(8):
            op = rng.choice(["append", "pop", "get", "set", "slice", "setslice", "del", "delslice",
                             "insert", "remove", "index", "count", "reverse", "byteswap", "add",
                             "mul", "cmp", "contains", "iter", "extend", "fromlist"])
            v = rng.choice(values)
            i = rng.randint(-8, 8)
            sl = slice(rng.choice([None, rng.randint(-6, 6)]), rng.choice([None, rng.randint(-6, 6)]),
                       rng.choice([None, 1, 2, -1, -2]))
            other_init = [rng.choice(values[:4]) for _ in range(rng.randint(0, 3))]

            def run(a, mod):
                other = mod(tc, other_init) if rng_other_ok else mod(tc)
                if op == "append":
                    return a.append(v)
                if op == "pop":
                    return a.pop(i)
                if op == "get":
                    return a[i]
                if op == "set":
                    a[i] = v
                    return None
                if op == "slice":
                    return a[sl].tolist()
                if op == "setslice":
                    a[sl] = other
                    return None
                if op == "del":
                    del a[i]
                    return None
                if op == "delslice":
                    del a[sl]
                    return None
                if op == "insert":
                    return a.insert(i, v)
                if op == "remove":
                    return a.remove(v)
                if op == "index":
                    return a.index(v)
                if op == "count":
                    return a.count(v)
                if op == "reverse":
                    return a.reverse()
                if op == "byteswap":
                    return a.byteswap()
                if op == "add":
                    return (a + other).tolist()
                if op == "mul":
                    return (a * rng_n).tolist()
                if op == "cmp":
                    return (a == other, a < other, a >= other)
                if op == "contains":
                    return v in a
                if op == "iter":
                    return list(a)
                if op == "extend":
                    return a.extend(other_init)
                return a.fromlist(other_init)

            rng_other_ok = all(isinstance(x, int) and -128 <= x <= 127 and (x >= 0 or tc in "bhilqfd")
                               for x in other_init)
            rng_n = rng.randint(-1, 3)
            o, t = outcome(lambda: run(pa, pymemory.array)), outcome(lambda: run(ba, array.array))
            assert o == t, (SEED, case, tc, op, i, v, sl, other_init, o, t)
            compared += 1
            assert pa.tobytes() == ba.tobytes(), (SEED, case, tc, op, i, v, sl)
        assert (pa.typecode, pa.itemsize, len(pa)) == (ba.typecode, ba.itemsize, len(ba))
        assert memoryview(pa).format == memoryview(ba).format
        assert repr(pa) == repr(ba)
    assert compared > 8000, compared


def test_array_numpy_shares_memory():
    pa = pymemory.array("d", [1.0, 2.0, 3.0])
    a = np.asarray(pa)
    assert a.tolist() == [1.0, 2.0, 3.0]
    a[0] = 9.0
    assert pa[0] == 9.0
    assert np.shares_memory(a, np.asarray(pymemory.memoryview(pa)))


def test_no_leaks_over_100k_cycles():
    """sys.getrefcount and tracemalloc stay flat over 100k create/release cycles."""
    ba = bytearray(b"0123456789abcdef")
    arr = np.arange(16, dtype="<i4")
    for _ in range(1000):  # warm caches
        pymemory.memoryview(ba).release()
    gc.collect()
    before_ba, before_arr = sys.getrefcount(ba), sys.getrefcount(arr)
    tracemalloc.start()
    snap1 = tracemalloc.take_snapshot()
    for i in range(100_000):
        m = pymemory.memoryview(ba if i % 2 else arr)
        s = m[1:5]
        _ = s[0]
        m.release()
        s.release()
        with pymemory.memoryview(ba) as w:
            _ = memoryview(w)[0]
    del m, s, w
    gc.collect()
    snap2 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in snap2.compare_to(snap1, "filename"))
    assert sys.getrefcount(ba) == before_ba
    assert sys.getrefcount(arr) == before_arr
    assert grown < 64 * 1024, grown
    ba.append(0)  # no export left behind


def test_no_leaks_bulk_paths_and_cross_thread_releases():
    """tolist/hex/tobytes fast paths (incl. the temporary builtin views of long contiguous
    views) and views released or dropped on other threads leave refcounts and traced
    memory flat, and no export behind."""
    import threading

    ba = bytearray(range(256)) * 2
    arr = np.arange(300, dtype="<i8")
    for _ in range(200):
        pymemory.memoryview(ba).tolist()
    gc.collect()
    before_ba, before_arr = sys.getrefcount(ba), sys.getrefcount(arr)
    tracemalloc.start()
    snap1 = tracemalloc.take_snapshot()
    for i in range(20_000):
        m = pymemory.memoryview(ba if i % 2 else arr)
        m.tolist()
        m[::2].tolist()
        m.hex()
        m.tobytes()
        m.release()
    views = []
    for i in range(300):
        views.append(pymemory.memoryview(ba))
        views.append(memoryview(pymemory.memoryview(arr)))
    # Half released explicitly on worker threads, the rest dropped there.
    workers = [threading.Thread(target=lambda chunk=views[k::4]: [v.release() for v in chunk])
               for k in range(2)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    holder = [views]
    del views
    t = threading.Thread(target=holder.clear)
    t.start()
    t.join()
    del m
    gc.collect()
    snap2 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in snap2.compare_to(snap1, "filename"))
    assert sys.getrefcount(ba) == before_ba
    assert sys.getrefcount(arr) == before_arr
    assert grown < 64 * 1024, grown
    ba.append(0)  # no export left behind


def test_array_files_pickle_copy():
    """a.tofile(f); b.fromfile(f, n); pickle.loads(pickle.dumps(a)); copy.copy(a)."""
    import copy
    import io
    import pickle

    pa, ba = pymemory.array("h", [1, -2, 3]), array.array("h", [1, -2, 3])
    fp, fb = io.BytesIO(), io.BytesIO()
    pa.tofile(fp)
    ba.tofile(fb)
    assert fp.getvalue() == fb.getvalue()
    for n in (2, 5):
        qa, qb = pymemory.array("h"), array.array("h")
        fp.seek(0)
        fb.seek(0)
        ours = outcome(lambda: qa.fromfile(fp, n))
        theirs = outcome(lambda: qb.fromfile(fb, n))
        assert ours == theirs and qa.tolist() == qb.tolist(), (n, ours, theirs)
    assert pickle.loads(pickle.dumps(pa)).tolist() == [1, -2, 3]
    assert type(pickle.loads(pickle.dumps(pa))) is pymemory.array
    c = copy.copy(pa)
    c[0] = 9
    assert pa[0] == 1 and c.tolist() == [9, -2, 3]
    assert list(reversed(pa)) == [3, -2, 1]
    u = pymemory.array("u", "hi")
    assert u.tounicode() == "hi" and pickle.loads(pickle.dumps(u)).tounicode() == "hi"
