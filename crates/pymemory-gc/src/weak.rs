//! [`Weak<T>`], Python's `weakref.ref`.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::gc::{Gc, dealloc_dead};
use crate::heap::heap;
use crate::raw::{self, CLEARED, DEAD, WEAK_CLEARED};
use crate::trace::{Exactness, Finalize, Trace, Tracer};

/// The identity of one `weakref.ref(obj, callback)` object, shared by the clones of the
/// [`Weak`] that created it. The callback runs only while this record is alive.
pub(crate) struct WeakRecord {
    pub(crate) callback: RefCell<Option<Box<dyn FnOnce()>>>,
}

/// Registers a callback record for the object at `addr` in the heap's side table.
pub(crate) fn register(addr: usize, callback: Box<dyn FnOnce()>) -> Rc<WeakRecord> {
    let rec = Rc::new(WeakRecord {
        callback: RefCell::new(Some(callback)),
    });
    let mut table = heap().weak_callbacks.borrow_mut();
    let list = table.entry(addr).or_default();
    if list.len() >= 8 && list.len().is_power_of_two() {
        // Forget records whose weak references were dropped, amortised.
        list.retain(|r| r.strong_count() > 0);
    }
    list.push(Rc::downgrade(&rec));
    rec
}

/// A weak reference: does not keep the value alive. `upgrade` returns `None` once the
/// referent died or the collector found it in a garbage cycle.
pub struct Weak<T: Trace + 'static> {
    ptr: NonNull<u8>,
    record: Option<Rc<WeakRecord>>,
    _marker: PhantomData<(*const T, *const ())>,
}

impl<T: Trace + 'static> Weak<T> {
    /// # Safety
    /// `ptr` is a live allocation of `T` with one weak count owned by the result.
    pub(crate) unsafe fn from_raw(ptr: NonNull<u8>, record: Option<Rc<WeakRecord>>) -> Self {
        Weak {
            ptr,
            record,
            _marker: PhantomData,
        }
    }

    fn counts(&self) -> &raw::Counts {
        // SAFETY: the weak count keeps the allocation alive.
        unsafe { raw::counts::<T>(self.ptr) }
    }

    /// The referent, if it is still alive (calling a `weakref.ref`).
    pub fn upgrade(&self) -> Option<Gc<T>> {
        let c = self.counts();
        if c.strong() == 0 || c.has(CLEARED | WEAK_CLEARED | DEAD) {
            return None;
        }
        c.inc_strong();
        // SAFETY: the strong count was taken for the result; the value is alive.
        Some(unsafe { Gc::from_raw(self.ptr) })
    }

    /// Number of strong handles of the referent (0 once dead or cleared).
    pub fn strong_count(&self) -> usize {
        let c = self.counts();
        if c.has(CLEARED | WEAK_CLEARED | DEAD) {
            0
        } else {
            c.strong() as usize
        }
    }

    /// Whether both weak references point to the same allocation.
    pub fn ptr_eq(a: &Weak<T>, b: &Weak<T>) -> bool {
        a.ptr == b.ptr
    }
}

impl<T: Trace + 'static> Clone for Weak<T> {
    fn clone(&self) -> Self {
        self.counts().inc_weak();
        Weak {
            ptr: self.ptr,
            record: self.record.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T: Trace + 'static> Drop for Weak<T> {
    fn drop(&mut self) {
        let c = self.counts();
        if c.dec_weak() == 0 && c.has(DEAD) {
            // SAFETY: the object died (strong handles gone, value dropped) and this was
            // the last weak handle.
            unsafe { dealloc_dead::<T>(self.ptr) }
        }
    }
}

impl<T: Trace + 'static> fmt::Debug for Weak<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<weakref to {}; {}>",
            std::any::type_name::<T>(),
            if self.strong_count() > 0 {
                "alive"
            } else {
                "dead"
            }
        )
    }
}

impl<T: Trace + 'static> Finalize for Weak<T> {
    const NEEDS_FINALIZE: bool = false;
}

impl<T: Trace + 'static> Trace for Weak<T> {
    // A weak reference keeps nothing alive, so it never makes its holder tracked.
    const MAY_CONTAIN_GC: bool = false;
    // SAFETY: reports no `Gc` edge; its one callback record (owned by this handle,
    // shared only with its own clones, each reporting it once) is read without side
    // effects.
    const EXACTNESS: Exactness<Self> = unsafe { Exactness::vouched() };
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if let Some(r) = &self.record {
            tracer.weak_record(r);
        }
    }
}
