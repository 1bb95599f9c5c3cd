//! The `gc` module: free functions on this thread's heap, and [`GcAny`].

use std::any::TypeId;
use std::cell::RefCell;
use std::fmt;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::collect as collector;
use crate::gc::Gc;
use crate::heap::{CallbackFn, NUM_GENERATIONS, PERMANENT, heap, release_tracked};
use crate::raw::{self, FINALIZED, GcHeader};
use crate::trace::{Mode, Trace, Tracer};

/// `gc.DEBUG_STATS`: print statistics during collection (to stderr).
pub const DEBUG_STATS: u32 = 1;
/// `gc.DEBUG_COLLECTABLE`: print each collectable object found.
pub const DEBUG_COLLECTABLE: u32 = 2;
/// `gc.DEBUG_UNCOLLECTABLE`: print uncollectable objects (there are none since PEP 442).
pub const DEBUG_UNCOLLECTABLE: u32 = 4;
/// `gc.DEBUG_SAVEALL`: keep unreachable objects in [`garbage()`] instead of freeing them.
pub const DEBUG_SAVEALL: u32 = 32;
/// `gc.DEBUG_LEAK`: `DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL`.
pub const DEBUG_LEAK: u32 = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;

/// One entry of [`get_stats()`] (a dict in Python).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenerationStats {
    /// Number of times this generation was collected.
    pub collections: usize,
    /// Unreachable objects found in collections of this generation.
    pub collected: usize,
    /// Uncollectable objects (always 0: every finalizer is PEP 442 safe).
    pub uncollectable: usize,
}

/// Phase of a collection passed to callbacks (`"start"` / `"stop"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Before the collection.
    Start,
    /// After the collection.
    Stop,
}

/// The `info` dict given to callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackInfo {
    /// The generation being collected.
    pub generation: usize,
    /// Unreachable objects found (0 at `Start`).
    pub collected: usize,
    /// Uncollectable objects (always 0).
    pub uncollectable: usize,
}

/// Handle returned by [`add_callback`], for [`remove_callback`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackId(u64);

/// A type-erased strong handle to a tracked object (what `gc.get_objects()` and friends
/// return). Downcast with [`GcAny::downcast`].
pub struct GcAny {
    h: NonNull<GcHeader>,
}

impl GcAny {
    /// # Safety
    /// `h` is a live tracked object with one strong count owned by the result.
    pub(crate) unsafe fn from_header(h: NonNull<GcHeader>) -> GcAny {
        GcAny { h }
    }

    fn header(&self) -> &GcHeader {
        // SAFETY: the strong count held by `self` keeps the allocation alive.
        unsafe { raw::header(self.h) }
    }

    /// A typed handle if the object is a `T`.
    pub fn downcast<T: Trace + 'static>(&self) -> Option<Gc<T>> {
        if !self.is::<T>() {
            return None;
        }
        self.header().counts.inc_strong();
        // SAFETY: same type (checked by `TypeId`), tracked, count taken for the result.
        Some(unsafe { Gc::from_raw(self.h.cast()) })
    }

    /// Whether the object is a `T`.
    pub fn is<T: Trace + 'static>(&self) -> bool {
        T::MAY_CONTAIN_GC && (self.header().vtable.type_id)() == TypeId::of::<T>()
    }

    /// `std::any::type_name` of the object's type.
    pub fn type_name(&self) -> &'static str {
        (self.header().vtable.type_name)()
    }

    /// Whether both handles point to the same object.
    pub fn ptr_eq(a: &GcAny, b: &GcAny) -> bool {
        a.h == b.h
    }

    /// Whether this handle points to the object of `g`.
    pub fn is_same<T: Trace + 'static>(&self, g: &Gc<T>) -> bool {
        T::MAY_CONTAIN_GC && self.h == g.ptr.cast()
    }
}

impl Clone for GcAny {
    fn clone(&self) -> Self {
        self.header().counts.inc_strong();
        GcAny { h: self.h }
    }
}

impl Drop for GcAny {
    fn drop(&mut self) {
        if self.header().counts.dec_strong() == 0 {
            // SAFETY: the last strong reference went away.
            unsafe { release_tracked(self.h) }
        }
    }
}

impl fmt::Debug for GcAny {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} object at {:p}>", self.type_name(), self.h.as_ptr())
    }
}

/// A generation number outside `0..=2`: Python's `ValueError` from `gc.collect(3)`
/// (`invalid generation`) or `gc.get_objects(3)` (`generation parameter must be less
/// than the number of available generations (3)`). `Display` gives the Python form.
///
/// ```
/// let e = pymemory_gc::try_collect_generation(3).unwrap_err();
/// assert_eq!(e.to_string(), "ValueError: invalid generation");
/// assert_eq!(e.generation(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidGeneration {
    generation: usize,
    message: &'static str,
}

impl InvalidGeneration {
    /// The generation that was asked for.
    pub fn generation(&self) -> usize {
        self.generation
    }

