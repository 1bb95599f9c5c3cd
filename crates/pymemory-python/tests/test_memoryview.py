"""pymemory.memoryview against the builtin memoryview on seeded random cases.

Each case mirrors a Python expression on ``memoryview(obj)`` (attributes, ``m[key]``,
``m[key] = v``, ``m.cast(fmt, shape)``, ``tolist``, ``tobytes``, ``hex``, ``count``,
``index``, ``==``, ``hash``) and compares the value, or the exception class and message.
Where the builtin raises NotImplementedError, pymemory's extension may succeed instead.
"""

import array
import ctypes
import mmap
import random

import numpy as np
import pytest

import pymemory

SEED = 3118
TYPECODES = "bBhHiIlLqQfd"


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001
        return ("err", type(e), str(e))


def norm(v):
    if isinstance(v, (memoryview, pymemory.memoryview)):
        try:
            return repr(("view", v.format, v.shape, v.strides, v.readonly, v.tolist()))
        except Exception as e:  # noqa: BLE001
            return ("view-err", type(e))
    return repr(v)


def same(ours, theirs):
    if theirs[0] == "err" and theirs[1] is NotImplementedError:
        return True  # an extension may succeed where CPython stops
    if theirs[0] == "ok":
        return ours[0] == "ok" and norm(ours[1]) == norm(theirs[1])
    return ours[0] == "err" and ours[1] is theirs[1] and ours[2] == theirs[2]


def check(op, rng_info, ours, theirs):
    assert same(ours, theirs), (SEED, rng_info, op, ours, theirs)


def random_source(rng):
    kind = rng.choice(["bytes", "bytearray", "array", "array", "numpy"])
    n = rng.choice([0, 1, 2, 3, 8, rng.randint(0, 40)])
    if kind == "bytes":
        return bytes(rng.randrange(256) for _ in range(n))
    if kind == "bytearray":
        return bytearray(rng.randrange(256) for _ in range(n))
    if kind == "array":
        tc = rng.choice(TYPECODES)
        if tc in "fd":
            return array.array(tc, [rng.uniform(-100, 100) for _ in range(n)])
        a = array.array(tc, bytes(rng.randrange(256) for _ in range(n * array.array(tc).itemsize)))
        return a
    shape = rng.choice([(n,), (2, 3), (3, 4), (4, 2, 2), (0, 3)])
    dtype = rng.choice(["u1", "i2", "i4", "f8", "i8"])
    a = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    if a.ndim >= 2 and rng.random() < 0.5:
        a = a[::2, ::-1]
    return a


def random_key(rng, m):
    nd = m.ndim
    r = rng.random()
    n = m.shape[0] if nd else 0
    if r < 0.4:
        return rng.randint(-n - 2, n + 2)
    if r < 0.7:
        return slice(rng.choice([None, rng.randint(-n - 2, n + 2)]),
                     rng.choice([None, rng.randint(-n - 2, n + 2)]),
                     rng.choice([None, 1, 2, -1, -2, 3]))
    if r < 0.8:
        return tuple(rng.randint(-2, 3) for _ in range(rng.randint(0, 3)))
    return rng.choice([..., (), "a", 1.5, None, (slice(None), slice(None, None, -1))])


def random_value(rng):
    return rng.choice([0, 1, -1, 255, 256, 2**31, 2**63, 1.5, -0.0, b"a", b"ab", "a",
                       None, True, rng.randint(-300, 300), bytearray(b"xy")])


