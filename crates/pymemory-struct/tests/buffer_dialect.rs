//! The PEP 3118 buffer-format dialect: parsing, layout and item access.
//!
//! CPython has no complete implementation to diff against (`memoryview` rejects these
//! formats), so these are unit tests of the documented semantics: layouts follow C
//! struct rules in native mode, `unpack_item` nests `T{...}` records and `(n,m)` shapes
//! as tuples, and codes with no Rust value raise `NotImplementedError` on access.

use pymemory_struct::{ByteOrder, Dialect, ExceptionKind, Format, Value};

fn buf(fmt: &str) -> Format {
    Format::parse(fmt, Dialect::Buffer).unwrap_or_else(|e| panic!("{fmt}: {e}"))
}

fn item(fmt: &str, bytes: &[u8]) -> String {
    buf(fmt)
        .unpack_item(bytes)
        .map_or_else(|e| e.to_string(), |v| v.to_string())
}

#[test]
fn struct_formats_mean_the_same_in_both_dialects() {
    for fmt in [
        "", "b", "@ci", "<iHd", ">q", "=e", "3s", "5p", "x?", "nNP", "2F", "<D",
    ] {
        let strict = Format::parse(fmt, Dialect::Struct).unwrap();
        let loose = buf(fmt);
        assert_eq!(strict.size(), loose.size(), "{fmt}");
        assert_eq!(strict.items(), loose.items(), "{fmt}");
    }
}

#[test]
fn pep3118_extensions_are_bad_chars_in_the_struct_dialect() {
    for fmt in [
        "T{i}", "(2)i", "Zf", "O", "&", "g", "w", "u", "i:x:", "^i", "i<i",
    ] {
        let e = Format::parse(fmt, Dialect::Struct).unwrap_err();
        assert_eq!(
            e.to_string(),
            "struct.error: bad char in struct format",
            "{fmt}"
        );
    }
}

#[test]
fn nested_structs_are_c_structs_in_native_mode() {
    // struct { char c; struct { char a; double d; } s; } -> 24 bytes on x86_64.
    let f = buf("c T{c d}");
    assert_eq!(f.size(), 24);
    let offsets: Vec<usize> = f.items().iter().map(|i| i.offset).collect();
    assert_eq!(offsets, [0, 8, 16]);
    // Standard sizes: no padding anywhere.
    assert_eq!(buf("<c T{c d}").size(), 10);
    // Arrays of records keep each record aligned.
    assert_eq!(buf("2T{d c}").size(), 32);
}

#[test]
fn records_and_shapes_nest_as_tuples() {
    let f = buf("<T{h:a: (2)B:pair:} i");
    assert_eq!(f.value_count(), 4);
    let bytes = [1, 0, 2, 3, 4, 0, 0, 0];
    assert_eq!(
        f.unpack_item(&bytes).unwrap().to_string(),
        "((1, (2, 3)), 4)"
    );
    assert_eq!(
        Value::Tuple(f.unpack(&bytes).unwrap()).to_string(),
        "(1, 2, 3, 4)"
    );
    let mut out = [0u8; 8];
    let v = Value::parse_literal("((1, [2, 3]), 4)").unwrap();
    f.pack_item(&v, &mut out).unwrap();
    assert_eq!(out, bytes);
    let bad = Value::parse_literal("((1, 2, 3), 4)").unwrap();
    assert_eq!(
        f.pack_item(&bad, &mut out).unwrap_err().kind(),
        ExceptionKind::StructError
    );
    assert_eq!(
        item("<(2,3)b", &[1, 2, 3, 4, 5, 6]),
        "((1, 2, 3), (4, 5, 6))"
    );
    assert_eq!(item("<2T{b}", &[7, 8]), "((7,), (8,))");
    // A format that is one record or one shaped field is that tuple, not wrapped.
    assert_eq!(item("<T{b b}", &[7, 8]), "(7, 8)");
    let f = buf("<(2)h");
    let mut out = [0u8; 4];
    f.pack_item(&Value::parse_literal("(1, 2)").unwrap(), &mut out)
        .unwrap();
    assert_eq!(out, [1, 0, 2, 0]);
    assert_eq!(item("<(2)3s", b"abcdef"), "(b'abc', b'def')");
}

