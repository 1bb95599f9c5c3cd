//! CPython's Lib/test/test_gc.py, re-expressed in Rust. Each test names the Python test
//! it mirrors. Every Rust test runs on its own thread, so each has a fresh heap.

mod common;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use common::{Obj, id};
use pymemory_gc::{self as gc, Finalize, Gc, Phase, Trace};

#[derive(Trace, Finalize, Default)]
struct List(RefCell<Vec<Gc<List>>>);

#[derive(Trace, Finalize, Default)]
struct Dict(RefCell<HashMap<i64, Gc<Dict>>>);

/// A tuple closing a loop through a list, as in test_tuple.
#[derive(Trace, Finalize)]
enum Value {
    List(RefCell<Vec<Gc<Value>>>),
    Tuple(Vec<Gc<Value>>),
}

/// test_gc.GCTests.test_list: `l = []; l.append(l); del l; gc.collect() == 1`
#[test]
fn test_list() {
    let l = Gc::new(List::default());
    l.0.borrow_mut().push(l.clone());
    gc::collect();
    drop(l);
    assert_eq!(gc::collect(), 1);
}

/// test_gc.GCTests.test_dict: `d = {}; d[1] = d; del d; gc.collect() == 1`
#[test]
fn test_dict() {
    let d = Gc::new(Dict::default());
    d.0.borrow_mut().insert(1, d.clone());
    gc::collect();
    drop(d);
    assert_eq!(gc::collect(), 1);
}

/// test_gc.GCTests.test_tuple: `l = []; t = (l,); l.append(t); ... gc.collect() == 2`
#[test]
fn test_tuple() {
    let l = Gc::new(Value::List(RefCell::new(Vec::new())));
    let t = Gc::new(Value::Tuple(vec![l.clone()]));
    if let Value::List(v) = &*l {
        v.borrow_mut().push(t.clone());
    }
    gc::collect();
    drop(t);
    drop(l);
    assert_eq!(gc::collect(), 2);
}

/// test_gc.GCTests.test_instance / test_newinstance: `a = A(); a.a = a; del a`
#[test]
fn test_instance() {
    let a = Obj::new("A");
    a.set("a", &a);
    gc::collect();
    drop(a);
    assert_ne!(gc::collect(), 0);
}

/// test_gc.GCTests.test_saveall: with DEBUG_SAVEALL the cycle lands in gc.garbage.
#[test]
fn test_saveall() {
    gc::collect();
    assert!(gc::garbage().is_empty());
    let l = Gc::new(List::default());
    l.0.borrow_mut().push(l.clone());
    let id_l = std::ptr::from_ref::<List>(&l);
    let debug = gc::get_debug();
    gc::set_debug(debug | gc::DEBUG_SAVEALL);
    drop(l);
    gc::collect();
    gc::set_debug(debug);
    let garbage = gc::take_garbage();
    assert_eq!(garbage.len(), 1);
    let back: Gc<List> = garbage[0].downcast().unwrap();
    assert!(
        std::ptr::eq(std::ptr::from_ref::<List>(&back), id_l),
        "id(obj) == id_L"
    );
    assert_eq!(back.0.borrow().len(), 1, "saved object is intact");
    drop((garbage, back));
    assert_eq!(gc::collect(), 1);
}

/// test_gc.GCTests.test_del / test_del_newclass: a `__del__` that allocates may trigger
/// an automatic collection (threshold 1) while objects die.
#[test]
fn test_del() {
    let thresholds = gc::get_threshold();
    gc::enable();
    gc::set_threshold(1, 10, 10);
    let a = Obj::with_del("A", |this| {
        // dir(self): allocate tracked objects from inside the finalizer.
        let x = Obj::new("dir");
        x.set("self", &x);
        let _ = this.attrs.borrow().len();
    });
    for _ in 0..10 {
        let junk = Obj::new("junk");
        junk.set("me", &junk);
    }
    drop(a);
    gc::disable();
    gc::set_threshold(thresholds.0, thresholds.1, thresholds.2);
    gc::collect();
}

