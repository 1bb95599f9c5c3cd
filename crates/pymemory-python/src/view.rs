//! `pymemory.memoryview`: the builtin `memoryview`'s surface over a Rust [`MemoryView`].

use std::cell::Cell;
use std::ffi::c_int;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::{PyBytes, PyEllipsis, PyInt, PyList, PySlice, PyString, PyTuple};

use pymemory_buffer::{Dialect, Format, Index, MemoryView, Slice, Subscript, Value};

use crate::borrow::PyExporter;
use crate::convert::{to_py, to_value_for};
use crate::errors::IntoPyResult;
use crate::fast::Fast;
use crate::local::Shared;
use crate::raw::{exact_index, fill_export, release_export, scalar_object};
use std::sync::atomic::{AtomicUsize, Ordering};

fn released_error() -> PyErr {
    PyValueError::new_err("operation forbidden on released memoryview object")
}

/// Create a new memoryview object which references the given object.
///
/// A drop-in for the builtin memoryview that also reads and writes every struct format
/// (explicit byte order such as '<i' or '>d', strings such as '5s', records such as
/// 'T{<h:x:<d:y:}' as tuples), and takes multi-dimensional sub-views (m[1] of a 2-D view)
/// and multi-dimensional slices (m[1:3, ::2]) without copying. It exports the buffer
/// protocol with its real format, shape and strides, so numpy.asarray(m) and the builtin
/// memoryview(m) share its memory.
#[pyclass(name = "memoryview", module = "pymemory", weakref, frozen, sequence)]
pub struct PyMemoryView {
    st: Shared<ViewState>,
}

/// The state of a `pymemory.memoryview`, reachable only with the GIL held.
pub(crate) struct ViewState {
    view: MemoryView,
    obj: Py<PyAny>,
    /// The format code each scalar assignment converts for (`None`: records, unknown).
    code: Cell<Option<Option<char>>>,
    hash: Cell<Option<isize>>,
    fast: Option<Fast>,
}

