//! The raw, resizable byte storage behind [`Array`](super::Array) and
//! [`ByteArray`](crate::bytearray::ByteArray): the only unsafe code of those two types.
//!
//! Memory views may write into this storage through raw pointers at any time while an
//! export is live, so the storage is never reached through `&[u8]`/`&mut [u8]`: every
//! access below goes through the one raw base pointer, after a bounds check.
//!
//! ```text
//!  ptr ──► [ item 0 | item 1 | ... | item n-1 | (spare capacity, uninitialized) ]
//!          |<──────────── len bytes ─────────>|
//!          |<──────────────────── cap bytes ───────────────────────────>|
//! ```
//!
//! The allocation is aligned to [`ALIGN`] (8) bytes, so every typecode's items are
//! naturally aligned when the storage is read as a typed array.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::{self, NonNull};

use super::ArrayItem as Pod;

/// Alignment of every allocation: the largest item size (`q`, `Q`, `d`, `l`, `L`).
pub(crate) const ALIGN: usize = 8;

/// Resizing was refused because buffers are exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExportsLive;

/// Why a [`RawStorage::try_resize`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResizeError {
    /// Buffers are exported (Python's `BufferError`).
    ExportsLive,
    /// The allocator cannot provide the bytes (Python's `MemoryError`).
    NoMemory,
}

/// Growable byte storage with an export count, shared through `Rc` by its owner.
///
/// Invariants (established by `new`, kept by every method):
/// 1. `ptr` is either a dangling, `ALIGN`-aligned pointer with `cap == 0`, or points to a
///    live allocation of `cap` bytes made with `Layout::from_size_align(cap, ALIGN)`.
/// 2. `len <= cap`, and the first `len` bytes are initialized (bytes past `len` may not
///    be; growing through `resize` zero-fills them first).
/// 3. While `exports > 0`, `ptr` and `len` do not change (resizes are refused), so raw
///    pointers handed to exporters stay valid.
#[derive(Debug)]
pub(crate) struct RawStorage {
    ptr: Cell<NonNull<u8>>,
    len: Cell<usize>,
    cap: Cell<usize>,
    exports: Cell<usize>,
}

fn dangling() -> NonNull<u8> {
    NonNull::<u64>::dangling().cast()
}

fn layout(cap: usize) -> Layout {
    // `cap` never exceeds isize::MAX rounded down to ALIGN: checked by `grow_to`.
    Layout::from_size_align(cap, ALIGN)
        .unwrap_or_else(|_| alloc::handle_alloc_error(Layout::new::<u64>()))
}

impl RawStorage {
    /// Empty storage that owns no allocation.
    pub(crate) fn new() -> RawStorage {
        RawStorage {
            ptr: Cell::new(dangling()),
            len: Cell::new(0),
            cap: Cell::new(0),
            exports: Cell::new(0),
        }
    }

    /// Storage holding a copy of `bytes`.
    pub(crate) fn from_bytes(bytes: &[u8]) -> RawStorage {
        let s = RawStorage::new();
        // A fresh storage has no exports, so this cannot be refused.
        let _ = s.extend_bytes(bytes);
        s
    }

    /// Bytes in use.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    /// Bytes allocated.
    pub(crate) fn capacity(&self) -> usize {
        self.cap.get()
    }

