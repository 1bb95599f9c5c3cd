//! Named CPython behaviours from the struct docs and tests, one per test; each says the
//! Python expression it mirrors (results from CPython 3.14).

use pymemory_struct::{
    Dialect, ExceptionKind, Format, Struct, Value, calcsize, iter_unpack, pack, pack_into, unpack,
    unpack_from,
};

fn err(r: Result<impl std::fmt::Debug, pymemory_struct::Error>) -> String {
    r.map_or_else(|e| e.to_string(), |v| format!("ok {v:?}"))
}

fn ints(v: &[i128]) -> Vec<Value> {
    v.iter().map(|&i| Value::Int(i)).collect()
}

#[test]
fn range_errors_use_the_3_14_wording() {
    // struct.pack('h', 40000) and friends (3.12+ wording, gh-98248).
    assert_eq!(
        err(pack("h", &ints(&[40000]))),
        "struct.error: 'h' format requires -32768 <= number <= 32767"
    );
    assert_eq!(
        err(pack("B", &ints(&[-1]))),
        "struct.error: 'B' format requires 0 <= number <= 255"
    );
    assert_eq!(
        err(pack("b", &ints(&[128]))),
        "struct.error: 'b' format requires -128 <= number <= 127"
    );
    assert_eq!(
        err(pack("<Q", &ints(&[-1]))),
        "struct.error: 'Q' format requires 0 <= number <= 18446744073709551615"
    );
    assert_eq!(
        err(pack(">q", &ints(&[1 << 63]))),
        "struct.error: 'q' format requires -9223372036854775808 <= number <= 9223372036854775807"
    );
    assert_eq!(
        err(pack("l", &ints(&[1 << 63]))),
        "struct.error: 'l' format requires -9223372036854775808 <= number <= 9223372036854775807"
    );
    assert_eq!(
        err(pack("<l", &ints(&[1 << 31]))),
        "struct.error: 'l' format requires -2147483648 <= number <= 2147483647"
    );
    assert_eq!(
        err(pack("P", &ints(&[1 << 64]))),
        "struct.error: int too large to convert"
    );
    assert_eq!(pack("P", &ints(&[-1])).unwrap(), [0xff; 8]);
}

#[test]
fn float_codes() {
    // struct.pack('<e', 65520.0) -> OverflowError; 65519.99 rounds down to 65504.
    assert_eq!(
        err(pack("<e", &[Value::Float(65520.0)])),
        "OverflowError: float too large to pack with e format"
    );
    assert_eq!(pack("<e", &[Value::Float(65519.99)]).unwrap(), [0xff, 0x7b]);
    // Round half to even: 2049 is halfway between the halves 2048 and 2050.
    assert_eq!(
        pack("<e", &[Value::Float(2049.0)]).unwrap(),
        pack("<e", &[Value::Float(2048.0)]).unwrap()
    );
    assert_eq!(
        pack("<e", &[Value::Float(2051.0)]).unwrap(),
        pack("<e", &[Value::Float(2052.0)]).unwrap()
    );
    // struct.pack('e', 100000) -> struct.error: int too large to convert
    assert_eq!(
        err(pack("e", &ints(&[100_000]))),
        "struct.error: int too large to convert"
    );
    assert_eq!(
        err(pack("<f", &[Value::Float(1e300)])),
        "OverflowError: float too large to pack with f format"
    );
    // Native 'f' is a C cast: struct.pack('f', 1e300) == struct.pack('f', inf)
    assert_eq!(
        pack("f", &[Value::Float(1e300)]).unwrap(),
        pack("f", &[Value::Float(f64::INFINITY)]).unwrap()
    );
    assert_eq!(pack("<d", &ints(&[1])).unwrap(), 1f64.to_le_bytes());
    // NaN in 'e': sign and the top payload bits survive (3.14; 3.11 canonicalises).
    assert_eq!(pack("<e", &[Value::Float(f64::NAN)]).unwrap(), [0x00, 0x7e]);
    assert_eq!(
        pack("<e", &[Value::Float(-f64::NAN)]).unwrap(),
        [0x00, 0xfe]
    );
    let payload = f64::from_bits(0x7fff_70b8_6000_0000);
    assert_eq!(pack("<e", &[Value::Float(payload)]).unwrap(), [0xdc, 0x7f]);
    assert_eq!(
        err(pack("d", &[Value::Str("1".into())])),
        "struct.error: required argument is not a float"
    );
    assert_eq!(
        err(pack("i", &[Value::Float(1.0)])),
        "struct.error: required argument is not an integer"
    );
}

