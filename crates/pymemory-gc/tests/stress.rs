//! Stress at scale (issue 6): 10-million-object heaps (collection, freeze, weak
//! references, automatic collection), a 10-million-deep chain dropped and a
//! 10-million-node ring collected on a thread with a normal 8 MiB stack.
//!
//! Ignored by default; `scripts/stress.sh` runs them in release mode:
//! `cargo test --release -p pymemory-gc --test stress -- --ignored --test-threads 1`
//! (each takes a few seconds and under 1.5 GB).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

use pymemory_gc::{self as gc, Finalize, Gc, Trace, Weak};

const N: usize = 10_000_000;

#[derive(Trace, Finalize)]
struct Node {
    #[trace(skip)]
    v: usize,
    next: RefCell<Option<Gc<Node>>>,
}

fn node(v: usize, next: Option<Gc<Node>>) -> Gc<Node> {
    Gc::new(Node {
        v,
        next: RefCell::new(next),
    })
}

/// Runs `f` on a thread with the usual 8 MiB main-thread stack, with automatic
/// collection off unless `f` turns it on.
fn on_8mib_stack(name: &str, f: impl FnOnce() + Send + 'static) {
    let t = Instant::now();
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(8 << 20)
        .spawn(move || {
            gc::disable();
            f();
        })
        .unwrap()
        .join()
        .unwrap();
    eprintln!("{name}: {:.2?}", t.elapsed());
}

/// 10M objects: 5M in two-node garbage cycles interleaved with 5M reachable ones (in
/// reachable pairs). A full collection frees exactly the garbage and leaves every
/// reachable object intact.
#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_collect_10m_object_heap() {
    on_8mib_stack("stress_collect_10m_object_heap", || {
        let mut roots = Vec::with_capacity(N / 4);
        for i in 0..N / 4 {
            let a = node(i, None);
            let b = node(i, Some(a.clone()));
            *a.next.borrow_mut() = Some(b);
            let c = node(i, None);
            let d = node(i, Some(c.clone()));
            *c.next.borrow_mut() = Some(d);
            roots.push(c);
            drop(a);
        }
        assert_eq!(gc::get_objects(None).len(), N);
        assert_eq!(gc::collect(), N / 2);
        assert_eq!(gc::get_objects(None).len(), N / 2);
        for (i, c) in roots.iter().enumerate() {
            let d = c.next.borrow().clone().unwrap();
            assert_eq!((c.v, d.v), (i, i));
            assert!(Gc::ptr_eq(d.next.borrow().as_ref().unwrap(), c));
        }
        assert_eq!(gc::collect(), 0);
        drop(roots);
        assert_eq!(gc::collect(), N / 2);
        assert!(gc::get_objects(None).is_empty());
    });
}

/// 10M live objects frozen: collections skip them (a young and a full collection only
/// see the new garbage), `get_freeze_count` counts them, and after `unfreeze` a full
/// collection frees the frozen garbage.
#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_freeze_10m_objects() {
    on_8mib_stack("stress_freeze_10m_objects", || {
        for i in 0..N / 2 {
            let a = node(i, None);
            let b = node(i, Some(a.clone()));
            *a.next.borrow_mut() = Some(b);
        }
        gc::freeze();
        assert_eq!(gc::get_freeze_count(), N);
        assert_eq!(gc::get_count(), (0, 0, 0));
        let t = Instant::now();
        let x = node(0, None);
        *x.next.borrow_mut() = Some(x.clone());
        drop(x);
        assert_eq!(gc::collect_generation(0), 1);
        eprintln!("young collection beside 10M frozen: {:.2?}", t.elapsed());
        assert_eq!(gc::collect(), 0, "frozen garbage is not collected");
        assert_eq!(gc::get_freeze_count(), N);
        gc::unfreeze();
        assert_eq!(gc::get_freeze_count(), 0);
        assert_eq!(gc::collect(), N);
        assert!(gc::get_objects(None).is_empty());
    });
}

