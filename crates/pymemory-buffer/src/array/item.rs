//! Typecodes and the conversions between Python values and array items, with
//! CPython's exact errors (the `*_setitem` functions of `Modules/arraymodule.c`).

use pymemory_struct::{Error, ExceptionKind, Result, Value};

use super::storage::RawStorage;

/// What kind of C value one typecode stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// `u` and `w`: one Unicode code point stored as a 4-byte value (wchar_t is 4 bytes
    /// on Linux and macOS; `w` is always `Py_UCS4`).
    Ucs4,
}

/// A typecode with its C type (Linux/x86-64 sizes: `l`/`L` are 8 bytes, `u` is 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Descr {
    pub(crate) code: char,
    pub(crate) itemsize: usize,
    pub(crate) kind: Kind,
}

/// CPython 3.14's message for an unknown typecode.
pub(crate) const BAD_TYPECODE: &str =
    "bad typecode (must be b, B, u, w, h, H, i, I, l, L, q, Q, f or d)";

impl Descr {
    pub(crate) fn of(code: char) -> Result<Descr> {
        let (itemsize, kind) = match code {
            'b' => (1, Kind::I8),
            'B' => (1, Kind::U8),
            'u' | 'w' => (4, Kind::Ucs4),
            'h' => (2, Kind::I16),
            'H' => (2, Kind::U16),
            'i' => (4, Kind::I32),
            'I' => (4, Kind::U32),
            'l' | 'q' => (8, Kind::I64),
            'L' | 'Q' => (8, Kind::U64),
            'f' => (4, Kind::F32),
            'd' => (8, Kind::F64),
            _ => return Err(Error::new(ExceptionKind::ValueError, BAD_TYPECODE)),
        };
        Ok(Descr {
            code,
            itemsize,
            kind,
        })
    }

    /// The struct format of one item (the typecode itself).
    pub(crate) fn format(self) -> &'static str {
        match self.code {
            'b' => "b",
            'B' => "B",
            'u' => "u",
            'w' => "w",
            'h' => "h",
            'H' => "H",
            'i' => "i",
            'I' => "I",
            'l' => "l",
            'L' => "L",
            'q' => "q",
            'Q' => "Q",
            'f' => "f",
            _ => "d",
        }
    }

    pub(crate) fn is_unicode(self) -> bool {
        self.kind == Kind::Ucs4
    }
}

/// Python's type name of a value, as `%T` / `tp_name` print it.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::BigInt(_) => "int",
        Value::Float(_) => "float",
        Value::Complex { .. } => "complex",
        Value::Bytes(_) => "bytes",
        Value::Str(_) => "str",
        Value::Tuple(_) => "tuple",
        Value::List(_) => "list",
    }
}

fn overflow(msg: &str) -> Error {
    Error::new(ExceptionKind::OverflowError, msg)
}

/// `operator.index(v)`: ints and bools, else CPython's TypeError.
pub(crate) fn as_index(v: &Value) -> Result<i128> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i128::from(*b)),
        // Outside i128, so outside every C range: the saturated value gets the same
        // OverflowError as the exact one.
        Value::BigInt(b) => Ok(b.saturating_i128()),
        other => Err(Error::new(
            ExceptionKind::TypeError,
            format!(
                "'{}' object cannot be interpreted as an integer",
                type_name(other)
            ),
        )),
    }
}

/// `PyFloat_AsDouble(v)` for the `f`/`d` typecodes.
fn as_double(v: &Value) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        #[expect(
            clippy::cast_precision_loss,
            reason = "Python rounds int to float the same way"
        )]
        Value::Int(i) => Ok(*i as f64),
        // int.__float__: correctly rounded, OverflowError beyond the double range.
        Value::BigInt(b) => b.to_f64(),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        other => Err(Error::new(
            ExceptionKind::TypeError,
            format!("must be real number, not {}", type_name(other)),
        )),
    }
}

