//! Differential tests: pymemory's `MemoryView` against CPython's `memoryview` over
//! `_testbuffer.ndarray` (arbitrary shapes, negative and zero strides, offsets,
//! suboffsets, read-only), thousands of seeded random cases.
//!
//! Each case mirrors the Python program
//! `m = memoryview(ndarray(items, shape, strides, offset, format, flags))` followed by a
//! random sequence of `m[key]`, `m[key] = value`, `m.cast(fmt, shape)`, `m.tolist()`,
//! `m.tobytes(order)`, `m.hex(sep, n)`, `m == w`, `hash(m)`, `m.count(x)`,
//! `m.index(x, start, stop)`, `m.toreadonly()`, `iter(m)` and `m.release()`, comparing
//! every value repr, every attribute and every exception kind and message.
//! The oracle is tests/oracle/memoryview_oracle.py (see its docstring for how the
//! extensions beyond CPython are checked).

mod common;

use std::collections::HashMap;
use std::process::Command;

use pymemory_buffer::{
    Dialect, Format, Index, Item, MemoryView, NdArray, NdFlags, Slice, Subscript, Value,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value as J, json};

const FORMATS: &[&str] = &[
    "B", "b", "c", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "f", "d", "e", "?", "P", "@i",
    "@B", "<i", ">h", "=q", "<d", "3s", ">I",
];
// No 'e': CPython 3.11 cannot cast to it (3.12+ can); covered by unit tests instead.
const CAST_FORMATS: &[&str] = &[
    "B", "b", "c", "h", "H", "i", "I", "l", "q", "Q", "f", "d", "?", "@B", "@i",
];

fn palette(fmt: &str) -> Vec<&'static str> {
    let code = fmt.trim_start_matches(['@', '<', '>', '=']);
    match code {
        "b" => vec!["-128", "-1", "0", "1", "7", "127"],
        "B" => vec!["0", "1", "7", "128", "255"],
        "h" => vec!["-32768", "-1", "0", "2", "300", "32767"],
        "H" => vec!["0", "1", "300", "65535"],
        "i" | "l" | "q" | "n" => vec!["-2147483648", "-1", "0", "3", "70000", "2147483647"],
        "I" | "L" | "Q" | "N" | "P" => vec!["0", "1", "5", "70000", "4294967295"],
        "f" | "d" => vec![
            "0.0", "-0.0", "1.5", "-2.25", "inf", "-inf", "nan", "1e10", "0.1",
        ],
        "e" => vec!["0.0", "-0.0", "1.5", "-2.25", "inf", "65504.0", "0.1"],
        "?" => vec!["True", "False"],
        "c" => vec!["b'a'", "b'\\x00'", "b'\\xff'"],
        "3s" => vec!["b'abc'", "b'\\x00\\x01\\x02'", "b'xy'"],
        _ => vec!["0"],
    }
}

const WRONG: &[&str] = &[
    "1.5",
    "b'ab'",
    "'x'",
    "300",
    "-1",
    "True",
    "1180591620717411303424",
    "b'z'",
    "()",
    "nan",
    "-129",
    "65536",
];

fn rand_opt(rng: &mut ChaCha8Rng, lo: isize, hi: isize) -> Option<isize> {
    if rng.gen_bool(0.3) {
        None
    } else {
        Some(rng.gen_range(lo..=hi))
    }
}

fn rand_slice(rng: &mut ChaCha8Rng) -> J {
    let step = *[
        None,
        Some(1),
        Some(2),
        Some(-1),
        Some(-2),
        Some(3),
        None,
        Some(0),
    ]
    .choose(rng)
    .unwrap_or(&None);
    let step = if step == Some(0) && rng.gen_bool(0.7) {
        None
    } else {
        step
    };
    json!({"slice": [rand_opt(rng, -6, 6), rand_opt(rng, -6, 6), step]})
}

