//! CPython's cycle collector (`Python/gc.c`, 3.13 generational flavour).
//!
//! Steps of one collection of generations `0..=g`:
//! 1. merge them into one working set; take a temporary strong reference on each member
//!    (so no member can be freed under our feet by user code) and copy its strong count
//!    into `gc_refs`, kept in the `prev` link word;
//! 2. subtract the references found by tracing each member (internal edges);
//! 3. members with `gc_refs > 0` are referenced from outside: mark everything reachable
//!    from them with an explicit stack (no recursion);
//! 4. move the survivors to the next generation; the rest is unreachable;
//! 5. clear weak references to unreachable objects, run the callbacks of weak references
//!    that are not garbage themselves;
//! 6. run finalizers once (PEP 442), then redo steps 1-3 on the unreachable set to find
//!    resurrected objects, which move to the older generation;
//! 7. mark every object still unreachable as cleared, then drop their values (which
//!    breaks the cycles) and release the temporary references, freeing the memory.
//!
//! Steps 1-4 work on one buffer of the members kept between collections (step 3 only
//! flags, step 4 splits); when no member has a pending finalizer or weak references
//! (nothing can run user code before step 7), step 4 also flags the garbage cleared,
//! so steps 5-6 and the separate flagging pass of step 7 are skipped.
//!
//! Why this cannot drop a value that is still borrowed (the `Trace` trait is safe):
//! * only members whose type is exact (`Trace::EXACTNESS`, `VTable::exact`) are traced
//!   in steps 2, 3 and 6 and in the weak-record pass of 5. Each edge they report is a
//!   distinct handle stored inside a member, so `gc_refs` never drops below the number
//!   of handles held anywhere else; handles held by other members count as outside
//!   references, so marking need not look inside those members either (what they point
//!   to is already a root). No user `Trace` code runs while garbage is being found.
//! * an unreachable object is therefore referenced only from inside other unreachable
//!   objects: no code outside the garbage can reach it. A finalizer (step 6) can, and
//!   may create new handles, which the re-check counts from the strong counts again.
//! * from step 7 on, every unreachable object is flagged `CLEARED` before the first
//!   value is dropped, so a `Drop` impl that reaches another member of the garbage (and
//!   perhaps stores a handle to it somewhere) cannot create a new `&T` into it: `Deref`
//!   panics, `try_get` returns `None`.
//!
//! User code (Trace, callbacks, finalizers, Drop) may panic at any step; the panic is
//! caught, the collection finishes with the heap consistent, and the first panic is
//! resumed for the caller of `collect()`.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::time::Instant;

use crate::heap::{Heap, NUM_GENERATIONS, PanicPayload, release_tracked};
use crate::module::{CallbackInfo, DEBUG_COLLECTABLE, DEBUG_SAVEALL, DEBUG_STATS, GcAny, Phase};
use crate::raw::{
    self, CLEARED, DEAD, FINALIZED, GcHeader, HAS_CALLBACKS, IN_SET, Links, REACHABLE, WEAK_CLEARED,
};
use crate::trace::{Mode, Tracer};

/// Automatic collection (CPython's `gc_collect_generations`): the oldest generation
/// whose count exceeds its threshold, with the long-lived 25% rule for the oldest.
pub(crate) fn collect_generations(heap: &Heap) -> usize {
    for i in (0..NUM_GENERATIONS).rev() {
        if heap.count[i].get() > heap.threshold(i) {
            if i == NUM_GENERATIONS - 1
                && heap.long_lived_pending.get() < heap.long_lived_total.get() / 4
            {
                continue;
            }
            return collect_main(heap, i);
        }
    }
    0
}

struct CollectingGuard<'a>(&'a Heap);

impl Drop for CollectingGuard<'_> {
    fn drop(&mut self) {
        self.0.set_collecting(false);
    }
}