    /// The Python exception kind: always `"ValueError"`.
    pub fn python_name(&self) -> &'static str {
        "ValueError"
    }

    /// CPython's message, without the exception name.
    pub fn message(&self) -> &'static str {
        self.message
    }
}

impl fmt::Display for InvalidGeneration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.python_name(), self.message)
    }
}

impl std::error::Error for InvalidGeneration {}

fn check_generation(generation: usize, message: &'static str) -> Result<(), InvalidGeneration> {
    if generation < NUM_GENERATIONS {
        Ok(())
    } else {
        Err(InvalidGeneration {
            generation,
            message,
        })
    }
}

/// `gc.collect`'s message (Modules/gcmodule.c).
const COLLECT_MSG: &str = "invalid generation";
/// `gc.get_objects`'s message (Modules/gcmodule.c).
const GET_OBJECTS_MSG: &str =
    "generation parameter must be less than the number of available generations (3)";

/// `gc.collect()`: a full collection; returns the number of unreachable objects found.
/// Returns 0 when called during a collection (from a finalizer or callback). A panic
/// from user code run by the collection propagates after the collection finished.
pub fn collect() -> usize {
    collector::collect_main(heap(), NUM_GENERATIONS - 1)
}

/// `gc.collect(generation)`: collects generations `0..=generation`; returns the number
/// of unreachable objects found.
///
/// # Panics
/// If `generation > 2`, like slice indexing out of bounds (Python raises
/// `ValueError: invalid generation`: [`try_collect_generation`] returns it as an error).
/// A panic from user code run by the collection propagates after it finished.
pub fn collect_generation(generation: usize) -> usize {
    match try_collect_generation(generation) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    }
}

/// `gc.collect(generation)` with Python's error for a generation above 2:
/// `ValueError: invalid generation`.
///
/// ```
/// assert_eq!(pymemory_gc::try_collect_generation(0), Ok(0));
/// let e = pymemory_gc::try_collect_generation(3).unwrap_err();
/// assert_eq!(e.to_string(), "ValueError: invalid generation");
/// ```
pub fn try_collect_generation(generation: usize) -> Result<usize, InvalidGeneration> {
    check_generation(generation, COLLECT_MSG)?;
    Ok(collector::collect_main(heap(), generation))
}

/// `gc.enable()`: turn automatic collection on.
pub fn enable() {
    heap().set_enabled(true);
}

/// `gc.disable()`: turn automatic collection off.
pub fn disable() {
    heap().set_enabled(false);
}

/// `gc.isenabled()`.
pub fn is_enabled() -> bool {
    heap().is_enabled()
}

/// `gc.get_threshold()`.
pub fn get_threshold() -> (usize, usize, usize) {
    let h = heap();
    (h.threshold(0), h.threshold(1), h.threshold(2))
}

/// `gc.set_threshold(t0, t1, t2)`; threshold 0 of zero disables automatic collection.
pub fn set_threshold(t0: usize, t1: usize, t2: usize) {
    heap().set_thresholds([t0, t1, t2]);
}

/// `gc.get_count()`: tracked allocations minus deallocations since the last collection
/// of generation 0, and the collection counts of generations 0 and 1 since the last
/// collection of the next one.
pub fn get_count() -> (usize, usize, usize) {
    let h = heap();
    (h.count[0].get(), h.count[1].get(), h.count[2].get())
}

/// `gc.get_stats()`: one entry per generation.
pub fn get_stats() -> [GenerationStats; 3] {
    let h = heap();
    [h.stats[0].get(), h.stats[1].get(), h.stats[2].get()]
}

/// `gc.freeze()`: move every tracked object to the permanent generation, which
/// collections ignore.
pub fn freeze() {
    let h = heap();
    for g in 0..NUM_GENERATIONS {
        // SAFETY: distinct live sentinels of well-formed lists.
        unsafe { raw::splice(h.list(g), h.list(PERMANENT)) };
        h.count[g].set(0);
    }
}

/// `gc.unfreeze()`: move the permanent generation back into the oldest generation.
pub fn unfreeze() {
    let h = heap();
    // SAFETY: distinct live sentinels of well-formed lists.
    unsafe { raw::splice(h.list(PERMANENT), h.list(NUM_GENERATIONS - 1)) };
}

/// `gc.get_freeze_count()`.
pub fn get_freeze_count() -> usize {
    // SAFETY: live sentinel of a well-formed list.
    unsafe { raw::list_len(heap().list(PERMANENT)) }
}

fn is_linked<T: Trace + 'static>(g: &Gc<T>) -> bool {
    // SAFETY: the handle keeps the allocation alive; tracked type checked by the caller.
    T::MAY_CONTAIN_GC && unsafe { raw::header(g.header()) }.links.is_linked()
}

/// `gc.is_tracked(obj)`: whether the collector tracks the object (its type may reach a
/// `Gc`, and it was not cleared by a collection).
pub fn is_tracked<T: Trace + 'static>(g: &Gc<T>) -> bool {
    is_linked(g)
}

