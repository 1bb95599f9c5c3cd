//! A per-thread small-block allocator for tracked boxes (CPython's pymalloc plays this
//! role for Python objects).
//!
//! Blocks of one size (a multiple of 8 up to [`MAX_BLOCK`] bytes) are carved from
//! 16 KiB *pools* aligned to their size, so the pool of a block is found by masking
//! its address. Each pool keeps a LIFO free list of its blocks, a bump offset for
//! never-used ones and a count of blocks in use. Pools with room are in a doubly
//! linked "available" list per size class; allocation takes from its head (the pool
//! that most recently got a block back, whose memory is still in the CPU cache). A
//! pool whose last block is freed goes to a small spare list (reused by any size
//! class) or back to the global allocator, unless it is the only pool with room in
//! its class (so alloc/free churn does not map and unmap a pool each time).
//!
//! Compared with one global-allocator call per object: no per-block allocator header
//! (a 56-byte box takes 56 bytes, not 64), no lock or atomic instruction once the
//! process has a second thread, and a few instructions per allocation and free.
//!
//! Thread exit: [`Pools::release_all`] frees the empty pools and *orphans* the others
//! (objects still alive, e.g. dead objects waiting for their last `Weak`); a block of
//! an orphaned pool is freed through [`free_orphan`] when no heap exists, and the pool
//! goes back to the global allocator with its last block.
//!
//! All raw pointer work of the allocator lives in this module.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::cell::Cell;
use std::ptr;

/// Bytes per pool (and its alignment).
const POOL_SIZE: usize = 16 * 1024;
/// Largest block size served from pools.
pub(crate) const MAX_BLOCK: usize = 256;
/// Size classes: one per multiple of 8 up to [`MAX_BLOCK`].
const CLASSES: usize = MAX_BLOCK / 8 + 1;
/// Offset of the first block (the header, rounded up).
const FIRST: usize = 64;
/// Empty pools kept for reuse (256 KiB).
const SPARE_POOLS: usize = 16;

const POOL_LAYOUT: Layout = match Layout::from_size_align(POOL_SIZE, POOL_SIZE) {
    Ok(l) => l,
    Err(_) => panic!("pool layout"),
};

/// Header at the start of every pool.
#[repr(C)]
struct Pool {
    /// Free blocks of this pool; the first word of each is the next one (null: end).
    free: Cell<*mut u8>,
    /// Offset of the first never-used block.
    bump: Cell<usize>,
    /// Blocks handed out.
    used: Cell<usize>,
    /// Block size.
    size: Cell<usize>,
    /// Links of the available list of the size class (or of the spare list: `next`).
    prev: Cell<*mut Pool>,
    next: Cell<*mut Pool>,
    /// Whether the pool is in its class's available list.
    listed: Cell<bool>,
}

const _: () = assert!(size_of::<Pool>() <= FIRST && FIRST % 8 == 0);

/// The per-thread pools of all size classes.
pub(crate) struct Pools {
    avail: [Cell<*mut Pool>; CLASSES],
    spare: Cell<*mut Pool>,
    spare_len: Cell<usize>,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools")
            .field("spare", &self.spare_len.get())
            .finish_non_exhaustive()
    }
}

/// The header of a live pool.
fn pool<'a>(p: *mut Pool) -> &'a Pool {
    debug_assert!(!p.is_null());
    // SAFETY: every `*mut Pool` handled here points to the start of a live pool
    // allocation whose header was initialised by `Pools::new_pool` (callers pass pools
    // from the lists or from `pool_of` on a block handed out and not yet freed).
    unsafe { &*p }
}

/// The pool containing `block`.
fn pool_of(block: *mut u8) -> *mut Pool {
    // Pools are aligned to their size, so masking the address gives the pool start;
    // `map_addr` keeps the block's provenance (the whole pool allocation).
    block.map_addr(|a| a & !(POOL_SIZE - 1)).cast::<Pool>()
}

impl Pools {
    pub(crate) const fn new() -> Self {
        Pools {
            avail: [const { Cell::new(ptr::null_mut()) }; CLASSES],
            spare: Cell::new(ptr::null_mut()),
            spare_len: Cell::new(0),
        }
    }

