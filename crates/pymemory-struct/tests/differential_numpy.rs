//! The PEP 3118 dialect against numpy's buffer-format parser
//! (`numpy._core._internal._dtype_from_pep3118`), the reference implementation of these
//! formats: for random nested formats, `repr(numpy.frombuffer(data, dtype)[0].tolist())`
//! (lists turned into tuples) must equal our `unpack_item`, and the itemsizes must agree.
//!
//! Every generated format is wrapped in an outer `T{...}`: numpy pads a native-mode top
//! level to its alignment, while CPython's `struct` (and so our top level) does not
//! (`struct.calcsize('@ic') == 5`, numpy itemsize 8); inside a record both pad as C does.
//! numpy also rejects whitespace, so none is generated, and reads a count before a code
//! as a sub-array shape (`2h` is one field holding two values) where `struct` reads two
//! values, so counts are generated only as explicit shapes `(2)h` (and for padding).
//!
//! Needs numpy in python3 (`pip install numpy`), which is not part of the base machine, so
//! the test is ignored by default: `cargo test -p pymemory-struct -- --ignored`.

mod common;

use common::{hex, run_oracle};
use pymemory_struct::{Dialect, Format};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Codes whose values numpy and we both turn into the same Python objects (`3s` is a
/// whole token: its count is a string length, not a repeat).
const CODES: &[&str] = &[
    "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "?", "e", "f", "d", "Zf", "Zd", "x",
];

fn field(rng: &mut ChaCha8Rng, depth: u32, names: &mut u32) -> String {
    let mut s = String::new();
    let marked = rng.gen_bool(0.15);
    if marked {
        s.push(['<', '>', '@', '=', '!'][rng.gen_range(0..5)]);
    }
    // numpy does not accept a shape right after a byte-order mark.
    if !marked && rng.gen_bool(0.15) {
        let dims: Vec<String> = (0..rng.gen_range(1..3))
            .map(|_| rng.gen_range(1..4).to_string())
            .collect();
        s.push_str(&format!("({})", dims.join(",")));
    }
    if depth < 2 && rng.gen_bool(0.2) {
        s.push_str(&record(rng, depth + 1, names));
    } else {
        let code = CODES[rng.gen_range(0..CODES.len())];
        if code == "x" && rng.gen_bool(0.5) {
            // A plain count: numpy reads counts as sub-array shapes, struct as separate
            // values, so counts are only generated where both agree (padding).
            s.push_str(&rng.gen_range(2..4).to_string());
        }
        s.push_str(code);
    }
    if !s.ends_with('x') && rng.gen_bool(0.2) {
        // numpy refuses duplicate field names, and turns named padding into a field.
        *names += 1;
        s.push_str(&format!(":f{names}:"));
    }
    s
}

fn record(rng: &mut ChaCha8Rng, depth: u32, names: &mut u32) -> String {
    let fields: String = (0..rng.gen_range(1..5))
        .map(|_| field(rng, depth, names))
        .collect();
    format!("T{{{fields}}}")
}

#[test]
#[ignore = "needs numpy in python3 (pip install numpy); run with --ignored"]
fn buffer_formats_decode_like_numpy() {
    let seed: u64 = common::seed(0x3118);
    eprintln!("numpy differential seed: {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    while cases.len() < 3000 {
        let prefix = ["", "<", ">", "@", "="][rng.gen_range(0..5)];
        let fmt = format!("{prefix}{}", record(&mut rng, 0, &mut 0));
        let f = Format::parse(&fmt, Dialect::Buffer).unwrap_or_else(|e| panic!("{fmt}: {e}"));
        if f.size() == 0 || f.value_count() == 0 {
            continue;
        }
        // No zero bytes: numpy strips trailing NULs from `c`/`s` values.
        let data: Vec<u8> = (0..f.size()).map(|_| rng.gen_range(1..=255)).collect();
        ours.push(f.unpack_item(&data).map(|v| v.to_string()));
        cases.push(json!({"op": "numpy_item", "fmt": fmt, "data": hex(&data)}));
    }
    let answers = run_oracle(&cases);
    let mut failures = Vec::new();
    for ((case, theirs), mine) in cases.iter().zip(&answers).zip(&ours) {
        match (mine, theirs["ok"].as_str()) {
            (Ok(r), Some(want)) if r == want => {}
            _ => failures.push(format!("{case}\n  numpy: {theirs}\n  ours:  {mine:?}")),
        }
    }
    eprintln!("{} numpy cases, {} mismatches", cases.len(), failures.len());
    common::assert_no_mismatches(seed, &failures);
}
