//! The random-graph model check shared by the proptest test (`tests/model.rs`) and the
//! cargo-fuzz target (`fuzz/fuzz_targets/graph.rs`). Enabled by the `testing` feature.
//!
//! [`check_ops`] interprets bytes as operations on a graph of [`Gc`] objects: create
//! (optionally with a resurrecting finalizer), link, unlink, drop or clone an outside
//! handle, weak references (with and without callbacks, outside or inside objects),
//! clear the resurrection stash, and `collect()`. After every `collect()` it checks that
//! exactly the objects unreachable from the outside handles (and the stash, which the
//! finalizers fill) are gone, that everything reachable is intact, that no finalizer ran
//! twice, that `collect()` returned the number of objects it freed, and that weak
//! references and their callbacks behaved as CPython's.
//!
//! Some links go through a [`Wrapper`], whose safe hand-written `Trace` lies: it
//! reports a handle kept in an `Rc` cell it shares with an outside registry (so the
//! handle is not its own), twice, and also the handles of the resurrection stash. Its
//! edges must count as outside references: the registry's handles are roots like the
//! outside handles, and no reachable object is ever cleared.

use std::cell::RefCell;
use std::rc::Rc;

use crate::{Finalize, Gc, Trace, Tracer, Weak};

/// A node of the random graph.
#[derive(Trace)]
pub struct Obj {
    #[trace(skip)]
    id: usize,
    #[trace(skip)]
    resurrect: bool,
    edges: RefCell<Vec<Gc<Obj>>>,
    weaks: RefCell<Vec<Weak<Obj>>>,
    wrapped: RefCell<Vec<Gc<Wrapper>>>,
}

type SharedCell = Rc<RefCell<Option<Gc<Obj>>>>;

/// A link through a hand-written, unverified (and over-reporting) `Trace`.
#[derive(Finalize)]
pub struct Wrapper {
    inner: SharedCell,
}

impl std::fmt::Debug for Wrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wrapper")
    }
}

impl Trace for Wrapper {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if let Ok(inner) = self.inner.try_borrow() {
            inner.trace(tracer);
            inner.trace(tracer);
        }
        STATE.with(|s| {
            if let Ok(s) = s.try_borrow() {
                s.stash.iter().for_each(|g| g.trace(tracer));
            }
        });
    }
}

impl Drop for Wrapper {
    fn drop(&mut self) {
        STATE.with(|s| s.borrow_mut().wrappers_dropped += 1);
    }
}

#[derive(Default)]
struct State {
    dropped: Vec<bool>,
    finalized: Vec<u32>,
    /// Per callback weak reference: the referent id and how often the callback ran.
    fired: Vec<(usize, u32)>,
    stash: Vec<Gc<Obj>>,
    wrappers_dropped: usize,
    /// The outside halves of the wrappers' shared cells (roots, like outside handles).
    shared: Vec<SharedCell>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

impl std::fmt::Debug for Obj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Obj({})", self.id)
    }
}

impl Finalize for Obj {
    fn finalize(&self) {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            s.finalized[self.id] += 1;
            if self.resurrect {
                // Resurrect what this object reaches (and so, through a cycle, maybe itself).
                let edges = self.edges.borrow().clone();
                s.stash.extend(edges);
            }
        });
    }
}

impl Drop for Obj {
    fn drop(&mut self) {
        STATE.with(|s| s.borrow_mut().dropped[self.id] = true);
    }
}

