//! Property tests: `unpack(pack(v)) == v` for representable values, and layouts that
//! agree with `calcsize` and never overlap.

use proptest::prelude::*;
use pymemory_struct::{Dialect, Format, Value, calcsize};

const CASES: u32 = if cfg!(miri) { 8 } else { 512 };

/// A code with a value strategy whose values survive a round trip unchanged.
fn code_and_value() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        any::<i8>().prop_map(|v| ("b".to_owned(), Value::Int(v.into()))),
        any::<u8>().prop_map(|v| ("B".to_owned(), Value::Int(v.into()))),
        any::<i16>().prop_map(|v| ("h".to_owned(), Value::Int(v.into()))),
        any::<u16>().prop_map(|v| ("H".to_owned(), Value::Int(v.into()))),
        any::<i32>().prop_map(|v| ("i".to_owned(), Value::Int(v.into()))),
        any::<u32>().prop_map(|v| ("I".to_owned(), Value::Int(v.into()))),
        any::<i64>().prop_map(|v| ("q".to_owned(), Value::Int(v.into()))),
        any::<u64>().prop_map(|v| ("Q".to_owned(), Value::Int(v.into()))),
        any::<i32>().prop_map(|v| ("l".to_owned(), Value::Int(v.into()))),
        any::<u64>().prop_map(|v| ("N".to_owned(), Value::Int(v.into()))),
        any::<u64>().prop_map(|v| ("P".to_owned(), Value::Int(v.into()))),
        any::<bool>().prop_map(|v| ("?".to_owned(), Value::Bool(v))),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |x| !x.is_nan())
            .prop_map(|v| ("d".to_owned(), Value::Float(v))),
        any::<f32>()
            .prop_filter("NaN", |x| !x.is_nan())
            .prop_map(|v| ("f".to_owned(), Value::Float(v.into()))),
        (0u16..0x7c00, any::<bool>()).prop_map(|(bits, neg)| {
            let h = half::f16::from_bits(bits | if neg { 0x8000 } else { 0 });
            ("e".to_owned(), Value::Float(h.to_f64()))
        }),
        any::<u8>().prop_map(|v| ("c".to_owned(), Value::Bytes(vec![v]))),
        proptest::collection::vec(any::<u8>(), 0..8)
            .prop_map(|b| (format!("{}s", b.len()), Value::Bytes(b))),
        proptest::collection::vec(any::<u8>(), 0..8)
            .prop_map(|b| (format!("{}p", b.len() + 1), Value::Bytes(b))),
        (any::<f32>(), any::<f32>())
            .prop_filter("NaN", |(a, b)| !a.is_nan() && !b.is_nan())
            .prop_map(|(a, b)| (
                "F".to_owned(),
                Value::Complex {
                    re: a.into(),
                    im: b.into()
                }
            )),
        (any::<f64>(), any::<f64>())
            .prop_filter("NaN", |(a, b)| !a.is_nan() && !b.is_nan())
            .prop_map(|(a, b)| ("D".to_owned(), Value::Complex { re: a, im: b })),
    ]
}

