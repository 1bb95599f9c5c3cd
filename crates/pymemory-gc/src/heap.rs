//! The per-thread heap: generation lists, counters, thresholds, statistics, callbacks,
//! the weak-callback side table, and the release path with its trashcan.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::rc::{self, Rc};

use crate::Trace;
use crate::module::{CallbackInfo, GcAny, GenerationStats, Phase};
use crate::raw::{self, CLEARED, DEAD, FINALIZED, GcHeader, HAS_CALLBACKS, Links};
use crate::weak::WeakRecord;

/// Number of generations (CPython: 3).
pub(crate) const NUM_GENERATIONS: usize = 3;
/// Index of the permanent generation used by `freeze`.
pub(crate) const PERMANENT: usize = 3;
/// Nesting of releases before further ones are queued (CPython's trashcan uses 50).
const TRASHCAN_DEPTH: usize = 50;

pub(crate) type CallbackFn = Rc<RefCell<dyn FnMut(Phase, &CallbackInfo)>>;
pub(crate) type PanicPayload = Box<dyn Any + Send + 'static>;

/// State of one thread's heap. Lives in its own allocation, freed at thread exit only if
/// no tracked object remains (see `ExitGuard`), so objects that outlive the thread-local
/// destructors still find valid list sentinels.
pub(crate) struct Heap {
    lists: [Links; NUM_GENERATIONS + 1],
    pub(crate) count: [Cell<usize>; NUM_GENERATIONS],
    threshold: [Cell<usize>; NUM_GENERATIONS],
    enabled: Cell<bool>,
    collecting: Cell<bool>,
    /// `threshold[0]` while automatic collection may run (enabled, threshold 0 not zero,
    /// not collecting), otherwise `usize::MAX`: `Gc::new` compares its count with this
    /// one word. Kept up to date by `set_enabled`, `set_collecting`, `set_threshold0`.
    trigger: Cell<usize>,
    pub(crate) long_lived_total: Cell<usize>,
    pub(crate) long_lived_pending: Cell<usize>,
    pub(crate) stats: [Cell<GenerationStats>; NUM_GENERATIONS],
    pub(crate) debug: Cell<u32>,
    pub(crate) garbage: RefCell<Vec<GcAny>>,
    pub(crate) callbacks: RefCell<Vec<(u64, CallbackFn)>>,
    pub(crate) next_callback_id: Cell<u64>,
    pub(crate) weak_callbacks: RefCell<HashMap<usize, Vec<rc::Weak<WeakRecord>>>>,
    drop_depth: Cell<usize>,
    /// The collector's working buffers (one entry per member of the collected set) of
    /// full and of young collections, kept between collections; see `collect::keep_work`.
    pub(crate) work: Cell<Vec<NonNull<GcHeader>>>,
    pub(crate) young_work: Cell<Vec<NonNull<GcHeader>>>,
    /// The small-block allocator of tracked boxes (see `pool.rs`).
    pub(crate) pools: crate::pool::Pools,
    /// Singly linked (through `links.next`) queue of detached objects whose release was
    /// deferred because the nesting got too deep.
    trashcan: Cell<*const Links>,
}

thread_local! {
    static HEAP: Cell<*mut Heap> = const { Cell::new(ptr::null_mut()) };
    static EXIT_GUARD: ExitGuard = const { ExitGuard };
}

/// Frees the heap at thread exit when no tracked object is left in it (otherwise the
/// heap is leaked, so objects that outlive the thread-local destructors stay valid).
struct ExitGuard;

impl Drop for ExitGuard {
    fn drop(&mut self) {
        free_heap_if_empty();
    }
}

