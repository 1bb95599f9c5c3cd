//! Every raw pointer operation of the crate, in one place so the unsafe surface is small.
//!
//! Views address memory that other views (and the exporter) may write at any time, so no
//! `&[u8]`/`&mut [u8]` is ever formed over exported memory: reads and writes go through raw
//! pointers with unaligned accesses. Callers establish, before calling, that every byte they
//! touch lies inside an exported buffer that is still held (bounds are checked when a view
//! is made and when an index is resolved); that is the contract of each `unsafe fn` here.

use std::cell::Cell;

/// `ptr` moved by `delta` bytes. Never dereferences; keeps provenance.
#[inline]
pub(crate) fn offset(ptr: *mut u8, delta: isize) -> *mut u8 {
    ptr.wrapping_offset(delta)
}

/// Copies `dst.len()` bytes starting at `src` into `dst`.
///
/// # Safety
/// `src..src+dst.len()` is readable exported memory (possibly written concurrently by
/// nobody else: the crate is single-threaded) that does not overlap `dst`.
#[inline]
pub(crate) unsafe fn read_into(src: *const u8, dst: &mut [u8]) {
    // SAFETY: the caller guarantees `src` is readable for `dst.len()` bytes and that it
    // does not overlap the Rust-owned `dst`.
    unsafe { std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), dst.len()) }
}

/// Copies `src` into exported memory at `dst`.
///
/// # Safety
/// `dst..dst+src.len()` is writable exported memory not overlapping `src`.
#[inline]
pub(crate) unsafe fn write_from(dst: *mut u8, src: &[u8]) {
    // SAFETY: the caller guarantees `dst` is writable for `src.len()` bytes and disjoint
    // from the Rust-owned `src`.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) }
}

/// `memmove` between two places of exported memory (they may overlap).
///
/// # Safety
/// `src` is readable and `dst` writable for `n` bytes.
#[inline]
pub(crate) unsafe fn move_bytes(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller guarantees both ranges are valid; `copy` allows overlap.
    unsafe { std::ptr::copy(src, dst, n) }
}

/// Reads a `T` at an address with any alignment.
///
/// # Safety
/// `src` is readable for `size_of::<T>()` bytes and every bit pattern is a valid `T`
/// (callers only use plain integer and float types).
#[inline]
pub(crate) unsafe fn read<T: Copy>(src: *const u8) -> T {
    // SAFETY: see the function contract; `read_unaligned` has no alignment requirement.
    unsafe { src.cast::<T>().read_unaligned() }
}

/// Writes a `T` at an address with any alignment.
///
/// # Safety
/// `dst` is writable for `size_of::<T>()` bytes.
#[inline]
pub(crate) unsafe fn write<T: Copy>(dst: *mut u8, value: T) {
    // SAFETY: see the function contract; `write_unaligned` has no alignment requirement.
    unsafe { dst.cast::<T>().write_unaligned(value) }
}

/// Follows a PIL-style indirection: reads the pointer stored at `ptr` and adds `suboffset`.
///
/// # Safety
/// `ptr` is readable for one pointer, and the exporter stored a valid pointer there (its
/// `BufferExporter` contract).
#[inline]
pub(crate) unsafe fn follow_suboffset(ptr: *const u8, suboffset: isize) -> *mut u8 {
    // SAFETY: the caller guarantees a pointer value is stored (unaligned is fine) at `ptr`.
    let target: *mut u8 = unsafe { ptr.cast::<*mut u8>().read_unaligned() };
    target.wrapping_offset(suboffset)
}

/// Turns an owned boxed slice into a boxed slice of `Cell`s without copying, so views can
/// write it through shared pointers.
pub(crate) fn into_cells<T>(data: Box<[T]>) -> Box<[Cell<T>]> {
    let raw: *mut [T] = Box::into_raw(data);
    // SAFETY: `Cell<T>` is `repr(transparent)` over `T` (same size, alignment and bit
    // validity), so the allocation made for `[T]` is a valid `[Cell<T>]` of the same
    // length and layout; ownership moves from the consumed box to the new one.
    unsafe { Box::from_raw(raw as *mut [Cell<T>]) }
}

