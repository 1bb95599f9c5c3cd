//! Behaviour tests for `Array` and `ByteArray`: Python expressions with known CPython
//! 3.14 results, including what the 3.11 oracle cannot check ('w', `clear()`,
//! `bytearray.resize()`, the 3.13+ messages), and the export (resize) lock.

use pymemory_buffer::Slice;
use pymemory_buffer::array::{Array, CompareOp};
use pymemory_buffer::bytearray::ByteArray;
use pymemory_buffer::{BufferExporter, BufferFlags, ExceptionKind};
use pymemory_struct::Value;

fn int(i: i128) -> Value {
    Value::Int(i)
}

fn err<T: std::fmt::Debug>(r: pymemory_struct::Result<T>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn repr_matches_python() {
    // repr(array('i', [1, 2, 3])), repr(array('d')), repr(array('u', 'hi'))
    assert_eq!(
        Array::from_slice(&[1i32, 2, 3]).to_string(),
        "array('i', [1, 2, 3])"
    );
    assert_eq!(Array::new('d').unwrap().to_string(), "array('d')");
    assert_eq!(
        Array::from_str('u', "hi").unwrap().to_string(),
        "array('u', 'hi')"
    );
    assert_eq!(
        Array::from_str('w', "it's").unwrap().to_string(),
        "array('w', \"it's\")"
    );
    // array('f', [0.1]) shows the float32 value; array('d', [nan, -inf, -0.0])
    assert_eq!(
        Array::from_slice(&[0.1f32]).to_string(),
        "array('f', [0.10000000149011612])"
    );
    assert_eq!(
        Array::from_slice(&[f64::NAN, f64::NEG_INFINITY, -0.0]).to_string(),
        "array('d', [nan, -inf, -0.0])"
    );
    assert_eq!(
        Array::from_slice(&[u64::MAX]).to_string(),
        "array('Q', [18446744073709551615])"
    );
}

#[test]
fn typecodes_and_itemsizes() {
    // [array(c).itemsize for c in 'bBuwhHiIlLqQfd'] on 64-bit Linux
    let sizes: Vec<usize> = "bBuwhHiIlLqQfd"
        .chars()
        .map(|c| Array::new(c).unwrap().itemsize())
        .collect();
    assert_eq!(sizes, [1, 1, 4, 4, 2, 2, 4, 4, 8, 8, 8, 8, 4, 8]);
    // array('x'): 3.14 lists 'w' in the message
    assert_eq!(
        err(Array::new('x')),
        "ValueError: bad typecode (must be b, B, u, w, h, H, i, I, l, L, q, Q, f or d)"
    );
    // array('x', 'abc'): the str check comes first
    assert_eq!(
        err(Array::from_str('x', "abc")),
        "TypeError: cannot use a str to initialize an array with typecode 'x'"
    );
}

#[test]
fn unicode_typecodes_follow_3_13_messages() {
    let w = Array::new('w').unwrap();
    // array('w').append(1)
    assert_eq!(
        err(w.append(&int(1))),
        "TypeError: array item must be a unicode character, not int"
    );
    // array('w').append('ab')
    assert_eq!(
        err(w.append(&Value::Str("ab".into()))),
        "TypeError: array item must be a unicode character, not a string of length 2"
    );
    w.append(&Value::Str("😀".into())).unwrap();
    assert_eq!(w.tounicode().unwrap(), "😀");
    assert_eq!(w.tobytes(), 0x1f600u32.to_ne_bytes());
    // array('i').fromunicode('a')
    assert_eq!(
        err(Array::new('i').unwrap().fromunicode("a")),
        "ValueError: fromunicode() may only be called on unicode type arrays ('u' or 'w')"
    );
    assert_eq!(
        err(Array::new('i').unwrap().tounicode()),
        "ValueError: tounicode() may only be called on unicode type arrays ('u' or 'w')"
    );
    // array('w', b'\xff\xff\xff\xff').tolist() -> ValueError (not a code point)
    let bad = Array::from_bytes('w', &[0xff; 4]).unwrap();
    assert_eq!(bad.tolist().unwrap_err().kind(), ExceptionKind::ValueError);
    assert_eq!(bad.to_string(), "array('w', '\u{fffd}')");
}

#[test]
fn clear_is_3_13_behaviour() {
    // a = array('i', [1, 2]); a.clear(); a
    let a = Array::from_slice(&[1i32, 2]);
    a.clear().unwrap();
    assert_eq!(a.to_string(), "array('i')");
    assert_eq!(a.buffer_info(), (0, 0));
    // m = memoryview(a); a.clear() on an empty array is fine, refused once non-empty
    let raw = a.get_buffer(BufferFlags::FULL_RO).unwrap();
    a.clear().unwrap();
    assert_eq!(
        err(a.append(&int(1))),
        "BufferError: cannot resize an array that is exporting buffers"
    );
    drop(raw);
    a.append(&int(1)).unwrap();
    let raw = a.get_buffer(BufferFlags::SIMPLE).unwrap();
    assert_eq!(
        err(a.clear()),
        "BufferError: cannot resize an array that is exporting buffers"
    );
    drop(raw);
}

#[test]
fn integer_conversion_errors_are_cpythons() {
    let cases: &[(char, i128, &str)] = &[
        (
            'b',
            128,
            "OverflowError: signed char is greater than maximum",
        ),
        ('b', -129, "OverflowError: signed char is less than minimum"),
        (
            'b',
            40000,
            "OverflowError: signed short integer is greater than maximum",
        ),
        (
            'B',
            -1,
            "OverflowError: unsigned byte integer is less than minimum",
        ),
        (
            'h',
            1 << 63,
            "OverflowError: Python int too large to convert to C long",
        ),
        (
            'H',
            70000,
            "OverflowError: unsigned short is greater than maximum",
        ),
        (
            'H',
            1 << 40,
            "OverflowError: signed integer is greater than maximum",
        ),
        (
            'i',
            -(1 << 31) - 1,
            "OverflowError: signed integer is less than minimum",
        ),
        (
            'I',
            -1,
            "OverflowError: can't convert negative value to unsigned int",
        ),
        (
            'I',
            1 << 32,
            "OverflowError: unsigned int is greater than maximum",
        ),
        (
            'L',
            1 << 64,
            "OverflowError: Python int too large to convert to C unsigned long",
        ),
        ('q', 1 << 63, "OverflowError: int too big to convert"),
        (
            'Q',
            -1,
            "OverflowError: can't convert negative int to unsigned",
        ),
    ];
    for &(tc, v, msg) in cases {
        let a = Array::new(tc).unwrap();
        assert_eq!(err(a.append(&int(v))), msg, "array('{tc}').append({v})");
    }
    let a = Array::new('i').unwrap();
    assert_eq!(
        err(a.append(&Value::Float(1.0))),
        "TypeError: 'float' object cannot be interpreted as an integer"
    );
    let d = Array::new('d').unwrap();
    assert_eq!(
        err(d.append(&Value::Str("1".into()))),
        "TypeError: must be real number, not str"
    );
    // array('f', [1e300]) -> inf, as C's (float) cast
    let f = Array::from_values('f', &[Value::Float(1e300)]).unwrap();
    assert_eq!(f.to_string(), "array('f', [inf])");
}

#[test]
fn methods_match_python() {
    // a = array('h', [1, 2, 3, 2]); a.index(2), a.index(2, 2), a.count(2.0), a.pop(), a.pop(0)
    let a = Array::from_slice(&[1i16, 2, 3, 2]);
    assert_eq!(a.index(&int(2), None, None).unwrap(), 1);
    assert_eq!(a.index(&int(2), Some(2), None).unwrap(), 3);
    assert_eq!(a.index(&int(2), Some(-1), Some(4)).unwrap(), 3);
    assert_eq!(
        err(a.index(&int(2), Some(2), Some(3))),
        "ValueError: array.index(x): x not in array"
    );
    assert_eq!(a.count(&Value::Float(2.0)), 2);
    assert_eq!(a.count(&Value::Bool(true)), 1);
    assert!(a.contains(&Value::Complex { re: 3.0, im: 0.0 }));
    assert_eq!(a.pop(None).unwrap(), int(2));
    assert_eq!(a.pop(Some(0)).unwrap(), int(1));
    assert_eq!(err(a.pop(Some(5))), "IndexError: pop index out of range");
    a.insert(-100, &int(9)).unwrap();
    a.insert(100, &int(8)).unwrap();
    assert_eq!(a.to_string(), "array('h', [9, 2, 3, 8])");
    a.remove(&int(3)).unwrap();
    assert_eq!(
        err(a.remove(&int(3))),
        "ValueError: array.remove(x): x not in array"
    );
    a.reverse();
    assert_eq!(a.tolist().unwrap(), vec![int(8), int(2), int(9)]);
    a.byteswap();
    assert_eq!(a.to_vec::<i16>().unwrap(), [0x0800, 0x0200, 0x0900]);
    assert_eq!(
        err(Array::new('i').unwrap().pop(None)),
        "IndexError: pop from empty array"
    );
    assert_eq!(err(a.get(3)), "IndexError: array index out of range");
    assert_eq!(
        err(a.set(-4, &int(0))),
        "IndexError: array assignment index out of range"
    );
    // a.fromlist([1, 'x']) changes nothing
    let before = a.to_string();
    assert!(a.fromlist(&[int(1), Value::Str("x".into())]).is_err());
    assert_eq!(a.to_string(), before);
    // a.extend([1, 'x']) keeps the 1
    assert!(a.extend_values(&[int(1), Value::Str("x".into())]).is_err());
    assert_eq!(a.len(), 4);
}

#[test]
fn slices_match_python() {
    let a = Array::from_slice(&[0i32, 1, 2, 3, 4, 5]);
    // a[::-2], a[1:-1:2]
    assert_eq!(
        a.get_slice(Slice::new(None, None, Some(-2)))
            .unwrap()
            .to_string(),
        "array('i', [5, 3, 1])"
    );
    assert_eq!(
        a.get_slice(Slice::new(Some(1), Some(-1), Some(2)))
            .unwrap()
            .to_string(),
        "array('i', [1, 3])"
    );
    // a[::2] = array('i', [7]) -> ValueError
    assert_eq!(
        err(a.set_slice(Slice::new(None, None, Some(2)), &Array::from_slice(&[7i32]))),
        "ValueError: attempt to assign array of size 1 to extended slice of size 3"
    );
    // a[1:3] = array('d', [1.0]) -> TypeError
    assert_eq!(
        err(a.set_slice(
            Slice::new(Some(1), Some(3), None),
            &Array::from_slice(&[1.0f64])
        )),
        "TypeError: bad argument type for built-in operation"
    );
    // a[4:1] = array('i', [9, 9]) inserts at 4
    a.set_slice(
        Slice::new(Some(4), Some(1), None),
        &Array::from_slice(&[9i32, 9]),
    )
    .unwrap();
    assert_eq!(a.to_string(), "array('i', [0, 1, 2, 3, 9, 9, 4, 5])");
    // a[2:] = a
    a.set_slice(Slice::new(Some(2), None, None), &a.clone())
        .unwrap();
    assert_eq!(a.to_string(), "array('i', [0, 1, 0, 1, 2, 3, 9, 9, 4, 5])");
    // del a[::3]
    a.del_slice(Slice::new(None, None, Some(3))).unwrap();
    assert_eq!(a.to_string(), "array('i', [1, 0, 2, 3, 9, 4])");
    // del a[::-2]
    a.del_slice(Slice::new(None, None, Some(-2))).unwrap();
    assert_eq!(a.to_string(), "array('i', [1, 2, 9])");
    assert_eq!(
        err(a.get_slice(Slice::new(None, None, Some(0)))),
        "ValueError: slice step cannot be zero"
    );
}

#[test]
fn comparisons_follow_python_values() {
    let i = Array::from_slice(&[1i32, 2]);
    let d = Array::from_slice(&[1.0f64, 2.0]);
    // array('i', [1, 2]) == array('d', [1.0, 2.0])
    assert_eq!(i, d);
    // exact int/float comparison: array('q', [2**53 + 1]) == array('d', [2.0**53]) is False
    let big = Array::from_slice(&[(1i64 << 53) + 1]);
    let f = Array::from_slice(&[9_007_199_254_740_992.0f64]);
    assert_ne!(big, f);
    assert!(big.richcompare(&f, CompareOp::Gt).unwrap());
    // NaN never equals: a = array('d', [nan]); a == a is False
    let nan = Array::from_slice(&[f64::NAN]);
    assert!(nan != nan.clone());
    assert!(!nan.richcompare(&nan, CompareOp::Le).unwrap());
    // array('i', [1]) < array('w', 'a')
    let w = Array::from_str('w', "a").unwrap();
    assert_eq!(
        err(Array::from_slice(&[1i32]).richcompare(&w, CompareOp::Lt)),
        "TypeError: '<' not supported between instances of 'int' and 'str'"
    );
    assert!(
        !Array::from_slice(&[1i32])
            .richcompare(&w, CompareOp::Eq)
            .unwrap()
    );
    // prefix ordering: array('b', [1]) < array('B', [1, 0])
    assert!(
        Array::from_slice(&[1i8])
            .richcompare(&Array::from_slice(&[1u8, 0]), CompareOp::Lt)
            .unwrap()
    );
}

#[test]
fn concat_and_repeat() {
    let a = Array::from_slice(&[1u8, 2]);
    assert_eq!(
        a.concat(&a).unwrap().to_string(),
        "array('B', [1, 2, 1, 2])"
    );
    assert_eq!(
        err(a.concat(&Array::from_slice(&[1i8]))),
        "TypeError: bad argument type for built-in operation"
    );
    assert_eq!(a.repeat(2).to_string(), "array('B', [1, 2, 1, 2])");
    assert_eq!(a.repeat(-1).to_string(), "array('B')");
    a.iadd(&a.clone()).unwrap();
    a.imul(2).unwrap();
    assert_eq!(a.len(), 8);
    assert_eq!(
        err(a.iadd(&Array::from_slice(&[1i8]))),
        "TypeError: can only extend with array of same kind"
    );
    a.imul(0).unwrap();
    assert!(a.is_empty());
}

#[test]
fn handles_share_and_copy_copies() {
    let a = Array::from_slice(&[1i32]);
    let b = a.clone(); // b = a
    b.append(&int(2)).unwrap();
    assert_eq!(a.len(), 2);
    assert!(a.ptr_eq(&b));
    let c = a.copy(); // c = copy.copy(a)
    c.append(&int(3)).unwrap();
    assert_eq!(a.len(), 2);
    assert!(!a.ptr_eq(&c));
    let items: Vec<Value> = a.iter().map(Result::unwrap).collect();
    assert_eq!(items, [int(1), int(2)]);
}

#[test]
fn typed_fast_paths() {
    let a = Array::new('l').unwrap();
    a.push(5i64).unwrap();
    a.extend_from_slice(&[6i64, 7]).unwrap();
    assert_eq!(a.to_vec::<i64>().unwrap(), [5, 6, 7]);
    assert_eq!(a.to_string(), "array('l', [5, 6, 7])");
    assert_eq!(
        err(a.push(1i32)),
        "TypeError: array typecode 'l' does not hold Rust i32 items"
    );
}

#[test]
fn files_round_trip() {
    // a.tofile(f); b.fromfile(f, 3) with only 2 items -> EOFError after appending them
    let a = Array::from_slice(&[1u16, 2]);
    let mut buf = Vec::new();
    a.tofile(&mut buf).unwrap();
    let b = Array::new('H').unwrap();
    let e = b.fromfile(&mut buf.as_slice(), 3).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(e.to_string(), "read() didn't return enough bytes");
    assert_eq!(b, a);
    // a partial item: ValueError, nothing appended
    let e = b.fromfile(&mut &[1u8, 2, 3][..], 2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ValueError: bytes length not a multiple of item size"
    );
    assert_eq!(b.len(), 2);
}

#[test]
fn exports_lock_resizes_but_not_writes() {
    // a = array('i', [1, 2, 3]); m = memoryview(a)
    let a = Array::from_slice(&[1i32, 2, 3]);
    let raw = a.get_buffer(BufferFlags::FULL).unwrap();
    assert_eq!(raw.format.as_deref(), Some("i"));
    assert_eq!(
        (raw.len, raw.itemsize, raw.shape.clone()),
        (12, 4, Some(vec![3]))
    );
    assert_eq!(a.exports(), 1);
    let refused = "BufferError: cannot resize an array that is exporting buffers";
    assert_eq!(err(a.append(&int(4))), refused);
    assert_eq!(err(a.pop(None)), refused);
    assert_eq!(err(a.insert(0, &int(4))), refused);
    assert_eq!(err(a.frombytes(&[0; 4])), refused);
    assert_eq!(
        err(a.del_slice(Slice::new(Some(0), Some(0), None))),
        refused,
        "del a[0:0] too"
    );
    assert_eq!(err(a.imul(2)), refused);
    assert_eq!(err(a.extend(&a.copy())), refused);
    // the value error wins over the export check: a.append('x')
    assert_eq!(
        a.append(&Value::Str("x".into())).unwrap_err().kind(),
        ExceptionKind::TypeError
    );
    // in place: a[0] = 10; a[1:3] = array('i', [20, 30]); a.reverse(); a.byteswap()
    a.set(0, &int(10)).unwrap();
    a.set_slice(
        Slice::new(Some(1), Some(3), None),
        &Array::from_slice(&[20i32, 30]),
    )
    .unwrap();
    let mut seen = [0i32; 3];
    // SAFETY: the export is live: `raw.buf` is valid for 12 bytes of reads.
    unsafe { std::ptr::copy_nonoverlapping(raw.buf, seen.as_mut_ptr().cast::<u8>(), 12) };
    assert_eq!(seen, [10, 20, 30], "the view sees the array's writes");
    // SAFETY: as above, valid for writes; writing the second item.
    unsafe { raw.buf.add(4).cast::<i32>().write_unaligned(-5) };
    assert_eq!(
        a.get(1).unwrap(),
        int(-5),
        "the array sees the view's writes"
    );
    drop(raw);
    a.append(&int(4)).unwrap();
    assert_eq!(a.to_string(), "array('i', [10, -5, 30, 4])");
    // 'u' arrays export format 'w' (3.13+)
    let u = Array::from_str('u', "x").unwrap();
    let raw = u.get_buffer(BufferFlags::FORMAT | BufferFlags::ND).unwrap();
    assert_eq!(raw.format.as_deref(), Some("w"));
    drop(raw);
    assert_eq!(a.type_name(), "array.array");
    assert!(!a.hashable());
}

#[test]
fn bytearray_behaviour() {
    // bytearray(b"it's") repr escapes the quote inside double quotes
    assert_eq!(
        ByteArray::from_bytes(b"it's").to_string(),
        r#"bytearray(b"it\'s")"#
    );
    assert_eq!(
        ByteArray::from_bytes(b"a\"b'").to_string(),
        r#"bytearray(b'a"b\'')"#
    );
    assert_eq!(
        ByteArray::from_bytes(b"\x00\t\x7f\x80").to_string(),
        r"bytearray(b'\x00\t\x7f\x80')"
    );
    let b = ByteArray::from_bytes(b"abc");
    // b.resize(5); b.resize(1) (3.14); b.resize(-1)
    b.resize(5).unwrap();
    assert_eq!(b.to_vec(), b"abc\0\0");
    b.resize(1).unwrap();
    assert_eq!(b.to_vec(), b"a");
    assert_eq!(
        err(b.resize(-1)),
        "ValueError: Can only resize to positive sizes, got -1"
    );
    assert_eq!(
        err(b.append(&int(256))),
        "ValueError: byte must be in range(0, 256)"
    );
    assert_eq!(
        err(ByteArray::new().pop(None)),
        "IndexError: pop from empty bytearray"
    );
    assert_eq!(err(b.get(5)), "IndexError: bytearray index out of range");
    assert_eq!(ByteArray::zeroed(2).unwrap().to_vec(), [0, 0]);
    assert_eq!(err(ByteArray::zeroed(-1)), "ValueError: negative count");
    // m = memoryview(b): resizes refused, writes allowed
    let raw = b.get_buffer(BufferFlags::WRITABLE).unwrap();
    let refused = "BufferError: Existing exports of data: object cannot be re-sized";
    assert_eq!(err(b.push(1)), refused);
    assert_eq!(err(b.resize(3)), refused);
    assert_eq!(err(b.clear()), refused);
    assert_eq!(err(b.del_slice(Slice::new(None, None, Some(2)))), refused);
    b.resize(1).unwrap(); // same size: allowed
    b.set(0, &int(66)).unwrap();
    // SAFETY: the export is live: `raw.buf` is valid for 1 byte.
    assert_eq!(unsafe { raw.buf.read() }, 66);
    drop(raw);
    b.extend_from_slice(b"cd").unwrap();
    assert_eq!(b.to_string(), "bytearray(b'Bcd')");
    assert_eq!(b.type_name(), "bytearray");
}

#[test]
fn exports_end_only_when_the_descriptor_and_its_clones_drop() {
    // There is no release call: safe code cannot end an export early. Dropping one clone
    // of a descriptor leaves the export held by the others.
    let a = Array::from_slice(&[1u8, 2, 3]);
    let raw = a.get_buffer(BufferFlags::SIMPLE).unwrap();
    let copy = raw.clone();
    drop(raw);
    assert_eq!(a.exports(), 1, "the clone still holds the export");
    assert_eq!(
        err(a.append(&int(4))),
        "BufferError: cannot resize an array that is exporting buffers"
    );
    drop(copy);
    assert_eq!(a.exports(), 0);
    a.append(&int(4)).unwrap();

    let b = ByteArray::from_bytes(b"xy");
    let raw = b.get_buffer(BufferFlags::SIMPLE).unwrap();
    let _other = b.get_buffer(BufferFlags::SIMPLE).unwrap();
    drop(raw);
    assert!(b.push(0).is_err(), "the second export is still live");
    drop(_other);
    b.push(0).unwrap();
}