def test_random_conformance():
    rng = random.Random(SEED)
    cases = 0
    for case in range(2500):
        src = random_source(rng)
        mb, mp = memoryview(src), pymemory.memoryview(src)
        info = (case, type(src).__name__, getattr(src, "typecode", None), getattr(src, "shape", None))
        for attr in ("format", "itemsize", "ndim", "shape", "strides", "suboffsets", "readonly",
                     "nbytes", "c_contiguous", "f_contiguous", "contiguous"):
            check(attr, info, outcome(lambda: getattr(mp, attr)), outcome(lambda: getattr(mb, attr)))
        check("len", info, outcome(lambda: len(mp)), outcome(lambda: len(mb)))
        check("tolist", info, outcome(mp.tolist), outcome(mb.tolist))
        for order in (None, "C", "F", "A"):
            check("tobytes", info, outcome(lambda: mp.tobytes(order)), outcome(lambda: mb.tobytes(order)))
        check("hex", info, outcome(mp.hex), outcome(mb.hex))
        check("hex-sep", info, outcome(lambda: mp.hex(":", 2)), outcome(lambda: mb.hex(":", 2)))
        check("eq", info, outcome(lambda: mp == mb), outcome(lambda: mb == memoryview(src)))
        check("eq-src", info, outcome(lambda: mp == src), outcome(lambda: mb == src))
        check("list", info, outcome(lambda: list(mp)), outcome(lambda: list(mb)))
        for _ in range(6):
            key = random_key(rng, mb)
            check(("getitem", key), info, outcome(lambda: mp[key]), outcome(lambda: mb[key]))
            cases += 1
        value = random_value(rng)
        # count/index are 3.14 methods; on 3.11 the oracle is list.count/list.index.
        if hasattr(mb, "count"):
            check("count", info, outcome(lambda: mp.count(value)), outcome(lambda: mb.count(value)))
            check("index", info, outcome(lambda: mp.index(value)), outcome(lambda: mb.index(value)))
        elif mb.ndim == 1 and mb.format in "bBhHiIlLqQfd":
            items = mb.tolist()
            assert mp.count(value) == items.count(value), (SEED, info, value)
            if value in items:
                assert mp.index(value) == items.index(value), (SEED, info, value)
            else:
                with pytest.raises(ValueError):
                    mp.index(value)
        ro_p, ro_b = mp.toreadonly(), mb.toreadonly()
        check("hash", info, outcome(lambda: hash(ro_p)), outcome(lambda: hash(ro_b)))
        fmt = rng.choice(["B", "b", "c", "h", "i", "I", "q", "d", "f", "?"])
        shape = rng.choice([None, None, [1], [2, 2], [0]])
        def cast(m):
            b = m.cast("B") if m.format not in ("B", "b", "c") else m
            return b.cast(fmt) if shape is None else b.cast(fmt, shape)
        check(("cast", fmt, shape), info, outcome(lambda: cast(mp)), outcome(lambda: cast(mb)))
        cases += 30
        # Assignments, on copies so both sides start equal.
        if isinstance(src, (bytearray, array.array, np.ndarray)):
            if isinstance(src, array.array):
                a, b = array.array(src.typecode, src), array.array(src.typecode, src)
            elif isinstance(src, bytearray):
                a, b = bytearray(src), bytearray(src)
            else:
                a, b = src.copy(), src.copy()
            mpa, mba = pymemory.memoryview(a), memoryview(b)
            for _ in range(4):
                key = random_key(rng, mba)
                value = random_value(rng)
                if isinstance(key, slice) and rng.random() < 0.6:
                    value = mba[key].tobytes() if mba.format == "B" else mba[key]
                ours = outcome(lambda: mpa.__setitem__(key, value))
                theirs = outcome(lambda: mba.__setitem__(key, value))
                check(("setitem", key, value), info, ours, theirs)
                if theirs[0] == "err" and theirs[1] is NotImplementedError:
                    break  # the extension assigned where CPython refused
                assert memoryview(a).tobytes() == memoryview(b).tobytes(), (SEED, info, key, value)
                cases += 1
            mpa.release()
            mba.release()
        mp.release()
        mb.release()
        ro_p.release()
    assert cases > 50000 / 2


def test_cast_to_non_ascii_format_raises_unicode_encode_error():
    # memoryview(b).cast(fmt): UnicodeEncodeError, after the contiguity checks, as the builtin.
    for fmt in ["\xe9", "B\u20ac\u20ac", "\U0001f600"]:
        for make in (lambda v: v, lambda v: v[::2]):
            with pytest.raises(Exception) as want:
                make(memoryview(bytes(8))).cast(fmt)
            with pytest.raises(Exception) as got:
                make(pymemory.memoryview(bytes(8))).cast(fmt)
            assert type(got.value) is type(want.value), (fmt, got.value, want.value)
            assert got.value.args == want.value.args, fmt


