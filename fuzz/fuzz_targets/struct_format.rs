//! The struct format parser in both dialects, with pack/unpack round trips.
//!
//! Input: byte 0 picks offsets; the format text runs up to the first 0xFF byte; the rest
//! is data. Checked for every input: no panic; `calcsize` agrees with `Format::parse` and
//! `Struct::new`; a format both dialects accept has the same size and value count in
//! both; whatever `unpack` gives, `pack` takes back (`unpack(pack(unpack(b)))` gives the
//! same values, and `pack` of those is a fixed point); `unpack_item`/`pack_item` and
//! `iter_unpack`/`unpack_from`/`pack_into` agree with it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymemory_struct::{Dialect, Format, Struct, Value, calcsize};

/// Formats describing more than this many bytes are only parsed, not packed.
const MAX_SIZE: usize = 1 << 12;

fn repr(values: &[Value]) -> String {
    Value::Tuple(values.to_vec()).to_string()
}

fn data_of(data: &[u8], size: usize) -> Vec<u8> {
    if data.is_empty() {
        return vec![0; size];
    }
    data.iter().copied().cycle().take(size).collect()
}

fn round_trip(f: &Format, data: &[u8], ctl: u8) {
    if f.size() > MAX_SIZE {
        return;
    }
    let bytes1 = data_of(data, f.size());
    match f.unpack(&bytes1) {
        Ok(v1) => {
            assert_eq!(v1.len(), f.value_count(), "{:?}", f.as_str());
            let b2 = f
                .pack(&v1)
                .unwrap_or_else(|e| panic!("{:?}: pack(unpack(b)) failed: {e}", f.as_str()));
            assert_eq!(b2.len(), f.size());
            let v2 = f.unpack(&b2).expect("unpack of packed bytes");
            assert_eq!(repr(&v1), repr(&v2), "{:?}", f.as_str());
            let b3 = f.pack(&v2).expect("pack");
            assert_eq!(b2, b3, "{:?}: pack is not a fixed point", f.as_str());
            // The appending variant gives the same values.
            let mut out = vec![Value::Int(7)];
            f.unpack_into(&b2, &mut out).expect("unpack_into");
            assert_eq!(repr(&out[1..]), repr(&v2));
        }
        Err(e) => {
            // Only codes without a Rust value, and `u`/`w` holding no code point, refuse
            // to decode a buffer of the right size.
            let bad_char = e.message().starts_with("character is not in range")
                || e.message().starts_with("lone surrogate");
            assert!(
                f.has_unsupported_codes() || bad_char,
                "{:?}: unpack failed: {e}",
                f.as_str()
            );
        }
    }
    // unpack of the wrong size is an error, never a panic.
    let short = &bytes1[..bytes1.len().saturating_sub(1 + usize::from(ctl % 3))];
    if short.len() != f.size() {
        assert!(f.unpack(short).is_err());
    }
    if let Ok(item) = f.unpack_item(&bytes1) {
        let mut buf = vec![0xA5; f.size()];
        f.pack_item(&item, &mut buf)
            .unwrap_or_else(|e| panic!("{:?}: pack_item(unpack_item(b)) failed: {e}", f.as_str()));
        let again = f.unpack_item(&buf).expect("unpack_item");
        assert_eq!(item.to_string(), again.to_string(), "{:?}", f.as_str());
    }
}

fn struct_api(fmt: &str, data: &[u8], ctl: u8) {
    let Ok(s) = Struct::new(fmt) else { return };
    if s.size() > MAX_SIZE {
        return;
    }
    if s.size() > 0 && data.len() % s.size() == 0 {
        let n = s.iter_unpack(data).map(|it| it.count()).unwrap_or(0);
        if !s.compiled().has_unsupported_codes() {
            assert_eq!(n, data.len() / s.size(), "{fmt:?}");
        }
    } else {
        assert!(s.iter_unpack(data).is_err(), "{fmt:?}");
    }
    let offset = isize::from(ctl as i8);
    match s.unpack_from(data, offset) {
        Ok(values) => {
            let start = if offset < 0 {
                data.len() as isize + offset
            } else {
                offset
            } as usize;
            assert!(start + s.size() <= data.len(), "{fmt:?} offset {offset}");
            let mut buf = data.to_vec();
            s.pack_into(&mut buf, offset, &values).expect("pack_into");
            let back = s.unpack_from(&buf, offset).expect("unpack_from");
            assert_eq!(repr(&values), repr(&back), "{fmt:?}");
            // Bytes outside the record are untouched.
            assert_eq!(buf[..start], data[..start]);
            assert_eq!(buf[start + s.size()..], data[start + s.size()..]);
        }
        Err(_) => {
            let mut buf = data.to_vec();
            let _ = s.pack_into(&mut buf, offset, &[]);
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&ctl, rest)) = input.split_first() else {
        return;
    };
    let split = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
    let fmt = String::from_utf8_lossy(&rest[..split]);
    let data = rest.get(split + 1..).unwrap_or(&[]);

    let strict = Format::parse(&fmt, Dialect::Struct);
    let buffer = Format::parse(&fmt, Dialect::Buffer);
    let size = calcsize(&fmt);
    match (&strict, &size) {
        (Ok(f), Ok(n)) => assert_eq!(f.size(), *n),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("{fmt:?}: calcsize {size:?} disagrees with Format::parse {strict:?}"),
    }
    assert_eq!(
        Struct::new(&fmt).map(|s| s.size()).ok(),
        size.as_ref().ok().copied()
    );
    if let (Ok(a), Ok(b)) = (&strict, &buffer) {
        assert_eq!(
            (a.size(), a.value_count()),
            (b.size(), b.value_count()),
            "{fmt:?}: the dialects disagree"
        );
    }
    for f in [strict.as_ref(), buffer.as_ref()].into_iter().flatten() {
        // The layout stays inside the format's size.
        for item in f.items() {
            let end = item
                .size
                .checked_mul(item.repeat)
                .and_then(|n| n.checked_add(item.offset));
            assert!(end.is_some_and(|e| e <= f.size()), "{fmt:?}: {item:?}");
        }
        round_trip(f, data, ctl);
    }
    struct_api(&fmt, data, ctl);
});
