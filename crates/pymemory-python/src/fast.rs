//! Fast paths for the common views: 1-D single-code native formats (item access, `tolist`)
//! and C-contiguous views (`tobytes`, `hex`). Anything else, and every error case, goes
//! through the Rust `MemoryView`, so messages and semantics stay in one place.
//!
//! A view's descriptor never changes after it is made (slices and casts make new views),
//! so it is read once, when the Python object is created; it stays valid while the view is
//! not released, which every entry point checks first.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyList, PyString};

use pymemory_buffer::{BufferExporter, BufferFlags, MemoryView, RawBuffer};

use crate::raw::{Scalar, copy_out, native_item_size, read_item, write_item};

/// The cached descriptor of a view.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fast {
    buf: *mut u8,
    /// 1-D native single-code views: items, stride, code.
    items: Option<(usize, isize, char)>,
    /// C-contiguous views without suboffsets: the byte length.
    contiguous: Option<usize>,
    readonly: bool,
}

/// One export of a view held for the length of a bulk operation, so Python code that runs
/// meanwhile (finalizers during allocation) cannot release it under our feet. The export
/// ends when the descriptor is dropped.
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
        let code = {
            let f = l.format.strip_prefix('@').unwrap_or(l.format);
            let mut chars = f.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if native_item_size(c) == Some(l.itemsize) => Some(c),
                _ => None,
            }
        };
        let items = match code {
            Some(c) if l.shape.len() == 1 => Some((l.shape[0], l.strides[0], c)),
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

    fn item_ptr(&self, i: isize) -> Option<(*mut u8, char)> {
        let (n, stride, code) = self.items?;
        let n = isize::try_from(n).ok()?;
        let k = if i < 0 { i + n } else { i };
        if k < 0 || k >= n {
            return None;
        }
        Some((self.buf.wrapping_offset(k * stride), code))
    }

    /// `m[i]` for an in-range `i`; `None` sends the caller to the general path.
    pub(crate) fn get<'py>(
        &self,
        py: Python<'py>,
        view: &MemoryView,
        i: isize,
    ) -> Option<Bound<'py, PyAny>> {
        if view.is_released() {
            return None;
        }
        let (p, code) = self.item_ptr(i)?;
        // SAFETY: `p` is item `i` (bounds checked) of a view that is not released, whose
        // export therefore still holds the memory; the code's size is the itemsize.
        let s = unsafe { read_item(code, p) };
        Some(scalar_to_py(py, s))
    }

    /// `m[i] = value` for an in-range `i`, an exact int/float/bool value that fits;
    /// `false` sends the caller to the general path (which raises the right error).
    pub(crate) fn set(&self, view: &MemoryView, i: isize, value: &Bound<'_, PyAny>) -> bool {
        if self.readonly || view.is_released() {
            return false;
        }
        let Some((p, code)) = self.item_ptr(i) else {
            return false;
        };
        let Some(s) = scalar_for(code, value) else {
            return false;
        };
        // SAFETY: `p` is item `i` (bounds checked) of a writable view that is not released;
        // `s` was range-checked for `code`.
        unsafe { write_item(code, p, s) };
        true
    }

    /// `m.tolist()` for a 1-D native view.
    pub(crate) fn tolist<'py>(
        &self,
        py: Python<'py>,
        view: &MemoryView,
    ) -> Option<PyResult<Bound<'py, PyList>>> {
        let (n, stride, code) = self.items?;
        if view.is_released() {
            return None;
        }
        let _hold = Hold::new(view)?;
        let base = self.buf;
        let items = (0..n).map(|k| {
            let p = base.wrapping_offset(k as isize * stride);
            // SAFETY: `p` is item `k < n` of the held 1-D view (base + k * stride).
            scalar_to_py(py, unsafe { read_item(code, p) })
        });
        Some(PyList::new(py, items))
    }

    /// The bytes of a C-contiguous view (`tobytes()` for orders `C`/`A`, and `hex()`).
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
        Some(PyBytes::new_with(py, len, |dst| {
            // SAFETY: a C-contiguous view without suboffsets spans `len` bytes from `buf`,
            // held by `_hold`; `dst` is the new bytes object's own storage.
            unsafe { copy_out(self.buf, dst) };
            Ok(())
        }))
    }

    /// `m.hex()` without separators for a C-contiguous view: one pass from the exported
    /// memory into a reused scratch buffer, then one `str` (like CPython, a single
    /// allocation of the result; a fresh temporary would double the page faults).
    pub(crate) fn hex<'py>(
        &self,
        py: Python<'py>,
        view: &MemoryView,
    ) -> Option<Bound<'py, PyString>> {
        let len = self.contiguous?;
        if view.is_released() {
            return None;
        }
        let _hold = Hold::new(view)?;
        HEX_SCRATCH.with_borrow_mut(|scratch| {
            scratch.clear();
            scratch.resize(len * 2, 0);
            let mut chunk = [0u8; 4096];
            for (k, out) in scratch.chunks_mut(2 * chunk.len()).enumerate() {
                let n = out.len() / 2;
                let src = self.buf.wrapping_add(k * chunk.len());
                // SAFETY: `src..src+n` lies inside the `len` contiguous bytes held by
                // `_hold` (chunk k covers bytes k*4096 .. k*4096+n <= len).
                unsafe { copy_out(src, &mut chunk[..n]) };
                for (pair, &b) in out.chunks_exact_mut(2).zip(&chunk[..n]) {
                    let [hi, lo] = HEX_PAIRS[usize::from(b)];
                    pair[0] = hi;
                    pair[1] = lo;
                }
            }
            let text = std::str::from_utf8(scratch)
                .ok()
                .map(|t| PyString::new(py, t));
            if scratch.capacity() > MAX_SCRATCH {
                *scratch = Vec::new();
            }
            text
        })
    }
}

