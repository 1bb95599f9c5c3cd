//! The second part of `pymemory demo`: a reference cycle that reference counting alone
//! cannot free, reclaimed by the cycle collector.
//!
//! The Python it mirrors:
//!
//! ```python
//! import gc, weakref
//! class Node: ...
//! a, b = Node('a'), Node('b')
//! a.other, b.other = b, a
//! alive = weakref.ref(a, lambda _: print('weakref callback: node a is gone'))
//! del a, b
//! print('Cycle still alive after del: ', alive() is not None)
//! print('Unreachable objects found by gc.collect(): ', gc.collect())
//! print('Cycle still alive after collect: ', alive() is not None)
//! ```

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use pymemory::gc::{self, Finalize, Gc, Trace};

/// A node that may point at another node: enough to make a cycle.
#[derive(Trace, Finalize)]
struct Node {
    #[trace(skip)]
    name: &'static str,
    other: RefCell<Option<Gc<Node>>>,
}

/// Runs the cycle demo and returns what it prints.
pub(crate) fn run() -> String {
    let mut out = String::new();
    let log = Rc::new(RefCell::new(Vec::<String>::new()));

    let a = Gc::new(Node {
        name: "a",
        other: RefCell::new(None),
    });
    let b = Gc::new(Node {
        name: "b",
        other: RefCell::new(None),
    });
    *a.other.borrow_mut() = Some(b.clone());
    *b.other.borrow_mut() = Some(a.clone());
    let name = a.name;
    let callback_log = Rc::clone(&log);
    let alive = Gc::downgrade_with_callback(&a, move || {
        callback_log
            .borrow_mut()
            .push(format!("weakref callback: node {name} is gone"));
    });
    drop((a, b));

    let _ = writeln!(
        out,
        "Cycle still alive after del:  {}",
        py_bool(alive.upgrade().is_some())
    );
    let found = gc::collect();
    for line in log.borrow().iter() {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "Unreachable objects found by gc.collect():  {found}");
    let _ = writeln!(
        out,
        "Cycle still alive after collect:  {}",
        py_bool(alive.upgrade().is_some())
    );
    out
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}
