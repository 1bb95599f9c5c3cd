//! Ints outside `i128` (`Value::BigInt`) against CPython's `int` (python3 required):
//! `repr(ast.literal_eval(text))` for random hex/octal/binary/decimal literals with
//! signs and underscores, `float(v).hex()` (correct rounding, `OverflowError` beyond the
//! double range), and `[v < x, v == x, v > x]` for floats `x` at and next to `float(v)`.
//! The seed is printed; set PYMEMORY_SEED to reproduce another run.

mod common;

use std::cmp::Ordering;

use common::{enc, run_oracle};
use pymemory_struct::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value as Json, json};

fn seed() -> u64 {
    common::seed(0x5eed_2026) ^ 0xb16
}

fn digits(rng: &mut ChaCha8Rng, alphabet: &[u8], n: usize, underscores: bool) -> String {
    let mut s = String::new();
    s.push(char::from(alphabet[rng.gen_range(1..alphabet.len())]));
    for _ in 1..n {
        if underscores && rng.gen_bool(0.05) {
            s.push('_');
        }
        s.push(char::from(alphabet[rng.gen_range(0..alphabet.len())]));
    }
    s
}

/// A random int literal, mostly outside `i128`; `None`-free: always well formed.
fn literal(rng: &mut ChaCha8Rng) -> String {
    let under = rng.gen_bool(0.2);
    let body = match rng.gen_range(0..6) {
        0 => format!("0x{}", {
            let n = rng.gen_range(28..=600);
            digits(rng, b"0123456789abcdefABCDEF", n, under)
        }),
        1 => format!("0o{}", {
            let n = rng.gen_range(40..=300);
            digits(rng, b"01234567", n, under)
        }),
        2 => format!("0b{}", {
            let n = rng.gen_range(120..=1200);
            digits(rng, b"01", n, under)
        }),
        3 => {
            let n = rng.gen_range(30..=4300);
            digits(rng, b"0123456789", n, under)
        }
        4 => {
            // Near a power of two: 2^k, 2^k - 1 (all ones), 2^k + 1.
            let k = rng.gen_range(120..1100);
            match rng.gen_range(0..3) {
                0 => format!("0b1{}", "0".repeat(k)),
                1 => format!("0b{}", "1".repeat(k)),
                _ => format!("0b1{}1", "0".repeat(k)),
            }
        }
        _ => {
            // A float's exact value and its neighbours (53 significant bits then zeros).
            let k = rng.gen_range(74..1030);
            let m: u64 = rng.gen_range(1u64 << 52..1u64 << 53);
            let tail = rng.gen_range(0..3);
            let mut b = format!("{m:b}{}", "0".repeat(k - 53));
            if tail == 1 {
                b.pop();
                b.push('1');
            } else if tail == 2 {
                // Exactly halfway to the next float.
                b.replace_range(53..54, "1");
            }
            format!("0b{b}")
        }
    };
    match rng.gen_range(0..4) {
        0 => format!("-{body}"),
        1 => format!(" +{body} "),
        _ => body,
    }
}

fn next_up(x: f64) -> f64 {
    if x == f64::MAX {
        f64::INFINITY
    } else if x >= 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f64) -> f64 {
    -next_up(-x)
}

/// `float.hex()` of a finite double, as Python prints it.
fn float_hex(x: f64) -> String {
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let bits = x.abs().to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & ((1 << 52) - 1);
    if exp == 0 && mant == 0 {
        return format!("{sign}0x0.0p+0");
    }
    let (lead, e) = if exp == 0 {
        (0, -1022)
    } else {
        (1, exp - 1023)
    };
    let m = format!("{mant:013x}");
    format!("{sign}0x{lead}.{m}p{e:+}")
}

#[test]
fn big_ints_match_cpython_int() {
    let seed = seed();
    eprintln!("bigint seed: {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cases: Vec<Json> = Vec::new();
    let mut ours: Vec<Json> = Vec::new();
    let mut big_count = 0;
    for _ in 0..2500 {
        let text = literal(&mut rng);
        let v = Value::parse_literal(&text).expect("well-formed literal");
        big_count += usize::from(matches!(v, Value::BigInt(_)));
        // repr(ast.literal_eval(text))
        cases.push(json!({"op": "literal", "text": text}));
        ours.push(json!({"ok": v.to_string()}));
        let Value::BigInt(b) = &v else { continue };
        // float(v).hex()
        cases.push(json!({"op": "float", "value": enc(&v)}));
        let f = b.to_f64();
        ours.push(match &f {
            Ok(x) => json!({"ok": float_hex(*x)}),
            Err(e) => json!({"err": [e.python_name(), e.message()]}),
        });
        // [v < x, v == x, v > x] for x = float(v) and its neighbours, or huge floats.
        let x = f.unwrap_or(if b.is_negative() { -f64::MAX } else { f64::MAX });
        for y in [
            x,
            next_up(x),
            next_down(x),
            -x,
            f64::INFINITY,
            f64::NAN,
            1.5,
        ] {
            let y = if y.is_nan() { f64::NAN } else { y };
            cases.push(json!({"op": "cmp", "a": enc(&v), "b": enc(&Value::Float(y))}));
            let o = b.cmp_f64(y);
            ours.push(json!({"ok": [
                o == Some(Ordering::Less),
                o == Some(Ordering::Equal),
                o == Some(Ordering::Greater)
            ]}));
        }
    }
    let answers = run_oracle(&cases);
    let failures: Vec<String> = cases
        .iter()
        .zip(&answers)
        .zip(&ours)
        .filter(|((_, theirs), mine)| theirs != mine)
        .map(|((case, theirs), mine)| format!("case {case}\n  python: {theirs}\n  ours:   {mine}"))
        .collect();
    eprintln!(
        "{} cases ({big_count} literals outside i128), {} mismatches",
        cases.len(),
        failures.len()
    );
    assert!(big_count > 2000, "too few big ints: {big_count}");
    common::assert_no_mismatches(seed, &failures);
}