/// `gc.is_finalized(obj)`: whether its finalizer already ran (PEP 442).
pub fn is_finalized<T: Trace + 'static>(g: &Gc<T>) -> bool {
    g.counts().has(FINALIZED)
}

fn handles(list: Vec<NonNull<GcHeader>>) -> Vec<GcAny> {
    list.into_iter()
        .map(|h| {
            // SAFETY: nodes of a live list are live tracked objects.
            unsafe { raw::header(h) }.counts.inc_strong();
            // SAFETY: count taken for the handle.
            unsafe { GcAny::from_header(h) }
        })
        .collect()
}

fn all_nodes(include_permanent: bool) -> Vec<NonNull<GcHeader>> {
    let h = heap();
    let mut v = Vec::new();
    let last = if include_permanent {
        PERMANENT
    } else {
        NUM_GENERATIONS - 1
    };
    for g in 0..=last {
        // SAFETY: live sentinel of a well-formed list.
        v.extend(unsafe { raw::list_nodes(h.list(g)) });
    }
    v
}

/// `gc.get_objects(generation=None)`: the tracked objects (of one generation).
///
/// # Panics
/// If `generation > 2`, like slice indexing out of bounds ([`try_get_objects`] returns
/// Python's `ValueError` instead).
pub fn get_objects(generation: Option<usize>) -> Vec<GcAny> {
    match try_get_objects(generation) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

/// `gc.get_objects(generation)` with Python's error for a generation above 2:
/// `ValueError: generation parameter must be less than the number of available
/// generations (3)`.
pub fn try_get_objects(generation: Option<usize>) -> Result<Vec<GcAny>, InvalidGeneration> {
    Ok(match generation {
        Some(g) => {
            check_generation(g, GET_OBJECTS_MSG)?;
            // SAFETY: live sentinel of a well-formed list.
            handles(unsafe { raw::list_nodes(heap().list(g)) })
        }
        None => handles(all_nodes(false)),
    })
}

/// `gc.get_referents(obj)`: the tracked objects `obj` refers to, per its `Trace`.
pub fn get_referents<T: Trace + 'static>(g: &Gc<T>) -> Vec<GcAny> {
    let mut out = Vec::new();
    if let Some(v) = Gc::try_get(g) {
        let mut t = Tracer::new(Mode::Collect(&mut out));
        v.trace(&mut t);
    }
    handles(out)
}

/// `gc.get_referrers(obj)`: the tracked objects (in any generation, frozen included)
/// whose `Trace` reports an edge to `obj`.
pub fn get_referrers<T: Trace + 'static>(g: &Gc<T>) -> Vec<GcAny> {
    if !T::MAY_CONTAIN_GC {
        return Vec::new();
    }
    let target = g.header();
    let nodes = all_nodes(true);
    // Hold strong references while user Trace code runs.
    let held = handles(nodes);
    let mut out = Vec::new();
    for a in &held {
        let d = a.header();
        if d.counts.has(raw::CLEARED) {
            continue;
        }
        let mut t = Tracer::new(Mode::Find {
            target,
            found: false,
        });
        // SAFETY: live (held) and not cleared.
        unsafe { (d.vtable.trace)(a.h, &mut t) };
        if let Mode::Find { found: true, .. } = t.mode {
            out.push(a.clone());
        }
    }
    out
}

/// `gc.callbacks.append(cb)`: `cb(phase, info)` runs before and after every collection.
pub fn add_callback(cb: impl FnMut(Phase, &CallbackInfo) + 'static) -> CallbackId {
    let h = heap();
    let id = h.next_callback_id.get();
    h.next_callback_id.set(id + 1);
    let f: CallbackFn = Rc::new(RefCell::new(cb));
    h.callbacks.borrow_mut().push((id, f));
    CallbackId(id)
}

/// `gc.callbacks.remove(cb)`; returns whether it was registered.
pub fn remove_callback(id: CallbackId) -> bool {
    let removed = {
        let mut cbs = heap().callbacks.borrow_mut();
        let before = cbs.len();
        let mut taken = Vec::new();
        cbs.retain(|(i, f)| {
            if *i == id.0 {
                taken.push(f.clone());
                false
            } else {
                true
            }
        });
        (before != cbs.len(), taken)
    };
    // The closure is dropped outside the borrow: its Drop may touch the heap.
    drop(removed.1);
    removed.0
}

/// `gc.set_debug(flags)`.
pub fn set_debug(flags: u32) {
    heap().debug.set(flags);
}

/// `gc.get_debug()`.
pub fn get_debug() -> u32 {
    heap().debug.get()
}

/// `gc.garbage`: the objects kept by [`DEBUG_SAVEALL`] (a snapshot).
pub fn garbage() -> Vec<GcAny> {
    heap().garbage.borrow().clone()
}

/// `gc.garbage.clear()` (extension): empties the list and returns its contents.
pub fn take_garbage() -> Vec<GcAny> {
    std::mem::take(&mut *heap().garbage.borrow_mut())
}