/// test_gc.GCTests.test_get_count
#[test]
fn test_get_count() {
    gc::collect();
    let (a, b, c) = gc::get_count();
    let x = Obj::new("x");
    let (d, e, f) = gc::get_count();
    assert_eq!((b, c), (0, 0));
    assert_eq!((e, f), (0, 0));
    assert!(a < 5);
    assert!(d > a);
    drop(x);
    // Extension of the same rule: a deallocation decrements the count again.
    assert_eq!(gc::get_count().0, a);
}

/// test_gc.GCTests.test_collect_generations
#[test]
fn test_collect_generations() {
    gc::collect();
    let x = Obj::new("x");
    gc::collect_generation(0);
    let (_, b, c) = gc::get_count();
    gc::collect_generation(1);
    let (_, e, f) = gc::get_count();
    gc::collect_generation(2);
    let (_, h, i) = gc::get_count();
    assert_eq!((b, c), (1, 0));
    assert_eq!((e, f), (0, 1));
    assert_eq!((h, i), (0, 0));
    drop(x);
}

/// test_gc.GCTests.test_trashcan (deeply nested containers die without recursion; the
/// 10-million-node versions are in tests/deep.rs).
#[test]
fn test_trashcan() {
    let n = if cfg!(miri) { 200 } else { 100_000 };
    let mut t = Gc::new(List::default());
    for _ in 0..n {
        let u = Gc::new(List::default());
        u.0.borrow_mut().push(t);
        t = u;
    }
    drop(t);
    assert_eq!(gc::get_count().0, 0);
}

/// test_gc.GCTests.test_boom / test_boom_new: user code run during the collection
/// (here a finalizer) deletes the attribute that closes the trash cycle, mutating the
/// garbage graph; the collection must survive it and reclaim both objects.
#[test]
fn test_boom() {
    let boom = |this: &Obj| this.del_attr("attr");
    let a = Obj::with_del("Boom", boom);
    let b = Obj::with_del("Boom", boom);
    a.set("attr", &b);
    b.set("attr", &a);
    gc::collect();
    let garbagelen = gc::garbage().len();
    let (wa, wb) = (Gc::downgrade(&a), Gc::downgrade(&b));
    drop((a, b));
    assert_eq!(gc::collect(), 2);
    assert_eq!(gc::garbage().len(), garbagelen);
    assert!(wa.upgrade().is_none() && wb.upgrade().is_none());
}

/// test_gc.GCTests.test_boom2 / test_boom2_new: only the second call breaks the cycle.
#[test]
fn test_boom2() {
    let calls = Rc::new(Cell::new(0));
    let c2 = calls.clone();
    let boom2 = move |this: &Obj| {
        c2.set(c2.get() + 1);
        if c2.get() > 1 {
            this.del_attr("attr");
        }
    };
    let a = Obj::with_del("Boom2", boom2.clone());
    let b = Obj::with_del("Boom2", boom2);
    a.set("attr", &b);
    b.set("attr", &a);
    gc::collect();
    drop((a, b));
    assert_eq!(gc::collect(), 2);
    assert_eq!(calls.get(), 2);
}

/// test_gc.GCTests.test_get_referents: `gc.get_referents(alist) == alist` (of tracked
/// objects), and untracked objects have none.
#[test]
fn test_get_referents() {
    let items: Vec<Gc<List>> = (0..3).map(|_| Gc::new(List::default())).collect();
    let alist = Gc::new(List(RefCell::new(items.clone())));
    let got = gc::get_referents(&alist);
    assert_eq!(got.len(), 3);
    for (g, want) in got.iter().zip(&items) {
        assert!(g.is_same(want));
    }
    assert!(gc::get_referents(&Gc::new(1u32)).is_empty());
    assert!(gc::get_referents(&Gc::new(String::from("a"))).is_empty());
}

