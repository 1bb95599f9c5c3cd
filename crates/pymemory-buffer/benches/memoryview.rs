//! criterion benchmarks of `MemoryView` bulk operations (smaller sizes than the
//! side-by-side comparison `cargo run --release -p pymemory-bench -- compare`, which also
//! times CPython and numpy). `hex 4MB` takes the streaming path of `src/simd.rs` (outputs
//! of 2 MiB and more); `hex 512KB` the portable loop.
//!
//! `cargo bench -p pymemory-buffer --bench memoryview`
#![expect(missing_docs, reason = "criterion_group! generates an undocumented fn")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pymemory_buffer::{MemoryView, Slice, Subscript, Value, VecBuffer};

fn bench(c: &mut Criterion) {
    let n = 1_000_000usize;
    let ai = VecBuffer::new((0..n as i32).collect::<Vec<i32>>());
    let al = VecBuffer::new((0..n as i64).collect::<Vec<i64>>());
    let mi = MemoryView::new(&ai).unwrap();
    let ml = MemoryView::new(&al)
        .unwrap()
        .cast("B", None)
        .unwrap()
        .cast("l", None)
        .unwrap();
    let side = 2048usize;
    let big = VecBuffer::new((0..side * side).map(|i| i as u8).collect::<Vec<u8>>());
    let mbig = MemoryView::new(&big).unwrap();
    let m2 = mbig
        .cast("B", Some(&[side as isize, side as isize]))
        .unwrap();
    let strided = m2
        .get(Subscript::parse("::2, ::2").unwrap())
        .unwrap()
        .into_view()
        .unwrap();

    let mut g = c.benchmark_group("memoryview");
    g.sample_size(20);
    g.bench_function("tolist 1M i", |b| {
        b.iter(|| black_box(mi.tolist().unwrap()))
    });
    g.bench_function("tobytes strided 2-D 4MB", |b| {
        b.iter(|| black_box(strided.tobytes().unwrap()))
    });
    g.bench_function("hex 4MB", |b| b.iter(|| black_box(mbig.hex().unwrap())));
    let small = mbig
        .get(Slice::new(None, Some(512 * 1024), None))
        .unwrap()
        .into_view()
        .unwrap();
    g.bench_function("hex 512KB", |b| b.iter(|| black_box(small.hex().unwrap())));
    g.bench_function("eq 1M i vs l", |b| b.iter(|| black_box(mi.equals(&ml))));
    g.bench_function("count 1M", |b| {
        b.iter(|| black_box(mi.count(&Value::Int(7)).unwrap()))
    });
    g.bench_function("slice", |b| {
        b.iter(|| black_box(mi.get(Slice::new(Some(1), Some(-1), None)).unwrap()))
    });
    g.bench_function("cast", |b| {
        b.iter(|| black_box(mbig.cast("i", None).unwrap()))
    });
    g.bench_function("tobytes contiguous 4MB", |b| {
        b.iter(|| black_box(mbig.tobytes().unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