/// One collection with callbacks, statistics and debug output (`gc_collect_main` plus
/// `gc_collect_with_callback`). Returns the number of unreachable objects found.
pub(crate) fn collect_main(heap: &Heap, generation: usize) -> usize {
    if heap.is_collecting() {
        // Already collecting (a finalizer called collect()): CPython returns 0.
        return 0;
    }
    heap.set_collecting(true);
    let guard = CollectingGuard(heap);
    heap.drain_trashcan();
    let debug = heap.debug.get();
    let start = (debug & DEBUG_STATS != 0).then(Instant::now);
    let mut first = heap.invoke_callbacks(
        Phase::Start,
        &CallbackInfo {
            generation,
            collected: 0,
            uncollectable: 0,
        },
    );
    if debug & DEBUG_STATS != 0 {
        eprintln!("gc: collecting generation {generation}...");
        // SAFETY: the heap's sentinels are live and the lists well formed.
        let sizes: Vec<usize> = (0..NUM_GENERATIONS)
            .map(|g| unsafe { raw::list_len(heap.list(g)) })
            .collect();
        eprintln!(
            "gc: objects in each generation: {} {} {}",
            sizes[0], sizes[1], sizes[2]
        );
    }
    if generation + 1 < NUM_GENERATIONS {
        let c = &heap.count[generation + 1];
        c.set(c.get() + 1);
    }
    for i in 0..=generation {
        heap.count[i].set(0);
    }
    let (collected, p) = run(heap, generation);
    if first.is_none() {
        first = p;
    }
    let mut s = heap.stats[generation].get();
    s.collections += 1;
    s.collected += collected;
    heap.stats[generation].set(s);
    if debug & DEBUG_STATS != 0 {
        eprintln!(
            "gc: done, {collected} unreachable, 0 uncollectable, {:.4}s elapsed",
            start.map_or(0.0, |t| t.elapsed().as_secs_f64())
        );
    }
    let p = heap.invoke_callbacks(
        Phase::Stop,
        &CallbackInfo {
            generation,
            collected,
            uncollectable: 0,
        },
    );
    if first.is_none() {
        first = p;
    }
    drop(guard);
    if let Some(p) = first {
        panic::resume_unwind(p);
    }
    collected
}

fn hd<'a>(h: NonNull<GcHeader>) -> &'a GcHeader {
    // SAFETY: every pointer handled here is a member of the working set, on which the
    // collector holds a temporary strong reference, so its allocation is live.
    unsafe { raw::header(h) }
}

/// Traces `h` with `tracer` if its type is exact (otherwise does nothing: its edges
/// count as references from outside), catching a panic.
fn trace(h: NonNull<GcHeader>, tracer: &mut Tracer<'_>) -> Result<(), PanicPayload> {
    let hd = hd(h);
    if !hd.vtable.exact || hd.counts.has(CLEARED) {
        return Ok(());
    }
    // SAFETY: live (temporary reference) and the value is not dropped (not CLEARED).
    panic::catch_unwind(AssertUnwindSafe(|| unsafe { (hd.vtable.trace)(h, tracer) }))
}

/// Copies strong counts (minus the collector's own reference) into `gc_refs`.
fn update_refs(set: &[NonNull<GcHeader>]) {
    for &h in set {
        let refs = (hd(h).counts.strong() as usize).saturating_sub(1);
        hd(h)
            .links
            .set_set_word((refs.min(usize::MAX >> 2) << 2) | IN_SET);
    }
}

/// Result of [`partition`].
struct Parted {
    /// Reachable members, already linked into the older generation (their temporary
    /// references are still held).
    survivors: Vec<NonNull<GcHeader>>,
    /// Unreachable members, still in the working-set state.
    unreachable: Vec<NonNull<GcHeader>>,
    /// A panic from a `Trace` impl while marking (everything not yet proven unreachable
    /// was then kept).
    panic: Option<PanicPayload>,
}

