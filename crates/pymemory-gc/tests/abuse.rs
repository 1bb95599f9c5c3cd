//! User code that misbehaves during a collection (hashbrown's `hasher_unwind.rs` idea):
//! panics in `finalize`, `Drop`, `Trace`, weak callbacks and collection callbacks
//! propagate to the caller of `collect()` and leave the heap consistent and usable;
//! wrong `Trace` impls leak or panic (never undefined behaviour, even with a `&T` held
//! across `collect()`); a `Drop` touching any object of its garbage panics.
//!
//! The phases of a collection (see `src/collect.rs`) each test hits are named in its
//! doc comment: start callbacks, subtract/mark (`Trace`), weak-reference callbacks,
//! finalizers, resurrection re-check, clearing (`Drop`), stop callbacks, and reference
//! count deaths outside a collection.

mod common;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use common::Obj;
use pymemory_gc::{self as gc, Exactness, Finalize, Gc, Trace, Tracer};

fn cycle_with(name: &'static str, del: impl Fn(&Obj) + 'static) -> pymemory_gc::Weak<Obj> {
    let a = Obj::with_del(name, del);
    let b = Obj::new("partner");
    a.set("b", &b);
    b.set("a", &a);
    Gc::downgrade(&a)
}

fn plain_cycle() -> pymemory_gc::Weak<Obj> {
    let a = Obj::new("x");
    a.set("me", &a);
    Gc::downgrade(&a)
}

/// The heap still works: a new cycle is found and freed, counts are sane.
fn assert_heap_usable() {
    let w = plain_cycle();
    assert_eq!(gc::collect(), 1);
    assert!(w.upgrade().is_none());
    let n = gc::get_objects(None).len();
    let keep = Obj::new("k");
    assert_eq!(gc::get_objects(None).len(), n + 1);
    drop(keep);
    assert_eq!(gc::get_objects(None).len(), n);
}

#[test]
fn panic_in_finalizer_propagates_and_collection_completes() {
    let w = cycle_with("boom", |_| panic!("finalizer boom"));
    let other = plain_cycle();
    let r = catch_unwind(gc::collect);
    let msg = r.unwrap_err();
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"finalizer boom"));
    // The collection finished: both cycles are gone.
    assert!(w.upgrade().is_none());
    assert!(other.upgrade().is_none());
    assert_heap_usable();
}

#[test]
fn panic_in_finalizer_at_refcount_death() {
    let o = Obj::with_del("boom", |_| panic!("del boom"));
    let w = Gc::downgrade(&o);
    let r = catch_unwind(AssertUnwindSafe(move || drop(o)));
    assert!(r.is_err());
    assert!(w.upgrade().is_none(), "the object still died");
    assert_heap_usable();
}

#[derive(Trace)]
struct PanickyDrop {
    other: RefCell<Option<Gc<PanickyDrop>>>,
    #[trace(skip)]
    dropped: Rc<Cell<u32>>,
}
impl Finalize for PanickyDrop {}
impl Drop for PanickyDrop {
    fn drop(&mut self) {
        self.dropped.set(self.dropped.get() + 1);
        panic!("drop boom");
    }
}

#[test]
fn panic_in_drop_during_collection() {
    let dropped = Rc::new(Cell::new(0));
    let a = Gc::new(PanickyDrop {
        other: RefCell::new(None),
        dropped: dropped.clone(),
    });
    let b = Gc::new(PanickyDrop {
        other: RefCell::new(Some(a.clone())),
        dropped: dropped.clone(),
    });
    *a.other.borrow_mut() = Some(b.clone());
    drop((a, b));
    let r = catch_unwind(gc::collect);
    assert!(r.is_err());
    assert_eq!(dropped.get(), 2, "every value of the cycle was dropped");
    assert_heap_usable();
}

#[derive(Finalize)]
struct PanickyTrace {
    next: RefCell<Option<Gc<PanickyTrace>>>,
    armed: Cell<bool>,
}
impl Trace for PanickyTrace {
    // SAFETY: reports `next`, owned by the value, once; reads `armed` (no side effects
    // on any handle). Panicking is allowed.
    const EXACTNESS: Exactness<Self> = unsafe { Exactness::vouched() };
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if self.armed.get() {
            panic!("trace boom");
        }
        self.next.trace(tracer);
    }
}

