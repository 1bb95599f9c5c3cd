//! Hardening (issue #6): repeat counts and sizes at the edge of `isize`, formats whose
//! grouping would be huge, and regressions found by the fuzz targets in `fuzz/`.
//!
//! The expected results are CPython's (checked on 3.11; the code paths in `_struct.c`
//! that produce them are unchanged in 3.14). `stress_repeat_counts_against_cpython` is
//! ignored by default and run by `scripts/stress.sh`: thousands of random huge formats
//! compared with python3.

use std::io::Write;
use std::process::{Command, Stdio};

use pymemory_struct::{Dialect, ExceptionKind, Format, Struct, Value, calcsize, pack, unpack};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn show<T: std::fmt::Debug>(r: pymemory_struct::Result<T>) -> String {
    r.map_or_else(|e| e.to_string(), |v| format!("ok {v:?}"))
}

const TOO_LONG: &str = "struct.error: total struct size too long";

#[test]
fn repeat_counts_beyond_isize_are_struct_errors() {
    // struct.calcsize(fmt), struct.pack(fmt), struct.unpack(fmt, b'') for each fmt.
    for fmt in [
        "99999999999999999999i",
        "9223372036854775807i",
        "9223372036854775808x",
        "4611686018427387904i",
        "2305843009213693952q",
        "18446744073709551616s",
        "99999999999999999999",
        "99999999999999999999p",
        "<99999999999999999999i",
        "3000000000000000000x3000000000000000000x4000000000000000000x",
        "999999999999999999999999999999999999999999999999999999999999999999999d",
    ] {
        assert_eq!(show(calcsize(fmt)), TOO_LONG, "calcsize({fmt:?})");
        assert_eq!(show(pack(fmt, &[])), TOO_LONG, "pack({fmt:?})");
        assert_eq!(show(unpack(fmt, &[])), TOO_LONG, "unpack({fmt:?})");
        assert_eq!(show(Struct::new(fmt).map(|_| ())), TOO_LONG);
        // The buffer dialect refuses the same sizes.
        let e = Format::parse(fmt, Dialect::Buffer).unwrap_err();
        assert_eq!(e.kind(), ExceptionKind::StructError, "{fmt:?}: {e}");
    }
}

#[test]
fn sizes_just_below_the_limit_are_valid_but_cannot_be_packed() {
    // struct.calcsize('9223372036854775807x') == sys.maxsize
    assert_eq!(
        calcsize("9223372036854775807x").unwrap(),
        isize::MAX as usize
    );
    // struct.pack('9223372036854775807x') -> OverflowError: byte string is too large
    assert_eq!(
        show(pack("9223372036854775807x", &[])),
        "OverflowError: byte string is too large"
    );
    // struct.pack('1152921504606846976x') -> MemoryError (empty message); Miri stops at
    // such an allocation instead of failing it.
    if !cfg!(miri) {
        let e = pack("1152921504606846976x", &[]).unwrap_err();
        assert_eq!((e.kind(), e.message()), (ExceptionKind::MemoryError, ""));
    }
    // struct.unpack('9223372036854775807x', b'')
    assert_eq!(
        show(unpack("9223372036854775807x", &[])),
        "struct.error: unpack requires a buffer of 9223372036854775807 bytes"
    );
    // struct.pack('9223372036854775807s') -> pack expected 1 items for packing (got 0)
    for fmt in ["9223372036854775807s", "9223372036854775807p"] {
        assert_eq!(calcsize(fmt).unwrap(), isize::MAX as usize);
        assert_eq!(
            show(pack(fmt, &[])),
            "struct.error: pack expected 1 items for packing (got 0)"
        );
    }
    // A value count beyond any memory: struct.pack('@4611686018427387903hb')
    assert_eq!(
        calcsize("@4611686018427387903hb").unwrap(),
        isize::MAX as usize
    );
    assert_eq!(
        show(pack("@4611686018427387903hb", &[])),
        "struct.error: pack expected 4611686018427387904 items for packing (got 0)"
    );
}

#[test]
fn huge_groupings_in_the_buffer_dialect_are_refused_not_allocated() {
    // Regression (fuzz target struct_format, OOM): a zero dimension after a huge one
    // describes no values but would have built 3333333333333331 empty tuples.
    for fmt in [
        "(3333333333333331,0)i@",
        "(3333333333333331,0)i",
        "(99999999,0,5)B",
        "(4294967296,0)T{i}",
        "(1048576,2,0)h",
    ] {
        let e = Format::parse(fmt, Dialect::Buffer).unwrap_err();
        assert_eq!(
            e.to_string(),
            "NotImplementedError: struct format with more than 1048576 grouped values",
            "{fmt:?}"
        );
    }
    // Small ones still work: numpy's dtype('(3,0)i') has three empty rows.
    let f = Format::parse("(3,0)i", Dialect::Buffer).unwrap();
    assert_eq!((f.size(), f.value_count()), (0, 0));
    assert_eq!(f.unpack_item(&[]).unwrap().to_string(), "((), (), ())");
    let f = Format::parse("(0,99999999999)i", Dialect::Buffer).unwrap();
    assert_eq!(f.unpack_item(&[]).unwrap().to_string(), "()");
}