fn rand_key(rng: &mut ChaCha8Rng) -> J {
    match rng.gen_range(0..11) {
        0..=2 => json!({"int": rng.gen_range(-5..=5)}),
        3..=4 => rand_slice(rng),
        5 => {
            json!({"tuple": (0..rng.gen_range(0..=3)).map(|_| json!({"int": rng.gen_range(-3..=3)})).collect::<Vec<_>>()})
        }
        6 => {
            json!({"tuple": (0..rng.gen_range(1..=3)).map(|_| rand_slice(rng)).collect::<Vec<_>>()})
        }
        7 => json!({"ell": true}),
        8 | 9 => rand_mixed(rng),
        _ => json!({"tuple": []}),
    }
}

/// Ints and slices mixed (numpy basic indexing, extension), sometimes with more keys than
/// dimensions or an ellipsis (both stay `TypeError: memoryview: invalid slice key`).
fn rand_mixed(rng: &mut ChaCha8Rng) -> J {
    let n = if rng.gen_bool(0.1) {
        5
    } else {
        rng.gen_range(2..=4)
    };
    let parts: Vec<J> = (0..n)
        .map(|_| match rng.gen_range(0..30) {
            0 => json!({"ell": true}),
            1..=12 => json!({"int": rng.gen_range(-2..=1)}),
            _ => rand_slice(rng),
        })
        .collect();
    json!({"tuple": parts})
}

fn key_of(k: &J) -> Subscript {
    fn idx(k: &J) -> Index {
        if let Some(i) = k.get("int") {
            return Index::Int(i.as_i64().unwrap_or(0) as isize);
        }
        if let Some(s) = k.get("slice") {
            let p = |i: usize| s[i].as_i64().map(|x| x as isize);
            return Index::Slice(Slice::new(p(0), p(1), p(2)));
        }
        Index::Ellipsis
    }
    match k.get("tuple") {
        Some(t) => Subscript::Tuple(
            t.as_array()
                .map(|a| a.iter().map(idx).collect())
                .unwrap_or_default(),
        ),
        None => Subscript::Single(idx(k)),
    }
}

struct Case {
    json: J,
    fmt: String,
    data: Vec<u8>,
    shape: Vec<usize>,
    strides: Option<Vec<isize>>,
    offset: isize,
    flags: NdFlags,
}

fn extent_ok(
    shape: &[usize],
    strides: &[isize],
    itemsize: usize,
    offset: isize,
    len: usize,
) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let (mut lo, mut hi) = (0isize, itemsize as isize);
    for (&d, &s) in shape.iter().zip(strides) {
        let span = s * (d as isize - 1);
        if span < 0 { lo += span } else { hi += span }
    }
    lo + offset >= 0 && hi + offset <= len as isize
}