#[test]
fn panic_in_trace_abandons_the_collection_safely() {
    let a = Gc::new(PanickyTrace {
        next: RefCell::new(None),
        armed: Cell::new(false),
    });
    *a.next.borrow_mut() = Some(a.clone());
    let w = Gc::downgrade(&a);
    a.armed.set(true);
    drop(a);
    let r = catch_unwind(gc::collect);
    assert!(r.is_err());
    let a = w.upgrade().expect("nothing was cleared");
    a.armed.set(false);
    drop(a);
    assert_eq!(gc::collect(), 1);
    assert!(w.upgrade().is_none());
    assert_heap_usable();
}

#[test]
fn panic_in_weak_callback() {
    let a = Obj::new("a");
    a.set("me", &a);
    let wr = Gc::downgrade_with_callback(&a, || panic!("callback boom"));
    drop(a);
    let r = catch_unwind(gc::collect);
    assert!(r.is_err());
    assert!(wr.upgrade().is_none());
    assert_heap_usable();
    // And at a reference-count death.
    let b = Obj::new("b");
    let wr = Gc::downgrade_with_callback(&b, || panic!("callback boom"));
    assert!(catch_unwind(AssertUnwindSafe(move || drop(b))).is_err());
    assert!(wr.upgrade().is_none());
}

#[test]
fn panic_in_gc_callback() {
    let id = gc::add_callback(|phase, _| {
        if phase == gc::Phase::Start {
            panic!("gc callback boom");
        }
    });
    let w = plain_cycle();
    assert!(catch_unwind(gc::collect).is_err());
    assert!(w.upgrade().is_none(), "the collection still ran");
    gc::remove_callback(id);
    assert_heap_usable();
}

#[test]
fn panic_in_automatic_collection_propagates_from_new() {
    gc::set_threshold(5, 10, 10);
    let _w = cycle_with("boom", |_| panic!("auto boom"));
    let kept = RefCell::new(Vec::new());
    let r = catch_unwind(AssertUnwindSafe(|| {
        for _ in 0..10 {
            drop(Obj::new("filler"));
            kept.borrow_mut().push(Obj::new("keep"));
        }
    }));
    assert!(r.is_err());
    drop(kept);
    gc::set_threshold(2000, 10, 10);
    assert_heap_usable();
}

#[derive(Trace)]
struct TouchOther {
    other: RefCell<Option<Gc<TouchOther>>>,
    #[trace(skip)]
    seen: Rc<RefCell<Vec<String>>>,
}
impl Finalize for TouchOther {}
impl Drop for TouchOther {
    fn drop(&mut self) {
        if let Some(o) = self.other.borrow().as_ref() {
            // Dereferencing a cleared object panics; `try_get` is the careful way.
            let state = if Gc::is_cleared(o) {
                "cleared"
            } else {
                "intact"
            };
            self.seen.borrow_mut().push(state.into());
            let r = catch_unwind(AssertUnwindSafe(|| o.other.borrow().is_some()));
            if Gc::is_cleared(o) {
                assert!(r.is_err(), "deref of a cleared object must panic");
            }
        }
    }
}

#[test]
fn drop_touching_cleared_object_panics_cleanly() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let a = Gc::new(TouchOther {
        other: RefCell::new(None),
        seen: seen.clone(),
    });
    let b = Gc::new(TouchOther {
        other: RefCell::new(Some(a.clone())),
        seen: seen.clone(),
    });
    *a.other.borrow_mut() = Some(b.clone());
    drop((a, b));
    assert_eq!(gc::collect(), 2);
    // Every member of the garbage is flagged before the first `Drop` runs, so both
    // `Drop`s find the other one cleared, whatever the order.
    assert_eq!(*seen.borrow(), vec!["cleared", "cleared"]);
    assert_heap_usable();
}

