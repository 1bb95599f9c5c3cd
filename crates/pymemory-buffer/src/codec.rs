//! Item decoding and encoding: CPython's native fast path (`unpack_single`/`pack_single`
//! of memoryobject.c, with its exact messages) and, as an extension, every other struct
//! format through `pymemory-struct`.

use std::ffi::{c_int, c_long, c_longlong, c_short};
use std::rc::Rc;

use pymemory_struct::{Dialect, Format, Value};

use crate::error::{Error, Result};
use crate::errs::{not_implemented, type_error, value_error};
use crate::raw;

/// How a view's items are read and written.
#[derive(Clone, Debug)]
pub(crate) enum Codec {
    /// One of CPython's native codes (`@` stripped).
    Native(char),
    /// Any other format the buffer dialect accepts (extension beyond CPython).
    Struct(Rc<Format>),
    /// Unusable: item access raises this error.
    Invalid(Error),
}

/// Size of a native code's C type, or `None` if `code` is not native.
pub(crate) fn native_size(code: char) -> Option<usize> {
    Some(match code {
        'c' | 'b' | 'B' | '?' => 1,
        'h' | 'H' | 'e' => 2,
        'i' | 'I' | 'f' => 4,
        'l' | 'L' => size_of::<c_long>(),
        'q' | 'Q' => 8,
        'n' | 'N' => size_of::<isize>(),
        'd' => 8,
        'P' => size_of::<*const u8>(),
        _ => return None,
    })
}

/// CPython's `get_native_fmtchar`: the code of `"x"` or `"@x"` when `x` is native.
pub(crate) fn native_char(fmt: &str) -> Option<char> {
    let f = fmt.strip_prefix('@').unwrap_or(fmt);
    let mut chars = f.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    native_size(c).map(|_| c)
}

/// True for the byte formats casts and hashing accept.
pub(crate) fn is_byte_code(c: char) -> bool {
    matches!(c, 'b' | 'B' | 'c')
}

impl Codec {
    /// The codec for a view's `format` and `itemsize`.
    pub(crate) fn for_format(format: &str, itemsize: usize) -> Codec {
        if let Some(c) = native_char(format) {
            // CPython reads the C type even when the exporter's itemsize is larger.
            if native_size(c).is_some_and(|s| s <= itemsize) {
                return Codec::Native(c);
            }
            return Codec::Invalid(not_implemented(format!(
                "memoryview: itemsize does not match format {format}"
            )));
        }
        match Format::parse(format, Dialect::Buffer) {
            Ok(f) if f.size() == itemsize => Codec::Struct(Rc::new(f)),
            Ok(_) => Codec::Invalid(not_implemented(format!(
                "memoryview: itemsize does not match format {format}"
            ))),
            Err(_) => {
                let f = format.strip_prefix('@').unwrap_or(format);
                Codec::Invalid(if f.chars().count() == 1 {
                    not_implemented(format!("memoryview: format {f} not supported"))
                } else {
                    not_implemented(format!("memoryview: unsupported format {format}"))
                })
            }
        }
    }

    /// Reads the item at `p`.
    ///
    /// # Safety
    /// `p` is readable for the view's itemsize bytes (and the codec was made for it).
    pub(crate) unsafe fn unpack(&self, p: *const u8, itemsize: usize) -> Result<Value> {
        match self {
            // SAFETY: forwarded contract; native codecs read at most itemsize bytes.
            Codec::Native(c) => Ok(unsafe { unpack_native(*c, p) }),
            Codec::Struct(f) => {
                crate::errs::check_alloc(itemsize, 1)?;
                let mut tmp = vec![0u8; itemsize];
                // SAFETY: forwarded contract.
                unsafe { raw::read_into(p, &mut tmp) };
                f.unpack_item(&tmp)
            }
            Codec::Invalid(e) => Err(e.clone()),
        }
    }

    /// Encodes `v` for one item; nothing is written on error.
    pub(crate) fn encode(&self, v: &Value, itemsize: usize) -> Result<Vec<u8>> {
        match self {
            Codec::Native(c) => {
                let (buf, n) = encode_native(*c, v)?;
                Ok(buf[..n].to_vec())
            }
            Codec::Struct(f) => {
                crate::errs::check_alloc(itemsize, 1)?;
                let mut out = vec![0u8; itemsize];
                f.pack_item(v, &mut out)?;
                Ok(out)
            }
            Codec::Invalid(e) => Err(e.clone()),
        }
    }
}