/// `mixed`: N-D views (2-4 dimensions) whose gets and sets mostly use mixed keys.
fn gen_case(rng: &mut ChaCha8Rng, id: usize, mixed: bool) -> Case {
    let fmt = FORMATS.choose(rng).copied().unwrap_or("B").to_owned();
    let f = Format::parse(&fmt, Dialect::Struct).expect("palette format");
    let isz = f.size();
    let ndim = if mixed {
        *[2usize, 2, 3, 3, 4].choose(rng).unwrap_or(&2)
    } else {
        *[0usize, 1, 1, 1, 2, 2, 3].choose(rng).unwrap_or(&1)
    };
    let key = |rng: &mut ChaCha8Rng| {
        if mixed && rng.gen_bool(0.7) {
            rand_mixed(rng)
        } else {
            rand_key(rng)
        }
    };
    let shape: Vec<usize> = (0..ndim)
        .map(|_| {
            if rng.gen_bool(0.08) {
                0
            } else {
                rng.gen_range(1..=4)
            }
        })
        .collect();
    let product: usize = shape.iter().product();
    let mut nitems = product.max(1) + rng.gen_range(0..=4);
    let mut strides = None;
    let mut offset = 0isize;
    if ndim > 0 && rng.gen_bool(0.6) {
        for _ in 0..30 {
            let s: Vec<isize> = shape
                .iter()
                .map(|_| rng.gen_range(-3isize..=3) * isz as isize)
                .collect();
            let off = rng.gen_range(0..nitems) as isize * isz as isize;
            if extent_ok(&shape, &s, isz, off, nitems * isz) {
                strides = Some(s);
                offset = off;
                break;
            }
        }
    }
    if ndim == 0 {
        nitems = 1;
    }
    let pal = palette(&fmt);
    let mut data = Vec::new();
    for _ in 0..nitems {
        let lit = pal.choose(rng).copied().unwrap_or("0");
        let v = Value::parse_literal(lit).expect("palette literal");
        data.extend(f.pack(&[v]).expect("palette packs"));
    }
    let flags = NdFlags {
        writable: rng.gen_bool(0.6),
        fortran: false,
        pil: ndim > 0 && rng.gen_bool(0.2),
    };

    let mut names: Vec<String> = vec!["m".into()];
    let mut ops = Vec::new();
    let nops = rng.gen_range(4..=12);
    for k in 0..nops {
        let v = names.choose(rng).cloned().unwrap_or_else(|| "m".into());
        let op = match rng.gen_range(0..20) {
            0..=2 => json!({"op": "desc", "v": v}),
            3..=7 => {
                names.push(format!("v{k}"));
                json!({"op": "get", "v": v, "key": key(rng)})
            }
            8..=10 => {
                let key = key(rng);
                let sliced = key.get("slice").is_some() || key.get("tuple").is_some();
                if sliced && rng.gen_bool(0.3) {
                    let src = names.choose(rng).cloned().unwrap_or_else(|| "m".into());
                    json!({"op": "set", "v": v, "key": key, "src": src})
                } else if sliced && rng.gen_bool(0.7) {
                    let n = rng.gen_range(0..=6);
                    let bytes: String = (0..n)
                        .map(|_| format!("\\x{:02x}", rng.gen_range(0..=255u8)))
                        .collect();
                    json!({"op": "set", "v": v, "key": key, "val": format!("b'{bytes}'")})
                } else {
                    let lit = if rng.gen_bool(0.8) {
                        pal.choose(rng).copied()
                    } else {
                        WRONG.choose(rng).copied()
                    };
                    json!({"op": "set", "v": v, "key": key, "val": lit.unwrap_or("0")})
                }
            }
            11..=12 => {
                names.push(format!("v{k}"));
                let cf = CAST_FORMATS.choose(rng).copied().unwrap_or("B");
                let shape = match rng.gen_range(0..6) {
                    0..=2 => J::Null,
                    3 => json!([]),
                    4 => json!(
                        (0..rng.gen_range(1..=3))
                            .map(|_| rng.gen_range(1..=6))
                            .collect::<Vec<i64>>()
                    ),
                    _ => json!([rng.gen_range(-1..=2), 2]),
                };
                json!({"op": "cast", "v": v, "fmt": cf, "shape": shape})
            }
            13 => {
                let sep = *[
                    "':'", "b'-'", "''", "'ab'", "'\u{e9}'", "1", "b'\\xff'", "' '", "[1]", "None",
                ]
                .choose(rng)
                .unwrap_or(&"':'");
                let n = *[-3i64, -2, -1, 0, 1, 2, 3, 5, 1 << 31]
                    .choose(rng)
                    .unwrap_or(&1);
                json!({"op": "hex", "v": v, "sep": sep, "n": n})
            }
            14 => {
                json!({"op": "eq", "v": v, "w": names.choose(rng).cloned().unwrap_or_else(|| "m".into())})
            }
            15 => json!({"op": "hash", "v": v}),
            16 => {
                let lit = if rng.gen_bool(0.8) {
                    pal.choose(rng).copied()
                } else {
                    WRONG.choose(rng).copied()
                };
                json!({"op": "count", "v": v, "val": lit.unwrap_or("0")})
            }
            17 => {
                let lit = if rng.gen_bool(0.8) {
                    pal.choose(rng).copied()
                } else {
                    WRONG.choose(rng).copied()
                };
                json!({"op": "index", "v": v, "val": lit.unwrap_or("0"),
                       "start": rand_opt(rng, -4, 4), "stop": rand_opt(rng, -4, 6)})
            }
            18 => {
                names.push(format!("v{k}"));
                json!({"op": "toreadonly", "v": v})
            }
            _ => json!({"op": "iter", "v": v}),
        };
        ops.push(op);
    }
    if rng.gen_bool(0.2) {
        let v = names.choose(rng).cloned().unwrap_or_else(|| "m".into());
        ops.push(json!({"op": "release", "v": v}));
        ops.push(json!({"op": "desc", "v": v}));
        ops.push(json!({"op": "eq", "v": v, "w": "m"}));
    }
    let hexdata: String = data.iter().map(|b| format!("{b:02x}")).collect();
    let json = json!({"id": id, "fmt": fmt, "data": hexdata, "shape": shape, "strides": strides,
                      "offset": offset, "writable": flags.writable, "pil": flags.pil, "ops": ops});
    Case {
        json,
        fmt,
        data,
        shape,
        strides,
        offset,
        flags,
    }
}

