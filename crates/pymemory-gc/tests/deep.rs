//! No recursion proportional to the heap's depth (CPython's trashcan): dropping a
//! 10-million-node list and collecting a 10-million-node ring run on a normal 2 MiB
//! thread stack. (Smaller sizes under Miri.)

use std::cell::RefCell;

use pymemory_gc::{self as gc, Finalize, Gc, Trace};

#[derive(Trace, Finalize)]
struct Node {
    next: RefCell<Option<Gc<Node>>>,
}

const N: usize = if cfg!(miri) { 300 } else { 10_000_000 };

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// test_gc.GCTests.test_trashcan: dropping a long chain by reference counting.
#[test]
fn drop_10m_node_list() {
    on_small_stack(|| {
        gc::disable();
        let mut head = Gc::new(Node {
            next: RefCell::new(None),
        });
        for _ in 1..N {
            head = Gc::new(Node {
                next: RefCell::new(Some(head)),
            });
        }
        let w = Gc::downgrade(&head);
        drop(head);
        assert!(w.upgrade().is_none());
        assert_eq!(gc::get_count().0, 0);
        assert!(gc::get_objects(None).is_empty());
    });
}

/// Collecting a ring of 10 million nodes: the mark phase uses an explicit stack and
/// clearing drops each value separately.
#[test]
fn collect_10m_node_ring() {
    on_small_stack(|| {
        gc::disable();
        let first = Gc::new(Node {
            next: RefCell::new(None),
        });
        let mut head = first.clone();
        for _ in 1..N {
            head = Gc::new(Node {
                next: RefCell::new(Some(head)),
            });
        }
        *first.next.borrow_mut() = Some(head);
        let w = Gc::downgrade(&first);
        // Reachable while the handle exists: a full collection keeps it all.
        assert_eq!(gc::collect(), 0);
        drop(first);
        assert_eq!(gc::collect(), N);
        assert!(w.upgrade().is_none());
        assert!(gc::get_objects(None).is_empty());
    });
}

/// A deep chain hanging off a garbage cycle dies through the trashcan too.
#[test]
fn deep_chain_behind_a_cycle() {
    on_small_stack(|| {
        gc::disable();
        let n = N / 10;
        let mut head = Gc::new(Node {
            next: RefCell::new(None),
        });
        for _ in 1..n {
            head = Gc::new(Node {
                next: RefCell::new(Some(head)),
            });
        }
        let cyc = Gc::new(Node {
            next: RefCell::new(Some(head)),
        });
        let holder = Gc::new(Node {
            next: RefCell::new(Some(cyc.clone())),
        });
        *cyc.next.borrow_mut() = Some(holder);
        drop(cyc);
        // Only the 2-node cycle is unreachable; the chain dies by reference counting
        // as the cycle is cleared.
        assert_eq!(gc::collect(), 2);
        assert!(gc::get_objects(None).is_empty());
    });
}