/// Steps 2-4: subtract internal edges, then one pass in set order (CPython's
/// `move_unreachable` idea): a member still referenced from outside is marked, and
/// everything it reaches is marked through an explicit stack and moved to `old` at once;
/// members found with no outside reference are kept as candidates, and those that no
/// later member reaches are the unreachable ones. `Err`: subtraction failed (a panic in
/// a `Trace` impl, or more edges than handles), nothing was moved.
fn partition(set: &[NonNull<GcHeader>], old: *const Links) -> Result<Parted, PanicPayload> {
    subtract(set)?;
    let mut survivors = Vec::new();
    let mut candidates = Vec::new();
    let mut stack = Vec::new();
    let mut panic = None;
    for &h in set {
        let l = &hd(h).links;
        let Some(w) = l.set_word() else {
            continue; // already reached and moved
        };
        if w >> 2 == 0 && panic.is_none() {
            candidates.push(h);
            continue;
        }
        l.set_set_word(w | REACHABLE);
        stack.push(h);
        while let Some(x) = stack.pop() {
            if panic.is_none() {
                let mut mark = Tracer::new(Mode::Mark(&mut stack));
                if let Err(p) = trace(x, &mut mark) {
                    panic = Some(p);
                }
            }
            link(old, x);
            survivors.push(x);
        }
    }
    let mut unreachable = Vec::with_capacity(candidates.len());
    for h in candidates {
        let d = hd(h);
        if d.links.set_word().is_none() {
            continue; // reached from a member visited later
        }
        if panic.is_some() {
            link(old, h);
            survivors.push(h);
            continue;
        }
        unreachable.push(h);
    }
    Ok(Parted {
        survivors,
        unreachable,
        panic,
    })
}

/// The tracked header of a node of a generation list.
fn node(p: *const Links) -> NonNull<GcHeader> {
    debug_assert!(!p.is_null());
    // SAFETY: callers pass list nodes other than the sentinel, which are tracked
    // headers (`Links` is their first field, so the cast names the same allocation).
    unsafe { NonNull::new_unchecked(p.cast_mut()) }.cast::<GcHeader>()
}

/// Step 2: subtracts the edges of every exact member from the `gc_refs` of its
/// targets. `Err`: a panic in a `Trace` impl, or more edges than handles (a wrongly
/// vouched impl); the caller abandons the collection.
fn subtract(set: &[NonNull<GcHeader>]) -> Result<(), PanicPayload> {
    let mut sub = Tracer::new(Mode::Subtract { error: false });
    for &h in set {
        trace(h, &mut sub)?;
    }
    if let Mode::Subtract { error: true } = sub.mode {
        return Err(Box::new(
            "pymemory_gc: a Trace impl vouched exact reported more references to an object than it has strong handles; collection abandoned",
        ));
    }
    Ok(())
}

/// Step 3: flags `REACHABLE` every member with outside references and everything
/// reachable from it (explicit stack, no recursion). Nothing moves. Returns the first
/// panic of a `Trace` impl (marking stops there; the caller then keeps everything).
fn mark(set: &[NonNull<GcHeader>]) -> Option<PanicPayload> {
    let mut stack = Vec::new();
    for &h in set {
        let l = &hd(h).links;
        let w = l.set_word().unwrap_or(0);
        if w & REACHABLE != 0 || w >> 2 == 0 {
            continue; // already marked, or no outside reference (yet)
        }
        l.set_set_word(w | REACHABLE);
        stack.push(h);
        while let Some(x) = stack.pop() {
            let mut tracer = Tracer::new(Mode::Mark(&mut stack));
            if let Err(p) = trace(x, &mut tracer) {
                return Some(p);
            }
        }
    }
    None
}

/// Working buffers up to this many entries (8 bytes each) are always kept.
const KEEP_WORK: usize = 1 << 14;

/// The working buffer for a collection of `generation`: young collections and full
/// ones keep separate buffers, so a young collection never writes into (or frees) the
/// large, cold buffer of the last full collection.
fn take_work(heap: &Heap, generation: usize) -> Vec<NonNull<GcHeader>> {
    if generation < NUM_GENERATIONS - 1 {
        heap.young_work.take()
    } else {
        heap.work.take()
    }
}

/// Puts the (emptied) working buffer back for the next collection. A young
/// collection's buffer is kept up to [`KEEP_WORK`] entries; a full collection (whose
/// working set is the whole heap) keeps its buffer unless it is large and more than
/// four times what it needed: at most a few words per object of the last full
/// collection stay allocated.
fn keep_work(heap: &Heap, generation: usize, mut work: Vec<NonNull<GcHeader>>, used: usize) {
    work.clear();
    if generation < NUM_GENERATIONS - 1 {
        if work.capacity() <= KEEP_WORK {
            heap.young_work.set(work);
        }
    } else if work.capacity() <= KEEP_WORK || work.capacity() / 4 <= used {
        heap.work.set(work);
    }
}

