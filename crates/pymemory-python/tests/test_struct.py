"""pymemory.struct against the builtin struct module on seeded random cases.

Each case mirrors a Python expression (``struct.pack(fmt, *values)``,
``struct.unpack(fmt, data)``, ...) and compares the result, or the exception class and
message, with the builtin. Known CPython 3.11 vs 3.14 message differences (pymemory
follows 3.14) are normalised in ``same_error``.
"""

import random
import re
import struct

import pytest

import pymemory
from pymemory import struct as pstruct

SEED = 20261125
CODES_STD = "xcbB?hHiIlLqQefdsp"
CODES_NATIVE = CODES_STD + "nNP"


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - any exception is an outcome to compare
        return ("err", type(e), str(e))


def same_error(ours, theirs):
    _, ot, om = ours
    _, tt, tm = theirs
    if tt is struct.error:
        if ot is not pstruct.error or not issubclass(ot, struct.error):
            return False
    elif ot is not tt:
        return False
    if om == tm:
        return True
    # 3.11 says "argument out of range"; 3.12+ names the format's range.
    if tm in ("argument out of range", "int too large to convert") and re.fullmatch(r"'.' format requires .*", om):
        return True
    # 3.11 names some ranges by C type ("short format requires ..."); 3.12+ by code.
    m_t = re.fullmatch(r"\w+ format requires (.*)", tm)
    m_o = re.fullmatch(r"'.' format requires (.*)", om)
    if m_t and m_o and m_t.group(1) == m_o.group(1):
        return True
    return False


def same(ours, theirs):
    if theirs[0] == "ok":
        return ours[0] == "ok" and repr(ours[1]) == repr(theirs[1])
    return ours[0] == "err" and same_error(ours, theirs)


def random_format(rng):
    prefix = rng.choice(["", "@", "=", "<", ">", "!"])
    codes = CODES_NATIVE if prefix in ("", "@") else CODES_STD
    parts = []
    for _ in range(rng.randint(0, 4)):
        count = rng.choice(["", "", "", "0", "1", "2", "3", str(rng.randint(4, 9))])
        parts.append(count + rng.choice(codes))
    if rng.random() < 0.03:
        parts.append(rng.choice(["Z", "$", "3", " ", "T{i}", "(2)i", "4"]))
    return prefix + "".join(parts)


INT_VALUES = [0, 1, -1, 127, 128, -128, -129, 255, 256, 2**15, -(2**15) - 1, 2**16,
              2**31 - 1, 2**31, -(2**31) - 1, 2**32, 2**63 - 1, 2**63, -(2**63) - 1,
              2**64, 2**100, -(2**100), True, False]
OTHER_VALUES = [1.5, -0.0, float("inf"), float("nan"), 1e300, 65504.0, 65520.0, 3.4e38,
                3.5e38, b"", b"a", b"ab", b"abcdefghij", bytearray(b"x"), "a", None, [],
                1j, 2**2000]


def random_value(rng, code):
    r = rng.random()
    if r < 0.15:
        return rng.choice(OTHER_VALUES + INT_VALUES)
    if code in "bBhHiIlLqQnNP":
        return rng.choice(INT_VALUES) if r < 0.5 else rng.randint(-(2**65), 2**65) >> rng.randint(0, 64)
    if code in "efd":
        return rng.choice([rng.uniform(-1e6, 1e6), rng.choice(OTHER_VALUES[:8]), rng.randint(-10, 10)])
    if code in "sp":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
    if code == "c":
        return bytes([rng.randrange(256)])
    if code == "?":
        return rng.choice([0, 1, True, False, "", "x", [], [1], None, 2.5])
    return 0


def values_for(rng, fmt):
    try:
        n = len(struct.unpack(fmt, bytes(struct.calcsize(fmt))))
        codes = []
        for m in re.finditer(r"(\d*)([a-zA-Z?])", fmt.lstrip("@=<>!")):
            count = int(m.group(1) or 1)
            code = m.group(2)
            if code == "x":
                continue
            codes.extend([code] * (1 if code in "sp" else count))
    except Exception:  # noqa: BLE001
        n, codes = rng.randint(0, 3), []
    if rng.random() < 0.05:
        n += rng.choice([-1, 1])
    return [random_value(rng, codes[i] if i < len(codes) else "i") for i in range(max(n, 0))]


def test_error_is_struct_error_subclass():
    assert issubclass(pstruct.error, struct.error)
    assert pstruct.error.__module__ == "pymemory.struct"
    with pytest.raises(struct.error):
        pstruct.pack("B", 256)
    assert pymemory.struct is pstruct


def test_non_ascii_formats_raise_what_struct_raises():
    # struct.calcsize(fmt) / struct.Struct(fmt) for str formats (UnicodeEncodeError naming
    # the first non-ASCII run) and bytes formats (a bad char), exception type and args.
    for fmt in ["\xe9", "i\xe9\xe9", "\u20acx", "\U0001f600", "T{\xe9}", b"\xe9", b"3\xe9", b"i\xff"]:
        for call in (lambda m: m.calcsize(fmt), lambda m: m.Struct(fmt)):
            with pytest.raises(Exception) as want:
                call(struct)
            with pytest.raises(Exception) as got:
                call(pstruct)
            assert isinstance(got.value, type(want.value)), (fmt, got.value, want.value)
            assert got.value.args == want.value.args, fmt