fn prefix() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just("@"),
        Just("="),
        Just("<"),
        Just(">"),
        Just("!")
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// struct.unpack(fmt, struct.pack(fmt, *v)) == v
    #[test]
    fn unpack_inverts_pack(prefix in prefix(), fields in proptest::collection::vec(code_and_value(), 0..8)) {
        let native_only = |c: &str| c == "N" || c == "P";
        let fmt: String = std::iter::once(prefix.to_owned())
            .chain(fields.iter().map(|(c, _)| {
                if native_only(c) && !matches!(prefix, "" | "@") { "Q".to_owned() } else { c.clone() }
            }))
            .collect();
        let values: Vec<Value> = fields.into_iter().map(|(_, v)| v).collect();
        let bytes = pymemory_struct::pack(&fmt, &values).unwrap();
        prop_assert_eq!(bytes.len(), calcsize(&fmt).unwrap());
        let back = pymemory_struct::unpack(&fmt, &bytes).unwrap();
        prop_assert_eq!(back, values);
    }

    /// Layout items lie inside calcsize(fmt), in order, without overlapping.
    #[test]
    fn layout_agrees_with_calcsize(fmt in "[@=<>!]?([0-9]{0,2}[xcbB?hHiIlLqQnNefdFDspP ]){0,8}") {
        let Ok(f) = Format::parse(&fmt, Dialect::Struct) else {
            // Native-only codes after a standard prefix: still an error in both.
            prop_assert!(calcsize(&fmt).is_err());
            return Ok(());
        };
        prop_assert_eq!(f.size(), calcsize(&fmt).unwrap());
        let mut end = 0;
        let mut values = 0;
        for item in f.items() {
            prop_assert!(item.offset >= end);
            end = item.offset + item.size * item.repeat;
            prop_assert!(end <= f.size());
            values += item.repeat;
        }
        prop_assert_eq!(values, f.value_count());
        let loose = Format::parse(&fmt, Dialect::Buffer).unwrap();
        prop_assert_eq!(loose.size(), f.size());
    }

    /// Any text parses to a format or a clean error, in either dialect.
    #[test]
    fn parsing_never_panics(fmt in "[ -~]{0,24}") {
        let _ = Format::parse(&fmt, Dialect::Struct);
        if let Ok(f) = Format::parse(&fmt, Dialect::Buffer) && f.size() < 4096 {
            let bytes = vec![0u8; f.size()];
            let _ = f.unpack(&bytes);
            let _ = f.unpack_item(&bytes);
        }
    }

    /// Display then parse_literal is the identity for literal-representable values.
    #[test]
    fn repr_parses_back(x in any::<f64>().prop_filter("finite", |x| x.is_finite()), i in any::<i64>()) {
        let v = Value::Tuple(vec![Value::Float(x), Value::Int(i.into()), Value::Bytes(x.to_le_bytes().to_vec())]);
        prop_assert_eq!(Value::parse_literal(&v.to_string()).unwrap(), v);
    }

    /// Ints of any size: one form per value (`Value::Int` exactly when it fits i128),
    /// repr -> parse identity, hex and decimal spellings agree, and the exact float
    /// comparison is consistent with the rounded conversion (`v == float(v)` iff exact;
    /// otherwise `float(v)` lies on the correct side within one ulp).
    #[test]
    fn ints_of_any_size(neg in any::<bool>(), mag in proptest::collection::vec(any::<u8>(), 0..160)) {
        let v = Value::int_from_magnitude_le(neg, &mag);
        let hex: String = mag.iter().rev().map(|b| format!("{b:02x}")).collect();
        let sign = if neg { "-" } else { "" };
        let from_hex = Value::parse_literal(&format!("{sign}0x0{hex}")).unwrap();
        prop_assert_eq!(&from_hex, &v);
        prop_assert_eq!(&Value::parse_literal(&v.to_string()).unwrap(), &v);
        let fits = mag.iter().skip(16).all(|&b| b == 0)
            && Value::parse_literal(&v.to_string()).is_ok_and(|x| matches!(x, Value::Int(_)));
        match &v {
            Value::Int(_) => prop_assert!(fits),
            Value::BigInt(b) => {
                prop_assert!(b.to_string().parse::<i128>().is_err());
                prop_assert_eq!(b.is_negative(), neg);
                if let Ok(x) = b.to_f64() {
                    let o = b.cmp_f64(x).unwrap();
                    prop_assert_eq!(o == std::cmp::Ordering::Equal, b.exact_f64().is_some());
                    // x is the nearest float: v lies strictly inside (prev(x), next(x)).
                    let up = |y: f64| if y >= 0.0 { f64::from_bits(y.to_bits() + 1) } else { f64::from_bits(y.to_bits() - 1) };
                    let down = |y: f64| -up(-y);
                    match o {
                        std::cmp::Ordering::Greater if up(x).is_finite() => {
                            prop_assert_eq!(b.cmp_f64(up(x)), Some(std::cmp::Ordering::Less));
                        }
                        std::cmp::Ordering::Less if down(x).is_finite() => {
                            prop_assert_eq!(b.cmp_f64(down(x)), Some(std::cmp::Ordering::Greater));
                        }
                        _ => {}
                    }
                } else {
                    prop_assert!(b.bit_length() >= 1024);
                }
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }
}
