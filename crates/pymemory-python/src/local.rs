//! Who may touch the Rust state behind a pymemory Python object, and from which thread.
//!
//! Two kinds of state, two rules:
//!
//! - [`Shared<T>`]: state that only pymemory's own Python objects hold (the handles behind
//!   `pymemory.memoryview` and `pymemory.array`, and the exports they hand out). It is
//!   reached only through a [`Python`] token, i.e. with the thread attached to the
//!   interpreter, so the GIL serialises every access exactly as it does for CPython's
//!   own objects: any thread may use these objects, release their exports or drop them.
//!   The Rust API never hands a clone of such a handle to user code (a user gets an
//!   independent export through the buffer protocol instead, see `borrow`), so no access
//!   can happen while detached.
//! - [`Local<T>`]: state that user Rust code also holds (the exporter handed to `export`,
//!   a `VecBuffer` or `ByteArray` the extension keeps a clone of and may touch while
//!   detached). It is reached only on the thread that created it. What another thread must
//!   drop (the object itself, or one of its buffer exports released there) is queued with
//!   [`defer_drop`] and dropped on the owner thread's next call into a
//!   `RustBuffer`, its next [`export`](crate::export), [`release_pending`], or when the
//!   owner thread exits: the release is recorded at once and honoured by the owner. What
//!   is released after its owner thread has exited can no longer be dropped safely
//!   anywhere (its `!Send` state belonged to that thread), so it is leaked, not queued.
//!
//! The thread identity is `PyThread_get_thread_ident()` (`pthread_self`): PyO3's
//! `unsendable` check calls `std::thread::current()` per call, which costs more than an
//! item access.

use std::any::Any;
use std::collections::HashSet;
use std::ffi::c_ulong;
use std::mem::ManuallyDrop;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::PyRuntimeError;
use pyo3::{PyResult, Python};

/// The calling thread's identity (`pthread_self` on POSIX). An identity is only reused
/// after its thread has exited, and a dead thread touches nothing, so a value whose owner
/// died and whose identity a new thread inherits is still never reached by two threads.
#[cfg(not(miri))]
#[inline]
pub(crate) fn thread_number() -> c_ulong {
    // SAFETY: `PyThread_get_thread_ident` has no preconditions (it does not even need the
    // interpreter); it only reads the calling thread's identity.
    unsafe { pyo3::ffi::PyThread_get_thread_ident() }
}

/// Miri cannot call into libpython: the address of a thread-local has the same property
/// (unique among live threads, reused only after its thread exits).
#[cfg(miri)]
pub(crate) fn thread_number() -> c_ulong {
    thread_local!(static MARK: u8 = const { 0 });
    MARK.with(|m| std::ptr::from_ref(m).addr() as c_ulong)
}

/// State reachable only with the interpreter attached (see the module docs).
pub(crate) struct Shared<T>(T);

// SAFETY: the value is reached only through `get`, which takes a `Python` token: the
// calling thread holds the GIL (free-threaded builds are refused at compile time, see
// `lib.rs`, and cannot load abi3 modules), so accesses from different threads are
// serialised by the GIL, and its release/acquire orders them (happens-before).
// Interleavings happen only where the holder runs Python code, which is the same
// re-entrancy single-threaded `Rc`/`Cell` code already tolerates (no `RefCell` borrow or
// raw pointer into freed memory is kept across such a call: bulk operations hold an
// export). The value is dropped by the object's deallocation, which runs attached too.
// No clone of the handles inside escapes to code that could run detached (module docs).
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above: shared references are only dereferenced under the GIL.
unsafe impl<T> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// Wraps `value`; the caller is attached (it holds `_py`).
    pub(crate) fn new(_py: Python<'_>, value: T) -> Shared<T> {
        Shared(value)
    }

    /// The value; the token proves the GIL is held.
    #[inline]
    pub(crate) fn get<'a>(&'a self, _py: Python<'_>) -> &'a T {
        &self.0
    }
}

/// A value reachable only from the thread that created it.
pub(crate) struct Local<T: 'static> {
    owner: c_ulong,
    value: ManuallyDrop<T>,
}

// SAFETY: the value is only ever reached through `get`, which returns it only on the
// owning thread, and it is only dropped on the owning thread (elsewhere it is queued for
// the owner), so its `!Send`/`!Sync` state (non-atomic `Rc` counts, `Cell`s) is never
// touched by two threads. Moving the wrapper itself between threads moves no access.
unsafe impl<T> Send for Local<T> {}
// SAFETY: as above: shared references from other threads cannot reach the value.
unsafe impl<T> Sync for Local<T> {}