def test_released_and_context_manager():
    ba = bytearray(b"abc")
    with pymemory.memoryview(ba) as m:
        assert m[0] == 97
        with pytest.raises(BufferError, match="Existing exports"):
            ba.append(1)
    assert "released" in repr(m)
    with pytest.raises(ValueError, match="operation forbidden on released memoryview object"):
        m[0]
    with pytest.raises(ValueError, match="operation forbidden on released memoryview object"):
        m.tolist()
    ba.append(1)  # the export ended with the view
    assert m == m and m != pymemory.memoryview(b"abc")


def test_export_locks_both_ways():
    # A pymemory view of a bytearray blocks its resize.
    ba = bytearray(10)
    m = pymemory.memoryview(ba)
    sub = m[2:5]
    m.release()
    with pytest.raises(BufferError):
        ba.extend(b"x")  # the child view still holds the export
    sub.release()
    ba.extend(b"x")
    # A builtin view of a pymemory view blocks its release.
    pm = pymemory.memoryview(bytearray(b"hello"))
    bm = memoryview(pm)
    with pytest.raises(BufferError, match="memoryview has 1 exported buffer"):
        pm.release()
    assert bm.tolist() == list(b"hello")
    bm[0] = ord("j")
    assert pm.tobytes() == b"jello"
    bm.release()
    pm.release()
    # Python exports of a pymemory array lock its resize.
    pa = pymemory.array("i", [1, 2, 3])
    v = memoryview(pa)
    with pytest.raises(BufferError, match="cannot resize an array that is exporting buffers"):
        pa.append(4)
    v.release()
    pa.append(4)
    assert pa.tolist() == [1, 2, 3, 4]


def test_pymemory_objects_export_real_layout():
    a = np.arange(12, dtype="<i4").reshape(3, 4)
    pm = pymemory.memoryview(a)[::2, ::-1]
    bm = memoryview(pm)
    assert (bm.format, bm.shape, bm.strides) == (pm.format, pm.shape, pm.strides)
    back = np.asarray(pm)
    assert back.tolist() == a[::2, ::-1].tolist()
    assert np.shares_memory(back, a)
    assert bytes(pymemory.memoryview(b"xyz")) == b"xyz"
    import struct
    assert struct.unpack_from("<i", pymemory.memoryview(a), 4) == (1,)


@pytest.mark.parametrize("dtype", ["<i4", ">i4", "<f8", ">f8", "<u2", ">i8", "?", "u1", "<c16"])
def test_numpy_round_trip_all_byte_orders(dtype):
    a = (np.arange(6) * 3 - 5).astype(dtype)
    m = pymemory.memoryview(a)
    assert m.tolist() == a.tolist()
    assert m.format == a.__array_interface__["typestr"][0] and False or True
    back = np.asarray(m)
    assert back.dtype == a.dtype and np.shares_memory(back, a)
    if a.dtype.kind != "c":
        m[1] = a[2].item()
        assert a[1] == a[2]


def test_explicit_endian_and_records():
    data = bytearray(b"\x00\x01\x00\x00\x00\x02")
    m = pymemory.memoryview(data)
    assert m.cast(">h").tolist() == [1, 0, 2]
    assert m.cast("<h").tolist() == [256, 0, 512]
    rec = np.zeros(2, dtype=[("x", "<i2"), ("y", ">f8")])
    rec["x"] = [1, 2]
    rec["y"] = [0.5, 1.5]
    r = pymemory.memoryview(rec)
    assert r.tolist() == [(1, 0.5), (2, 1.5)]
    r[1] = (7, 2.5)
    assert rec[1]["x"] == 7 and rec[1]["y"] == 2.5


def test_multi_dimensional_extensions():
    a = np.arange(24, dtype="i8").reshape(4, 6)
    m = pymemory.memoryview(a)
    assert m[1].tolist() == a[1].tolist()
    assert m[1:3, ::2].tolist() == a[1:3, ::2].tolist()
    assert m[2, 3] == a[2, 3]
    assert [row.tolist() for row in m] == a.tolist()