    /// A block of `size` bytes (a multiple of 8, at least 8, at most [`MAX_BLOCK`]),
    /// aligned to 8. Never null (aborts like `Box::new` when memory is exhausted).
    #[inline]
    pub(crate) fn alloc(&self, size: usize) -> *mut u8 {
        debug_assert!(size % 8 == 0 && (8..=MAX_BLOCK).contains(&size));
        let head = &self.avail[size / 8];
        let mut p = head.get();
        if p.is_null() {
            p = self.new_pool(size);
            self.push_avail(p);
        }
        let pl = pool(p);
        let b = pl.free.get();
        let b = if b.is_null() {
            let off = pl.bump.get();
            pl.bump.set(off + size);
            // SAFETY: `off + size <= POOL_SIZE` (a listed pool has room: checked when
            // the bump moved last), so the block is inside the pool allocation.
            unsafe { p.cast::<u8>().add(off) }
        } else {
            // SAFETY: a free block's first word holds the next free block.
            pl.free.set(unsafe { b.cast::<*mut u8>().read() });
            b
        };
        pl.used.set(pl.used.get() + 1);
        if pl.free.get().is_null() && pl.bump.get() + size > POOL_SIZE {
            self.unlist(p); // full
        }
        b
    }

    /// Frees a block returned by [`Pools::alloc`] of this thread (or of an earlier heap
    /// of this thread whose pools were orphaned).
    ///
    /// # Safety
    /// `block` came from `alloc` on this thread, is not used any more and not freed yet.
    #[inline]
    pub(crate) unsafe fn free(&self, block: *mut u8) {
        let p = pool_of(block);
        let pl = pool(p);
        // SAFETY: the block is unused (contract), at least 8 bytes and aligned 8.
        unsafe { block.cast::<*mut u8>().write(pl.free.get()) };
        pl.free.set(block);
        let used = pl.used.get() - 1;
        pl.used.set(used);
        if !pl.listed.get() {
            self.push_avail(p); // was full (or orphaned)
        }
        if used == 0 {
            let head = self.avail[pl.size.get() / 8].get();
            let only = head == p && pl.next.get().is_null();
            if !only {
                self.unlist(p);
                self.release_pool(p);
            }
        }
    }

    fn new_pool(&self, size: usize) -> *mut Pool {
        let mut p = self.spare.get();
        if p.is_null() {
            // SAFETY: `POOL_LAYOUT` has a non-zero size.
            p = unsafe { alloc(POOL_LAYOUT) }.cast::<Pool>();
            if p.is_null() {
                handle_alloc_error(POOL_LAYOUT);
            }
        } else {
            self.spare.set(pool(p).next.get());
            self.spare_len.set(self.spare_len.get() - 1);
        }
        // SAFETY: `p` is an unused pool allocation (fresh or spare), aligned and large
        // enough for the header.
        unsafe {
            p.write(Pool {
                free: Cell::new(ptr::null_mut()),
                bump: Cell::new(FIRST),
                used: Cell::new(0),
                size: Cell::new(size),
                prev: Cell::new(ptr::null_mut()),
                next: Cell::new(ptr::null_mut()),
                listed: Cell::new(false),
            });
        }
        p
    }

    /// An empty, unlisted pool: kept as a spare or given back.
    fn release_pool(&self, p: *mut Pool) {
        if self.spare_len.get() < SPARE_POOLS {
            pool(p).next.set(self.spare.get());
            self.spare.set(p);
            self.spare_len.set(self.spare_len.get() + 1);
        } else {
            // SAFETY: allocated with `POOL_LAYOUT`; empty and unlisted, so no block or
            // list refers to it.
            unsafe { dealloc(p.cast::<u8>(), POOL_LAYOUT) };
        }
    }

    fn push_avail(&self, p: *mut Pool) {
        let pl = pool(p);
        let head = &self.avail[pl.size.get() / 8];
        let old = head.get();
        pl.prev.set(ptr::null_mut());
        pl.next.set(old);
        if !old.is_null() {
            pool(old).prev.set(p);
        }
        head.set(p);
        pl.listed.set(true);
    }

    fn unlist(&self, p: *mut Pool) {
        let pl = pool(p);
        let (prev, next) = (pl.prev.get(), pl.next.get());
        if prev.is_null() {
            self.avail[pl.size.get() / 8].set(next);
        } else {
            pool(prev).next.set(next);
        }
        if !next.is_null() {
            pool(next).prev.set(prev);
        }
        pl.prev.set(ptr::null_mut());
        pl.next.set(ptr::null_mut());
        pl.listed.set(false);
    }

