//! Object layout, allocation and the intrusive generation lists.
//!
//! Every raw pointer operation on object memory lives here (plus the clearly marked
//! pointer walks of `collect.rs` and the small-block allocator of `pool.rs`, which
//! provides the memory of most tracked boxes), so the unsafe surface stays small.
//!
//! ```text
//!  tracked object (T::MAY_CONTAIN_GC)          untracked object
//!  +--------------------------+ 0              +--------------------------+ 0
//!  | next  *const Links       |                | strong u32 | weak+flags  |
//!  | prev  *const Links       | (gc_refs while +--------------------------+ 8
//!  | vtable &'static VTable   |  collecting)   | value: T                 |
//!  | strong u32 | weak+flags  |                +--------------------------+
//!  +--------------------------+ 32
//!  | value: T                 |
//!  +--------------------------+
//! ```
//!
//! 32 bytes of header for tracked objects (CPython: 16-byte GC head + 16-byte object
//! head), 8 bytes for untracked ones (plus padding when `T` is aligned above 8).

use std::alloc::Layout;
use std::any::TypeId;
use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};

use crate::Trace;
use crate::pool::{self, Pools};
use crate::trace::Tracer;

/// Flag: `finalize` has run (PEP 442: at most once).
pub(crate) const FINALIZED: u32 = 1;
/// Flag: the value has been dropped (by the collector or at death).
pub(crate) const CLEARED: u32 = 2;
/// Flag: weak references were cleared by the collector; `upgrade` returns `None`.
pub(crate) const WEAK_CLEARED: u32 = 4;
/// Flag: weak references with callbacks are registered in the heap's side table.
pub(crate) const HAS_CALLBACKS: u32 = 8;
/// Flag: the strong count reached zero for good; memory waits for the last `Weak`.
pub(crate) const DEAD: u32 = 16;
const FLAG_BITS: u32 = 5;
const WEAK_ONE: u32 = 1 << FLAG_BITS;

/// Strong count, weak count and flags: 8 bytes in every object.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Counts {
    strong: Cell<u32>,
    bits: Cell<u32>,
}

impl Counts {
    pub(crate) const fn new() -> Self {
        Counts {
            strong: Cell::new(1),
            bits: Cell::new(0),
        }
    }
    #[inline]
    pub(crate) fn strong(&self) -> u32 {
        self.strong.get()
    }
    #[inline]
    pub(crate) fn set_strong(&self, n: u32) {
        self.strong.set(n);
    }
    #[inline]
    pub(crate) fn inc_strong(&self) {
        let n = self.strong.get();
        if n == u32::MAX {
            // Like `Rc`: an overflowing count cannot be handled soundly.
            std::process::abort();
        }
        self.strong.set(n + 1);
    }
    /// Decrements and returns the new count.
    #[inline]
    pub(crate) fn dec_strong(&self) -> u32 {
        let n = self.strong.get() - 1;
        self.strong.set(n);
        n
    }
    #[inline]
    pub(crate) fn weak(&self) -> u32 {
        self.bits.get() >> FLAG_BITS
    }
    #[inline]
    pub(crate) fn inc_weak(&self) {
        let b = self.bits.get();
        if b >= u32::MAX - WEAK_ONE {
            std::process::abort();
        }
        self.bits.set(b + WEAK_ONE);
    }
    #[inline]
    pub(crate) fn dec_weak(&self) -> u32 {
        let b = self.bits.get() - WEAK_ONE;
        self.bits.set(b);
        b >> FLAG_BITS
    }
    #[inline]
    pub(crate) fn has(&self, flag: u32) -> bool {
        self.bits.get() & flag != 0
    }
    #[inline]
    pub(crate) fn set(&self, flag: u32) {
        self.bits.set(self.bits.get() | flag);
    }
    #[inline]
    pub(crate) fn unset(&self, flag: u32) {
        self.bits.set(self.bits.get() & !flag);
    }
}

/// Intrusive doubly linked list node; also the list sentinel.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Links {
    pub(crate) next: Cell<*const Links>,
    /// A real pointer while linked; `null` when detached; while the collector owns the
    /// object, an integer `gc_refs << 2 | IN_SET (| REACHABLE)` without provenance.
    pub(crate) prev: Cell<*const Links>,
}

pub(crate) const IN_SET: usize = 1;
pub(crate) const REACHABLE: usize = 2;

