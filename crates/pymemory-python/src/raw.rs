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

// SAFETY: a `Py_buffer` is plain data describing exporter-owned memory; CPython itself
// releases exports on whichever thread drops the consumer. `Drop` releases it with the
// interpreter attached (`Python::attach`), and the accessors only read the descriptor,
// which never changes while held. Reads of the memory itself (`bytes`) are `unsafe` and
// their callers hold the GIL.
unsafe impl Send for PyBufferGuard {}
// SAFETY: as above: shared access only reads the immutable descriptor.
unsafe impl Sync for PyBufferGuard {}

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
    /// `Some(thread)`: the exporter is a user's thread-bound handle (see `local`), so the
    /// state is dropped on that thread; `None`: pymemory's own GIL-guarded handles.
    owner: Option<std::ffi::c_ulong>,
    _exporter: Box<dyn BufferExporter>,
    raw: RawBuffer,
    format: Option<CString>,
    shape: Vec<ffi::Py_ssize_t>,
    strides: Vec<ffi::Py_ssize_t>,
    suboffsets: Vec<ffi::Py_ssize_t>,
}

/// `bf_getbuffer` for a pymemory object: exports `exporter` for `flags` and fills `view`,
/// with `owner` as `view.obj`. `thread` is the thread the exporter is bound to (`None`:
/// pymemory's own handles, usable by any attached thread); the export then ends on that
/// thread whichever thread releases it.
///
/// # Safety
/// `view` is the non-null, writable `Py_buffer` pointer CPython passed to `bf_getbuffer`,
/// and `owner` is the object whose slot is being called.
pub(crate) unsafe fn fill_export(
    view: *mut ffi::Py_buffer,
    flags: c_int,
    owner: &Bound<'_, PyAny>,
    exporter: Box<dyn BufferExporter>,
    thread: Option<std::ffi::c_ulong>,
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
        owner: thread,
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
    // Dropping the state drops the descriptor: the Rust export ends here, or, for a
    // thread-bound exporter released on another thread, on its owner thread's next
    // pymemory call (`local::release_pending`).
    match state.owner {
        Some(thread) => crate::local::defer_drop(thread, state),
        None => drop(state),
    }
}

/// The machine type of a native single-code item (`@` formats of `native_item_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    Bool,
}

impl Kind {
    /// The kind of a native single-code format `code` whose items are `itemsize` bytes.
    pub(crate) fn of(code: char, itemsize: usize) -> Option<Kind> {
        if native_item_size(code) != Some(itemsize) {
            return None;
        }
        let signed = matches!(code, 'b' | 'h' | 'i' | 'l' | 'q' | 'n');
        Some(match (code, itemsize, signed) {
            ('f', ..) => Kind::F32,
            ('d', ..) => Kind::F64,
            ('?', ..) => Kind::Bool,
            (_, 1, true) => Kind::I8,
            (_, 1, false) => Kind::U8,
            (_, 2, true) => Kind::I16,
            (_, 2, false) => Kind::U16,
            (_, 4, true) => Kind::I32,
            (_, 4, false) => Kind::U32,
            (_, 8, true) => Kind::I64,
            (_, 8, false) => Kind::U64,
            _ => return None,
        })
    }

    /// The canonical native struct code of the kind (what the builtin `cast` takes).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Kind::I8 => "b",
            Kind::U8 => "B",
            Kind::I16 => "h",
            Kind::U16 => "H",
            Kind::I32 => "i",
            Kind::U32 => "I",
            Kind::I64 => "q",
            Kind::U64 => "Q",
            Kind::F32 => "f",
            Kind::F64 => "d",
            Kind::Bool => "?",
        }
    }

    /// Inclusive range of the integer kinds (`None`: not an integer kind).
    fn int_range(self) -> Option<(i64, i64)> {
        Some(match self {
            Kind::I8 => (i8::MIN.into(), i8::MAX.into()),
            Kind::U8 => (0, u8::MAX.into()),
            Kind::I16 => (i16::MIN.into(), i16::MAX.into()),
            Kind::U16 => (0, u16::MAX.into()),
            Kind::I32 => (i32::MIN.into(), i32::MAX.into()),
            Kind::U32 => (0, u32::MAX.into()),
            Kind::I64 => (i64::MIN, i64::MAX),
            Kind::U64 => (0, i64::MAX),
            Kind::F32 | Kind::F64 | Kind::Bool => return None,
        })
    }
}