/// `PyArg_Parse(v, "l")`: the C long step shared by the narrow signed formats.
fn as_c_long(v: &Value) -> Result<i64> {
    let i = as_index(v)?;
    i64::try_from(i).map_err(|_| overflow("Python int too large to convert to C long"))
}

fn range_check(x: i64, min: i64, max: i64, what: &str) -> Result<i64> {
    if x < min {
        Err(overflow(&format!("{what} is less than minimum")))
    } else if x > max {
        Err(overflow(&format!("{what} is greater than maximum")))
    } else {
        Ok(x)
    }
}

fn as_unsigned_long(v: &Value) -> Result<u64> {
    let i = as_index(v)?;
    if i < 0 {
        return Err(overflow("can't convert negative value to unsigned int"));
    }
    u64::try_from(i).map_err(|_| overflow("Python int too large to convert to C unsigned long"))
}

/// Converts `v` for storage under `descr`, writing the item's native bytes to `out`
/// (the first `descr.itemsize` bytes). Errors are CPython's for `array.append(v)`.
pub(crate) fn encode(descr: Descr, v: &Value, out: &mut [u8; 8]) -> Result<()> {
    match descr.kind {
        Kind::I8 => {
            let x = range_check(
                as_c_long(v)?,
                i16::MIN.into(),
                i16::MAX.into(),
                "signed short integer",
            )?;
            let x = range_check(x, -128, 127, "signed char")?;
            out[0] = x.to_ne_bytes()[0];
        }
        Kind::U8 => {
            let x = range_check(as_c_long(v)?, 0, 255, "unsigned byte integer")?;
            out[0] = x.to_ne_bytes()[0];
        }
        Kind::I16 => {
            let x = range_check(
                as_c_long(v)?,
                i16::MIN.into(),
                i16::MAX.into(),
                "signed short integer",
            )?;
            out[..2].copy_from_slice(&i16::try_from(x).unwrap_or_default().to_ne_bytes());
        }
        Kind::U16 => {
            let x = range_check(
                as_c_long(v)?,
                i32::MIN.into(),
                i32::MAX.into(),
                "signed integer",
            )?;
            let x = range_check(x, 0, u16::MAX.into(), "unsigned short")?;
            out[..2].copy_from_slice(&u16::try_from(x).unwrap_or_default().to_ne_bytes());
        }
        Kind::I32 => {
            let x = range_check(
                as_c_long(v)?,
                i32::MIN.into(),
                i32::MAX.into(),
                "signed integer",
            )?;
            out[..4].copy_from_slice(&i32::try_from(x).unwrap_or_default().to_ne_bytes());
        }
        Kind::U32 => {
            let x = as_unsigned_long(v)?;
            let x =
                u32::try_from(x).map_err(|_| overflow("unsigned int is greater than maximum"))?;
            out[..4].copy_from_slice(&x.to_ne_bytes());
        }
        Kind::I64 => {
            let x = if descr.code == 'q' {
                let i = as_index(v)?;
                i64::try_from(i).map_err(|_| overflow("int too big to convert"))?
            } else {
                as_c_long(v)?
            };
            out.copy_from_slice(&x.to_ne_bytes());
        }
        Kind::U64 => {
            let x = if descr.code == 'Q' {
                let i = as_index(v)?;
                if i < 0 {
                    return Err(overflow("can't convert negative int to unsigned"));
                }
                u64::try_from(i).map_err(|_| overflow("int too big to convert"))?
            } else {
                as_unsigned_long(v)?
            };
            out.copy_from_slice(&x.to_ne_bytes());
        }
        Kind::F32 => {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "C's (float) cast, as CPython"
            )]
            let x = as_double(v)? as f32;
            out[..4].copy_from_slice(&x.to_ne_bytes());
        }
        Kind::F64 => out.copy_from_slice(&as_double(v)?.to_ne_bytes()),
        Kind::Ucs4 => {
            let c = as_char(v)?;
            out[..4].copy_from_slice(&u32::from(c).to_ne_bytes());
        }
    }
    Ok(())
}

