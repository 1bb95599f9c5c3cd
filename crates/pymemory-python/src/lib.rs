//! The `pymemory` Python package (PyO3), and a safe Rust API for extension authors who
//! move buffers between Rust and Python without copies.
//!
//! ```
//! use pymemory_buffer::VecBuffer;
//! use pymemory_python::{borrow, export};
//! use pyo3::prelude::*;
//!
//! Python::initialize();
//! Python::attach(|py| -> PyResult<()> {
//!     // Rust-owned memory handed to Python zero-copy: a buffer-protocol object.
//!     let data = VecBuffer::new(vec![1u32, 2, 3]);
//!     let obj = export(py, data.clone())?;
//!     let m = py.import("builtins")?.getattr("memoryview")?.call1((&obj,))?;
//!     assert_eq!(m.getattr("format")?.extract::<String>()?, "I");
//!     // Any Python buffer borrowed as a pymemory MemoryView, byte order honoured.
//!     let bytes = pyo3::types::PyBytes::new(py, b"\x00\x00\x00\x01");
//!     let view = borrow(&bytes)?;
//!     assert_eq!(view.cast(">i", None).unwrap().tolist().unwrap().to_string(), "[1]");
//!     Ok(())
//! })?;
//! # Ok::<(), PyErr>(())
//! ```
//!
//! The Python side (`import pymemory`) is built with maturin from this crate; see
//! `crates/pymemory-python/README.md`.
//!
//! Threads: `pymemory.memoryview` and `pymemory.array` objects are usable, releasable and
//! droppable from any Python thread (the GIL guards them). A [`RustBuffer`] wraps the
//! caller's exporter and is bound to the thread that called [`export`]; views of it that
//! other threads release are honoured on that thread ([`release_pending`], or at its exit).

// The state behind `pymemory.memoryview` and `pymemory.array` is guarded by the GIL (see
// `local.rs`); PyO3 builds version-specific free-threaded modules even when abi3 is asked
// for, so refuse those explicitly rather than race.
#[cfg(Py_GIL_DISABLED)]
compile_error!(
    "pymemory-python needs a CPython with the GIL (free-threaded builds are not supported)"
);

mod array;
mod borrow;
#[cfg_attr(
    not(feature = "module"),
    expect(dead_code, reason = "used by the struct module")
)]
mod convert;
mod errors;
mod export;
mod fast;
mod local;
#[cfg_attr(
    not(feature = "module"),
    expect(dead_code, reason = "used by the struct module")
)]
mod raw;
#[cfg(feature = "module")]
mod structmod;
mod view;

pub use array::PyArray;
pub use borrow::{PyExporter, borrow};
pub use export::{RustBuffer, export};
pub use local::release_pending;
pub use view::{PyMemoryView, PyViewIter};

#[cfg(feature = "module")]
use pyo3::prelude::*;

/// The extension module `pymemory._pymemory`; the pure-Python package `pymemory`
/// re-exports it.
#[cfg(feature = "module")]
#[pymodule(gil_used = true)]
fn _pymemory(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let st = PyModule::new(py, "_struct")?;
    structmod::register(&st)?;
    m.add_submodule(&st)?;
    m.add_class::<view::PyMemoryView>()?;
    m.add_class::<view::PyViewIter>()?;
    m.add_class::<export::RustBuffer>()?;
    m.add_class::<array::PyArray>()?;
    m.add_class::<array::ArrayIter>()?;
    m.add("__all__", vec!["memoryview", "array", "RustBuffer"])?;
    // `array`'s type name stays the builtin's ("array.array") so messages that name the
    // type read the same; the class still says where it lives. (PyO3 always qualifies the
    // type name, so `memoryview`'s is "pymemory.memoryview".)
    m.getattr("array")?.setattr("__module__", "pymemory")?;
    Ok(())
}