/// `unpack_single` for a native code.
///
/// # Safety
/// `p` is readable for `native_size(code)` bytes.
pub(crate) unsafe fn unpack_native(code: char, p: *const u8) -> Value {
    // SAFETY: (all arms) the caller guarantees `p` is readable for the code's size; every
    // bit pattern is valid for the integer and float types read.
    unsafe {
        match code {
            'B' => Value::Int(raw::read::<u8>(p).into()),
            'b' => Value::Int(raw::read::<i8>(p).into()),
            'h' => Value::Int(raw::read::<c_short>(p).into()),
            'H' => Value::Int(raw::read::<u16>(p).into()),
            'i' => Value::Int(raw::read::<c_int>(p).into()),
            'I' => Value::Int(raw::read::<u32>(p).into()),
            'l' => Value::Int(raw::read::<c_long>(p).into()),
            'L' => Value::Int(raw::read::<std::ffi::c_ulong>(p).into()),
            'q' => Value::Int(raw::read::<c_longlong>(p).into()),
            'Q' => Value::Int(raw::read::<u64>(p).into()),
            'n' => Value::Int(raw::read::<isize>(p) as i128),
            'N' | 'P' => Value::Int(raw::read::<usize>(p) as i128),
            '?' => Value::Bool(raw::read::<u8>(p) != 0),
            'f' => Value::Float(raw::read::<f32>(p).into()),
            'd' => Value::Float(raw::read::<f64>(p)),
            'e' => Value::Float(half::f16::from_bits(raw::read::<u16>(p)).to_f64()),
            'c' => Value::Bytes(vec![raw::read::<u8>(p)]),
            _ => Value::Int(0),
        }
    }
}

/// An item decoded to a number for fast comparisons (`==`, `count`).
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

/// Reads a native numeric item (every native code except `c`).
///
/// # Safety
/// As [`unpack_native`].
#[inline]
pub(crate) unsafe fn read_num(code: char, p: *const u8) -> Option<Num> {
    // SAFETY: as in `unpack_native`: `p` is readable for the code's size.
    unsafe {
        Some(match code {
            'B' => Num::Int(raw::read::<u8>(p).into()),
            'b' => Num::Int(raw::read::<i8>(p).into()),
            'h' => Num::Int(raw::read::<i16>(p).into()),
            'H' => Num::Int(raw::read::<u16>(p).into()),
            'i' => Num::Int(raw::read::<i32>(p).into()),
            'I' => Num::Int(raw::read::<u32>(p).into()),
            'l' => Num::Int(raw::read::<c_long>(p).into()),
            'L' => Num::Int(raw::read::<std::ffi::c_ulong>(p).into()),
            'q' => Num::Int(raw::read::<i64>(p).into()),
            'Q' => Num::Int(raw::read::<u64>(p).into()),
            'n' => Num::Int(raw::read::<isize>(p) as i128),
            'N' | 'P' => Num::Int(raw::read::<usize>(p) as i128),
            '?' => Num::Int(i128::from(raw::read::<u8>(p) != 0)),
            'f' => Num::Float(raw::read::<f32>(p).into()),
            'd' => Num::Float(raw::read::<f64>(p)),
            'e' => Num::Float(half::f16::from_bits(raw::read::<u16>(p)).to_f64()),
            _ => return None,
        })
    }
}

impl Num {
    /// Python's `==` between two numbers (exact int/float comparison, NaN unequal).
    #[inline]
    pub(crate) fn py_eq(self, other: Num) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a == b,
            (Num::Float(a), Num::Float(b)) => a == b,
            (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => int_eq_float(i, f),
        }
    }

    /// The number as a `Value` operand, if `v` is a real number.
    pub(crate) fn of_value(v: &Value) -> Option<Num> {
        match v {
            Value::Int(i) => Some(Num::Int(*i)),
            Value::Bool(b) => Some(Num::Int(i128::from(*b))),
            Value::Float(f) => Some(Num::Float(*f)),
            // An int outside i128 equals no int item; it equals a float item only when
            // it is exactly that float. Otherwise `py_eq` decides (always false).
            Value::BigInt(b) => b.exact_f64().map(Num::Float),
            _ => None,
        }
    }
}