    /// The base pointer. It stays valid for `len()` bytes of reads and writes until the
    /// next successful resize; while exports are live no resize succeeds.
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.get().as_ptr()
    }

    /// Live export count.
    #[inline]
    pub(crate) fn exports(&self) -> usize {
        self.exports.get()
    }

    /// Records one more export; resizes are refused until it is released.
    pub(crate) fn add_export(&self) {
        self.exports.set(self.exports.get() + 1);
    }

    /// Releases one export (saturating: an unbalanced release is ignored).
    pub(crate) fn release_export(&self) {
        self.exports.set(self.exports.get().saturating_sub(1));
    }

    /// Makes room for `cap` bytes without changing `len`; aborts if the allocator fails.
    fn reserve_exact(&self, cap: usize) {
        if !self.try_reserve_exact(cap) {
            alloc::handle_alloc_error(Layout::new::<u64>())
        }
    }

    /// Makes room for `cap` bytes without changing `len`; `false` (and no change) when
    /// the size is not a valid allocation size or the allocator cannot provide it.
    fn try_reserve_exact(&self, cap: usize) -> bool {
        if cap <= self.cap.get() {
            return true;
        }
        let Some(cap) = cap.checked_next_multiple_of(ALIGN) else {
            return false;
        };
        let Ok(new_layout) = Layout::from_size_align(cap, ALIGN) else {
            return false;
        };
        let old_cap = self.cap.get();
        let new_ptr = if old_cap == 0 {
            // SAFETY: `new_layout` has non-zero size (cap > old_cap >= 0 and rounded up).
            unsafe { alloc::alloc(new_layout) }
        } else {
            // SAFETY: invariant 1: `ptr` was allocated with `layout(old_cap)`; the new size
            // is non-zero and, being a valid Layout size (checked above), does not
            // overflow isize.
            unsafe { alloc::realloc(self.as_ptr(), layout(old_cap), cap) }
        };
        // A failed realloc leaves the old block (and invariant 1) untouched.
        let Some(new_ptr) = NonNull::new(new_ptr) else {
            return false;
        };
        self.ptr.set(new_ptr);
        self.cap.set(cap);
        true
    }

    /// Like [`RawStorage::resize`], but an allocation failure is an error instead of an
    /// abort (Python's `MemoryError` for `bytearray().resize(sys.maxsize)`).
    pub(crate) fn try_resize(&self, new_len: usize) -> Result<(), ResizeError> {
        let len = self.len.get();
        if new_len == len {
            return Ok(());
        }
        if self.exports.get() > 0 {
            return Err(ResizeError::ExportsLive);
        }
        if new_len > self.cap.get() {
            // Amortized doubling when the allocator allows it, else exactly what is asked.
            let doubled = self.cap.get().saturating_mul(2).max(32);
            let grown = new_len < doubled && self.try_reserve_exact(doubled);
            if !grown && !self.try_reserve_exact(new_len) {
                return Err(ResizeError::NoMemory);
            }
        }
        self.resize(new_len).map_err(|_| ResizeError::ExportsLive)
    }

    /// Grows the capacity (amortized doubling) so that `new_len` bytes fit.
    fn grow_for(&self, new_len: usize) {
        if new_len > self.cap.get() {
            let doubled = self.cap.get().saturating_mul(2);
            self.reserve_exact(new_len.max(doubled).max(32));
        }
    }

    /// Sets the length to `new_len` bytes, growing (amortized) or shrinking. New bytes
    /// read as zero. Refused while exports are live unless the length is unchanged.
    pub(crate) fn resize(&self, new_len: usize) -> Result<(), ExportsLive> {
        let len = self.len.get();
        if new_len == len {
            return Ok(());
        }
        if self.exports.get() > 0 {
            return Err(ExportsLive);
        }
        if new_len > len {
            self.grow_for(new_len);
            // SAFETY: `len..new_len` lies within the allocation after `grow_for`; zeroing
            // it initializes the new bytes (invariant 2).
            unsafe { ptr::write_bytes(self.as_ptr().add(len), 0, new_len - len) };
        }
        self.len.set(new_len);
        Ok(())
    }

    /// Appends a copy of `n` bytes read from `src`.
    ///
    /// # Safety
    ///
    /// `src` must be valid for reads of `n` bytes; it may point into this storage's own
    /// bytes in use (`0..len`), which stay valid because growth copies them along.
    unsafe fn append_raw(&self, src: *const u8, n: usize) -> Result<(), ExportsLive> {
        if n == 0 {
            return Ok(());
        }
        if self.exports.get() > 0 {
            return Err(ExportsLive);
        }
        let old = self.len.get();
        let new_len = old.checked_add(n).unwrap_or_else(|| capacity_overflow());
        // A source inside this storage moves with a reallocation: remember its offset.
        let base = self.as_ptr().cast_const();
        let inside = src >= base && src < base.wrapping_add(old);
        let offset = if inside { src.addr() - base.addr() } else { 0 };
        self.grow_for(new_len);
        let src = if inside {
            // SAFETY: `offset < old <= len`: within the (possibly moved) allocation.
            unsafe { self.as_ptr().add(offset).cast_const() }
        } else {
            src
        };
        // SAFETY: `old..new_len` is within the allocation after `grow_for`; `src` is valid
        // for `n` bytes (caller) and lies outside `old..new_len` (either a foreign buffer
        // or bytes before `old`), so the ranges do not overlap.
        unsafe { ptr::copy_nonoverlapping(src, self.as_ptr().add(old), n) };
        self.len.set(new_len);
        Ok(())
    }

    /// Appends a copy of `bytes`.
    pub(crate) fn extend_bytes(&self, bytes: &[u8]) -> Result<(), ExportsLive> {
        // SAFETY: a slice is valid for reads of its length.
        unsafe { self.append_raw(bytes.as_ptr(), bytes.len()) }
    }

    /// Appends a copy of the bytes in use of `other`, which may be `self` (`a.extend(a)`).
    pub(crate) fn extend_from_storage(&self, other: &RawStorage) -> Result<(), ExportsLive> {
        // SAFETY: `other`'s base pointer is valid for reads of its `len` initialized bytes
        // (invariants 1 and 2); when `other` is `self`, `append_raw` handles the move.
        unsafe { self.append_raw(other.as_ptr(), other.len.get()) }
    }

    /// Frees the allocation and sets the length to zero. Refused while exports are live
    /// and the storage is not already empty.
    pub(crate) fn clear(&self) -> Result<(), ExportsLive> {
        if self.len.get() == 0 {
            return Ok(());
        }
        if self.exports.get() > 0 {
            return Err(ExportsLive);
        }
        self.free();
        Ok(())
    }

    fn free(&self) {
        let cap = self.cap.get();
        if cap != 0 {
            // SAFETY: invariant 1: `ptr` was allocated with `layout(cap)` and is not used
            // after this point (it is replaced by a dangling pointer below).
            unsafe { alloc::dealloc(self.as_ptr(), layout(cap)) };
        }
        self.ptr.set(dangling());
        self.cap.set(0);
        self.len.set(0);
    }

    #[inline]
    fn check(&self, offset: usize, n: usize) {
        let end = offset.checked_add(n);
        assert!(
            end.is_some_and(|e| e <= self.len.get()),
            "storage access out of bounds"
        );
    }

    /// Copies `dst.len()` bytes starting at `offset` out of the storage.
    ///
    /// Panics if the range is out of bounds (callers check indexes first).
    #[inline]
    pub(crate) fn read(&self, offset: usize, dst: &mut [u8]) {
        self.check(offset, dst.len());
        // SAFETY: the range was bounds-checked against `len` (invariant 2: initialized);
        // `ptr::copy` tolerates overlap should `dst` alias a view of this storage.
        unsafe { ptr::copy(self.as_ptr().add(offset), dst.as_mut_ptr(), dst.len()) };
    }

    /// Copies `src` into the storage at `offset`.
    ///
    /// Panics if the range is out of bounds.
    #[inline]
    pub(crate) fn write(&self, offset: usize, src: &[u8]) {
        self.check(offset, src.len());
        // SAFETY: the range was bounds-checked against `len`; `ptr::copy` is a memmove.
        unsafe { ptr::copy(src.as_ptr(), self.as_ptr().add(offset), src.len()) };
    }

    /// A copy of all bytes in use.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        self.to_typed_vec::<u8>()
    }

    /// Moves `n` bytes from `src` to `dst` within the storage (memmove).
    pub(crate) fn copy_within(&self, src: usize, dst: usize, n: usize) {
        self.check(src, n);
        self.check(dst, n);
        // SAFETY: both ranges were bounds-checked; `ptr::copy` handles the overlap.
        unsafe { ptr::copy(self.as_ptr().add(src), self.as_ptr().add(dst), n) };
    }

    /// Reads the `T` at byte `offset` (unaligned read).
    #[inline]
    pub(crate) fn get<T: Pod>(&self, offset: usize) -> T {
        self.check(offset, size_of::<T>());
        // SAFETY: bounds-checked; `T: Pod` accepts any initialized bit pattern.
        unsafe { self.as_ptr().add(offset).cast::<T>().read_unaligned() }
    }

    /// Writes `value` at byte `offset` (unaligned write).
    #[inline]
    pub(crate) fn set<T: Pod>(&self, offset: usize, value: T) {
        self.check(offset, size_of::<T>());
        // SAFETY: bounds-checked; the storage is writable memory we own.
        unsafe { self.as_ptr().add(offset).cast::<T>().write_unaligned(value) };
    }

    /// Appends the raw bytes of `items`.
    pub(crate) fn extend_from_slice<T: Pod>(&self, items: &[T]) -> Result<(), ExportsLive> {
        // SAFETY: a slice of `T: Pod` (no padding) is valid for reads of all its bytes.
        unsafe { self.append_raw(items.as_ptr().cast::<u8>(), size_of_val(items)) }
    }

    /// Items `start, start + step, ...` (`n` of them, `itemsize` bytes each, itemsize
    /// 1, 2, 4 or 8), gathered into new storage in one pass (slicing).
    ///
    /// Panics if an item is out of bounds (callers resolve the slice first).
    pub(crate) fn gather(
        &self,
        start: usize,
        step: isize,
        n: usize,
        itemsize: usize,
    ) -> RawStorage {
        let out = RawStorage::new();
        if n == 0 {
            return out;
        }
        let last = isize::try_from(n - 1)
            .ok()
            .and_then(|k| step.checked_mul(k))
            .and_then(|d| start.checked_add_signed(d));
        let fits = |i: usize| {
            i.checked_add(1)
                .is_some_and(|e| e * itemsize <= self.len.get())
        };
        assert!(
            fits(start) && last.is_some_and(fits),
            "storage access out of bounds"
        );
        out.reserve_exact(n * itemsize);
        let src = self.as_ptr().cast_const();
        let dst = out.as_ptr();
        if step == 1 || n == 1 {
            // One run of items (a single item may come with any step, even ±isize::MAX).
            // SAFETY: the run `start..start + n` was bounds-checked above; `out` is a
            // fresh allocation with room for n items, so the ranges do not overlap.
            unsafe { ptr::copy_nonoverlapping(src.add(start * itemsize), dst, n * itemsize) };
        } else {
            fn strided<T: Pod>(src: *const u8, dst: *mut u8, start: usize, step: isize, n: usize) {
                // SAFETY: the caller bounds-checked the first and last items; the items in
                // between lie on the line from one to the other (n >= 2 items fit in the
                // storage, so the pointer steps cannot overflow); `dst` has room for n.
                unsafe {
                    let dst = dst.cast::<T>();
                    let mut p = src.add(start * size_of::<T>()).cast::<T>();
                    for k in 0..n {
                        dst.add(k).write_unaligned(p.read_unaligned());
                        p = p.wrapping_offset(step);
                    }
                }
            }
            match itemsize {
                1 => strided::<u8>(src, dst, start, step, n),
                2 => strided::<u16>(src, dst, start, step, n),
                4 => strided::<u32>(src, dst, start, step, n),
                _ => strided::<u64>(src, dst, start, step, n),
            }
        }
        // All n items are now initialized (invariant 2).
        out.len.set(n * itemsize);
        out
    }

    /// Copies the bytes in use into a new vector of `T` (len must be a multiple of T's size).
    pub(crate) fn to_typed_vec<T: Pod>(&self) -> Vec<T> {
        let n = self.len.get() / size_of::<T>();
        let mut v: Vec<T> = Vec::with_capacity(n);
        // SAFETY: `v` has room for `n` items = `n * size_of::<T>()` <= len bytes, all
        // initialized in the storage; `T: Pod` makes any bytes a valid T; set_len after.
        unsafe {
            ptr::copy_nonoverlapping(
                self.as_ptr(),
                v.as_mut_ptr().cast::<u8>(),
                n * size_of::<T>(),
            );
            v.set_len(n);
        }
        v
    }

    /// Reverses the order of the `itemsize`-byte items in use.
    pub(crate) fn reverse_items(&self, itemsize: usize) {
        let n = self.len.get() / itemsize;
        let base = self.as_ptr();
        for i in 0..n / 2 {
            let j = n - 1 - i;
            // SAFETY: i < j < n, so both items lie within `len` bytes and do not overlap.
            unsafe {
                ptr::swap_nonoverlapping(base.add(i * itemsize), base.add(j * itemsize), itemsize)
            };
        }
    }

    /// Reverses the bytes inside each `itemsize`-byte item (byteswap).
    ///
    /// Works block by block through a local buffer, where the swap is plain slice code
    /// that the compiler vectorizes.
    pub(crate) fn byteswap_items(&self, itemsize: usize) {
        if !matches!(itemsize, 2 | 4 | 8) {
            return;
        }
        let mut buf = [0u8; 4096];
        let len = self.len.get();
        let mut off = 0;
        while off < len {
            let n = (len - off).min(buf.len());
            let block = &mut buf[..n];
            self.read(off, block);
            match itemsize {
                2 => block.chunks_exact_mut(2).for_each(|c| c.swap(0, 1)),
                4 => block.chunks_exact_mut(4).for_each(|c| {
                    let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]).swap_bytes();
                    c.copy_from_slice(&v.to_ne_bytes());
                }),
                _ => block.chunks_exact_mut(8).for_each(|c| {
                    let v = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                    c.copy_from_slice(&v.swap_bytes().to_ne_bytes());
                }),
            }
            self.write(off, block);
            off += n;
        }
    }
}