/// Scratch space of `hex`, kept between calls up to `MAX_SCRATCH` bytes.
const MAX_SCRATCH: usize = 64 << 20;

thread_local! {
    static HEX_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The two lowercase hex digits of every byte value.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
        i += 1;
    }
    table
};

fn scalar_to_py(py: Python<'_>, s: Scalar) -> Bound<'_, PyAny> {
    match s {
        Scalar::Int(v) => {
            let Ok(o) = v.into_pyobject(py);
            o.into_any()
        }
        Scalar::Uint(v) => {
            let Ok(o) = v.into_pyobject(py);
            o.into_any()
        }
        Scalar::Float(x) => PyFloat::new(py, x).into_any(),
        Scalar::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
    }
}

/// An exact `int`/`bool`/`float` that `code` accepts as is; `None` otherwise (including
/// out-of-range values, left to the general path for CPython's error).
fn scalar_for(code: char, value: &Bound<'_, PyAny>) -> Option<Scalar> {
    match code {
        'f' | 'd' => {
            if let Ok(f) = value.cast_exact::<PyFloat>() {
                return Some(Scalar::Float(f.value()));
            }
            let v = value.cast_exact::<PyInt>().ok()?.extract::<i64>().ok()?;
            Some(Scalar::Float(v as f64))
        }
        '?' => {
            if let Ok(b) = value.cast_exact::<PyBool>() {
                return Some(Scalar::Bool(b.is_true()));
            }
            let v = value.cast_exact::<PyInt>().ok()?.extract::<i64>().ok()?;
            Some(Scalar::Bool(v != 0))
        }
        'Q' | 'L' | 'N' | 'P' => {
            let v = value.cast_exact::<PyInt>().ok()?.extract::<u64>().ok()?;
            let size = native_item_size(code)?;
            (size == 8 || v < (1u64 << (8 * size))).then_some(Scalar::Uint(v))
        }
        _ => {
            let v = value.cast_exact::<PyInt>().ok()?.extract::<i64>().ok()?;
            let bits = 8 * native_item_size(code)? as u32;
            let ok = match code {
                'B' | 'H' | 'I' => v >= 0 && (v as u64) < (1u64 << bits),
                _ if bits == 64 => true,
                _ => {
                    let max = (1i64 << (bits - 1)) - 1;
                    v >= -max - 1 && v <= max
                }
            };
            ok.then_some(Scalar::Int(v))
        }
    }
}