/// A handle that escapes from a `Drop` to a cleared object keeps the memory alive; using
/// it panics, dropping it frees.
#[test]
fn escaped_handle_to_cleared_object() {
    thread_local!(static ESCAPE: RefCell<Option<Gc<Esc>>> = const { RefCell::new(None) });
    #[derive(Trace, Finalize)]
    struct Esc {
        other: RefCell<Option<Gc<Esc>>>,
        #[trace(skip)]
        v: u64,
    }
    impl Drop for Esc {
        fn drop(&mut self) {
            let o = self.other.borrow().clone();
            ESCAPE.with(|e| e.borrow_mut().get_or_insert_with(|| o.unwrap()).v);
        }
    }
    let a = Gc::new(Esc {
        other: RefCell::new(None),
        v: 1,
    });
    let b = Gc::new(Esc {
        other: RefCell::new(Some(a.clone())),
        v: 2,
    });
    *a.other.borrow_mut() = Some(b.clone());
    drop((a, b));
    let _ = catch_unwind(gc::collect);
    let h = ESCAPE.with(|e| e.borrow_mut().take()).unwrap();
    assert!(Gc::is_cleared(&h));
    assert!(Gc::try_get(&h).is_none());
    assert!(!gc::is_tracked(&h));
    assert!(catch_unwind(AssertUnwindSafe(|| h.v)).is_err());
    drop(h);
    assert_heap_usable();
}

/// A `Trace` that forgets an edge: the cycle leaks, nothing breaks.
#[test]
fn missing_edge_leaks() {
    #[derive(Finalize)]
    struct Forgetful(RefCell<Option<Gc<Forgetful>>>);
    impl Trace for Forgetful {
        fn trace(&self, _: &mut Tracer<'_>) {}
    }
    let a = Gc::new(Forgetful(RefCell::new(None)));
    *a.0.borrow_mut() = Some(a.clone());
    let w = Gc::downgrade(&a);
    drop(a);
    assert_eq!(gc::collect(), 0);
    assert!(w.upgrade().is_some(), "leaked, not freed");
    assert_heap_usable();
    // Break the leaked cycle by hand.
    let a = w.upgrade().unwrap();
    let inner = a.0.borrow_mut().take();
    drop((inner, a));
    assert!(w.upgrade().is_none());
}

/// A `Trace` that reports an edge twice, unverified (safe code): its edges are not
/// subtracted, so the cycle leaks and nothing is cleared.
#[test]
fn extra_edges_from_unverified_trace_leak() {
    #[derive(Finalize)]
    struct Doubled(RefCell<Option<Gc<Doubled>>>);
    impl Trace for Doubled {
        fn trace(&self, tracer: &mut Tracer<'_>) {
            self.0.trace(tracer);
            self.0.trace(tracer);
        }
    }
    let a = Gc::new(Doubled(RefCell::new(None)));
    *a.0.borrow_mut() = Some(a.clone());
    let w = Gc::downgrade(&a);
    drop(a);
    assert_eq!(gc::collect(), 0);
    let a = w.upgrade().expect("not cleared");
    assert!(!Gc::is_cleared(&a));
    let inner = a.0.borrow_mut().take();
    drop((inner, a));
    assert!(w.upgrade().is_none());
    assert_heap_usable();
}

/// Defence in depth (phase: subtract): an impl that *vouches* (with `unsafe`) yet
/// reports an edge twice breaks its contract; the collector still notices when an
/// object gets more internal edges than handles, abandons the collection with a panic
/// and clears nothing.
#[test]
fn extra_edges_from_wrongly_vouched_trace_are_detected() {
    #[derive(Finalize)]
    struct Doubled(RefCell<Option<Gc<Doubled>>>);
    impl Trace for Doubled {
        // SAFETY: deliberately false (rule 1: each handle at most once) to test the
        // detector; this particular breach is caught before anything is cleared (the
        // only object gets 2 edges for its 1 handle), so no value is dropped early.
        const EXACTNESS: Exactness<Self> = unsafe { Exactness::vouched() };
        fn trace(&self, tracer: &mut Tracer<'_>) {
            self.0.trace(tracer);
            self.0.trace(tracer);
        }
    }
    let a = Gc::new(Doubled(RefCell::new(None)));
    *a.0.borrow_mut() = Some(a.clone());
    let w = Gc::downgrade(&a);
    drop(a);
    let r = catch_unwind(gc::collect);
    let e = r.unwrap_err();
    assert!(
        e.downcast_ref::<&str>()
            .unwrap()
            .contains("more references")
    );
    let a = w.upgrade().expect("not cleared");
    let inner = a.0.borrow_mut().take();
    drop((inner, a));
    assert!(w.upgrade().is_none());
    assert_heap_usable();
}

#[derive(Trace, Finalize)]
struct Node {
    #[trace(skip)]
    v: u64,
    next: RefCell<Option<Gc<Node>>>,
}

thread_local! {
    static GLOBAL: Gc<Node> = {
        // A self-cycle held by the thread-local: strong count 2, one internal edge.
        let n = Gc::new(Node { v: 42, next: RefCell::new(None) });
        *n.next.borrow_mut() = Some(n.clone());
        n
    };
}

/// Breaks the thread-local's self-cycle so nothing leaks at thread exit (Miri checks).
fn release_global() {
    let next = GLOBAL.with(|g| g.next.borrow_mut().take());
    drop(next);
}

/// A safe hand-written `Trace` that also reports the thread-local's handle, which it
/// does not own (the "extra edge").
#[derive(Finalize)]
struct Liar {
    own: RefCell<Option<Gc<Liar>>>,
}
impl Trace for Liar {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.own.trace(tracer);
        GLOBAL.with(|g| g.trace(tracer));
    }
}

