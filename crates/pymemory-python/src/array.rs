//! `pymemory.array`: `array.array` over the Rust [`Array`].

use std::ffi::c_int;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString, PyTuple};

use pymemory_buffer::array::{Array, CompareOp as ArrayOp};
use pymemory_buffer::{Index, Value};

use crate::convert::{to_py, to_value_for};
use crate::errors::IntoPyResult;
use crate::local::Shared;
use crate::raw::{fill_export, release_export};
use crate::view::{index_of, to_index};

/// array(typecode[, initializer]) -> array
///
/// Return a new array whose items are restricted by typecode, and initialized from the
/// optional initializer value, which must be a bytes or bytearray object, a Unicode
/// string, or iterable over elements of the appropriate type.
///
/// Arrays represent basic values and behave very much like lists, except the type of
/// objects stored in them is constrained. The memory is a Rust `Array`; it exports the
/// buffer protocol, and cannot be resized while exported (BufferError).
#[pyclass(name = "array", module = "array", frozen, weakref, sequence)]
pub struct PyArray {
    /// Reached only with the GIL held (see `local`); a Rust caller who wants the memory
    /// borrows it through the buffer protocol (`pymemory_python::borrow`).
    inner: Shared<Array>,
}

impl std::fmt::Debug for PyArray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Py::get` reaches a frozen class without the GIL: the state stays untouched.
        f.write_str("PyArray { .. }")
    }
}

impl PyArray {
    fn of(py: Python<'_>, inner: Array) -> PyArray {
        PyArray {
            inner: Shared::new(py, inner),
        }
    }

    #[inline]
    fn a(&self, py: Python<'_>) -> &Array {
        self.inner.get(py)
    }

    fn value(&self, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
        to_value_for(obj, Some(self.a(obj.py()).typecode()))
    }

    /// A value to store: objects the typecode cannot take raise CPython's error now, named
    /// with their own type (the conversion's placeholder would be named `list`).
    fn store_value(&self, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
        let v = self.value(obj)?;
        if matches!(&v, Value::List(items) if items.is_empty()) && !obj.is_instance_of::<PyList>() {
            let py = obj.py();
            let probe = Array::new(self.a(py).typecode()).py_err(py)?;
            if let Err(e) = probe.append(&v) {
                let name = obj.get_type().name()?.to_string();
                let msg = e
                    .message()
                    .replace("'list'", &format!("'{name}'"))
                    .replace("not list", &format!("not {name}"));
                return Err(crate::errors::to_pyerr(
                    py,
                    &pymemory_buffer::Error::new(e.kind(), msg),
                ));
            }
        }
        Ok(v)
    }
}

#[pymethods]
impl PyArray {
    #[new]
    #[pyo3(signature = (typecode, initializer = None, /))]
    fn new(
        py: Python<'_>,
        typecode: &Bound<'_, PyAny>,
        initializer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let Ok(tc) = typecode.cast::<PyString>() else {
            return Err(PyTypeError::new_err(format!(
                "array() argument 1 must be a unicode character, not {}",
                typecode.get_type().name()?
            )));
        };
        let tc = tc.to_cow()?;
        let mut chars = tc.chars();
        let (Some(code), None) = (chars.next(), chars.next()) else {
            return Err(PyTypeError::new_err(format!(
                "array() argument 1 must be a unicode character, not a string of length {}",
                tc.chars().count()
            )));
        };
        let inner = Array::new(code).py_err(py)?;
        let a = PyArray::of(py, inner);
        if let Some(init) = initializer {
            if let Ok(other) = init.cast::<PyArray>() {
                let copy = Array::from_array(code, other.get().a(py)).py_err(py)?;
                return Ok(PyArray::of(py, copy));
            }
            if let Ok(b) = init.cast::<PyBytes>() {
                a.a(py).frombytes(b.as_bytes()).py_err(py)?;
            } else if let Ok(b) = init.cast::<PyByteArray>() {
                a.a(py).frombytes(&b.to_vec()).py_err(py)?;
            } else if let Ok(s) = init.cast::<PyString>() {
                if !matches!(code, 'u' | 'w') {
                    return Err(PyTypeError::new_err(format!(
                        "cannot use a str to initialize an array with typecode '{code}'"
                    )));
                }
                a.a(py).fromunicode(&s.to_cow()?).py_err(py)?;
            } else {
                for item in init.try_iter()? {
                    let v = a.store_value(&item?)?;
                    a.a(py).append(&v).py_err(py)?;
                }
            }
        }
        Ok(a)
    }

    /// The buffer protocol export, with the array's real format.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let exporter = Box::new(slf.get().a(slf.py()).clone());
        // SAFETY: CPython passes the writable `Py_buffer` of this `bf_getbuffer` call, and
        // `slf` is the exporting object.
        unsafe { fill_export(view, flags, slf.as_any(), exporter, None) }
    }

    /// Ends an export.
    unsafe fn __releasebuffer__(&self, view: *mut ffi::Py_buffer) {
        // SAFETY: CPython passes a `Py_buffer` this object's `__getbuffer__` filled.
        unsafe { release_export(view) }
    }

    /// the typecode character used to create the array
    #[getter]
    fn typecode(&self, py: Python<'_>) -> String {
        self.a(py).typecode().to_string()
    }

    /// the size, in bytes, of one array item
    #[getter]
    fn itemsize(&self, py: Python<'_>) -> usize {
        self.a(py).itemsize()
    }

    /// Append new value v to the end of the array.
    fn append(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.store_value(v)?;
        self.a(py).append(&v).py_err(py)
    }

    /// Append items to the end of the array.
    fn extend(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = items
            .try_iter()?
            .map(|i| self.store_value(&i?))
            .collect::<PyResult<Vec<_>>>()?;
        self.a(py).extend_values(&values).py_err(py)
    }

    /// Return i-th element and delete it from the array. i defaults to -1.
    #[pyo3(signature = (i = -1, /))]
    fn pop<'py>(&self, py: Python<'py>, i: isize) -> PyResult<Bound<'py, PyAny>> {
        let v = self.a(py).pop(Some(i)).py_err(py)?;
        to_py(py, &v)
    }

    /// Appends items from the bytes-like object, interpreting it as machine values.
    fn frombytes(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<()> {
        let view = crate::borrow::borrow(buffer)?;
        let bytes = view.tobytes().py_err(py)?;
        let _ = view.release();
        self.a(py).frombytes(&bytes).py_err(py)
    }

    /// Convert array to an ordinary list with the same items.
    fn tolist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self.a(py).tolist().py_err(py)?;
        let objs = items
            .iter()
            .map(|v| to_py(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, objs)
    }

    /// Convert the array to an array of machine values and return the bytes representation.
    fn tobytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.a(py).tobytes())
    }

    /// Return a tuple (address, length) giving the current memory address and the length
    /// in items of the buffer used to hold array's contents.
    fn buffer_info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let (addr, n) = self.a(py).buffer_info();
        PyTuple::new(py, [addr, n])
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.a(py).len()
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match array_key(key)? {
            Key::Int(i) => to_py(py, &self.a(py).get(i).py_err(py)?),
            Key::Slice(s) => {
                let part = self.a(py).get_slice(s).py_err(py)?;
                Ok(Bound::new(py, PyArray::of(py, part))?.into_any())
            }
        }
    }

    fn __setitem__(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        v: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        match array_key(key)? {
            Key::Int(i) => {
                // The index is checked before the value, as in CPython.
                let value = self.value(v)?;
                match self.a(py).set(i, &value) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == pymemory_buffer::ExceptionKind::IndexError => {
                        Err(crate::errors::to_pyerr(py, &e))
                    }
                    Err(e) => {
                        self.store_value(v)?;
                        Err(crate::errors::to_pyerr(py, &e))
                    }
                }
            }
            Key::Slice(s) => {
                let Ok(other) = v.cast::<PyArray>() else {
                    return Err(PyTypeError::new_err(format!(
                        "can only assign array (not \"{}\") to array slice",
                        v.get_type().name()?
                    )));
                };
                // `a[x:y] = a` reads the source before writing: copy it first.
                let src = other.get().a(py).copy();
                self.a(py).set_slice(s, &src).py_err(py)
            }
        }
    }

    fn __delitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<()> {
        match array_key(key)? {
            Key::Int(i) => self.a(py).delete(i).py_err(py),
            Key::Slice(s) => self.a(py).del_slice(s).py_err(py),
        }
    }

    fn __contains__(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.a(py).contains(&self.value(v)?))
    }

    fn __iter__(slf: Bound<'_, Self>) -> ArrayIter {
        ArrayIter {
            array: slf.unbind(),
            next: 0,
        }
    }

    fn __add__<'py>(
        &self,
        py: Python<'py>,
        other: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Ok(o) = other.cast::<PyArray>() else {
            return Err(PyTypeError::new_err(format!(
                "can only append array (not \"{}\") to array",
                other.get_type().name()?
            )));
        };
        let joined = self.a(py).concat(o.get().a(py)).py_err(py)?;
        Ok(Bound::new(py, PyArray::of(py, joined))?.into_any())
    }

    fn __iadd__(slf: PyRef<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let Ok(o) = other.cast::<PyArray>() else {
            return Err(PyTypeError::new_err(format!(
                "can only extend array with array (not \"{}\")",
                other.get_type().name()?
            )));
        };
        let src = o.get().a(py).copy();
        slf.a(py).iadd(&src).py_err(py)
    }

    fn __mul__<'py>(&self, py: Python<'py>, n: isize) -> PyResult<Bound<'py, PyAny>> {
        Ok(Bound::new(py, PyArray::of(py, self.a(py).repeat(n)))?.into_any())
    }

    fn __rmul__<'py>(&self, py: Python<'py>, n: isize) -> PyResult<Bound<'py, PyAny>> {
        self.__mul__(py, n)
    }

    fn __imul__(slf: PyRef<'_, Self>, n: isize) -> PyResult<()> {
        let py = slf.py();
        slf.a(py).imul(n).py_err(py)
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let Ok(o) = other.cast::<PyArray>() else {
            return Ok(py.NotImplemented());
        };
        let op = match op {
            CompareOp::Lt => ArrayOp::Lt,
            CompareOp::Le => ArrayOp::Le,
            CompareOp::Eq => ArrayOp::Eq,
            CompareOp::Ne => ArrayOp::Ne,
            CompareOp::Gt => ArrayOp::Gt,
            CompareOp::Ge => ArrayOp::Ge,
        };
        self.a(py)
            .richcompare(o.get().a(py), op)
            .py_err(py)?
            .into_py_any(py)
    }

    /// Insert a new item v into the array before position i.
    fn insert(&self, py: Python<'_>, i: isize, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.store_value(v)?;
        self.a(py).insert(i, &v).py_err(py)
    }

    /// Remove the first occurrence of v in the array.
    fn remove(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = self.value(v)?;
        self.a(py).remove(&v).py_err(py)
    }

    /// Return index of first occurrence of v in the array.
    #[pyo3(signature = (v, start = None, stop = None, /))]
    fn index(
        &self,
        py: Python<'_>,
        v: &Bound<'_, PyAny>,
        start: Option<isize>,
        stop: Option<isize>,
    ) -> PyResult<usize> {
        let v = self.value(v)?;
        self.a(py).index(&v, start, stop).py_err(py)
    }

    /// Return number of occurrences of v in the array.
    fn count(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<usize> {
        Ok(self.a(py).count(&self.value(v)?))
    }

    /// Reverse the order of the items in the array.
    fn reverse(&self, py: Python<'_>) {
        self.a(py).reverse();
    }

    /// Byteswap all items of the array.
    fn byteswap(&self, py: Python<'_>) {
        self.a(py).byteswap();
    }

    /// Remove all items from the array.
    fn clear(&self, py: Python<'_>) -> PyResult<()> {
        self.a(py).clear().py_err(py)
    }

    /// Append items to array from list.
    fn fromlist(&self, py: Python<'_>, list: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(list) = list.cast::<PyList>() else {
            return Err(PyTypeError::new_err("arg must be list"));
        };
        let values = list
            .iter()
            .map(|i| self.store_value(&i))
            .collect::<PyResult<Vec<_>>>()?;
        self.a(py).fromlist(&values).py_err(py)
    }

    /// Extends this array with data from the unicode string ustr.
    fn fromunicode(&self, py: Python<'_>, ustr: &Bound<'_, PyString>) -> PyResult<()> {
        self.a(py).fromunicode(&ustr.to_cow()?).py_err(py)
    }

    /// Convert the array to a unicode string.
    fn tounicode(&self, py: Python<'_>) -> PyResult<String> {
        self.a(py).tounicode().py_err(py)
    }

    /// Read n objects from the file object f and append them to the end of the array.
    fn fromfile(&self, py: Python<'_>, f: &Bound<'_, PyAny>, n: isize) -> PyResult<()> {
        if n < 0 {
            return Err(pyo3::exceptions::PyValueError::new_err("negative count"));
        }
        let want = (n as usize)
            .checked_mul(self.a(py).itemsize())
            .ok_or_else(|| pyo3::exceptions::PyMemoryError::new_err(""))?;
        let data = f.call_method1("read", (want,))?;
        let Ok(bytes) = data.cast::<PyBytes>() else {
            return Err(PyTypeError::new_err("read() didn't return bytes"));
        };
        let bytes = bytes.as_bytes();
        // Whole items that were read are kept, as CPython does, before EOFError.
        let whole = bytes.len() - bytes.len() % self.a(py).itemsize();
        self.a(py).frombytes(&bytes[..whole]).py_err(py)?;
        if bytes.len() != want {
            return Err(pyo3::exceptions::PyEOFError::new_err(
                "read() didn't return enough bytes",
            ));
        }
        Ok(())
    }

    /// Write all items (as machine values) to the file object f.
    fn tofile(&self, py: Python<'_>, f: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = self.a(py).tobytes();
        // CPython writes in blocks of 64 KiB.
        for block in bytes.chunks(64 * 1024) {
            f.call_method1("write", (PyBytes::new(py, block),))?;
        }
        Ok(())
    }

    /// Return state information for pickling.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let a = slf.get();
        let code = a.a(py).typecode().to_string();
        let args = if matches!(a.a(py).typecode(), 'u' | 'w') {
            PyTuple::new(
                py,
                [
                    code.into_pyobject(py)?.into_any(),
                    a.a(py)
                        .tounicode()
                        .py_err(py)?
                        .into_pyobject(py)?
                        .into_any(),
                ],
            )?
        } else {
            PyTuple::new(
                py,
                [code.into_pyobject(py)?.into_any(), a.tolist(py)?.into_any()],
            )?
        };
        PyTuple::new(py, [slf.get_type().into_any(), args.into_any()])
    }

    /// Return a copy of the array.
    fn __copy__(&self, py: Python<'_>) -> PyArray {
        PyArray::of(py, self.a(py).copy())
    }

    /// Return a copy of the array.
    fn __deepcopy__(&self, py: Python<'_>, _memo: &Bound<'_, PyAny>) -> PyArray {
        self.__copy__(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        self.a(py).to_string()
    }
}

enum Key {
    Int(isize),
    Slice(pymemory_buffer::Slice),
}

/// An array subscript: an index or a slice (CPython's messages otherwise).
fn array_key(key: &Bound<'_, PyAny>) -> PyResult<Key> {
    match to_index(key) {
        Ok(Some(Index::Slice(s))) => Ok(Key::Slice(s)),
        Ok(Some(Index::Int(i))) => Ok(Key::Int(i)),
        Err(e) if e.is_instance_of::<PyIndexError>(key.py()) => {
            // An index too large for isize is simply out of range.
            let positive = matches!(index_of(key)?, Some(Err(true)));
            Ok(Key::Int(if positive { isize::MAX } else { isize::MIN }))
        }
        Err(e) => Err(e),
        _ => Err(PyTypeError::new_err("array indices must be integers")),
    }
}

/// Iterator over a `pymemory.array` (sees later changes, like CPython's).
#[pyclass(name = "arrayiterator", module = "pymemory")]
#[derive(Debug)]
pub struct ArrayIter {
    array: Py<PyArray>,
    next: usize,
}

#[pymethods]
impl ArrayIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let a = self.array.bind(py).get().a(py);
        if self.next >= a.len() {
            return Ok(None);
        }
        let v = a.get(self.next as isize).py_err(py)?;
        self.next += 1;
        to_py(py, &v).map(Some)
    }
}
