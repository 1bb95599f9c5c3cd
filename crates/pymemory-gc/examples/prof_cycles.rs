//! Profiling helper: 1M two-node cycles created then collected, ten times; with the
//! argument `churn`, 50M allocate + drop of a node instead; with `trees`, binary trees
//! with parent pointers (for `perf`).
use std::cell::RefCell;

use pymemory_gc::{self as gc, Finalize, Gc, Trace};

#[derive(Trace, Finalize)]
struct Node {
    v: u64,
    next: RefCell<Option<Gc<Node>>>,
}

#[derive(Trace, Finalize)]
struct T(RefCell<Vec<Gc<T>>>);

fn tree(depth: u32, parent: Option<&Gc<T>>) -> Gc<T> {
    let n = Gc::new(T(RefCell::new(parent.into_iter().cloned().collect())));
    if depth > 0 {
        let l = tree(depth - 1, Some(&n));
        let r = tree(depth - 1, Some(&n));
        n.0.borrow_mut().extend([l, r]);
    }
    n
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("trees") {
        let t = std::time::Instant::now();
        for _ in 0..20 {
            let long_lived = tree(11, None);
            for d in (4..=11).step_by(2) {
                for _ in 0..(1 << (11 - d + 4)) {
                    drop(tree(d, None));
                }
            }
            drop(long_lived);
            gc::collect();
        }
        println!("trees {:?}", t.elapsed());
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("churn") {
        let t = std::time::Instant::now();
        for i in 0..50_000_000u64 {
            let n = Gc::new(Node {
                v: i,
                next: RefCell::new(None),
            });
            std::hint::black_box(&n);
        }
        let g = t.elapsed();
        let t = std::time::Instant::now();
        for i in 0..50_000_000u64 {
            let n = std::rc::Rc::new(RefCell::new((i, None::<std::rc::Rc<u64>>)));
            std::hint::black_box(&n);
        }
        let r = t.elapsed();
        println!(
            "Gc {g:?} Rc {r:?} ratio {:.2}",
            g.as_secs_f64() / r.as_secs_f64()
        );
        return;
    }
    gc::disable();
    let mut total = 0;
    for _ in 0..10 {
        for i in 0..1_000_000u64 {
            let a = Gc::new(Node {
                v: i,
                next: RefCell::new(None),
            });
            let b = Gc::new(Node {
                v: a.v,
                next: RefCell::new(Some(a.clone())),
            });
            *a.next.borrow_mut() = Some(b);
        }
        total += gc::collect();
    }
    println!("{total}");
}