/// The one character a `u`/`w` item must be (CPython 3.13+ messages).
pub(crate) fn as_char(v: &Value) -> Result<char> {
    let Value::Str(s) = v else {
        return Err(Error::new(
            ExceptionKind::TypeError,
            format!(
                "array item must be a unicode character, not {}",
                type_name(v)
            ),
        ));
    };
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(Error::new(
            ExceptionKind::TypeError,
            format!(
                "array item must be a unicode character, not a string of length {}",
                s.chars().count()
            ),
        )),
    }
}

/// A stored code point that Rust cannot hold in a `char`.
pub(crate) fn bad_code_point(cp: u32) -> Error {
    Error::new(
        ExceptionKind::ValueError,
        format!("character U+{cp:x} is not in range [U+0000; U+10ffff]"),
    )
}

/// Reads item `i` (in bounds) as a Python value.
pub(crate) fn decode(descr: Descr, s: &RawStorage, i: usize) -> Result<Value> {
    let off = i * descr.itemsize;
    Ok(match descr.kind {
        Kind::I8 => Value::Int(s.get::<i8>(off).into()),
        Kind::U8 => Value::Int(s.get::<u8>(off).into()),
        Kind::I16 => Value::Int(s.get::<i16>(off).into()),
        Kind::U16 => Value::Int(s.get::<u16>(off).into()),
        Kind::I32 => Value::Int(s.get::<i32>(off).into()),
        Kind::U32 => Value::Int(s.get::<u32>(off).into()),
        Kind::I64 => Value::Int(s.get::<i64>(off).into()),
        Kind::U64 => Value::Int(s.get::<u64>(off).into()),
        Kind::F32 => Value::Float(s.get::<f32>(off).into()),
        Kind::F64 => Value::Float(s.get::<f64>(off)),
        Kind::Ucs4 => {
            let cp = s.get::<u32>(off);
            let c = char::from_u32(cp).ok_or_else(|| bad_code_point(cp))?;
            Value::Str(c.to_string())
        }
    })
}

/// A decoded item in a form cheap to compare: what `PyObject_RichCompare` sees.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scalar {
    Int(i128),
    Float(f64),
    Char(u32),
}

impl Scalar {
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float",
            Scalar::Char(_) => "str",
        }
    }
}

pub(crate) fn scalar(descr: Descr, s: &RawStorage, i: usize) -> Scalar {
    let off = i * descr.itemsize;
    match descr.kind {
        Kind::I8 => Scalar::Int(s.get::<i8>(off).into()),
        Kind::U8 => Scalar::Int(s.get::<u8>(off).into()),
        Kind::I16 => Scalar::Int(s.get::<i16>(off).into()),
        Kind::U16 => Scalar::Int(s.get::<u16>(off).into()),
        Kind::I32 => Scalar::Int(s.get::<i32>(off).into()),
        Kind::U32 => Scalar::Int(s.get::<u32>(off).into()),
        Kind::I64 => Scalar::Int(s.get::<i64>(off).into()),
        Kind::U64 => Scalar::Int(s.get::<u64>(off).into()),
        Kind::F32 => Scalar::Float(s.get::<f32>(off).into()),
        Kind::F64 => Scalar::Float(s.get::<f64>(off)),
        Kind::Ucs4 => Scalar::Char(s.get::<u32>(off)),
    }
}

/// The value `v` as a [`Scalar`], or `None` when it can never equal an array item
/// (bytes, tuples, multi-character strings, ...). Complex numbers with a zero imaginary
/// part compare equal to ints and floats in Python, so they map to floats.
pub(crate) fn value_scalar(v: &Value) -> Option<Scalar> {
    match v {
        Value::Int(i) => Some(Scalar::Int(*i)),
        Value::Bool(b) => Some(Scalar::Int(i128::from(*b))),
        Value::Float(f) => Some(Scalar::Float(*f)),
        // Equal to no int item (outside i128); equal to a float item only when exact.
        Value::BigInt(b) => b.exact_f64().map(Scalar::Float),
        Value::Complex { re, im } if *im == 0.0 => Some(Scalar::Float(*re)),
        Value::Str(s) => {
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Some(Scalar::Char(c.into())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Exact comparison of an integer with a float, as Python does (no rounding).
/// `None` when the float is NaN.
pub(crate) fn cmp_int_float(i: i128, f: f64) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    // |i| < 2^127; floats at or beyond ±2^127 decide by sign alone.
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0; // 2^127
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "t is integral and within i128"
    )]
    let ti = t as i128;
    match i.cmp(&ti) {
        Ordering::Equal => {
            let frac = f - t;
            Some(if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            })
        }
        o => Some(o),
    }
}

