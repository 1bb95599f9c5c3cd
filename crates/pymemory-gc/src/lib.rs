//! Reference counting with CPython's generational cycle collector, weak references with
//! callbacks, PEP 442 finalizers and the `gc` module, for single-threaded Rust runtimes.
//!
//! ```
//! use std::cell::RefCell;
//! use pymemory_gc::{self as gc, Finalize, Gc, Trace};
//!
//! #[derive(Trace, Finalize, Default)]
//! struct Node {
//!     name: String,
//!     next: RefCell<Option<Gc<Node>>>,
//! }
//!
//! // Acyclic: freed as soon as the last handle goes, like CPython.
//! let a = Gc::new(Node::default());
//! let w = Gc::downgrade(&a);
//! drop(a);
//! assert!(w.upgrade().is_none());
//!
//! // A cycle: a <-> b. Dropping the handles leaves it for the collector.
//! let a = Gc::new(Node { name: "a".into(), ..Node::default() });
//! let b = Gc::new(Node { name: "b".into(), next: RefCell::new(Some(a.clone())) });
//! *a.next.borrow_mut() = Some(b.clone());
//! assert!(gc::is_tracked(&a));
//! let w = Gc::downgrade(&a);
//! drop((a, b));
//! assert!(w.upgrade().is_some()); // still alive: the cycle holds it
//! assert_eq!(gc::collect(), 2);   // two unreachable objects found and freed
//! assert!(w.upgrade().is_none());
//!
//! // Types that cannot reach a `Gc` are not tracked (like ints and strings).
//! assert!(!gc::is_tracked(&Gc::new(String::from("untracked"))));
//! ```
//!
//! # Model
//!
//! * [`Gc<T>`] is a strong handle (Python's object reference); the last drop frees at
//!   once. [`Weak<T>`] is `weakref.ref`, optionally with a callback.
//! * [`Trace`] reports the `Gc` edges of a value (`tp_traverse`); its associated
//!   constant [`Trace::MAY_CONTAIN_GC`] decides at compile time whether a type is
//!   tracked, and [`Trace::EXACTNESS`] whether its edges can make objects garbage
//!   (see "Safety model").
//!   [`Finalize`] is `__del__` (PEP 442: at most once, may resurrect).
//! * Each thread has its own heap (CPython has one per interpreter behind the GIL), with
//!   three generations as intrusive lists and CPython 3.13's automatic collection rules
//!   (thresholds `(2000, 10, 10)`, the 25 % long-lived rule for full collections).
//! * The `gc` module is the set of free functions at this crate's root: [`collect`],
//!   [`get_stats`], [`freeze`], [`get_referrers`], [`add_callback`], [`DEBUG_SAVEALL`] ...
//!
//! # Memory layout
//!
//! On 64-bit targets a tracked object carries exactly **32 bytes** of header (two list
//! links, a vtable pointer, 32-bit strong and weak counts with flags; CPython also uses
//! 32: a 16-byte GC head and a 16-byte object head), an untracked object **8 bytes**
//! (the counts); more only when `T` is aligned above 8. A `Gc<T>` is one pointer, a
//! `Weak<T>` two. Counts above `u32::MAX` strong (or 2^27 weak) handles abort, like
//! `Rc` on overflow.
//!
//! Tracked objects of up to 256 bytes (header included, alignment at most 8) are
//! allocated from per-thread 16 KiB pools, like CPython's pymalloc: no allocator header
//! per object (a 24-byte value takes 56 bytes in all), no lock, and a pool goes back to
//! the global allocator once its last object is freed (a few empty pools are kept for
//! reuse: at most 256 KiB per thread, plus one partly used pool per size). A collection
//! uses one working buffer of 8 bytes per examined object, kept for the next
//! collection (a full collection gives it back when it is more than four times too
//! large).
//!
//! # Safety model
//!
//! No use of the safe API, including a wrong hand-written [`Trace`] impl (missing
//! edges, extra edges, edges it does not own), can cause undefined behaviour; the worst
//! outcomes are a leak or a panic.
//!
//! * **Exactness.** A collection only subtracts (treats as internal, the step that can
//!   make an object garbage) edges reported by types whose [`Trace::EXACTNESS`] vouches
//!   that each reported handle is stored inside the value and reported once:
//!   `#[derive(Trace)]` types whose traced fields are all exact, the std impls, and
//!   hand-written impls that vouch with `unsafe` ([`Exactness::vouched`]). Every handle
//!   held by any other type counts as a reference from outside, and those types'
//!   `trace` is never run during a collection (only by [`get_referents`] /
//!   [`get_referrers`]). So a cycle through an unverified hand-written impl leaks (it is
//!   never collected; [`get_objects`] still lists it), but nothing it reports can make
//!   the collector drop a value that is still referenced and borrowed.
//! * **No memory is freed under a handle.** The collector *clears* an unreachable
//!   object by dropping its value in place and marking it; the memory is freed when
//!   the last handle goes. It holds a temporary strong reference on every object it
//!   examines, so user code running mid-collection cannot free them.
//! * **No borrow into the garbage.** Before the first value of the garbage is dropped,
//!   every unreachable object is marked cleared: a `Drop` impl that reaches another
//!   member of its garbage (or stashes a handle to it) gets a panic from `Deref`
//!   ("object was cleared by the cycle collector") and `None` from [`Gc::try_get`],
//!   never a `&T` that could outlive the value. Finalizers run before that, on intact
//!   objects, and may resurrect them (new handles are found by the re-check).
//! * **Panics.** Panics in `Trace`, finalizers, `Drop` impls, weak callbacks and
//!   collection callbacks are caught, the collection completes with the heap
//!   consistent (or, for `Trace`, is abandoned with everything kept), and the first
//!   panic is resumed from `collect()` (or from `Gc::new` for an automatic collection).
//!
//! An impl that vouches wrongly (with `unsafe`) voids this; the collector still
//! detects one that reports more edges to an object than it has handles (the
//! collection is then abandoned with a panic).

