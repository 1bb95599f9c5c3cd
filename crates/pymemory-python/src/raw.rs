//! Every raw CPython buffer-protocol call of the crate, in one module so the unsafe
//! surface is small and auditable.
//!
//! Two directions:
//! - consuming: [`PyBufferGuard`] holds one `Py_buffer` obtained with
//!   `PyObject_GetBuffer` and releases it on drop (with the interpreter attached);
//! - exporting: [`fill_export`] / [`release_export`] implement `bf_getbuffer` /
//!   `bf_releasebuffer` for pymemory objects on top of any [`BufferExporter`].

use std::ffi::{CStr, CString, c_int};
use std::ptr::NonNull;

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

use pymemory_buffer::{BufferExporter, BufferFlags, MAX_NDIM, RawBuffer};

use crate::errors::to_pyerr;

/// One held `Py_buffer` of a Python object (`PyObject_GetBuffer` ... `PyBuffer_Release`).
///
/// The descriptor lives in a `Box` because exporters may point `shape` or `strides` into
/// the `Py_buffer` itself (`PyBuffer_FillInfo` points `shape` at `len`), so it must not
/// move while held.
pub(crate) struct PyBufferGuard {
    view: Box<ffi::Py_buffer>,
}

impl std::fmt::Debug for PyBufferGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyBufferGuard")
            .field("buf", &self.view.buf)
            .field("len", &self.view.len)
            .field("format", &self.format())
            .finish_non_exhaustive()
    }
}

impl PyBufferGuard {
    /// `PyObject_GetBuffer(obj, &view, flags)`; the exporter's exception on refusal.
    /// The descriptor is checked for consistency (ndim, non-negative sizes) so later code
    /// can rely on it.
    pub(crate) fn get(obj: &Bound<'_, PyAny>, flags: c_int) -> PyResult<PyBufferGuard> {
        let mut view = Box::new(ffi::Py_buffer::new());
        // SAFETY: `obj` is a live object (we hold a `Bound`, so the interpreter is
        // attached) and `view` points to a writable, zeroed `Py_buffer` that stays at the
        // same address (boxed) for as long as the export is held.
        let rc = unsafe { ffi::PyObject_GetBuffer(obj.as_ptr(), &raw mut *view, flags) };
        if rc != 0 {
            return Err(PyErr::fetch(obj.py()));
        }
        let guard = PyBufferGuard { view };
        let v = &*guard.view;
        let ndim = usize::try_from(v.ndim).unwrap_or(usize::MAX);
        if ndim > MAX_NDIM || v.len < 0 || v.itemsize < 0 || (v.ndim > 1 && v.shape.is_null()) {
            // Dropping the guard releases the export.
            return Err(PyBufferError::new_err(
                "exporter returned an inconsistent buffer descriptor",
            ));
        }
        Ok(guard)
    }

    /// The first byte; a dangling non-null pointer for an empty buffer with `buf == NULL`.
    pub(crate) fn buf(&self) -> *mut u8 {
        let p = self.view.buf.cast::<u8>();
        if p.is_null() {
            NonNull::<u8>::dangling().as_ptr()
        } else {
            p
        }
    }

    /// `view.len` (checked non-negative in [`PyBufferGuard::get`]).
    pub(crate) fn len(&self) -> usize {
        self.view.len.unsigned_abs()
    }

    /// `view.readonly`.
    pub(crate) fn readonly(&self) -> bool {
        self.view.readonly != 0
    }

    /// `view.itemsize`.
    pub(crate) fn itemsize(&self) -> usize {
        self.view.itemsize.unsigned_abs()
    }

    /// `view.ndim`.
    pub(crate) fn ndim(&self) -> usize {
        self.view.ndim.unsigned_abs() as usize
    }

    /// `view.format` as text, `None` when the exporter left it NULL (meaning `"B"`).
    pub(crate) fn format(&self) -> Option<String> {
        if self.view.format.is_null() {
            return None;
        }
        // SAFETY: a non-null `format` is a NUL-terminated C string owned by the exporter
        // for as long as the export is held (the buffer protocol's contract).
        let text = unsafe { CStr::from_ptr(self.view.format) };
        Some(text.to_string_lossy().into_owned())
    }

    /// Reads `ndim` entries of one of the descriptor's arrays.
    fn array(&self, p: *const ffi::Py_ssize_t) -> Option<Vec<isize>> {
        if p.is_null() {
            return None;
        }
        // SAFETY: non-null shape/strides/suboffsets arrays have `ndim` entries, valid while
        // the export is held; `ndim <= MAX_NDIM` was checked in `get`.
        let entries = unsafe { std::slice::from_raw_parts(p, self.ndim()) };
        Some(entries.to_vec())
    }

    /// `view.shape`, `None` when NULL.
    pub(crate) fn shape(&self) -> Option<Vec<isize>> {
        self.array(self.view.shape)
    }

