"""CPython oracle for tests/memoryview_differential.rs.

Reads one JSON case per line on stdin, runs its operations on real memoryviews of
_testbuffer.ndarray objects, prints one JSON list of result strings per case.

Where CPython 3.11 raises NotImplementedError and pymemory implements an extension, the
expected result is computed here from CPython primitives (struct unpacking of tobytes(),
_testbuffer's own N-D indexing), so the extension is checked against CPython semantics
too. count/index (new in 3.14) are emulated from the 3.14 C code.

One extension replaces a CPython TypeError instead: a tuple key of at most ndim entries
mixing ints and slices (`m[1, ::2]`), which CPython rejects with `memoryview: invalid slice
key`, is numpy basic indexing in pymemory. The model computes the resulting layout (each
int drops its dimension, each slice keeps it) and builds a real CPython memoryview over the
same memory with that layout (`PyMemoryView_FromBuffer` through ctypes), so every later
operation on it is CPython's own.
"""
import ctypes
import json
import struct
import sys

from _testbuffer import ndarray, ND_WRITABLE, ND_PIL, PyBUF_FULL_RO, PyBUF_FULL

# CPython 3.11's native memoryview codes. 3.12 added 'e' (half floats); pymemory follows
# 3.14, so for 'e' the oracle computes the expected result through struct instead.
NATIVE = set("cbBhHiIlLqQnNfd?P")


def native(fmt):
    f = fmt[1:] if fmt.startswith("@") else fmt
    return len(f) == 1 and f in NATIVE


def ename(e):
    if isinstance(e, struct.error):
        return "struct.error"
    return type(e).__name__


def err(e):
    return "err:%s: %s" % (ename(e), e)


def call(f):
    try:
        return "ok:" + f()
    except Exception as e:  # noqa: BLE001 - every exception is a result
        return err(e)


def to_key(k):
    if "int" in k:
        return k["int"]
    if "slice" in k:
        return slice(*k["slice"])
    if "ell" in k:
        return ...
    return tuple(to_key(x) for x in k["tuple"])


def one(t):
    return t[0] if len(t) == 1 else t


