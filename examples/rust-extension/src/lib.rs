//! An example PyO3 extension built on `pymemory-python`'s safe buffer API: Rust-owned
//! memory goes to Python without a copy (and cannot be freed or resized while Python
//! holds a view), and any Python buffer comes into Rust as a pymemory `MemoryView` with
//! correct byte order.
//!
//! ```
//! use pyo3::prelude::*;
//! Python::initialize();
//! Python::attach(|py| -> PyResult<()> {
//!     let squares = pymemory_example::squares(py, 4)?;
//!     let m = py.import("builtins")?.getattr("memoryview")?.call1((squares,))?;
//!     assert_eq!(m.call_method0("tolist")?.extract::<Vec<u64>>()?, vec![0, 1, 4, 9]);
//!     Ok(())
//! })?;
//! # Ok::<(), PyErr>(())
//! ```

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use pymemory_buffer::bytearray::ByteArray;
use pymemory_buffer::{Value, VecBuffer};
use pymemory_python::{RustBuffer, borrow, export};

fn to_py_err(e: &pymemory_buffer::Error) -> PyErr {
    // Only BufferError and ValueError come out of the operations used here.
    match e.kind() {
        pymemory_buffer::ExceptionKind::BufferError => {
            pyo3::exceptions::PyBufferError::new_err(e.message().to_owned())
        }
        _ => PyValueError::new_err(e.message().to_owned()),
    }
}

/// `squares(n)`: a Rust `Vec<u64>` of `i*i`, exported to Python zero-copy (format `Q`).
///
/// # Errors
/// Only allocation failure of the Python object.
#[pyfunction]
pub fn squares(py: Python<'_>, n: u64) -> PyResult<Bound<'_, RustBuffer>> {
    let data: Vec<u64> = (0..n).map(|i| i * i).collect();
    export(py, VecBuffer::new(data))
}

/// `zeros(nbytes)`: a zeroed Rust `Vec<u8>` of `nbytes` exported to Python; the hand-off
/// is O(1) whatever the size (the benchmark uses 1 GB).
///
/// # Errors
/// Only allocation failure of the Python object.
#[pyfunction]
pub fn zeros(py: Python<'_>, nbytes: usize) -> PyResult<Bound<'_, RustBuffer>> {
    export(py, VecBuffer::new(vec![0u8; nbytes]))
}

/// `sum_as(obj, fmt)`: borrows any Python buffer, casts it to the struct format `fmt`
/// (explicit byte order honoured: `'>i'` is big-endian on every host) and sums the items.
///
/// # Errors
/// The view's errors (bad format, size mismatch) as Python exceptions.
#[pyfunction]
pub fn sum_as(obj: &Bound<'_, PyAny>, fmt: &str) -> PyResult<f64> {
    let view = borrow(obj)?;
    let bytes = view.cast("B", None).map_err(|e| to_py_err(&e))?;
    let typed = bytes.cast(fmt, None).map_err(|e| to_py_err(&e))?;
    let mut total = 0.0;
    let n = typed.len().map_err(|e| to_py_err(&e))?;
    for i in 0..n as isize {
        total += match typed.item(i).map_err(|e| to_py_err(&e))? {
            Value::Int(v) => v as f64,
            Value::Float(x) => x,
            Value::Bool(b) => f64::from(u8::from(b)),
            other => return Err(PyValueError::new_err(format!("not a number: {other}"))),
        };
    }
    Ok(total)
}

/// `Log()`: a growable Rust byte log (a pymemory `ByteArray`) shared with Python.
#[pyclass(unsendable)]
#[derive(Debug)]
pub struct Log {
    data: ByteArray,
}

#[pymethods]
impl Log {
    #[new]
    fn new() -> Self {
        Log {
            data: ByteArray::new(),
        }
    }

    /// Appends bytes on the Rust side: refused with `BufferError` while Python holds a
    /// view of the log.
    fn append(&self, py: Python<'_>, chunk: &[u8]) -> PyResult<()> {
        // Views that other Python threads released end here, on the log's own thread
        // (the `ByteArray` is not thread-safe, so their release was queued for us).
        pymemory_python::release_pending(py);
        self.data
            .extend_from_slice(chunk)
            .map_err(|e| to_py_err(&e))
    }

    /// The log as a buffer-protocol object sharing the Rust memory.
    fn buffer<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, RustBuffer>> {
        export(py, self.data.clone())
    }

    fn __len__(&self) -> usize {
        self.data.len()
    }
}

/// The `pymemory_example` extension module.
#[pymodule(gil_used = true)]
fn pymemory_example(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(squares, m)?)?;
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(sum_as, m)?)?;
    m.add_class::<Log>()?;
    Ok(())
}
