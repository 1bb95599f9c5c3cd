//! `Value`'s `Display` against Python's `repr`, and `Value::parse_literal` against
//! `ast.literal_eval`, on thousands of seeded random values (python3 required).
//!
//! Mirrors `repr(v)` for random floats (random bit patterns, decimals, dyadic ties,
//! extremes), ints, bools, bytes, strs (all planes, no surrogates), complex numbers,
//! tuples and lists; and `repr(ast.literal_eval(text))` for the reprs Python printed.

mod common;

use common::{enc, run_oracle};
use pymemory_struct::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::sync::OnceLock;

fn random_float(rng: &mut ChaCha8Rng) -> f64 {
    match rng.gen_range(0..8) {
        0 | 1 => f64::from_bits(rng.r#gen()),
        2 => {
            // Dyadic rationals with 17-18 significant decimal digits: exact ties.
            let m: i64 = rng.gen_range(1..1 << 20);
            m as f64 / 2f64.powi(rng.gen_range(1..40))
        }
        3 => rng.gen_range(-1e6..1e6),
        4 => f64::from(rng.gen_range(-100_000i32..100_000)) * 10f64.powi(rng.gen_range(-25..25)),
        5 => {
            let e = rng.gen_range(-8..20);
            10f64.powi(e) * if rng.gen_bool(0.5) { 1.0 } else { -1.0 }
        }
        6 => f64::from(f32::from_bits(rng.r#gen())),
        _ => *[
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ]
        .get(rng.gen_range(0..8))
        .unwrap_or(&0.0),
    }
}

/// Sorted, disjoint, inclusive code point ranges.
type Ranges = Vec<(u32, u32)>;

/// Python 3.11's Unicode 14 ranges: (unassigned, non-printable).
fn unicode14() -> &'static (Ranges, Ranges) {
    static RANGES: OnceLock<(Ranges, Ranges)> = OnceLock::new();
    RANGES.get_or_init(|| {
        let answer = run_oracle(&[json!({"op": "unicode_ranges"})]).remove(0);
        let ranges = |key: &str| -> Ranges {
            serde_json::from_value(answer["ok"][key].clone()).expect("oracle ranges")
        };
        assert_eq!(
            answer["ok"]["version"], "14.0.0",
            "the oracle is CPython 3.11"
        );
        (ranges("unassigned"), ranges("nonprintable"))
    })
}

fn in_ranges(ranges: &[(u32, u32)], c: u32) -> bool {
    let k = ranges.partition_point(|&(_, hi)| hi < c);
    ranges.get(k).is_some_and(|&(lo, _)| lo <= c)
}

/// Whether our `repr` prints the non-ASCII `c` as itself (CPython: `c.isprintable()`).
fn prints_as_itself(c: char) -> bool {
    Value::Str(c.to_string()).to_string() == format!("'{c}'")
}

fn random_char(rng: &mut ChaCha8Rng) -> char {
    loop {
        let c = match rng.gen_range(0..6) {
            0 => rng.gen_range(0..0x80),
            1 => rng.gen_range(0x80..0x100),
            2 => rng.gen_range(0x100..0x3000),
            3 => rng.gen_range(0x3000..0x10000),
            4 => rng.gen_range(0x10000..0x110000),
            _ => *b"'\"\\\t\n\r\x7f "
                .get(rng.gen_range(0..8))
                .unwrap_or(&b' ') as u32,
        };
        let Some(c) = char::from_u32(c) else { continue };
        // Characters new in Unicode 15 and 16 print in 3.14 but not in the 3.11 oracle;
        // `repr_printability_is_unicode_16` checks them instead.
        if in_ranges(&unicode14().0, u32::from(c)) && prints_as_itself(c) {
            continue;
        }
        return c;
    }
}

fn random_value(rng: &mut ChaCha8Rng, depth: u32) -> Value {
    match rng.gen_range(0..if depth > 2 { 7 } else { 9 }) {
        0 => Value::Bool(rng.gen_bool(0.5)),
        1 => Value::Int(match rng.gen_range(0..3) {
            0 => rng.gen_range(-1000..1000),
            1 => i128::from(rng.r#gen::<i64>()),
            _ => rng.r#gen::<i128>(),
        }),
        2 | 3 => Value::Float(random_float(rng)),
        4 => Value::Complex {
            re: if rng.gen_bool(0.3) {
                0.0
            } else {
                random_float(rng)
            },
            im: random_float(rng),
        },
        5 => {
            let n = rng.gen_range(0..12);
            Value::Bytes(
                (0..n)
                    .map(|_| {
                        if rng.gen_bool(0.3) {
                            b"'\"\\"[rng.gen_range(0..3)]
                        } else {
                            rng.r#gen()
                        }
                    })
                    .collect(),
            )
        }
        6 => {
            let n = rng.gen_range(0..10);
            Value::Str((0..n).map(|_| random_char(rng)).collect())
        }
        7 => Value::Tuple(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => Value::List(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
    }
}

#[test]
fn display_matches_python_repr_and_literals_parse_like_literal_eval() {
    let seed: u64 = common::seed(0x2e9e);
    eprintln!("repr differential seed: {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let values: Vec<Value> = (0..8000).map(|_| random_value(&mut rng, 0)).collect();
    let cases: Vec<_> = values
        .iter()
        .map(|v| json!({"op": "repr", "value": enc(v)}))
        .collect();
    let answers = run_oracle(&cases);
    let mut failures = Vec::new();
    let mut literal_cases = Vec::new();
    for (v, answer) in values.iter().zip(&answers) {
        let want = answer["ok"].as_str().unwrap_or("<python error>");
        let got = v.to_string();
        if got != want {
            failures.push(format!("repr of {v:?}: python {want:?}, ours {got:?}"));
        }
        if !want.contains("nan") && !want.contains("inf") {
            literal_cases.push(json!({"op": "literal", "text": want}));
        }
    }
    let literal_answers = run_oracle(&literal_cases);
    for (case, answer) in literal_cases.iter().zip(&literal_answers) {
        let text = case["text"].as_str().unwrap_or_default();
        let want = answer["ok"].as_str().unwrap_or("<python error>");
        match Value::parse_literal(text) {
            Ok(v) if v.to_string() == want => {}
            other => failures.push(format!("literal {text:?}: python {want:?}, ours {other:?}")),
        }
    }
    eprintln!(
        "{} reprs and {} literals compared, {} mismatches",
        values.len(),
        literal_cases.len(),
        failures.len()
    );
    common::assert_no_mismatches(seed, &failures);
}

/// One operand of the random literal grammar below: a number with random signs and
/// parentheses around and inside the sign, some of them invalid in Python.
fn random_operand(rng: &mut ChaCha8Rng) -> String {
    const NUMBERS: &[&str] = &[
        "0",
        "7",
        "00",
        "0777",
        "1_000",
        "1__0",
        "0x_1f",
        "0b101",
        "0o17",
        "1.5",
        "2e3",
        "1e400",
        ".5",
        "5.",
        "2j",
        "1.5j",
        "0j",
        "1e400j",
        "10000000000000000000000000000000000000001",
        "True",
        "'s'",
        "x",
    ];
    const SIGNS: &[&str] = &["", "", "", "-", "+", "--", "+-", "- ", "-+", "+ "];
    let mut s = NUMBERS[rng.gen_range(0..NUMBERS.len())].to_owned();
    for _ in 0..rng.gen_range(0..3) {
        s = if rng.gen_bool(0.5) {
            format!("({s})")
        } else {
            format!("{}{s}", SIGNS[rng.gen_range(0..SIGNS.len())])
        };
    }
    s
}

#[test]
fn literal_syntax_edge_cases_parse_like_literal_eval() {
    // repr(ast.literal_eval(text)) for signs, parentheses, `a+bj`, bare tuples and adjacent
    // string literals: Python's value, or an error where Python raises one (ValueError or
    // SyntaxError, which pymemory reports as ValueError; OverflowError exactly).
    let seed: u64 = common::seed(0x1173);
    eprintln!("literal syntax seed: {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut texts: Vec<String> = [
        "--5",
        "-(1)",
        "(-1)+2j",
        "(1)+(2j)",
        "1+(-2j)",
        "-(-1)",
        "(1, 2)",
        "((1,))",
        "(1+2j)",
        "-(1+2j)",
        "(1+2j)+3j",
        "'a' 'b'",
        "b'a' b'b'",
        "b'a' 'b'",
        "'a' b'b'",
        "1, 2",
        "1,",
        "1, 2,",
        "1,,2",
        ",",
        "+-5",
        "- 5",
        "((((3))))",
        "(1)",
        "()",
        "(,)",
        "[1, (2), -(3)]",
        "('a' 'b', 1)",
        "-True",
        "1-2j",
        "-1-2j",
        "1 + 2j",
        "(-0.0)",
        "-(0j)",
        "1+2",
        "2j+1",
        "u'a' 'b'",
        "rb'\\x' b'c'",
        "(1)(2)",
        "-(",
        ")",
        "1 2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for _ in 0..3000 {
        let mut t = random_operand(&mut rng);
        if rng.gen_bool(0.3) {
            t = format!(
                "{t}{}{}",
                ["+", "-", " + "][rng.gen_range(0..3)],
                random_operand(&mut rng)
            );
        }
        if rng.gen_bool(0.15) {
            t = format!("{t}, {}", random_operand(&mut rng));
        }
        texts.push(t);
    }
    let cases: Vec<_> = texts
        .iter()
        .map(|t| json!({"op": "literal", "text": t}))
        .collect();
    let answers = run_oracle(&cases);
    let (mut failures, mut accepted) = (Vec::new(), 0);
    for (text, answer) in texts.iter().zip(&answers) {
        let ours = Value::parse_literal(text);
        match (answer["ok"].as_str(), &ours) {
            (Some(want), Ok(v)) if v.to_string() == want => accepted += 1,
            (None, Err(e)) => {
                let kind = answer["err"][0].as_str().unwrap_or_default();
                let want = if kind == "OverflowError" {
                    "OverflowError"
                } else {
                    "ValueError"
                };
                if e.kind().python_name() != want {
                    failures.push(format!("{text:?}: python {kind}, ours {e}"));
                }
            }
            _ => failures.push(format!("{text:?}: python {answer}, ours {ours:?}")),
        }
    }
    eprintln!(
        "{} literals compared ({accepted} valid), {} mismatches",
        texts.len(),
        failures.len()
    );
    common::assert_no_mismatches(seed, &failures);
}

#[test]
fn repr_printability_is_unicode_16() {
    // repr(chr(c)) for every non-ASCII code point: CPython 3.14 escapes exactly the
    // characters of category Other or Separator in Unicode 16.0.0. Where the 3.11 oracle's
    // Unicode 14 assigns a character, its isprintable() must agree with ours; of the code
    // points Unicode 14 leaves unassigned, exactly the 10,294 that Unicode 15 and 16
    // assigned print (scripts/gen-printable.py counts them from unicodedata2 16.0.0).
    let (unassigned, nonprintable) = unicode14();
    let (mut checked, mut new_in_16, mut failures) = (0, 0, Vec::new());
    for c in (0x80..=0x10ffff).filter_map(char::from_u32) {
        let ours = prints_as_itself(c);
        let code = u32::from(c);
        if in_ranges(unassigned, code) {
            new_in_16 += usize::from(ours);
        } else {
            checked += 1;
            if ours == in_ranges(nonprintable, code) {
                failures.push(format!("U+{code:04X}: ours printable = {ours}"));
            }
        }
    }
    // Named characters from Unicode 15.0 / 16.0, and code points still unassigned in 16.
    for (c, name) in [
        ('\u{897}', "ARABIC PEPET (16.0)"),
        ('\u{1fae8}', "SHAKING FACE (15.0)"),
        ('\u{1cc00}', "UP-POINTING GO-KART (16.0)"),
        ('\u{31350}', "CJK UNIFIED IDEOGRAPH-31350 (15.0)"),
    ] {
        assert!(prints_as_itself(c), "{name} prints in 3.14");
    }
    for c in [
        '\u{378}',
        '\u{1faff}',
        '\u{2ffff}',
        '\u{50000}',
        '\u{e0080}',
        '\u{10ffff}',
    ] {
        assert!(
            !prints_as_itself(c),
            "U+{:04X} is unassigned in 16.0",
            u32::from(c)
        );
    }
    eprintln!("{checked} assigned code points compared with 3.11; {new_in_16} new in 15/16");
    assert!(
        failures.is_empty(),
        "{}",
        failures[..failures.len().min(20)].join("\n")
    );
    assert_eq!(new_in_16, 10_294);
}