/// test_gc.GCTests.test_get_referrers (exercised by test_bug1055820b etc. in CPython)
#[test]
fn get_referrers_finds_containers() {
    let x = Gc::new(List::default());
    let a = Gc::new(List(RefCell::new(vec![x.clone()])));
    let b = Gc::new(List(RefCell::new(vec![x.clone(), x.clone()])));
    let _c = Gc::new(List::default());
    let r = gc::get_referrers(&x);
    assert_eq!(r.len(), 2);
    assert!(r.iter().any(|g| g.is_same(&a)));
    assert!(r.iter().any(|g| g.is_same(&b)));
}

/// test_gc.GCTests.test_is_tracked: atomic values are not tracked, containers are.
#[test]
fn test_is_tracked() {
    assert!(!gc::is_tracked(&Gc::new(())));
    assert!(!gc::is_tracked(&Gc::new(1i64)));
    assert!(!gc::is_tracked(&Gc::new(1.0f64)));
    assert!(!gc::is_tracked(&Gc::new((1.0f64, 5.0f64))));
    assert!(!gc::is_tracked(&Gc::new(true)));
    assert!(!gc::is_tracked(&Gc::new(vec![b'a'])));
    assert!(!gc::is_tracked(&Gc::new(String::from("a"))));
    assert!(!gc::is_tracked(&Gc::new(RefCell::new(vec![1u8]))));

    #[derive(Trace, Finalize)]
    struct UserClassSlots;
    #[derive(Trace, Finalize)]
    struct UserFloat(f64);
    assert!(!gc::is_tracked(&Gc::new(UserClassSlots)));
    assert!(!gc::is_tracked(&Gc::new(UserFloat(1.0))));

    assert!(gc::is_tracked(&Gc::new(List::default())));
    assert!(gc::is_tracked(&Gc::new(Dict::default())));
    assert!(gc::is_tracked(&Obj::new("UserClass")));
    assert!(gc::is_tracked(&Gc::new(RefCell::new(
        Vec::<Gc<List>>::new()
    ))));
}

/// test_gc.GCTests.test_is_finalized
#[test]
fn test_is_finalized() {
    assert!(!gc::is_finalized(&Gc::new(3i32)));
    let storage: Rc<RefCell<Vec<Gc<Obj>>>> = Rc::default();
    let s2 = storage.clone();
    let lazarus = Obj::with_del("Lazarus", move |this| {
        // storage.append(self): reach self through the self-loop.
        s2.borrow_mut().push(this.get("me").unwrap());
    });
    lazarus.set("me", &lazarus);
    assert!(!gc::is_finalized(&lazarus));
    drop(lazarus);
    gc::collect();
    let lazarus = storage.borrow_mut().pop().unwrap();
    assert!(gc::is_finalized(&lazarus));
    lazarus.del_attr("me");
}

/// test_gc.GCTests.test_bug1055820b: a weakref callback (outside the garbage) sees every
/// weak reference to the garbage already cleared.
#[test]
fn test_bug1055820b() {
    let ouch: Rc<RefCell<Vec<Option<Gc<Obj>>>>> = Rc::default();
    let wrs: Rc<RefCell<Vec<pymemory_gc::Weak<Obj>>>> = Rc::default();
    let cs: Vec<Gc<Obj>> = (0..2)
        .map(|_| {
            let c = Obj::new("C1055820");
            c.set("loop", &c);
            c
        })
        .collect();
    for c in &cs {
        let (o, w) = (ouch.clone(), wrs.clone());
        let wr = Gc::downgrade_with_callback(c, move || {
            let v: Vec<_> = w.borrow().iter().map(|wr| wr.upgrade()).collect();
            *o.borrow_mut() = v;
        });
        wrs.borrow_mut().push(wr);
    }
    gc::collect();
    assert_eq!(ouch.borrow().len(), 0);
    drop(cs);
    gc::collect();
    assert_eq!(ouch.borrow().len(), 2, "the callbacks didn't run");
    for x in ouch.borrow().iter() {
        assert!(x.is_none());
    }
}

/// test_gc.GCTests.test_bug21435: a finalizer that sets an attribute on an object of the
/// garbage cycle must not break the collection.
#[test]
fn test_bug21435() {
    gc::collect();
    {
        let a = Obj::new("A");
        let b = Obj::with_del("B", |this| {
            let n = Obj::new("None");
            this.set("attr", &n);
        });
        b.set("x", &Obj::new("A"));
        a.set("attr", &b);
        b.set("attr", &a);
    }
    gc::collect();
}

