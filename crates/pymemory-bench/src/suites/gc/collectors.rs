//! Every cycle collector behind one small trait, and the workloads written once against
//! it: acyclic churn, two-node cycles, the young-collection pause, peak memory, and the
//! peer crates' own benchmarks (dumpster's random graph, rust-cc's binary trees with
//! parent pointers and linked lists), re-implemented from their descriptions.

use std::cell::RefCell;
use std::hint::black_box;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::alloc;
use crate::util::{median, time};

/// A cycle collector: a graph node (a list of edges) and a pair node (`v` plus one
/// optional edge, 24 bytes of value as in the churn node).
pub(crate) trait Collector: 'static {
    /// Graph node handle.
    type H: Clone;
    /// Pair node handle.
    type P: Clone;
    /// A graph node with no edges.
    fn alloc() -> Self::H;
    /// Runs `f` on a node's edges.
    fn edges<R>(h: &Self::H, f: impl FnOnce(&mut Vec<Self::H>) -> R) -> R;
    /// A pair node.
    fn pair(v: u64, next: Option<Self::P>) -> Self::P;
    /// Replaces a pair node's edge.
    fn set_next(p: &Self::P, next: Option<Self::P>);
    /// A full collection.
    fn collect();
    /// The cheapest collection: the youngest generation where there are generations.
    fn young() {
        Self::collect();
    }
    /// Turns automatic collection on or off where the collector has a switch.
    fn auto(_on: bool) {}
}

/// `n` allocations of a pair node, each dropped at once.
pub(crate) fn churn<C: Collector>(n: u64) -> f64 {
    time(|| {
        for i in 0..n {
            black_box(C::pair(i, None));
        }
    })
}

fn make_pairs<C: Collector>(pairs: u64) {
    for i in 0..pairs {
        let a = C::pair(i, None);
        let b = C::pair(i, Some(a.clone()));
        C::set_next(&a, Some(b));
    }
}

/// `pairs` two-node cycles created then collected: (total seconds, collection seconds).
/// `auto` leaves automatic collection on (off: everything is found by the final collect).
pub(crate) fn cycles<C: Collector>(pairs: u64, auto: bool) -> [f64; 2] {
    C::auto(auto);
    let t = std::time::Instant::now();
    make_pairs::<C>(pairs);
    let collect = time(C::collect);
    let total = t.elapsed().as_secs_f64();
    C::auto(true);
    [total, collect]
}

/// (live bytes after creating `pairs` two-node cycles, peak bytes during create +
/// collect), from the counting allocator. Automatic collection off where possible.
pub(crate) fn memory<C: Collector>(pairs: u64) -> [f64; 2] {
    C::auto(false);
    C::collect();
    let base = alloc::start();
    make_pairs::<C>(pairs);
    let live = alloc::current().saturating_sub(base);
    C::collect();
    let peak = alloc::stop().saturating_sub(base);
    C::auto(true);
    [live as f64, peak as f64]
}

/// (young pause, full collection) in seconds with `old` live pair nodes that survived a
/// collection, each young sample being 2000 new nodes that point into the old ones.
pub(crate) fn pauses<C: Collector>(old: usize, samples: usize) -> [f64; 2] {
    C::auto(false);
    let olds: Vec<C::P> = (0..old as u64).map(|i| C::pair(i, None)).collect();
    C::collect();
    let young = median(
        (0..samples)
            .map(|_| {
                let ys: Vec<C::P> = (0..2000u64)
                    .map(|i| C::pair(i, Some(olds[(i as usize * 7) % olds.len()].clone())))
                    .collect();
                let t = time(C::young);
                drop(ys);
                C::collect();
                t
            })
            .collect(),
    );
    let full = median((0..3).map(|_| time(C::collect)).collect());
    drop(olds);
    C::collect();
    C::auto(true);
    [young, full]
}

/// dumpster's benchmark: random operations on a graph of nodes holding edge lists.
pub(crate) fn dumpster_random<C: Collector>(ops: usize) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(12345);
    let t = std::time::Instant::now();
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

