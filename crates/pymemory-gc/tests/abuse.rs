//! User code that misbehaves during a collection (hashbrown's `hasher_unwind.rs` idea):
//! panics in `finalize`, `Drop`, `Trace`, weak callbacks and collection callbacks
//! propagate to the caller of `collect()` and leave the heap consistent and usable;
//! wrong `Trace` impls leak or panic; a `Drop` touching a cleared object panics.

mod common;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use common::Obj;
use pymemory_gc::{self as gc, Finalize, Gc, Trace, Tracer};

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
    let mut s = seen.borrow().clone();
    s.sort();
    assert_eq!(s, vec!["cleared", "intact"]);
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

/// A `Trace` that reports an edge twice: detected (more edges than handles), the
/// collection is abandoned with a panic and nothing is cleared.
#[test]
fn extra_edges_are_detected() {
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