    /// `view.strides`, `None` when NULL (ctypes and simple exporters: C-contiguous).
    pub(crate) fn strides(&self) -> Option<Vec<isize>> {
        self.array(self.view.strides)
    }

    /// `view.suboffsets`, `None` when NULL.
    pub(crate) fn suboffsets(&self) -> Option<Vec<isize>> {
        self.array(self.view.suboffsets)
    }

    /// The bytes of a contiguous export (requested without `PyBUF_STRIDES`).
    ///
    /// # Safety
    /// The buffer was requested contiguous, and nothing writes the memory while the
    /// returned slice is alive: the caller holds the interpreter and runs no Python code
    /// (CPython's own `struct` module reads exports under the same assumption).
    pub(crate) unsafe fn bytes(&self) -> &[u8] {
        // SAFETY: `buf()` is non-null and readable for `len()` bytes while the export is
        // held (buffer-protocol contract); the caller guarantees no concurrent writes.
        unsafe { std::slice::from_raw_parts(self.buf(), self.len()) }
    }

    /// The bytes of a writable contiguous export.
    ///
    /// # Safety
    /// As [`PyBufferGuard::bytes`], and the export was requested with `PyBUF_WRITABLE`;
    /// nothing else reads or writes the memory while the slice is alive.
    #[expect(
        clippy::mut_from_ref,
        reason = "the memory is the exporter's, not ours"
    )]
    pub(crate) unsafe fn bytes_mut(&self) -> &mut [u8] {
        // SAFETY: a writable export is valid for writes of `len()` bytes; exclusivity for
        // the slice's lifetime is the caller's guarantee.
        unsafe { std::slice::from_raw_parts_mut(self.buf(), self.len()) }
    }
}

impl Drop for PyBufferGuard {
    fn drop(&mut self) {
        Python::attach(|_py| {
            // SAFETY: `view` was filled by a successful `PyObject_GetBuffer` and is released
            // exactly once, here; the interpreter is attached.
            unsafe { ffi::PyBuffer_Release(&raw mut *self.view) };
        });
    }
}

/// What a pymemory object's export keeps alive until `bf_releasebuffer`: the exporter
/// handle and the descriptor it returned (the Rust export, which ends when they are
/// dropped), and the C arrays the `Py_buffer` points into.
struct ExportState {
    _exporter: Box<dyn BufferExporter>,
    raw: RawBuffer,
    format: Option<CString>,
    shape: Vec<ffi::Py_ssize_t>,
    strides: Vec<ffi::Py_ssize_t>,
    suboffsets: Vec<ffi::Py_ssize_t>,
}

/// `bf_getbuffer` for a pymemory object: exports `exporter` for `flags` and fills `view`,
/// with `owner` as `view.obj`.
///
/// # Safety
/// `view` is the non-null, writable `Py_buffer` pointer CPython passed to `bf_getbuffer`,
/// and `owner` is the object whose slot is being called.
pub(crate) unsafe fn fill_export(
    view: *mut ffi::Py_buffer,
    flags: c_int,
    owner: &Bound<'_, PyAny>,
    exporter: Box<dyn BufferExporter>,
) -> PyResult<()> {
    let py = owner.py();
    if view.is_null() {
        return Err(PyBufferError::new_err("NULL view in getbuffer"));
    }
    let request = BufferFlags::from_bits(flags as u32);
    let raw = exporter.get_buffer(request).map_err(|e| to_pyerr(py, &e))?;
    // Python trusts every field of a Py_buffer: refuse an inconsistent descriptor here
    // (returning drops `raw`, which ends the export).
    raw.validate().map_err(|e| to_pyerr(py, &e))?;
    let format = match &raw.format {
        Some(f) => match CString::new(f.as_bytes()) {
            Ok(c) => Some(c),
            // Returning drops `raw`, which ends the export.
            Err(_) => return Err(PyBufferError::new_err("format contains a NUL character")),
        },
        None => None,
    };
    let to_ssize = |v: &[isize]| v.iter().map(|&x| x as ffi::Py_ssize_t).collect::<Vec<_>>();
    let shape: Vec<ffi::Py_ssize_t> = raw
        .shape
        .as_deref()
        .map(|s| s.iter().map(|&d| d as ffi::Py_ssize_t).collect())
        .unwrap_or_default();
    let strides = raw.strides.as_deref().map(to_ssize).unwrap_or_default();
    let suboffsets = raw.suboffsets.as_deref().map(to_ssize).unwrap_or_default();
    let mut state = Box::new(ExportState {
        _exporter: exporter,
        raw,
        format,
        shape,
        strides,
        suboffsets,
    });
    let raw = &state.raw;
    let v = ffi::Py_buffer {
        buf: raw.buf.cast(),
        obj: owner.clone().into_ptr(),
        len: raw.len as ffi::Py_ssize_t,
        itemsize: raw.itemsize as ffi::Py_ssize_t,
        readonly: c_int::from(raw.readonly),
        ndim: raw.ndim as c_int,
        format: state
            .format
            .as_ref()
            .map_or(std::ptr::null_mut(), |c| c.as_ptr().cast_mut()),
        shape: if raw.shape.is_some() {
            state.shape.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        },
        strides: if raw.strides.is_some() {
            state.strides.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        },
        suboffsets: if raw.suboffsets.is_some() {
            state.suboffsets.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        },
        internal: std::ptr::null_mut(),
    };
    let internal = Box::into_raw(state);
    // SAFETY: the caller passes CPython's writable `Py_buffer`; the arrays and C string it
    // now points to live in the boxed state (heap, never moved) until `release_export`
    // reclaims it through `internal`.
    unsafe {
        view.write(v);
        (*view).internal = internal.cast();
    }
    Ok(())
}