#[test]
fn literals_whose_repr_does_not_round_trip_are_still_equal() {
    // Regression (fuzz target literal): ast.literal_eval('-13j') == (-0-13j), whose repr
    // evaluates back to -13j (== the same complex number), as in Python.
    let v = Value::parse_literal("-13j").unwrap();
    assert_eq!(v.to_string(), "(-0-13j)");
    let back = Value::parse_literal(&v.to_string()).unwrap();
    assert_eq!(back.to_string(), "-13j");
    assert_eq!(back, v);
}

/// python3 evaluating `struct.calcsize` on each line of `formats`.
fn cpython_calcsize(formats: &[String]) -> Vec<String> {
    let script = r#"
import struct, sys
for line in sys.stdin:
    fmt = line.rstrip('\n')
    try:
        print('ok', struct.calcsize(fmt))
    except struct.error as e:
        print('struct.error:', e)
    except Exception as e:
        print(type(e).__name__ + ':', e)
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required for this differential test (install python3)");
    let mut stdin = child.stdin.take().unwrap();
    let input = formats.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "python3 failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn random_huge_format(rng: &mut ChaCha8Rng) -> String {
    let mut fmt = String::new();
    if rng.gen_bool(0.5) {
        fmt.push(['<', '>', '=', '!', '@'][rng.gen_range(0..5)]);
    }
    for _ in 0..rng.gen_range(1..4) {
        let count: u128 = match rng.gen_range(0..5) {
            0 => rng.gen_range(0..1000),
            1 => 1 << rng.gen_range(55..64),
            2 => (1 << rng.gen_range(55..64)) - rng.gen_range(0..3),
            3 => u128::from(rng.r#gen::<u64>()) * u128::from(rng.r#gen::<u32>()),
            _ => rng.r#gen::<u128>() >> rng.gen_range(0..70),
        };
        fmt.push_str(&count.to_string());
        fmt.push(['x', 'b', 'h', 'i', 'q', 'd', 's', 'p', '?', 'e'][rng.gen_range(0..10)]);
    }
    fmt
}

#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_repeat_counts_against_cpython() {
    // struct.calcsize(fmt) for 20,000 random formats with counts near and beyond 2**63.
    let seed = 0x5eed_0006;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let formats: Vec<String> = (0..20_000).map(|_| random_huge_format(&mut rng)).collect();
    let expected = cpython_calcsize(&formats);
    assert_eq!(expected.len(), formats.len());
    for (fmt, want) in formats.iter().zip(&expected) {
        let got = match calcsize(fmt) {
            Ok(n) => format!("ok {n}"),
            Err(e) => e.to_string(),
        };
        assert_eq!(&got, want, "seed {seed:#x}: struct.calcsize({fmt:?})");
    }
}

#[test]
fn malformed_buffer_formats_are_struct_errors() {
    // The PEP 3118 dialect's own refusals (CPython's struct rejects all of these with
    // `bad char in struct format`; numpy has its own wording).
    for (fmt, want) in [
        ("T{i", "struct.error: unmatched '{' in struct format"),
        ("i}", "struct.error: unmatched '}' in struct format"),
        ("(2,x)i", "struct.error: bad shape in struct format"),
        ("(2", "struct.error: bad shape in struct format"),
        (
            "i:name",
            "struct.error: unterminated field name in struct format",
        ),
        ("T{", "struct.error: unmatched '{' in struct format"),
        ("i\0", "struct.error: embedded null character"),
        (
            "5",
            "struct.error: repeat count given without format specifier",
        ),
        (
            "é",
            "UnicodeEncodeError: 'ascii' codec can't encode character '\\xe9' in position 0: ordinal not in range(128)",
        ),
    ] {
        assert_eq!(
            show(Format::parse(fmt, Dialect::Buffer).map(|_| ())),
            want,
            "{fmt:?}"
        );
    }
    // Nesting is bounded (no stack overflow on hostile input).
    let deep = "T{".repeat(10_000) + "i" + &"}".repeat(10_000);
    assert_eq!(
        show(Format::parse(&deep, Dialect::Buffer).map(|_| ())),
        "struct.error: struct format nested too deeply"
    );
    // The strict dialect refuses every PEP 3118 extension as CPython does.
    for fmt in ["T{i}", "(2)i", "i:x:", "Zd", "&", "O", "g"] {
        assert_eq!(
            show(Format::parse(fmt, Dialect::Struct).map(|_| ())),
            "struct.error: bad char in struct format",
            "{fmt:?}"
        );
    }
}

#[test]
fn fuzz_regression_wide_chars_without_a_code_point_refuse_to_unpack() {
    // From the struct_format fuzz target (a harness finding): the buffer dialect's `u`/`w`
    // codes hold UCS-2/UCS-4 code units; one that is no code point cannot be unpacked.
    let f = Format::parse("!uQfd2F", Dialect::Buffer).unwrap();
    let mut bytes = vec![0u8; f.size()];
    bytes[..4].copy_from_slice(&[0xff, 0xff, 0x7a, 0xff]);
    let e = f.unpack(&bytes).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ValueError: character is not in range [U+0000; U+10ffff]"
    );
    // Packing what a valid buffer unpacks gives the buffer back.
    bytes[..4].copy_from_slice(&[0, 0, 0, 0x41]);
    let values = f.unpack(&bytes).unwrap();
    assert_eq!(f.pack(&values).unwrap(), bytes);
}