/// One item of a native kind, read into Rust (see [`read_item`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scalar {
    /// Every integer kind but `U64` (all fit an `i64`).
    Int(i64),
    /// `U64`.
    Uint(u64),
    /// `F32` and `F64`.
    Float(f64),
    /// `Bool`.
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
#[inline(always)]
unsafe fn rd<T: Copy>(p: *const u8) -> T {
    // SAFETY: the caller's contract; `read_unaligned` has no alignment requirement.
    unsafe { p.cast::<T>().read_unaligned() }
}

/// Reads one native item of `kind` at `p`.
///
/// # Safety
/// `p` is readable for `kind`'s size in bytes of a held export (bounds checked by the
/// caller).
#[inline(always)]
pub(crate) unsafe fn read_item(kind: Kind, p: *const u8) -> Scalar {
    // SAFETY: (all arms) the caller guarantees `p` is readable for the kind's size, which
    // is the size of the type read; integer and float types accept every bit pattern.
    unsafe {
        match kind {
            Kind::I8 => Scalar::Int(rd::<i8>(p).into()),
            Kind::U8 => Scalar::Int(rd::<u8>(p).into()),
            Kind::I16 => Scalar::Int(rd::<i16>(p).into()),
            Kind::U16 => Scalar::Int(rd::<u16>(p).into()),
            Kind::I32 => Scalar::Int(rd::<i32>(p).into()),
            Kind::U32 => Scalar::Int(rd::<u32>(p).into()),
            Kind::I64 => Scalar::Int(rd::<i64>(p)),
            Kind::U64 => Scalar::Uint(rd::<u64>(p)),
            Kind::F32 => Scalar::Float(rd::<f32>(p).into()),
            Kind::F64 => Scalar::Float(rd::<f64>(p)),
            // Any non-zero byte is true, as CPython reads a C _Bool.
            Kind::Bool => Scalar::Bool(rd::<u8>(p) != 0),
        }
    }
}

/// Writes a `T` at an address with any alignment.
///
/// # Safety
/// `p` is writable for `size_of::<T>()` bytes.
#[inline(always)]
unsafe fn wr<T: Copy>(p: *mut u8, v: T) {
    // SAFETY: the caller's contract; `write_unaligned` has no alignment requirement.
    unsafe { p.cast::<T>().write_unaligned(v) }
}

/// Writes `value` (already range-checked for `kind`, see [`scalar_from_object`]) as one
/// native item.
///
/// # Safety
/// `p` is writable for `kind`'s size in bytes of a held, writable export.
#[inline(always)]
pub(crate) unsafe fn write_item(kind: Kind, p: *mut u8, value: Scalar) {
    // SAFETY: (all arms) the caller guarantees `p` is writable for the kind's size, which
    // is the size of the type written. Integer casts only drop bits of checked values.
    unsafe {
        match (kind, value) {
            (Kind::I8 | Kind::U8, Scalar::Int(v)) => wr(p, v as u8),
            (Kind::I16 | Kind::U16, Scalar::Int(v)) => wr(p, v as u16),
            (Kind::I32 | Kind::U32, Scalar::Int(v)) => wr(p, v as u32),
            (Kind::I64 | Kind::U64, Scalar::Int(v)) => wr(p, v),
            (Kind::U64, Scalar::Uint(v)) => wr(p, v),
            (Kind::F32, Scalar::Float(x)) => wr(p, x as f32),
            (Kind::F64, Scalar::Float(x)) => wr(p, x),
            (Kind::Bool, Scalar::Bool(b)) => wr(p, u8::from(b)),
            _ => {}
        }
    }
}

/// A new reference to the Python object of `s` (`int`, `float` or `bool`).
#[inline]
fn scalar_ptr(s: Scalar) -> *mut ffi::PyObject {
    // SAFETY: (all arms) the constructors take plain values; the caller is attached (it
    // holds a `Python` token, see `scalar_object`/`items_list`). NULL means a raised error.
    unsafe {
        match s {
            Scalar::Int(v) => ffi::PyLong_FromLongLong(v),
            Scalar::Uint(v) => ffi::PyLong_FromUnsignedLongLong(v),
            Scalar::Float(x) => ffi::PyFloat_FromDouble(x),
            Scalar::Bool(b) => ffi::PyBool_FromLong(std::ffi::c_long::from(b)),
        }
    }
}