fn int_eq_float(i: i128, f: f64) -> bool {
    f.is_finite() && f.fract() == 0.0 && f.abs() < 1.7e38 && (f as i128) == i
}

/// Python's `a == b` for the values items decode to.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    use Value as V;
    match (a, b) {
        (V::BigInt(x), V::BigInt(y)) => x == y,
        (V::BigInt(x), V::Float(f)) | (V::Float(f), V::BigInt(x)) => {
            x.cmp_f64(*f) == Some(std::cmp::Ordering::Equal)
        }
        (V::Int(_) | V::Bool(_) | V::Float(_), V::Int(_) | V::Bool(_) | V::Float(_)) => {
            Num::of_value(a)
                .zip(Num::of_value(b))
                .is_some_and(|(x, y)| x.py_eq(y))
        }
        (V::Complex { re, im }, other) | (other, V::Complex { re, im }) => match other {
            V::Complex { re: r2, im: i2 } => re == r2 && im == i2,
            _ => *im == 0.0 && Num::of_value(other).is_some_and(|n| n.py_eq(Num::Float(*re))),
        },
        (V::Bytes(x), V::Bytes(y)) => x == y,
        (V::Str(x), V::Str(y)) => x == y,
        (V::Tuple(x), V::Tuple(y)) | (V::List(x), V::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        _ => false,
    }
}

fn invalid_type(code: char) -> Error {
    type_error(format!("memoryview: invalid type for format '{code}'"))
}

fn invalid_value(code: char) -> Error {
    value_error(format!("memoryview: invalid value for format '{code}'"))
}

/// `pack_single`: the bytes of `v` as native `code`, with memoryview's messages.
pub(crate) fn encode_native(code: char, v: &Value) -> Result<([u8; 8], usize)> {
    let mut out = [0u8; 8];
    let size = native_size(code).unwrap_or(1);
    let int = |lo: i128, hi: i128| -> Result<i128> {
        if let Value::BigInt(_) = v {
            // Outside i128, so outside every native range.
            return Err(invalid_value(code));
        }
        let i = v.as_index().ok_or_else(|| invalid_type(code))?;
        if i < lo || i > hi {
            Err(invalid_value(code))
        } else {
            Ok(i)
        }
    };
    let float = || -> Result<f64> {
        match v {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => {
                let f = *i as f64;
                if f.is_infinite() {
                    Err(invalid_value(code))
                } else {
                    Ok(f)
                }
            }
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            // int.__float__; its OverflowError is memoryview's "invalid value".
            Value::BigInt(b) => b.to_f64().map_err(|_| invalid_value(code)),
            _ => Err(invalid_type(code)),
        }
    };
    // The low `n` bytes of `x`, in native order (two's complement truncation).
    let le = |x: i128, n: usize, out: &mut [u8; 8]| {
        if cfg!(target_endian = "little") {
            out[..n].copy_from_slice(&x.to_le_bytes()[..n]);
        } else {
            out[..n].copy_from_slice(&x.to_be_bytes()[16 - n..]);
        }
    };
    match code {
        'b' => le(int(i8::MIN.into(), i8::MAX.into())?, 1, &mut out),
        'h' => le(int(i16::MIN.into(), i16::MAX.into())?, 2, &mut out),
        'i' => le(int(i32::MIN.into(), i32::MAX.into())?, 4, &mut out),
        'l' => le(int(c_long::MIN.into(), c_long::MAX.into())?, size, &mut out),
        'q' => le(int(i64::MIN.into(), i64::MAX.into())?, 8, &mut out),
        'n' => le(int(isize::MIN as i128, isize::MAX as i128)?, size, &mut out),
        'B' => le(int(0, u8::MAX.into())?, 1, &mut out),
        'H' => le(int(0, u16::MAX.into())?, 2, &mut out),
        'I' => le(int(0, u32::MAX.into())?, 4, &mut out),
        'L' => le(int(0, std::ffi::c_ulong::MAX.into())?, size, &mut out),
        'Q' => le(int(0, u64::MAX.into())?, 8, &mut out),
        'N' => le(int(0, usize::MAX as i128)?, size, &mut out),
        // PyLong_AsVoidPtr accepts the signed and the unsigned range.
        'P' => le(int(isize::MIN as i128, usize::MAX as i128)?, size, &mut out),
        '?' => out[0] = u8::from(v.is_truthy()),
        'f' => out[..4].copy_from_slice(&(float()? as f32).to_ne_bytes()),
        'd' => out.copy_from_slice(&float()?.to_ne_bytes()),
        'e' => {
            let x = float()?;
            let h = half::f16::from_f64(x);
            if x.is_finite() && h.is_infinite() {
                return Err(invalid_value(code));
            }
            out[..2].copy_from_slice(&h.to_bits().to_ne_bytes());
        }
        'c' => match v {
            Value::Bytes(b) if b.len() == 1 => out[0] = b[0],
            Value::Bytes(_) => return Err(invalid_value(code)),
            _ => return Err(invalid_type(code)),
        },
        _ => {
            return Err(not_implemented(format!(
                "memoryview: format {code} not supported"
            )));
        }
    }
    Ok((out, size))
}