fn free_heap_if_empty() {
    let p = HEAP.with(Cell::get);
    if p.is_null() {
        return;
    }
    // SAFETY: set by `init_heap` from a leaked box; freed only below.
    let h = unsafe { &*p };
    let idle = |h: &Heap| {
        !h.is_collecting()
            && h.drop_depth.get() == 0
            && h.trashcan.get().is_null()
            // SAFETY: live sentinels.
            && h.lists.iter().all(|l| l.is_empty_list())
    };
    if !idle(h) {
        return;
    }
    // Dropping these may run user code (which may still use this heap).
    let garbage = std::mem::take(&mut *h.garbage.borrow_mut());
    drop(garbage);
    let callbacks = std::mem::take(&mut *h.callbacks.borrow_mut());
    drop(callbacks);
    let weak = std::mem::take(&mut *h.weak_callbacks.borrow_mut());
    drop(weak);
    if !idle(h) || !h.garbage.borrow().is_empty() {
        return;
    }
    HEAP.with(|c| c.set(ptr::null_mut()));
    // No user code runs from here on; boxes still alive (dead objects waiting for a
    // `Weak`) keep their pools, which are orphaned and freed with their last box.
    h.pools.release_all();
    // SAFETY: no list node refers to the sentinels (all lists empty), nothing is being
    // collected or released, and the pointer was cleared so nothing reaches it again;
    // a later use on this thread lazily makes a new heap.
    drop(unsafe { Box::from_raw(p) });
}

/// This thread's heap.
#[inline]
pub(crate) fn heap() -> &'static Heap {
    let p = HEAP.with(Cell::get);
    if p.is_null() {
        return init_heap();
    }
    // SAFETY: set once by `init_heap` from a leaked box, never freed.
    unsafe { &*p }
}

/// This thread's box pools, or `None` when the thread has no heap (any more): a box
/// freed during thread exit after the heap is gone goes back to its orphaned pool.
#[inline]
pub(crate) fn pools() -> Option<&'static crate::pool::Pools> {
    let p = HEAP.with(Cell::get);
    // SAFETY: a non-null pointer was set by `init_heap` from a leaked box and is only
    // freed after being reset to null (`free_heap_if_empty`).
    (!p.is_null()).then(|| unsafe { &(*p).pools })
}

#[cold]
fn init_heap() -> &'static Heap {
    let p: *mut Heap = Box::into_raw(Box::new(Heap {
        lists: [Links::new(), Links::new(), Links::new(), Links::new()],
        count: [Cell::new(0), Cell::new(0), Cell::new(0)],
        threshold: [Cell::new(2000), Cell::new(10), Cell::new(10)],
        enabled: Cell::new(true),
        collecting: Cell::new(false),
        trigger: Cell::new(2000),
        long_lived_total: Cell::new(0),
        long_lived_pending: Cell::new(0),
        stats: Default::default(),
        debug: Cell::new(0),
        garbage: RefCell::new(Vec::new()),
        callbacks: RefCell::new(Vec::new()),
        next_callback_id: Cell::new(1),
        weak_callbacks: RefCell::new(HashMap::new()),
        drop_depth: Cell::new(0),
        trashcan: Cell::new(ptr::null()),
        pools: crate::pool::Pools::new(),
        work: Cell::new(Vec::new()),
        young_work: Cell::new(Vec::new()),
    }));
    // SAFETY: just allocated; freed only by `free_heap_if_empty` through the raw
    // pointer kept in `HEAP` (which keeps the write permission `Box::from_raw` needs).
    let h: &'static Heap = unsafe { &*p };
    for l in &h.lists {
        l.init_sentinel();
    }
    HEAP.with(|c| c.set(p));
    // Registers the exit guard; fails harmlessly during thread-local destruction.
    let _ = EXIT_GUARD.try_with(|_| {});
    h
}

impl Heap {
    /// `gc.get_threshold()`.
    pub(crate) fn threshold(&self, g: usize) -> usize {
        self.threshold[g].get()
    }

    /// Sentinel of generation `g` (or [`PERMANENT`]).
    #[inline]
    pub(crate) fn list(&self, g: usize) -> *const Links {
        ptr::from_ref(&self.lists[g])
    }