/// The Python object of `s`: what the builtin memoryview returns for the item.
#[inline]
pub(crate) fn scalar_object(py: Python<'_>, s: Scalar) -> PyResult<Bound<'_, PyAny>> {
    let p = scalar_ptr(s);
    // SAFETY: `p` is a new reference or NULL with an exception set (attached: `py`).
    unsafe { Bound::from_owned_ptr_or_err(py, p) }
}

/// `key` as an index if it is an exact `int` that fits `isize` (the hot `m[i]` case);
/// `None` sends the caller to the general path.
#[inline]
pub(crate) fn exact_index(key: &Bound<'_, PyAny>) -> Option<isize> {
    if !key.is_exact_instance_of::<pyo3::types::PyInt>() {
        return None;
    }
    // SAFETY: `key` is a live exact `int` (attached: we hold a `Bound`).
    let i = unsafe { ffi::PyLong_AsSsize_t(key.as_ptr()) };
    if i == -1 && PyErr::take(key.py()).is_some() {
        return None;
    }
    Some(i)
}

/// `value` as an item of `kind` when it is an exact `int` (or `float`, `bool` for those
/// kinds) the kind holds as is; `None` otherwise, including out-of-range values (the
/// general path raises CPython's error).
#[inline]
pub(crate) fn scalar_from_object(kind: Kind, value: &Bound<'_, PyAny>) -> Option<Scalar> {
    use pyo3::types::{PyBool, PyFloat, PyInt};
    let obj = value.as_ptr();
    let int = || -> Option<Result<i64, ()>> {
        if !value.is_exact_instance_of::<PyInt>() {
            return None;
        }
        let mut overflow: c_int = 0;
        // SAFETY: `obj` is a live exact `int`; the call never fails for one (overflow is
        // reported in `overflow`, not raised).
        let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj, &raw mut overflow) };
        Some(if overflow == 0 { Ok(v) } else { Err(()) })
    };
    match kind {
        Kind::F32 | Kind::F64 => {
            if value.is_exact_instance_of::<PyFloat>() {
                // SAFETY: `obj` is a live exact `float`: the call cannot fail.
                return Some(Scalar::Float(unsafe { ffi::PyFloat_AsDouble(obj) }));
            }
            Some(Scalar::Float(int()?.ok()? as f64))
        }
        Kind::Bool => {
            if value.is_exact_instance_of::<PyBool>() {
                return Some(Scalar::Bool(value.is(PyBool::new(value.py(), true))));
            }
            // An int too large for i64 is not zero: true.
            Some(Scalar::Bool(int()? != Ok(0)))
        }
        _ => {
            let (lo, hi) = kind.int_range()?;
            match int()? {
                Ok(v) if v >= lo && v <= hi => Some(Scalar::Int(v)),
                Ok(_) => None,
                Err(()) if kind == Kind::U64 => {
                    // SAFETY: `obj` is a live exact `int`; an error (negative or too
                    // large) is cleared below and sends the caller to the general path.
                    let u = unsafe { ffi::PyLong_AsUnsignedLongLong(obj) };
                    if u == u64::MAX && PyErr::take(value.py()).is_some() {
                        return None;
                    }
                    Some(Scalar::Uint(u))
                }
                Err(()) => None,
            }
        }
    }
}