/// A pointer to the first byte of a slice of cells. Writes through it are allowed because
/// every byte lies inside an `UnsafeCell` (the `Cell`s).
pub(crate) fn cells_ptr<T>(cells: &[Cell<T>]) -> *mut u8 {
    cells.as_ptr().cast::<u8>().cast_mut()
}

/// A new vector holding a copy of `len` bytes at `src` (no zero-fill pass first).
///
/// # Safety
/// `src` is readable for `len` bytes.
pub(crate) unsafe fn read_to_vec(src: *const u8, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    // SAFETY: `v` has capacity for `len` bytes and is a fresh allocation disjoint from
    // `src`; after the copy the first `len` bytes are initialised, so `set_len` is sound.
    unsafe {
        std::ptr::copy_nonoverlapping(src, v.as_mut_ptr(), len);
        v.set_len(len);
    }
    v
}

/// A `String` from bytes the caller produced as ASCII (hex digits and an ASCII
/// separator), skipping a second validation pass over large outputs.
pub(crate) fn ascii_to_string(bytes: Vec<u8>) -> String {
    debug_assert!(bytes.is_ascii());
    if cfg!(debug_assertions) && !bytes.is_ascii() {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    // SAFETY: every caller writes only ASCII bytes (hex digits from a fixed table, the
    // block formula in `hex.rs` or the SSE2 kernel in `simd.rs`, and separators checked to be
    // ASCII), and ASCII is valid UTF-8.
    unsafe { String::from_utf8_unchecked(bytes) }
}

/// A vector of `len` bytes initialised by `fill`, without a zeroing pass first.
///
/// # Safety
/// `fill` writes every element of the slice it is given.
pub(crate) unsafe fn vec_init_with(
    len: usize,
    fill: impl FnOnce(&mut [std::mem::MaybeUninit<u8>]),
) -> Vec<u8> {
    let mut v: Vec<u8> = Vec::with_capacity(len);
    fill(&mut v.spare_capacity_mut()[..len]);
    // SAFETY: the caller guarantees that `fill` initialised all `len` bytes.
    unsafe { v.set_len(len) };
    v
}

/// Asks Linux to back the allocation of `v` (a large result about to be filled, such as the
/// `Value`s of a 10M-item `tolist`) with 2 MiB transparent huge pages.
///
/// A fresh 320 MB result otherwise takes ~80,000 page faults to fill and as many page
/// releases to free, which is most of `tolist`'s time. The advice covers only the 2 MiB
/// aligned pages inside the allocation, never a neighbour's memory, and changes no byte: the
/// kernel may ignore it (THP disabled, no free huge page) and then nothing changes at all.
/// Elsewhere, under Miri, and for results below 8 MiB it does nothing.
pub(crate) fn advise_huge_pages<T>(v: &Vec<T>) {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        const HUGE_PAGE: usize = 2 << 20;
        const HUGE_RESULT_BYTES: usize = 8 << 20;
        let bytes = v.capacity().saturating_mul(size_of::<T>());
        if bytes < HUGE_RESULT_BYTES {
            return;
        }
        let base = v.as_ptr().cast::<u8>();
        let skip = base.align_offset(HUGE_PAGE);
        let len = bytes.saturating_sub(skip) / HUGE_PAGE * HUGE_PAGE;
        if skip == usize::MAX || len == 0 {
            return;
        }
        let start = base.wrapping_add(skip).cast_mut().cast::<libc::c_void>();
        // The return value is ignored on purpose: the advice is a hint.
        // SAFETY: `start..start+len` is inside `v`'s live allocation (`skip + len <= bytes`);
        // MADV_HUGEPAGE changes neither the contents nor the validity of that memory.
        unsafe { libc::madvise(start, len, libc::MADV_HUGEPAGE) };
    }
    #[cfg(not(all(target_os = "linux", not(miri))))]
    let _ = v;
}
