//! Fast paths for the common views: 1-D single-code native formats (item access, `tolist`)
//! and C-contiguous views (`tobytes`, `hex`). Anything else, and every error case, goes
//! through the Rust `MemoryView`, so messages and semantics stay in one place.
//!
//! A view's descriptor never changes after it is made (slices and casts make new views),
//! so it is read once, when the Python object is created, with the format already reduced
//! to a machine [`Kind`]; it stays valid while the view is not released, which every
//! entry point checks first. Item access runs no Python code between that check and the
//! access; the bulk paths, which call into CPython, hold the export (`Hold`) meanwhile.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use pymemory_buffer::{BufferExporter, BufferFlags, MemoryView, RawBuffer};

use crate::raw::{
    Kind, Scalar, builtin_hex, builtin_tolist, bytes_from_raw, items_list, read_item,
    scalar_from_object, write_item,
};

/// From this many items, a contiguous `tolist` runs CPython's own list builder over the
/// held memory (`raw::builtin_tolist`): it fills the list with `PyList_SET_ITEM`, which
/// the limited API lacks; below it, making the temporary builtin view costs more.
const BUILTIN_TOLIST_MIN: usize = 256;

/// The cached descriptor of a view.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fast {
    buf: *mut u8,
    /// 1-D native single-code views.
    items: Option<Items>,
    /// C-contiguous views without suboffsets: the byte length.
    contiguous: Option<usize>,
    readonly: bool,
}

/// The items of a 1-D native view.
#[derive(Clone, Copy, Debug)]
struct Items {
    /// Number of items (fits `isize`: a view's extent does).
    n: isize,
    stride: isize,
    kind: Kind,
}

/// One export of a view held for the length of a bulk operation, so Python code that runs
/// meanwhile (finalizers during allocation, another thread) cannot release it under our
/// feet. The export ends when the descriptor is dropped.
struct Hold(#[expect(dead_code, reason = "held only for its drop")] RawBuffer);

impl Hold {
    fn new(view: &MemoryView) -> Option<Hold> {
        view.get_buffer(BufferFlags::FULL_RO).ok().map(Hold)
    }
}

impl Fast {
    /// The fast descriptor of `view`, if it has one.
    pub(crate) fn of(view: &MemoryView) -> Option<Fast> {
        // The borrowed layout: no export, no allocation; `buf` stays valid while the view
        // is not released (see the module docs).
        let l = view.layout().ok()?;
        if l.suboffsets.is_some() {
            return None;
        }
        let kind = {
            let f = l.format.strip_prefix('@').unwrap_or(l.format);
            let mut chars = f.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Kind::of(c, l.itemsize),
                _ => None,
            }
        };
        let items = match kind {
            Some(kind) if l.shape.len() == 1 => Some(Items {
                n: isize::try_from(l.shape[0]).ok()?,
                stride: l.strides[0],
                kind,
            }),
            _ => None,
        };
        let contiguous = l.c_contiguous.then_some(l.len);
        Some(Fast {
            buf: l.buf,
            items,
            contiguous,
            readonly: l.readonly,
        })
    }

    /// Item `i` (negative from the end) if in range: its address and kind.
    #[inline(always)]
    fn item_ptr(&self, i: isize) -> Option<(*mut u8, Kind)> {
        let it = self.items.as_ref()?;
        let k = if i < 0 { i.wrapping_add(it.n) } else { i };
        if k < 0 || k >= it.n {
            return None;
        }
        // `k * stride` is inside the view's extent, checked when the view was made.
        Some((self.buf.wrapping_offset(k * it.stride), it.kind))
    }

    /// Item `i` of the view for an in-range `i`; `None` sends the caller to the general
    /// path. (The small `Scalar` comes back in registers; the caller makes the object.)
    #[inline(always)]
    pub(crate) fn read(&self, view: &MemoryView, i: isize) -> Option<Scalar> {
        let (p, kind) = self.item_ptr(i)?;
        if view.is_released() {
            return None;
        }
        // SAFETY: `p` is item `i` (bounds checked) of a view that is not released, whose
        // export therefore still holds the memory; the kind's size is the itemsize.
        Some(unsafe { read_item(kind, p) })
    }

    /// `m[i] = value` for an in-range `i` and an exact int/float/bool value that fits;
    /// `false` sends the caller to the general path (which raises the right error).
    #[inline(always)]
    pub(crate) fn set(&self, view: &MemoryView, i: isize, value: &Bound<'_, PyAny>) -> bool {
        if self.readonly {
            return false;
        }
        let Some((p, kind)) = self.item_ptr(i) else {
            return false;
        };
        let Some(s) = scalar_from_object(kind, value) else {
            return false;
        };
        // Checked after the conversion, right before the write (no Python code between).
        if view.is_released() {
            return false;
        }
        // SAFETY: `p` is item `i` (bounds checked) of a writable view that is not released;
        // `s` was range-checked for `kind`.
        unsafe { write_item(kind, p, s) };
        true
    }

    /// `m.tolist()` for a 1-D native view.
    pub(crate) fn tolist<'py>(
        &self,
        py: Python<'py>,
        view: &MemoryView,
    ) -> Option<PyResult<Bound<'py, PyList>>> {
        let it = self.items?;
        if view.is_released() {
            return None;
        }
        let _hold = Hold::new(view)?;
        let n = it.n as usize;
        if n >= BUILTIN_TOLIST_MIN && self.contiguous.is_some() {
            let len = self.contiguous.unwrap_or(0);
            // SAFETY: a C-contiguous 1-D view of `n` items of `kind` spans `n * size`
            // bytes from `buf` (its `contiguous` length), held by `_hold` for the call.
            let list = unsafe { builtin_tolist(py, self.buf, len, it.kind.code()) };
            return Some(list.and_then(|l| l.cast_into::<PyList>().map_err(PyErr::from)));
        }
        // SAFETY: items `0..n` at `buf + k * stride` are the held 1-D view's items.
        Some(unsafe { items_list(py, it.kind, self.buf, n, it.stride) })
    }

    /// The bytes of a C-contiguous view (`tobytes()` for orders `C`/`A`).
    pub(crate) fn contiguous_bytes<'py>(
        &self,
        py: Python<'py>,
        view: &MemoryView,
    ) -> Option<PyResult<Bound<'py, PyBytes>>> {
        let len = self.contiguous?;
        if view.is_released() {
            return None;
        }
        let _hold = Hold::new(view)?;
        // SAFETY: a C-contiguous view without suboffsets spans `len` bytes from `buf`,
        // held by `_hold` for the call.
        Some(unsafe { bytes_from_raw(py, self.buf, len) })
    }

    /// `m.hex()` without separators for a C-contiguous view.
    pub(crate) fn hex<'py>(
        &self,
        py: Python<'py>,
        view: &MemoryView,
    ) -> Option<PyResult<Bound<'py, PyAny>>> {
        let len = self.contiguous?;
        if view.is_released() {
            return None;
        }
        let _hold = Hold::new(view)?;
        // SAFETY: `len` contiguous bytes from `buf`, held by `_hold` for the call.
        Some(unsafe { builtin_hex(py, self.buf, len) })
    }
}
