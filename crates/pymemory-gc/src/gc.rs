//! [`Gc<T>`], the strong handle.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::heap::{self, heap};
use crate::raw::{self, CLEARED, DEAD, FINALIZED, GcHeader, HAS_CALLBACKS};
use crate::trace::{Exactness, Finalize, Trace, Tracer};
use crate::weak::Weak;

/// A reference-counted pointer whose cycles the collector reclaims: Python's object
/// reference.
///
/// Dropping the last handle frees the value at once (any generation). Values whose type
/// can reach a `Gc` ([`Trace::MAY_CONTAIN_GC`]) are tracked by this thread's collector.
/// `Gc` is neither `Send` nor `Sync`:
///
/// ```compile_fail
/// let g = pymemory_gc::Gc::new(1u32);
/// std::thread::spawn(move || drop(g));
/// ```
pub struct Gc<T: Trace + 'static> {
    pub(crate) ptr: NonNull<u8>,
    _marker: PhantomData<(T, *const ())>,
}

impl<T: Trace + 'static> Gc<T> {
    /// Allocates `value`. May run an automatic collection (a panic from a finalizer,
    /// `Drop` or callback run by that collection propagates from here).
    #[inline]
    pub fn new(value: T) -> Gc<T> {
        if T::MAY_CONTAIN_GC {
            let heap = heap();
            let p = raw::alloc_tracked(&heap.pools, value);
            let gc = Gc {
                ptr: p,
                _marker: PhantomData,
            };
            heap.track_new(p.cast());
            gc
        } else {
            Gc {
                ptr: raw::alloc_untracked(value),
                _marker: PhantomData,
            }
        }
    }

    /// Builds a handle from a pointer whose strong count was already incremented.
    ///
    /// # Safety
    /// `ptr` is a live allocation of this `T` with one strong count owned by the result.
    pub(crate) unsafe fn from_raw(ptr: NonNull<u8>) -> Gc<T> {
        Gc {
            ptr,
            _marker: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn counts(&self) -> &raw::Counts {
        // SAFETY: a live handle keeps the allocation alive; it was made for this `T`.
        unsafe { raw::counts::<T>(self.ptr) }
    }

    pub(crate) fn header(&self) -> NonNull<GcHeader> {
        debug_assert!(T::MAY_CONTAIN_GC);
        self.ptr.cast()
    }

    /// Whether both handles point to the same object (Python's `is`).
    #[inline]
    pub fn ptr_eq(a: &Gc<T>, b: &Gc<T>) -> bool {
        a.ptr == b.ptr
    }

    /// Number of strong handles (`sys.getrefcount` minus the argument's own reference).
    pub fn strong_count(g: &Gc<T>) -> usize {
        g.counts().strong() as usize
    }

    /// Number of weak handles.
    pub fn weak_count(g: &Gc<T>) -> usize {
        g.counts().weak() as usize
    }

    /// A weak reference (`weakref.ref(obj)`).
    pub fn downgrade(g: &Gc<T>) -> Weak<T> {
        g.counts().inc_weak();
        // SAFETY: the weak count was just taken for the new handle.
        unsafe { Weak::from_raw(g.ptr, None) }
    }

    /// A weak reference with a callback (`weakref.ref(obj, callback)`).
    ///
    /// The callback runs once, when the referent dies, if this weak reference (or a
    /// clone of it) is still alive then. When the referent dies in a garbage cycle, the
    /// callback runs only if the weak reference itself is not part of the garbage, as
    /// in CPython's `handle_weakrefs`.
    pub fn downgrade_with_callback(g: &Gc<T>, callback: impl FnOnce() + 'static) -> Weak<T> {
        let rec = crate::weak::register(g.ptr.as_ptr().addr(), Box::new(callback));
        g.counts().set(HAS_CALLBACKS);
        g.counts().inc_weak();
        // SAFETY: the weak count was just taken for the new handle.
        unsafe { Weak::from_raw(g.ptr, Some(rec)) }
    }

    /// Whether the collector has cleared this object: its value was dropped (or, inside
    /// a `Drop` run by the collector, is about to be) to break a cycle while this handle
    /// survived, e.g. inside another object's `Drop`.
    pub fn is_cleared(g: &Gc<T>) -> bool {
        g.counts().has(CLEARED)
    }

    /// The value, or `None` if the collector cleared it (see [`Gc::is_cleared`]).
    pub fn try_get(g: &Gc<T>) -> Option<&T> {
        if g.counts().has(CLEARED) {
            None
        } else {
            // SAFETY: live handle, value not dropped.
            Some(unsafe { &*raw::value_ptr::<T>(g.ptr) })
        }
    }

    /// A type-erased strong handle, or `None` for an untracked type.
    pub fn to_any(g: &Gc<T>) -> Option<crate::GcAny> {
        if T::MAY_CONTAIN_GC {
            g.counts().inc_strong();
            // SAFETY: tracked allocation; the strong count was taken for the result.
            Some(unsafe { crate::GcAny::from_header(g.header()) })
        } else {
            None
        }
    }
}

#[cold]
#[inline(never)]
fn cleared_panic() -> ! {
    panic!(
        "pymemory_gc: object was cleared by the cycle collector (used from a Drop or after a broken Trace)"
    )
}

impl<T: Trace + 'static> Deref for Gc<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        if T::MAY_CONTAIN_GC && self.counts().has(CLEARED) {
            cleared_panic();
        }
        // SAFETY: live handle; the value is alive (not CLEARED; untracked values are
        // only dropped when the last strong handle goes).
        unsafe { &*raw::value_ptr::<T>(self.ptr) }
    }
}