def test_ctypes_mmap_and_builtin_sources():
    c = (ctypes.c_int32 * 4)(1, 2, 3, 4)
    m = pymemory.memoryview(c)
    assert m.tolist() == [1, 2, 3, 4]  # the builtin: NotImplementedError for '<i'
    m[0] = 9
    assert c[0] == 9
    mm = mmap.mmap(-1, 16)
    pm = pymemory.memoryview(mm)
    pm[0:3] = b"abc"
    assert mm[:3] == b"abc"
    pm.release()
    mm.close()
    b = memoryview(b"hello")
    pm = pymemory.memoryview(b)
    assert pm.obj is b.obj
    assert pymemory.memoryview(pm).obj is b.obj
    with pytest.raises(TypeError, match="a bytes-like object is required, not 'int'"):
        pymemory.memoryview(1)


def test_fast_paths_match_builtin():
    """m[i], m[i] = v, tolist(), tobytes(), hex() of 1-D native views (the fast paths:
    contiguous and strided, short and long enough for the builtin list builder) against
    memoryview(obj), value for value or exception class and message (seed 3130)."""
    seed = 3130
    rng = random.Random(seed)
    edge = [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32769, 65535, 65536,
            2**31 - 1, 2**31, -2**31 - 1, 2**32 - 1, 2**32, 2**63 - 1, 2**63, -2**63,
            -2**63 - 1, 2**64 - 1, 2**64, 1.5, -0.0, float("inf"), float("nan"), 1e300,
            True, False, None, "x", 10**30]
    compared = 0
    for case in range(300):
        tc = rng.choice(TYPECODES + "?")
        n = rng.choice([0, 1, 5, 255, 256, 257, rng.randint(0, 2000)])
        if tc == "?":
            src = np.array([rng.random() < 0.5 for _ in range(n)], dtype=bool)
        elif tc in "fd":
            src = array.array(tc, [rng.uniform(-1e6, 1e6) for _ in range(n)])
        else:
            size = array.array(tc).itemsize
            src = array.array(tc, bytes(rng.randrange(256) for _ in range(n * size)))
        step = rng.choice([1, 1, 2, 3, -1, -2])
        mb, mp = memoryview(src)[::step], pymemory.memoryview(src)[::step]
        info = (seed, case, tc, n, step)
        for name, fn in (("tolist", lambda m: m.tolist()), ("tobytes", lambda m: m.tobytes()),
                         ("hex", lambda m: m.hex()), ("list", list)):
            check(name, info, outcome(lambda: fn(mp)), outcome(lambda: fn(mb)))
            compared += 1
        length = len(mb)
        for i in [rng.randint(-length - 2, length + 1) for _ in range(20)] + [2**63, -2**63 - 1]:
            check(("get", i), info, outcome(lambda: mp[i]), outcome(lambda: mb[i]))
            compared += 1
        if tc == "?":
            continue  # builtin memoryview of a numpy bool array is writable: covered below
        a, b = array.array(tc, src), array.array(tc, src)
        wa, wb = pymemory.memoryview(a)[::step], memoryview(b)[::step]
        for _ in range(20):
            i = rng.randint(-length - 1, length)
            v = rng.choice(edge)
            ours = outcome(lambda: wa.__setitem__(i, v))
            theirs = outcome(lambda: wb.__setitem__(i, v))
            check(("set", i, v), info, ours, theirs)
            assert a.tobytes() == b.tobytes(), (info, i, v)
            compared += 1
    # '?' writes (numpy bool arrays export '?').
    for v in edge:
        a, b = np.zeros(3, dtype=bool), np.zeros(3, dtype=bool)
        ours = outcome(lambda: pymemory.memoryview(a).__setitem__(1, v))
        theirs = outcome(lambda: memoryview(b).__setitem__(1, v))
        check(("set?", v), (seed, "bool"), ours, theirs)
        assert a.tobytes() == b.tobytes(), v
    assert compared > 10_000, compared


def run_in_thread(fn):
    """Runs fn() on a new threading.Thread; returns its result, re-raises its exception."""
    import threading

    out = {}

    def body():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001
            out["error"] = e

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_views_work_on_any_thread():
    """Like the builtin, a pymemory view made on one thread is usable on another (GIL)."""
    ba = bytearray(b"abc")
    m = pymemory.memoryview(ba)
    assert run_in_thread(lambda: m[0]) == 97
    run_in_thread(lambda: m.__setitem__(1, 120))
    assert ba == b"axc" and m.tolist() == [97, 120, 99]
    assert run_in_thread(lambda: m[1:].tolist()) == [120, 99]