/// `[m[0], ..., m[n-1]]` of a 1-D native view: `n` items of `kind` at `base`, `base +
/// stride`, ..., in one preallocated list.
///
/// # Safety
/// For every `k < n`, `base + k * stride` is readable for `kind`'s size in bytes of an
/// export held for the whole call.
pub(crate) unsafe fn items_list<'py>(
    py: Python<'py>,
    kind: Kind,
    base: *const u8,
    n: usize,
    stride: isize,
) -> PyResult<Bound<'py, pyo3::types::PyList>> {
    let len =
        ffi::Py_ssize_t::try_from(n).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
    // SAFETY: attached (`py`); a new list of `len` NULL slots, or NULL with an error.
    let list = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyList_New(len))? };
    let lp = list.as_ptr();
    /// Fills every slot with `make(item k)`, monomorphised per kind so the loop body is
    /// one load and one constructor call.
    ///
    /// # Safety
    /// As `items_list`; `lp` is a fresh list of `n` NULL slots.
    #[inline(always)]
    unsafe fn fill(
        lp: *mut ffi::PyObject,
        base: *const u8,
        n: usize,
        stride: isize,
        make: impl Fn(*const u8) -> *mut ffi::PyObject,
    ) -> bool {
        let mut p = base;
        for k in 0..n {
            let obj = make(p);
            if obj.is_null() {
                return false;
            }
            // SAFETY: `k < n` is a valid slot of the fresh list, which steals `obj`
            // (the slot held NULL, so nothing is released).
            unsafe { ffi::PyList_SetItem(lp, k as ffi::Py_ssize_t, obj) };
            p = p.wrapping_offset(stride);
        }
        true
    }
    // SAFETY: (all arms) the caller's contract covers every item address; constructors
    // return a new reference or NULL with an exception set.
    let ok = unsafe {
        match kind {
            Kind::I8 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromLong(rd::<i8>(p).into())
            }),
            Kind::U8 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromLong(rd::<u8>(p).into())
            }),
            Kind::I16 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromLong(rd::<i16>(p).into())
            }),
            Kind::U16 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromLong(rd::<u16>(p).into())
            }),
            Kind::I32 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromLongLong(rd::<i32>(p).into())
            }),
            Kind::U32 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromLongLong(rd::<u32>(p).into())
            }),
            Kind::I64 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromLongLong(rd::<i64>(p))
            }),
            Kind::U64 => fill(lp, base, n, stride, |p| {
                ffi::PyLong_FromUnsignedLongLong(rd::<u64>(p))
            }),
            Kind::F32 => fill(lp, base, n, stride, |p| {
                ffi::PyFloat_FromDouble(rd::<f32>(p).into())
            }),
            Kind::F64 => fill(lp, base, n, stride, |p| {
                ffi::PyFloat_FromDouble(rd::<f64>(p))
            }),
            Kind::Bool => fill(lp, base, n, stride, |p| {
                ffi::PyBool_FromLong((rd::<u8>(p) != 0).into())
            }),
        }
    };
    if ok {
        // SAFETY: `PyList_New` returns a `list`.
        Ok(unsafe { list.cast_into_unchecked() })
    } else {
        // The list (with its NULL tail) is freed by `list`'s drop.
        Err(PyErr::fetch(py))
    }
}

/// A new `bytes` object holding a copy of `len` bytes at `src` (one copy, no zeroing).
///
/// # Safety
/// `src` is readable for `len` bytes of an export held for the call.
pub(crate) unsafe fn bytes_from_raw(
    py: Python<'_>,
    src: *const u8,
    len: usize,
) -> PyResult<Bound<'_, pyo3::types::PyBytes>> {
    let n =
        ffi::Py_ssize_t::try_from(len).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
    // SAFETY: the caller's contract; CPython copies the bytes before returning. Attached
    // (`py`).
    let obj = unsafe { ffi::PyBytes_FromStringAndSize(src.cast(), n) };
    // SAFETY: a new reference or NULL with an exception set.
    let any = unsafe { Bound::from_owned_ptr_or_err(py, obj)? };
    // SAFETY: `PyBytes_FromStringAndSize` returns a `bytes` object.
    Ok(unsafe { any.cast_into_unchecked() })
}

/// A read-only builtin memoryview (format `B`) over `len` bytes at `src`.
///
/// # Safety
/// `src` is readable for `len` bytes of an export held for as long as the returned object
/// is used; the caller releases it before the export ends and never lets it escape.
unsafe fn raw_builtin_view<'py>(
    py: Python<'py>,
    src: *const u8,
    len: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let n =
        ffi::Py_ssize_t::try_from(len).map_err(|_| pyo3::exceptions::PyMemoryError::new_err(""))?;
    // SAFETY: the caller's contract; attached (`py`). A new reference or NULL with an
    // exception set.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyMemoryView_FromMemory(src.cast_mut().cast(), n, ffi::PyBUF_READ),
        )
    }
}