#[test]
fn strings_chars_and_bools() {
    // struct.pack('3s', b'abcdef') == b'abc'; struct.pack('5s', b'ab') == b'ab\0\0\0'
    assert_eq!(
        pack("3s", &[Value::Bytes(b"abcdef".to_vec())]).unwrap(),
        b"abc"
    );
    assert_eq!(
        pack("5s", &[Value::Bytes(b"ab".to_vec())]).unwrap(),
        b"ab\0\0\0"
    );
    // struct.pack('4p', b'abcdef') == b'\x03abc'
    assert_eq!(
        pack("4p", &[Value::Bytes(b"abcdef".to_vec())]).unwrap(),
        b"\x03abc"
    );
    // 'p' length byte saturates at 255.
    let long = pack("300p", &[Value::Bytes(vec![b'x'; 400])]).unwrap();
    assert_eq!((long[0], long.len()), (255, 300));
    // 3.14 (not 3.11, which raises SystemError): struct.unpack('0p', b'') == (b'',)
    assert_eq!(unpack("0p", b"").unwrap(), [Value::Bytes(vec![])]);
    assert_eq!(
        pack("0pb", &[Value::Bytes(b"zz".to_vec()), Value::Int(5)]).unwrap(),
        [5]
    );
    assert_eq!(
        err(pack("c", &[Value::Bytes(b"ab".to_vec())])),
        "struct.error: char format requires a bytes object of length 1"
    );
    assert_eq!(
        err(pack("s", &[Value::Str("a".into())])),
        "struct.error: argument for 's' must be a bytes object"
    );
    // struct.pack('?', []) == b'\0'; struct.pack('?', float('nan')) == b'\1'
    assert_eq!(pack("?", &[Value::List(vec![])]).unwrap(), [0]);
    assert_eq!(pack("?", &[Value::Float(f64::NAN)]).unwrap(), [1]);
    assert_eq!(unpack("?", &[2]).unwrap(), [Value::Bool(true)]);
}

#[test]
fn argument_counts_and_buffers() {
    assert_eq!(
        err(pack("ii", &ints(&[1]))),
        "struct.error: pack expected 2 items for packing (got 1)"
    );
    let mut buf = [0u8; 8];
    assert_eq!(
        err(pack_into("i", &mut buf, 0, &[])),
        "struct.error: pack_into expected 1 items for packing (got 0)"
    );
    assert_eq!(
        err(pack_into("i", &mut buf, -2, &ints(&[1]))),
        "struct.error: no space to pack 4 bytes at offset -2"
    );
    assert_eq!(
        err(pack_into("i", &mut buf, -10, &ints(&[1]))),
        "struct.error: offset -10 out of range for 8-byte buffer"
    );
    assert_eq!(
        err(pack_into("i", &mut buf, 6, &ints(&[1]))),
        "struct.error: pack_into requires a buffer of at least 10 bytes for packing 4 bytes at offset 6 (actual buffer size is 8)"
    );
    pack_into("<h", &mut buf, -2, &ints(&[-2])).unwrap();
    assert_eq!(buf[6..], [0xfe, 0xff]);
    assert_eq!(
        err(unpack_from("i", &buf, -2)),
        "struct.error: not enough data to unpack 4 bytes at offset -2"
    );
    assert_eq!(
        err(unpack_from("i", &buf, -9)),
        "struct.error: offset -9 out of range for 8-byte buffer"
    );
    assert_eq!(
        err(unpack_from("i", &buf, 5)),
        "struct.error: unpack_from requires a buffer of at least 9 bytes for unpacking 4 bytes at offset 5 (actual buffer size is 8)"
    );
    assert_eq!(unpack_from("<h", &buf, -2).unwrap(), ints(&[-2]));
    assert_eq!(
        err(unpack("i", b"abc")),
        "struct.error: unpack requires a buffer of 4 bytes"
    );
}

#[test]
fn iter_unpack_rules() {
    // list(struct.iter_unpack('<h', b'\1\0\2\0')) == [(1,), (2,)]
    let records: Vec<_> = iter_unpack("<h", b"\x01\x00\x02\x00")
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records, [ints(&[1]), ints(&[2])]);
    assert_eq!(iter_unpack("<h", b"").unwrap().len(), 0);
    assert_eq!(
        err(iter_unpack("", b"").map(|_| ())),
        "struct.error: cannot iteratively unpack with a struct of length 0"
    );
    assert_eq!(
        err(iter_unpack("i", b"abc").map(|_| ())),
        "struct.error: iterative unpacking requires a buffer of a multiple of 4 bytes"
    );
    let mut it = Struct::new("<bb")
        .unwrap()
        .iter_unpack(b"\x01\x02\x03\x04")
        .unwrap();
    let mut out = Vec::new();
    assert!(it.next_into(&mut out).unwrap());
    assert_eq!(out, ints(&[1, 2]));
    assert!(it.next_into(&mut out).unwrap());
    assert!(!it.next_into(&mut out).unwrap());
}

#[test]
fn sizes_overflow_into_errors_not_panics() {
    assert_eq!(
        err(calcsize("99999999999999999999i")),
        "struct.error: total struct size too long"
    );
    assert_eq!(
        err(calcsize("4611686018427387904q")),
        "struct.error: total struct size too long"
    );
    assert_eq!(
        err(pack("9223372036854775807x", &[])),
        "OverflowError: byte string is too large"
    );
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri aborts on huge allocations instead of failing them"
)]
fn unallocatable_sizes_are_memory_errors() {
    // struct.pack('1152921504606846976x') -> MemoryError (a valid format, 1 EiB).
    assert_eq!(
        pack("1152921504606846976x", &[]).unwrap_err().kind(),
        ExceptionKind::MemoryError
    );
}