fn link(list: *const Links, h: NonNull<GcHeader>) {
    // SAFETY: `list` is a live sentinel; `h` is a working-set member, not in any list.
    unsafe { raw::link_tail(list, h) }
}

/// Drops the collector's temporary reference on each object, releasing those that die.
fn release_all(set: &[NonNull<GcHeader>], first: &mut Option<PanicPayload>) {
    for &h in set {
        if hd(h).counts.dec_strong() == 0 {
            // SAFETY: strong count reached 0; the object is linked or detached (never
            // in the working-set state any more).
            let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe { release_tracked(h) }));
            if let Err(p) = r {
                first.get_or_insert(p);
            }
        }
    }
}

fn run(heap: &Heap, generation: usize) -> (usize, Option<PanicPayload>) {
    let young = heap.list(generation);
    let old = if generation + 1 < NUM_GENERATIONS {
        heap.list(generation + 1)
    } else {
        young
    };
    for i in 0..generation {
        // SAFETY: distinct live sentinels of well-formed lists.
        unsafe { raw::splice(heap.list(i), young) };
    }
    // Step 1, one pass over the list: take the temporary reference, set gc_refs to the
    // strong count before it, and note whether any member may need the general path
    // (finalizer not run yet, weak references). The members go to the working buffer,
    // which is kept between collections (no allocation, no page faults).
    let mut work = take_work(heap, generation);
    let (mut any_finalizer, mut any_weak) = (false, false);
    // SAFETY: `young` is a live sentinel of a well-formed list.
    let mut p = unsafe { raw::links(young) }.next.get();
    while !ptr::eq(p, young) {
        let h = node(p);
        let d = hd(h);
        p = d.links.next.get();
        let refs = d.counts.strong() as usize;
        d.counts.inc_strong();
        d.links.next.set(ptr::null());
        d.links
            .set_set_word((refs.min(usize::MAX >> 2) << 2) | IN_SET);
        any_finalizer |= d.vtable.finalize.is_some() && !d.counts.has(FINALIZED | CLEARED);
        any_weak |= d.counts.weak() > 0 || d.counts.has(HAS_CALLBACKS);
        work.push(h);
    }
    // SAFETY: live sentinel; its nodes are now owned by `work`.
    unsafe { raw::links(young).init_sentinel() };
    let mut first: Option<PanicPayload> = None;

    // Steps 2-3: subtract internal edges, then mark what is reachable from outside.
    if let Err(p) = subtract(&work) {
        // Abandon: everything survives where it was.
        for &h in &work {
            link(young, h);
        }
        release_all(&work, &mut first);
        return (0, Some(p));
    }
    let mark_panic = mark(&work);
    // Without finalizers, weak references or debug output to honour, nothing runs user
    // code before the values are dropped: the split pass below can flag the garbage
    // `CLEARED` at once (one pass less over the garbage).
    let simple = !any_finalizer
        && !any_weak
        && mark_panic.is_none()
        && heap.weak_callbacks.borrow().is_empty()
        && heap.debug.get() & (DEBUG_SAVEALL | DEBUG_COLLECTABLE) == 0;

    // Step 4, split: reachable members move to `old` (their temporary reference is
    // dropped on the way when that cannot free them); unreachable ones are either
    // flagged `CLEARED` and detached, and kept at the front of `work` for the drop pass
    // (`simple`), or gathered for the general path. After a panic in a `Trace` impl
    // while marking, everything survives.
    let mut deferred = Vec::new();
    let mut survivors = 0;
    let mut unreachable = Vec::new();
    let mut already_cleared = Vec::new();
    let mut kept = 0;
    for i in 0..work.len() {
        let h = work[i];
        let d = hd(h);
        let w = d.links.set_word().unwrap_or(0);
        if w & REACHABLE != 0 || mark_panic.is_some() {
            link(old, h);
            survivors += 1;
            if d.counts.strong() > 1 {
                d.counts.dec_strong();
            } else {
                deferred.push(h);
            }
        } else if simple {
            // Detached: no longer tracked; dying handles skip the unlink.
            d.links.prev.set(ptr::null());
            if d.counts.has(CLEARED) {
                already_cleared.push(h);
            } else {
                d.counts.set(CLEARED);
                work[kept] = h;
                kept += 1;
            }
        } else {
            unreachable.push(h);
        }
    }
    work.truncate(kept);
    first = first.or(mark_panic);
    release_all(&deferred, &mut first);
    // Objects now in the oldest generation (after a full collection: all of it).
    let mut moved_to_old = survivors;
    if generation == NUM_GENERATIONS - 2 {
        let p = &heap.long_lived_pending;
        p.set(p.get() + survivors);
    }

    if simple {
        // Step 7 for the simple case: every member of the garbage is flagged already.
        let found = work.len() + already_cleared.len();
        drop_garbage(&work, &already_cleared, &mut first);
        if generation == NUM_GENERATIONS - 1 {
            heap.long_lived_pending.set(0);
            heap.long_lived_total.set(moved_to_old);
        }
        keep_work(heap, generation, work, found + survivors);
        return (found, first);
    }
    keep_work(heap, generation, work, survivors + unreachable.len());

    if heap.debug.get() & DEBUG_COLLECTABLE != 0 {
        for &h in &unreachable {
            eprintln!(
                "gc: collectable <{} {:p}>",
                (hd(h).vtable.type_name)(),
                h.as_ptr()
            );
        }
    }

    if any_weak || !heap.weak_callbacks.borrow().is_empty() {
        handle_weakrefs(heap, &unreachable, &mut first);
    }

    // PEP 442 finalizers, once per object.
    let mut finalized_any = false;
    for &h in unreachable.iter().filter(|_| any_finalizer) {
        let d = hd(h);
        if let Some(f) = d.vtable.finalize {
            if !d.counts.has(FINALIZED | CLEARED) {
                d.counts.set(FINALIZED);
                finalized_any = true;
                // SAFETY: live (temporary reference), value not dropped.
                let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe { f(h) }));
                if let Err(p) = r {
                    first.get_or_insert(p);
                }
            }
        }
    }

    // Resurrection check: only finalizers can make garbage reachable again.
    if finalized_any {
        update_refs(&unreachable);
        match partition(&unreachable, old) {
            Ok(pt) => {
                if let Some(p) = pt.panic {
                    first.get_or_insert(p);
                }
                moved_to_old += pt.survivors.len();
                release_all(&pt.survivors, &mut first);
                unreachable = pt.unreachable;
            }
            Err(p) => {
                // Be safe: everything is resurrected.
                first.get_or_insert(p);
                for &h in &unreachable {
                    link(old, h);
                }
                moved_to_old += unreachable.len();
                release_all(&unreachable, &mut first);
                unreachable.clear();
            }
        }
    }

    // Resurrected objects are not counted as collected (bpo-38379).
    let found = unreachable.len();
    if heap.debug.get() & DEBUG_SAVEALL != 0 {
        let mut g = Vec::with_capacity(unreachable.len());
        for &h in &unreachable {
            link(old, h);
            hd(h).counts.inc_strong();
            // SAFETY: tracked and live; the strong count was taken for the handle.
            g.push(unsafe { GcAny::from_header(h) });
        }
        moved_to_old += g.len();
        heap.garbage.borrow_mut().extend(g);
        release_all(&unreachable, &mut first);
    } else {
        // First flag everything, then drop: from the first `Drop` on, no member of this
        // garbage can be dereferenced any more (a `Drop` that stashes a handle to another
        // member must not be able to make a `&T` that outlives the member's value).
        let mut already_cleared = Vec::new();
        unreachable.retain(|&h| {
            let d = hd(h);
            // Detached: no longer tracked; dying handles skip the unlink.
            d.links.prev.set(ptr::null());
            if d.counts.has(CLEARED) {
                already_cleared.push(h);
                false
            } else {
                d.counts.set(CLEARED);
                true
            }
        });
        drop_garbage(&unreachable, &already_cleared, &mut first);
    }

    if generation == NUM_GENERATIONS - 1 {
        heap.long_lived_pending.set(0);
        heap.long_lived_total.set(moved_to_old);
    }
    (found, first)
}

