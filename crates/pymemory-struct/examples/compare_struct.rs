//! Side-by-side timing of `struct` decoding: pymemory, a hand-written decoder of the same
//! layout (the floor), and CPython's `struct` (python3 spawned on the same bytes in the
//! same run). Prints a markdown table of medians and ratios.
//!
//! `cargo run --release -p pymemory-struct --example compare_struct [RECORDS] [REPEATS]`

use std::hint::black_box;
use std::io::Write;
use std::process::Command;
use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;

use common::{RECORD, hand_record, records};
use pymemory_struct::{Struct, Value};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

const PYTHON: &str = r#"
import struct, sys, time
path, repeats, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
s = struct.Struct("<iHd")
def run():
    for rec in s.iter_unpack(data):
        pass
def median(xs):
    return sorted(xs)[len(xs) // 2]
run()
it = []
for _ in range(repeats):
    t = time.perf_counter(); run(); it.append(time.perf_counter() - t)
q = struct.Struct("<q")
b = (-123456789).to_bytes(8, "little", signed=True)
u = q.unpack
qs = []
for _ in range(repeats):
    t = time.perf_counter()
    for _ in range(calls):
        u(b)
    qs.append((time.perf_counter() - t) / calls)
print(median(it), median(qs))
"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let repeats: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let calls = 2_000_000usize;
    let data = records(n);
    let s = Struct::new("<iHd").expect("valid format");
    // `compare_struct N R only-ours|only-hand`: one loop only, for `perf stat`.
    match args.next().as_deref() {
        Some("only-ours") => {
            for rec in s.iter_unpack(&data).expect("whole records") {
                black_box(rec.expect("decodes"));
            }
            return;
        }
        Some("only-hand") => {
            for r in data.chunks_exact(RECORD) {
                let mut out = Vec::with_capacity(3);
                hand_record(r, &mut out);
                black_box(out);
            }
            return;
        }
        Some("only-gen") => return,
        Some("only-ours-unpack") => {
            let f = s.compiled();
            for r in data.chunks_exact(RECORD) {
                black_box(f.unpack(r).expect("decodes"));
            }
            return;
        }
        Some("only-ours-reuse") => {
            let mut it = s.iter_unpack(&data).expect("whole records");
            let mut out = Vec::with_capacity(3);
            while it.next_into(&mut out).expect("decodes") {
                black_box(&out);
            }
            return;
        }
        Some("only-hand-reuse") => {
            let mut out = Vec::with_capacity(3);
            for r in data.chunks_exact(RECORD) {
                out.clear();
                hand_record(r, &mut out);
                black_box(&out);
            }
            return;
        }
        Some("only-hand-push") => {
            for r in data.chunks_exact(RECORD) {
                let mut out = Vec::with_capacity(3);
                out.push(Value::Int(
                    i32::from_le_bytes([r[0], r[1], r[2], r[3]]).into(),
                ));
                out.push(Value::Int(u16::from_le_bytes([r[4], r[5]]).into()));
                let mut d = [0u8; 8];
                d.copy_from_slice(&r[6..14]);
                out.push(Value::Float(f64::from_le_bytes(d)));
                black_box(out);
            }
            return;
        }
        Some("only-hand-vec") => {
            for r in data.chunks_exact(RECORD) {
                let mut d = [0u8; 8];
                d.copy_from_slice(&r[6..14]);
                black_box(vec![
                    Value::Int(i32::from_le_bytes([r[0], r[1], r[2], r[3]]).into()),
                    Value::Int(u16::from_le_bytes([r[4], r[5]]).into()),
                    Value::Float(f64::from_le_bytes(d)),
                ]);
            }
            return;
        }
        Some("only-q-ours") => {
            let q = Struct::new("<q").expect("valid format");
            let qbytes = (-123_456_789_i64).to_le_bytes();
            for _ in 0..calls {
                black_box(q.unpack(black_box(&qbytes)).expect("decodes"));
            }
            return;
        }
        Some("only-q-hand") => {
            let qbytes = (-123_456_789_i64).to_le_bytes();
            for _ in 0..calls {
                let v = i64::from_le_bytes(*black_box(&qbytes));
                black_box(vec![Value::Int(v.into())]);
            }
            return;
        }
        _ => {}
    }

    let q = Struct::new("<q").expect("valid format");
    let qbytes = (-123_456_789_i64).to_le_bytes();
    // Round-robin: every repeat runs each variant once, so load changes on a shared
    // machine hit all variants alike; medians per variant.
    let mut variants: Vec<Box<dyn FnMut()>> = vec![
        Box::new(|| {
            for rec in s.iter_unpack(&data).expect("whole records") {
                black_box(rec.expect("decodes"));
            }
        }),
        Box::new(|| {
            for r in data.chunks_exact(RECORD) {
                let mut out = Vec::with_capacity(3);
                hand_record(r, &mut out);
                black_box(out);
            }
        }),
        Box::new(|| {
            let mut it = s.iter_unpack(&data).expect("whole records");
            let mut out = Vec::with_capacity(3);
            while it.next_into(&mut out).expect("decodes") {
                black_box(&out);
            }
        }),
        Box::new(|| {
            let mut out = Vec::with_capacity(3);
            for r in data.chunks_exact(RECORD) {
                out.clear();
                hand_record(r, &mut out);
                black_box(&out);
            }
        }),
        Box::new(|| {
            for _ in 0..calls {
                black_box(q.unpack(black_box(&qbytes)).expect("decodes"));
            }
        }),
        Box::new(|| {
            for _ in 0..calls {
                let v = i64::from_le_bytes(*black_box(&qbytes));
                black_box(vec![Value::Int(v.into())]);
            }
        }),
    ];
    let mut samples = vec![Vec::new(); variants.len()];
    for round in 0..=repeats {
        for (k, f) in variants.iter_mut().enumerate() {
            let t = Instant::now();
            f();
            if round > 0 {
                // Round 0 is the warm-up.
                samples[k].push(t.elapsed().as_secs_f64());
            }
        }
    }
    let m: Vec<f64> = samples.into_iter().map(median).collect();
    let (ours, hand, ours_reuse, hand_reuse) = (m[0], m[1], m[2], m[3]);
    let (ours_q, hand_q) = (m[4] / calls as f64, m[5] / calls as f64);

    let path = std::env::temp_dir().join(format!("pymemory-compare-{}.bin", std::process::id()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&data))
        .expect("write the records for python3");
    let out = Command::new("python3")
        .args([
            "-c",
            PYTHON,
            &path.to_string_lossy(),
            &repeats.to_string(),
            &calls.to_string(),
        ])
        .output();
    let _ = std::fs::remove_file(&path);
    let (py_iter, py_q) = match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut nums = text
                .split_whitespace()
                .filter_map(|t| t.parse::<f64>().ok());
            (
                nums.next().unwrap_or(f64::NAN),
                nums.next().unwrap_or(f64::NAN),
            )
        }
        _ => {
            eprintln!("python3 not available: CPython column is NaN");
            (f64::NAN, f64::NAN)
        }
    };

    println!(
        "`<iHd` iter_unpack over {n} records ({} MB), `<q` unpack single; median of {repeats} runs\n",
        n * RECORD / 1_000_000
    );
    println!(
        "| benchmark | pymemory | hand decoder (floor) | CPython struct | pymemory / hand | CPython / pymemory |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| iter_unpack `<iHd`, one result per record | {:.1} ms | {:.1} ms | {:.1} ms | {:.2}x | {:.2}x |",
        ours * 1e3,
        hand * 1e3,
        py_iter * 1e3,
        ours / hand,
        py_iter / ours
    );
    println!(
        "| iter_unpack `<iHd`, reused Vec (`next_into`) | {:.1} ms | {:.1} ms | - | {:.2}x | {:.2}x |",
        ours_reuse * 1e3,
        hand_reuse * 1e3,
        ours_reuse / hand_reuse,
        py_iter / ours_reuse
    );
    println!(
        "| unpack `<q` (per call) | {:.1} ns | {:.1} ns | {:.1} ns | {:.2}x | {:.2}x |",
        ours_q * 1e9,
        hand_q * 1e9,
        py_q * 1e9,
        ours_q / hand_q,
        py_q / ours_q
    );
}