/// A binary tree of `depth` where every child also holds its parent (edge order: parent,
/// left, right), so every node is in a cycle.
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

/// rust-cc's binary-trees benchmark with parent pointers (benchmarks-game shape).
pub(crate) fn binary_trees<C: Collector>(max_depth: u32) -> f64 {
    let min_depth = 4;
    let t = std::time::Instant::now();
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

/// rust-cc's linked-list benchmark: `rounds` doubly linked lists of `len` nodes (both
/// links strong: a chain of cycles), dropped then collected.
pub(crate) fn linked_lists<C: Collector>(len: usize, rounds: usize) -> f64 {
    let t = std::time::Instant::now();
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

/// `Rc<RefCell<T>>`: the floor for reference counting (churn only; it leaks cycles).
pub(crate) fn churn_rc(n: u64) -> f64 {
    struct RcNode {
        v: u64,
        next: Option<std::rc::Rc<RefCell<RcNode>>>,
    }
    let t = time(|| {
        for i in 0..n {
            black_box(std::rc::Rc::new(RefCell::new(RcNode { v: i, next: None })));
        }
    });
    let n = RcNode { v: 0, next: None };
    black_box((n.v, n.next.is_none()));
    t
}

/// pymemory-gc.
pub(crate) mod pm {
    use super::*;
    use pymemory_gc::{Finalize, Gc, Trace};

    /// Graph node.
    #[derive(Trace, Finalize)]
    pub(crate) struct N(RefCell<Vec<Gc<N>>>);
    /// Pair node.
    #[derive(Trace, Finalize)]
    pub(crate) struct P {
        v: u64,
        next: RefCell<Option<Gc<P>>>,
    }
    /// The collector.
    #[derive(Debug)]
    pub(crate) struct C;
    impl Collector for C {
        type H = Gc<N>;
        type P = Gc<P>;
        fn alloc() -> Gc<N> {
            Gc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Gc<N>, f: impl FnOnce(&mut Vec<Gc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
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
        fn collect() {
            pymemory_gc::collect();
        }
        fn young() {
            pymemory_gc::collect_generation(0);
        }
        fn auto(on: bool) {
            if on {
                pymemory_gc::enable();
            } else {
                pymemory_gc::disable();
            }
        }
    }
}

/// gcmodule 0.3 (written by hand: its derive recurses forever on recursive types).
pub(crate) mod gcm {
    use super::*;
    use gcmodule::{Cc, Trace, Tracer};

    /// Graph node.
    pub(crate) struct N(RefCell<Vec<Cc<N>>>);
    impl Trace for N {
        fn trace(&self, t: &mut Tracer<'_>) {
            self.0.trace(t);
        }
        fn is_type_tracked() -> bool {
            true
        }
    }
    /// Pair node.
    pub(crate) struct P {
        v: u64,
        next: RefCell<Option<Cc<P>>>,
    }
    impl Trace for P {
        fn trace(&self, t: &mut Tracer<'_>) {
            self.next.trace(t);
        }
        fn is_type_tracked() -> bool {
            true
        }
    }
    /// The collector.
    #[derive(Debug)]
    pub(crate) struct C;
    impl Collector for C {
        type H = Cc<N>;
        type P = Cc<P>;
        fn alloc() -> Cc<N> {
            Cc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Cc<N>, f: impl FnOnce(&mut Vec<Cc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn pair(v: u64, next: Option<Cc<P>>) -> Cc<P> {
            Cc::new(P {
                v,
                next: RefCell::new(next),
            })
        }
        fn set_next(p: &Cc<P>, next: Option<Cc<P>>) {
            black_box(p.v);
            *p.next.borrow_mut() = next;
        }
        fn collect() {
            gcmodule::collect_thread_cycles();
        }
    }
}

/// dumpster 2, single-threaded flavour.
pub(crate) mod dump {
    use super::*;
    use dumpster::Trace;
    use dumpster::unsync::Gc;

    /// Graph node.
    #[derive(Trace)]
    pub(crate) struct N(RefCell<Vec<Gc<N>>>);
    /// Pair node.
    #[derive(Trace)]
    pub(crate) struct P {
        v: u64,
        next: RefCell<Option<Gc<P>>>,
    }
    /// The collector.
    #[derive(Debug)]
    pub(crate) struct C;
    impl Collector for C {
        type H = Gc<N>;
        type P = Gc<P>;
        fn alloc() -> Gc<N> {
            Gc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Gc<N>, f: impl FnOnce(&mut Vec<Gc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
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
        fn collect() {
            dumpster::unsync::collect();
        }
        fn auto(on: bool) {
            fn never(_: &dumpster::unsync::CollectInfo) -> bool {
                false
            }
            dumpster::unsync::set_collect_condition(if on {
                dumpster::unsync::default_collect_condition
            } else {
                never
            });
        }
    }
}

/// bacon_rajan_cc 0.4.
pub(crate) mod bacon {
    use super::*;
    use bacon_rajan_cc::{Cc, Trace, Tracer};

    /// Graph node.
    pub(crate) struct N(RefCell<Vec<Cc<N>>>);
    impl Trace for N {
        fn trace(&self, t: &mut Tracer<'_>) {
            for c in self.0.borrow().iter() {
                c.trace(t);
            }
        }
    }
    /// Pair node.
    pub(crate) struct P {
        v: u64,
        next: RefCell<Option<Cc<P>>>,
    }
    impl Trace for P {
        fn trace(&self, t: &mut Tracer<'_>) {
            if let Some(n) = &*self.next.borrow() {
                n.trace(t);
            }
        }
    }
    /// The collector.
    #[derive(Debug)]
    pub(crate) struct C;
    impl Collector for C {
        type H = Cc<N>;
        type P = Cc<P>;
        fn alloc() -> Cc<N> {
            Cc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Cc<N>, f: impl FnOnce(&mut Vec<Cc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn pair(v: u64, next: Option<Cc<P>>) -> Cc<P> {
            Cc::new(P {
                v,
                next: RefCell::new(next),
            })
        }
        fn set_next(p: &Cc<P>, next: Option<Cc<P>>) {
            black_box(p.v);
            *p.next.borrow_mut() = next;
        }
        fn collect() {
            bacon_rajan_cc::collect_cycles();
        }
    }
}

/// rust-cc 0.6 (automatic collection on by default; `config().set_auto_collect` switches it).
pub(crate) mod rcc {
    use super::*;
    use rust_cc::{Cc, Finalize, Trace};

    /// Graph node.
    #[derive(Trace, Finalize)]
    pub(crate) struct N(RefCell<Vec<Cc<N>>>);
    /// Pair node.
    #[derive(Trace, Finalize)]
    pub(crate) struct P {
        #[rust_cc(ignore)]
        v: u64,
        next: RefCell<Option<Cc<P>>>,
    }
    /// The collector.
    #[derive(Debug)]
    pub(crate) struct C;
    impl Collector for C {
        type H = Cc<N>;
        type P = Cc<P>;
        fn alloc() -> Cc<N> {
            Cc::new(N(RefCell::new(Vec::new())))
        }
        fn edges<R>(h: &Cc<N>, f: impl FnOnce(&mut Vec<Cc<N>>) -> R) -> R {
            f(&mut h.0.borrow_mut())
        }
        fn pair(v: u64, next: Option<Cc<P>>) -> Cc<P> {
            Cc::new(P {
                v,
                next: RefCell::new(next),
            })
        }
        fn set_next(p: &Cc<P>, next: Option<Cc<P>>) {
            black_box(p.v);
            *p.next.borrow_mut() = next;
        }
        fn collect() {
            rust_cc::collect_cycles();
        }
        fn auto(on: bool) {
            rust_cc::config::config(|c| c.set_auto_collect(on))
                .expect("rust-cc's configuration is not borrowed here");
        }
    }
}