/// CPython's `bytes` hash (`_Py_HashBytes`): SipHash-1-3 with the process key, 0 for
/// empty input, and -1 mapped to -2.
pub(crate) fn hash_bytes(data: &[u8], k0: u64, k1: u64) -> i64 {
    if data.is_empty() {
        return 0;
    }
    let h = siphash13(k0, k1, data) as i64;
    if h == -1 { -2 } else { h }
}

fn siphash13(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v0 = k0 ^ 0x736f_6d65_7073_6575;
    let mut v1 = k1 ^ 0x646f_7261_6e64_6f6d;
    let mut v2 = k0 ^ 0x6c79_6765_6e65_7261;
    let mut v3 = k1 ^ 0x7465_6462_7974_6573;
    let round = |v0: &mut u64, v1: &mut u64, v2: &mut u64, v3: &mut u64| {
        *v0 = v0.wrapping_add(*v1);
        *v1 = v1.rotate_left(13);
        *v1 ^= *v0;
        *v0 = v0.rotate_left(32);
        *v2 = v2.wrapping_add(*v3);
        *v3 = v3.rotate_left(16);
        *v3 ^= *v2;
        *v0 = v0.wrapping_add(*v3);
        *v3 = v3.rotate_left(21);
        *v3 ^= *v0;
        *v2 = v2.wrapping_add(*v1);
        *v1 = v1.rotate_left(17);
        *v1 ^= *v2;
        *v2 = v2.rotate_left(32);
    };
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let m = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        v3 ^= m;
        round(&mut v0, &mut v1, &mut v2, &mut v3);
        v0 ^= m;
    }
    let rest = chunks.remainder();
    let mut last = [0u8; 8];
    last[..rest.len()].copy_from_slice(rest);
    let b = u64::from_le_bytes(last) | ((data.len() as u64) << 56);
    v3 ^= b;
    round(&mut v0, &mut v1, &mut v2, &mut v3);
    v0 ^= b;
    v2 ^= 0xff;
    for _ in 0..3 {
        round(&mut v0, &mut v1, &mut v2, &mut v3);
    }
    v0 ^ v1 ^ v2 ^ v3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_equality_is_pythons() {
        assert!(py_eq(&Value::Int(1), &Value::Float(1.0)));
        assert!(py_eq(&Value::Bool(true), &Value::Int(1)));
        assert!(!py_eq(&Value::Float(f64::NAN), &Value::Float(f64::NAN)));
        assert!(!py_eq(
            &Value::Int((1 << 53) + 1),
            &Value::Float((1u64 << 53) as f64)
        ));
        assert!(py_eq(&Value::Complex { re: 2.0, im: 0.0 }, &Value::Int(2)));
        assert!(!py_eq(&Value::Bytes(b"a".to_vec()), &Value::Int(97)));
    }
}

/// A reader turning one native integer item into an `i128` (for `==` across formats).
pub(crate) type IntReader = unsafe fn(*const u8) -> i128;

macro_rules! int_readers {
    ($($name:ident: $t:ty),*) => {$(
        /// # Safety
        /// `p` is readable for the type's size.
        unsafe fn $name(p: *const u8) -> i128 {
            // SAFETY: forwarded contract; any bit pattern is a valid integer.
            unsafe { raw::read::<$t>(p) as i128 }
        }
    )*};
}

