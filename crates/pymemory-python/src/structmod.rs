//! `pymemory.struct`: Python's `struct` module on top of `pymemory_struct`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::c_int;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use pymemory_struct::{Error, ExceptionKind, Format, Struct as RustStruct};

use crate::convert::{tuple_of, values_for};
use crate::errors::{IntoPyResult, struct_error_type, to_pyerr};
use crate::raw::PyBufferGuard;

thread_local! {
    /// Parsed formats of the module-level functions, as CPython's `_struct` caches them.
    static CACHE: RefCell<HashMap<String, RustStruct>> = RefCell::new(HashMap::new());
}

const MAX_CACHE: usize = 100;

/// The text of a format argument: `str`, or `bytes` read as Latin-1.
fn format_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        // A non-ASCII byte is just a bad char to CPython (no encoding step for bytes):
        // DEL, also never a format code, gives the same `struct.error`.
        return Ok(b
            .as_bytes()
            .iter()
            .map(|&c| if c.is_ascii() { char::from(c) } else { '\x7f' })
            .collect());
    }
    Err(PyTypeError::new_err(format!(
        "Struct() argument 1 must be a str or bytes object, not {}",
        obj.get_type().name()?
    )))
}

/// Compiles `text`, the format argument `obj` as text; a str's encoding error is Python's.
fn compile(py: Python<'_>, obj: &Bound<'_, PyAny>, text: &str) -> PyResult<RustStruct> {
    RustStruct::new(text).map_err(|e| match obj.cast::<PyString>() {
        Ok(s) => crate::errors::to_pyerr_for_text(py, &e, s),
        Err(_) => crate::errors::to_pyerr(py, &e),
    })
}

/// The compiled format for a format argument (through the cache).
fn cached(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<RustStruct> {
    let text = format_text(obj)?;
    if let Some(s) = CACHE.with_borrow(|c| c.get(&text).cloned()) {
        return Ok(s);
    }
    let s = compile(py, obj, &text)?;
    CACHE.with_borrow_mut(|c| {
        if c.len() >= MAX_CACHE {
            c.clear();
        }
        c.insert(text, s.clone());
    });
    Ok(s)
}

/// `operator.index(obj)` as a `Py_ssize_t`, with CPython's errors.
pub(crate) fn ssize_arg(obj: &Bound<'_, PyAny>) -> PyResult<isize> {
    let index = obj.py().import("operator")?.call_method1("index", (obj,))?;
    index
        .extract::<isize>()
        .map_err(|_| PyOverflowError::new_err("Python int too large to convert to C ssize_t"))
}

/// A contiguous read-only export for `unpack`-like calls (CPython's `y*` converter).
fn read_buffer(obj: &Bound<'_, PyAny>) -> PyResult<PyBufferGuard> {
    PyBufferGuard::get(obj, ffi::PyBUF_SIMPLE)
}

/// A contiguous writable export for `pack_into` (CPython's `w*` converter).
fn write_buffer(obj: &Bound<'_, PyAny>) -> PyResult<PyBufferGuard> {
    PyBufferGuard::get(obj, ffi::PyBUF_WRITABLE as c_int).map_err(|_| {
        let name = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        PyTypeError::new_err(format!(
            "argument must be read-write bytes-like object, not {name}"
        ))
    })
}

fn struct_err(py: Python<'_>, msg: &str) -> PyErr {
    to_pyerr(py, &Error::new(ExceptionKind::StructError, msg))
}

fn do_pack<'py>(
    py: Python<'py>,
    s: &RustStruct,
    values: &[Bound<'py, PyAny>],
) -> PyResult<Bound<'py, PyBytes>> {
    let vals = values_for(s.compiled(), values)?;
    let bytes = s.pack(&vals).py_err(py)?;
    Ok(PyBytes::new(py, &bytes))
}

fn do_pack_into(py: Python<'_>, s: &RustStruct, args: &[Bound<'_, PyAny>]) -> PyResult<()> {
    let Some(buffer) = args.first() else {
        return Err(struct_err(py, "pack_into expected buffer argument"));
    };
    let Some(offset) = args.get(1) else {
        return Err(struct_err(py, "pack_into expected offset argument"));
    };
    let guard = write_buffer(buffer)?;
    let offset = ssize_arg(offset)?;
    let vals = values_for(s.compiled(), &args[2..])?;
    // SAFETY: the export is writable and contiguous (PyBUF_WRITABLE without STRIDES); the
    // interpreter stays attached and no Python code runs while the slice lives.
    let out = unsafe { guard.bytes_mut() };
    s.pack_into(out, offset, &vals).py_err(py)
}