//! # Derive paths
//!
//! `#[derive(Trace, Finalize)]` emits `::pymemory_gc::...` paths when the deriving
//! crate depends on `pymemory-gc` directly, and `::pymemory::gc::...` otherwise;
//! `#[trace(crate = "path")]` on the type overrides (e.g. for a renamed dependency).

// Lets `#[derive(Trace)]` output (which names `::pymemory_gc`) compile inside this crate.
#[cfg(feature = "testing")]
extern crate self as pymemory_gc;

mod collect;
mod gc;
mod heap;
mod module;
mod pool;
mod raw;
mod trace;
mod weak;

#[cfg(feature = "testing")]
pub mod testing;

pub use gc::Gc;
pub use module::freeze;
pub use module::{
    CallbackId, CallbackInfo, DEBUG_COLLECTABLE, DEBUG_LEAK, DEBUG_SAVEALL, DEBUG_STATS,
    DEBUG_UNCOLLECTABLE, GcAny, GenerationStats, InvalidGeneration, Phase, add_callback, collect,
    collect_generation, disable, enable, garbage, get_count, get_debug, get_freeze_count,
    get_objects, get_referents, get_referrers, get_stats, get_threshold, is_enabled, is_finalized,
    is_tracked, remove_callback, set_debug, set_threshold, take_garbage, try_collect_generation,
    try_get_objects, unfreeze,
};
pub use pymemory_gc_derive::{Finalize, Trace};
pub use trace::{Exactness, Finalize, Trace, Tracer};
pub use weak::Weak;

/// Exact per-object header sizes on this target, for documentation and tests.
pub mod layout {
    /// Bytes of header in front of a tracked value (`T::MAY_CONTAIN_GC`), for `T` aligned
    /// at most 8: 32 on 64-bit targets.
    pub const TRACKED_HEADER: usize = std::mem::size_of::<crate::raw::GcHeader>();
    /// Bytes of header in front of an untracked value aligned at most 8: 8.
    pub const UNTRACKED_HEADER: usize = std::mem::size_of::<crate::raw::Counts>();
}
