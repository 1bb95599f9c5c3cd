//! Per-thread heaps, `!Send`/`!Sync` (see tests/compile_fail.rs), and objects alive at
//! thread exit.

use std::cell::RefCell;

use pymemory_gc::{self as gc, Finalize, Gc, Trace};

#[derive(Trace, Finalize, Default)]
struct Node {
    next: RefCell<Option<Gc<Node>>>,
}

thread_local! {
    static KEPT: RefCell<Option<Gc<Node>>> = const { RefCell::new(None) };
}

/// Objects alive at thread exit (cycles, and handles in other thread-locals destroyed
/// after the heap's) do not crash the thread's exit.
///
/// These objects are leaked on purpose: under Miri run it with `-Zmiri-ignore-leaks`.
#[test]
#[cfg_attr(
    miri,
    ignore = "leaks on purpose; run separately with -Zmiri-ignore-leaks"
)]
fn objects_alive_at_thread_exit() {
    for _ in 0..4 {
        std::thread::spawn(|| {
            let a = Gc::new(Node::default());
            *a.next.borrow_mut() = Some(a.clone());
            let b = Gc::new(Node::default());
            KEPT.with(|k| *k.borrow_mut() = Some(b.clone()));
            *b.next.borrow_mut() = Some(Gc::new(Node::default()));
            drop(a);
            std::mem::forget(b.clone());
        })
        .join()
        .unwrap();
    }
}

/// A thread whose objects all died frees its heap at exit; a thread-local destroyed
/// after that still works (a fresh heap is made).
#[test]
fn heap_freed_at_thread_exit_and_recreated() {
    thread_local! {
        static LATE: RefCell<Option<Gc<Node>>> = const { RefCell::new(None) };
    }
    std::thread::spawn(|| {
        let a = Gc::new(Node::default());
        *a.next.borrow_mut() = Some(a.clone());
        drop(a);
        assert_eq!(gc::collect(), 1);
        let _w = Gc::downgrade_with_callback(&Gc::new(1u8), || {});
        gc::add_callback(|_, _| {});
        // Dropped during thread-local destruction, possibly after the heap's guard.
        LATE.with(|l| *l.borrow_mut() = Some(Gc::new(Node::default())));
    })
    .join()
    .unwrap();
}

/// Each thread has its own heap, generations and settings.
#[test]
fn heaps_are_per_thread() {
    gc::set_threshold(7, 8, 9);
    let a = Gc::new(Node::default());
    *a.next.borrow_mut() = Some(a.clone());
    drop(a);
    std::thread::spawn(|| {
        assert_eq!(gc::get_threshold(), (2000, 10, 10));
        assert!(gc::get_objects(None).is_empty());
        assert_eq!(gc::collect(), 0);
    })
    .join()
    .unwrap();
    assert_eq!(gc::collect(), 1);
}