def test_pack_and_calcsize_conformance():
    rng = random.Random(SEED)
    cases = 0
    for case in range(4000):
        fmt = random_format(rng)
        values = values_for(rng, fmt)
        # struct.calcsize(fmt)
        ours, theirs = outcome(lambda: pstruct.calcsize(fmt)), outcome(lambda: struct.calcsize(fmt))
        assert same(ours, theirs), (SEED, case, "calcsize", fmt, ours, theirs)
        # struct.pack(fmt, *values)
        if fmt.endswith("0p") or "0p" in fmt:
            continue  # 3.11 SystemError (gh-124248); 3.14 packs b''
        ours, theirs = outcome(lambda: pstruct.pack(fmt, *values)), outcome(lambda: struct.pack(fmt, *values))
        assert same(ours, theirs), (SEED, case, "pack", fmt, values, ours, theirs)
        cases += 2
    assert cases > 5000


def test_unpack_conformance():
    rng = random.Random(SEED + 1)
    for case in range(3000):
        fmt = random_format(rng)
        if "0p" in fmt:
            continue
        try:
            size = struct.calcsize(fmt)
        except Exception:  # noqa: BLE001
            size = rng.randint(0, 8)
        n = size + rng.choice([0, 0, 0, -1, 1])
        data = bytes(rng.randrange(256) for _ in range(max(n, 0)))
        ours, theirs = outcome(lambda: pstruct.unpack(fmt, data)), outcome(lambda: struct.unpack(fmt, data))
        assert same(ours, theirs), (SEED + 1, case, "unpack", fmt, data, ours, theirs)
        # struct.unpack_from(fmt, data, offset)
        buf = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        off = rng.randint(-45, 45)
        ours = outcome(lambda: pstruct.unpack_from(fmt, buf, off))
        theirs = outcome(lambda: struct.unpack_from(fmt, buf, off))
        assert same(ours, theirs), (SEED + 1, case, "unpack_from", fmt, buf, off, ours, theirs)
        # list(struct.iter_unpack(fmt, data * k))
        blob = data * rng.randint(0, 3)
        ours = outcome(lambda: list(pstruct.iter_unpack(fmt, blob)))
        theirs = outcome(lambda: list(struct.iter_unpack(fmt, blob)))
        assert same(ours, theirs), (SEED + 1, case, "iter_unpack", fmt, blob, ours, theirs)


def test_pack_into_conformance():
    rng = random.Random(SEED + 2)
    for case in range(2000):
        fmt = random_format(rng)
        if "0p" in fmt:
            continue
        values = values_for(rng, fmt)
        size = rng.randint(0, 40)
        init = bytes(rng.randrange(256) for _ in range(size))
        off = rng.randint(-45, 45)
        a, b = bytearray(init), bytearray(init)
        ours = outcome(lambda: pstruct.pack_into(fmt, a, off, *values))
        theirs = outcome(lambda: struct.pack_into(fmt, b, off, *values))
        assert same(ours, theirs), (SEED + 2, case, "pack_into", fmt, values, off, ours, theirs)
        assert a == b, (SEED + 2, case, fmt, values, off)


def test_struct_object_and_argument_errors():
    s, t = pstruct.Struct("<hd"), struct.Struct("<hd")
    assert (s.format, s.size) == (t.format, t.size)
    assert s.pack(1, 2.5) == t.pack(1, 2.5)
    assert s.unpack(t.pack(-3, 0.25)) == (-3, 0.25)
    assert s.unpack_from(b"\0\0" + t.pack(7, 1.0), 2) == (7, 1.0)
    assert s.unpack_from(buffer=t.pack(7, 1.0), offset=0) == (7, 1.0)
    assert list(s.iter_unpack(t.pack(1, 1.0) * 3)) == [(1, 1.0)] * 3
    it = s.iter_unpack(t.pack(1, 1.0) * 3)
    assert it.__length_hint__() == 3
    ba = bytearray(10)
    s.pack_into(ba, 0, 5, 5.0)
    assert bytes(ba) == t.pack(5, 5.0)
    assert pstruct.Struct(b"i").format == struct.Struct(b"i").format
    calls = [
        lambda m: m.unpack("b", "a"),
        lambda m: m.pack_into("b", b"a", 0, 1),
        lambda m: m.pack(1),
        lambda m: m.Struct(1),
        lambda m: m.pack(),
        lambda m: m.pack_into("b"),
        lambda m: m.pack_into("b", bytearray(1)),
        lambda m: m.pack_into("b", bytearray(1), "x", 1),
        lambda m: m.unpack_from("b", b"a", offset=2**70),
        lambda m: m.unpack_from("b", b"a", 1.0),
        lambda m: m.iter_unpack("", b""),
        lambda m: m.iter_unpack("i", b"abc"),
        lambda m: m.unpack("i", memoryview(b"abcdefgh")[::2]),
        lambda m: m.unpack("b", memoryview(b"ab")[::2]),
        lambda m: m.unpack("i", __import__("array").array("i", [7])),
        lambda m: m.pack("\x00"),
        lambda m: m.calcsize(b"ii"),
        lambda m: m.pack("?", object()),
        lambda m: m.pack("i", __import__("fractions").Fraction(1, 2)),
        lambda m: m.pack("d", __import__("fractions").Fraction(1, 2)),
        lambda m: m.pack("q", __import__("numpy").int64(5)),
    ]
    for i, call in enumerate(calls):
        ours, theirs = outcome(lambda: call(pstruct)), outcome(lambda: call(struct))
        assert same(ours, theirs), (i, ours, theirs)