/// Issue 4 regression (phases: subtract, mark, clearing): a safe `Trace` over-reports
/// an edge to an object held by a thread-local while a `&T` borrowed from that handle
/// is alive across `collect()`. Before exactness the collector subtracted the extra
/// edge, found the object unreachable and dropped its value under the borrow (use after
/// free under Miri). Now the liar's edges count as outside references: nothing the
/// thread-local holds is cleared, and the liar's own cycle leaks.
#[test]
fn over_reporting_trace_cannot_clear_a_borrowed_object() {
    let liar = Gc::new(Liar {
        own: RefCell::new(None),
    });
    *liar.own.borrow_mut() = Some(liar.clone());
    let wl = Gc::downgrade(&liar);
    GLOBAL.with(|g| {
        let borrowed: &Node = g; // lives across both collections
        // Read through the borrow first: under Miri, the old collector's use after free
        // is reported right here.
        let found = gc::collect();
        assert_eq!((borrowed.v, found), (42, 0));
        drop(liar);
        let found = gc::collect();
        assert_eq!((borrowed.v, found), (42, 0), "the liar's cycle leaks");
        assert!(!Gc::is_cleared(g));
        let next = borrowed.next.borrow();
        assert!(Gc::ptr_eq(next.as_ref().unwrap(), g));
    });
    let l = wl.upgrade().expect("leaked, not freed");
    let inner = l.own.borrow_mut().take();
    drop((inner, l));
    assert!(wl.upgrade().is_none());
    release_global();
    assert_heap_usable();
}