    /// Links a new tracked object into generation 0 and runs an automatic collection
    /// when the allocation count passes threshold 0 (CPython's `_PyObject_GC_Link`).
    #[inline]
    pub(crate) fn track_new(&self, h: NonNull<GcHeader>) {
        // SAFETY: `h` is a fresh, detached tracked allocation; the sentinel is live.
        unsafe { raw::link_tail(self.list(0), h) };
        let c = self.count[0].get() + 1;
        self.count[0].set(c);
        if c > self.trigger.get() {
            crate::collect::collect_generations(self);
        }
    }

    fn update_trigger(&self) {
        let t = self.threshold[0].get();
        let on = self.enabled.get() && t != 0 && !self.collecting.get();
        self.trigger.set(if on { t } else { usize::MAX });
    }

    /// `gc.enable()` / `gc.disable()`.
    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.set(on);
        self.update_trigger();
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled.get()
    }

    /// Marks a collection as running (no automatic or nested collection meanwhile).
    pub(crate) fn set_collecting(&self, on: bool) {
        self.collecting.set(on);
        self.update_trigger();
    }

    pub(crate) fn is_collecting(&self) -> bool {
        self.collecting.get()
    }

    /// `gc.set_threshold(t0, t1, t2)`.
    pub(crate) fn set_thresholds(&self, t: [usize; NUM_GENERATIONS]) {
        for (cell, v) in self.threshold.iter().zip(t) {
            cell.set(v);
        }
        self.update_trigger();
    }

    /// Runs the phase callbacks (`gc.callbacks`); returns the first panic.
    pub(crate) fn invoke_callbacks(
        &self,
        phase: Phase,
        info: &CallbackInfo,
    ) -> Option<PanicPayload> {
        if self.callbacks.borrow().is_empty() {
            return None;
        }
        let cbs: Vec<CallbackFn> = self
            .callbacks
            .borrow()
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        let mut first = None;
        for cb in cbs {
            let r = panic::catch_unwind(AssertUnwindSafe(|| {
                if let Ok(mut f) = cb.try_borrow_mut() {
                    f(phase, info);
                }
            }));
            if let Err(p) = r {
                first.get_or_insert(p);
            }
        }
        first
    }

    /// Runs the live weak-reference callbacks registered for the object at `addr`
    /// (newest first, as CPython's weakref list). Returns the first panic.
    pub(crate) fn run_weak_callbacks(&self, addr: usize) -> Option<PanicPayload> {
        let entry = self.weak_callbacks.borrow_mut().remove(&addr);
        let mut first = None;
        for rec in entry.into_iter().flatten().rev() {
            let Some(rec) = rec.upgrade() else { continue };
            let cb = rec.callback.borrow_mut().take();
            drop(rec);
            if let Some(cb) = cb {
                if let Err(p) = panic::catch_unwind(AssertUnwindSafe(cb)) {
                    first.get_or_insert(p);
                }
            }
        }
        first
    }

    /// Processes queued releases when at the outermost level.
    pub(crate) fn drain_trashcan(&self) {
        if self.drop_depth.get() != 0 {
            return;
        }
        loop {
            let p = self.trashcan.get();
            if p.is_null() {
                break;
            }
            // SAFETY: queued nodes are live, detached objects with strong count 0.
            let next = unsafe { raw::links(p).next.get() };
            self.trashcan.set(next);
            // SAFETY: as above; `p` was a tracked header when queued.
            let h = unsafe { NonNull::new_unchecked(p.cast_mut()).cast::<GcHeader>() };
            // SAFETY: `h` is detached and its strong count is 0 (it was queued by `release_tracked`).
            unsafe { raw::links(p).next.set(ptr::null()) };
            self.drop_depth.set(1);
            let guard = DepthGuard(self);
            // SAFETY: `h` is live, detached, strong count 0, finalizer already handled.
            unsafe { finish_tracked(h) };
            drop(guard);
        }
    }
}