/// 10M objects, each with a weak reference, 1M of them also with a callback: half
/// the objects are garbage. After the collection exactly the garbage's weak references
/// are dead and exactly its callbacks ran; dropping the rest runs the others.
#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_weak_refs_10m_objects() {
    on_8mib_stack("stress_weak_refs_10m_objects", || {
        let ran = Rc::new(Cell::new(0usize));
        let mut weaks: Vec<Weak<Node>> = Vec::with_capacity(N);
        let mut with_callbacks = Vec::with_capacity(N / 10);
        let mut roots = Vec::with_capacity(N / 4);
        for i in 0..N / 2 {
            let a = node(i, None);
            let b = node(i, Some(a.clone()));
            *a.next.borrow_mut() = Some(b.clone());
            weaks.push(Gc::downgrade(&a));
            weaks.push(Gc::downgrade(&b));
            if i % 5 == 0 {
                let r = ran.clone();
                with_callbacks.push(Gc::downgrade_with_callback(&a, move || {
                    r.set(r.get() + 1);
                }));
            }
            if i % 2 == 0 {
                roots.push(a);
            }
        }
        assert_eq!(gc::collect(), N / 2);
        assert_eq!(ran.get(), N / 20, "callbacks of the garbage ran once each");
        for (k, w) in weaks.iter().enumerate() {
            let pair = k / 2;
            assert_eq!(w.upgrade().is_some(), pair % 2 == 0, "weak ref {k}");
        }
        drop(roots);
        assert_eq!(gc::collect(), N / 2);
        assert_eq!(ran.get(), N / 10);
        assert!(weaks.iter().all(|w| w.upgrade().is_none()));
        assert!(gc::get_objects(None).is_empty());
    });
}

/// Automatic collection on (default thresholds) while 10M objects are created, half of
/// them garbage cycles: the generations keep the garbage bounded and every reachable
/// object survives.
#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_automatic_collection_10m_objects() {
    on_8mib_stack("stress_automatic_collection_10m_objects", || {
        gc::enable();
        let mut roots = Vec::with_capacity(N / 4);
        for i in 0..N / 4 {
            let a = node(i, None);
            let b = node(i, Some(a.clone()));
            *a.next.borrow_mut() = Some(b);
            let c = node(i, None);
            let d = node(i, Some(c.clone()));
            *c.next.borrow_mut() = Some(d);
            roots.push(c);
        }
        let stats = gc::get_stats();
        let found: usize = stats.iter().map(|s| s.collected).sum();
        assert!(stats[0].collections > 1000, "{stats:?}");
        assert!(
            found > N / 2 - 4000,
            "most garbage already found: {stats:?}"
        );
        gc::collect();
        assert_eq!(gc::get_objects(None).len(), N / 2);
        assert!(roots.iter().enumerate().all(|(i, c)| c.v == i));
        gc::disable();
        drop(roots);
        assert_eq!(gc::collect(), N / 2);
    });
}

/// test_gc.GCTests.test_trashcan at 10M: dropping a 10-million-deep chain by
/// reference counting does not recurse with its depth.
#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_drop_10m_deep_chain() {
    on_8mib_stack("stress_drop_10m_deep_chain", || {
        let tail = node(0, None);
        let wt = Gc::downgrade(&tail);
        let mut head = tail;
        for i in 1..N {
            head = node(i, Some(head));
        }
        assert_eq!(head.v, N - 1);
        drop(head);
        assert!(wt.upgrade().is_none());
        assert_eq!(gc::get_count().0, 0);
        assert!(gc::get_objects(None).is_empty());
    });
}

/// A 10-million-node ring: kept while referenced, then collected (explicit mark stack,
/// values cleared one by one).
#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_collect_10m_ring() {
    on_8mib_stack("stress_collect_10m_ring", || {
        let first = node(0, None);
        let mut head = first.clone();
        for i in 1..N {
            head = node(i, Some(head));
        }
        *first.next.borrow_mut() = Some(head);
        let w = Gc::downgrade(&first);
        assert_eq!(gc::collect(), 0);
        assert_eq!(gc::get_objects(Some(2)).len(), N);
        drop(first);
        assert_eq!(gc::collect(), N);
        assert!(w.upgrade().is_none());
        assert!(gc::get_objects(None).is_empty());
    });
}