/// `memoryview(raw bytes).cast(code).tolist()`: CPython's own list builder over `len`
/// contiguous bytes at `src` holding items of native single-char format `code`. The
/// limited API has no `PyList_SET_ITEM`, so for long lists CPython's loop is the fast one.
///
/// # Safety
/// `src` is readable for `len` bytes of an export held for the call.
pub(crate) unsafe fn builtin_tolist<'py>(
    py: Python<'py>,
    src: *const u8,
    len: usize,
    code: &'static str,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the caller's contract; the view is released below and never escapes.
    let mv = unsafe { raw_builtin_view(py, src, len)? };
    let list = mv
        .call_method1(pyo3::intern!(py, "cast"), (code,))
        .and_then(|typed| {
            let list = typed.call_method0(pyo3::intern!(py, "tolist"));
            let _ = typed.call_method0(pyo3::intern!(py, "release"));
            list
        });
    let _ = mv.call_method0(pyo3::intern!(py, "release"));
    list
}

/// `memoryview(raw bytes).hex()` computed by CPython's own `hex` over `len` bytes at
/// `src`: the limited API has no way to fill a `str` in place, so this is the one pass
/// from the memory to the result (a Rust-built text would be copied again).
///
/// # Safety
/// `src` is readable for `len` bytes of an export held for the call.
pub(crate) unsafe fn builtin_hex(
    py: Python<'_>,
    src: *const u8,
    len: usize,
) -> PyResult<Bound<'_, PyAny>> {
    // SAFETY: a read-only builtin memoryview over the held memory; it never escapes this
    // function (only its `hex` result does), so it does not outlive the export.
    let mv = unsafe { raw_builtin_view(py, src, len)? };
    let hex = mv.call_method0(pyo3::intern!(py, "hex"));
    // Ends the builtin view now, whoever else might have got hold of it.
    let _ = mv.call_method0(pyo3::intern!(py, "release"));
    hex
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
            ('Q', Scalar::Int(5)),
            ('n', Scalar::Int(-1)),
            ('N', Scalar::Int(12)),
            ('f', Scalar::Float(1.5)),
            ('d', Scalar::Float(-0.25)),
            ('?', Scalar::Bool(true)),
        ];
        for (code, value) in cases {
            let size = native_item_size(code).unwrap();
            let kind = Kind::of(code, size).unwrap();
            for shift in 0..8 {
                let mut storage = vec![0u8; size + 8];
                let p = storage.as_mut_ptr().wrapping_add(shift);
                // SAFETY: `p..p+size` lies inside `storage` (shift < 8, len = size + 8).
                unsafe { write_item(kind, p, value) };
                // SAFETY: as above.
                let back = unsafe { read_item(kind, p) };
                let expected = match (kind, value) {
                    (Kind::U64, Scalar::Int(v)) => Scalar::Uint(v as u64),
                    _ => value,
                };
                assert_eq!(back, expected, "code {code} shift {shift}");
                // The bytes are the native representation (what struct.pack('=...') gives).
                let native: Vec<u8> = match value {
                    Scalar::Int(v) => v.to_ne_bytes()[..size].to_vec(),
                    Scalar::Uint(v) => v.to_ne_bytes()[..size].to_vec(),
                    Scalar::Float(x) if size == 4 => (x as f32).to_ne_bytes().to_vec(),
                    Scalar::Float(x) => x.to_ne_bytes().to_vec(),
                    Scalar::Bool(b) => vec![u8::from(b)],
                };
                if cfg!(target_endian = "little") {
                    assert_eq!(&storage[shift..shift + size], &native[..], "code {code}");
                }
            }
        }
    }

    #[test]
    fn kinds_follow_native_sizes() {
        assert_eq!(Kind::of('B', 1), Some(Kind::U8));
        assert_eq!(Kind::of('l', 8), Some(Kind::I64));
        assert_eq!(Kind::of('i', 8), None);
        assert_eq!(Kind::of('e', 2), None);
        assert_eq!(Kind::int_range(Kind::U32), Some((0, 4_294_967_295)));
    }
}