struct DepthGuard<'a>(&'a Heap);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0.drop_depth.set(self.0.drop_depth.get() - 1);
    }
}

/// [`release_tracked`] for a statically known type: the common case (no finalizer, no
/// weak callbacks, linked) without indirect calls or `catch_unwind`.
///
/// # Safety
/// As for [`release_tracked`], and `h` was allocated as a `TrackedBox<T>`.
#[inline]
pub(crate) unsafe fn release_tracked_typed<T: Trace + 'static>(h: NonNull<GcHeader>) {
    // SAFETY: live per the contract.
    let hd = unsafe { raw::header(h) };
    if T::NEEDS_FINALIZE || hd.counts.has(HAS_CALLBACKS | CLEARED) || !hd.links.is_linked() {
        if !T::NEEDS_FINALIZE
            && hd.counts.has(CLEARED)
            && !hd.counts.has(HAS_CALLBACKS)
            && !hd.links.is_linked()
        {
            // Cleared by the collector (a member of garbage being dropped, reached from
            // another member's value): the value is gone and the object detached, so
            // only the memory is left (what `release_tracked` would do, minus its
            // checks; no user code runs, so no trashcan depth is needed).
            if hd.counts.weak() == 0 {
                // SAFETY: strong 0, value dropped, detached, no weak handle: nothing
                // refers to `h`; it is a `TrackedBox<T>` (contract).
                unsafe { raw::dealloc_tracked::<T>(pools(), h) };
            } else {
                hd.counts.set(DEAD);
            }
            return;
        }
        // SAFETY: same contract.
        return unsafe { release_tracked(h) };
    }
    let heap = heap();
    let depth = heap.drop_depth.get();
    let c = &heap.count[0];
    c.set(c.get().saturating_sub(1));
    if depth >= TRASHCAN_DEPTH {
        // SAFETY: linked objects are in a well-formed generation list.
        unsafe { raw::unlink(h) };
        let l: *const Links = h.as_ptr().cast_const().cast();
        // SAFETY: `h` is live and detached; its `next` field is free for the queue.
        unsafe { raw::links(l).next.set(heap.trashcan.get()) };
        heap.trashcan.set(l);
        return;
    }
    // SAFETY: linked objects are in a well-formed generation list; from here the object
    // is freed (or left to its weak handles, which never look at the links).
    unsafe { raw::unlink_dying(h) };
    heap.drop_depth.set(depth + 1);
    let depth_guard = DepthGuard(heap);
    // No CLEARED mark needed: nothing can reach the value any more (strong is 0, so weak
    // handles fail to upgrade) and this path never revisits the object.
    // Frees (or leaves to the weak handles) even if the value's drop panics.
    let free_guard = FreeGuard(h);
    // SAFETY: the value is alive (not CLEARED before) and unreachable (strong is 0).
    unsafe { raw::drop_tracked_value::<T>(h) };
    std::mem::forget(free_guard);
    if hd.counts.weak() == 0 {
        // SAFETY: no handle refers to `h`, its value is dropped and it is detached; it
        // is a `TrackedBox<T>` (contract).
        unsafe { raw::dealloc_tracked::<T>(Some(&heap.pools), h) };
    } else {
        hd.counts.set(DEAD);
    }
    drop(depth_guard);
    if depth == 0 && !heap.trashcan.get().is_null() {
        heap.drain_trashcan();
    }
}

/// Deallocates a dead object, or marks it `DEAD` for its weak handles, on scope exit.
struct FreeGuard(NonNull<GcHeader>);

impl Drop for FreeGuard {
    fn drop(&mut self) {
        // SAFETY: the guarded object is live, detached, its value dropped, strong 0.
        let hd = unsafe { raw::header(self.0) };
        if hd.counts.weak() == 0 {
            // SAFETY: no handle refers to it any more.
            unsafe { (hd.vtable.dealloc)(self.0) };
        } else {
            hd.counts.set(DEAD);
        }
    }
}