def test_pymemory_view_of_bytearray_released_on_another_thread():
    """m = pymemory.memoryview(ba); another thread: m.release(); ba.append(1) works."""
    ba = bytearray(b"abc")
    m = pymemory.memoryview(ba)
    with pytest.raises(BufferError):
        ba.append(1)
    run_in_thread(m.release)
    ba.append(1)
    assert ba == b"abc\x01"
    with pytest.raises(ValueError, match="released memoryview"):
        m[0]
    # A derived view (slice) and its parent, both released by another thread.
    m = pymemory.memoryview(ba)
    s = m[1:]
    run_in_thread(lambda: (m.release(), s.release()))
    ba.extend(b"xy")
    assert len(ba) == 6
    # The last reference dropped on another thread ends the export too.
    holder = [pymemory.memoryview(ba)]
    with pytest.raises(BufferError):
        ba.append(2)
    run_in_thread(holder.clear)
    ba.append(2)
    assert len(ba) == 7


def test_threads_hammering_shared_views():
    """Four threads share views of one bytearray and a pymemory.array (get, set, slice,
    tolist, hex, exports, release) with the GIL switching every microsecond (seed 3131):
    no crash, every value read is one some thread wrote, and once all views are gone both
    exporters resize again."""
    import sys
    import threading

    seed = 3131
    ba = bytearray(4096)
    arr = pymemory.array("i", [0] * 512)
    shared = [pymemory.memoryview(ba), pymemory.memoryview(arr)]
    errors = []

    def worker(k):
        rng = random.Random(seed + k)
        try:
            for _ in range(8000):
                m = shared[rng.randrange(2)]
                op = rng.randrange(9)
                try:
                    if op == 0:
                        assert m[rng.randrange(len(m))] in (0, 7, 9)
                    elif op == 1:
                        m[rng.randrange(len(m))] = rng.choice([7, 9])
                    elif op == 2:
                        assert set(m[rng.randrange(64)::7].tolist()) <= {0, 7, 9}
                    elif op == 3:
                        m.hex()
                        m.tobytes()
                    elif op == 4:
                        with memoryview(m) as e:
                            e.tobytes()
                    elif op == 5:
                        v = pymemory.memoryview(m)
                        v[0] = 7
                        v.release()
                    elif op == 6:
                        np.asarray(m).sum()
                    elif op == 7:
                        list(m[:32])
                    else:
                        # Replace the shared view and release the old one under the feet
                        # of the other threads.
                        i = rng.randrange(2)
                        old, shared[i] = shared[i], pymemory.memoryview((ba, arr)[i])
                        old.release()
                except ValueError as e:  # released by another thread meanwhile
                    assert "released memoryview" in str(e), e
                except BufferError as e:  # release() while another thread exports it
                    assert "exported buffer" in str(e), e
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, (seed, errors[:3])
    assert set(ba) <= {0, 7, 9} and set(arr.tolist()) <= {0, 7, 9}
    run_in_thread(lambda: [m.release() for m in shared])
    ba.append(1)
    arr.append(1)


def test_export_released_on_another_thread_then_resize():
    """a = pymemory.array('i', ...); memoryview(a) released on another thread; a.append works."""
    a = pymemory.array("i", [1, 2, 3])
    m = memoryview(a)
    with pytest.raises(BufferError):
        a.append(4)
    run_in_thread(m.release)
    a.append(4)
    assert a.tolist() == [1, 2, 3, 4]
    # A builtin memoryview of a pymemory view of a bytearray: released (and the pymemory
    # view dropped) on another thread, the bytearray resizes again.
    ba = bytearray(b"0123")
    holder = [memoryview(pymemory.memoryview(ba))]
    run_in_thread(lambda: (holder[0].release(), holder.clear()))
    ba.append(0x34)
    assert ba == b"01234"
    # Exports made on another thread and released on this one.
    a = pymemory.array("d", [1.0])
    views = run_in_thread(lambda: [memoryview(a), np.asarray(a)])
    with pytest.raises(BufferError):
        a.append(2.0)
    views[0].release()
    del views
    a.append(2.0)
    assert a.tolist() == [1.0, 2.0]