/// `a == b` for two scalars, as Python's `==` on the decoded objects.
pub(crate) fn scalar_eq(a: Scalar, b: Scalar) -> bool {
    use std::cmp::Ordering;
    match (a, b) {
        (Scalar::Int(x), Scalar::Int(y)) => x == y,
        (Scalar::Float(x), Scalar::Float(y)) => x == y,
        (Scalar::Int(x), Scalar::Float(y)) | (Scalar::Float(y), Scalar::Int(x)) => {
            cmp_int_float(x, y) == Some(Ordering::Equal)
        }
        (Scalar::Char(x), Scalar::Char(y)) => x == y,
        _ => false,
    }
}

/// The ordering of two scalars, `Ok(None)` for NaN, `Err` for int/str mixes.
pub(crate) fn scalar_cmp(a: Scalar, b: Scalar) -> Result<Option<std::cmp::Ordering>, ()> {
    match (a, b) {
        (Scalar::Int(x), Scalar::Int(y)) => Ok(Some(x.cmp(&y))),
        (Scalar::Float(x), Scalar::Float(y)) => Ok(x.partial_cmp(&y)),
        (Scalar::Int(x), Scalar::Float(y)) => Ok(cmp_int_float(x, y)),
        (Scalar::Float(x), Scalar::Int(y)) => {
            Ok(cmp_int_float(y, x).map(std::cmp::Ordering::reverse))
        }
        (Scalar::Char(x), Scalar::Char(y)) => Ok(Some(x.cmp(&y))),
        _ => Err(()),
    }
}

/// Stores `v` as item `i` (in bounds), with a fast path for ints and floats that fit.
/// Errors as [`encode`]; nothing is written on error.
#[inline]
pub(crate) fn store(descr: Descr, v: &Value, s: &RawStorage, i: usize) -> Result<()> {
    let off = i * descr.itemsize;
    match (v, descr.kind) {
        (Value::Int(x), Kind::I8) if i8::try_from(*x).is_ok() => s.set(off, *x as i8),
        (Value::Int(x), Kind::U8) if u8::try_from(*x).is_ok() => s.set(off, *x as u8),
        (Value::Int(x), Kind::I16) if i16::try_from(*x).is_ok() => s.set(off, *x as i16),
        (Value::Int(x), Kind::U16) if u16::try_from(*x).is_ok() => s.set(off, *x as u16),
        (Value::Int(x), Kind::I32) if i32::try_from(*x).is_ok() => s.set(off, *x as i32),
        (Value::Int(x), Kind::U32) if u32::try_from(*x).is_ok() => s.set(off, *x as u32),
        (Value::Int(x), Kind::I64) if i64::try_from(*x).is_ok() => s.set(off, *x as i64),
        (Value::Int(x), Kind::U64) if u64::try_from(*x).is_ok() => s.set(off, *x as u64),
        (Value::Float(f), Kind::F64) => s.set(off, *f),
        _ => {
            let mut raw = [0u8; 8];
            encode(descr, v, &mut raw)?;
            match descr.itemsize {
                1 => s.set(off, raw[0]),
                2 => s.set(off, u16::from_ne_bytes([raw[0], raw[1]])),
                4 => s.set(off, u32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]])),
                _ => s.set(off, u64::from_ne_bytes(raw)),
            }
        }
    }
    Ok(())
}