impl<T: 'static> Local<T> {
    /// Wraps `value`, owned by the calling thread.
    pub(crate) fn new(value: T) -> Local<T> {
        let owner = thread_number();
        watch_owner_exit(owner);
        Local {
            owner,
            value: ManuallyDrop::new(value),
        }
    }

    /// The owning thread's identity.
    pub(crate) fn owner(&self) -> c_ulong {
        self.owner
    }

    /// The value, or `RuntimeError` on another thread. On the owner it first drops what
    /// other threads released meanwhile.
    #[inline]
    pub(crate) fn get(&self) -> PyResult<&T> {
        if thread_number() == self.owner {
            drain_pending();
            Ok(&self.value)
        } else {
            Err(PyRuntimeError::new_err(
                "this pymemory object wraps a Rust exporter and can only be used from the \
                 thread that created it",
            ))
        }
    }
}

impl<T: 'static> Drop for Local<T> {
    fn drop(&mut self) {
        // SAFETY: taken once, here; `self.value` is not used again.
        let value = unsafe { ManuallyDrop::take(&mut self.value) };
        defer_drop(self.owner, Box::new(value));
    }
}

/// A value to be dropped on its owner thread.
struct Pending {
    owner: c_ulong,
    #[expect(dead_code, reason = "held only to be dropped on its owner thread")]
    value: Box<dyn Any>,
}

// SAFETY: a `Pending` travels through the queue only; its value is dropped by
// `drain_pending`, which takes out only the entries whose owner is the calling thread.
unsafe impl Send for Pending {}

/// Values released on a thread other than their owner, and the owners that have exited.
struct Queue {
    pending: Vec<Pending>,
    /// Threads that created `Local`s and have exited (until a new thread reuses the id).
    exited: Option<HashSet<c_ulong>>,
    /// Values released after their owner exited: never dropped (their thread-bound state
    /// died with the thread), kept here rather than forgotten so leak checkers see them
    /// as still owned.
    abandoned: Vec<Pending>,
}

static PENDING: Mutex<Queue> = Mutex::new(Queue {
    pending: Vec::new(),
    exited: None,
    abandoned: Vec::new(),
});
/// `PENDING.pending.len()`, readable without the lock (the owner's fast check).
static PENDING_LEN: AtomicUsize = AtomicUsize::new(0);

fn queue() -> std::sync::MutexGuard<'static, Queue> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Drops `value` now if the calling thread is `owner`, else queues it for the owner, or
/// leaks it if the owner has exited.
pub(crate) fn defer_drop(owner: c_ulong, value: Box<dyn Any>) {
    if thread_number() == owner {
        drop(value);
        return;
    }
    let mut queue = queue();
    if queue.exited.as_ref().is_some_and(|e| e.contains(&owner)) {
        queue.abandoned.push(Pending { owner, value });
        return;
    }
    queue.pending.push(Pending { owner, value });
    PENDING_LEN.store(queue.pending.len(), Ordering::Release);
}

/// On the thread's exit, drops what other threads released for it and records that it
/// has gone, so later releases are leaked instead of waiting forever in the queue.
struct ExitWatch;

impl Drop for ExitWatch {
    fn drop(&mut self) {
        let me = thread_number();
        let mine = {
            let mut queue = queue();
            queue.exited.get_or_insert_with(HashSet::new).insert(me);
            take_owned_by(&mut queue, me)
        };
        for pending in mine {
            // A panic here would abort the exiting thread: report it (the panic hook has
            // printed it) and go on with the next value.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(pending)));
        }
    }
}

thread_local! {
    static EXIT_WATCH: ExitWatch = const { ExitWatch };
}

/// Arms the calling thread's [`ExitWatch`] (once per thread) and forgets any exited
/// thread that had the same identity.
fn watch_owner_exit(me: c_ulong) {
    // `try_with` fails only while the thread is already tearing down its thread-locals.
    if EXIT_WATCH.try_with(|_| ()).is_ok() {
        let mut queue = queue();
        if let Some(exited) = queue.exited.as_mut() {
            exited.remove(&me);
        }
    }
}

/// Takes the queued values owned by `me` out of the queue.
fn take_owned_by(queue: &mut Queue, me: c_ulong) -> Vec<Pending> {
    let (mine, rest): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut queue.pending)
        .into_iter()
        .partition(|p| p.owner == me);
    queue.pending = rest;
    PENDING_LEN.store(queue.pending.len(), Ordering::Release);
    mine
}