    /// At heap release: gives back every empty pool and orphans the others (unlisted;
    /// their blocks are freed later through [`free_orphan`] or a new heap's `free`).
    pub(crate) fn release_all(&self) {
        for head in &self.avail {
            let mut p = head.get();
            while !p.is_null() {
                let next = pool(p).next.get();
                self.unlist(p);
                if pool(p).used.get() == 0 {
                    // SAFETY: allocated with `POOL_LAYOUT`; empty and now unlisted.
                    unsafe { dealloc(p.cast::<u8>(), POOL_LAYOUT) };
                }
                p = next;
            }
        }
        let mut p = self.spare.replace(ptr::null_mut());
        while !p.is_null() {
            let next = pool(p).next.get();
            // SAFETY: spare pools are empty allocations of `POOL_LAYOUT`.
            unsafe { dealloc(p.cast::<u8>(), POOL_LAYOUT) };
            p = next;
        }
        self.spare_len.set(0);
    }

    /// Pools with room in the class of `size`, and spare pools (for tests).
    #[cfg(test)]
    pub(crate) fn counts(&self, size: usize) -> (usize, usize) {
        let mut n = 0;
        let mut p = self.avail[size / 8].get();
        while !p.is_null() {
            n += 1;
            p = pool(p).next.get();
        }
        (n, self.spare_len.get())
    }
}

/// Frees a block when this thread has no heap (any more): its pool was orphaned by
/// [`Pools::release_all`] and goes back to the global allocator with its last block.
///
/// # Safety
/// As for [`Pools::free`], and the block's pool is orphaned (not in any list).
pub(crate) unsafe fn free_orphan(block: *mut u8) {
    let p = pool_of(block);
    let pl = pool(p);
    debug_assert!(!pl.listed.get());
    // SAFETY: the block is unused (contract), at least 8 bytes and aligned 8.
    unsafe { block.cast::<*mut u8>().write(pl.free.get()) };
    pl.free.set(block);
    pl.used.set(pl.used.get() - 1);
    if pl.used.get() == 0 {
        // SAFETY: allocated with `POOL_LAYOUT`; empty and in no list.
        unsafe { dealloc(p.cast::<u8>(), POOL_LAYOUT) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_reused_lifo_and_pools_given_back() {
        let pools = Pools::new();
        let a = pools.alloc(56);
        // SAFETY: `a` was just allocated and is not used.
        unsafe { pools.free(a) };
        let b = pools.alloc(56);
        assert_eq!(a, b);
        // Fill several pools, write every block, free in a scattered order.
        let n = 3 * (POOL_SIZE - FIRST) / 56 + 7;
        let mut blocks: Vec<*mut u8> = (0..n).map(|_| pools.alloc(56)).collect();
        for (i, &p) in blocks.iter().enumerate() {
            assert_eq!(p.addr() % 8, 0);
            // SAFETY: a fresh 56-byte block.
            unsafe { p.cast::<[u64; 7]>().write([i as u64; 7]) };
        }
        for (i, &p) in blocks.iter().enumerate() {
            // SAFETY: written above, not freed.
            assert_eq!(unsafe { p.cast::<[u64; 7]>().read() }, [i as u64; 7]);
        }
        let (listed, _) = pools.counts(56);
        assert!(listed >= 1);
        blocks.reverse();
        blocks.rotate_left(n / 3);
        for p in blocks {
            // SAFETY: allocated above, freed once.
            unsafe { pools.free(p) };
        }
        // `b`'s pool is left with room (and perhaps one emptied pool kept as the only
        // one with room when it emptied); the other emptied pools became spares.
        let (listed, spare) = pools.counts(56);
        assert!((1..=2).contains(&listed), "{listed}");
        assert_eq!(listed + spare, 4);
        // Spares serve another size class.
        let c = pools.alloc(200);
        assert_eq!(pools.counts(56).1 + 1, spare);
        // SAFETY: allocated above, freed once.
        unsafe {
            pools.free(c);
            pools.free(b);
        }
        pools.release_all();
        assert_eq!(pools.counts(56), (0, 0));
    }

    #[test]
    fn orphaned_pools_are_freed_with_their_last_block() {
        let pools = Pools::new();
        let blocks: Vec<*mut u8> = (0..500).map(|_| pools.alloc(32)).collect();
        pools.release_all();
        for p in blocks {
            // SAFETY: allocated above, freed once; `release_all` orphaned the pools.
            unsafe { free_orphan(p) };
        }
        // A new set of pools frees an orphaned block too (a heap made again later).
        let old = Pools::new();
        let x = old.alloc(48);
        old.release_all();
        let new = Pools::new();
        // SAFETY: allocated above, freed once.
        unsafe { new.free(x) };
        new.release_all();
    }
}
