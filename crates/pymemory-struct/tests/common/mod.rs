//! Shared helpers for the differential tests: a python3 oracle process and the JSON
//! encoding of values passed to it.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use pymemory_struct::Value;
use serde_json::{Value as Json, json};

mod seed;
pub(crate) use seed::seed;

/// The Python side: decodes each case, runs it, and prints one JSON line with either
/// `{"ok": ...}` or `{"err": [kind, message]}`.
pub const ORACLE: &str = r#"
import json, struct, sys

def dec(v):
    t = v["t"]
    if t == "int": return int(v["v"])
    if t == "bool": return bool(v["v"])
    if t == "float": return struct.unpack("<d", int(v["v"]).to_bytes(8, "little"))[0]
    if t == "complex":
        re = struct.unpack("<d", int(v["re"]).to_bytes(8, "little"))[0]
        im = struct.unpack("<d", int(v["im"]).to_bytes(8, "little"))[0]
        return complex(re, im)
    if t == "bytes": return bytes.fromhex(v["v"])
    if t == "str": return v["v"]
    if t == "tuple": return tuple(dec(x) for x in v["v"])
    if t == "list": return [dec(x) for x in v["v"]]
    raise ValueError(t)

def kind(e):
    if isinstance(e, struct.error): return "struct.error"
    return type(e).__name__

def run(case):
    op = case["op"]
    fmt = case.get("fmt")
    if op == "calcsize": return struct.calcsize(fmt)
    if op == "pack": return struct.pack(fmt, *[dec(v) for v in case["values"]]).hex()
    if op == "unpack": return repr(struct.unpack(fmt, bytes.fromhex(case["data"])))
    if op == "unpack_from":
        return repr(struct.unpack_from(fmt, bytes.fromhex(case["data"]), case["offset"]))
    if op == "pack_into":
        buf = bytearray(bytes.fromhex(case["data"]))
        try:
            struct.pack_into(fmt, buf, case["offset"], *[dec(v) for v in case["values"]])
        finally:
            case["after"] = buf.hex()
        return buf.hex()
    if op == "iter_unpack":
        return repr(list(struct.iter_unpack(fmt, bytes.fromhex(case["data"]))))
    if op == "repr": return repr(dec(case["value"]))
    if op == "unpack_merge":
        vals = list(struct.unpack(fmt, bytes.fromhex(case["data"])))
        for i in reversed(case["pairs"]):
            vals[i:i + 2] = [complex(vals[i], vals[i + 1])]
        return repr(tuple(vals))
    if op == "numpy_item":
        import numpy
        from numpy._core._internal import _dtype_from_pep3118
        dt = _dtype_from_pep3118(case["fmt"])
        data = bytes.fromhex(case["data"])
        if dt.itemsize != len(data):
            return "itemsize %d" % dt.itemsize
        def tup(v):
            if isinstance(v, numpy.ndarray):
                return tup(v.tolist())
            if isinstance(v, (list, tuple)):
                return tuple(tup(x) for x in v)
            if isinstance(v, numpy.generic):
                return v.item()
            return v
        return repr(tup(numpy.frombuffer(data, dtype=dt)[0].tolist()))
    if op == "float":
        return float(dec(case["value"])).hex()
    if op == "cmp":
        a, b = dec(case["a"]), dec(case["b"])
        return [a < b, a == b, a > b]
    if op == "unicode_ranges":
        # Inclusive ranges of code points whose category is Cn (unassigned) in this
        # Python's Unicode database, and of those str.isprintable() rejects.
        import unicodedata
        out = {"unassigned": [], "nonprintable": [], "version": unicodedata.unidata_version}
        for key, pred in (("unassigned", lambda c: unicodedata.category(chr(c)) == "Cn"),
                          ("nonprintable", lambda c: not chr(c).isprintable())):
            start = None
            for c in range(0x110001):
                if c <= 0x10FFFF and pred(c):
                    start = c if start is None else start
                elif start is not None:
                    out[key].append([start, c - 1])
                    start = None
        return out
    if op == "literal":
        import ast
        return repr(ast.literal_eval(case["text"]))
    raise ValueError(op)

for line in sys.stdin:
    case = json.loads(line)
    try:
        out = {"ok": run(case)}
    except Exception as e:
        out = {"err": [kind(e), str(e)]}
    if "after" in case: out["after"] = case["after"]
    sys.stdout.write(json.dumps(out) + "\n")
sys.stdout.flush()
"#;

/// Fails the test when `failures` is not empty, naming the seed to replay
/// (`PYMEMORY_SEED`), the number of mismatches and the first ones.
pub fn assert_no_mismatches(seed: u64, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "seed {seed}: {} mismatches, the first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// Runs every case through one python3 process and returns its answers in order.
///
/// Panics loudly when python3 is missing: the differential tests must never pass
/// without the oracle.
pub fn run_oracle(cases: &[Json]) -> Vec<Json> {
    let mut child = Command::new("python3")
        .args(["-c", ORACLE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("DIFFERENTIAL TEST NEEDS python3 ON PATH: could not start python3");
    let mut stdin = child.stdin.take().expect("python3 stdin");
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).expect("write to python3");
    });
    let stdout = child.stdout.take().expect("python3 stdout");
    let answers: Vec<Json> = BufReader::new(stdout)
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read python3")).expect("python3 answer is JSON"))
        .collect();
    writer.join().expect("writer thread");
    let status = child.wait().expect("python3 exit");
    assert!(status.success(), "python3 oracle failed: {status}");
    assert_eq!(
        answers.len(),
        cases.len(),
        "python3 answered fewer cases than sent"
    );
    answers
}

pub fn enc(v: &Value) -> Json {
    match v {
        Value::Bool(b) => json!({"t": "bool", "v": b}),
        Value::Int(i) => json!({"t": "int", "v": i.to_string()}),
        Value::BigInt(b) => json!({"t": "int", "v": b.to_string()}),
        Value::Float(x) => json!({"t": "float", "v": x.to_bits().to_string()}),
        Value::Complex { re, im } => {
            json!({"t": "complex", "re": re.to_bits().to_string(), "im": im.to_bits().to_string()})
        }
        Value::Bytes(b) => json!({"t": "bytes", "v": hex(b)}),
        Value::Str(s) => json!({"t": "str", "v": s}),
        Value::Tuple(items) => {
            json!({"t": "tuple", "v": items.iter().map(enc).collect::<Vec<_>>()})
        }
        Value::List(items) => json!({"t": "list", "v": items.iter().map(enc).collect::<Vec<_>>()}),
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Messages CPython 3.11 gives for integer range errors where 3.12+ (and so 3.14)
/// says `'<code>' format requires <min> <= number <= <max>` (gh-98248).
pub fn is_legacy_range_message(msg: &str) -> bool {
    msg == "argument out of range"
        || msg == "int too large to convert"
        || msg == "byte format requires -128 <= number <= 127"
        || msg == "ubyte format requires 0 <= number <= 255"
        || msg == "short format requires -32768 <= number <= 32767"
        || msg == "ushort format requires 0 <= number <= 65535"
}

/// Whether our 3.14-style range message is one CPython 3.14 would give.
pub fn is_new_range_message(msg: &str) -> bool {
    msg.starts_with('\'')
        && msg.contains("' format requires ")
        && msg.ends_with(|c: char| c.is_ascii_digit())
}
