//! Criterion benches for `array.array` bulk operations on 10M items.
//!
//! `cargo bench -p pymemory-buffer --bench array`; the side-by-side comparison with
//! CPython is `cargo run --release -p pymemory-bench -- compare`.
#![expect(missing_docs, reason = "criterion_group! generates an undocumented fn")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pymemory_buffer::array::Array;
use pymemory_struct::Value;

const N: usize = 10_000_000;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("array_10M_i");
    g.sample_size(10);
    let items: Vec<i32> = (0..i32::try_from(N).expect("fits")).collect();
    let values: Vec<Value> = items.iter().map(|&i| Value::Int(i.into())).collect();
    let a = Array::from_slice(&items);

    // for i in range(N): a.append(i)
    g.bench_function("append_value", |b| {
        b.iter(|| {
            let a = Array::new('i').expect("valid typecode");
            for v in &values {
                a.append(v).expect("fits");
            }
            a
        });
    });
    g.bench_function("push_typed", |b| {
        b.iter(|| {
            let a = Array::new('i').expect("valid typecode");
            for &i in &items {
                a.push(i).expect("same type");
            }
            a
        });
    });
    // a.fromlist(list_of_ints)
    g.bench_function("fromlist", |b| {
        b.iter(|| {
            let a = Array::new('i').expect("valid typecode");
            a.fromlist(&values).expect("fits");
            a
        });
    });
    // a.extend(other_array) / frombytes
    g.bench_function("extend_from_slice", |b| {
        b.iter(|| {
            let a = Array::new('i').expect("valid typecode");
            a.extend_from_slice(&items).expect("same type");
            a
        });
    });
    g.bench_function("tolist", |b| {
        b.iter(|| black_box(&a).tolist().expect("ints"))
    });
    g.bench_function("tobytes", |b| b.iter(|| black_box(&a).tobytes()));
    g.bench_function("eq_i_vs_l", |b| {
        let l = Array::from_array('l', &a).expect("widening");
        b.iter(|| black_box(&a) == black_box(&l));
    });
    g.bench_function("count", |b| b.iter(|| black_box(&a).count(&Value::Int(7))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