impl Links {
    pub(crate) const fn new() -> Self {
        Links {
            next: Cell::new(ptr::null()),
            prev: Cell::new(ptr::null()),
        }
    }
    /// Makes `self` an empty circular list (a sentinel pointing at itself).
    pub(crate) fn init_sentinel(&self) {
        let me: *const Links = self;
        self.next.set(me);
        self.prev.set(me);
    }
    pub(crate) fn is_empty_list(&self) -> bool {
        ptr::eq(self.next.get(), self)
    }
    /// The collector's encoded word, if the node is in the set being collected.
    #[inline]
    pub(crate) fn set_word(&self) -> Option<usize> {
        let w = self.prev.get().addr();
        (w & IN_SET != 0).then_some(w)
    }
    #[inline]
    pub(crate) fn set_set_word(&self, w: usize) {
        self.prev.set(ptr::without_provenance(w));
    }
    pub(crate) fn is_linked(&self) -> bool {
        !self.prev.get().is_null()
    }
}

/// Type-erased operations of a tracked type.
pub(crate) struct VTable {
    pub(crate) trace: unsafe fn(NonNull<GcHeader>, &mut Tracer<'_>),
    /// `T::EXACTNESS`: only exact types' edges are subtracted (see `collect.rs`).
    pub(crate) exact: bool,
    pub(crate) finalize: Option<unsafe fn(NonNull<GcHeader>)>,
    pub(crate) drop_value: unsafe fn(NonNull<GcHeader>),
    pub(crate) dealloc: unsafe fn(NonNull<GcHeader>),
    pub(crate) type_id: fn() -> TypeId,
    pub(crate) type_name: fn() -> &'static str,
}

/// Header of a tracked object, the prefix of every `TrackedBox<T>`.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct GcHeader {
    pub(crate) links: Links,
    pub(crate) vtable: &'static VTable,
    pub(crate) counts: Counts,
}

impl std::fmt::Debug for VTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str((self.type_name)())
    }
}

#[repr(C)]
pub(crate) struct TrackedBox<T> {
    header: GcHeader,
    value: ManuallyDrop<T>,
}

#[repr(C)]
pub(crate) struct UntrackedBox<T> {
    counts: Counts,
    value: ManuallyDrop<T>,
}

impl<T: Trace + 'static> TrackedBox<T> {
    const VTABLE: &'static VTable = &VTable {
        trace: Self::trace_erased,
        exact: T::EXACTNESS.is_exact(),
        finalize: if T::NEEDS_FINALIZE {
            Some(Self::finalize_erased)
        } else {
            None
        },
        drop_value: Self::drop_erased,
        dealloc: Self::dealloc_erased,
        type_id: TypeId::of::<T>,
        type_name: std::any::type_name::<T>,
    };

    /// # Safety
    /// `h` points to a live `TrackedBox<T>` whose value has not been dropped.
    unsafe fn trace_erased(h: NonNull<GcHeader>, tracer: &mut Tracer<'_>) {
        // SAFETY: guaranteed by the caller (see above).
        let v = unsafe { value_ptr::<T>(h.cast()) };
        // SAFETY: the value is alive (caller), and only shared access happens here.
        unsafe { (*v).trace(tracer) }
    }

    /// # Safety
    /// As for `trace_erased`.
    unsafe fn finalize_erased(h: NonNull<GcHeader>) {
        // SAFETY: guaranteed by the caller.
        let v = unsafe { value_ptr::<T>(h.cast()) };
        // SAFETY: the value is alive (caller).
        unsafe { (*v).finalize() }
    }

    /// # Safety
    /// `h` points to a live `TrackedBox<T>` whose value has not been dropped, and no
    /// reference to the value is used afterwards (the caller sets `CLEARED` first).
    unsafe fn drop_erased(h: NonNull<GcHeader>) {
        // SAFETY: guaranteed by the caller; `CLEARED` keeps any later access out.
        unsafe { ptr::drop_in_place(value_ptr::<T>(h.cast()).cast_mut()) }
    }

    /// # Safety
    /// `h` came from `alloc_tracked::<T>`, its value was dropped, it is unlinked and no
    /// handle (strong or weak) refers to it any more.
    unsafe fn dealloc_erased(h: NonNull<GcHeader>) {
        // SAFETY: the caller's guarantee is `dealloc_tracked`'s contract.
        unsafe { dealloc_tracked::<T>(crate::heap::pools(), h) }
    }
}