/// Step 7, the end: drops the values of `cleared` (detached garbage, each flagged
/// `CLEARED` while its value was still alive, before any of them was dropped), then lets
/// go of the collector's temporary reference on each, and on `already_cleared` (garbage
/// whose value an earlier collection dropped).
fn drop_garbage(
    cleared: &[NonNull<GcHeader>],
    already_cleared: &[NonNull<GcHeader>],
    first: &mut Option<PanicPayload>,
) {
    for &h in cleared {
        let drop_value = hd(h).vtable.drop_value;
        // SAFETY: live (temporary reference); the value was alive until it was flagged
        // CLEARED (callers flag only values not CLEARED before), so it is dropped once, and
        // handles now panic or give `None` instead of reaching it.
        let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe { drop_value(h) }));
        if let Err(p) = r {
            first.get_or_insert(p);
        }
        release_cleared(h, first);
    }
    for &h in already_cleared {
        release_cleared(h, first);
    }
}

/// Drops the collector's temporary reference on a detached object whose value was
/// dropped, freeing it if that was the last handle.
fn release_cleared(h: NonNull<GcHeader>, first: &mut Option<PanicPayload>) {
    let d = hd(h);
    // Members not visited yet keep their temporary reference, so a value's drop can
    // only free members already visited (and detached) or outside objects.
    if d.counts.dec_strong() == 0 {
        if d.counts.has(HAS_CALLBACKS) {
            // Registered by a finalizer: the general path runs the callbacks.
            // SAFETY: strong count reached 0; `h` is detached.
            let r = panic::catch_unwind(AssertUnwindSafe(|| unsafe { release_tracked(h) }));
            if let Err(p) = r {
                first.get_or_insert(p);
            }
        } else if d.counts.weak() == 0 {
            // SAFETY: dead (strong 0, value dropped, detached, finalizer done or absent)
            // and no weak handle left.
            unsafe { (d.vtable.dealloc)(h) };
        } else {
            d.counts.set(DEAD);
        }
    }
}

