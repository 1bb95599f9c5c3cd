//! criterion benches: `iter_unpack` over 10 million `<iHd` records and `unpack` of a
//! single `<q`, each against a hand-written decoder of the same layout producing the
//! same `Value`s (the floor). `cargo run --release -p pymemory-bench -- compare` adds CPython side by side.
#![expect(missing_docs, reason = "criterion_group! generates an undocumented fn")]

use criterion::{BatchSize, Criterion, black_box, criterion_group, criterion_main};
mod common;

use common::{RECORD, hand_record};
use pymemory_struct::{Struct, Value};

const RECORDS: usize = 10_000_000;
fn bench_iter_unpack(c: &mut Criterion) {
    let data = common::records(RECORDS);
    let s = Struct::new("<iHd").expect("valid format");
    let mut g = c.benchmark_group("iter_unpack <iHd x 10M");
    g.sample_size(10);
    g.bench_function("pymemory: one Vec per record", |b| {
        b.iter(|| {
            for rec in s.iter_unpack(black_box(&data)).expect("whole records") {
                black_box(rec.expect("decodes"));
            }
        });
    });
    g.bench_function("hand decoder: one Vec per record", |b| {
        b.iter(|| {
            for r in black_box(&data).chunks_exact(RECORD) {
                let mut out = Vec::with_capacity(3);
                hand_record(r, &mut out);
                black_box(out);
            }
        });
    });
    g.bench_function("pymemory: next_into, reused Vec", |b| {
        b.iter(|| {
            let mut it = s.iter_unpack(black_box(&data)).expect("whole records");
            let mut out = Vec::with_capacity(3);
            while it.next_into(&mut out).expect("decodes") {
                black_box(&out);
            }
        });
    });
    g.bench_function("hand decoder: reused Vec", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(3);
            for r in black_box(&data).chunks_exact(RECORD) {
                out.clear();
                hand_record(r, &mut out);
                black_box(&out);
            }
        });
    });
    g.finish();
}

fn bench_unpack_q(c: &mut Criterion) {
    let s = Struct::new("<q").expect("valid format");
    let bytes = (-123_456_789_i64).to_le_bytes();
    let mut g = c.benchmark_group("unpack <q");
    g.bench_function("pymemory", |b| b.iter(|| s.unpack(black_box(&bytes))));
    g.bench_function("hand decoder", |b| {
        b.iter_batched(
            || (),
            |()| {
                let v = i64::from_le_bytes(*black_box(&bytes));
                vec![Value::Int(v.into())]
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench_iter_unpack, bench_unpack_q);
criterion_main!(benches);