/// Whether boxes of `TrackedBox<T>` come from the per-thread pools (a constant per
/// type): alignment at most 8 and at most [`pool::MAX_BLOCK`] bytes.
const fn pooled<T>() -> bool {
    align_of::<TrackedBox<T>>() == 8 && size_of::<TrackedBox<T>>() <= pool::MAX_BLOCK
}

/// Allocates a tracked object with strong count 1, not yet linked: from this thread's
/// `pools` (see `pool.rs`) for the usual small types, else from the global allocator.
#[inline]
pub(crate) fn alloc_tracked<T: Trace + 'static>(pools: &Pools, value: T) -> NonNull<u8> {
    let layout = Layout::new::<TrackedBox<T>>();
    let p: *mut TrackedBox<T> = if pooled::<T>() {
        pools.alloc(layout.size()).cast()
    } else {
        // SAFETY: `layout` has a non-zero size (the header alone is 32 bytes).
        let p = unsafe { std::alloc::alloc(layout) };
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        p.cast()
    };
    // SAFETY: `p` is an unused, non-null block with the size and alignment of
    // `TrackedBox<T>` (a pool block of exactly its size, aligned 8, or a fresh
    // allocation of its layout).
    unsafe {
        p.write(TrackedBox {
            header: GcHeader {
                links: Links::new(),
                vtable: TrackedBox::<T>::VTABLE,
                counts: Counts::new(),
            },
            value: ManuallyDrop::new(value),
        });
        NonNull::new_unchecked(p).cast()
    }
}

/// Frees a tracked allocation of a known type: back to this thread's `pools` (or, when
/// the thread has no heap any more, to its orphaned pool), or to the global allocator.
///
/// # Safety
/// As for `TrackedBox::<T>::dealloc_erased`: `h` came from `alloc_tracked::<T>` on this
/// thread, its value was dropped, it is unlinked and no handle refers to it any more.
#[inline]
pub(crate) unsafe fn dealloc_tracked<T: Trace + 'static>(
    pools: Option<&Pools>,
    h: NonNull<GcHeader>,
) {
    let b = h.as_ptr().cast::<u8>();
    if pooled::<T>() {
        match pools {
            // SAFETY: a pool block of this thread, unused from now on (contract).
            Some(pools) => unsafe { pools.free(b) },
            // SAFETY: as above; without a heap its pool was orphaned at heap release.
            None => unsafe { pool::free_orphan(b) },
        }
    } else {
        // SAFETY: allocated by `alloc_tracked::<T>` with this layout (contract); the
        // value field is `ManuallyDrop`, so only memory is freed.
        unsafe { std::alloc::dealloc(b, Layout::new::<TrackedBox<T>>()) }
    }
}

/// Allocates an untracked object with strong count 1.
pub(crate) fn alloc_untracked<T>(value: T) -> NonNull<u8> {
    let b = Box::new(UntrackedBox {
        counts: Counts::new(),
        value: ManuallyDrop::new(value),
    });
    NonNull::from(Box::leak(b)).cast()
}

/// Frees an untracked allocation.
///
/// # Safety
/// `p` came from `alloc_untracked::<T>`, its value was dropped and no handle remains.
pub(crate) unsafe fn dealloc_untracked<T>(p: NonNull<u8>) {
    // SAFETY: see the function contract; the value field is `ManuallyDrop`.
    drop(unsafe { Box::from_raw(p.as_ptr().cast::<UntrackedBox<T>>()) });
}

/// Drops the value of an untracked allocation in place.
///
/// # Safety
/// `p` came from `alloc_untracked::<T>` and its value is alive and unborrowed.
pub(crate) unsafe fn drop_untracked_value<T: Trace + 'static>(p: NonNull<u8>) {
    // SAFETY: see the function contract.
    unsafe { ptr::drop_in_place(value_ptr::<T>(p).cast_mut()) }
}

/// Drops the value of a tracked allocation in place.
///
/// # Safety
/// `h` came from `alloc_tracked::<T>`, its value is alive and no reference to it is
/// used afterwards.
#[inline]
pub(crate) unsafe fn drop_tracked_value<T: Trace + 'static>(h: NonNull<GcHeader>) {
    // SAFETY: see the function contract.
    unsafe { ptr::drop_in_place(value_ptr::<T>(h.cast()).cast_mut()) }
}