#[test]
fn struct_object_api() {
    // s = struct.Struct('<iHd'); (s.format, s.size) == ('<iHd', 14)
    let s = Struct::new("<iHd").unwrap();
    assert_eq!((s.format(), s.size()), ("<iHd", 14));
    let bytes = s
        .pack(&[Value::Int(-1), Value::Int(65535), Value::Float(0.25)])
        .unwrap();
    assert_eq!(
        Value::Tuple(s.unpack(&bytes).unwrap()).to_string(),
        "(-1, 65535, 0.25)"
    );
    assert_eq!(s.compiled().native_code(), None);
    assert_eq!(
        Format::parse("@d", Dialect::Struct).unwrap().native_code(),
        Some('d')
    );
}

/// `int(s, 0)` for a literal outside `i128`.
fn big(text: &str) -> Value {
    let v = Value::parse_literal(text).expect("int literal");
    assert!(matches!(v, Value::BigInt(_)), "{text}");
    v
}

#[test]
fn ints_beyond_i128_are_exact_in_float_codes() {
    let two200 = big(&format!("0x1{}", "0".repeat(50)));
    let ten400 = big(&format!("1{}", "0".repeat(400)));
    // struct.pack('<d', 2**200) == struct.pack('<d', 2.0**200): packed exactly, not clamped.
    assert_eq!(
        pack("<d", std::slice::from_ref(&two200)).unwrap(),
        2f64.powi(200).to_le_bytes()
    );
    // struct.pack('<d', -(2**200))
    let neg = Value::parse_literal(&format!("-{two200}")).unwrap();
    assert_eq!(
        pack("<d", &[neg]).unwrap(),
        (-(2f64.powi(200))).to_le_bytes()
    );
    // struct.pack('d', 10**400): int.__float__ overflows; CPython reports "not a float".
    assert_eq!(
        err(pack("d", std::slice::from_ref(&ten400))),
        "struct.error: required argument is not a float"
    );
    // struct.pack('<f', 2**200) / struct.pack('<e', 2**200): PyFloat_Pack4/2 overflow,
    // which the pack loop rewrites for an int argument.
    for fmt in ["<f", ">f", "=f", "<e", "e", "!e"] {
        assert_eq!(
            err(pack(fmt, std::slice::from_ref(&two200))),
            "struct.error: int too large to convert",
            "{fmt}"
        );
    }
    // struct.pack('f', 2**200): the native code is a C cast, so inf.
    assert_eq!(
        pack("f", std::slice::from_ref(&two200)).unwrap(),
        f32::INFINITY.to_ne_bytes()
    );
    // struct.pack('?', 10**400) == b'\x01'
    assert_eq!(pack("?", std::slice::from_ref(&ten400)).unwrap(), [1]);
    // The 3.14 complex codes: struct.pack('<D', 2**200), '<F' overflows like '<f',
    // native 'F' casts to inf, and 10**400 is "not a complex".
    let mut d = 2f64.powi(200).to_le_bytes().to_vec();
    d.extend(0f64.to_le_bytes());
    assert_eq!(pack("<D", std::slice::from_ref(&two200)).unwrap(), d);
    assert_eq!(
        err(pack("<F", std::slice::from_ref(&two200))),
        "struct.error: int too large to convert"
    );
    let mut f = f32::INFINITY.to_ne_bytes().to_vec();
    f.extend(0f32.to_ne_bytes());
    assert_eq!(pack("F", std::slice::from_ref(&two200)).unwrap(), f);
    assert_eq!(
        err(pack("<D", &[ten400])),
        "struct.error: required argument is not a complex"
    );
}

#[test]
fn ints_beyond_i128_get_the_integer_range_errors() {
    // struct.pack('<Q', 2**200), struct.pack('b', -(2**200)), struct.pack('P', 2**128)
    let two200 = big(&format!("0x1{}", "0".repeat(50)));
    let neg = Value::parse_literal(&format!("-{two200}")).unwrap();
    assert_eq!(
        err(pack("<Q", std::slice::from_ref(&two200))),
        "struct.error: 'Q' format requires 0 <= number <= 18446744073709551615"
    );
    assert_eq!(
        err(pack("b", std::slice::from_ref(&neg))),
        "struct.error: 'b' format requires -128 <= number <= 127"
    );
    assert_eq!(
        err(pack(">q", &[neg])),
        "struct.error: 'q' format requires -9223372036854775808 <= number <= 9223372036854775807"
    );
    assert_eq!(
        err(pack("P", &[big("340282366920938463463374607431768211456")])),
        "struct.error: int too large to convert"
    );
    // struct.pack('i', '2**200') is still a type error, not a range error.
    assert_eq!(
        err(pack("i", &[Value::Str("x".into())])),
        "struct.error: required argument is not an integer"
    );
}
