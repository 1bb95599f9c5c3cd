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
//!   constant [`Trace::MAY_CONTAIN_GC`] decides at compile time whether a type is tracked.
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
//! # Safety model
//!
//! The collector never frees memory that a handle still points to: it *clears* an
//! unreachable object by dropping its value in place and marking it, and the memory is
//! freed when the last handle goes. Using a cleared object (say from a `Drop` impl that
//! touches another member of its garbage cycle, or after a `Trace` impl reported edges
//! it does not own) panics with a clear message. Panics in `Trace`, finalizers, `Drop`
//! impls, weak callbacks and collection callbacks are caught, the collection completes
//! with the heap consistent, and the first panic is resumed from `collect()` (or from
//! `Gc::new` for an automatic collection).
//!
//! Limitation: an incorrect hand-written `Trace` that reports edges it does not own can
//! make the collector drop a value that is still borrowed (`&T` from `Deref` held across
//! an allocation or `collect()`); a `Trace` that reports too many edges is detected only
//! when it reports more edges than an object has handles (the collection is then
//! abandoned with a panic). `#[derive(Trace)]` is always correct.
//!
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
mod raw;
mod trace;
mod weak;

#[cfg(feature = "testing")]
pub mod testing;

pub use gc::Gc;
pub use module::freeze;
pub use module::{
    CallbackId, CallbackInfo, DEBUG_COLLECTABLE, DEBUG_LEAK, DEBUG_SAVEALL, DEBUG_STATS,
    DEBUG_UNCOLLECTABLE, GcAny, GenerationStats, Phase, add_callback, collect, collect_generation,
    disable, enable, garbage, get_count, get_debug, get_freeze_count, get_objects, get_referents,
    get_referrers, get_stats, get_threshold, is_enabled, is_finalized, is_tracked, remove_callback,
    set_debug, set_threshold, take_garbage, unfreeze,
};
pub use pymemory_gc_derive::{Finalize, Trace};
pub use trace::{Finalize, Trace, Tracer};
pub use weak::Weak;

/// Exact per-object header sizes on this target, for documentation and tests.
pub mod layout {
    /// Bytes of header in front of a tracked value (`T::MAY_CONTAIN_GC`), for `T` aligned
    /// at most 8: 32 on 64-bit targets.
    pub const TRACKED_HEADER: usize = std::mem::size_of::<crate::raw::GcHeader>();
    /// Bytes of header in front of an untracked value aligned at most 8: 8.
    pub const UNTRACKED_HEADER: usize = std::mem::size_of::<crate::raw::Counts>();
}