impl std::fmt::Debug for PyMemoryView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Py::get` reaches a frozen class without the GIL: the state stays untouched.
        f.write_str("PyMemoryView { .. }")
    }
}

impl PyMemoryView {
    /// Wraps a Rust view whose `.obj` is `obj`.
    pub(crate) fn wrap(py: Python<'_>, view: MemoryView, obj: Py<PyAny>) -> PyMemoryView {
        PyMemoryView {
            st: Shared::new(py, ViewState::new(view, obj)),
        }
    }

    #[inline]
    fn st(&self, py: Python<'_>) -> PyResult<&ViewState> {
        Ok(self.st.get(py))
    }
}

impl ViewState {
    fn new(view: MemoryView, obj: Py<PyAny>) -> ViewState {
        let fast = Fast::of(&view);
        ViewState {
            view,
            obj,
            code: Cell::new(None),
            hash: Cell::new(None),
            fast,
        }
    }

    fn derived<'py>(
        &self,
        py: Python<'py>,
        view: MemoryView,
    ) -> PyResult<Bound<'py, PyMemoryView>> {
        Bound::new(py, PyMemoryView::wrap(py, view, self.obj.clone_ref(py)))
    }

    fn check(&self) -> PyResult<()> {
        if self.view.is_released() {
            Err(released_error())
        } else {
            Ok(())
        }
    }

    fn code(&self) -> Option<char> {
        if let Some(c) = self.code.get() {
            return c;
        }
        let c = self.view.format().ok().and_then(|f| {
            let parsed = Format::parse(&f, Dialect::Buffer).ok()?;
            (parsed.value_count() == 1).then(|| parsed.items().first().map(|i| i.code))?
        });
        self.code.set(Some(c));
        c
    }

    /// A Python value as a `Value` for one item of this view.
    fn item_value(&self, value: &Bound<'_, PyAny>) -> PyResult<Value> {
        if let Ok(t) = value.cast::<PyTuple>() {
            // Records: each field converted on its own (no code known per field).
            let items = t
                .iter()
                .map(|v| to_value_for(&v, None))
                .collect::<PyResult<Vec<_>>>()?;
            return Ok(Value::Tuple(items));
        }
        to_value_for(value, self.code())
    }

    /// True if `key` addresses one item (scalar assignment) rather than a sub-view.
    fn is_scalar_key(&self, key: &Subscript) -> bool {
        let ndim = self.view.ndim().unwrap_or(0);
        match key {
            _ if ndim == 0 => true,
            Subscript::Single(Index::Int(_)) => ndim == 1,
            Subscript::Tuple(t) => t.len() >= ndim && t.iter().all(|k| matches!(k, Index::Int(_))),
            Subscript::Single(_) => false,
        }
    }
}

/// `operator.index(obj)` as `isize`; `None` if `obj` has no `__index__`.
pub(crate) fn index_of(obj: &Bound<'_, PyAny>) -> PyResult<Option<Result<isize, bool>>> {
    let int = if obj.is_instance_of::<PyInt>() {
        obj.clone()
    } else {
        match obj.py().import("operator")?.call_method1("index", (obj,)) {
            Ok(i) => i,
            Err(e) if e.is_instance_of::<PyTypeError>(obj.py()) => return Ok(None),
            Err(e) => return Err(e),
        }
    };
    Ok(Some(match int.extract::<isize>() {
        Ok(i) => Ok(i),
        Err(_) => Err(int.gt(0)?),
    }))
}

fn cannot_fit() -> PyErr {
    PyIndexError::new_err("cannot fit 'int' into an index-sized integer")
}

fn slice_bound(obj: &Bound<'_, PyAny>) -> PyResult<Option<isize>> {
    if obj.is_none() {
        return Ok(None);
    }
    match index_of(obj)? {
        Some(Ok(i)) => Ok(Some(i)),
        // PySlice_Unpack clamps out-of-range bounds.
        Some(Err(positive)) => Ok(Some(if positive { isize::MAX } else { isize::MIN + 1 })),
        None => Err(PyTypeError::new_err(
            "slice indices must be integers or None or have an __index__ method",
        )),
    }
}

/// One subscript component; `None` for objects that are not one.
pub(crate) fn to_index(key: &Bound<'_, PyAny>) -> PyResult<Option<Index>> {
    if let Ok(s) = key.cast::<PySlice>() {
        let start = slice_bound(&s.getattr("start")?)?;
        let stop = slice_bound(&s.getattr("stop")?)?;
        let step = slice_bound(&s.getattr("step")?)?;
        return Ok(Some(Index::Slice(Slice::new(start, stop, step))));
    }
    if key.is_instance_of::<PyEllipsis>() {
        return Ok(Some(Index::Ellipsis));
    }
    if key.is_instance_of::<PyTuple>() {
        return Ok(None);
    }
    match index_of(key)? {
        Some(Ok(i)) => Ok(Some(Index::Int(i))),
        Some(Err(_)) => Err(cannot_fit()),
        None => Ok(None),
    }
}

fn invalid_key() -> PyErr {
    PyTypeError::new_err("memoryview: invalid slice key")
}

/// A Python subscript as a Rust [`Subscript`].
fn to_subscript(key: &Bound<'_, PyAny>) -> PyResult<Subscript> {
    if let Ok(i) = key.cast_exact::<PyInt>() {
        return match i.extract::<isize>() {
            Ok(i) => Ok(Subscript::Single(Index::Int(i))),
            Err(_) => Err(cannot_fit()),
        };
    }
    if let Ok(t) = key.cast::<PyTuple>() {
        let mut parts = Vec::with_capacity(t.len());
        for k in t.iter() {
            parts.push(to_index(&k)?.ok_or_else(invalid_key)?);
        }
        return Ok(Subscript::Tuple(parts));
    }
    Ok(Subscript::Single(to_index(key)?.ok_or_else(invalid_key)?))
}

/// A pymemory view of any buffer-protocol object, with the Python `.obj` CPython reports.
pub(crate) fn view_of(obj: &Bound<'_, PyAny>) -> PyResult<(MemoryView, Py<PyAny>)> {
    let py = obj.py();
    if let Ok(m) = obj.cast::<PyMemoryView>() {
        let m = m.get().st(py)?;
        m.check()?;
        return Ok((MemoryView::new(&m.view).py_err(py)?, m.obj.clone_ref(py)));
    }
    let exporter = PyExporter::new(obj)?;
    let view = MemoryView::new(&exporter).py_err(py)?;
    // memoryview(builtin_memoryview).obj is the underlying object, as in CPython.
    let builtin_mv = py.import("builtins")?.getattr("memoryview")?;
    let shown = if obj.is_exact_instance(builtin_mv.cast::<pyo3::types::PyType>()?) {
        obj.getattr("obj")?.unbind()
    } else {
        obj.clone().unbind()
    };
    Ok((view, shown))
}

#[pymethods]
impl PyMemoryView {
    #[new]
    #[pyo3(signature = (object))]
    fn new(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (view, obj) = view_of(object)?;
        Ok(PyMemoryView::wrap(object.py(), view, obj))
    }

    /// The buffer protocol export (`bf_getbuffer`): this view's format, shape, strides.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let exporter = Box::new(slf.get().st(slf.py())?.view.clone());
        // SAFETY: CPython passes the writable `Py_buffer` of this `bf_getbuffer` call, and
        // `slf` is the exporting object.
        unsafe { fill_export(view, flags, slf.as_any(), exporter, None) }
    }

    /// Ends an export (`bf_releasebuffer`).
    unsafe fn __releasebuffer__(&self, view: *mut ffi::Py_buffer) {
        // SAFETY: CPython passes a `Py_buffer` this object's `__getbuffer__` filled.
        unsafe { release_export(view) }
    }

    /// The underlying object of the memoryview.
    #[getter]
    fn obj(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.st(py)?;
        s.check()?;
        Ok(s.obj.clone_ref(py))
    }

    /// The amount of space in bytes that the array would use in a contiguous
    /// representation.
    #[getter]
    fn nbytes(&self, py: Python<'_>) -> PyResult<usize> {
        let s = self.st(py)?;
        s.view.nbytes().py_err(py)
    }

    /// A bool indicating whether the memory is read only.
    #[getter]
    fn readonly(&self, py: Python<'_>) -> PyResult<bool> {
        let s = self.st(py)?;
        s.view.readonly().py_err(py)
    }

    /// The size in bytes of each element of the memoryview.
    #[getter]
    fn itemsize(&self, py: Python<'_>) -> PyResult<usize> {
        let s = self.st(py)?;
        s.view.itemsize().py_err(py)
    }

    /// A string containing the format (in struct module style) for each element in the
    /// view.
    #[getter]
    fn format(&self, py: Python<'_>) -> PyResult<String> {
        let s = self.st(py)?;
        s.view.format().py_err(py)
    }

    /// An integer indicating how many dimensions of a multi-dimensional array the memory
    /// represents.
    #[getter]
    fn ndim(&self, py: Python<'_>) -> PyResult<usize> {
        let s = self.st(py)?;
        s.view.ndim().py_err(py)
    }

    /// A tuple of ndim integers giving the shape of the memory as an N-dimensional array.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = self.st(py)?;
        PyTuple::new(py, s.view.shape().py_err(py)?)
    }

    /// A tuple of ndim integers giving the size in bytes to access each element for each
    /// dimension of the array.
    #[getter]
    fn strides<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = self.st(py)?;
        PyTuple::new(py, s.view.strides().py_err(py)?)
    }

    /// A tuple of integers used internally for PIL-style arrays.
    #[getter]
    fn suboffsets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let s = self.st(py)?;
        PyTuple::new(py, s.view.suboffsets().py_err(py)?)
    }

    /// A bool indicating whether the memory is C contiguous.
    #[getter]
    fn c_contiguous(&self, py: Python<'_>) -> PyResult<bool> {
        let s = self.st(py)?;
        s.view.c_contiguous().py_err(py)
    }

    /// A bool indicating whether the memory is Fortran contiguous.
    #[getter]
    fn f_contiguous(&self, py: Python<'_>) -> PyResult<bool> {
        let s = self.st(py)?;
        s.view.f_contiguous().py_err(py)
    }

    /// A bool indicating whether the memory is contiguous.
    #[getter]
    fn contiguous(&self, py: Python<'_>) -> PyResult<bool> {
        let s = self.st(py)?;
        s.view.contiguous().py_err(py)
    }

    /// Release the underlying buffer exposed by the memoryview object.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        let s = self.st(py)?;
        s.view.release().py_err(py)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyResult<PyRef<'_, Self>> {
        slf.st(slf.py())?.check()?;
        Ok(slf)
    }

    #[pyo3(signature = (*args))]
    fn __exit__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let _ = args;
        let s = self.st(py)?;
        s.view.release().py_err(py)
    }

    /// Return the data in the buffer as a list of elements.
    fn tolist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.st(py)?;
        if let Some(list) = s.fast.as_ref().and_then(|f| f.tolist(py, &s.view)) {
            return Ok(list?.into_any());
        }
        let v = s.view.tolist().py_err(py)?;
        to_py(py, &v)
    }

    /// Return the data in the buffer as a byte string.
    ///
    /// Order can be {'C', 'F', 'A'}. When order is 'C' or 'F', the data of the original
    /// array is converted to C or Fortran order. For contiguous views, 'A' returns an
    /// exact copy of the physical memory. In particular, in-memory Fortran order is
    /// preserved. For non-contiguous views, the data is converted to C first. order=None
    /// is the same as order='C'.
    #[pyo3(signature = (order = None))]
    fn tobytes<'py>(&self, py: Python<'py>, order: Option<&str>) -> PyResult<Bound<'py, PyBytes>> {
        let s = self.st(py)?;
        if matches!(order, None | Some("C" | "A"))
            && let Some(b) = s
                .fast
                .as_ref()
                .and_then(|f| f.contiguous_bytes(py, &s.view))
        {
            return b;
        }
        let b = s.view.tobytes_order(order).py_err(py)?;
        Ok(PyBytes::new(py, &b))
    }

    /// Return the data in the buffer as a str of hexadecimal numbers.
    ///
    ///   sep
    ///     An optional single character or byte to separate hex bytes.
    ///   bytes_per_sep
    ///     How many bytes between separators.  Positive values count from the
    ///     right, negative values count from the left.
    #[pyo3(signature = (sep = None, bytes_per_sep = 1))]
    fn hex<'py>(
        &self,
        py: Python<'py>,
        sep: Option<&Bound<'py, PyAny>>,
        bytes_per_sep: i64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = self.st(py)?;
        let per = bytes_per_sep;
        match sep {
            None if per == 1 => match s.fast.as_ref().and_then(|f| f.hex(py, &s.view)) {
                Some(h) => h,
                None => Ok(PyString::new(py, &s.view.hex_sep(None, per).py_err(py)?).into_any()),
            },
            None => Ok(PyString::new(py, &s.view.hex_sep(None, per).py_err(py)?).into_any()),
            Some(sep) => {
                let v = if let Ok(st) = sep.cast::<PyString>() {
                    Value::Str(st.to_cow()?.into_owned())
                } else if let Ok(b) = sep.cast::<PyBytes>() {
                    Value::Bytes(b.as_bytes().to_vec())
                } else {
                    return Err(PyTypeError::new_err("sep must be str or bytes."));
                };
                Ok(PyString::new(py, &s.view.hex_sep(Some(&v), per).py_err(py)?).into_any())
            }
        }
    }

    /// Return a readonly version of the memoryview.
    fn toreadonly<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyMemoryView>> {
        let s = self.st(py)?;
        let v = s.view.toreadonly().py_err(py)?;
        s.derived(py, v)
    }

    /// Cast a memoryview to a new format or shape.
    ///
    /// Beyond the builtin: any struct format (explicit byte order, records), and
    /// order='F' to lay the new shape out in Fortran order.
    #[pyo3(signature = (format, shape = None, *, order = None))]
    fn cast<'py>(
        &self,
        py: Python<'py>,
        format: &Bound<'py, PyAny>,
        shape: Option<&Bound<'py, PyAny>>,
        order: Option<&str>,
    ) -> PyResult<Bound<'py, PyMemoryView>> {
        let s = self.st(py)?;
        let Ok(format_str) = format.cast::<PyString>() else {
            return Err(PyTypeError::new_err(
                "memoryview: format argument must be a string",
            ));
        };
        let format = format_str.to_cow()?;
        let shape: Option<Vec<isize>> = match shape {
            None => None,
            Some(s) if s.is_instance_of::<PyList>() || s.is_instance_of::<PyTuple>() => {
                let mut dims = Vec::new();
                for d in s.try_iter()? {
                    let d = d?;
                    if !d.is_instance_of::<PyInt>() {
                        return Err(PyTypeError::new_err(
                            "memoryview.cast(): elements of shape must be integers",
                        ));
                    }
                    dims.push(d.extract::<isize>().map_err(|_| {
                        PyValueError::new_err(
                            "memoryview.cast(): elements of shape must be integers > 0",
                        )
                    })?);
                }
                Some(dims)
            }
            Some(_) => return Err(PyTypeError::new_err("shape must be a list or a tuple")),
        };
        let v = match order {
            None => s.view.cast(&format, shape.as_deref()),
            Some(o) => s.view.cast_order(&format, shape.as_deref(), o),
        }
        .map_err(|e| crate::errors::to_pyerr_for_text(py, &e, format_str))?;
        s.derived(py, v)
    }

    /// Count the number of occurrences of a value.
    fn count(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<usize> {
        let s = self.st(py)?;
        s.check()?;
        let v = s.item_value(value)?;
        s.view.count(&v).py_err(py)
    }

    /// Return the index of the first occurrence of a value.
    ///
    /// Raises ValueError if the value is not present.
    #[pyo3(signature = (value, start = None, stop = None, /))]
    fn index(
        &self,
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        start: Option<isize>,
        stop: Option<isize>,
    ) -> PyResult<usize> {
        let s = self.st(py)?;
        s.check()?;
        let v = s.item_value(value)?;
        s.view.index(&v, start, stop).py_err(py)
    }

    fn __reduce_ex__(&self, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err("cannot pickle memoryview objects"))
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err("cannot pickle memoryview objects"))
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        let s = self.st(py)?;
        s.view.len().py_err(py)
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let s = self.st(py)?;
        if let Some(fast) = &s.fast
            && let Some(i) = exact_index(key)
            && let Some(v) = fast.read(&s.view, i)
        {
            return scalar_object(py, v);
        }
        let sub = match to_subscript(key) {
            Ok(s) => s,
            Err(e) => {
                s.check()?;
                if s.view.ndim().unwrap_or(1) == 0 {
                    return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
                }
                return Err(e);
            }
        };
        match s.view.get(sub).py_err(py)? {
            pymemory_buffer::Item::Value(v) => to_py(py, &v),
            pymemory_buffer::Item::View(m) => Ok(s.derived(py, m)?.into_any()),
        }
    }

    fn __setitem__(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let s = self.st(py)?;
        if let Some(fast) = &s.fast
            && let Some(i) = exact_index(key)
            && fast.set(&s.view, i, value)
        {
            return Ok(());
        }
        s.check()?;
        if s.view.readonly().py_err(py)? {
            return Err(PyTypeError::new_err("cannot modify read-only memory"));
        }
        let sub = match to_subscript(key) {
            Ok(s) => s,
            Err(e) => {
                if s.view.ndim().unwrap_or(1) == 0 {
                    return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
                }
                return Err(e);
            }
        };
        if s.is_scalar_key(&sub) {
            let v = s.item_value(value)?;
            return s.view.set(sub, &v).py_err(py);
        }
        // CPython rejects the key before it asks the value for a buffer. Accepted: ints,
        // slices, and (extension) ints and slices mixed, at most one per dimension.
        let key_ok = match &sub {
            Subscript::Single(Index::Slice(_)) => true,
            Subscript::Tuple(t) => {
                t.iter().all(|k| matches!(k, Index::Int(_)))
                    || (!t.is_empty() && t.iter().all(|k| matches!(k, Index::Slice(_))))
                    || (t.len() <= s.view.ndim().unwrap_or(0)
                        && t.iter().all(|k| !matches!(k, Index::Ellipsis)))
            }
            Subscript::Single(_) => false,
        };
        if !key_ok {
            return Err(invalid_key());
        }
        if let Ok(b) = value.cast::<PyBytes>() {
            return s
                .view
                .set(sub, &Value::Bytes(b.as_bytes().to_vec()))
                .py_err(py);
        }
        let (src, _) = view_of(value)?;
        let r = s.view.set_from(sub, &src).py_err(py);
        let _ = src.release();
        r
    }

    fn __delitem__(&self, py: Python<'_>, _key: &Bound<'_, PyAny>) -> PyResult<()> {
        let s = self.st(py)?;
        s.check()?;
        Err(PyTypeError::new_err("cannot delete memory"))
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyResult<PyViewIter> {
        let py = slf.py();
        let s = slf.st(py)?;
        s.check()?;
        let ndim = s.view.ndim().py_err(py)?;
        if ndim == 0 {
            return Err(PyTypeError::new_err("invalid indexing of 0-dim memory"));
        }
        let len = s.view.len().py_err(py)?;
        // Unknown formats fail here, before iteration starts, as in CPython.
        if len > 0 {
            s.view.get(0isize).py_err(py)?;
        }
        Ok(PyViewIter {
            view: slf.into(),
            next: AtomicUsize::new(0),
        })
    }

    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let s = self.st(py)?;
        let eq = match op {
            CompareOp::Eq => true,
            CompareOp::Ne => false,
            _ => return Ok(py.NotImplemented()),
        };
        let same = if let Ok(o) = other.cast::<PyMemoryView>() {
            let o = o.borrow();
            if std::ptr::eq(&raw const *o, self) {
                true
            } else if s.view.is_released() || o.st(py)?.view.is_released() {
                false
            } else {
                s.view.eq(&o.st(py)?.view)
            }
        } else if s.view.is_released() {
            false
        } else {
            match PyExporter::new(other) {
                Ok(exp) => s.view.eq_exporter(&exp),
                Err(e) if e.is_instance_of::<PyTypeError>(py) => return Ok(py.NotImplemented()),
                Err(e) => return Err(e),
            }
        };
        (same == eq).into_py_any(py)
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        let s = self.st(py)?;
        if let Some(h) = s.hash.get() {
            return Ok(h);
        }
        s.check()?;
        if !s.view.readonly().py_err(py)? {
            return Err(PyValueError::new_err(
                "cannot hash writable memoryview object",
            ));
        }
        let f = s.view.format().py_err(py)?;
        if !matches!(f.as_str(), "B" | "b" | "c") {
            return Err(PyValueError::new_err(
                "memoryview: hashing is restricted to formats 'B', 'b' or 'c'",
            ));
        }
        s.obj.bind(py).hash()?;
        let bytes = s.view.tobytes().py_err(py)?;
        let h = PyBytes::new(py, &bytes).hash()?;
        s.hash.set(Some(h));
        Ok(h)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let released = slf.get().st(slf.py()).is_ok_and(|s| s.view.is_released());
        format!(
            "<{}memory at {:#x}>",
            if released { "released " } else { "" },
            slf.as_ptr() as usize
        )
    }
}

/// Iterator over a memoryview: item values (1-D) or sub-views (N-D, an extension).
#[pyclass(name = "memory_iterator", module = "pymemory", frozen)]
#[derive(Debug)]
pub struct PyViewIter {
    view: Py<PyMemoryView>,
    next: AtomicUsize,
}

#[pymethods]
impl PyViewIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let bound = self.view.bind(py);
        let m = bound.get().st(py)?;
        if m.view.is_released() {
            return Err(released_error());
        }
        let len = m.view.len().py_err(py)?;
        let next = self.next.load(Ordering::Relaxed);
        if next >= len {
            return Ok(None);
        }
        self.next.store(next + 1, Ordering::Relaxed);
        let i = next as isize;
        if let Some(fast) = &m.fast
            && let Some(v) = fast.read(&m.view, i)
        {
            return scalar_object(py, v).map(Some);
        }
        let item = m.view.get(i).py_err(py)?;
        Ok(Some(match item {
            pymemory_buffer::Item::Value(v) => to_py(py, &v)?,
            pymemory_buffer::Item::View(sub) => m.derived(py, sub)?.into_any(),
        }))
    }
}