fn do_unpack<'py>(
    py: Python<'py>,
    s: &RustStruct,
    buffer: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let guard = read_buffer(buffer)?;
    // SAFETY: a PyBUF_SIMPLE export is contiguous; no Python code runs while the slice lives.
    let values = s.unpack(unsafe { guard.bytes() }).py_err(py)?;
    tuple_of(py, &values)
}

fn do_unpack_from<'py>(
    py: Python<'py>,
    s: &RustStruct,
    buffer: &Bound<'py, PyAny>,
    offset: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let guard = read_buffer(buffer)?;
    let offset = ssize_arg(offset)?;
    // SAFETY: as in `do_unpack`.
    let values = s.unpack_from(unsafe { guard.bytes() }, offset).py_err(py)?;
    tuple_of(py, &values)
}

fn do_iter_unpack(
    py: Python<'_>,
    s: &RustStruct,
    buffer: &Bound<'_, PyAny>,
) -> PyResult<UnpackIterator> {
    let guard = read_buffer(buffer)?;
    // SAFETY: as in `do_unpack`; the slice only checks the length here.
    s.iter_unpack(unsafe { guard.bytes() }).py_err(py)?;
    Ok(UnpackIterator {
        format: s.compiled().clone(),
        buffer: Some(guard),
        index: 0,
    })
}

/// pack(format, v1, v2, ...) -> bytes
///
/// Return a bytes object containing the values v1, v2, ... packed according to the
/// format string. See help(pymemory.struct) for more on format strings.
#[pyfunction(signature = (*args))]
fn pack<'py>(py: Python<'py>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyBytes>> {
    let args: Vec<_> = args.iter().collect();
    let Some((fmt, rest)) = args.split_first() else {
        return Err(PyTypeError::new_err("missing format argument"));
    };
    let s = cached(py, fmt)?;
    do_pack(py, &s, rest)
}

/// pack_into(format, buffer, offset, v1, v2, ...)
///
/// Pack the values v1, v2, ... according to the format string and write the packed
/// bytes into the writable buffer buf starting at offset. Note that the offset is a
/// required argument. See help(pymemory.struct) for more on format strings.
#[pyfunction(signature = (*args))]
fn pack_into<'py>(py: Python<'py>, args: &Bound<'py, PyTuple>) -> PyResult<()> {
    let args: Vec<_> = args.iter().collect();
    let Some((fmt, rest)) = args.split_first() else {
        return Err(PyTypeError::new_err("missing format argument"));
    };
    let s = cached(py, fmt)?;
    do_pack_into(py, &s, rest)
}

/// unpack(format, buffer, /)
///
/// Return a tuple containing values unpacked according to the format string. The
/// buffer's size in bytes must be calcsize(format).
#[pyfunction(signature = (format, buffer, /))]
fn unpack<'py>(
    py: Python<'py>,
    format: &Bound<'py, PyAny>,
    buffer: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = cached(py, format)?;
    do_unpack(py, &s, buffer)
}

/// unpack_from(format, /, buffer, offset=0)
///
/// Return a tuple containing values unpacked according to the format string. The
/// buffer's size, minus offset, must be at least calcsize(format).
#[pyfunction(signature = (format, /, buffer, offset = None))]
fn unpack_from<'py>(
    py: Python<'py>,
    format: &Bound<'py, PyAny>,
    buffer: &Bound<'py, PyAny>,
    offset: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = cached(py, format)?;
    let zero = 0i32.into_pyobject(py)?.into_any();
    do_unpack_from(py, &s, buffer, offset.unwrap_or(&zero))
}

/// iter_unpack(format, buffer, /)
///
/// Return an iterator yielding tuples unpacked from the given bytes source according to
/// the format string, like a repeated invocation of unpack_from(). The buffer's size in
/// bytes must be a multiple of calcsize(format).
#[pyfunction(signature = (format, buffer, /))]
fn iter_unpack(
    py: Python<'_>,
    format: &Bound<'_, PyAny>,
    buffer: &Bound<'_, PyAny>,
) -> PyResult<UnpackIterator> {
    let s = cached(py, format)?;
    do_iter_unpack(py, &s, buffer)
}

/// calcsize(format, /)
///
/// Return size in bytes of the struct described by the format string.
#[pyfunction(signature = (format, /))]
fn calcsize(py: Python<'_>, format: &Bound<'_, PyAny>) -> PyResult<usize> {
    Ok(cached(py, format)?.size())
}