int_readers!(rd_i8: i8, rd_u8: u8, rd_i16: i16, rd_u16: u16, rd_i32: i32, rd_u32: u32,
             rd_i64: i64, rd_u64: u64, rd_isize: isize, rd_usize: usize,
             rd_long: c_long, rd_ulong: std::ffi::c_ulong);

/// The integer reader of a native integer code (not `?`, `c` or the float codes).
pub(crate) fn int_reader(code: char) -> Option<IntReader> {
    Some(match code {
        'b' => rd_i8,
        'B' => rd_u8,
        'h' => rd_i16,
        'H' => rd_u16,
        'i' => rd_i32,
        'I' => rd_u32,
        'l' => rd_long,
        'L' => rd_ulong,
        'q' => rd_i64,
        'Q' => rd_u64,
        'n' => rd_isize,
        'N' | 'P' => rd_usize,
        _ => return None,
    })
}

/// Counts the items of a 1-D run equal to `t` (raw comparison in the item type).
fn count_raw<T: Copy + PartialEq>(p: *mut u8, stride: isize, n: usize, t: T) -> usize {
    const BLOCK: usize = 16;
    let mut c = 0;
    let mut q = p;
    let mut left = n;
    if stride == size_of::<T>() as isize {
        // Contiguous: whole blocks per unaligned read, compared with vectorisable code.
        while left >= BLOCK {
            // SAFETY: `BLOCK` contiguous items from `q` lie inside the run (left >= BLOCK).
            let block: [T; BLOCK] = unsafe { raw::read::<[T; BLOCK]>(q) };
            c += block.iter().filter(|&&x| x == t).count();
            q = raw::offset(q, (BLOCK * size_of::<T>()) as isize);
            left -= BLOCK;
        }
    }
    for _ in 0..left {
        // SAFETY: the caller passes the base, stride and length of a held 1-D view.
        if unsafe { raw::read::<T>(q) } == t {
            c += 1;
        }
        q = raw::offset(q, stride);
    }
    c
}

/// `count` over a 1-D run of native `code` items for a numeric target, or `None` when the
/// generic path must decide (float items compared with an int target, `e`, `c`).
pub(crate) fn count_native(
    code: char,
    p: *mut u8,
    stride: isize,
    n: usize,
    target: Num,
) -> Option<usize> {
    let as_int = match target {
        Num::Int(i) => Some(i),
        Num::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.7e38 => Some(f as i128),
        Num::Float(_) => None,
    };
    macro_rules! int {
        ($t:ty) => {
            Some(match as_int.and_then(|i| <$t>::try_from(i).ok()) {
                Some(t) => count_raw::<$t>(p, stride, n, t),
                None => 0,
            })
        };
    }
    match code {
        'b' => int!(i8),
        'B' => int!(u8),
        'h' => int!(i16),
        'H' => int!(u16),
        'i' => int!(i32),
        'I' => int!(u32),
        'l' => int!(c_long),
        'L' => int!(std::ffi::c_ulong),
        'q' => int!(i64),
        'Q' => int!(u64),
        'n' => int!(isize),
        'N' | 'P' => int!(usize),
        'd' => match target {
            Num::Float(f) => Some(count_raw::<f64>(p, stride, n, f)),
            Num::Int(_) => None,
        },
        'f' => match target {
            // An f32 item equals f only if f is exactly representable as f32.
            Num::Float(f) if f64::from(f as f32) == f || f.is_nan() => {
                Some(count_raw::<f32>(p, stride, n, f as f32))
            }
            Num::Float(_) => Some(0),
            Num::Int(_) => None,
        },
        _ => None,
    }
}

