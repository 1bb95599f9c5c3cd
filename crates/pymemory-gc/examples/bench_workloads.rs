//! The `crates/pymemory-bench` gc-suite workloads for pymemory-gc alone, for profiling
//! and instruction counting (`valgrind --tool=callgrind`, `perf record`):
//!
//! ```text
//! cargo build --release -p pymemory-gc --example bench_workloads
//! target/release/examples/bench_workloads cycles-off 1000000 5   # pairs, repetitions
//! target/release/examples/bench_workloads cycles-on 1000000 5
//! target/release/examples/bench_workloads trees 11 5              # depth
//! target/release/examples/bench_workloads lists 30 5              # rounds of 4096 nodes
//! target/release/examples/bench_workloads churn 10000000 5
//! target/release/examples/bench_workloads pauses 1000000 11      # old objects, samples
//! ```
//!
//! Prints the median time of the repetitions (for `cycles-*`: total and final collect).
//! The workload runs on a spawned thread, as in the bench crate (whose workers make the
//! process multi-threaded, which changes the allocator's fast paths).
use std::cell::RefCell;
use std::hint::black_box;
use std::time::Instant;

use pymemory_gc::{self as gc, Finalize, Gc, Trace};

/// Graph node (the bench crate's `pm::N`).
#[derive(Trace, Finalize)]
struct N(RefCell<Vec<Gc<N>>>);

/// Pair node (the bench crate's `pm::P`).
#[derive(Trace, Finalize)]
struct P {
    v: u64,
    next: RefCell<Option<Gc<P>>>,
}

fn alloc() -> Gc<N> {
    Gc::new(N(RefCell::new(Vec::new())))
}

fn pair(v: u64, next: Option<Gc<P>>) -> Gc<P> {
    Gc::new(P {
        v,
        next: RefCell::new(next),
    })
}

fn set_next(p: &Gc<P>, next: Option<Gc<P>>) {
    black_box(p.v);
    *p.next.borrow_mut() = next;
}

fn cycles(pairs: u64, auto: bool) -> [f64; 2] {
    if auto {
        gc::enable();
    } else {
        gc::disable();
    }
    let t = Instant::now();
    for i in 0..pairs {
        let a = pair(i, None);
        let b = pair(i, Some(a.clone()));
        set_next(&a, Some(b));
    }
    let c = Instant::now();
    gc::collect();
    let collect = c.elapsed().as_secs_f64();
    let total = t.elapsed().as_secs_f64();
    gc::enable();
    [total, collect]
}

fn tree(depth: u32, parent: Option<&Gc<N>>) -> Gc<N> {
    let n = alloc();
    if let Some(p) = parent {
        n.0.borrow_mut().push(p.clone());
    }
    if depth > 0 {
        let l = tree(depth - 1, Some(&n));
        let r = tree(depth - 1, Some(&n));
        n.0.borrow_mut().extend([l, r]);
    }
    n
}

fn count(n: &Gc<N>) -> usize {
    let mut stack = vec![(n.clone(), true)];
    let mut total = 0;
    while let Some((h, is_root)) = stack.pop() {
        total += 1;
        let kids: Vec<Gc<N>> =
            h.0.borrow()
                .iter()
                .skip(usize::from(!is_root))
                .cloned()
                .collect();
        stack.extend(kids.into_iter().map(|k| (k, false)));
    }
    total
}

fn trees(max_depth: u32) -> f64 {
    let min_depth = 4;
    let t = Instant::now();
    let stretch = tree(max_depth + 1, None);
    assert_eq!(count(&stretch), (1 << (max_depth + 2)) - 1);
    drop(stretch);
    gc::collect();
    let long_lived = tree(max_depth, None);
    let mut d = min_depth;
    while d <= max_depth {
        let iterations = 1 << (max_depth - d + min_depth);
        let mut check = 0;
        for _ in 0..iterations {
            let t = tree(d, None);
            check += count(&t);
        }
        assert_eq!(check, iterations * ((1 << (d + 1)) - 1));
        gc::collect();
        d += 2;
    }
    assert_eq!(count(&long_lived), (1 << (max_depth + 1)) - 1);
    drop(long_lived);
    gc::collect();
    t.elapsed().as_secs_f64()
}

