//! Instruction-count driver for the acyclic churn workload (issue 4, benchmark 1): run
//! under `valgrind --tool=callgrind` to compare `Gc::new` + drop against
//! `Rc<RefCell<T>>` with repeatable counts on a noisy machine:
//!
//! ```text
//! cargo build --release -p pymemory-gc --example churn_count
//! valgrind --tool=callgrind target/release/examples/churn_count gc 1000000
//! valgrind --tool=callgrind target/release/examples/churn_count rc 1000000
//! ```
//!
//! (subtract a run with `0` iterations for the start-up cost).
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

use pymemory_gc::{Finalize, Gc, Trace};

/// The benchmark's small node: a number and an optional next pointer.
#[derive(Trace, Finalize)]
struct Node {
    v: u64,
    next: RefCell<Option<Gc<Node>>>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "gc".into());
    let n: u64 = args
        .next()
        .map_or(1_000_000, |s| s.parse().expect("iteration count"));
    match which.as_str() {
        "gc" => {
            for i in 0..n {
                let node = Gc::new(Node {
                    v: i,
                    next: RefCell::new(None),
                });
                black_box(&node);
            }
        }
        "rc" => {
            for i in 0..n {
                let node = Rc::new(RefCell::new((i, None::<Rc<u64>>)));
                black_box(&node);
            }
        }
        other => panic!("unknown workload {other:?} (expected gc or rc)"),
    }
}
