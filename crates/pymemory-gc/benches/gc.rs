//! Criterion benches for the collector (`cargo bench -p pymemory-gc`). The side-by-side
//! comparison with CPython and the peer crates is `cargo run --release -p pymemory-bench -- compare`.
#![expect(missing_docs, reason = "criterion_group! generates an undocumented fn")]

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pymemory_gc::{self as gc, Finalize, Gc, Trace};

#[derive(Trace, Finalize)]
struct Node {
    v: u64,
    next: RefCell<Option<Gc<Node>>>,
}

#[expect(dead_code, reason = "payload of the same shape as `Node`, never read")]
struct RcNode {
    v: u64,
    next: Option<Rc<RefCell<RcNode>>>,
}

const CHURN: u64 = 10_000_000;

/// 1. Acyclic churn: 10M allocate + drop of a small node, against `Rc<RefCell<T>>`.
fn churn(c: &mut Criterion) {
    let mut g = c.benchmark_group("churn_10M");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("pymemory_gc::Gc", |b| {
        gc::disable();
        b.iter(|| {
            for i in 0..CHURN {
                let n = Gc::new(Node {
                    v: i,
                    next: RefCell::new(None),
                });
                black_box(&n);
            }
        });
        gc::enable();
    });
    g.bench_function("pymemory_gc::Gc (auto-collect on)", |b| {
        b.iter(|| {
            for i in 0..CHURN {
                let n = Gc::new(Node {
                    v: i,
                    next: RefCell::new(None),
                });
                black_box(&n);
            }
        });
    });
    g.bench_function("Rc<RefCell<T>>", |b| {
        b.iter(|| {
            for i in 0..CHURN {
                let n = Rc::new(RefCell::new(RcNode { v: i, next: None }));
                black_box(&n);
            }
        });
    });
    g.finish();
}

fn make_cycles(n: usize) {
    for i in 0..n as u64 {
        let a = Gc::new(Node {
            v: i,
            next: RefCell::new(None),
        });
        let b = Gc::new(Node {
            v: i,
            next: RefCell::new(Some(a.clone())),
        });
        *a.next.borrow_mut() = Some(b);
    }
}

/// 2. One million two-node cycles: create then collect; and the collection alone.
fn cycles(c: &mut Criterion) {
    let mut g = c.benchmark_group("cycles_1M");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    gc::disable();
    g.bench_function("create+collect", |b| {
        b.iter(|| {
            make_cycles(1_000_000);
            assert_eq!(gc::collect(), 2_000_000);
        });
    });
    g.bench_function("collect only", |b| {
        b.iter_batched(
            || make_cycles(1_000_000),
            |()| assert_eq!(gc::collect(), 2_000_000),
            BatchSize::PerIteration,
        );
    });
    gc::enable();
    g.finish();
}

/// 4. Young collection pause with one million live objects in the old generation,
///    beside the full collection of the same heap.
fn pauses(c: &mut Criterion) {
    let mut g = c.benchmark_group("pause_1M_old");
    g.sample_size(20);
    gc::disable();
    let old: Vec<Gc<Node>> = (0..1_000_000u64)
        .map(|i| {
            Gc::new(Node {
                v: i,
                next: RefCell::new(None),
            })
        })
        .collect();
    // Link them so tracing has edges to follow.
    for w in old.windows(2) {
        *w[0].next.borrow_mut() = Some(w[1].clone());
    }
    gc::collect();
    g.bench_function("young (gen 0, 2000 new objects)", |b| {
        b.iter_batched(
            || {
                (0..2000u64)
                    .map(|i| {
                        let n = Gc::new(Node {
                            v: i,
                            next: RefCell::new(None),
                        });
                        // Young objects point into the old generation.
                        *n.next.borrow_mut() = Some(old[i as usize * 7].clone());
                        n
                    })
                    .collect::<Vec<_>>()
            },
            |young| {
                gc::collect_generation(0);
                young
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("full (gen 2)", |b| b.iter(gc::collect));
    g.finish();
    drop(old);
    gc::collect();
    gc::enable();
}

criterion_group!(benches, churn, cycles, pauses);
criterion_main!(benches);