/// The same lie with a finalizer in the garbage, so the resurrection re-check runs
/// (phases: subtract, finalizers, re-check, clearing): the liar is itself garbage
/// (held only by an exact finalizable object in a cycle) and reports the thread-local's
/// handle again in the re-check; the borrowed object still survives and the exact
/// garbage is collected.
#[test]
fn over_reporting_trace_in_garbage_with_finalizers() {
    #[derive(Trace)]
    struct Fin {
        me: RefCell<Option<Gc<Fin>>>,
        liar: RefCell<Option<Gc<Liar>>>,
        #[trace(skip)]
        ran: Rc<Cell<u32>>,
    }
    impl Finalize for Fin {
        fn finalize(&self) {
            self.ran.set(self.ran.get() + 1);
        }
    }
    let ran = Rc::new(Cell::new(0));
    let f = Gc::new(Fin {
        me: RefCell::new(None),
        liar: RefCell::new(Some(Gc::new(Liar {
            own: RefCell::new(None),
        }))),
        ran: ran.clone(),
    });
    *f.me.borrow_mut() = Some(f.clone());
    let wl = Gc::downgrade(f.liar.borrow().as_ref().unwrap());
    drop(f);
    GLOBAL.with(|g| {
        let borrowed: &Node = g;
        // `Fin` and the liar (held only by `Fin`) are garbage; the global is not.
        assert_eq!(gc::collect(), 2);
        assert_eq!(ran.get(), 1);
        assert!(wl.upgrade().is_none());
        assert!(!Gc::is_cleared(g));
        assert_eq!(borrowed.v, 42);
    });
    release_global();
    assert_heap_usable();
}

/// A container shared through an `Rc` by two objects whose hand-written (unverified)
/// impls both report its handles (phases: subtract, mark): the edges are not
/// subtracted, so the shared object is never cleared while referenced; the cycle leaks.
#[test]
fn shared_container_reported_twice_is_never_cleared() {
    type Shared = Rc<RefCell<Vec<Gc<Node>>>>;
    #[derive(Finalize)]
    struct Owner {
        shared: Shared,
        me: RefCell<Option<Gc<Owner>>>,
    }
    impl Trace for Owner {
        fn trace(&self, tracer: &mut Tracer<'_>) {
            self.shared.borrow().trace(tracer);
            self.me.trace(tracer);
        }
    }
    let n = Gc::new(Node {
        v: 7,
        next: RefCell::new(None),
    });
    let shared: Shared = Rc::new(RefCell::new(vec![n.clone()]));
    let o1 = Gc::new(Owner {
        shared: shared.clone(),
        me: RefCell::new(None),
    });
    let o2 = Gc::new(Owner {
        shared: shared.clone(),
        me: RefCell::new(None),
    });
    *o1.me.borrow_mut() = Some(o1.clone());
    *o2.me.borrow_mut() = Some(o2.clone());
    let (w1, w2) = (Gc::downgrade(&o1), Gc::downgrade(&o2));
    drop((o1, o2, shared));
    let borrowed: &Node = &n; // `n`: strong 2 (this handle + the shared Vec), 2 reports
    let found = gc::collect();
    assert_eq!((borrowed.v, found), (7, 0));
    assert!(!Gc::is_cleared(&n));
    for w in [w1, w2] {
        let o = w.upgrade().expect("leaked");
        let inner = o.me.borrow_mut().take();
        drop((inner, o));
        assert!(w.upgrade().is_none());
    }
    assert_heap_usable();
}

/// Phase: clearing. A `Drop` that stashes handles to the other members of its garbage
/// in a thread-local (and tries to borrow through them) gets no `&T`: every member is
/// flagged cleared before the first value is dropped, whatever the order. Using the
/// stashed handles later panics; dropping them frees the memory.
#[test]
fn drop_cannot_borrow_into_its_garbage() {
    thread_local!(static STASH: RefCell<Vec<Gc<Stasher>>> = const { RefCell::new(Vec::new()) });
    #[derive(Trace, Finalize)]
    struct Stasher {
        others: RefCell<Vec<Gc<Stasher>>>,
        #[trace(skip)]
        v: u64,
        #[trace(skip)]
        borrowed: Rc<Cell<u32>>,
    }
    impl Drop for Stasher {
        fn drop(&mut self) {
            for o in self.others.borrow().iter() {
                if Gc::try_get(o).is_some() {
                    self.borrowed.set(self.borrowed.get() + 1);
                }
                STASH.with(|s| s.borrow_mut().push(o.clone()));
            }
        }
    }
    let borrowed = Rc::new(Cell::new(0));
    let nodes: Vec<Gc<Stasher>> = (0..4)
        .map(|v| {
            Gc::new(Stasher {
                others: RefCell::new(Vec::new()),
                v,
                borrowed: borrowed.clone(),
            })
        })
        .collect();
    for n in &nodes {
        n.others.borrow_mut().extend(nodes.iter().cloned());
    }
    drop(nodes);
    assert_eq!(gc::collect(), 4);
    assert_eq!(borrowed.get(), 0, "no Drop could borrow another member");
    let stash = STASH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    assert_eq!(stash.len(), 16);
    for h in &stash {
        assert!(Gc::is_cleared(h));
        assert!(catch_unwind(AssertUnwindSafe(|| h.v)).is_err());
    }
    drop(stash);
    assert_heap_usable();
}

