//! Exposing Rust-owned buffers to Python, zero-copy.

use std::ffi::c_int;

use pyo3::ffi;
use pyo3::prelude::*;

use pymemory_buffer::{BufferExporter, MemoryView};

use crate::errors::IntoPyResult;
use crate::local::Local;
use crate::raw::{fill_export, release_export};

/// Object-safe cloning of an exporter handle.
trait DynExporter {
    fn clone_box(&self) -> Box<dyn BufferExporter>;
    fn exporter(&self) -> &dyn BufferExporter;
    fn view(&self) -> pymemory_buffer::Result<MemoryView>;
}

impl<E: BufferExporter + Clone> DynExporter for E {
    fn clone_box(&self) -> Box<dyn BufferExporter> {
        Box::new(self.clone())
    }
    fn exporter(&self) -> &dyn BufferExporter {
        self
    }
    fn view(&self) -> pymemory_buffer::Result<MemoryView> {
        MemoryView::new(self)
    }
}

/// `pymemory.RustBuffer`: a Python object exporting Rust-owned memory through the buffer
/// protocol (made by [`export`]).
///
/// Every Python export (`memoryview(x)`, `numpy.asarray(x)`, `bytes(x)`) is one export of
/// the Rust exporter, counted by it: while any is held, the Rust side cannot resize the
/// storage (`BufferError`), and the storage lives at least as long as the exports (each
/// holds a clone of the exporter handle).
///
/// The exporter is the caller's (it may keep clones and touch them without the GIL), so
/// the object is bound to the thread that made it: other threads get `RuntimeError`,
/// except that they may release its exports and drop it; those releases are honoured on
/// the owner thread at its next call into a `RustBuffer`, its next `export`,
/// [`release_pending`](crate::release_pending), or its exit (after which a release leaks
/// the exporter rather than drop it on the wrong thread).
///
/// Python code on any thread may read and write the exported memory through its views
/// (under the GIL). Rust code that keeps a clone of the exporter must therefore not write
/// that memory while detached from the interpreter as long as Python may hold a view.
#[pyclass(name = "RustBuffer", module = "pymemory", frozen, weakref)]
pub struct RustBuffer {
    inner: Local<Box<dyn DynExporter>>,
}

impl std::fmt::Debug for RustBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Py::get` reaches a frozen class on any thread, without the GIL: the exporter
        // (thread-bound, see `local`) stays untouched.
        f.write_str("RustBuffer { .. }")
    }
}

#[pymethods]
impl RustBuffer {
    /// The buffer protocol export (`bf_getbuffer`).
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let this = slf.get();
        let exporter = this.inner.get()?.clone_box();
        let thread = Some(this.inner.owner());
        // SAFETY: CPython passes the writable `Py_buffer` of this `bf_getbuffer` call, and
        // `slf` is the exporting object.
        unsafe { fill_export(view, flags, slf.as_any(), exporter, thread) }
    }

    /// Ends an export (`bf_releasebuffer`), on any thread: the end is deferred to the
    /// owner thread when released elsewhere (see `raw::release_export`).
    unsafe fn __releasebuffer__(&self, view: *mut ffi::Py_buffer) {
        // SAFETY: CPython passes a `Py_buffer` this object's `__getbuffer__` filled.
        unsafe { release_export(view) }
    }

    /// The exporter's type name (what `memoryview(x).obj` messages show).
    #[getter]
    fn type_name(&self) -> PyResult<&'static str> {
        Ok(self.inner.get()?.exporter().type_name())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(format!(
            "<pymemory.RustBuffer of {} at {:#x}>",
            slf.get().inner.get()?.exporter().type_name(),
            slf.as_ptr() as usize
        ))
    }
}

impl RustBuffer {
    /// A pymemory view of the exported memory (one more export of the Rust exporter).
    ///
    /// # Errors
    /// The exporter's refusal; `RuntimeError` on a thread other than the one that made the
    /// object.
    pub fn view(&self, py: Python<'_>) -> PyResult<MemoryView> {
        self.inner.get()?.view().py_err(py)
    }
}

/// Hands a Rust exporter (`VecBuffer<T>`, `Array`, `ByteArray`, `MmapBuffer`, a
/// `MemoryView`, or any `SafeExporter` of yours) to Python as an object supporting the
/// buffer protocol, without copying.
///
/// The object keeps a clone of the exporter handle; each Python export is one export of
/// the exporter, so a resizable exporter refuses to resize while Python holds a view, and
/// the storage cannot be freed before the last Python view is released.
///
/// ```
/// use pyo3::prelude::*;
/// use pymemory_buffer::VecBuffer;
/// Python::initialize();
/// Python::attach(|py| -> PyResult<()> {
///     let data = VecBuffer::new(vec![1.5f64, 2.5]);
///     let obj = pymemory_python::export(py, data.clone())?;
///     let m = py.import("builtins")?.getattr("memoryview")?.call1((&obj,))?;
///     assert_eq!(m.getattr("format")?.extract::<String>()?, "d");
///     m.set_item(1, 7.0)?; // Python writes straight into the Rust Vec
///     assert_eq!(data.get(1), Some(7.0));
///     Ok(())
/// })?;
/// # Ok::<(), PyErr>(())
/// ```
///
/// # Errors
/// Only Python's allocation failure.
pub fn export<E: BufferExporter + Clone>(
    py: Python<'_>,
    exporter: E,
) -> PyResult<Bound<'_, RustBuffer>> {
    crate::local::drain_pending();
    Bound::new(
        py,
        RustBuffer {
            inner: Local::new(Box::new(exporter)),
        },
    )
}