#[cold]
fn capacity_overflow() -> ! {
    panic!("capacity overflow")
}

impl Drop for RawStorage {
    fn drop(&mut self) {
        self.free();
    }
}

impl Default for RawStorage {
    fn default() -> RawStorage {
        RawStorage::new()
    }
}

#[cfg(test)]
mod tests {
    //! Storage soundness tests, small enough for Miri
    //! (`cargo +nightly miri test -p pymemory-buffer storage`).

    use super::*;

    #[test]
    fn grows_shrinks_and_zero_fills() {
        let s = RawStorage::new();
        assert_eq!(s.len(), 0);
        s.resize(3).unwrap();
        s.write(0, b"abc");
        s.resize(100).unwrap();
        assert_eq!(&s.to_vec()[..4], b"abc\0");
        assert!(s.to_vec()[3..].iter().all(|&b| b == 0));
        s.resize(1).unwrap();
        s.resize(2).unwrap();
        assert_eq!(s.to_vec(), b"a\0", "shrunk bytes read back as zero");
        s.clear().unwrap();
        assert_eq!((s.len(), s.capacity()), (0, 0));
    }

    #[test]
    fn writes_through_an_exported_pointer_are_seen() {
        let s = RawStorage::from_bytes(&[1, 2, 3, 4, 5, 6, 7, 8]);
        s.add_export();
        let p = s.as_ptr();
        // SAFETY: the export is live, so `p` is valid for len() = 8 bytes; 5 < 8.
        unsafe { p.add(5).write(42) };
        assert_eq!(s.get::<u8>(5), 42);
        s.set::<u16>(0, 0xffff);
        // SAFETY: as above, reading byte 1 < 8.
        assert_eq!(unsafe { p.add(1).read() }, 0xff);
        assert_eq!(s.resize(9), Err(ExportsLive));
        assert_eq!(s.resize(0), Err(ExportsLive));
        assert_eq!(s.clear(), Err(ExportsLive));
        assert_eq!(s.resize(8), Ok(()), "same length is not a resize");
        assert_eq!(s.as_ptr(), p, "the exported pointer did not move");
        s.release_export();
        s.resize(1000).unwrap();
        assert_eq!(s.get::<u8>(5), 42);
    }

