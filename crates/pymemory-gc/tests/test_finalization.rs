//! CPython's Lib/test/test_finalization.py (PEP 442), re-expressed in Rust. Each test
//! names the Python test it mirrors. The legacy `tp_del` tests have no equivalent: there
//! are no legacy finalizers here, so nothing is ever uncollectable.

use std::cell::{Cell, RefCell};

use pymemory_gc::{self as gc, Finalize, Gc, Trace, Weak};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Simple,
    Resurrector,
    Suicidal,
}

/// SimpleBase and its subclasses: `me` is SelfCycleBase's `self.ref = self`,
/// `weak_me` lets an acyclic resurrector find itself, `left`/`right` are ChainedBase.
#[derive(Trace)]
struct Node {
    #[trace(skip)]
    kind: Kind,
    #[trace(skip)]
    id: usize,
    me: RefCell<Option<Gc<Node>>>,
    weak_me: RefCell<Option<Weak<Node>>>,
    left: RefCell<Option<Gc<Node>>>,
    right: RefCell<Option<Gc<Node>>>,
    #[trace(skip)]
    chained: Cell<bool>,
    #[trace(skip)]
    suicided: Cell<bool>,
}

#[derive(Default)]
struct Log {
    del_calls: Vec<usize>,
    survivors: Vec<Gc<Node>>,
    errors: Vec<String>,
    cleaning: bool,
    next_id: usize,
}

thread_local! {
    static LOG: RefCell<Log> = RefCell::new(Log::default());
}

fn same(a: &Option<Gc<Node>>, b: &Node) -> bool {
    a.as_ref()
        .is_some_and(|x| std::ptr::eq(std::ptr::from_ref::<Node>(x), b))
}

impl Node {
    fn new(kind: Kind) -> Gc<Node> {
        let id = LOG.with(|l| {
            let mut l = l.borrow_mut();
            l.next_id += 1;
            l.next_id
        });
        Gc::new(Node {
            kind,
            id,
            me: RefCell::new(None),
            weak_me: RefCell::new(None),
            left: RefCell::new(None),
            right: RefCell::new(None),
            chained: Cell::new(false),
            suicided: Cell::new(false),
        })
    }

    /// SelfCycleBase.__init__: `self.ref = self`.
    fn self_cycle(kind: Kind) -> Gc<Node> {
        let n = Node::new(kind);
        *n.me.borrow_mut() = Some(n.clone());
        n
    }

    /// SimpleBase without a cycle; `weak_me` lets the resurrector store itself.
    fn acyclic(kind: Kind) -> Gc<Node> {
        let n = Node::new(kind);
        *n.weak_me.borrow_mut() = Some(Gc::downgrade(&n));
        n
    }

    /// ChainedBase.chain(left): `self.left = left; left.right = self`.
    fn chain(this: &Gc<Node>, left: &Gc<Node>) {
        this.chained.set(true);
        *this.left.borrow_mut() = Some(left.clone());
        *left.right.borrow_mut() = Some(this.clone());
    }

    fn check_sanity(&self) -> Result<(), String> {
        if let Some(me) = &*self.me.borrow() {
            if !std::ptr::eq(std::ptr::from_ref::<Node>(me), self) {
                return Err("self.ref is not self".into());
            }
        }
        if !self.chained.get() {
            return Ok(());
        }
        if self.suicided.get() {
            if self.left.borrow().is_some() || self.right.borrow().is_some() {
                return Err("suicided node still linked".into());
            }
            return Ok(());
        }
        let left = self.left.borrow().clone().ok_or("left is None")?;
        if left.suicided.get() {
            if left.right.borrow().is_some() {
                return Err("left.right is not None".into());
            }
        } else if !same(&left.right.borrow(), self) {
            return Err("left.right is not self".into());
        }
        let right = self.right.borrow().clone().ok_or("right is None")?;
        if right.suicided.get() {
            if right.left.borrow().is_some() {
                return Err("right.left is not None".into());
            }
        } else if !same(&right.left.borrow(), self) {
            return Err("right.left is not self".into());
        }
        Ok(())
    }

    /// A strong handle to `self`, found through what it reaches (a finalizer gets
    /// `&self`, so it resurrects itself by storing a handle it can reach).
    fn handle_to_self(&self) -> Option<Gc<Node>> {
        if let Some(me) = self.me.borrow().clone() {
            return Some(me);
        }
        if let Some(w) = &*self.weak_me.borrow() {
            if let Some(me) = w.upgrade() {
                return Some(me);
            }
        }
        if let Some(l) = self.left.borrow().clone() {
            let r = l.right.borrow().clone();
            if same(&r, self) {
                return r;
            }
        }
        if let Some(r) = self.right.borrow().clone() {
            let l = r.left.borrow().clone();
            if same(&l, self) {
                return l;
            }
        }
        None
    }
}