/// Clears weak references to unreachable objects and runs the callbacks of the weak
/// references that are themselves alive outside the garbage (CPython's `handle_weakrefs`).
fn handle_weakrefs(
    heap: &Heap,
    unreachable: &[NonNull<GcHeader>],
    first: &mut Option<PanicPayload>,
) {
    let mut any_callbacks = false;
    for &h in unreachable {
        let c = &hd(h).counts;
        if c.weak() > 0 || c.has(HAS_CALLBACKS) {
            c.set(WEAK_CLEARED);
        }
        any_callbacks |= c.has(HAS_CALLBACKS);
    }
    if heap.weak_callbacks.borrow().is_empty() {
        return;
    }
    // Weak references held only by garbage are garbage: their callbacks never run
    // (even for referents outside the garbage that die while it is cleared).
    let mut held = HashMap::new();
    for &h in unreachable {
        let mut t = Tracer::new(Mode::WeakRecords(&mut held));
        if let Err(p) = trace(h, &mut t) {
            first.get_or_insert(p);
        }
    }
    let mut disabled = Vec::new();
    for (_, (n, rec)) in held {
        // `rec` is one extra strong reference taken by the tracer.
        if std::rc::Rc::strong_count(&rec) - 1 <= n {
            if let Some(cb) = rec.callback.borrow_mut().take() {
                disabled.push(cb);
            }
        }
    }
    let r = panic::catch_unwind(AssertUnwindSafe(|| drop(disabled)));
    if let Err(p) = r {
        first.get_or_insert(p);
    }
    if !any_callbacks {
        return;
    }
    let mut callbacks = Vec::new();
    for &h in unreachable {
        let c = &hd(h).counts;
        if c.has(HAS_CALLBACKS) {
            c.unset(HAS_CALLBACKS);
            let entry = heap.weak_callbacks.borrow_mut().remove(&h.as_ptr().addr());
            for rec in entry.into_iter().flatten().rev() {
                if let Some(rec) = rec.upgrade() {
                    if let Some(cb) = rec.callback.borrow_mut().take() {
                        callbacks.push(cb);
                    }
                }
            }
        }
    }
    for cb in callbacks {
        if let Err(p) = panic::catch_unwind(AssertUnwindSafe(cb)) {
            first.get_or_insert(p);
        }
    }
}