fn err(e: pymemory_buffer::Error) -> String {
    format!("err:{e}")
}

fn call(r: pymemory_buffer::Result<String>) -> String {
    match r {
        Ok(s) => format!("ok:{s}"),
        Err(e) => err(e),
    }
}

fn tuple(v: Vec<i128>) -> String {
    Value::Tuple(v.into_iter().map(Value::Int).collect()).to_string()
}

fn describe(m: &MemoryView) -> String {
    let b = |r: pymemory_buffer::Result<bool>| call(r.map(|x| Value::Bool(x).to_string()));
    let hexs = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
    [
        call(m.format().map(|f| Value::Str(f).to_string())),
        call(m.itemsize().map(|x| x.to_string())),
        call(m.ndim().map(|x| x.to_string())),
        call(
            m.shape()
                .map(|x| tuple(x.into_iter().map(|v| v as i128).collect())),
        ),
        call(
            m.strides()
                .map(|x| tuple(x.into_iter().map(|v| v as i128).collect())),
        ),
        call(
            m.suboffsets()
                .map(|x| tuple(x.into_iter().map(|v| v as i128).collect())),
        ),
        call(m.nbytes().map(|x| x.to_string())),
        b(m.readonly()),
        b(m.c_contiguous()),
        b(m.f_contiguous()),
        b(m.contiguous()),
        call(m.tolist().map(|v| v.to_string())),
        call(m.tobytes_order(Some("C")).map(hexs)),
        call(m.tobytes_order(Some("F")).map(hexs)),
        call(m.tobytes_order(Some("A")).map(hexs)),
        call(m.hex()),
        call(m.len().map(|x| x.to_string())),
    ]
    .join("|")
}