impl Finalize for Node {
    /// NonGCSimpleBase.__del__: record the call, check sanity, run the side effect.
    fn finalize(&self) {
        if LOG.with(|l| l.borrow().cleaning) {
            return;
        }
        LOG.with(|l| l.borrow_mut().del_calls.push(self.id));
        if let Err(e) = self.check_sanity() {
            LOG.with(|l| l.borrow_mut().errors.push(e));
        }
        match self.kind {
            Kind::Simple => {}
            Kind::Resurrector => match self.handle_to_self() {
                Some(me) => LOG.with(|l| l.borrow_mut().survivors.push(me)),
                None => LOG.with(|l| l.borrow_mut().errors.push("cannot find self".into())),
            },
            Kind::Suicidal => {
                if self.chained.get() {
                    self.suicided.set(true);
                    let l = self.left.borrow_mut().take();
                    let r = self.right.borrow_mut().take();
                    drop((l, r));
                } else {
                    let me = self.me.borrow_mut().take();
                    drop(me);
                }
            }
        }
    }
}

/// SimpleBase.test(): run with the collector disabled, clean up afterwards, fail on
/// errors recorded by the finalizers.
fn with_test(body: impl FnOnce()) {
    gc::disable();
    LOG.with(|l| {
        let mut l = l.borrow_mut();
        l.del_calls.clear();
        l.cleaning = false;
    });
    body();
    let errors = LOG.with(|l| std::mem::take(&mut l.borrow_mut().errors));
    LOG.with(|l| l.borrow_mut().cleaning = true);
    let s = LOG.with(|l| std::mem::take(&mut l.borrow_mut().survivors));
    drop(s);
    gc::collect();
    assert!(gc::garbage().is_empty());
    assert!(errors.is_empty(), "finalizer errors: {errors:?}");
}

fn ids(nodes: &[Gc<Node>]) -> Vec<usize> {
    nodes.iter().map(|n| n.id).collect()
}

fn assert_del_calls(mut want: Vec<usize>) {
    let mut got = LOG.with(|l| l.borrow().del_calls.clone());
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "del_calls");
}

fn assert_survivors(mut want: Vec<usize>) {
    let mut got: Vec<usize> = LOG.with(|l| l.borrow().survivors.iter().map(|s| s.id).collect());
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "survivors");
}

fn clear_survivors() {
    let s = LOG.with(|l| std::mem::take(&mut l.borrow_mut().survivors));
    drop(s);
}

/// test_finalization.SimpleFinalizationTest.test_simple
#[test]
fn simple_test_simple() {
    with_test(|| {
        let s = Node::acyclic(Kind::Simple);
        let ids = vec![s.id];
        let wr = Gc::downgrade(&s);
        drop(s);
        gc::collect();
        assert_del_calls(ids.clone());
        assert_survivors(vec![]);
        assert!(wr.upgrade().is_none());
        gc::collect();
        assert_del_calls(ids);
        assert_survivors(vec![]);
    });
}

/// test_finalization.SimpleFinalizationTest.test_simple_resurrect
#[test]
fn simple_test_simple_resurrect() {
    let wr;
    {
        let mut w = None;
        with_test(|| {
            let s = Node::acyclic(Kind::Resurrector);
            let ids = vec![s.id];
            let wr = Gc::downgrade(&s);
            drop(s);
            gc::collect();
            assert_del_calls(ids.clone());
            assert_survivors(ids.clone());
            assert!(
                wr.upgrade().is_some(),
                "refcount death keeps weakrefs of a resurrected object"
            );
            clear_survivors();
            gc::collect();
            assert_del_calls(ids);
            assert_survivors(vec![]);
            w = Some(wr);
        });
        wr = w.unwrap();
    }
    assert!(wr.upgrade().is_none());
}

/// A non-GC object: its type reaches no `Gc` (only a `Weak`), so it is untracked.
#[derive(Trace)]
struct NonGc {
    #[trace(skip)]
    id: usize,
    #[trace(skip)]
    resurrect: bool,
    me: RefCell<Option<Weak<NonGc>>>,
}