/// test_gc.GCTests.test_get_stats
#[test]
fn test_get_stats() {
    let stats = gc::get_stats();
    assert_eq!(stats.len(), 3);
    gc::disable();
    let old = gc::get_stats();
    gc::collect_generation(0);
    let new = gc::get_stats();
    assert_eq!(new[0].collections, old[0].collections + 1);
    assert_eq!(new[1].collections, old[1].collections);
    assert_eq!(new[2].collections, old[2].collections);
    gc::collect_generation(2);
    let new = gc::get_stats();
    assert_eq!(new[0].collections, old[0].collections + 1);
    assert_eq!(new[1].collections, old[1].collections);
    assert_eq!(new[2].collections, old[2].collections + 1);
    for s in new {
        assert_eq!(s.uncollectable, 0);
    }
}

/// test_gc.GCTests.test_freeze
#[test]
fn test_freeze() {
    let keep = Obj::new("x");
    gc::freeze();
    assert!(gc::get_freeze_count() > 0);
    // Frozen objects are ignored by collections, even as garbage.
    keep.set("me", &keep);
    let w = Gc::downgrade(&keep);
    drop(keep);
    gc::collect();
    assert!(w.upgrade().is_some());
    gc::unfreeze();
    assert_eq!(gc::get_freeze_count(), 0);
    assert_eq!(gc::collect(), 1);
    assert!(w.upgrade().is_none());
}

/// test_gc.GCTests.test_get_objects
#[test]
fn test_get_objects() {
    gc::collect();
    let l = Gc::new(List::default());
    l.0.borrow_mut().push(l.clone());
    let in_gen = |g: usize| gc::get_objects(Some(g)).iter().any(|e| e.is_same(&l));
    assert!(in_gen(0) && !in_gen(1) && !in_gen(2));
    gc::collect_generation(0);
    assert!(!in_gen(0) && in_gen(1) && !in_gen(2));
    gc::collect_generation(1);
    assert!(!in_gen(0) && !in_gen(1) && in_gen(2));
    gc::collect_generation(2);
    assert!(!in_gen(0) && !in_gen(1) && in_gen(2));
    l.0.borrow_mut().clear();
    drop(l);
    gc::collect();
}