/// The counts of an object of type `T` (tracked or not).
///
/// # Safety
/// `p` came from `alloc_tracked::<T>`/`alloc_untracked::<T>` (by `T::MAY_CONTAIN_GC`) and
/// the allocation is still live.
#[inline]
pub(crate) unsafe fn counts<'a, T: Trace + 'static>(p: NonNull<u8>) -> &'a Counts {
    if T::MAY_CONTAIN_GC {
        // SAFETY: per the contract the allocation is a live `TrackedBox<T>`.
        unsafe { &(*p.as_ptr().cast::<TrackedBox<T>>()).header.counts }
    } else {
        // SAFETY: per the contract the allocation is a live `UntrackedBox<T>`.
        unsafe { &(*p.as_ptr().cast::<UntrackedBox<T>>()).counts }
    }
}

/// Pointer to the value of an object of type `T`.
///
/// # Safety
/// As for [`counts`].
#[inline]
pub(crate) unsafe fn value_ptr<T: Trace + 'static>(p: NonNull<u8>) -> *const T {
    if T::MAY_CONTAIN_GC {
        let b = p.as_ptr().cast::<TrackedBox<T>>();
        // SAFETY: in bounds of the live allocation (contract); no reference is created.
        unsafe { ptr::addr_of!((*b).value).cast::<T>() }
    } else {
        let b = p.as_ptr().cast::<UntrackedBox<T>>();
        // SAFETY: as above.
        unsafe { ptr::addr_of!((*b).value).cast::<T>() }
    }
}

/// Borrow of a tracked header.
///
/// # Safety
/// `h` points to a live tracked allocation.
#[inline]
pub(crate) unsafe fn header<'a>(h: NonNull<GcHeader>) -> &'a GcHeader {
    // SAFETY: see the function contract; every field is a `Cell` or shared data.
    unsafe { h.as_ref() }
}

/// Links of a node or sentinel.
///
/// # Safety
/// `l` points to a live `Links` (a sentinel of a live heap or a tracked header).
#[inline]
pub(crate) unsafe fn links<'a>(l: *const Links) -> &'a Links {
    // SAFETY: see the function contract.
    unsafe { &*l }
}

/// Appends `node` at the tail of the list whose sentinel is `list`.
///
/// # Safety
/// `list` is a live sentinel; `node` a live, detached tracked header.
pub(crate) unsafe fn link_tail(list: *const Links, node: NonNull<GcHeader>) {
    let n: *const Links = node.as_ptr().cast_const().cast();
    // SAFETY: both live per the contract; the list is well formed so `last` is live.
    unsafe {
        let last = (*list).prev.get();
        (*n).prev.set(last);
        (*n).next.set(list);
        (*last).next.set(n);
        (*list).prev.set(n);
    }
}

/// Removes a linked node from its list and marks it detached.
///
/// # Safety
/// `node` is live and linked in a well-formed list (its `prev` is a real pointer).
pub(crate) unsafe fn unlink(node: NonNull<GcHeader>) {
    // SAFETY: per the contract the neighbours are live nodes or sentinels.
    unsafe {
        let l = &(*node.as_ptr()).links;
        let p = l.prev.get();
        let n = l.next.get();
        (*p).next.set(n);
        (*n).prev.set(p);
        l.next.set(ptr::null());
        l.prev.set(ptr::null());
    }
}

/// Removes a linked node that is about to die from its list, without resetting its own
/// links (nothing reads them again: the object is freed or only weak handles remain).
///
/// # Safety
/// As for [`unlink`], and `node` is never linked, unlinked or checked with
/// `is_linked` again.
#[inline]
pub(crate) unsafe fn unlink_dying(node: NonNull<GcHeader>) {
    // SAFETY: per the contract the neighbours are live nodes or sentinels.
    unsafe {
        let l = &(*node.as_ptr()).links;
        let p = l.prev.get();
        let n = l.next.get();
        (*p).next.set(n);
        (*n).prev.set(p);
    }
}

/// Moves every node of `from` to the tail of `to`; `from` becomes empty.
///
/// # Safety
/// Both are live sentinels of well-formed lists, and distinct.
pub(crate) unsafe fn splice(from: *const Links, to: *const Links) {
    // SAFETY: per the contract all touched nodes are live.
    unsafe {
        let f = &*from;
        if f.is_empty_list() {
            return;
        }
        let first = f.next.get();
        let last = f.prev.get();
        let tail = (*to).prev.get();
        (*tail).next.set(first);
        (*first).prev.set(tail);
        (*last).next.set(to);
        (*to).prev.set(last);
        f.init_sentinel();
    }
}

