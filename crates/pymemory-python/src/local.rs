//! [`Local`]: a value usable only on the thread that made it, checked cheaply.
//!
//! pymemory's views are single-threaded (`Rc` handles shared between views, as objects
//! under CPython's GIL). PyO3's `unsendable` classes enforce that with
//! `std::thread::current()` on every call, which costs more than the item access itself;
//! this wrapper compares the thread identity (`pthread_self`) instead.

use std::mem::ManuallyDrop;

use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;

/// The calling thread's identity (`pthread_self` on POSIX). An identity is only reused
/// after its thread has exited, and a dead thread touches nothing, so a value whose owner
/// died and whose identity a new thread inherits is still never reached by two threads.
#[inline]
fn thread_number() -> std::ffi::c_ulong {
    // SAFETY: `PyThread_get_thread_ident` has no preconditions (it does not even need the
    // interpreter); it only reads the calling thread's identity.
    unsafe { pyo3::ffi::PyThread_get_thread_ident() }
}

/// A value reachable only from the thread that created it.
pub(crate) struct Local<T> {
    owner: std::ffi::c_ulong,
    value: ManuallyDrop<T>,
}

// SAFETY: the value is only ever reached through `get`, which returns it only on the
// owning thread, and it is only dropped on the owning thread (elsewhere it is leaked), so
// its `!Send`/`!Sync` state (non-atomic `Rc` counts, `Cell`s) is never touched by two
// threads. Moving the wrapper itself between threads moves no access to the value.
unsafe impl<T> Send for Local<T> {}
// SAFETY: as above: shared references from other threads cannot reach the value.
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    /// Wraps `value`, owned by the calling thread.
    pub(crate) fn new(value: T) -> Local<T> {
        Local {
            owner: thread_number(),
            value: ManuallyDrop::new(value),
        }
    }

    /// The value, or `RuntimeError` on another thread.
    #[inline]
    pub(crate) fn get(&self) -> PyResult<&T> {
        if thread_number() == self.owner {
            Ok(&self.value)
        } else {
            Err(PyRuntimeError::new_err(
                "pymemory objects can only be used from the thread that created them",
            ))
        }
    }
}

impl<T> Drop for Local<T> {
    fn drop(&mut self) {
        if thread_number() == self.owner {
            // SAFETY: dropped once, here, on the owning thread.
            unsafe { ManuallyDrop::drop(&mut self.value) }
        }
        // On another thread the value is leaked: dropping it there could race with clones
        // of its handles on the owning thread.
    }
}