/// `bf_releasebuffer` for a pymemory object: ends the export [`fill_export`] started.
///
/// # Safety
/// `view` is a `Py_buffer` filled by [`fill_export`] and not yet released.
pub(crate) unsafe fn release_export(view: *mut ffi::Py_buffer) {
    if view.is_null() {
        return;
    }
    // SAFETY: `fill_export` stored a `Box<ExportState>` in `internal`; CPython calls
    // `bf_releasebuffer` once per successful `bf_getbuffer`, so it is reclaimed once.
    let state = unsafe {
        let internal = (*view).internal.cast::<ExportState>();
        if internal.is_null() {
            return;
        }
        (*view).internal = std::ptr::null_mut();
        Box::from_raw(internal)
    };
    // Dropping the state drops the descriptor: the Rust export ends here.
    drop(state);
}

/// One item of a single-code native format, read into Rust (see [`read_item`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scalar {
    /// Signed integer codes (`b h i l q n`).
    Int(i64),
    /// Unsigned integer codes (`B H I L Q N P`).
    Uint(u64),
    /// `f` and `d`.
    Float(f64),
    /// `?`.
    Bool(bool),
}

/// The size of a native single-code item this module can read and write, or `None`.
pub(crate) fn native_item_size(code: char) -> Option<usize> {
    use std::mem::size_of;
    Some(match code {
        'b' | 'B' | '?' => 1,
        'h' | 'H' => 2,
        'i' | 'I' => size_of::<std::ffi::c_int>(),
        'l' | 'L' => size_of::<std::ffi::c_long>(),
        'q' | 'Q' => 8,
        'n' | 'N' => size_of::<isize>(),
        'P' => size_of::<*const u8>(),
        'f' => 4,
        'd' => 8,
        _ => return None,
    })
}

/// Reads a `T` at an address with any alignment.
///
/// # Safety
/// `p` is readable for `size_of::<T>()` bytes and every bit pattern is a valid `T`.
#[inline]
unsafe fn rd<T: Copy>(p: *const u8) -> T {
    // SAFETY: the caller's contract; `read_unaligned` has no alignment requirement.
    unsafe { p.cast::<T>().read_unaligned() }
}

/// Reads one native item of `code` at `p`.
///
/// # Safety
/// `code` has a [`native_item_size`], and `p` is readable for that many bytes of a held
/// export (bounds checked by the caller).
#[inline]
pub(crate) unsafe fn read_item(code: char, p: *const u8) -> Scalar {
    use std::ffi::{c_int, c_long, c_uint, c_ulong};
    // SAFETY: (all arms) the caller guarantees `p` is readable for the code's size, which
    // is the size of the type read; integer and float types accept every bit pattern.
    unsafe {
        match code {
            'b' => Scalar::Int(i64::from(rd::<i8>(p))),
            'B' => Scalar::Uint(u64::from(rd::<u8>(p))),
            'h' => Scalar::Int(i64::from(rd::<i16>(p))),
            'H' => Scalar::Uint(u64::from(rd::<u16>(p))),
            'i' => Scalar::Int(i64::from(rd::<c_int>(p))),
            'I' => Scalar::Uint(u64::from(rd::<c_uint>(p))),
            'l' => Scalar::Int(rd::<c_long>(p)),
            'L' => Scalar::Uint(rd::<c_ulong>(p)),
            'q' => Scalar::Int(rd::<i64>(p)),
            'Q' => Scalar::Uint(rd::<u64>(p)),
            'n' => Scalar::Int(rd::<isize>(p) as i64),
            'N' | 'P' => Scalar::Uint(rd::<usize>(p) as u64),
            'f' => Scalar::Float(f64::from(rd::<f32>(p))),
            'd' => Scalar::Float(rd::<f64>(p)),
            // '?': any non-zero byte is true, as CPython reads a C _Bool.
            _ => Scalar::Bool(rd::<u8>(p) != 0),
        }
    }
}