#[test]
fn single_values_come_back_bare() {
    assert_eq!(item("<i", &[1, 0, 0, 0]), "1");
    // A record is a tuple even with one field (numpy's tolist() agrees).
    assert_eq!(item("T{<h}", &[1, 0]), "(1,)");
    assert_eq!(item("<(1)h", &[1, 0]), "(1,)");
    assert_eq!(
        item(
            "<Zd",
            &[0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40]
        ),
        "(1+2j)"
    );
    assert_eq!(item("<Zf", &[0, 0, 0, 0, 0, 0, 0x80, 0xbf]), "-1j");
}

#[test]
fn byte_order_marks_stay_in_force_across_records() {
    // A mark stays in force after the record's `}` (numpy's reading).
    let f = buf(">T{<h}h>h");
    assert_eq!(f.items()[0].order, ByteOrder::Little);
    assert_eq!(f.items()[1].order, ByteOrder::Little);
    assert_eq!(f.items()[2].order, ByteOrder::Big);
    assert_eq!(item(">T{<h}h>h", &[1, 0, 1, 0, 0, 1]), "((1,), 1, 1)");
    let f = buf("<i >i ^i");
    let native: Vec<bool> = f.items().iter().map(|i| i.native).collect();
    assert_eq!(native, [false, false, true]);
}

#[test]
fn wide_characters_decode_to_one_char_strings() {
    assert_eq!(item("<w", &[0xe9, 0, 0, 0]), "'\u{e9}'");
    assert_eq!(item("<w", &[0x00, 0xf6, 0x01, 0]), "'\u{1f600}'");
    assert_eq!(buf("u").size(), 4);
    let e = buf("<w").unpack_item(&[0, 0xd8, 0, 0]).unwrap_err();
    assert_eq!(e.kind(), ExceptionKind::ValueError);
    let e = buf("<w").unpack_item(&[0, 0, 0x11, 0]).unwrap_err();
    assert_eq!(e.kind(), ExceptionKind::ValueError);
    let mut out = [0u8; 4];
    buf("<w")
        .pack_item(&Value::Str("\u{1f600}".into()), &mut out)
        .unwrap();
    assert_eq!(out, [0x00, 0xf6, 0x01, 0]);
    assert!(
        buf("<w")
            .pack_item(&Value::Str("ab".into()), &mut out)
            .is_err()
    );
}

#[test]
fn codes_without_rust_values_parse_but_refuse_access() {
    for (fmt, size) in [("O", 8), ("&", 8), ("g", 16), ("Zg", 32)] {
        let f = buf(fmt);
        assert_eq!(f.size(), size, "{fmt}");
        assert!(f.has_unsupported_codes());
        let e = f.unpack_item(&vec![0; size]).unwrap_err();
        assert_eq!(e.kind(), ExceptionKind::NotImplementedError, "{fmt}");
        assert!(e.message().starts_with("memoryview: format "), "{e}");
        let mut out = vec![0; size];
        let e = f.pack_item(&Value::Int(0), &mut out).unwrap_err();
        assert_eq!(e.kind(), ExceptionKind::NotImplementedError, "{fmt}");
    }
}

#[test]
fn malformed_buffer_formats_are_struct_errors() {
    for fmt in [
        "T{i", "i}", "T i", "(2,i", "(2", "()i", "Zq", "i:name", "(2,3)", "T{(2)}",
    ] {
        let e = Format::parse(fmt, Dialect::Buffer).unwrap_err();
        assert_eq!(e.kind(), ExceptionKind::StructError, "{fmt}");
    }
    // Deep nesting is an error, never a stack overflow.
    let deep = "T{".repeat(100_000);
    assert_eq!(
        Format::parse(&deep, Dialect::Buffer).unwrap_err().kind(),
        ExceptionKind::StructError
    );
    assert!(
        Format::parse(
            &format!("{}i{}", "T{".repeat(60), "}".repeat(60)),
            Dialect::Buffer
        )
        .is_ok()
    );
    // Overflow is an error, never a panic.
    for fmt in [
        "(99999999999,99999999999)i",
        "99999999999T{i}",
        "(4611686018427387904)T{q}",
    ] {
        assert!(Format::parse(fmt, Dialect::Buffer).is_err(), "{fmt}");
    }
}