/// Fills `out` with the values of a 1-D run of native `code` items.
pub(crate) fn tolist_native(code: char, p: *mut u8, stride: isize, n: usize, out: &mut Vec<Value>) {
    fn run<T: Copy>(
        p: *mut u8,
        stride: isize,
        n: usize,
        out: &mut Vec<Value>,
        conv: impl Fn(T) -> Value,
    ) {
        // An exact-size `extend` writes the values without a capacity check per item.
        out.extend((0..n).map(|k| {
            // SAFETY: the caller passes the base, stride and length of a held 1-D run;
            // `k < n`, so the item lies inside it.
            conv(unsafe { raw::read::<T>(raw::offset(p, stride.wrapping_mul(k as isize))) })
        }));
    }
    match code {
        'b' => run(p, stride, n, out, |x: i8| Value::Int(x.into())),
        'B' => run(p, stride, n, out, |x: u8| Value::Int(x.into())),
        'h' => run(p, stride, n, out, |x: i16| Value::Int(x.into())),
        'H' => run(p, stride, n, out, |x: u16| Value::Int(x.into())),
        'i' => run(p, stride, n, out, |x: i32| Value::Int(x.into())),
        'I' => run(p, stride, n, out, |x: u32| Value::Int(x.into())),
        'l' => run(p, stride, n, out, |x: c_long| Value::Int(x.into())),
        'L' => run(p, stride, n, out, |x: std::ffi::c_ulong| {
            Value::Int(x.into())
        }),
        'q' => run(p, stride, n, out, |x: i64| Value::Int(x.into())),
        'Q' => run(p, stride, n, out, |x: u64| Value::Int(x.into())),
        'n' => run(p, stride, n, out, |x: isize| Value::Int(x as i128)),
        'N' | 'P' => run(p, stride, n, out, |x: usize| Value::Int(x as i128)),
        'd' => run(p, stride, n, out, Value::Float),
        'f' => run(p, stride, n, out, |x: f32| Value::Float(x.into())),
        _ => {
            let mut q = p;
            for _ in 0..n {
                // SAFETY: as above.
                out.push(unsafe { unpack_native(code, q) });
                q = raw::offset(q, stride);
            }
        }
    }
}

/// Integer item types widened losslessly for comparisons across formats.
trait Widen: Copy {
    /// True when every value converts to `i64` exactly (all but the 64-bit unsigned types).
    const FITS_I64: bool;
    fn widen(self) -> i128;
    /// `self as i64`: exact only when `FITS_I64`.
    fn to_i64(self) -> i64;
}

