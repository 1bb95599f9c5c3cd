//! Peer benchmark workloads, run on every collector through one small trait:
//! dumpster's random-graph benchmark (50 initial objects, 1M seeded random create / link
//! / unlink / drop operations) and rust-cc's binary trees with parent pointers (depth 11)
//! and linked lists (4096 nodes, 30 times). Re-implemented here from their descriptions.

use std::cell::RefCell;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A collector with a node type holding a list of edges.
pub(crate) trait Collector {
    type H: Clone;
    fn alloc() -> Self::H;
    fn edges<R>(h: &Self::H, f: impl FnOnce(&mut Vec<Self::H>) -> R) -> R;
    fn collect();
}

/// dumpster's benchmark: random operations on a graph of `Gc<RefCell<Vec<Gc>>>`.
pub(crate) fn dumpster_random<C: Collector>(ops: usize) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(12345);
    let t = Instant::now();
    let mut roots: Vec<C::H> = (0..50).map(|_| C::alloc()).collect();
    for _ in 0..ops {
        if roots.is_empty() {
            roots.push(C::alloc());
            continue;
        }
        match rng.gen_range(0..4u8) {
            0 => roots.push(C::alloc()),
            1 => {
                if roots.len() > 1 {
                    let from = rng.gen_range(0..roots.len());
                    let to = rng.gen_range(0..roots.len());
                    let h = roots[to].clone();
                    C::edges(&roots[from], |e| e.push(h));
                }
            }
            2 => {
                let i = rng.gen_range(0..roots.len());
                roots.swap_remove(i);
            }
            _ => {
                let from = rng.gen_range(0..roots.len());
                let removed = C::edges(&roots[from], |e| {
                    if e.is_empty() {
                        None
                    } else {
                        let i = rng.gen_range(0..e.len());
                        Some(e.swap_remove(i))
                    }
                });
                drop(removed);
            }
        }
    }
    drop(roots);
    C::collect();
    t.elapsed().as_secs_f64()
}

/// Binary tree of `depth` where every child also holds its parent (edge order: left,
/// right, parent), so every node is in a cycle.
fn tree<C: Collector>(depth: u32, parent: Option<&C::H>) -> C::H {
    let n = C::alloc();
    if let Some(p) = parent {
        let p = p.clone();
        C::edges(&n, |e| e.push(p));
    }
    if depth > 0 {
        let l = tree::<C>(depth - 1, Some(&n));
        let r = tree::<C>(depth - 1, Some(&n));
        C::edges(&n, |e| {
            e.push(l);
            e.push(r);
        });
    }
    n
}

fn count<C: Collector>(n: &C::H) -> usize {
    // Children are the edges after the parent edge (if any); walk explicitly.
    let mut stack = vec![(n.clone(), true)];
    let mut total = 0;
    while let Some((h, is_root)) = stack.pop() {
        total += 1;
        let kids: Vec<C::H> = C::edges(&h, |e| {
            e.iter().skip(usize::from(!is_root)).cloned().collect()
        });
        stack.extend(kids.into_iter().map(|k| (k, false)));
    }
    total
}

/// rust-cc's binary-trees benchmark with parent pointers (benchmarks-game shape,
/// max depth 11): a stretch tree, a long-lived tree, and many short-lived trees.
pub(crate) fn binary_trees<C: Collector>(max_depth: u32) -> f64 {
    let min_depth = 4;
    let t = Instant::now();
    let stretch = tree::<C>(max_depth + 1, None);
    assert_eq!(count::<C>(&stretch), (1 << (max_depth + 2)) - 1);
    drop(stretch);
    C::collect();
    let long_lived = tree::<C>(max_depth, None);
    let mut d = min_depth;
    while d <= max_depth {
        let iterations = 1 << (max_depth - d + min_depth);
        let mut check = 0;
        for _ in 0..iterations {
            let t = tree::<C>(d, None);
            check += count::<C>(&t);
        }
        assert_eq!(check, iterations * ((1 << (d + 1)) - 1));
        C::collect();
        d += 2;
    }
    assert_eq!(count::<C>(&long_lived), (1 << (max_depth + 1)) - 1);
    drop(long_lived);
    C::collect();
    t.elapsed().as_secs_f64()
}