/// Runs the operations encoded by `data` and checks the collector after every
/// `collect()` (and once more at the end). Panics with a description on a mismatch.
pub fn check_ops(data: &[u8]) {
    let old = STATE.with(|s| std::mem::take(&mut *s.borrow_mut()));
    drop(old);
    let was_enabled = crate::is_enabled();
    crate::disable();
    crate::collect();
    let mut roots: Vec<Gc<Obj>> = Vec::new();
    // Per object: a plain weak reference, to find it again by id.
    let mut all: Vec<Weak<Obj>> = Vec::new();
    let mut outside_cb: Vec<(usize, usize, Weak<Obj>)> = Vec::new();
    let handle = |roots: &Vec<Gc<Obj>>, i: u8| -> Option<Gc<Obj>> {
        if roots.is_empty() {
            None
        } else {
            Some(roots[i as usize % roots.len()].clone())
        }
    };
    for chunk in data.chunks(3) {
        let (op, a, b) = (
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        );
        match op % 12 {
            0 | 1 => {
                let id = all.len();
                STATE.with(|s| {
                    let mut s = s.borrow_mut();
                    s.dropped.push(false);
                    s.finalized.push(0);
                });
                let o = Gc::new(Obj {
                    id,
                    resurrect: a % 4 == 0,
                    edges: RefCell::new(Vec::new()),
                    weaks: RefCell::new(Vec::new()),
                    wrapped: RefCell::new(Vec::new()),
                });
                all.push(Gc::downgrade(&o));
                roots.push(o);
            }
            2 | 3 => {
                if let (Some(x), Some(y)) = (handle(&roots, a), handle(&roots, b)) {
                    x.edges.borrow_mut().push(y);
                }
            }
            4 => {
                if let Some(x) = handle(&roots, a) {
                    let mut e = x.edges.borrow_mut();
                    if !e.is_empty() {
                        let i = b as usize % e.len();
                        let removed = e.swap_remove(i);
                        drop(e);
                        drop(removed);
                    }
                }
            }
            5 | 6 => {
                if !roots.is_empty() {
                    let i = a as usize % roots.len();
                    let r = roots.swap_remove(i);
                    drop(r);
                }
            }
            7 => {
                if let Some(x) = handle(&roots, a) {
                    roots.push(x);
                }
            }
            8 => {
                if let Some(x) = handle(&roots, a) {
                    let slot = STATE.with(|s| {
                        let mut s = s.borrow_mut();
                        s.fired.push((x.id, 0));
                        s.fired.len() - 1
                    });
                    let w = Gc::downgrade_with_callback(&x, move || {
                        STATE.with(|s| s.borrow_mut().fired[slot].1 += 1);
                    });
                    if b % 2 == 0 {
                        outside_cb.push((slot, x.id, w));
                    } else if let Some(y) = handle(&roots, b / 2) {
                        // A callback weak reference held by an object (maybe garbage later).
                        y.weaks.borrow_mut().push(w);
                    }
                }
            }
            9 => {
                let stash = STATE.with(|s| std::mem::take(&mut s.borrow_mut().stash));
                drop(stash);
            }
            11 if a % 4 == 1 => {
                if let (Some(x), Some(y)) = (handle(&roots, a / 4), handle(&roots, b)) {
                    let cell: SharedCell = Rc::new(RefCell::new(Some(y)));
                    STATE.with(|s| s.borrow_mut().shared.push(cell.clone()));
                    x.wrapped
                        .borrow_mut()
                        .push(Gc::new(Wrapper { inner: cell }));
                }
            }
            11 if a % 4 == 3 => {
                // The registry lets go of one shared handle.
                let released = STATE.with(|s| {
                    let s = s.borrow();
                    (!s.shared.is_empty()).then(|| s.shared[b as usize % s.shared.len()].take())
                });
                drop(released);
            }
            _ => {
                verify_collect(&roots, &all, &outside_cb);
            }
        }
        check_no_double_finalize();
    }
    verify_collect(&roots, &all, &outside_cb);
    drop(roots);
    let shared = STATE.with(|s| std::mem::take(&mut s.borrow_mut().shared));
    let held: Vec<Option<Gc<Obj>>> = shared.iter().map(|c| c.take()).collect();
    drop(held);
    drop(shared);
    // Each object is finalized (and can resurrect) at most once, and each collection
    // that finds nothing new leaves only the stash, so this ends.
    for _ in 0..=2 * all.len() + 2 {
        let freed = verify_collect(&[], &all, &outside_cb);
        let stash = STATE.with(|s| std::mem::take(&mut s.borrow_mut().stash));
        if stash.is_empty() && freed == 0 {
            break;
        }
        drop(stash);
    }
    let n = all.len();
    STATE.with(|s| {
        let s = s.borrow();
        for id in 0..n {
            assert!(s.dropped[id], "object {id} leaked at the end");
        }
    });
    drop(outside_cb);
    if was_enabled {
        crate::enable();
    }
}

