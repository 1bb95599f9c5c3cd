//! The weakref-callback parts of CPython's Lib/test/test_weakref.py, re-expressed in
//! Rust; each test names the Python test it mirrors. One differential test runs
//! `python3` for the callback order.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use common::Obj;
use pymemory_gc::{self as gc, Gc, Weak};

type Callback = Box<dyn FnOnce()>;

fn counter() -> (Rc<Cell<u32>>, impl Fn() -> Callback) {
    let c = Rc::new(Cell::new(0));
    let c2 = c.clone();
    (c, move || {
        let c3 = c2.clone();
        Box::new(move || c3.set(c3.get() + 1))
    })
}

/// test_weakref.ReferencesTestCase.test_basic_callback (check_basic_callback)
#[test]
fn test_basic_callback() {
    let (called, make) = counter();
    let o = Obj::new("C");
    let r = Gc::downgrade_with_callback(&o, make());
    assert!(r.upgrade().is_some());
    drop(o);
    assert!(
        r.upgrade().is_none(),
        "expected reference to be invalidated"
    );
    assert_eq!(
        called.get(),
        1,
        "callback not called the right number of times"
    );
    // Untracked referents work the same way.
    let i = Gc::new(5i64);
    let r = Gc::downgrade_with_callback(&i, make());
    drop(i);
    assert!(r.upgrade().is_none());
    assert_eq!(called.get(), 2);
}

/// test_weakref.ReferencesTestCase.test_multiple_callbacks
#[test]
fn test_multiple_callbacks() {
    let (called, make) = counter();
    let o = Obj::new("C");
    let ref1 = Gc::downgrade_with_callback(&o, make());
    let ref2 = Gc::downgrade_with_callback(&o, make());
    drop(o);
    assert!(ref1.upgrade().is_none());
    assert!(ref2.upgrade().is_none());
    assert_eq!(called.get(), 2);
}

/// test_weakref.ReferencesTestCase.test_multiple_selfref_callbacks: all references are
/// invalidated before any callback runs.
#[test]
fn test_multiple_selfref_callbacks() {
    let c = Obj::new("C");
    let first: Rc<RefCell<Option<Weak<Obj>>>> = Rc::default();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (f, s) = (first.clone(), seen.clone());
    let r0 = Gc::downgrade_with_callback(&c, move || {
        let alive = f.borrow().as_ref().and_then(Weak::upgrade).is_some();
        s.borrow_mut().push(alive);
    });
    *first.borrow_mut() = Some(r0.clone());
    let (f, s) = (first.clone(), seen.clone());
    let _ref1 = Gc::downgrade_with_callback(&c, move || {
        let alive = f.borrow().as_ref().and_then(Weak::upgrade).is_some();
        s.borrow_mut().push(alive);
    });
    drop(c);
    assert_eq!(*seen.borrow(), vec![false, false]);
    drop(r0);
}

/// A weakref that died before its referent never calls back (a dead weakref object has
/// no callback to call).
#[test]
fn dead_weakref_does_not_call_back() {
    let (called, make) = counter();
    let o = Obj::new("C");
    let r = Gc::downgrade_with_callback(&o, make());
    let r2 = r.clone();
    drop(r);
    drop(o);
    assert_eq!(called.get(), 1, "a clone keeps the weakref object alive");
    let o = Obj::new("C");
    let r = Gc::downgrade_with_callback(&o, make());
    drop(r);
    drop(o);
    assert_eq!(called.get(), 1);
    drop(r2);
}

/// test_weakref.ReferencesTestCase.test_sf_bug_840829: a callback that runs the
/// collector while its referent is being deallocated must not free anything twice.
#[test]
fn test_sf_bug_840829() {
    let c = Obj::new("C");
    let wr = Gc::downgrade_with_callback(&c, || {
        gc::collect();
    });
    drop(c);
    drop(wr);
    let c1 = Obj::new("C");
    let i = Obj::new("C");
    c1.set("i", &i);
    let wr = Gc::downgrade_with_callback(&i, || {
        gc::collect();
    });
    drop(i);
    let c2 = Obj::new("C");
    c2.set("c1", &c1);
    drop(c1);
    drop(c2);
    assert!(wr.upgrade().is_none());
}

/// test_weakref.ReferencesTestCase.test_callback_in_cycle: `I` holds a strong and a weak
/// (with callback) reference to `J`; all trash. The weakref is trash too, so its
/// callback is not called, and nothing crashes.
#[test]
fn test_callback_in_cycle() {
    let called = Rc::new(Cell::new(false));
    let j = Obj::new("J");
    j.set("mro", &j);
    let i = Obj::new("II");
    i.set("mro", &i);
    i.set("J", &j);
    let wi = Gc::downgrade(&i);
    let c = called.clone();
    let wr = Gc::downgrade_with_callback(&j, move || {
        c.set(true);
        // self.J: the instance is unreachable by now.
        assert!(wi.upgrade().is_none());
    });
    i.weaks.borrow_mut().push(wr);
    drop((i, j));
    gc::collect();
    assert!(!called.get());
}