/// A collection while a `RefCell` of a reachable object is mutably borrowed: the
/// borrowed contents are treated as referenced from outside, nothing is cleared.
#[test]
fn collect_during_borrow_mut_is_conservative() {
    let a = Obj::new("a");
    let child = Obj::new("child");
    child.set("me", &child);
    a.set("child", &child);
    drop(child);
    {
        let _guard = a.attrs.borrow_mut();
        assert_eq!(gc::collect(), 0);
    }
    let c = a.get("child").unwrap();
    assert!(c.get("me").is_some());
    drop((a, c));
    assert_eq!(gc::collect(), 1);
}

/// An exact type whose `trace` panics on its `n`-th call (counting from 1), so a test
/// can aim at one phase of a collection.
#[derive(Finalize)]
struct Countdown {
    me: RefCell<Option<Gc<Countdown>>>,
    calls: Cell<u32>,
    panic_at: Cell<u32>,
}
impl Trace for Countdown {
    // SAFETY: reports `me`, owned by the value, once; only touches its own counters.
    // Panicking is allowed.
    const EXACTNESS: Exactness<Self> = unsafe { Exactness::vouched() };
    fn trace(&self, tracer: &mut Tracer<'_>) {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if n == self.panic_at.get() {
            panic!("trace boom at call {n}");
        }
        self.me.trace(tracer);
    }
}

fn countdown_cycle(panic_at: u32) -> Gc<Countdown> {
    let c = Gc::new(Countdown {
        me: RefCell::new(None),
        calls: Cell::new(0),
        panic_at: Cell::new(panic_at),
    });
    *c.me.borrow_mut() = Some(c.clone());
    c
}

fn break_countdown(w: &pymemory_gc::Weak<Countdown>) {
    if let Some(c) = w.upgrade() {
        c.panic_at.set(0);
        let inner = c.me.borrow_mut().take();
        drop((inner, c));
    }
    assert!(w.upgrade().is_none());
}

/// Phase: mark. The object is referenced from outside, so its `trace` runs twice:
/// subtract (call 1) and mark (call 2, panics). Everything not yet proven unreachable
/// is kept; the panic reaches `collect()`; the object is intact.
#[test]
fn panic_in_trace_during_mark() {
    let c = countdown_cycle(2);
    let other = plain_cycle();
    let r = catch_unwind(gc::collect);
    assert!(r.is_err());
    assert_eq!(c.calls.get(), 2);
    assert!(!Gc::is_cleared(&c));
    assert!(Gc::ptr_eq(c.me.borrow().as_ref().unwrap(), &c));
    let w = Gc::downgrade(&c);
    drop(c);
    break_countdown(&w);
    // The other cycle was kept or collected by the interrupted collection, never half
    // cleared; the next collection frees it either way.
    gc::collect();
    assert!(other.upgrade().is_none());
    assert_heap_usable();
}

/// Phase: weak-reference handling. A garbage object with a weak reference whose
/// callback is alive: its `trace` runs in subtract (call 1) and in the pass that finds
/// weak references held only by garbage (call 2, panics). The collection completes
/// (the object is freed, the outside callback runs) and the panic reaches `collect()`.
#[test]
fn panic_in_trace_during_weakref_handling() {
    let c = countdown_cycle(2);
    let ran = Rc::new(Cell::new(false));
    let r2 = ran.clone();
    let wr = Gc::downgrade_with_callback(&c, move || r2.set(true));
    drop(c);
    let r = catch_unwind(gc::collect);
    assert!(r.is_err());
    assert!(wr.upgrade().is_none(), "the collection completed");
    assert!(ran.get(), "the callback of the outside weak reference ran");
    assert_heap_usable();
}

