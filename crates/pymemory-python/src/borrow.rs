//! Borrowing any Python buffer as a pymemory [`MemoryView`].
//!
//! Unlike PyO3's `PyBuffer`, the format is parsed by `pymemory_struct` in the PEP 3118
//! dialect, so explicit byte orders (`<i`, `>d`) keep their meaning on every host; NULL
//! strides (ctypes, simple exporters) mean C-contiguous; suboffsets (PIL-style indirect
//! buffers) are kept; read-only exports stay read-only.

use std::collections::HashMap;
use std::ffi::c_int;
use std::rc::Rc;
use std::sync::{Mutex, PoisonError};

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

use pymemory_buffer::{
    BufferExporter, BufferFlags, MemoryView, RawBuffer, RequestMessages, Result as BufResult,
};

use crate::errors::IntoPyResult;
use crate::raw::PyBufferGuard;

/// Python type names as `&'static str` (the exporter trait's type), one leak per distinct
/// type for the whole process (views are made on any thread).
static TYPE_NAMES: Mutex<Option<HashMap<String, &'static str>>> = Mutex::new(None);

fn static_type_name(name: String) -> &'static str {
    let mut names = TYPE_NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let names = names.get_or_insert_with(HashMap::new);
    if let Some(n) = names.get(&name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
    names.insert(name, leaked);
    leaked
}

/// One `PyBUF_FULL_RO` export of a Python object, as a pymemory exporter.
///
/// Cloning shares the same `Py_buffer`; it is released (`PyBuffer_Release`) when the last
/// clone drops, i.e. when the last view made from it is released or dropped. While it is
/// held, the Python exporter keeps its memory in place (a `bytearray` refuses to resize).
#[derive(Clone, Debug)]
pub struct PyExporter(Rc<Inner>);

#[derive(Debug)]
struct Inner {
    guard: PyBufferGuard,
    obj: Py<PyAny>,
    type_name: &'static str,
    /// The full descriptor, computed once (shape and strides filled in when NULL).
    shape: Vec<usize>,
    strides: Vec<isize>,
    suboffsets: Option<Vec<isize>>,
    format: String,
}

impl PyExporter {
    /// Requests `flags` (a `PyBUF_*` combination) from `obj`.
    ///
    /// # Errors
    /// The exporter's exception (`TypeError: a bytes-like object is required, not 'int'`
    /// for objects without the buffer protocol, `BufferError` for refused requests), or
    /// `BufferError` for an inconsistent descriptor.
    pub fn with_flags(obj: &Bound<'_, PyAny>, flags: c_int) -> PyResult<PyExporter> {
        let guard = PyBufferGuard::get(obj, flags)?;
        let itemsize = guard.itemsize();
        let ndim = guard.ndim();
        let shape: Vec<usize> = match guard.shape() {
            Some(s) => s
                .iter()
                .map(|&d| usize::try_from(d))
                .collect::<Result<_, _>>()
                .map_err(|_| PyBufferError::new_err("exporter returned a negative shape"))?,
            None if ndim == 0 => Vec::new(),
            None => vec![guard.len() / itemsize.max(1)],
        };
        let strides = match guard.strides() {
            Some(s) => s,
            None => c_strides(&shape, itemsize),
        };
        let format = guard.format().unwrap_or_else(|| "B".to_owned());
        let suboffsets = guard.suboffsets();
        let type_name = static_type_name(obj.get_type().name()?.to_string());
        Ok(PyExporter(Rc::new(Inner {
            guard,
            obj: obj.clone().unbind(),
            type_name,
            shape,
            strides,
            suboffsets,
            format,
        })))
    }

    /// `PyObject_GetBuffer(obj, PyBUF_FULL_RO)`, what the builtin `memoryview(obj)` asks.
    ///
    /// # Errors
    /// As [`PyExporter::with_flags`].
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<PyExporter> {
        Self::with_flags(obj, ffi::PyBUF_FULL_RO)
    }

    /// The exporting Python object.
    #[must_use]
    pub fn obj(&self) -> &Py<PyAny> {
        &self.0.obj
    }

    /// True if the export is read-only.
    #[must_use]
    pub fn readonly(&self) -> bool {
        self.0.guard.readonly()
    }
}

fn c_strides(shape: &[usize], itemsize: usize) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut step = itemsize as isize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = step;
        step = step.saturating_mul(d as isize);
    }
    strides
}

// SAFETY: the descriptor is the Python exporter's, held (not released) for as long as any
// clone of this handle lives, and every view keeps a clone until its export ends:
// (1) the buffer protocol guarantees the described memory is readable (and writable unless
// `readonly`) while the `Py_buffer` is held; (2) Python exporters refuse to resize while
// exported (`bytearray`, `array.array`, `mmap`); (3) this type never forms references to
// the memory; (4) ndim <= 64 and non-negative sizes are checked when the export is taken,
// shape/strides have ndim entries (filled in when NULL); (5) a NULL `buf` (empty export)
// is replaced by a dangling non-null pointer.
unsafe impl BufferExporter for PyExporter {
    fn get_buffer(&self, flags: BufferFlags) -> BufResult<RawBuffer> {
        let i = &self.0;
        RawBuffer::full(
            i.guard.buf(),
            i.guard.itemsize(),
            i.guard.readonly(),
            i.format.clone(),
            i.shape.clone(),
            i.strides.clone(),
            i.suboffsets.clone(),
            None,
        )
        .apply_request(flags, &RequestMessages::MEMORYVIEW)
    }

    fn type_name(&self) -> &'static str {
        self.0.type_name
    }
}

/// Borrows any object supporting the buffer protocol as a pymemory [`MemoryView`] (what
/// `memoryview(obj)` does), holding the Python buffer until the view and every view made
/// from it are released or dropped.
///
/// ```
/// use pyo3::prelude::*;
/// use pyo3::types::PyByteArray;
/// Python::initialize();
/// Python::attach(|py| -> PyResult<()> {
///     let ba = PyByteArray::new(py, &[1, 0, 0, 0, 0, 0, 0, 2]);
///     let m = pymemory_python::borrow(&ba)?;
///     // Explicit byte order is honoured on every host (unlike PyO3's PyBuffer).
///     let be = m.cast(">i", None).unwrap();
///     assert_eq!(be.tolist().unwrap().to_string(), "[16777216, 2]");
///     // The bytearray cannot resize while the view holds its buffer.
///     assert!(ba.resize(0).is_err());
///     m.release().unwrap();
///     be.release().unwrap();
///     assert!(ba.resize(0).is_ok());
///     Ok(())
/// })?;
/// # Ok::<(), PyErr>(())
/// ```
///
/// # Errors
/// `TypeError` for objects without the buffer protocol, the exporter's `BufferError`, or
/// the view's own checks.
pub fn borrow(obj: &Bound<'_, PyAny>) -> PyResult<MemoryView> {
    let exporter = PyExporter::new(obj)?;
    MemoryView::new(&exporter).py_err(obj.py())
}