/// rust-cc's linked-list benchmark: `rounds` times a doubly linked list of `len` nodes
/// (next and prev both strong: a chain of cycles), dropped then collected.
pub(crate) fn linked_lists<C: Collector>(len: usize, rounds: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..rounds {
        let head = C::alloc();
        let mut tail = head.clone();
        for _ in 1..len {
            let n = C::alloc();
            let prev = tail.clone();
            C::edges(&n, |e| e.push(prev));
            let next = n.clone();
            C::edges(&tail, |e| e.push(next));
            tail = n;
        }
        drop((head, tail));
        C::collect();
    }
    t.elapsed().as_secs_f64()
}

pub(crate) mod pm {
    use super::*;
    use pymemory_gc::{Finalize, Gc, Trace};

    #[derive(Trace, Finalize)]
    pub(crate) struct N(RefCell<Vec<Gc<N>>>);
    pub(crate) struct C;
    impl Collector for C {
        type H = Gc<N>;
        fn alloc() -> Gc<N> {
            Gc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Gc<N>, f: impl FnOnce(&mut Vec<Gc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn collect() {
            pymemory_gc::collect();
        }
    }
}

pub(crate) mod gcm {
    use super::*;
    use gcmodule::{Cc, Trace, Tracer};

    pub(crate) struct N(RefCell<Vec<Cc<N>>>);
    impl Trace for N {
        fn trace(&self, t: &mut Tracer<'_>) {
            self.0.trace(t);
        }
        fn is_type_tracked() -> bool {
            true
        }
    }
    pub(crate) struct C;
    impl Collector for C {
        type H = Cc<N>;
        fn alloc() -> Cc<N> {
            Cc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Cc<N>, f: impl FnOnce(&mut Vec<Cc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn collect() {
            gcmodule::collect_thread_cycles();
        }
    }
}

pub(crate) mod dump {
    use super::*;
    use dumpster::Trace;
    use dumpster::unsync::Gc;

    #[derive(Trace)]
    pub(crate) struct N(RefCell<Vec<Gc<N>>>);
    pub(crate) struct C;
    impl Collector for C {
        type H = Gc<N>;
        fn alloc() -> Gc<N> {
            Gc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Gc<N>, f: impl FnOnce(&mut Vec<Gc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn collect() {
            dumpster::unsync::collect();
        }
    }
}

pub(crate) mod bacon {
    use super::*;
    use bacon_rajan_cc::{Cc, Trace, Tracer};

    pub(crate) struct N(RefCell<Vec<Cc<N>>>);
    impl Trace for N {
        fn trace(&self, t: &mut Tracer<'_>) {
            for c in self.0.borrow().iter() {
                c.trace(t);
            }
        }
    }
    pub(crate) struct C;
    impl Collector for C {
        type H = Cc<N>;
        fn alloc() -> Cc<N> {
            Cc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Cc<N>, f: impl FnOnce(&mut Vec<Cc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn collect() {
            bacon_rajan_cc::collect_cycles();
        }
    }
}

pub(crate) mod rcc {
    use super::*;
    use rust_cc::{Cc, Finalize, Trace};

    #[derive(Trace, Finalize)]
    pub(crate) struct N(RefCell<Vec<Cc<N>>>);
    pub(crate) struct C;
    impl Collector for C {
        type H = Cc<N>;
        fn alloc() -> Cc<N> {
            Cc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Cc<N>, f: impl FnOnce(&mut Vec<Cc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn collect() {
            rust_cc::collect_cycles();
        }
    }
}

/// Median seconds of each workload for one collector, on its own big-stack thread.
pub(crate) fn run_all<C: Collector + 'static>(
    runs: usize,
    quick: bool,
) -> Result<[f64; 3], String> {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let med = |f: &dyn Fn() -> f64| {
                let mut v: Vec<f64> = (0..runs).map(|_| f()).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let (ops, depth, rounds) = if quick {
                (100_000, 8, 3)
            } else {
                (1_000_000, 11, 30)
            };
            [
                med(&|| dumpster_random::<C>(ops)),
                med(&|| binary_trees::<C>(depth)),
                med(&|| linked_lists::<C>(4096, rounds)),
            ]
        })
        .map_err(|e| e.to_string())?
        .join()
        .map_err(|_| "panicked".to_string())
}