/// The nodes of a list, in order.
///
/// # Safety
/// `list` is a live sentinel of a well-formed list.
pub(crate) unsafe fn list_nodes(list: *const Links) -> Vec<NonNull<GcHeader>> {
    let mut out = Vec::new();
    // SAFETY: the list is well formed (contract): every `next` is a live node or `list`.
    unsafe {
        let mut p = (*list).next.get();
        while !ptr::eq(p, list) {
            out.push(NonNull::new_unchecked(p.cast_mut()).cast::<GcHeader>());
            p = (*p).next.get();
        }
    }
    out
}

/// Number of nodes in a list.
///
/// # Safety
/// As for [`list_nodes`].
pub(crate) unsafe fn list_len(list: *const Links) -> usize {
    let mut n = 0;
    // SAFETY: as in `list_nodes`.
    unsafe {
        let mut p = (*list).next.get();
        while !ptr::eq(p, list) {
            n += 1;
            p = (*p).next.get();
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value stored as a tracked object (`MAY_CONTAIN_GC` keeps its default `true`).
    struct Tracked<T>(T);
    impl<T> crate::Finalize for Tracked<T> {}
    impl<T: 'static> Trace for Tracked<T> {
        fn trace(&self, _: &mut Tracer<'_>) {}
    }

    /// The value of a live `TrackedBox<Tracked<T>>`.
    fn get<'a, T: 'static>(p: NonNull<u8>) -> &'a T {
        // SAFETY: callers pass a box allocated and initialised by `alloc_tracked`.
        unsafe { &(*value_ptr::<Tracked<T>>(p)).0 }
    }

    /// Frees a box allocated by `alloc_tracked::<T>` whose value is alive.
    fn free<T: Trace + 'static>(pools: &Pools, p: NonNull<u8>) {
        // SAFETY: `p` came from `alloc_tracked::<T>` in this test, is not linked, and no
        // handle refers to it; the value is dropped exactly once, then the memory freed.
        unsafe {
            drop_tracked_value::<T>(p.cast());
            dealloc_tracked::<T>(Some(pools), p.cast());
        }
    }

    #[test]
    fn freed_boxes_are_reused_by_values_of_the_same_size() {
        let pools = Pools::new();
        let a = alloc_tracked(&pools, Tracked(1u64));
        free::<Tracked<u64>>(&pools, a);
        let b = alloc_tracked(&pools, Tracked(2u64));
        assert_eq!(a, b, "LIFO reuse of a box of the same size");
        assert_eq!(*get::<u64>(b), 2);
        let boxes: Vec<NonNull<u8>> = (0..2000u64)
            .map(|i| alloc_tracked(&pools, Tracked(i)))
            .collect();
        for (i, &p) in boxes.iter().enumerate() {
            assert_eq!(*get::<u64>(p), i as u64);
        }
        for p in boxes {
            free::<Tracked<u64>>(&pools, p);
        }
        // A value needing a drop, in a box of the same size as `Tracked<[u64; 3]>`.
        let s = alloc_tracked(&pools, Tracked(String::from("reused")));
        free::<Tracked<String>>(&pools, s);
        let t = alloc_tracked(&pools, Tracked(String::from("again")));
        assert_eq!(s, t);
        assert_eq!(get::<String>(t), "again");
        free::<Tracked<String>>(&pools, t);
        free::<Tracked<u64>>(&pools, b);
        pools.release_all();
    }

    #[test]
    fn over_aligned_and_large_boxes_use_the_global_allocator() {
        #[repr(align(32))]
        struct Aligned(#[allow(dead_code)] u8);
        let pools = Pools::new();
        let a = alloc_tracked(&pools, Tracked(Aligned(1)));
        assert_eq!(a.as_ptr().addr() % 32, 0);
        free::<Tracked<Aligned>>(&pools, a);
        let big = alloc_tracked(&pools, Tracked([7u64; 64]));
        assert_eq!(get::<[u64; 64]>(big)[63], 7);
        free::<Tracked<[u64; 64]>>(&pools, big);
        assert_eq!(pools.counts(size_of::<TrackedBox<Tracked<u64>>>()), (0, 0));
        pools.release_all();
    }
}