/// Create a compiled struct object. Return a new Struct object which writes and reads
/// binary data according to the format string. See help(pymemory.struct) for more on
/// format strings.
#[pyclass(name = "Struct", module = "pymemory.struct", frozen)]
#[derive(Debug)]
pub(crate) struct PyStruct {
    inner: RustStruct,
}

#[pymethods]
impl PyStruct {
    #[new]
    #[pyo3(signature = (format))]
    fn new(py: Python<'_>, format: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = format_text(format)?;
        Ok(PyStruct {
            inner: compile(py, format, &text)?,
        })
    }

    /// struct format string
    #[getter]
    fn format(&self) -> &str {
        self.inner.format()
    }

    /// struct size in bytes
    #[getter]
    fn size(&self) -> usize {
        self.inner.size()
    }

    /// S.pack(v1, v2, ...) -> bytes
    ///
    /// Return a bytes object containing values v1, v2, ... packed according to the format
    /// string S.format. See help(pymemory.struct) for more on format strings.
    #[pyo3(signature = (*values))]
    fn pack<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let values: Vec<_> = values.iter().collect();
        do_pack(py, &self.inner, &values)
    }

    /// S.pack_into(buffer, offset, v1, v2, ...)
    ///
    /// Pack the values v1, v2, ... according to the format string S.format and write the
    /// packed bytes into the writable buffer buf starting at offset.
    #[pyo3(signature = (*args))]
    fn pack_into(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let args: Vec<_> = args.iter().collect();
        do_pack_into(py, &self.inner, &args)
    }

    /// Return a tuple containing unpacked values. The buffer's size in bytes must be
    /// self.size.
    #[pyo3(signature = (buffer, /))]
    fn unpack<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        do_unpack(py, &self.inner, buffer)
    }

    /// Return a tuple containing unpacked values. Values are unpacked starting at
    /// offset; the buffer's size, minus offset, must be at least self.size.
    #[pyo3(signature = (buffer, offset = None))]
    fn unpack_from<'py>(
        &self,
        py: Python<'py>,
        buffer: &Bound<'py, PyAny>,
        offset: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let zero = 0i32.into_pyobject(py)?.into_any();
        do_unpack_from(py, &self.inner, buffer, offset.unwrap_or(&zero))
    }

    /// Return an iterator yielding tuples. Tuples are unpacked from the given bytes
    /// source, like a repeated invocation of unpack_from(). Requires that the bytes length
    /// be a multiple of the struct size.
    #[pyo3(signature = (buffer, /))]
    fn iter_unpack(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<UnpackIterator> {
        do_iter_unpack(py, &self.inner, buffer)
    }
}

/// The iterator `iter_unpack` returns; holds the buffer until exhausted.
#[pyclass(name = "unpack_iterator", module = "pymemory.struct")]
#[derive(Debug)]
pub(crate) struct UnpackIterator {
    format: Format,
    buffer: Option<PyBufferGuard>,
    index: usize,
}

#[pymethods]
impl UnpackIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let size = self.format.size();
        let Some(guard) = &self.buffer else {
            return Ok(None);
        };
        if self.index + size > guard.len() || size == 0 {
            // Exhausted: release the buffer, as CPython does.
            self.buffer = None;
            return Ok(None);
        }
        let values = {
            // SAFETY: a PyBUF_SIMPLE export is contiguous; no Python code runs while the
            // slice lives (the values are converted after it ends).
            let bytes = unsafe { guard.bytes() };
            self.format.unpack(&bytes[self.index..self.index + size])
        }
        .py_err(py)?;
        self.index += size;
        tuple_of(py, &values).map(Some)
    }

    fn __length_hint__(&self) -> usize {
        match &self.buffer {
            Some(g) if self.format.size() > 0 => (g.len() - self.index) / self.format.size(),
            _ => 0,
        }
    }
}

/// Fills the native `_struct` submodule.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(pack, m)?)?;
    m.add_function(wrap_pyfunction!(pack_into, m)?)?;
    m.add_function(wrap_pyfunction!(unpack, m)?)?;
    m.add_function(wrap_pyfunction!(unpack_from, m)?)?;
    m.add_function(wrap_pyfunction!(iter_unpack, m)?)?;
    m.add_function(wrap_pyfunction!(calcsize, m)?)?;
    m.add_class::<PyStruct>()?;
    m.add_class::<UnpackIterator>()?;
    m.add("error", struct_error_type(py)?)?;
    Ok(())
}