/// Called when the strong count of a tracked object reached zero.
///
/// # Safety
/// `h` is a live tracked allocation whose strong count is 0, and it is not in the
/// trashcan queue.
pub(crate) unsafe fn release_tracked(h: NonNull<GcHeader>) {
    // SAFETY: live per the contract.
    let hd = unsafe { raw::header(h) };
    let heap = heap();
    let mut panic_payload = None;
    if let Some(fin) = hd.vtable.finalize {
        if !hd.counts.has(FINALIZED | CLEARED) {
            hd.counts.set(FINALIZED);
            // Like CPython's PyObject_CallFinalizerFromDealloc: alive during `__del__`,
            // so weak references still resolve and resurrection is possible.
            hd.counts.set_strong(1);
            // SAFETY: value alive (not CLEARED), object live.
            let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe { fin(h) }));
            if let Err(p) = r {
                panic_payload = Some(p);
            }
            if hd.counts.dec_strong() != 0 {
                // Resurrected.
                if let Some(p) = panic_payload {
                    panic::resume_unwind(p);
                }
                return;
            }
        }
    }
    if hd.links.is_linked() {
        // SAFETY: linked objects are in a well-formed generation list (objects owned
        // by a running collection hold a temporary strong reference, so they never get here).
        unsafe { raw::unlink(h) };
        let c = &heap.count[0];
        c.set(c.get().saturating_sub(1));
    }
    let depth = heap.drop_depth.get();
    if depth >= TRASHCAN_DEPTH {
        let l: *const Links = h.as_ptr().cast_const().cast();
        // SAFETY: `h` is live and detached; its `next` field is free for the queue.
        unsafe { raw::links(l).next.set(heap.trashcan.get()) };
        heap.trashcan.set(l);
    } else {
        heap.drop_depth.set(depth + 1);
        let guard = DepthGuard(heap);
        // SAFETY: `h` is live, detached, strong count 0.
        let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe { finish_tracked(h) }));
        drop(guard);
        if let Err(p) = r {
            panic_payload.get_or_insert(p);
        }
        if depth == 0 {
            heap.drain_trashcan();
        }
    }
    if let Some(p) = panic_payload {
        panic::resume_unwind(p);
    }
}

/// Weak callbacks, value drop and deallocation of a dead tracked object.
///
/// # Safety
/// `h` is live, detached, with strong count 0.
unsafe fn finish_tracked(h: NonNull<GcHeader>) {
    // SAFETY: live per the contract.
    let hd = unsafe { raw::header(h) };
    let mut first = None;
    if hd.counts.has(HAS_CALLBACKS) {
        hd.counts.unset(HAS_CALLBACKS);
        first = heap().run_weak_callbacks(h.as_ptr().addr());
    }
    if !hd.counts.has(CLEARED) {
        hd.counts.set(CLEARED);
        // SAFETY: the value is alive (not CLEARED until now) and unreachable: strong is 0.
        let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe { (hd.vtable.drop_value)(h) }));
        if let Err(p) = r {
            first.get_or_insert(p);
        }
    }
    if hd.counts.strong() == 0 {
        if hd.counts.weak() == 0 {
            // SAFETY: no handle refers to `h`, the value is dropped and `h` detached.
            unsafe { (hd.vtable.dealloc)(h) };
        } else {
            hd.counts.set(DEAD);
        }
    }
    if let Some(p) = first {
        panic::resume_unwind(p);
    }
}

/// Frees a tracked object whose last weak handle went away after it died.
///
/// # Safety
/// `h` is live, `DEAD`, with weak count 0.
pub(crate) unsafe fn dealloc_dead_tracked(h: NonNull<GcHeader>) {
    // SAFETY: per the contract nothing refers to `h` and its value is gone.
    unsafe { (raw::header(h).vtable.dealloc)(h) }
}