/// Drops the values other threads released for the calling thread (cheap when none).
#[inline]
pub(crate) fn drain_pending() {
    if PENDING_LEN.load(Ordering::Acquire) != 0 {
        drain_slow();
    }
}

#[cold]
fn drain_slow() {
    let me = thread_number();
    let mine = take_owned_by(&mut queue(), me);
    // Dropped outside the lock: a drop may run arbitrary code (even release more views).
    drop(mine);
}

/// Ends, on the calling thread, the exports of Rust exporters (objects made by
/// [`export`](crate::export) on this thread) that Python released on other threads, and
/// drops such objects that other threads deallocated.
///
/// Rust exporters are not thread-safe, so a release on another thread is recorded and
/// honoured by the owning thread: on its next call into a `RustBuffer`, its next
/// [`export`](crate::export), or here. Call
/// it before resizing a Rust exporter that Python may have viewed from other threads:
///
/// ```
/// use pyo3::prelude::*;
/// use pymemory_buffer::bytearray::ByteArray;
/// Python::initialize();
/// Python::attach(|py| -> PyResult<()> {
///     let log = ByteArray::new();
///     let obj = pymemory_python::export(py, log.clone())?;
///     let m = py.import("builtins")?.getattr("memoryview")?.call1((&obj,))?;
///     assert!(log.extend_from_slice(b"x").is_err()); // viewed: no resize
///     m.call_method0("release")?;
///     pymemory_python::release_pending(py);
///     assert!(log.extend_from_slice(b"x").is_ok());
///     Ok(())
/// })?;
/// # Ok::<(), PyErr>(())
/// ```
pub fn release_pending(py: Python<'_>) {
    let _ = py;
    drain_pending();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// A value dropped on a foreign thread waits for its owner; the owner's drain drops it.
    #[test]
    fn foreign_drop_is_deferred_to_the_owner() {
        let flag = Rc::new(());
        let local = Local::new(Rc::clone(&flag));
        assert_eq!(Rc::strong_count(&flag), 2);
        let moved = Wrapper(local);
        std::thread::spawn(move || drop(moved)).join().unwrap();
        // Not dropped on the other thread.
        assert_eq!(Rc::strong_count(&flag), 2);
        drain_pending();
        assert_eq!(Rc::strong_count(&flag), 1);
    }

    /// Values dropped on their own thread go at once.
    #[test]
    fn owner_drop_is_immediate() {
        let flag = Rc::new(());
        drop(Local::new(Rc::clone(&flag)));
        assert_eq!(Rc::strong_count(&flag), 1);
    }

    struct Wrapper(#[expect(dead_code, reason = "moved only to be dropped")] Local<Rc<()>>);

    /// Records, when dropped, which thread dropped it.
    struct DropProbe(std::sync::mpsc::Sender<c_ulong>);

    impl Drop for DropProbe {
        fn drop(&mut self) {
            let _ = self.0.send(thread_number());
        }
    }

    struct ProbeWrapper(#[expect(dead_code, reason = "moved only to be dropped")] Local<DropProbe>);

    fn queued_for(owner: c_ulong) -> usize {
        queue().pending.iter().filter(|p| p.owner == owner).count()
    }

    /// A release queued for a thread is honoured on that thread when it exits; a release
    /// after its exit is leaked, not queued forever.
    #[test]
    fn owner_exit_drains_its_queue_and_later_releases_are_not_queued() {
        let (dropped_tx, dropped_rx) = std::sync::mpsc::channel();
        let (local_tx, local_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let owner = std::thread::spawn(move || {
            let me = thread_number();
            for _ in 0..2 {
                local_tx
                    .send(ProbeWrapper(Local::new(DropProbe(dropped_tx.clone()))))
                    .unwrap();
            }
            go_rx.recv().unwrap();
            me
        });
        let (first, second) = (local_rx.recv().unwrap(), local_rx.recv().unwrap());
        drop(first); // owner alive: queued for it
        assert!(
            dropped_rx.try_recv().is_err(),
            "dropped on the wrong thread"
        );
        go_tx.send(()).unwrap();
        let owner_id = owner.join().unwrap();
        assert_eq!(
            dropped_rx.recv().unwrap(),
            owner_id,
            "drained at the owner's exit"
        );
        assert_eq!(queued_for(owner_id), 0);
        drop(second); // owner gone: leaked, not queued, never dropped here
        assert_eq!(queued_for(owner_id), 0);
        assert!(queue().abandoned.iter().any(|p| p.owner == owner_id));
        assert!(dropped_rx.try_recv().is_err());
    }
}