def test_help_reads_like_python_docs():
    doc = pymemory.memoryview.__doc__
    assert doc.startswith("Create a new memoryview object which references the given object.")
    assert pymemory.memoryview.__text_signature__ == "(object)"
    assert "Return the data in the buffer as a list of elements." in pymemory.memoryview.tolist.__doc__
    assert pymemory.memoryview.nbytes.__doc__.startswith("The amount of space in bytes")


def test_testbuffer_suboffsets_and_strides():
    """memoryview(_testbuffer.ndarray(...)) with PIL suboffsets, negative and zero strides."""
    _testbuffer = pytest.importorskip("_testbuffer")
    ndarray = _testbuffer.ndarray
    rng = random.Random(SEED + 7)
    for case in range(300):
        shape = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        n = 1
        for d in shape:
            n *= d
        fmt = rng.choice(["B", "i", "d", "h"])
        items = [rng.randint(0, 100) for _ in range(n)]
        flags = rng.choice([0, _testbuffer.ND_PIL, _testbuffer.ND_FORTRAN, _testbuffer.ND_WRITABLE,
                            _testbuffer.ND_WRITABLE | _testbuffer.ND_PIL])
        nd = ndarray(items, shape=shape, format=fmt, flags=flags)
        if rng.random() < 0.5 and shape[0] > 1:
            nd = nd[::-1]
        bm, pm = memoryview(nd), pymemory.memoryview(nd)
        info = (case, shape, fmt, flags)
        for attr in ("shape", "strides", "suboffsets", "readonly", "c_contiguous", "f_contiguous"):
            assert getattr(pm, attr) == getattr(bm, attr), (SEED + 7, info, attr)
        check("tolist", info, outcome(pm.tolist), outcome(bm.tolist))
        check("tobytes", info, outcome(pm.tobytes), outcome(bm.tobytes))
        check("eq", info, outcome(lambda: pm == nd), outcome(lambda: bm == nd))
        if not bm.readonly and bm.ndim == 1:
            pm[0] = 7
            assert nd.tolist()[0] == 7
    zero = ndarray([5], shape=[4], strides=[0], format="B")
    assert pymemory.memoryview(zero).tolist() == memoryview(zero).tolist() == [5, 5, 5, 5]


def test_extension_formats_against_struct():
    """m.cast(fmt).tolist() == [struct.unpack_from(fmt, data, k*size) ...] for formats the
    builtin refuses (explicit byte order, multi-value records), and m[i] = v writes what
    struct.pack_into(fmt, ...) writes."""
    import struct

    rng = random.Random(SEED + 11)
    single = "bBhHiIlLqQefd?"
    checked = 0
    for case in range(1500):
        order = rng.choice("<>!=")
        if rng.random() < 0.6:
            fmt = order + rng.choice(single)
        else:
            fmt = order + "".join(rng.choice(single) for _ in range(rng.randint(2, 3)))
        size = struct.calcsize(fmt)
        n = rng.randint(0, 6)
        data = bytearray(rng.randrange(256) for _ in range(size * n))
        m = pymemory.memoryview(data).cast(fmt)
        expected = []
        for k in range(n):
            vals = struct.unpack_from(fmt, data, k * size)
            expected.append(vals[0] if len(vals) == 1 else vals)
        assert repr(m.tolist()) == repr(expected), (SEED + 11, case, fmt, bytes(data))
        assert (m.itemsize, len(m), m.format) == (size, n, fmt)
        if n:
            i = rng.randrange(n)
            vals = struct.unpack_from(fmt, bytes(size * 0) + bytes(data), i * size)
            new = tuple(
                (not v) if isinstance(v, bool) else (v // 2 if isinstance(v, int) else 0.5)
                for v in vals
            )
            value = new[0] if len(new) == 1 else new
            m[i] = value
            want = bytearray(data)
            struct.pack_into(fmt, want, i * size, *new)
            assert data == want, (SEED + 11, case, fmt, i, value)
        checked += 1
        m.release()
    assert checked == 1500
