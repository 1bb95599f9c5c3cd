//! The CPython 3.14 complex codes `F` and `D` (gh-121249), which the python3 3.11
//! oracle lacks: checked by translation. `F` lays out exactly like `2f` and `D` like
//! `2d` (same size and alignment), so `struct.pack(fmt, ..., z, ...)` must equal
//! `struct.pack(fmt', ..., z.real, z.imag, ...)` with `F` -> `2f`, and unpacking must
//! give `complex(re, im)` of the two floats.

mod common;

use common::{enc, hex, run_oracle};
use pymemory_struct::{Value, pack, unpack};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

const CODES: &[u8] = b"FDFDbhiqfdex?";

fn float(rng: &mut ChaCha8Rng) -> f64 {
    match rng.gen_range(0..4) {
        0 => f64::from_bits(rng.r#gen()),
        1 => f64::from(f32::from_bits(rng.r#gen())),
        2 => 3.5e38 * if rng.gen_bool(0.5) { 1.0 } else { -1.0 },
        _ => rng.gen_range(-1e3..1e3),
    }
}

#[test]
fn complex_codes_match_their_float_pair_translation() {
    let seed: u64 = common::seed(0xc0de);
    eprintln!("complex differential seed: {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..3000 {
        let prefix = ["", "@", "<", ">", "="][rng.gen_range(0..5)];
        let (mut fmt, mut translated) = (prefix.to_owned(), prefix.to_owned());
        let (mut values, mut py_values) = (Vec::new(), Vec::new());
        let mut pairs = Vec::new();
        // Index in the translated (python) value list.
        let mut slot = 0usize;
        for _ in 0..rng.gen_range(1..4) {
            let code = char::from(CODES[rng.gen_range(0..CODES.len())]);
            let count = rng.gen_range(1..3usize);
            fmt.push_str(&format!("{count}{code}"));
            match code {
                'F' | 'D' => {
                    translated.push_str(&format!("{}{}", 2 * count, code.to_ascii_lowercase()));
                    for _ in 0..count {
                        let v = match rng.gen_range(0..5) {
                            0 => Value::Float(float(&mut rng)),
                            1 => Value::Int(rng.gen_range(-1000..1000)),
                            _ => Value::Complex {
                                re: float(&mut rng),
                                im: float(&mut rng),
                            },
                        };
                        let (re, im) = match &v {
                            Value::Complex { re, im } => (Value::Float(*re), Value::Float(*im)),
                            other => (other.clone(), Value::Float(0.0)),
                        };
                        py_values.push(enc(&re));
                        py_values.push(enc(&im));
                        values.push(v);
                        pairs.push(slot);
                        slot += 2;
                    }
                }
                'x' => translated.push_str(&format!("{count}x")),
                _ => {
                    translated.push_str(&format!("{count}{code}"));
                    for _ in 0..count {
                        let v = if code == 'f' || code == 'd' || code == 'e' {
                            Value::Float(rng.gen_range(-100.0..100.0))
                        } else {
                            Value::Int(rng.gen_range(-100..100))
                        };
                        py_values.push(enc(&v));
                        values.push(v);
                        slot += 1;
                    }
                }
            }
        }
        let packed = pack(&fmt, &values);
        cases.push(json!({"op": "pack", "fmt": translated, "values": py_values}));
        let size = pymemory_struct::calcsize(&fmt).unwrap_or(0);
        let data: Vec<u8> = (0..size).map(|_| rng.r#gen()).collect();
        cases.push(
            json!({"op": "unpack_merge", "fmt": translated, "data": hex(&data), "pairs": pairs}),
        );
        let unpacked = unpack(&fmt, &data).map(|v| Value::Tuple(v).to_string());
        ours.push((fmt, packed, unpacked));
    }
    let answers = run_oracle(&cases);
    let mut failures = Vec::new();
    for (i, (fmt, packed, unpacked)) in ours.iter().enumerate() {
        let (pa, ua) = (&answers[2 * i], &answers[2 * i + 1]);
        match (packed, pa["ok"].as_str()) {
            (Ok(bytes), Some(want)) if hex(bytes) == want => {}
            (Err(e), None) => {
                let theirs = pa["err"][1].as_str().unwrap_or_default();
                let ok = e.message() == theirs
                    || e.message() == "required argument is not a complex"
                        && theirs == "required argument is not a float";
                if !ok {
                    failures.push(format!("pack {fmt}: ours {e}, python {pa}"));
                }
            }
            _ => failures.push(format!("pack {fmt}: ours {packed:?}, python {pa}")),
        }
        match (unpacked, ua["ok"].as_str()) {
            (Ok(r), Some(want)) if r == want => {}
            _ => failures.push(format!("unpack {fmt}: ours {unpacked:?}, python {ua}")),
        }
    }
    eprintln!("{} F/D cases, {} mismatches", cases.len(), failures.len());
    common::assert_no_mismatches(seed, &failures);
}