/// test_weakref.ReferencesTestCase.test_callback_reachable_one_way and
/// test_callback_different_classes.
#[test]
fn test_callback_reachable_one_way() {
    let c1 = Obj::new("C");
    let c2 = Obj::new("D");
    c2.set("me", &c2);
    c2.set("c1", &c1);
    let w2 = Gc::downgrade(&c2);
    let wr = Gc::downgrade_with_callback(&c1, move || {
        let _ = w2.upgrade().map(|c2| (c2.get("me"), c2.get("c1")));
    });
    c2.weaks.borrow_mut().push(wr);
    drop((c1, c2));
    assert_eq!(gc::collect(), 2);
}

/// test_weakref.ReferencesTestCase.test_callback_in_cycle_resurrection: weakrefs with
/// callbacks inside the garbage are cleared without calling back; a weakref outside
/// (bound to a local) calls back.
#[test]
fn test_callback_in_cycle_resurrection() {
    let alist: Rc<RefCell<Vec<String>>> = Rc::default();
    let class_c = Obj::new("C"); // the class object, kept alive by its instances
    let c1 = Obj::new("c1");
    let c2 = Obj::new("c2");
    c1.set("class", &class_c);
    c2.set("class", &class_c);
    class_c.set("mro", &class_c);
    c1.set("c", &c2);
    c2.set("c", &c1);
    for (holder, target) in [(&c1, &c2), (&c2, &c1)] {
        let a = alist.clone();
        let h = Gc::downgrade(holder);
        let wr = Gc::downgrade_with_callback(target, move || {
            // alist.append(self.c): would resurrect.
            if let Some(h) = h.upgrade() {
                let _ = h.get("c");
            }
            a.borrow_mut().push("acallback".into());
        });
        holder.weaks.borrow_mut().push(wr);
    }
    let a = alist.clone();
    let wr =
        Gc::downgrade_with_callback(&class_c, move || a.borrow_mut().push("C went away".into()));
    drop((c1, c2, class_c));
    assert!(
        alist.borrow().is_empty(),
        "del isn't enough to reclaim anything"
    );
    gc::collect();
    assert_eq!(*alist.borrow(), vec!["C went away".to_string()]);
    assert!(wr.upgrade().is_none());
    alist.borrow_mut().clear();
    gc::collect();
    assert!(alist.borrow().is_empty());
}

/// test_weakref.ReferencesTestCase.test_callbacks_on_callback: weakrefs to the garbage
/// held outside call back; the callback sees the referent gone.
#[test]
fn test_callbacks_on_callback() {
    let alist: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let c = Obj::new("C");
    c.set("me", &c);
    let a = alist.clone();
    let safe = Gc::downgrade_with_callback(&c, move || a.borrow_mut().push("safe_callback called"));
    let wc = Gc::downgrade(&c);
    let a = alist.clone();
    let _external = Gc::downgrade_with_callback(&c, move || {
        assert!(wc.upgrade().is_none());
        a.borrow_mut().push("cb called");
    });
    drop(c);
    gc::collect();
    let mut got = alist.borrow().clone();
    got.sort_unstable();
    assert_eq!(got, vec!["cb called", "safe_callback called"]);
    drop(safe);
}

/// test_weakref.ReferencesTestCase.test_callback_gcs: a callback that collects while an
/// object with a finalizer dies by reference count.
#[test]
fn test_callback_gcs() {
    let x = Obj::with_del("ObjectWithDel", |_| {});
    let _ref1 = Gc::downgrade_with_callback(&x, || {
        gc::collect();
    });
    drop(x);
    gc::collect();
}

/// Differential: the order in which callbacks run (newest weakref first) for a
/// reference-count death and a garbage cycle, against `python3`.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn python3")]
fn callback_order_matches_cpython() {
    let script = "import weakref, gc\n\
class C: pass\n\
o = C(); out = []\n\
rs = [weakref.ref(o, lambda r, i=i: out.append(i)) for i in range(1, 4)]\n\
del o; print(out)\n\
o = C(); o.me = o; out.clear()\n\
rs = [weakref.ref(o, lambda r, i=i: out.append(i)) for i in range(1, 4)]\n\
del o; gc.collect(); print(out)\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 is required for the differential tests (not found on PATH)");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = String::from_utf8(out.stdout).unwrap();

    let mut got = String::new();
    for cyclic in [false, true] {
        let order: Rc<RefCell<Vec<u32>>> = Rc::default();
        let o = Obj::new("C");
        if cyclic {
            o.set("me", &o);
        }
        let rs: Vec<_> = (1..=3)
            .map(|i| {
                let ord = order.clone();
                Gc::downgrade_with_callback(&o, move || ord.borrow_mut().push(i))
            })
            .collect();
        drop(o);
        gc::collect();
        got += &format!("{:?}\n", order.borrow());
        drop(rs);
    }
    assert_eq!(got, want, "callback order differs from CPython");
}

/// Weak counts and `Weak::upgrade` on live objects.
#[test]
fn weak_counts() {
    let o = Obj::new("o");
    assert_eq!(Gc::weak_count(&o), 0);
    let w = Gc::downgrade(&o);
    let w2 = w.clone();
    assert_eq!(Gc::weak_count(&o), 2);
    assert_eq!(Gc::strong_count(&o), 1);
    let u = w.upgrade().unwrap();
    assert!(Gc::ptr_eq(&u, &o));
    assert_eq!(Gc::strong_count(&o), 2);
    drop((u, o));
    assert!(w2.upgrade().is_none());
    assert_eq!(w.strong_count(), 0);
}