    #[test]
    fn empty_export_keeps_a_dangling_non_null_pointer() {
        let s = RawStorage::new();
        s.add_export();
        assert!(!s.as_ptr().is_null());
        assert_eq!(s.clear(), Ok(()));
        assert_eq!(s.resize(1), Err(ExportsLive));
        s.release_export();
        s.release_export(); // unbalanced release is ignored
        assert_eq!(s.exports(), 0);
    }

    #[test]
    fn overlapping_moves_reverse_and_byteswap() {
        let s = RawStorage::from_bytes(&[0, 1, 2, 3, 4, 5, 6, 7]);
        s.copy_within(0, 2, 6);
        assert_eq!(s.to_vec(), [0, 1, 0, 1, 2, 3, 4, 5]);
        s.copy_within(2, 0, 6);
        assert_eq!(s.to_vec(), [0, 1, 2, 3, 4, 5, 4, 5]);
        s.reverse_items(2);
        assert_eq!(s.to_vec(), [4, 5, 4, 5, 2, 3, 0, 1]);
        s.byteswap_items(4);
        assert_eq!(s.to_vec(), [5, 4, 5, 4, 1, 0, 3, 2]);
        s.byteswap_items(8);
        assert_eq!(s.to_vec(), [2, 3, 0, 1, 4, 5, 4, 5]);
        // Unaligned typed access.
        s.set::<u32>(1, 0x0102_0304);
        assert_eq!(s.get::<u32>(1), 0x0102_0304);
    }

