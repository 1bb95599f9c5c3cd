//! Turning pymemory errors into the Python exceptions they name.

use pyo3::exceptions::{
    PyBufferError, PyIndexError, PyMemoryError, PyNotImplementedError, PyOverflowError,
    PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyType};

use pymemory_struct::{Error, ExceptionKind};

static STRUCT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `pymemory.struct.error`: a subclass of the builtin `struct.error`, so code that catches
/// `struct.error` also catches ours.
pub(crate) fn struct_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    let ty = STRUCT_ERROR.get_or_try_init(py, || -> PyResult<Py<PyType>> {
        let base = py
            .import("struct")?
            .getattr("error")?
            .cast_into::<PyType>()?;
        let dict = pyo3::types::PyDict::new(py);
        dict.set_item("__module__", "pymemory.struct")?;
        // `dict` stays alive across the call: PyO3 0.30's `new_type` drops the `Py` it is
        // given before calling `PyErr_NewExceptionWithDoc`, so a sole reference would
        // dangle (use after free).
        let ty = PyErr::new_type(
            py,
            c"pymemory.struct.error",
            Some(c"Raised on bad struct formats and on values that do not fit them."),
            Some(&base),
            Some(dict.clone().into_any().unbind()),
        );
        drop(dict);
        ty
    })?;
    Ok(ty.bind(py))
}

/// The Python exception for a pymemory error, with CPython's message.
pub(crate) fn to_pyerr(py: Python<'_>, err: &Error) -> PyErr {
    let msg = err.message().to_owned();
    match err.kind() {
        ExceptionKind::StructError => match struct_error_type(py) {
            Ok(ty) => PyErr::from_type(ty.clone(), msg),
            Err(e) => e,
        },
        ExceptionKind::ValueError => PyValueError::new_err(msg),
        ExceptionKind::TypeError => PyTypeError::new_err(msg),
        ExceptionKind::IndexError => PyIndexError::new_err(msg),
        ExceptionKind::OverflowError => PyOverflowError::new_err(msg),
        ExceptionKind::BufferError => PyBufferError::new_err(msg),
        ExceptionKind::NotImplementedError => PyNotImplementedError::new_err(msg),
        ExceptionKind::MemoryError => PyMemoryError::new_err(msg),
    }
}

/// [`to_pyerr`] for an error about the str argument `text`: a `UnicodeEncodeError` is
/// Python's own, from `text.encode('ascii')` (its constructor needs the text and span).
pub(crate) fn to_pyerr_for_text(py: Python<'_>, err: &Error, text: &Bound<'_, PyString>) -> PyErr {
    if err.python_name() == "UnicodeEncodeError" {
        if let Err(e) = text.call_method1("encode", ("ascii",)) {
            return e;
        }
    }
    to_pyerr(py, err)
}

/// `result.map_err(to_pyerr)` with the interpreter token at hand.
pub(crate) trait IntoPyResult<T> {
    /// Converts the error into its Python exception.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    #[inline]
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, &e))
    }
}