def reshape(vals, shape):
    if not shape:
        return vals[0]
    if len(shape) == 1:
        return list(vals)
    step = len(vals) // shape[0] if shape[0] else 0
    return [reshape(vals[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def ext_tolist(v):
    try:
        return v.tolist()
    except NotImplementedError:
        if native(v.format):
            raise
        b = v.tobytes()
        isz = v.itemsize
        vals = [one(struct.unpack(v.format, b[i:i + isz])) for i in range(0, len(b), isz)]
        if v.ndim == 0:
            return one(struct.unpack(v.format, b))
        return reshape(vals, list(v.shape))


class Skip(Exception):
    pass


class PyBuffer(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("obj", ctypes.c_void_p), ("len", ctypes.c_ssize_t),
                ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int), ("ndim", ctypes.c_int),
                ("format", ctypes.c_char_p), ("shape", ctypes.POINTER(ctypes.c_ssize_t)),
                ("strides", ctypes.POINTER(ctypes.c_ssize_t)),
                ("suboffsets", ctypes.POINTER(ctypes.c_ssize_t)), ("internal", ctypes.c_void_p)]


API = ctypes.pythonapi
API.PyObject_GetBuffer.argtypes = [ctypes.py_object, ctypes.POINTER(PyBuffer), ctypes.c_int]
API.PyObject_GetBuffer.restype = ctypes.c_int
API.PyBuffer_Release.argtypes = [ctypes.POINTER(PyBuffer)]
API.PyBuffer_Release.restype = None
API.PyMemoryView_FromBuffer.argtypes = [ctypes.POINTER(PyBuffer)]
API.PyMemoryView_FromBuffer.restype = ctypes.py_object
# C arrays and format strings the views made by from_layout point to (cleared per case,
# when those views are gone).
KEEP = []
SPARE = ctypes.create_string_buffer(16)  # a valid address for empty views


def is_mixed(key):
    return (isinstance(key, tuple) and any(isinstance(k, int) for k in key)
            and any(isinstance(k, slice) for k in key)
            and all(isinstance(k, (int, slice)) for k in key))


def mixed_view(v, key):
    """pymemory's m[key] for a tuple mixing ints and slices (numpy basic indexing)."""
    if v.suboffsets:
        raise Skip()
    off, shape, strides = 0, [], []
    for dim in range(v.ndim):
        k = key[dim] if dim < len(key) else slice(None)
        if isinstance(k, int):
            off += bounds(v, dim, k) * v.strides[dim]
        else:
            start, stop, step = k.indices(v.shape[dim])
            shape.append(len(range(start, stop, step)))
            strides.append(v.strides[dim] * step)
            off += start * v.strides[dim]
    return from_layout(v, off, shape, strides)


def from_layout(v, off, shape, strides):
    """A CPython memoryview over v's memory: buf + off, with this shape and strides."""
    pb = PyBuffer()
    API.PyObject_GetBuffer(v, ctypes.byref(pb), PyBUF_FULL_RO)
    base = pb.buf
    API.PyBuffer_Release(ctypes.byref(pb))
    n = len(shape)
    sh = (ctypes.c_ssize_t * n)(*shape)
    st = (ctypes.c_ssize_t * n)(*strides)
    fmt = ctypes.c_char_p(v.format.encode())
    KEEP.append((sh, st, fmt))
    count = 1
    for d in shape:
        count *= d
    out = PyBuffer()
    out.buf = base + off if base and count else ctypes.addressof(SPARE)
    out.len = count * v.itemsize
    out.itemsize = v.itemsize
    out.readonly = int(v.readonly)
    out.ndim = n
    out.format = fmt
    out.shape = ctypes.cast(sh, ctypes.POINTER(ctypes.c_ssize_t))
    out.strides = ctypes.cast(st, ctypes.POINTER(ctypes.c_ssize_t))
    return API.PyMemoryView_FromBuffer(ctypes.byref(out))


def invalid_mixed(e, v, key):
    """True when CPython's TypeError is the one the mixed-key extension replaces."""
    return str(e) == "memoryview: invalid slice key" and is_mixed(key) and len(key) <= v.ndim


def bounds(v, dim, i):
    n = v.shape[dim]
    j = i + n if i < 0 else i
    if j < 0 or j >= n:
        raise IndexError("index out of bounds on dimension %d" % (dim + 1))
    return j


def ext_get(v, key):
    """v[key] with pymemory's extensions where CPython raises NotImplementedError."""
    try:
        return v[key]
    except NotImplementedError:
        pass
    except TypeError as e:
        if not invalid_mixed(e, v, key):
            raise
        return mixed_view(v, key)
    ints = isinstance(key, int) or (isinstance(key, tuple) and all(isinstance(k, int) for k in key))
    if ints:
        idx = (key,) if isinstance(key, int) else key
        if len(idx) > v.ndim:
            raise TypeError("cannot index %d-dimension view with %d-element tuple" % (v.ndim, len(idx)))
        if len(idx) == v.ndim:
            # non-native format: read the item through struct
            sub = v
            for d, i in enumerate(idx):
                bounds(v, d, i)
            lst = ext_tolist(v)
            for d, i in enumerate(idx):
                lst = lst[bounds(v, d, i)]
            return lst
        if v.suboffsets:
            raise Skip()
        nd = ndarray(memoryview(v), getbuf=PyBUF_FULL_RO)
        for d, i in enumerate(idx):
            nd = nd[bounds(v, d, i)]
        return memoryview(nd)
    if isinstance(key, tuple) and key and all(isinstance(k, slice) for k in key):
        if len(key) > v.ndim:
            raise TypeError("cannot index %d-dimension view with %d-element tuple" % (v.ndim, len(key)))
        nd = ndarray(memoryview(v), getbuf=PyBUF_FULL_RO)
        return memoryview(nd[key])
    raise Skip()


def describe(v):
    out = []
    for a in ("format", "itemsize", "ndim", "shape", "strides", "suboffsets", "nbytes", "readonly",
              "c_contiguous", "f_contiguous", "contiguous"):
        out.append(call(lambda: repr(getattr(v, a))))
    out.append(call(lambda: repr(ext_tolist(v))))
    for order in ("C", "F", "A"):
        out.append(call(lambda: v.tobytes(order).hex()))
    out.append(call(lambda: v.hex()))
    out.append(call(lambda: repr(length(v))))
    return "|".join(out)


def length(v):
    """len(v) as CPython 3.14 defines it: 3.11 returns 1 for 0-d views, 3.14 raises."""
    if v.ndim == 0:
        raise TypeError("0-dim memory has no length")
    return len(v)


def ext_set(v, key, val):
    if isinstance(val, memoryview) and v.format.lstrip("@") == "?":
        raise Skip()  # bool(view) differs: 3.11 len(0-d view) == 1, 3.14 raises
    try:
        v[key] = val
        return
    except NotImplementedError as e:
        first = e
    except TypeError as e:
        if not invalid_mixed(e, v, key):
            raise
        # CPython checked released, format and readonly before the key, as pymemory does.
        if v.suboffsets:
            raise Skip()
        if not isinstance(val, (bytes, memoryview)):
            raise TypeError("a bytes-like object is required, not '%s'" % type(val).__name__)
        src = memoryview(val)  # pymemory takes the source's buffer before the key's layout
        dest = mixed_view(v, key)
        if not native(dest.format):
            raise Skip()
        check_structure(dest, src)
        scatter(ndarray(dest, getbuf=PyBUF_FULL), src.tobytes())
        return
    if v.readonly:
        raise TypeError("cannot modify read-only memory")
    ints = isinstance(key, int) or (isinstance(key, tuple) and all(isinstance(k, int) for k in key))
    idx = ((key,) if isinstance(key, int) else key) if ints else None
    if not native(v.format) and "format" in str(first):
        # item assignment for a non-native format: _testbuffer packs through struct
        if not ints or len(idx) != v.ndim or v.ndim == 0 or v.suboffsets:
            raise Skip()
        for d, i in enumerate(idx):
            bounds(v, d, i)
        try:
            # validate first: _testbuffer may write part of an item before failing
            struct.pack(v.format, val)
        except Exception as e:  # noqa: BLE001
            if v.format.lstrip("@") == "e":
                # 3.12+ packs 'e' natively, with memoryview's messages
                if "not a float" in str(e) or isinstance(e, TypeError):
                    raise TypeError("memoryview: invalid type for format 'e'")
                raise ValueError("memoryview: invalid value for format 'e'")
            if "argument out of range" in str(e):
                raise Skip()  # 3.11's struct message; 3.14's differs (struct crate's concern)
            raise
        nd = ndarray(memoryview(v), getbuf=PyBUF_FULL)
        for d, i in enumerate(idx[:-1]):
            nd = nd[bounds(v, d, i)]
        nd[bounds(v, len(idx) - 1, idx[-1])] = val
        return
    if v.suboffsets:
        raise Skip()
    if ints:
        if len(idx) > v.ndim:
            raise TypeError("cannot index %d-dimension view with %d-element tuple" % (v.ndim, len(idx)))
        if not isinstance(val, (bytes, memoryview)):
            raise TypeError("a bytes-like object is required, not '%s'" % type(val).__name__)
        nd = ndarray(memoryview(v), getbuf=PyBUF_FULL)
        for d, i in enumerate(idx):
            nd = nd[bounds(v, d, i)]
        dest = memoryview(nd)
    else:
        if not isinstance(val, (bytes, memoryview)):
            raise TypeError("a bytes-like object is required, not '%s'" % type(val).__name__)
        keys = key if isinstance(key, tuple) else (key,)
        if len(keys) > v.ndim:
            raise TypeError("cannot index %d-dimension view with %d-element tuple" % (v.ndim, len(keys)))
        nd = ndarray(memoryview(v), getbuf=PyBUF_FULL)
        dest = memoryview(nd[keys])
    src = memoryview(val)
    check_structure(dest, src)
    data = src.tobytes()  # the whole source is read before writing: memmove semantics
    scatter(ndarray(dest, getbuf=PyBUF_FULL), data)


def check_structure(dest, src):
    df = dest.format.lstrip("@")
    sf = src.format.lstrip("@")
    if df != sf or dest.itemsize != src.itemsize or dest.ndim != src.ndim or not same_shape(dest.shape, src.shape):
        raise ValueError("memoryview assignment: lvalue and rvalue have different structures")


def scatter(nd, data):
    m = memoryview(nd)
    if not native(m.format):
        raise Skip()  # 3.11 cannot cast bytes to this format to write them
    if m.ndim == 0 or 0 in m.shape:
        if m.ndim == 0:
            m[()] = memoryview(data).cast("B").cast(m.format)[0]
        return
    if m.ndim == 1:
        m[:] = memoryview(data).cast("B").cast(m.format)
        return
    per = len(data) // m.shape[0]
    for i in range(m.shape[0]):
        scatter(nd[i], data[i * per:(i + 1) * per])


def same_shape(a, b):
    for x, y in zip(a, b):
        if x != y:
            return False
        if x == 0:
            break
    return True


def count(v, x):
    if v.ndim == 0:
        raise TypeError("invalid indexing of 0-dim memory")
    if v.ndim > 1:
        raise NotImplementedError("multi-dimensional sub-views are not implemented")
    return sum(1 for item in ext_tolist(v) if item == x)


def index(v, x, start, stop):
    v.nbytes
    if v.ndim == 0:
        raise TypeError("invalid lookup on 0-dim memory")
    if v.ndim > 1:
        raise NotImplementedError("multi-dimensional lookup is not implemented")
    n = v.shape[0]
    start = 0 if start is None else start
    stop = sys.maxsize if stop is None else stop
    if start < 0:
        start = max(start + n, 0)
    if stop < 0:
        stop = max(stop + n, 0)
    stop = min(stop, n)
    for i in range(start, stop):
        if ext_get(v, i) == x:
            return i
    raise ValueError("memoryview.index(x): x not found")


def ev(text):
    return eval(text, {"nan": float("nan"), "inf": float("inf")})


def run(case):
    KEEP.clear()
    fmt = case["fmt"]
    isz = struct.calcsize(fmt)
    data = bytes.fromhex(case["data"])
    items = [one(struct.unpack(fmt, data[i:i + isz])) for i in range(0, len(data), isz)]
    flags = (ND_WRITABLE if case["writable"] else 0) | (ND_PIL if case["pil"] else 0)
    kw = {}
    if case["strides"] is not None:
        kw["strides"] = case["strides"]
    if case["shape"] == []:
        items = items[0]
    try:
        nd = ndarray(items, shape=case["shape"], offset=case["offset"], format=fmt, flags=flags, **kw)
    except Exception as e:  # noqa: BLE001
        return ["build:" + err(e)]
    views = {"m": memoryview(nd)}
    res = ["build:ok"]
    for k, op in enumerate(case["ops"]):
        name = "v%d" % k
        o = op["op"]
        v = views.get(op.get("v", "m"))
        if v is None or ("w" in op and op["w"] not in views) or ("src" in op and op["src"] not in views):
            res.append("missing")
            continue
        try:
            if o == "desc":
                r = describe(v)
            elif o == "get":
                x = ext_get(v, to_key(op["key"]))
                if isinstance(x, memoryview):
                    views[name] = x
                    r = "view:" + describe(x)
                else:
                    r = repr(x)
            elif o == "set":
                val = views[op["src"]] if "src" in op else ev(op["val"])
                ext_set(v, to_key(op["key"]), val)
                r = "done;" + memoryview(nd).tobytes().hex()
            elif o == "cast":
                x = v.cast(op["fmt"], op["shape"]) if op["shape"] is not None else v.cast(op["fmt"])
                views[name] = x
                r = describe(x)
            elif o == "hex":
                if op["sep"] == "None":
                    r = v.hex(bytes_per_sep=op["n"])  # sep omitted
                else:
                    r = v.hex(ev(op["sep"]), op["n"])
            elif o == "eq":
                r = repr(v == views[op["w"]])
            elif o == "hash":
                if v.obj is not nd:
                    # A view the model built (ndarray re-export, from_layout) has another
                    # obj than pymemory's, whose view of nd: hash(m) hashes m.obj first.
                    raise Skip()
                r = repr(hash(v))
            elif o == "count":
                r = repr(count(v, ev(op["val"])))
            elif o == "index":
                r = repr(index(v, ev(op["val"]), op["start"], op["stop"]))
            elif o == "toreadonly":
                x = v.toreadonly()
                views[name] = x
                r = describe(x)
            elif o == "release":
                v.release()
                r = "released"
            elif o == "iter":
                try:
                    xs = list(v)
                except NotImplementedError:
                    if v.ndim > 1:
                        xs = ["view"] * v.shape[0]
                    else:
                        xs = ext_tolist(v)
                r = repr([x if not isinstance(x, memoryview) else "view" for x in xs])
            else:
                r = "unknown op"
            res.append("ok:" + r)
        except Skip:
            res.append("skip")
        except Exception as e:  # noqa: BLE001
            res.append(err(e))
    return res


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        try:
            out = run(case)
        except Exception as e:  # noqa: BLE001
            out = ["harness:" + err(e)]
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