    #[test]
    fn typed_extend_and_copy_out() {
        let s = RawStorage::new();
        s.extend_from_slice(&[1.5f64, -2.0]).unwrap();
        s.extend_from_slice(&[3.25f64]).unwrap();
        assert_eq!(s.to_typed_vec::<f64>(), [1.5, -2.0, 3.25]);
        for i in 0..200u32 {
            s.extend_from_slice(&[i]).unwrap();
        }
        assert_eq!(s.len(), 24 + 800);
        assert_eq!(s.get::<u32>(24 + 4 * 199), 199);
    }

    #[test]
    fn try_resize_reports_exports_and_allocation_failure() {
        let s = RawStorage::from_bytes(b"abc");
        s.add_export();
        assert_eq!(s.try_resize(4), Err(ResizeError::ExportsLive));
        assert_eq!(s.try_resize(3), Ok(()), "same length is not a resize");
        s.release_export();
        s.try_resize(40).unwrap();
        assert_eq!(s.to_vec()[..4], *b"abc\0");
        s.try_resize(2).unwrap();
        // Sizes no allocator can give fail cleanly (Miri stops at them instead).
        if !cfg!(miri) {
            for n in [usize::MAX, isize::MAX as usize, 1 << 60] {
                assert_eq!(s.try_resize(n), Err(ResizeError::NoMemory), "{n}");
                assert_eq!(s.to_vec(), b"ab", "a refused resize keeps the bytes");
            }
        }
    }