fn check_no_double_finalize() {
    STATE.with(|s| {
        for (id, &n) in s.borrow().finalized.iter().enumerate() {
            assert!(
                n <= 1,
                "object {id} finalized {n} times (PEP 442: at most once)"
            );
        }
    });
}

/// Objects reachable from `roots` and the stash, by following the real edges.
fn reachable(roots: &[Gc<Obj>], n: usize) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut stack: Vec<Gc<Obj>> = roots.to_vec();
    STATE.with(|s| {
        let s = s.borrow();
        stack.extend(s.stash.iter().cloned());
        stack.extend(s.shared.iter().filter_map(|c| c.borrow().clone()));
    });
    while let Some(o) = stack.pop() {
        let Some(v) = Gc::try_get(&o) else {
            panic!("reachable object was cleared by the collector");
        };
        if seen[v.id] {
            continue;
        }
        seen[v.id] = true;
        stack.extend(v.edges.borrow().iter().cloned());
        // A reachable object's wrappers are alive (deref panics if one was cleared).
        for w in v.wrapped.borrow().iter() {
            stack.extend(w.inner.borrow().clone());
        }
    }
    seen
}

/// Collects and checks; returns what `collect()` returned.
fn verify_collect(
    roots: &[Gc<Obj>],
    all: &[Weak<Obj>],
    outside_cb: &[(usize, usize, Weak<Obj>)],
) -> usize {
    let n = all.len();
    let before: Vec<bool> = STATE.with(|s| s.borrow().dropped.clone());
    let wrappers_before = STATE.with(|s| s.borrow().wrappers_dropped);
    let freed = crate::collect();
    check_no_double_finalize();
    let live = reachable(roots, n);
    let after: Vec<bool> = STATE.with(|s| s.borrow().dropped.clone());
    let wrappers_freed = STATE.with(|s| s.borrow().wrappers_dropped) - wrappers_before;
    let newly = (0..n).filter(|&i| after[i] && !before[i]).count();
    assert_eq!(
        freed,
        newly + wrappers_freed,
        "collect() returned {freed} but {newly} objects and {wrappers_freed} wrappers were freed"
    );
    for id in 0..n {
        if live[id] {
            assert!(!after[id], "object {id} is reachable but was dropped");
        } else {
            assert!(
                after[id],
                "object {id} is unreachable but survived collect()"
            );
        }
        let up = all[id].upgrade();
        let finalized = STATE.with(|s| s.borrow().finalized[id]) > 0;
        if after[id] {
            assert!(
                up.is_none(),
                "weak reference to dead object {id} still upgrades"
            );
        } else if finalized {
            // Alive after its finalizer ran: it was garbage once and got resurrected,
            // and CPython clears weak references before running finalizers.
            assert!(
                up.is_none(),
                "weak reference to resurrected object {id} was not cleared"
            );
        } else {
            assert!(
                up.is_some(),
                "weak reference to live object {id} returns None"
            );
        }
        if let Some(o) = up {
            assert_eq!(o.id, id);
        }
    }
    STATE.with(|s| {
        let s = s.borrow();
        for (slot, &(_, count)) in s.fired.iter().enumerate() {
            assert!(count <= 1, "weak callback {slot} ran {count} times");
        }
        for &(slot, id, _) in outside_cb {
            if after[id] {
                assert_eq!(
                    s.fired[slot].1, 1,
                    "object {id} died but its outside weak callback {slot} did not run"
                );
            }
        }
    });
    freed
}
