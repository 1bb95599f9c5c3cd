//! Python objects to and from [`Value`], the Rust model of Python values.
//!
//! Conversion to `Value` knows which format code will receive the object, because Python's
//! `struct` treats the same object differently per code (an object with `__index__` is an
//! integer for `i`, an object with `__float__` is a float for `d`, anything at all is a
//! truth value for `?`). Objects a code cannot take become a placeholder that makes the
//! Rust packer raise CPython's error for that code at that position, so the order of
//! errors (left to right) stays CPython's.

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyComplex, PyFloat, PyInt, PyList, PyString, PyTuple,
};

use pymemory_struct::{Format, Value};

/// A value no format code accepts: the packer reports the code's own type error.
fn placeholder() -> Value {
    Value::List(Vec::new())
}

fn is_int_code(code: char) -> bool {
    matches!(
        code,
        'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'l' | 'L' | 'q' | 'Q' | 'n' | 'N' | 'P'
    )
}

fn is_float_code(code: char) -> bool {
    matches!(code, 'e' | 'f' | 'd')
}

/// An `int` as a `Value`, exact: `Value::Int` within `i128`, else `Value::BigInt`.
fn int_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(v) = obj.extract::<i128>() {
        return Ok(Value::Int(v));
    }
    // int.__abs__ / bit_length / to_bytes on the int itself (no decimal digit limit,
    // unlike str()), whatever a subclass overrides.
    let int_type = obj.py().get_type::<PyInt>();
    let negative = int_type.call_method1("__lt__", (obj, 0))?.is_truthy()?;
    let magnitude = int_type.call_method1("__abs__", (obj,))?;
    let bits: usize = magnitude.call_method0("bit_length")?.extract()?;
    let bytes: Vec<u8> = magnitude
        .call_method1("to_bytes", (bits.div_ceil(8), "little"))?
        .extract()?;
    Ok(Value::int_from_magnitude_le(negative, &bytes))
}

/// Converts `obj` for the format code `code` (`None`: no code is known, e.g. an extra
/// argument beyond the format's count).
pub(crate) fn to_value_for(obj: &Bound<'_, PyAny>, code: Option<char>) -> PyResult<Value> {
    if code == Some('?') {
        return Ok(Value::Bool(obj.is_truthy()?));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        // Exact at any size: the packer rounds it for float codes (or raises as CPython
        // does) and range-checks it for integer codes.
        return int_value(obj);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(c) = obj.cast::<PyComplex>() {
        return Ok(Value::Complex {
            re: c.real(),
            im: c.imag(),
        });
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        // `s` and `p` take a bytearray; `c` does not (CPython's np_char checks bytes).
        return Ok(match code {
            Some('s' | 'p') => Value::Bytes(b.to_vec()),
            _ => placeholder(),
        });
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_cow()?.into_owned()));
    }
    match code {
        Some(c) if is_int_code(c) => {
            if obj.hasattr("__index__")? {
                // PyNumber_Index; its own exceptions propagate as in CPython.
                let index = obj.py().import("operator")?.call_method1("index", (obj,))?;
                int_value(&index)
            } else {
                Ok(placeholder())
            }
        }
        Some(c) if is_float_code(c) || matches!(c, 'F' | 'D') => Ok(match obj.extract::<f64>() {
            Ok(x) => Value::Float(x),
            Err(_) => placeholder(),
        }),
        _ => Ok(placeholder()),
    }
}

/// The format code of each value position of `format`, in order.
pub(crate) fn value_codes(format: &Format) -> Vec<char> {
    let mut codes = Vec::with_capacity(format.value_count());
    for item in format.items() {
        codes.extend(std::iter::repeat_n(item.code, item.repeat));
    }
    codes
}

/// Converts the arguments of a pack call for `format`.
pub(crate) fn values_for(format: &Format, args: &[Bound<'_, PyAny>]) -> PyResult<Vec<Value>> {
    let codes = value_codes(format);
    args.iter()
        .enumerate()
        .map(|(i, a)| to_value_for(a, codes.get(i).copied()))
        .collect()
}

/// A Python object for `value` (`Value`'s `Display` is its repr; this is the object).
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => match i64::try_from(*i) {
            Ok(small) => small.into_pyobject(py)?.into_any(),
            Err(_) => (*i).into_pyobject(py)?.into_any(),
        },
        // Beyond i128: int.from_bytes of the magnitude (no decimal digit limit).
        Value::BigInt(b) => {
            let bytes = PyBytes::new(py, &b.magnitude_le_bytes());
            let magnitude = py
                .get_type::<PyInt>()
                .call_method1("from_bytes", (bytes, "little"))?;
            if b.is_negative() {
                magnitude.neg()?
            } else {
                magnitude
            }
        }
        Value::Float(x) => PyFloat::new(py, *x).into_any(),
        Value::Complex { re, im } => PyComplex::from_doubles(py, *re, *im).into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::Tuple(items) => {
            let objs = items
                .iter()
                .map(|v| to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, objs)?.into_any()
        }
        Value::List(items) => {
            let objs = items
                .iter()
                .map(|v| to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, objs)?.into_any()
        }
    })
}

/// A tuple of the values `unpack` returned.
pub(crate) fn tuple_of<'py>(py: Python<'py>, values: &[Value]) -> PyResult<Bound<'py, PyTuple>> {
    let objs = values
        .iter()
        .map(|v| to_py(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, objs)
}