thread_local! {
    static NONGC: RefCell<(Vec<usize>, Vec<Gc<NonGc>>)> = RefCell::default();
}

impl Finalize for NonGc {
    fn finalize(&self) {
        NONGC.with(|n| n.borrow_mut().0.push(self.id));
        if self.resurrect {
            let me = self.me.borrow().as_ref().and_then(Weak::upgrade);
            NONGC.with(|n| n.borrow_mut().1.extend(me));
        }
    }
}

fn nongc(resurrect: bool) -> Gc<NonGc> {
    let s = Gc::new(NonGc {
        id: 7,
        resurrect,
        me: RefCell::new(None),
    });
    *s.me.borrow_mut() = Some(Gc::downgrade(&s));
    s
}

/// test_finalization.SimpleFinalizationTest.test_non_gc
#[test]
fn simple_test_non_gc() {
    let s = nongc(false);
    assert!(!gc::is_tracked(&s));
    drop(s);
    gc::collect();
    assert_eq!(NONGC.with(|n| n.borrow().0.clone()), vec![7]);
    gc::collect();
    assert_eq!(NONGC.with(|n| n.borrow().0.clone()), vec![7]);
}

/// test_finalization.SimpleFinalizationTest.test_non_gc_resurrect
///
/// Intentional difference: CPython calls `__del__` of a non-GC object again after a
/// resurrection (`del_calls == ids * 2`) because such objects have no GC header to
/// remember it; here untracked objects keep the flag too, so PEP 442's "at most once"
/// holds for every object.
#[test]
fn simple_test_non_gc_resurrect() {
    let s = nongc(true);
    assert!(!gc::is_tracked(&s));
    drop(s);
    gc::collect();
    assert_eq!(NONGC.with(|n| n.borrow().0.clone()), vec![7]);
    assert_eq!(NONGC.with(|n| n.borrow().1.len()), 1, "survivors == ids");
    let s = NONGC.with(|n| std::mem::take(&mut n.borrow_mut().1));
    drop(s);
    gc::collect();
    assert_eq!(
        NONGC.with(|n| n.borrow().0.clone()),
        vec![7],
        "finalized only once"
    );
}

/// test_finalization.SelfCycleFinalizationTest.test_simple
#[test]
fn self_cycle_test_simple() {
    with_test(|| {
        let s = Node::self_cycle(Kind::Simple);
        let ids = vec![s.id];
        let wr = Gc::downgrade(&s);
        drop(s);
        gc::collect();
        assert_del_calls(ids.clone());
        assert_survivors(vec![]);
        assert!(wr.upgrade().is_none());
        gc::collect();
        assert_del_calls(ids);
        assert_survivors(vec![]);
    });
}

/// test_finalization.SelfCycleFinalizationTest.test_simple_resurrect
#[test]
fn self_cycle_test_simple_resurrect() {
    with_test(|| {
        let s = Node::self_cycle(Kind::Resurrector);
        let ids = vec![s.id];
        let wr = Gc::downgrade(&s);
        drop(s);
        gc::collect();
        assert_del_calls(ids.clone());
        assert_survivors(ids.clone());
        // "XXX is this desirable?": weak references were cleared before the finalizer.
        assert!(wr.upgrade().is_none());
        clear_survivors();
        gc::collect();
        assert_del_calls(ids);
        assert_survivors(vec![]);
        assert!(wr.upgrade().is_none());
    });
}

/// test_finalization.SelfCycleFinalizationTest.test_simple_suicide
#[test]
fn self_cycle_test_simple_suicide() {
    with_test(|| {
        let s = Node::self_cycle(Kind::Suicidal);
        let ids = vec![s.id];
        let wr = Gc::downgrade(&s);
        drop(s);
        gc::collect();
        assert_del_calls(ids.clone());
        assert_survivors(vec![]);
        assert!(wr.upgrade().is_none());
        gc::collect();
        assert_del_calls(ids);
        assert_survivors(vec![]);
        assert!(wr.upgrade().is_none());
    });
}

fn build_chain(kinds: &[Kind]) -> Vec<Gc<Node>> {
    let nodes: Vec<Gc<Node>> = kinds.iter().map(|&k| Node::new(k)).collect();
    let n = nodes.len();
    for i in 0..n {
        Node::chain(&nodes[i], &nodes[(i + n - 1) % n]);
    }
    nodes
}