/// Phase: resurrection re-check. A finalizer in the garbage forces the re-check; the
/// exact `trace` panics there (call 2). The collector then treats every candidate as
/// resurrected: nothing is cleared, the finalizer ran once, and a later collection
/// (with the trace fixed) frees the cycle without finalizing it again.
#[test]
fn panic_in_trace_during_resurrection_recheck() {
    #[derive(Trace)]
    struct Fin {
        me: RefCell<Option<Gc<Fin>>>,
        cd: RefCell<Option<Gc<Countdown>>>,
        #[trace(skip)]
        ran: Rc<Cell<u32>>,
    }
    impl Finalize for Fin {
        fn finalize(&self) {
            self.ran.set(self.ran.get() + 1);
        }
    }
    let ran = Rc::new(Cell::new(0));
    let cd = countdown_cycle(2);
    let wcd = Gc::downgrade(&cd);
    let f = Gc::new(Fin {
        me: RefCell::new(None),
        cd: RefCell::new(Some(cd)),
        ran: ran.clone(),
    });
    *f.me.borrow_mut() = Some(f.clone());
    let wf = Gc::downgrade(&f);
    drop(f);
    let r = catch_unwind(gc::collect);
    assert!(r.is_err());
    assert_eq!(ran.get(), 1);
    // Weak references to garbage were cleared before the finalizers (as CPython), so
    // check through the collector's object list that nothing was cleared.
    let objs = gc::get_objects(None);
    let f = objs
        .iter()
        .find_map(|o| o.downcast::<Fin>())
        .expect("resurrected, still tracked");
    drop(objs);
    assert!(!Gc::is_cleared(&f));
    let cd = f.cd.borrow().clone().unwrap();
    assert!(!Gc::is_cleared(&cd));
    cd.panic_at.set(0);
    drop((f, cd));
    assert_eq!(gc::collect(), 2);
    assert_eq!(ran.get(), 1, "finalized at most once");
    assert!(wf.upgrade().is_none() && wcd.upgrade().is_none());
    assert_heap_usable();
}

/// Phase: stop callbacks (after clearing). The collection is complete; the panic
/// reaches `collect()`.
#[test]
fn panic_in_stop_callback() {
    let id = gc::add_callback(|phase, info| {
        if phase == gc::Phase::Stop && info.collected > 0 {
            panic!("stop boom");
        }
    });
    let w = plain_cycle();
    assert!(catch_unwind(gc::collect).is_err());
    assert!(w.upgrade().is_none());
    assert!(gc::get_stats()[2].collected > 0);
    gc::remove_callback(id);
    assert_heap_usable();
}

/// Reference-count death (no collection), deep enough for the trashcan: one `Drop` in
/// the middle of a 300-node chain panics. Every node is still freed (the queued rest on
/// the next release or collection) and the counts stay consistent.
#[test]
fn panic_in_drop_inside_a_deep_chain() {
    #[derive(Trace, Finalize)]
    struct Link {
        next: Option<Gc<Link>>,
        #[trace(skip)]
        boom: bool,
    }
    impl Drop for Link {
        fn drop(&mut self) {
            if self.boom {
                panic!("link boom");
            }
        }
    }
    let before = gc::get_objects(None).len();
    let mut head: Option<Gc<Link>> = None;
    let mut weaks = Vec::new();
    for i in 0..300 {
        let n = Gc::new(Link {
            next: head.take(),
            boom: i == 120,
        });
        weaks.push(Gc::downgrade(&n));
        head = Some(n);
    }
    assert!(catch_unwind(AssertUnwindSafe(move || drop(head))).is_err());
    // A later release or collection drains whatever the trashcan still holds.
    drop(Obj::new("tick"));
    gc::collect();
    assert!(weaks.iter().all(|w| w.upgrade().is_none()));
    assert_eq!(gc::get_objects(None).len(), before);
    assert_heap_usable();
}