/// test_gc.GCTests.test_get_objects_arguments
#[test]
fn test_get_objects_arguments() {
    gc::collect();
    let _l = Gc::new(List::default());
    assert_eq!(gc::get_objects(None).len(), 1);
    assert!(std::panic::catch_unwind(|| gc::get_objects(Some(1000))).is_err());
    assert!(std::panic::catch_unwind(|| gc::collect_generation(3)).is_err());
    // The `try_` forms return Python's ValueError instead of panicking.
    let e = gc::try_get_objects(Some(3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ValueError: generation parameter must be less than the number of available generations (3)"
    );
    assert_eq!((e.python_name(), e.generation()), ("ValueError", 3));
    assert_eq!(
        gc::try_get_objects(Some(1000)).unwrap_err().generation(),
        1000
    );
    assert_eq!(gc::try_get_objects(None).unwrap().len(), 1);
    assert_eq!(gc::try_get_objects(Some(0)).unwrap().len(), 1);
    assert_eq!(gc::try_get_objects(Some(2)).unwrap().len(), 0);
    let e = gc::try_collect_generation(3).unwrap_err();
    assert_eq!(e.to_string(), "ValueError: invalid generation");
    assert_eq!(e.message(), "invalid generation");
    assert!(gc::try_collect_generation(usize::MAX).is_err());
    // A failed call does not collect (the stats are unchanged).
    let before = gc::get_stats();
    let _ = gc::try_collect_generation(3);
    assert_eq!(gc::get_stats(), before);
    assert_eq!(gc::try_collect_generation(0), Ok(0));
    assert_eq!(gc::get_stats()[0].collections, before[0].collections + 1);
    // The panicking forms panic with the same text.
    let p = std::panic::catch_unwind(|| gc::collect_generation(3)).unwrap_err();
    assert_eq!(
        p.downcast_ref::<String>().map(String::as_str),
        Some("ValueError: invalid generation")
    );
}

/// test_gc.GCTests.test_resurrection_only_happens_once_per_object
#[test]
fn test_resurrection_only_happens_once_per_object() {
    let resurrected = Rc::new(Cell::new(0));
    let instances: Rc<RefCell<Vec<Gc<Obj>>>> = Rc::default();
    gc::collect();
    gc::disable();
    let (r, i) = (resurrected.clone(), instances.clone());
    let laz = Obj::with_del("Lazarus", move |this| {
        r.set(r.get() + 1);
        i.borrow_mut().push(this.get("me").unwrap());
    });
    laz.set("me", &laz);
    assert_eq!(resurrected.get(), 0);
    drop(laz);
    gc::collect();
    assert_eq!(resurrected.get(), 1);
    assert_eq!(instances.borrow().len(), 1);
    instances.borrow_mut().clear();
    assert_eq!(resurrected.get(), 1);
    gc::collect();
    assert_eq!(resurrected.get(), 1);
    gc::enable();
}

/// test_gc.GCTests.test_resurrection_is_transitive
#[test]
fn test_resurrection_is_transitive() {
    let instances: Rc<RefCell<Vec<Gc<Obj>>>> = Rc::default();
    gc::collect();
    gc::disable();
    let i = instances.clone();
    let laz = Obj::with_del("Lazarus", move |this| {
        i.borrow_mut()
            .push(this.get("cargo").unwrap().get("laz").unwrap());
    });
    let cargo = Obj::new("Cargo");
    cargo.set("me", &cargo);
    let cargo_id = id(&cargo);
    laz.set("cargo", &cargo);
    cargo.set("laz", &laz);
    drop((laz, cargo));
    gc::collect();
    assert_eq!(instances.borrow().len(), 1);
    let instance = instances.borrow_mut().pop().unwrap();
    let c = instance.get("cargo").expect("hasattr(instance, 'cargo')");
    assert_eq!(id(&c), cargo_id);
    assert_eq!(c.get("me").map(|m| id(&m)), Some(cargo_id), "cargo intact");
    drop((c, instance));
    gc::collect();
    gc::enable();
}

/// test_gc.GCTests.test_resurrection_does_not_block_cleanup_of_other_objects
#[test]
fn test_resurrection_does_not_block_cleanup_of_other_objects() {
    const N: usize = 100;
    let zs: Rc<RefCell<Vec<Gc<Obj>>>> = Rc::default();
    let a = || {
        let o = Obj::new("A");
        o.set("me", &o);
    };
    let z = || {
        let zz = zs.clone();
        let o = Obj::with_del("Z", move |this| {
            zz.borrow_mut().push(this.get("me").unwrap())
        });
        o.set("me", &o);
    };
    let getstats = || {
        let d = gc::get_stats()[2];
        (d.collected, d.uncollectable)
    };
    gc::collect();
    gc::disable();

    let (oldc, oldnc) = getstats();
    for _ in 0..N {
        a();
    }
    let t = gc::collect();
    let (c, nc) = getstats();
    assert_eq!(t, N);
    assert_eq!(c - oldc, N);
    assert_eq!(nc - oldnc, 0);

    let (oldc, oldnc) = (c, nc);
    z();
    let t = gc::collect();
    let (c, nc) = getstats();
    assert_eq!(t, 0);
    assert_eq!(c - oldc, 0);
    assert_eq!(nc - oldnc, 0);

    let (oldc, oldnc) = (c, nc);
    for _ in 0..N {
        a();
    }
    z();
    let t = gc::collect();
    let (c, nc) = getstats();
    assert_eq!(t, N);
    assert_eq!(c - oldc, N);
    assert_eq!(nc - oldnc, 0);

    let (oldc, oldnc) = (c, nc);
    zs.borrow_mut().clear();
    let t = gc::collect();
    let (c, nc) = getstats();
    assert_eq!(t, 2);
    assert_eq!(c - oldc, 2);
    assert_eq!(nc - oldnc, 0);
    gc::enable();
}

/// test_gc.GCTests.test_trash_weakref_clear (bpo-38006): a weak reference with a
/// callback that is itself garbage never calls back, even when its referent (outside
/// the garbage) dies while the garbage is cleared.
#[test]
fn test_trash_weakref_clear() {
    let called = Rc::new(Cell::new(false));
    gc::collect();
    gc::disable();
    // Z <- Y <- A --+--> WZ -> C ;  A <-> itself through WZ's holder
    let z = Obj::new("Z");
    let y = Obj::new("Y");
    y.set("z", &z);
    let a = Obj::new("A");
    a.set("y", &y);
    a.set("me", &a);
    let c2 = called.clone();
    let wz = Gc::downgrade_with_callback(&z, move || c2.set(true));
    a.weaks.borrow_mut().push(wz);
    drop((z, y, a));
    gc::collect();
    assert!(!called.get(), "the weakref should be cleared before Z dies");
    gc::enable();
}

/// test_gc.GCCallbackTests.test_collect: both callbacks see start and stop with info.
#[test]
fn test_callbacks_collect() {
    gc::disable();
    let visit: Rc<RefCell<Vec<(u8, Phase, gc::CallbackInfo)>>> = Rc::default();
    let (v1, v2) = (visit.clone(), visit.clone());
    let cb1 = gc::add_callback(move |p, i| v1.borrow_mut().push((1, p, *i)));
    let cb2 = gc::add_callback(move |p, i| v2.borrow_mut().push((2, p, *i)));
    gc::collect();
    {
        let v = visit.borrow();
        assert_eq!(v.iter().filter(|x| x.0 == 1).count(), 2);
        assert_eq!(v.iter().filter(|x| x.0 == 2).count(), 2);
        assert_eq!(v.iter().filter(|x| x.1 == Phase::Start).count(), 2);
        assert_eq!(v.iter().filter(|x| x.1 == Phase::Stop).count(), 2);
        assert_eq!(format!("{:?}", v[0].1), "Start");
        assert_eq!(format!("{:?}", v[3].1), "Stop");
    }
    assert!(gc::remove_callback(cb1));
    assert!(gc::remove_callback(cb2));
    assert!(!gc::remove_callback(cb2));
}

/// test_gc.GCCallbackTests.test_collect_generation
#[test]
fn test_callbacks_collect_generation() {
    let visit: Rc<RefCell<Vec<gc::CallbackInfo>>> = Rc::default();
    let v = visit.clone();
    let cb = gc::add_callback(move |_, i| v.borrow_mut().push(*i));
    gc::collect_generation(2);
    gc::collect_generation(1);
    let v = visit.borrow();
    assert_eq!(v.len(), 4);
    assert!(v[..2].iter().all(|i| i.generation == 2));
    assert!(v[2..].iter().all(|i| i.generation == 1));
    drop(v);
    gc::remove_callback(cb);
}

/// test_gc.GCCallbackTests.test_collect_garbage: the stop info reports what was
/// collected (no uncollectable objects exist since PEP 442).
#[test]
fn test_callbacks_collect_garbage() {
    gc::collect();
    let stops: Rc<RefCell<Vec<gc::CallbackInfo>>> = Rc::default();
    let s = stops.clone();
    let cb = gc::add_callback(move |p, i| {
        if p == Phase::Stop {
            s.borrow_mut().push(*i);
        }
    });
    for _ in 0..2 {
        let a = Obj::new("Uncollectable");
        let b = Obj::new("partner");
        a.set("partner", &b);
        b.set("partner", &a);
    }
    gc::collect();
    assert_eq!(
        *stops.borrow(),
        vec![gc::CallbackInfo {
            generation: 2,
            collected: 4,
            uncollectable: 0
        }]
    );
    gc::remove_callback(cb);
}

/// Automatic collection (CPython 3.13 rules): threshold 0 counts allocations minus
/// deallocations; every threshold-1 young collections trigger a generation-1 one.
#[test]
fn automatic_collection_follows_thresholds() {
    gc::collect();
    gc::enable();
    gc::set_threshold(10, 2, 10);
    let before = gc::get_stats();
    let mut keep = Vec::new();
    for _ in 0..11 {
        keep.push(Obj::new("x"));
    }
    // 11 > 10: one young collection ran.
    assert_eq!(gc::get_stats()[0].collections, before[0].collections + 1);
    assert_eq!(gc::get_count(), (0, 1, 0));
    // Acyclic churn never triggers: allocations minus deallocations stay low.
    for _ in 0..1000 {
        drop(Obj::new("churn"));
    }
    assert_eq!(gc::get_stats()[0].collections, before[0].collections + 1);
    for _ in 0..22 {
        keep.push(Obj::new("x"));
    }
    let s = gc::get_stats();
    assert_eq!(s[0].collections, before[0].collections + 3);
    assert_eq!(s[1].collections, before[1].collections);
    assert_eq!(gc::get_count(), (0, 3, 0));
    // The fourth trigger finds count1 = 3 > 2: a generation-1 collection.
    for _ in 0..11 {
        keep.push(Obj::new("x"));
    }
    let s = gc::get_stats();
    assert_eq!(s[0].collections, before[0].collections + 3);
    assert_eq!(s[1].collections, before[1].collections + 1);
    assert_eq!(gc::get_count(), (0, 0, 1));
    assert_eq!(gc::get_threshold(), (10, 2, 10));
    gc::set_threshold(2000, 10, 10);
}

/// A full collection also needs long-lived pending objects above 25% of the long-lived
/// total (CPython's `long_lived_pending < long_lived_total / 4` rule).
#[test]
fn full_collection_needs_long_lived_pending() {
    gc::disable();
    let old: Vec<_> = (0..1000).map(|_| Obj::new("old")).collect();
    gc::collect(); // long_lived_total = 1000
    gc::enable();
    gc::set_threshold(10, 1, 0);
    let full_before = gc::get_stats()[2].collections;
    let mut keep = Vec::new();
    for _ in 0..200 {
        keep.push(Obj::new("young"));
    }
    // Young survivors reached gen 2 only via gen-1 collections: pending < 250.
    assert_eq!(gc::get_stats()[2].collections, full_before);
    for _ in 0..100 {
        keep.push(Obj::new("young"));
    }
    assert!(
        gc::get_stats()[2].collections > full_before,
        "pending passed 25% of 1000"
    );
    gc::set_threshold(2000, 10, 10);
    drop(old);
}

/// gc.collect() from inside a finalizer during a collection returns 0 (CPython:
/// "already collecting, don't do anything").
#[test]
fn collect_is_not_reentrant() {
    let inner = Rc::new(Cell::new(usize::MAX));
    let i2 = inner.clone();
    let o = Obj::with_del("reenter", move |_| i2.set(gc::collect()));
    o.set("me", &o);
    drop(o);
    assert_eq!(gc::collect(), 1);
    assert_eq!(inner.get(), 0);
}

/// gc.enable / disable / isenabled and get_debug / set_debug round trips.
#[test]
fn enable_disable_debug() {
    assert!(gc::is_enabled());
    gc::disable();
    assert!(!gc::is_enabled());
    gc::enable();
    assert!(gc::is_enabled());
    assert_eq!(gc::get_debug(), 0);
    gc::set_debug(gc::DEBUG_LEAK);
    assert_eq!(
        gc::get_debug(),
        gc::DEBUG_COLLECTABLE | gc::DEBUG_UNCOLLECTABLE | gc::DEBUG_SAVEALL
    );
    gc::set_debug(gc::DEBUG_STATS);
    let l = Gc::new(List::default());
    l.0.borrow_mut().push(l.clone());
    drop(l);
    assert_eq!(gc::collect(), 1);
    gc::set_debug(0);
    assert_eq!(gc::get_threshold(), (2000, 10, 10));
}