/// CycleChainFinalizationTest.check_non_resurrecting_chain
fn check_non_resurrecting_chain(kinds: &[Kind]) {
    with_test(|| {
        let nodes = build_chain(kinds);
        let ids = ids(&nodes);
        let wrs: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
        drop(nodes);
        gc::collect();
        assert_del_calls(ids.clone());
        assert_survivors(vec![]);
        assert!(wrs.iter().all(|w| w.upgrade().is_none()));
        gc::collect();
        assert_del_calls(ids);
    });
}

/// CycleChainFinalizationTest.check_resurrecting_chain
fn check_resurrecting_chain(kinds: &[Kind]) {
    with_test(|| {
        let nodes = build_chain(kinds);
        let ids = ids(&nodes);
        let survivor_ids: Vec<usize> = nodes
            .iter()
            .filter(|n| n.kind == Kind::Resurrector)
            .map(|n| n.id)
            .collect();
        let wrs: Vec<_> = nodes.iter().map(Gc::downgrade).collect();
        drop(nodes);
        gc::collect();
        assert_del_calls(ids.clone());
        assert_survivors(survivor_ids);
        // "XXX desirable?": every weakref is cleared, resurrected or not.
        assert!(wrs.iter().all(|w| w.upgrade().is_none()));
        clear_survivors();
        gc::collect();
        assert_del_calls(ids);
        assert_survivors(vec![]);
    });
}

use Kind::{Resurrector as R, Simple as S, Suicidal as X};

/// test_finalization.CycleChainFinalizationTest.test_homogenous
#[test]
fn chain_test_homogenous() {
    check_non_resurrecting_chain(&[S; 3]);
}

/// test_finalization.CycleChainFinalizationTest.test_homogenous_resurrect
#[test]
fn chain_test_homogenous_resurrect() {
    check_resurrecting_chain(&[R; 3]);
}

/// test_finalization.CycleChainFinalizationTest.test_homogenous_suicidal
#[test]
fn chain_test_homogenous_suicidal() {
    check_non_resurrecting_chain(&[X; 3]);
}

/// test_finalization.CycleChainFinalizationTest.test_heterogenous_suicidal_one
#[test]
fn chain_test_heterogenous_suicidal_one() {
    check_non_resurrecting_chain(&[X, S, X, S]);
}

/// test_finalization.CycleChainFinalizationTest.test_heterogenous_suicidal_two
#[test]
fn chain_test_heterogenous_suicidal_two() {
    check_non_resurrecting_chain(&[X, X, S, S]);
}

/// test_finalization.CycleChainFinalizationTest.test_heterogenous_resurrect_one
#[test]
fn chain_test_heterogenous_resurrect_one() {
    check_resurrecting_chain(&[R, S, R, S]);
}

/// test_finalization.CycleChainFinalizationTest.test_heterogenous_resurrect_two
#[test]
fn chain_test_heterogenous_resurrect_two() {
    check_resurrecting_chain(&[R, S, X, R, S, X]);
}

/// test_finalization.CycleChainFinalizationTest.test_heterogenous_resurrect_three
#[test]
fn chain_test_heterogenous_resurrect_three() {
    check_resurrecting_chain(&[R, R, S, S, X, X]);
}

/// PEP 442: "Drop runs when the collector clears it, after every finalizer of that
/// cycle has run" (the issue's rule for user `Drop` impls on traced types).
#[test]
fn drop_runs_after_all_finalizers_of_the_cycle() {
    thread_local!(static EVENTS: RefCell<Vec<String>> = RefCell::default());
    #[derive(Trace)]
    struct D {
        #[trace(skip)]
        name: &'static str,
        other: RefCell<Option<Gc<D>>>,
    }
    impl Finalize for D {
        fn finalize(&self) {
            EVENTS.with(|e| e.borrow_mut().push(format!("finalize {}", self.name)));
        }
    }
    impl Drop for D {
        fn drop(&mut self) {
            EVENTS.with(|e| e.borrow_mut().push(format!("drop {}", self.name)));
        }
    }
    let a = Gc::new(D {
        name: "a",
        other: RefCell::new(None),
    });
    let b = Gc::new(D {
        name: "b",
        other: RefCell::new(Some(a.clone())),
    });
    *a.other.borrow_mut() = Some(b.clone());
    drop((a, b));
    assert_eq!(gc::collect(), 2);
    let ev = EVENTS.with(|e| e.borrow().clone());
    assert_eq!(ev.len(), 4, "{ev:?}");
    assert!(ev[..2].iter().all(|e| e.starts_with("finalize")), "{ev:?}");
    assert!(ev[2..].iter().all(|e| e.starts_with("drop")), "{ev:?}");
}