impl<T: Trace + 'static> Clone for Gc<T> {
    #[inline]
    fn clone(&self) -> Self {
        self.counts().inc_strong();
        Gc {
            ptr: self.ptr,
            _marker: PhantomData,
        }
    }
}

impl<T: Trace + 'static> Drop for Gc<T> {
    #[inline]
    fn drop(&mut self) {
        if self.counts().dec_strong() == 0 {
            if T::MAY_CONTAIN_GC {
                // SAFETY: strong count reached 0 here; the allocation is a live
                // `TrackedBox<T>`.
                unsafe { heap::release_tracked_typed::<T>(self.header()) }
            } else {
                // SAFETY: as above, for an untracked allocation of `T`.
                unsafe { release_untracked::<T>(self.ptr) }
            }
        }
    }
}

/// Death of an untracked object: finalizer, weak callbacks, value drop, free.
///
/// # Safety
/// `p` is a live untracked allocation of `T` with strong count 0.
unsafe fn release_untracked<T: Trace + 'static>(p: NonNull<u8>) {
    // SAFETY: live per the contract.
    let c = unsafe { raw::counts::<T>(p) };
    let mut first = None;
    if T::NEEDS_FINALIZE && !c.has(FINALIZED) {
        c.set(FINALIZED);
        c.set_strong(1);
        // SAFETY: value alive; strong count held temporarily.
        let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe {
            (*raw::value_ptr::<T>(p)).finalize()
        }));
        if let Err(e) = r {
            first = Some(e);
        }
        if c.dec_strong() != 0 {
            if let Some(e) = first {
                panic::resume_unwind(e);
            }
            return;
        }
    }
    if c.has(HAS_CALLBACKS) {
        c.unset(HAS_CALLBACKS);
        if let Some(e) = heap().run_weak_callbacks(p.as_ptr().addr()) {
            first.get_or_insert(e);
        }
    }
    c.set(CLEARED);
    // SAFETY: value alive, no strong handle left.
    let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe {
        raw::drop_untracked_value::<T>(p)
    }));
    if let Err(e) = r {
        first.get_or_insert(e);
    }
    if c.weak() == 0 {
        // SAFETY: nothing refers to `p` any more.
        unsafe { raw::dealloc_untracked::<T>(p) };
    } else {
        c.set(DEAD);
    }
    if let Some(e) = first {
        panic::resume_unwind(e);
    }
}

/// Frees an untracked object after its last weak handle.
///
/// # Safety
/// `p` is a live, `DEAD` untracked allocation of `T` with weak count 0.
pub(crate) unsafe fn dealloc_dead<T: Trace + 'static>(p: NonNull<u8>) {
    if T::MAY_CONTAIN_GC {
        // SAFETY: per the contract.
        unsafe { heap::dealloc_dead_tracked(p.cast()) }
    } else {
        // SAFETY: per the contract.
        unsafe { raw::dealloc_untracked::<T>(p) }
    }
}

impl<T: Trace + 'static> Finalize for Gc<T> {
    const NEEDS_FINALIZE: bool = false;
}

impl<T: Trace + 'static> Trace for Gc<T> {
    // Always true, even for an untracked `T`: a recursive type's constant would
    // otherwise depend on itself.
    const MAY_CONTAIN_GC: bool = true;
    // SAFETY: a handle reports exactly one edge, to itself, which the value holding the
    // handle owns; it reads nothing else and has no side effects.
    const EXACTNESS: Exactness<Self> = unsafe { Exactness::vouched() };
    #[inline]
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if T::MAY_CONTAIN_GC {
            tracer.edge(self.header());
        }
    }
}

impl<T: Trace + fmt::Debug + 'static> fmt::Debug for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Gc::try_get(self) {
            Some(v) => fmt::Debug::fmt(v, f),
            None => f.write_str("<cleared>"),
        }
    }
}

impl<T: Trace + fmt::Display + 'static> fmt::Display for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: Trace + PartialEq + 'static> PartialEq for Gc<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Trace + Eq + 'static> Eq for Gc<T> {}

impl<T: Trace + std::hash::Hash + 'static> std::hash::Hash for Gc<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl<T: Trace + Default + 'static> Default for Gc<T> {
    fn default() -> Self {
        Gc::new(T::default())
    }
}

impl<T: Trace + 'static> From<T> for Gc<T> {
    fn from(v: T) -> Self {
        Gc::new(v)
    }
}