fn lists(len: usize, rounds: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..rounds {
        let head = alloc();
        let mut tail = head.clone();
        for _ in 1..len {
            let n = alloc();
            n.0.borrow_mut().push(tail.clone());
            tail.0.borrow_mut().push(n.clone());
            tail = n;
        }
        drop((head, tail));
        gc::collect();
    }
    t.elapsed().as_secs_f64()
}

fn churn(n: u64) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        black_box(pair(i, None));
    }
    t.elapsed().as_secs_f64()
}

/// The bench crate's `pauses`: (young pause, full collection) with `old` live objects.
fn pauses(old: usize, samples: usize) -> [f64; 2] {
    gc::disable();
    let olds: Vec<Gc<P>> = (0..old as u64).map(|i| pair(i, None)).collect();
    gc::collect();
    let young = median(
        (0..samples)
            .map(|_| {
                let ys: Vec<Gc<P>> = (0..2000u64)
                    .map(|i| pair(i, Some(olds[(i as usize * 7) % olds.len()].clone())))
                    .collect();
                let t = Instant::now();
                gc::collect_generation(0);
                let t = t.elapsed().as_secs_f64();
                drop(ys);
                gc::collect();
                t
            })
            .collect(),
    );
    let full = median(
        (0..3)
            .map(|_| {
                let t = Instant::now();
                gc::collect();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    drop(olds);
    gc::collect();
    gc::enable();
    [young, full]
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    std::thread::spawn(run).join().expect("workload thread");
}

fn run() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "cycles-off".into());
    let n: u64 = args.next().map_or(1_000_000, |s| s.parse().expect("size"));
    let reps: usize = args.next().map_or(5, |s| s.parse().expect("repetitions"));
    let ms = |s: f64| format!("{:.2} ms", s * 1e3);
    match which.as_str() {
        "cycles-off" | "cycles-on" => {
            let auto = which == "cycles-on";
            let runs: Vec<[f64; 2]> = (0..reps).map(|_| cycles(n, auto)).collect();
            let total = median(runs.iter().map(|r| r[0]).collect());
            let collect = median(runs.iter().map(|r| r[1]).collect());
            println!("{which} {n}: total {} collect {}", ms(total), ms(collect));
        }
        "trees" => {
            let t = median((0..reps).map(|_| trees(n as u32)).collect());
            println!("trees {n}: {}", ms(t));
        }
        "lists" => {
            let t = median((0..reps).map(|_| lists(4096, n as usize)).collect());
            println!("lists 4096x{n}: {}", ms(t));
        }
        "pauses" => {
            let [young, full] = pauses(n as usize, reps);
            println!("pauses {n}: young {:.1} us, full {}", young * 1e6, ms(full));
        }
        "young" => {
            // Only young collections (for `--toggle-collect=*collect_main` counts).
            gc::disable();
            let olds: Vec<Gc<P>> = (0..n).map(|i| pair(i, None)).collect();
            gc::collect();
            let t = Instant::now();
            for _ in 0..reps {
                let ys: Vec<Gc<P>> = (0..2000u64)
                    .map(|i| pair(i, Some(olds[(i * 7 % n) as usize].clone())))
                    .collect();
                gc::collect_generation(0);
                drop(ys);
            }
            println!("young {n}: {}", ms(t.elapsed().as_secs_f64()));
        }
        "churn" => {
            let t = median((0..reps).map(|_| churn(n)).collect());
            println!("churn {n}: {}", ms(t));
        }
        other => panic!("unknown workload {other:?}"),
    }
}