    #[test]
    fn extend_from_itself_survives_reallocation() {
        let s = RawStorage::from_bytes(b"abc");
        for _ in 0..6 {
            s.extend_from_storage(&s).unwrap();
        }
        assert_eq!(s.len(), 3 * 64);
        assert!(s.to_vec().chunks(3).all(|c| c == b"abc"));
        s.add_export();
        assert_eq!(s.extend_from_storage(&s), Err(ExportsLive));
        assert_eq!(
            s.extend_bytes(b""),
            Ok(()),
            "nothing to append is not a resize"
        );
        s.release_export();
    }

    #[test]
    fn gather_strided_items() {
        let s = RawStorage::from_bytes(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(s.gather(1, 3, 3, 1).to_vec(), [1, 4, 7]);
        assert_eq!(s.gather(4, -2, 2, 2).to_vec(), [8, 9, 4, 5]);
        assert_eq!(s.gather(2, isize::MIN + 1, 1, 2).to_vec(), [4, 5]);
        assert_eq!(s.gather(1, 1, 3, 2).to_vec(), [2, 3, 4, 5, 6, 7]);
        assert_eq!(s.gather(0, 1, 0, 4).to_vec(), [0u8; 0]);
    }

    #[test]
    #[should_panic(expected = "storage access out of bounds")]
    fn out_of_bounds_access_is_caught() {
        let s = RawStorage::from_bytes(&[1, 2]);
        let _ = s.get::<u32>(0);
    }
}