/// Runs a case; `skipped` marks the ops the oracle could not evaluate, so mutating ones
/// are not applied here either (both sides keep the same memory).
fn run_rust(c: &Case, skipped: &[bool]) -> Vec<String> {
    let f = Format::parse(&c.fmt, Dialect::Buffer).expect("format");
    let nd = match NdArray::new(
        &c.data,
        &c.shape,
        c.strides.as_deref(),
        c.offset,
        &c.fmt,
        f.size(),
        c.flags,
    ) {
        Ok(nd) => nd,
        Err(e) => return vec![format!("build:{}", err(e))],
    };
    let mut views: HashMap<String, MemoryView> = HashMap::new();
    views.insert("m".into(), MemoryView::new(&nd).expect("memoryview(nd)"));
    let mut res = vec!["build:ok".to_owned()];
    let ops = c.json["ops"].as_array().cloned().unwrap_or_default();
    for (k, op) in ops.iter().enumerate() {
        let name = format!("v{k}");
        let Some(v) = views.get(op["v"].as_str().unwrap_or("m")).cloned() else {
            res.push("missing".into());
            continue;
        };
        if skipped.get(k + 1).copied().unwrap_or(false) && op["op"] == "set" {
            res.push("skip".into());
            continue;
        }
        let absent = |key: &str| {
            op.get(key)
                .and_then(J::as_str)
                .is_some_and(|n| !views.contains_key(n))
        };
        if absent("w") || absent("src") {
            res.push("missing".into());
            continue;
        }
        let lit =
            |key: &str| Value::parse_literal(op[key].as_str().unwrap_or("0")).expect("literal");
        let r: pymemory_buffer::Result<String> = (|| match op["op"].as_str().unwrap_or("") {
            "desc" => Ok(describe(&v)),
            "get" => match v.get(key_of(&op["key"]))? {
                Item::View(x) => {
                    let d = describe(&x);
                    views.insert(name.clone(), x);
                    Ok(format!("view:{d}"))
                }
                Item::Value(x) => Ok(x.to_string()),
            },
            "set" => {
                let key = key_of(&op["key"]);
                match op.get("src").and_then(J::as_str) {
                    Some(src) => match views.get(src) {
                        Some(s) => v.set_from(key, s)?,
                        None => return Ok("missing".into()),
                    },
                    None => v.set(key, &lit("val"))?,
                }
                let base = MemoryView::new(&nd)?;
                let hex = base.hex()?;
                base.release()?;
                Ok(format!("done;{hex}"))
            }
            "cast" => {
                let shape: Option<Vec<isize>> = op["shape"]
                    .as_array()
                    .map(|a| a.iter().map(|x| x.as_i64().unwrap_or(0) as isize).collect());
                let x = v.cast(op["fmt"].as_str().unwrap_or("B"), shape.as_deref())?;
                let d = describe(&x);
                views.insert(name.clone(), x);
                Ok(d)
            }
            "hex" => {
                let sep = (op["sep"].as_str() != Some("None")).then(|| lit("sep"));
                v.hex_sep(sep.as_ref(), op["n"].as_i64().unwrap_or(1))
            }
            "eq" => {
                let w = views.get(op["w"].as_str().unwrap_or("m")).cloned();
                Ok(w.map_or("missing".into(), |w| Value::Bool(v.equals(&w)).to_string()))
            }
            "hash" => v.hash().map(|h| h.to_string()),
            "count" => v.count(&lit("val")).map(|n| n.to_string()),
            "index" => {
                let b = |key: &str| op[key].as_i64().map(|x| x as isize);
                v.index(&lit("val"), b("start"), b("stop"))
                    .map(|n| n.to_string())
            }
            "toreadonly" => {
                let x = v.toreadonly()?;
                let d = describe(&x);
                views.insert(name.clone(), x);
                Ok(d)
            }
            "release" => v.release().map(|()| "released".into()),
            "iter" => {
                let mut out = Vec::new();
                for it in v.iter()? {
                    out.push(match it? {
                        Item::Value(x) => x,
                        Item::View(_) => Value::Str("view".into()),
                    });
                }
                Ok(Value::List(out).to_string())
            }
            other => Ok(format!("unknown op {other}")),
        })();
        res.push(match r {
            Ok(s) if s == "missing" => s,
            Ok(s) => format!("ok:{s}"),
            Err(e) => err(e),
        });
    }
    res
}

fn run_python(cases: &[Case]) -> Vec<Vec<String>> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/memoryview_oracle.py"
    );
    let mut command = Command::new("python3");
    command.arg(script).env("PYTHONHASHSEED", "0");
    let input: String = cases.iter().map(|c| format!("{}\n", c.json)).collect();
    common::oracle_lines(command, input)
        .iter()
        .map(|l| serde_json::from_str::<Vec<String>>(l).expect("oracle json"))
        .collect()
}

/// Python's display of a python-side skip or a genuine 3.11-vs-3.14 difference.
fn comparable(py: &str) -> bool {
    // "missing": an earlier op the oracle skipped did not create the view on its side.
    py != "skip" && py != "missing"
}

