//! Issue #2: `struct` decoding. `iter_unpack('<iHd')` over many records and single
//! `unpack('<q')` calls, against a hand-written decoder of the same layout (the floor)
//! and CPython's `struct` on the same bytes.

use std::hint::black_box;

use pymemory_struct::{Struct, Value};

use super::Ctx;
use crate::python::{PyDriver, sampler};
use crate::report::{Kind, Section, Table};
use crate::util::{Sampler, per_call, round_robin, time};

// The `<iHd` records and the hand-written decoder (the floor) are the criterion bench's
// own, so both report on the same workload.
#[path = "../../../pymemory-struct/benches/common/mod.rs"]
mod common;
pub(crate) use common::{RECORD, hand_record, records};

const PY: &str = r#"
import struct
data = open(sys.argv[1], "rb").read()
S = struct.Struct("<iHd")
Q = struct.Struct("<q")
QB = (-123456789).to_bytes(8, "little", signed=True)
@op
def iter_unpack():
    def run():
        for rec in S.iter_unpack(data):
            pass
    return timed(run)
@op
def unpack_q(min_batch):
    u = Q.unpack
    return per_call("q", lambda: u(QB), float(min_batch))
"#;

const GOAL: &str = "#2: decoding within 1.5x of the hand-written decoder";

/// Number of `<iHd` records decoded per sample.
pub(crate) fn record_count(quick: bool) -> usize {
    if quick { 1_000_000 } else { 10_000_000 }
}

/// Runs the suite.
pub(crate) fn run(ctx: &Ctx) -> Section {
    let n = record_count(ctx.quick);
    let reps = ctx.reps;
    let data = records(n);
    let path = ctx.scratch.join("records-iHd.bin");
    let mut notes = Vec::new();
    let py = std::fs::write(&path, &data)
        .map_err(|e| e.to_string())
        .and_then(|()| PyDriver::start(&ctx.py, PY, &[path.to_string_lossy().into_owned()]));
    let py = match py {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!("CPython side FAILED: {e}"));
            None
        }
    };
    let s = Struct::new("<iHd").expect("valid format");
    let q = Struct::new("<q").expect("valid format");
    let qbytes = (-123_456_789_i64).to_le_bytes();
    let mut t = Table::new(
        "workload",
        Kind::Time,
        "pymemory",
        &["hand decoder (floor)", "CPython `struct`"],
    );

    ctx.progress.step("struct: iter_unpack('<iHd')");
    let mut sides: Vec<Sampler<'_>> = vec![
        Box::new(|| {
            Some(time(|| {
                for rec in s.iter_unpack(&data).expect("whole records") {
                    black_box(rec.expect("decodes"));
                }
            }))
        }),
        Box::new(|| {
            Some(time(|| {
                for r in data.chunks_exact(RECORD) {
                    let mut out = Vec::with_capacity(3);
                    hand_record(r, &mut out);
                    black_box(out);
                }
            }))
        }),
    ];
    if let Some(py) = &py {
        sides.push(sampler(py, "iter_unpack"));
    }
    let m = round_robin(reps, &mut sides);
    drop(sides);
    t.row(
        format!(
            "`iter_unpack('<iHd')`, {} records, one tuple each",
            crate::report::fmt_count(n as f64)
        ),
        m[0],
        vec![m[1], m.get(2).copied().flatten()],
    );
    t.goal_vs(t.last(), 0, 1.0 / 1.5, GOAL);

    ctx.progress.step("struct: iter_unpack into a reused Vec");
    let mut sides: Vec<Sampler<'_>> = vec![
        Box::new(|| {
            Some(time(|| {
                let mut it = s.iter_unpack(&data).expect("whole records");
                let mut out = Vec::with_capacity(3);
                while it.next_into(&mut out).expect("decodes") {
                    black_box(&out);
                }
            }))
        }),
        Box::new(|| {
            Some(time(|| {
                let mut out = Vec::with_capacity(3);
                for r in data.chunks_exact(RECORD) {
                    out.clear();
                    hand_record(r, &mut out);
                    black_box(&out);
                }
            }))
        }),
    ];
    let m = round_robin(reps, &mut sides);
    drop(sides);
    t.row(
        "`iter_unpack('<iHd')`, reused Vec (`next_into`; CPython has no equivalent)",
        m[0],
        vec![m[1], None],
    );

    ctx.progress.step("struct: unpack('<q')");
    let mb = ctx.min_batch;
    let mut ours = per_call(mb, || {
        black_box(q.unpack(black_box(&qbytes)).expect("decodes"));
    });
    let mut hand = per_call(mb, || {
        let v = i64::from_le_bytes(*black_box(&qbytes));
        black_box(vec![Value::Int(v.into())]);
    });
    let mut sides: Vec<Sampler<'_>> = vec![Box::new(|| Some(ours())), Box::new(|| Some(hand()))];
    if let Some(py) = &py {
        sides.push(sampler(py, format!("unpack_q {mb}")));
    }
    let m = round_robin(reps, &mut sides);
    drop(sides);
    t.row(
        "`unpack('<q')`, per call",
        m[0],
        vec![m[1], m.get(2).copied().flatten()],
    );
    t.goal_vs(t.last(), 0, 1.0 / 1.5, GOAL);

    if let Some(e) = py.as_ref().and_then(|p| p.borrow().error.clone()) {
        notes.push(format!("CPython error: {e}"));
    }
    let _ = std::fs::remove_file(&path);
    Section {
        heading: "struct decoding (issue #2)".into(),
        intro: format!(
            "{} `<iHd` records ({} MB) decoded into Python-like values; the hand-written \
             decoder produces the same `Value`s at fixed offsets and is the floor. Ratios: \
             competitor time / pymemory time (below 1: the competitor is faster). \
             Goal: within 1.5x of the hand decoder (ratio at least 0.67).",
            crate::report::fmt_count(n as f64),
            n * RECORD / 1_000_000
        ),
        tables: vec![t],
        notes,
        ..Section::default()
    }
}