/// Writes a `T` at an address with any alignment.
///
/// # Safety
/// `p` is writable for `size_of::<T>()` bytes.
#[inline]
unsafe fn wr<T: Copy>(p: *mut u8, v: T) {
    // SAFETY: the caller's contract; `write_unaligned` has no alignment requirement.
    unsafe { p.cast::<T>().write_unaligned(v) }
}

/// Writes `bits` (already range-checked for `code` by the caller) as one native item.
///
/// # Safety
/// `code` has a [`native_item_size`], and `p` is writable for that many bytes of a held,
/// writable export.
#[inline]
pub(crate) unsafe fn write_item(code: char, p: *mut u8, value: Scalar) {
    use std::ffi::{c_int, c_long, c_uint, c_ulong};
    // SAFETY: (all arms) the caller guarantees `p` is writable for the code's size, which
    // is the size of the type written.
    unsafe {
        match (code, value) {
            ('b', Scalar::Int(v)) => wr(p, v as i8),
            ('B', Scalar::Int(v)) => wr(p, v as u8),
            ('h', Scalar::Int(v)) => wr(p, v as i16),
            ('H', Scalar::Int(v)) => wr(p, v as u16),
            ('i', Scalar::Int(v)) => wr(p, v as c_int),
            ('I', Scalar::Int(v)) => wr(p, v as c_uint),
            ('l', Scalar::Int(v)) => wr(p, v as c_long),
            ('L', Scalar::Int(v)) => wr(p, v as c_ulong),
            ('q', Scalar::Int(v)) => wr(p, v),
            ('Q', Scalar::Int(v)) => wr(p, v as u64),
            ('n', Scalar::Int(v)) => wr(p, v as isize),
            ('N' | 'P', Scalar::Int(v)) => wr(p, v as usize),
            ('Q', Scalar::Uint(v)) => wr(p, v),
            ('L', Scalar::Uint(v)) => wr(p, v as c_ulong),
            ('N' | 'P', Scalar::Uint(v)) => wr(p, v as usize),
            ('f', Scalar::Float(x)) => wr(p, x as f32),
            ('d', Scalar::Float(x)) => wr(p, x),
            ('?', Scalar::Bool(b)) => wr(p, u8::from(b)),
            _ => {}
        }
    }
}

/// Copies `dst.len()` bytes of exported memory starting at `src` into `dst`.
///
/// # Safety
/// `src` is readable for `dst.len()` bytes of a held export, not overlapping `dst`.
#[inline]
pub(crate) unsafe fn copy_out(src: *const u8, dst: &mut [u8]) {
    // SAFETY: the caller's contract; `dst` is a distinct Rust-owned buffer.
    unsafe { std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), dst.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct.pack('=' + code, v)` round trips through `write_item`/`read_item` at every
    /// misalignment (views may address items at any offset).
    #[test]
    fn items_round_trip_unaligned() {
        let cases = [
            ('b', Scalar::Int(-5)),
            ('B', Scalar::Int(250)),
            ('h', Scalar::Int(-30000)),
            ('H', Scalar::Int(65535)),
            ('i', Scalar::Int(-7)),
            ('I', Scalar::Int(4_000_000_000)),
            ('l', Scalar::Int(i64::MIN)),
            ('q', Scalar::Int(i64::MAX)),
            ('Q', Scalar::Uint(u64::MAX)),
            ('n', Scalar::Int(-1)),
            ('N', Scalar::Uint(12)),
            ('f', Scalar::Float(1.5)),
            ('d', Scalar::Float(-0.25)),
            ('?', Scalar::Bool(true)),
        ];
        for (code, value) in cases {
            let size = native_item_size(code).unwrap();
            for shift in 0..8 {
                let mut storage = vec![0u8; size + 8];
                let p = storage.as_mut_ptr().wrapping_add(shift);
                // SAFETY: `p..p+size` lies inside `storage` (shift < 8, len = size + 8).
                unsafe { write_item(code, p, value) };
                // SAFETY: as above.
                let back = unsafe { read_item(code, p) };
                let expected = match (code, value) {
                    ('B' | 'H' | 'I', Scalar::Int(v)) => Scalar::Uint(v as u64),
                    _ => value,
                };
                assert_eq!(back, expected, "code {code} shift {shift}");
            }
        }
    }

    #[test]
    fn copy_out_copies_exact_bytes() {
        let src = [1u8, 2, 3, 4, 5];
        let mut dst = [0u8; 3];
        // SAFETY: `src[1..4]` is readable and distinct from `dst`.
        unsafe { copy_out(src.as_ptr().wrapping_add(1), &mut dst) };
        assert_eq!(dst, [2, 3, 4]);
    }
}