fn differential(seed: u64, n: usize, mixed_mode: bool) -> usize {
    eprintln!("memoryview differential: seed {seed} (PYMEMORY_SEED replays it), {n} cases");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cases: Vec<Case> = (0..n).map(|i| gen_case(&mut rng, i, mixed_mode)).collect();
    let py = run_python(&cases);
    assert_eq!(
        py.len(),
        cases.len(),
        "oracle answered {} of {} cases",
        py.len(),
        cases.len()
    );
    let mut compared = 0;
    let mut not_comparable = 0;
    let mut oracle_skips = 0;
    // Ops whose key mixes ints and slices (the extension): compared, and how many of them
    // gave a view or assigned (rather than an error).
    let (mut mixed, mut mixed_ok) = (0, 0);
    let mut failures = Vec::new();
    for (c, p) in cases.iter().zip(&py) {
        let skipped: Vec<bool> = p.iter().map(|x| x == "skip" || x == "missing").collect();
        let r = run_rust(c, &skipped);
        for (k, (pp, rr)) in p.iter().zip(&r).enumerate() {
            if !comparable(pp) {
                not_comparable += 1;
                oracle_skips += usize::from(pp == "skip");
                continue;
            }
            compared += 1;
            let op = k.checked_sub(1).map(|i| &c.json["ops"][i]);
            if op.is_some_and(|op| is_mixed_key(&op["key"])) {
                mixed += 1;
                mixed_ok += usize::from(pp.starts_with("ok:"));
            }
            if pp != rr {
                failures.push(format!(
                    "seed {seed} case {} op {}:\n  case: {}\n  python: {pp}\n  rust:   {rr}",
                    c.json["id"],
                    k.saturating_sub(1),
                    c.json
                ));
                break;
            }
        }
        if p.len() != r.len() && failures.len() < 5 {
            failures.push(format!(
                "seed {seed} case {}: result count {} vs {}\n{:?}\n{:?}",
                c.json["id"],
                p.len(),
                r.len(),
                p,
                r
            ));
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} mismatching cases (first 5):\n{}",
            failures.len(),
            failures
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    eprintln!(
        "  seed {seed}: {compared} results compared, {not_comparable} not comparable ({oracle_skips} oracle skips, the rest ops on views the oracle never created); {mixed} with mixed int/slice keys ({mixed_ok} views or assignments)"
    );
    if mixed_mode {
        assert!(mixed_ok > n / 8, "too few mixed-key results: {mixed_ok}");
    }
    compared
}

/// A tuple key with both ints and slices (`m[1, ::2]`).
fn is_mixed_key(k: &J) -> bool {
    k["tuple"].as_array().is_some_and(|t| {
        t.iter().any(|x| x.get("int").is_some()) && t.iter().any(|x| x.get("slice").is_some())
    })
}

#[test]
fn random_views_match_cpython() {
    let first = common::seed(0x5eed_0001);
    let seeds: Vec<u64> = (0..5).map(|i| first.wrapping_add(i)).collect();
    let per_seed = 3000;
    let mut compared = 0;
    for &seed in &seeds {
        compared += differential(seed, per_seed, false);
    }
    let n = seeds.len() * per_seed;
    eprintln!("memoryview differential: {n} cases, {compared} compared results");
    assert!(compared > n * 3);
}

/// The mixed int/slice extension (`m[1, ::2]`, `m[0:1, 0:1, -1]`, get and set) against the
/// oracle's model: numpy basic indexing computed from the view's shape and strides, built as
/// a real CPython memoryview over the same memory, so every later operation (attributes,
/// tolist, tobytes, further subscripts, assignments through it) is CPython's.
#[test]
fn mixed_int_slice_keys_match_the_model() {
    let (seed, n) = (common::seed(0x5eed_00aa), 3000);
    let compared = differential(seed, n, true);
    eprintln!("mixed-key differential: {n} cases, {compared} compared results");
    assert!(compared > n * 3);
}

/// `Subscript::parse(text)` against Python's own parser: the key object of
/// `K()[<text>]` for `class K: __getitem__ = lambda self, k: k`.
#[test]
fn subscript_text_parses_like_python() {
    const PY: &str = r#"
import sys, json
class K:
    def __getitem__(self, k):
        return k
M = sys.maxsize
def clamp(v):
    return None if v is None else max(-M - 1, min(M, v))
def canon(k, top=True):
    if isinstance(k, tuple) and top:
        return "t(" + ",".join(canon(x, False) for x in k) + ")"
    if isinstance(k, slice):
        return "s:%r:%r:%r" % (clamp(k.start), clamp(k.stop), clamp(k.step))
    if k is Ellipsis:
        return "e"
    if isinstance(k, int):
        if not (-M - 1 <= k <= M):
            return "IndexError"
        return "i:%d" % k
    return "other"
for line in sys.stdin:
    text = json.loads(line)
    try:
        k = eval("K()[" + text + "]")
        out = canon(k)
        if out.startswith("t(") and "IndexError" in out:
            out = "IndexError"
    except SyntaxError:
        out = "error"
    print(json.dumps(out))
"#;
    fn canon_index(i: &Index) -> String {
        match i {
            Index::Int(v) => format!("i:{v}"),
            Index::Ellipsis => "e".into(),
            Index::Slice(s) => {
                let f = |v: Option<isize>| v.map_or("None".to_owned(), |x| x.to_string());
                format!("s:{}:{}:{}", f(s.start), f(s.stop), f(s.step))
            }
        }
    }
    let seed = common::seed(0x5eed_0100);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ints = [
        "0",
        "1",
        "-1",
        "7",
        "-12",
        "0x1f",
        "1_000",
        "00",
        "01",
        "99999999999999999999",
        "-99999999999999999999",
        " 3 ",
    ];
    let mut texts = Vec::new();
    for _ in 0..3000 {
        let n = rng.gen_range(1..=3);
        let mut parts = Vec::new();
        for _ in 0..n {
            let p = match rng.gen_range(0..6) {
                0 | 1 => ints.choose(&mut rng).copied().unwrap_or("0").to_owned(),
                2 => "...".to_owned(),
                _ => {
                    fn pick(rng: &mut ChaCha8Rng, ints: &[&str]) -> String {
                        if rng.gen_bool(0.4) {
                            String::new()
                        } else {
                            ints.choose(rng).copied().unwrap_or("0").to_owned()
                        }
                    }
                    let (a, b) = (pick(&mut rng, &ints), pick(&mut rng, &ints));
                    if rng.gen_bool(0.5) {
                        format!("{a}:{b}")
                    } else {
                        let c = pick(&mut rng, &ints);
                        format!("{a}:{b}:{c}")
                    }
                }
            };
            parts.push(p);
        }
        let mut t = parts.join(if rng.gen_bool(0.5) { "," } else { ", " });
        match rng.gen_range(0..6) {
            0 => t.push(','),
            1 => t = format!("({t})"),
            2 => t = "()".into(),
            _ => {}
        }
        texts.push(t);
    }
    let input: String = texts
        .iter()
        .map(|t| format!("{}\n", J::String(t.clone())))
        .collect();
    let py: Vec<String> = common::oracle_lines(common::python_c(PY), input)
        .iter()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(py.len(), texts.len());
    let mut bad = Vec::new();
    for (t, p) in texts.iter().zip(&py) {
        let r = match Subscript::parse(t) {
            Ok(Subscript::Single(i)) => canon_index(&i),
            Ok(Subscript::Tuple(v)) => format!(
                "t({})",
                v.iter().map(canon_index).collect::<Vec<_>>().join(",")
            ),
            Err(e) if e.kind() == pymemory_buffer::ExceptionKind::IndexError => "IndexError".into(),
            Err(_) => "error".into(),
        };
        if &r != p {
            bad.push(format!("text {t:?}: python {p}, rust {r}"));
        }
    }
    assert!(
        bad.is_empty(),
        "seed {seed}: {} mismatches, first: {:?}",
        bad.len(),
        &bad[..bad.len().min(8)]
    );
    eprintln!("subscript parser: {} texts match Python", texts.len());
}