macro_rules! widen {
    ($fits:expr => $($t:ty),*) => {$(
        impl Widen for $t {
            const FITS_I64: bool = $fits;
            #[inline]
            fn widen(self) -> i128 {
                self as i128
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
        }
    )*};
}

widen!(true => i8, u8, i16, u16, i32, u32, i64, isize);
widen!(false => u64, usize);

fn eq_run<A: Widen, B: Widen>(pa: *mut u8, sa: isize, pb: *mut u8, sb: isize, n: usize) -> bool {
    const BLOCK: usize = 16;
    let (mut p, mut q) = (pa, pb);
    let mut left = n;
    let contiguous = sa == size_of::<A>() as isize && sb == size_of::<B>() as isize;
    if A::FITS_I64 && B::FITS_I64 && contiguous {
        // Whole blocks per unaligned read, compared without an exit inside the block, so
        // the comparison vectorises; `i64` holds both item types exactly.
        while left >= BLOCK {
            // SAFETY: both runs are contiguous here and `left >= BLOCK`, so `BLOCK` items
            // from `p` and from `q` lie inside the two held runs the caller passed.
            let (x, y) = unsafe { (raw::read::<[A; BLOCK]>(p), raw::read::<[B; BLOCK]>(q)) };
            let differ = x
                .iter()
                .zip(&y)
                .fold(false, |acc, (a, b)| acc | (a.to_i64() != b.to_i64()));
            if differ {
                return false;
            }
            p = raw::offset(p, (BLOCK * size_of::<A>()) as isize);
            q = raw::offset(q, (BLOCK * size_of::<B>()) as isize);
            left -= BLOCK;
        }
    }
    for _ in 0..left {
        // SAFETY: the caller passes the bases, strides and length of two held 1-D runs
        // whose item types are `A` and `B`; `p`, `q` address one of the remaining items.
        let (x, y) = unsafe { (raw::read::<A>(p), raw::read::<B>(q)) };
        if x.widen() != y.widen() {
            return false;
        }
        p = raw::offset(p, sa);
        q = raw::offset(q, sb);
    }
    true
}

macro_rules! int_type {
    ($code:expr, $T:ident, $body:expr) => {
        match $code {
            'b' => {
                type $T = i8;
                $body
            }
            'B' => {
                type $T = u8;
                $body
            }
            'h' => {
                type $T = i16;
                $body
            }
            'H' => {
                type $T = u16;
                $body
            }
            'i' => {
                type $T = i32;
                $body
            }
            'I' => {
                type $T = u32;
                $body
            }
            'l' | 'q' if size_of::<c_long>() == 8 || $code == 'q' => {
                type $T = i64;
                $body
            }
            'L' | 'Q' if size_of::<c_long>() == 8 || $code == 'Q' => {
                type $T = u64;
                $body
            }
            'n' => {
                type $T = isize;
                $body
            }
            'N' | 'P' => {
                type $T = usize;
                $body
            }
            _ => None,
        }
    };
}

/// `==` of two 1-D runs of native integer items (any pair of integer codes), or `None`
/// when either code is not an integer code this fast path handles.
pub(crate) fn eq_int_runs(
    a: char,
    pa: *mut u8,
    sa: isize,
    b: char,
    pb: *mut u8,
    sb: isize,
    n: usize,
) -> Option<bool> {
    int_type!(
        a,
        A,
        int_type!(b, B, Some(eq_run::<A, B>(pa, sa, pb, sb, n)))
    )
}

#[cfg(test)]
mod eq_run_tests {
    use super::*;

    /// `n` items of `width` bytes each (native order), starting `off` bytes into a buffer.
    fn pack(vals: &[i128], width: usize, off: usize) -> Vec<u8> {
        let mut out = vec![0xAAu8; off];
        for &v in vals {
            let b = v.to_ne_bytes();
            if cfg!(target_endian = "little") {
                out.extend_from_slice(&b[..width]);
            } else {
                out.extend_from_slice(&b[16 - width..]);
            }
        }
        out
    }

    fn eq(a: char, va: &[i128], b: char, vb: &[i128], off: usize) -> bool {
        let (wa, wb) = (native_size(a).unwrap(), native_size(b).unwrap());
        let (mut x, mut y) = (pack(va, wa, off), pack(vb, wb, off + 1));
        let (pa, pb) = (
            x.as_mut_ptr().wrapping_add(off),
            y.as_mut_ptr().wrapping_add(off + 1),
        );
        eq_int_runs(a, pa, wa as isize, b, pb, wb as isize, va.len()).unwrap()
    }

    #[test]
    fn blocks_and_tails_find_every_difference() {
        // array('i', v) == array('q', w) through memoryviews, unaligned, any length.
        let lens: &[usize] = if cfg!(miri) {
            &[0, 1, 17, 33]
        } else {
            &[0, 1, 15, 16, 17, 31, 32, 33, 50]
        };
        for &n in lens {
            let v: Vec<i128> = (0..n as i128).map(|i| i * 7919 - 100_000).collect();
            assert!(eq('i', &v, 'q', &v, 3), "n {n}");
            for k in 0..n {
                let mut w = v.clone();
                w[k] += 1;
                assert!(!eq('i', &v, 'q', &w, 1), "n {n} k {k}");
                assert!(!eq('q', &w, 'i', &v, 2), "n {n} k {k}");
            }
        }
    }

    #[test]
    fn signedness_and_64_bit_unsigned() {
        // memoryview(array('b', [-1]*20)) != memoryview(array('B', [255]*20))
        assert!(!eq('b', &[-1; 20], 'B', &[255; 20], 0));
        // 'Q' items take the exact i128 path: 2**64 - 1 is not -1.
        assert!(!eq('Q', &[u64::MAX as i128; 20], 'q', &[-1; 20], 0));
        assert!(eq('Q', &[5; 20], 'q', &[5; 20], 1));
        assert!(eq('H', &[65535; 20], 'I', &[65535; 20], 1));
    }

    #[test]
    fn negative_strides_take_the_item_loop() {
        // memoryview(array('i', v))[::-1] == memoryview(array('q', v[::-1]))
        let v: Vec<i128> = (0..40).map(|i| i * 3 - 50).collect();
        let back: Vec<i128> = v.iter().rev().copied().collect();
        let mut x = pack(&v, 4, 0);
        let mut y = pack(&back, 8, 0);
        let last = x.as_mut_ptr().wrapping_add(4 * 39);
        assert!(eq_int_runs('i', last, -4, 'q', y.as_mut_ptr(), 8, 40).unwrap());
        y[8 * 20] ^= 1;
        assert!(!eq_int_runs('i', last, -4, 'q', y.as_mut_ptr(), 8, 40).unwrap());
    }
}
