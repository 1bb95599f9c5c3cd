//! `array.array`: a typed, resizable array of C numbers, faithful to CPython 3.14.
//!
//! ```
//! use pymemory_buffer::Slice;
//! use pymemory_buffer::array::Array;
//! use pymemory_struct::Value;
//!
//! // a = array('i', [1, 2, 3]); a.append(4); a[1:3] = array('i', [7])
//! let a = Array::from_slice(&[1i32, 2, 3]);
//! a.append(&Value::Int(4)).unwrap();
//! a.set_slice(Slice::new(Some(1), Some(3), None), &Array::from_slice(&[7i32])).unwrap();
//! assert_eq!(a.to_string(), "array('i', [1, 7, 4])");
//!
//! // Errors are CPython's: a.append(2**40)
//! let err = a.append(&Value::Int(1 << 40)).unwrap_err();
//! assert_eq!(err.to_string(), "OverflowError: signed integer is greater than maximum");
//!
//! // array('d', [0.1, 1e16]) prints floats as Python does
//! let d = Array::from_slice(&[0.1f64, 1e16]);
//! assert_eq!(d.to_string(), "array('d', [0.1, 1e+16])");
//! ```
//!
//! An [`Array`] is a cheap handle, like a Python reference: `clone()` gives another
//! handle on the same array (use [`Array::copy`] for `copy.copy(a)`). Handles are
//! `!Send` and `!Sync`, as Python objects under the GIL. While buffers are exported
//! (memory views are alive), anything that would resize the array fails with
//! `BufferError: cannot resize an array that is exporting buffers`; in-place writes
//! stay allowed.
//!
//! ```compile_fail
//! // Arrays are single-threaded, like Python objects under the GIL: not Send.
//! fn send<T: Send>(_: T) {}
//! send(pymemory_buffer::array::Array::new('i').unwrap());
//! ```
//!
//! Sizes are those of CPython on 64-bit Linux: `l`/`L`/`q`/`Q`/`d` are 8 bytes,
//! `i`/`I`/`f`/`u`/`w` 4, `h`/`H` 2, `b`/`B` 1.

mod item;
pub(crate) mod storage;

use std::fmt;
use std::io::{self, Read, Write};
use std::rc::Rc;

use pymemory_struct::{Error, ExceptionKind, Result, Value};

/// Slices (`start:stop:step`) are the crate's [`crate::Slice`], re-exported here.
pub use crate::index::Slice;
pub(crate) use item::type_name;
use item::{Descr, Kind, Scalar};
use storage::RawStorage;

/// A Rust number type that maps to one array typecode.
///
/// # Safety
///
/// Implementors must be plain `Copy` numbers without padding, for which every bit
/// pattern of `size_of::<Self>()` bytes is a valid value, and `size_of::<Self>()` must
/// equal the item size of [`ArrayItem::TYPECODE`]. The implementations for the primitive
/// integers and floats are the only intended ones.
pub unsafe trait ArrayItem: Copy + 'static {
    /// The typecode [`Array::from_slice`] uses for this type.
    const TYPECODE: char;
}

// SAFETY (all impls below): primitive integers and floats have no padding, accept every
// bit pattern, and their sizes match the typecode's item size on 64-bit targets.
// SAFETY: see above.
unsafe impl ArrayItem for i8 {
    const TYPECODE: char = 'b';
}
// SAFETY: see above.
unsafe impl ArrayItem for u8 {
    const TYPECODE: char = 'B';
}
// SAFETY: see above.
unsafe impl ArrayItem for i16 {
    const TYPECODE: char = 'h';
}
// SAFETY: see above.
unsafe impl ArrayItem for u16 {
    const TYPECODE: char = 'H';
}
// SAFETY: see above.
unsafe impl ArrayItem for i32 {
    const TYPECODE: char = 'i';
}
// SAFETY: see above.
unsafe impl ArrayItem for u32 {
    const TYPECODE: char = 'I';
}
// SAFETY: see above.
unsafe impl ArrayItem for i64 {
    const TYPECODE: char = 'q';
}
// SAFETY: see above.
unsafe impl ArrayItem for u64 {
    const TYPECODE: char = 'Q';
}
// SAFETY: see above.
unsafe impl ArrayItem for f32 {
    const TYPECODE: char = 'f';
}
// SAFETY: see above.
unsafe impl ArrayItem for f64 {
    const TYPECODE: char = 'd';
}

/// A rich comparison operator (`<`, `<=`, `==`, `!=`, `>`, `>=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    fn symbol(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            CompareOp::Lt => o == Less,
            CompareOp::Le => o != Greater,
            CompareOp::Eq => o == Equal,
            CompareOp::Ne => o != Equal,
            CompareOp::Gt => o == Greater,
            CompareOp::Ge => o != Less,
        }
    }
}

const RESIZE_REFUSED: &str = "cannot resize an array that is exporting buffers";

/// `BufferError` while exported; `MemoryError` (empty message, as CPython's) when the
/// allocator cannot provide the bytes.
fn resize_error(e: storage::ResizeError) -> Error {
    match e {
        storage::ResizeError::ExportsLive => buffer_error(),
        storage::ResizeError::NoMemory => Error::new(ExceptionKind::MemoryError, ""),
    }
}

fn buffer_error() -> Error {
    Error::new(ExceptionKind::BufferError, RESIZE_REFUSED)
}

fn bad_argument() -> Error {
    Error::new(
        ExceptionKind::TypeError,
        "bad argument type for built-in operation",
    )
}

struct Inner {
    descr: Descr,
    data: RawStorage,
}

/// Python's `array.array`: see the [module docs](self).
pub struct Array {
    inner: Rc<Inner>,
}

impl Clone for Array {
    /// Another handle on the same array (Python's `b = a`).
    fn clone(&self) -> Array {
        Array {
            inner: Rc::clone(&self.inner),
        }
    }
}

fn usize_to_isize(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

/// Adds `len` to a negative index and checks it against `0..len`.
fn resolve_index(i: isize, len: usize) -> Option<usize> {
    let i = if i < 0 {
        i.checked_add(usize_to_isize(len))?
    } else {
        i
    };
    usize::try_from(i).ok().filter(|&i| i < len)
}

impl Array {
    fn with_descr(descr: Descr, data: RawStorage) -> Array {
        Array {
            inner: Rc::new(Inner { descr, data }),
        }
    }

    fn descr(&self) -> Descr {
        self.inner.descr
    }

    fn data(&self) -> &RawStorage {
        &self.inner.data
    }

    /// `array(typecode)`: an empty array.
    ///
    /// # Errors
    /// `ValueError: bad typecode (must be b, B, u, w, h, H, i, I, l, L, q, Q, f or d)`.
    pub fn new(typecode: char) -> Result<Array> {
        Ok(Array::with_descr(Descr::of(typecode)?, RawStorage::new()))
    }

    /// `array(typecode, values)` with a list or tuple of values.
    ///
    /// # Errors
    /// A bad typecode, or CPython's error for the first value that does not fit.
    pub fn from_values(typecode: char, values: &[Value]) -> Result<Array> {
        let a = Array::new(typecode)?;
        a.fromlist(values)?;
        Ok(a)
    }

    /// `array(typecode, list)`: the same as [`Array::from_values`].
    ///
    /// # Errors
    /// A bad typecode, or CPython's error for the first value that does not fit.
    pub fn from_list(typecode: char, values: &[Value]) -> Result<Array> {
        Array::from_values(typecode, values)
    }

    /// An array of `T`'s typecode holding `items` (`array('i', ...)` for `i32`).
    #[must_use]
    pub fn from_slice<T: ArrayItem>(items: &[T]) -> Array {
        let descr = Descr::of(T::TYPECODE).unwrap_or(Descr {
            code: 'B',
            itemsize: 1,
            kind: Kind::U8,
        });
        let data = RawStorage::new();
        // A fresh storage has no exports, so this cannot be refused.
        let _ = data.extend_from_slice(items);
        Array::with_descr(descr, data)
    }

    /// `array(typecode, b'...')`: items from machine bytes.
    ///
    /// # Errors
    /// A bad typecode or `ValueError: bytes length not a multiple of item size`.
    pub fn from_bytes(typecode: char, bytes: &[u8]) -> Result<Array> {
        let a = Array::new(typecode)?;
        a.frombytes(bytes)?;
        Ok(a)
    }

    /// `array(typecode, 'text')`, only for the unicode typecodes `u` and `w`.
    ///
    /// # Errors
    /// `TypeError: cannot use a str to initialize an array with typecode 'i'` for other
    /// typecodes (checked before the typecode itself, as CPython does).
    pub fn from_str(typecode: char, text: &str) -> Result<Array> {
        if typecode != 'u' && typecode != 'w' {
            return Err(Error::new(
                ExceptionKind::TypeError,
                format!("cannot use a str to initialize an array with typecode '{typecode}'"),
            ));
        }
        let a = Array::new(typecode)?;
        a.fromunicode(text)?;
        Ok(a)
    }

    /// `array(typecode, other_array)`: a copy, converting items through Python values
    /// when the typecodes differ.
    ///
    /// # Errors
    /// `TypeError: cannot use a unicode array to initialize an array with typecode 'i'`,
    /// a bad typecode, or the first item that does not fit.
    pub fn from_array(typecode: char, other: &Array) -> Result<Array> {
        let unicode = typecode == 'u' || typecode == 'w';
        if !unicode && other.descr().is_unicode() {
            return Err(Error::new(
                ExceptionKind::TypeError,
                format!(
                    "cannot use a unicode array to initialize an array with typecode '{typecode}'"
                ),
            ));
        }
        let descr = Descr::of(typecode)?;
        if descr.code == other.typecode() {
            return Ok(other.copy());
        }
        let a = Array::with_descr(descr, RawStorage::new());
        for i in 0..other.len() {
            a.append(&item::decode(other.descr(), other.data(), i)?)?;
        }
        Ok(a)
    }

    /// `a.typecode`.
    #[must_use]
    pub fn typecode(&self) -> char {
        self.descr().code
    }

    /// `a.itemsize`: bytes per item.
    #[must_use]
    pub fn itemsize(&self) -> usize {
        self.descr().itemsize
    }

    /// `len(a)`.
    #[must_use]
    pub fn len(&self) -> usize {
        self.data().len() / self.descr().itemsize
    }

    /// `len(a) == 0`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.data().len() == 0
    }

    /// `len(a) * a.itemsize`.
    #[must_use]
    pub fn nbytes(&self) -> usize {
        self.data().len()
    }

    /// Whether two handles refer to the same array (Python's `a is b`).
    #[must_use]
    pub fn ptr_eq(&self, other: &Array) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// `copy.copy(a)`: a new array with the same items.
    #[must_use]
    pub fn copy(&self) -> Array {
        Array::with_descr(self.descr(), RawStorage::from_bytes(&self.data().to_vec()))
    }

    /// The number of live buffer exports (memory views) of this array.
    #[must_use]
    pub fn exports(&self) -> usize {
        self.data().exports()
    }

    fn resize_items(&self, n: usize) -> Result<()> {
        let bytes = n
            .checked_mul(self.itemsize())
            .ok_or_else(|| Error::new(ExceptionKind::OverflowError, "array too large"))?;
        self.data().try_resize(bytes).map_err(resize_error)
    }

    fn encode(&self, v: &Value) -> Result<[u8; 8]> {
        let mut buf = [0u8; 8];
        item::encode(self.descr(), v, &mut buf)?;
        Ok(buf)
    }

    fn write_item(&self, i: usize, raw: &[u8; 8]) {
        // Typed stores: a fixed-size write per item instead of a memmove call.
        let d = self.data();
        match self.itemsize() {
            1 => d.set(i, raw[0]),
            2 => d.set(i * 2, u16::from_ne_bytes([raw[0], raw[1]])),
            4 => d.set(i * 4, u32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]])),
            _ => d.set(i * 8, u64::from_ne_bytes(*raw)),
        }
    }

    /// `a[i]`.
    ///
    /// # Errors
    /// `IndexError: array index out of range`.
    pub fn get(&self, i: isize) -> Result<Value> {
        let i = resolve_index(i, self.len())
            .ok_or_else(|| Error::new(ExceptionKind::IndexError, "array index out of range"))?;
        item::decode(self.descr(), self.data(), i)
    }

    /// `a[i] = v`.
    ///
    /// # Errors
    /// `IndexError: array assignment index out of range`, or the value's conversion error.
    pub fn set(&self, i: isize, v: &Value) -> Result<()> {
        let i = resolve_index(i, self.len()).ok_or_else(|| {
            Error::new(
                ExceptionKind::IndexError,
                "array assignment index out of range",
            )
        })?;
        let raw = self.encode(v)?;
        self.write_item(i, &raw);
        Ok(())
    }

    /// `del a[i]`.
    ///
    /// # Errors
    /// `IndexError: array assignment index out of range`, or `BufferError` while exported.
    pub fn delete(&self, i: isize) -> Result<()> {
        let i = resolve_index(i, self.len()).ok_or_else(|| {
            Error::new(
                ExceptionKind::IndexError,
                "array assignment index out of range",
            )
        })?;
        self.remove_range(i, i + 1)
    }

    /// Removes items `lo..hi` (in bounds), shifting the tail down.
    fn remove_range(&self, lo: usize, hi: usize) -> Result<()> {
        if hi == lo {
            return Ok(());
        }
        if self.exports() > 0 {
            return Err(buffer_error());
        }
        let size = self.itemsize();
        let len = self.len();
        self.data()
            .copy_within(hi * size, lo * size, (len - hi) * size);
        self.resize_items(len - (hi - lo))
    }

    /// `a[slice]`: a new array (steps and negative steps allowed).
    ///
    /// # Errors
    /// `ValueError: slice step cannot be zero`.
    pub fn get_slice(&self, s: Slice) -> Result<Array> {
        let (start, step, n) = s.indices(self.len())?;
        let out = self
            .data()
            .gather(start.unsigned_abs(), step, n, self.itemsize());
        Ok(Array::with_descr(self.descr(), out))
    }

    /// `a[slice] = other`, with CPython's rules: plain slices may change the length,
    /// extended slices need an array of the same length.
    ///
    /// # Errors
    /// `TypeError: bad argument type for built-in operation` for a different typecode,
    /// `ValueError: attempt to assign array of size N to extended slice of size M`,
    /// `BufferError` when the length would change (or on any deletion) while exported.
    pub fn set_slice(&self, s: Slice, other: &Array) -> Result<()> {
        let (start, step, n) = s.indices(self.len())?;
        if !self.ptr_eq(other) && other.descr() != self.descr() {
            return Err(bad_argument());
        }
        // `a[i:j] = a` reads the source before the destination changes.
        let src = other.data().to_vec();
        self.assign(start, step, n, Some(&src))
    }

    /// `del a[slice]`.
    ///
    /// # Errors
    /// `ValueError: slice step cannot be zero`, or `BufferError` while exported.
    pub fn del_slice(&self, s: Slice) -> Result<()> {
        let (start, step, n) = s.indices(self.len())?;
        self.assign(start, step, n, None)
    }

    /// The body of `array_ass_subscr` once the slice is resolved.
    fn assign(
        &self,
        start: isize,
        step: isize,
        slicelength: usize,
        src: Option<&[u8]>,
    ) -> Result<()> {
        let size = self.itemsize();
        let needed = src.map_or(0, |s| s.len() / size);
        if (needed == 0 || slicelength != needed) && self.exports() > 0 {
            return Err(buffer_error());
        }
        let len = self.len();
        if step == 1 {
            // An empty forward slice inserts at `start` (CPython moves `stop` there).
            let start = start.unsigned_abs();
            let stop = start + slicelength;
            if slicelength > needed {
                self.data()
                    .copy_within(stop * size, (start + needed) * size, (len - stop) * size);
                self.resize_items(len + needed - slicelength)?;
            } else if slicelength < needed {
                self.resize_items(len + needed - slicelength)?;
                self.data()
                    .copy_within(stop * size, (start + needed) * size, (len - stop) * size);
            }
            if let Some(src) = src {
                self.data().write(start * size, src);
            }
            return Ok(());
        }
        let positions = (0..slicelength).map(|k| (start + step * usize_to_isize(k)).unsigned_abs());
        match src {
            None | Some([]) => {
                if slicelength == 0 {
                    return Ok(());
                }
                let mut drop = vec![false; len];
                for p in positions {
                    drop[p] = true;
                }
                let old = self.data().to_vec();
                let mut kept = Vec::with_capacity(old.len() - slicelength * size);
                for (i, chunk) in old.chunks_exact(size).enumerate() {
                    if !drop[i] {
                        kept.extend_from_slice(chunk);
                    }
                }
                self.resize_items(len - slicelength)?;
                self.data().write(0, &kept);
                Ok(())
            }
            Some(src) => {
                if needed != slicelength {
                    return Err(Error::new(
                        ExceptionKind::ValueError,
                        format!(
                            "attempt to assign array of size {needed} to extended slice of size {slicelength}"
                        ),
                    ));
                }
                for (k, p) in positions.enumerate() {
                    self.data().write(p * size, &src[k * size..(k + 1) * size]);
                }
                Ok(())
            }
        }
    }

    /// `a.append(v)`.
    ///
    /// # Errors
    /// The value's conversion error (checked first), then `BufferError` while exported.
    pub fn append(&self, v: &Value) -> Result<()> {
        self.insert_raw(self.len(), &self.encode(v)?)
    }

    fn insert_raw(&self, at: usize, raw: &[u8; 8]) -> Result<()> {
        let len = self.len();
        self.resize_items(len + 1)?;
        let size = self.itemsize();
        if at < len {
            self.data()
                .copy_within(at * size, (at + 1) * size, (len - at) * size);
        }
        self.write_item(at, raw);
        Ok(())
    }

    /// `a.append(x)` for a Rust number of the array's exact type: the fast path.
    ///
    /// # Errors
    /// `TypeError` when `T` does not match the typecode, `BufferError` while exported.
    pub fn push<T: ArrayItem>(&self, x: T) -> Result<()> {
        self.check_element::<T>()?;
        let old = self.data().len();
        self.data()
            .resize(old + size_of::<T>())
            .map_err(|_| buffer_error())?;
        self.data().set(old, x);
        Ok(())
    }

    /// `a.frombytes(...)` from a slice of Rust numbers of the array's exact type.
    ///
    /// # Errors
    /// `TypeError` when `T` does not match the typecode, `BufferError` while exported.
    pub fn extend_from_slice<T: ArrayItem>(&self, items: &[T]) -> Result<()> {
        self.check_element::<T>()?;
        self.data()
            .extend_from_slice(items)
            .map_err(|_| buffer_error())
    }

    /// The items as a `Vec<T>` (`T` must match the typecode: `i64` reads `l` and `q`).
    ///
    /// # Errors
    /// `TypeError` when `T` does not match the typecode.
    pub fn to_vec<T: ArrayItem>(&self) -> Result<Vec<T>> {
        self.check_element::<T>()?;
        Ok(self.data().to_typed_vec())
    }

    fn check_element<T: ArrayItem>(&self) -> Result<()> {
        let ok = Descr::of(T::TYPECODE).is_ok_and(|d| d.kind == self.descr().kind);
        if ok {
            Ok(())
        } else {
            Err(Error::new(
                ExceptionKind::TypeError,
                format!(
                    "array typecode '{}' does not hold Rust {} items",
                    self.typecode(),
                    std::any::type_name::<T>()
                ),
            ))
        }
    }

    /// `a.buffer_info()`: `(address, length in items)`; the address is 0 when nothing
    /// is allocated, as in CPython.
    #[must_use]
    pub fn buffer_info(&self) -> (usize, usize) {
        let addr = if self.data().capacity() == 0 {
            0
        } else {
            self.data().as_ptr().addr()
        };
        (addr, self.len())
    }

    /// `a.byteswap()`: reverses the bytes of every item in place.
    pub fn byteswap(&self) {
        self.data().byteswap_items(self.itemsize());
    }

    /// `a.clear()` (new in Python 3.13).
    ///
    /// # Errors
    /// `BufferError` while exported (unless already empty).
    pub fn clear(&self) -> Result<()> {
        self.data().clear().map_err(|_| buffer_error())
    }

    /// `a.count(v)`: how many items equal `v` (Python `==`, so `1 == 1.0 == True`).
    #[must_use]
    pub fn count(&self, v: &Value) -> usize {
        let Some(target) = item::value_scalar(v) else {
            return 0;
        };
        (0..self.len())
            .filter(|&i| item::scalar_eq(item::scalar(self.descr(), self.data(), i), target))
            .count()
    }

    /// `v in a`.
    #[must_use]
    pub fn contains(&self, v: &Value) -> bool {
        self.index(v, None, None).is_ok()
    }

    /// `a.extend(other)` with another array.
    ///
    /// # Errors
    /// `TypeError: can only extend with array of same kind`, `BufferError` while exported.
    pub fn extend(&self, other: &Array) -> Result<()> {
        if other.descr() != self.descr() {
            return Err(Error::new(
                ExceptionKind::TypeError,
                "can only extend with array of same kind",
            ));
        }
        self.data()
            .extend_from_storage(other.data())
            .map_err(|_| buffer_error())
    }

    /// `a.extend(iterable)` with any iterable of values: appended one by one, so the
    /// items before a bad one stay appended, as in CPython.
    ///
    /// # Errors
    /// The first value's conversion error, or `BufferError` while exported.
    pub fn extend_values<'v>(&self, values: impl IntoIterator<Item = &'v Value>) -> Result<()> {
        for v in values {
            self.append(v)?;
        }
        Ok(())
    }

    /// `a.frombytes(b)`: appends items from machine bytes.
    ///
    /// # Errors
    /// `ValueError: bytes length not a multiple of item size`, `BufferError` while exported.
    pub fn frombytes(&self, bytes: &[u8]) -> Result<()> {
        if bytes.len() % self.itemsize() != 0 {
            return Err(Error::new(
                ExceptionKind::ValueError,
                "bytes length not a multiple of item size",
            ));
        }
        self.data().extend_bytes(bytes).map_err(|_| buffer_error())
    }

    /// `a.fromfile(f, n)`: reads `n` items from `reader` and appends them.
    ///
    /// If fewer bytes arrive, the whole items read are appended first and then an
    /// `UnexpectedEof` error with CPython's message `read() didn't return enough bytes`
    /// (Python's `EOFError`) is returned. Array errors (`ValueError` for a partial item,
    /// `BufferError`) come back wrapped with [`io::Error::other`].
    ///
    /// # Errors
    /// See above; I/O errors of `reader` pass through.
    pub fn fromfile(&self, reader: &mut impl Read, n: usize) -> io::Result<()> {
        let nbytes = n
            .checked_mul(self.itemsize())
            .ok_or_else(|| io::Error::other("array too large"))?;
        let mut buf = Vec::new();
        reader
            .take(u64::try_from(nbytes).unwrap_or(u64::MAX))
            .read_to_end(&mut buf)?;
        self.frombytes(&buf).map_err(io::Error::other)?;
        if buf.len() != nbytes {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read() didn't return enough bytes",
            ));
        }
        Ok(())
    }

    /// `a.fromlist(values)`: appends all or nothing.
    ///
    /// # Errors
    /// `BufferError` while exported (checked first), then the first bad value's error,
    /// after which the array is as before.
    pub fn fromlist(&self, values: &[Value]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let old = self.len();
        self.resize_items(old + values.len())?;
        for (k, v) in values.iter().enumerate() {
            if let Err(e) = item::store(self.descr(), v, self.data(), old + k) {
                // Shrinking back cannot be refused: there were no exports above.
                let _ = self.resize_items(old);
                return Err(e);
            }
        }
        Ok(())
    }

    fn require_unicode(&self, method: &str) -> Result<()> {
        if self.descr().is_unicode() {
            Ok(())
        } else {
            Err(Error::new(
                ExceptionKind::ValueError,
                format!("{method}() may only be called on unicode type arrays ('u' or 'w')"),
            ))
        }
    }

    /// `a.fromunicode(s)` for `u` and `w` arrays.
    ///
    /// # Errors
    /// `ValueError: fromunicode() may only be called on unicode type arrays ('u' or 'w')`,
    /// `BufferError` while exported.
    pub fn fromunicode(&self, text: &str) -> Result<()> {
        self.require_unicode("fromunicode")?;
        let cps: Vec<u32> = text.chars().map(u32::from).collect();
        self.data()
            .extend_from_slice(&cps)
            .map_err(|_| buffer_error())
    }

    /// `a.index(v, start, stop)`: the first index of an item equal to `v` in
    /// `start..stop` (negative bounds count from the end; `None` for the defaults).
    ///
    /// # Errors
    /// `ValueError: array.index(x): x not in array`.
    pub fn index(&self, v: &Value, start: Option<isize>, stop: Option<isize>) -> Result<usize> {
        let len = usize_to_isize(self.len());
        let mut start = start.unwrap_or(0);
        if start < 0 {
            start = start.saturating_add(len).max(0);
        }
        let mut stop = stop.unwrap_or(isize::MAX);
        if stop < 0 {
            stop = stop.saturating_add(len);
        }
        let not_found = || Error::new(ExceptionKind::ValueError, "array.index(x): x not in array");
        let target = item::value_scalar(v).ok_or_else(not_found)?;
        let end = stop.min(len);
        (start..end)
            .map(isize::unsigned_abs)
            .find(|&i| item::scalar_eq(item::scalar(self.descr(), self.data(), i), target))
            .ok_or_else(not_found)
    }

    /// `a.insert(i, v)`: inserts before position `i` (clamped, negative from the end).
    ///
    /// # Errors
    /// The value's conversion error (checked first), then `BufferError` while exported.
    pub fn insert(&self, i: isize, v: &Value) -> Result<()> {
        let raw = self.encode(v)?;
        let len = usize_to_isize(self.len());
        let mut at = i;
        if at < 0 {
            at = at.saturating_add(len).max(0);
        }
        self.insert_raw(at.min(len).unsigned_abs(), &raw)
    }

    /// `a.pop(i)` (`None`: the last item).
    ///
    /// # Errors
    /// `IndexError: pop from empty array`, `IndexError: pop index out of range`,
    /// `BufferError` while exported.
    pub fn pop(&self, i: Option<isize>) -> Result<Value> {
        let len = self.len();
        if len == 0 {
            return Err(Error::new(
                ExceptionKind::IndexError,
                "pop from empty array",
            ));
        }
        let i = resolve_index(i.unwrap_or(-1), len)
            .ok_or_else(|| Error::new(ExceptionKind::IndexError, "pop index out of range"))?;
        let v = item::decode(self.descr(), self.data(), i)?;
        self.remove_range(i, i + 1)?;
        Ok(v)
    }

    /// `a.remove(v)`: removes the first item equal to `v`.
    ///
    /// # Errors
    /// `ValueError: array.remove(x): x not in array`, `BufferError` while exported.
    pub fn remove(&self, v: &Value) -> Result<()> {
        let i = self.index(v, None, None).map_err(|_| {
            Error::new(ExceptionKind::ValueError, "array.remove(x): x not in array")
        })?;
        self.remove_range(i, i + 1)
    }

    /// `a.reverse()`.
    pub fn reverse(&self) {
        self.data().reverse_items(self.itemsize());
    }

    /// `a.tobytes()`: the machine bytes.
    #[must_use]
    pub fn tobytes(&self) -> Vec<u8> {
        self.data().to_vec()
    }

    /// `a.tofile(f)`: writes the machine bytes.
    ///
    /// # Errors
    /// I/O errors of `writer`.
    pub fn tofile(&self, writer: &mut impl Write) -> io::Result<()> {
        writer.write_all(&self.tobytes())
    }

    /// `a.tolist()`.
    ///
    /// # Errors
    /// `ValueError` for a `u`/`w` item that is not a Unicode scalar value (possible
    /// after `frombytes`), as CPython's `chr` range check.
    pub fn tolist(&self) -> Result<Vec<Value>> {
        let d = self.data();
        fn ints<T: ArrayItem + Into<i128>>(d: &RawStorage) -> Vec<Value> {
            values(d.to_typed_vec::<T>(), |x| Value::Int(x.into()))
        }
        /// One `Value` per item, in a result allocated once (huge pages when large).
        fn values<T>(items: Vec<T>, conv: impl Fn(T) -> Value) -> Vec<Value> {
            let mut out = Vec::with_capacity(items.len());
            crate::raw::advise_huge_pages(&out);
            out.extend(items.into_iter().map(conv));
            out
        }
        Ok(match self.descr().kind {
            Kind::I8 => ints::<i8>(d),
            Kind::U8 => ints::<u8>(d),
            Kind::I16 => ints::<i16>(d),
            Kind::U16 => ints::<u16>(d),
            Kind::I32 => ints::<i32>(d),
            Kind::U32 => ints::<u32>(d),
            Kind::I64 => ints::<i64>(d),
            Kind::U64 => ints::<u64>(d),
            Kind::F32 => values(d.to_typed_vec::<f32>(), |x| Value::Float(x.into())),
            Kind::F64 => values(d.to_typed_vec::<f64>(), Value::Float),
            Kind::Ucs4 => d
                .to_typed_vec::<u32>()
                .into_iter()
                .map(|cp| {
                    char::from_u32(cp)
                        .map(|c| Value::Str(c.to_string()))
                        .ok_or_else(|| item::bad_code_point(cp))
                })
                .collect::<Result<_>>()?,
        })
    }

    /// `a.tounicode()` for `u` and `w` arrays.
    ///
    /// # Errors
    /// `ValueError: tounicode() may only be called on unicode type arrays ('u' or 'w')`,
    /// or `ValueError` for a stored value that is not a Unicode scalar value.
    pub fn tounicode(&self) -> Result<String> {
        self.require_unicode("tounicode")?;
        self.data()
            .to_typed_vec::<u32>()
            .into_iter()
            .map(|cp| char::from_u32(cp).ok_or_else(|| item::bad_code_point(cp)))
            .collect()
    }

    /// An iterator over the items as Python values (reads the live array, like
    /// Python's array iterator).
    #[must_use]
    pub fn iter(&self) -> Iter {
        Iter {
            array: self.clone(),
            next: 0,
        }
    }

    /// `a + b`.
    ///
    /// # Errors
    /// `TypeError: bad argument type for built-in operation` for different typecodes.
    pub fn concat(&self, other: &Array) -> Result<Array> {
        if other.descr() != self.descr() {
            return Err(bad_argument());
        }
        let mut bytes = self.data().to_vec();
        bytes.extend_from_slice(&other.data().to_vec());
        Ok(Array::with_descr(
            self.descr(),
            RawStorage::from_bytes(&bytes),
        ))
    }

    /// `a * n` (`n <= 0` gives an empty array).
    #[must_use]
    pub fn repeat(&self, n: isize) -> Array {
        let n = usize::try_from(n).unwrap_or(0);
        let bytes = self.data().to_vec().repeat(n);
        Array::with_descr(self.descr(), RawStorage::from_bytes(&bytes))
    }

    /// `a += b`.
    ///
    /// # Errors
    /// `TypeError: can only extend with array of same kind`, `BufferError` while exported.
    pub fn iadd(&self, other: &Array) -> Result<()> {
        self.extend(other)
    }

    /// `a *= n`.
    ///
    /// # Errors
    /// `BufferError` while exported, unless nothing changes (`n == 1` or empty array).
    pub fn imul(&self, n: isize) -> Result<()> {
        if self.is_empty() || n == 1 {
            return Ok(());
        }
        let n = usize::try_from(n).unwrap_or(0);
        let bytes = self.data().to_vec();
        let total = bytes
            .len()
            .checked_mul(n)
            .ok_or_else(|| Error::new(ExceptionKind::OverflowError, "array too large"))?;
        self.data().try_resize(total).map_err(resize_error)?;
        for k in 1..n {
            self.data().write(k * bytes.len(), &bytes);
        }
        Ok(())
    }

    /// `a <op> b` as Python compares arrays: item by item through Python values, so
    /// arrays of different typecodes compare by value (`array('i', [1]) == array('d',
    /// [1.0])`), NaN never equals, and `==`/`!=` with different lengths are decided by
    /// length alone.
    ///
    /// # Errors
    /// `TypeError: '<' not supported between instances of 'int' and 'str'` when ordering
    /// a numeric array against a unicode one.
    pub fn richcompare(&self, other: &Array, op: CompareOp) -> Result<bool> {
        let (la, lb) = (self.len(), other.len());
        if la != lb && matches!(op, CompareOp::Eq | CompareOp::Ne) {
            return Ok(op == CompareOp::Ne);
        }
        let differing = (0..la.min(lb)).find_map(|i| {
            let x = item::scalar(self.descr(), self.data(), i);
            let y = item::scalar(other.descr(), other.data(), i);
            (!item::scalar_eq(x, y)).then_some((x, y))
        });
        let Some((x, y)) = differing else {
            return Ok(op.holds(la.cmp(&lb)));
        };
        match op {
            CompareOp::Eq => Ok(false),
            CompareOp::Ne => Ok(true),
            _ => match item::scalar_cmp(x, y) {
                Ok(Some(o)) => Ok(op.holds(o)),
                Ok(None) => Ok(false),
                Err(()) => Err(unorderable(op, x, y)),
            },
        }
    }
}

fn unorderable(op: CompareOp, x: Scalar, y: Scalar) -> Error {
    Error::new(
        ExceptionKind::TypeError,
        format!(
            "'{}' not supported between instances of '{}' and '{}'",
            op.symbol(),
            x.type_name(),
            y.type_name()
        ),
    )
}

/// Iterator over an [`Array`]'s items; see [`Array::iter`].
#[derive(Debug)]
pub struct Iter {
    array: Array,
    next: usize,
}

impl Iterator for Iter {
    type Item = Result<Value>;

    fn next(&mut self) -> Option<Result<Value>> {
        if self.next >= self.array.len() {
            return None;
        }
        let v = item::decode(self.array.descr(), self.array.data(), self.next);
        self.next += 1;
        Some(v)
    }
}

impl PartialEq for Array {
    /// Python's `a == b` (never fails).
    fn eq(&self, other: &Array) -> bool {
        self.richcompare(other, CompareOp::Eq).unwrap_or(false)
    }
}

impl fmt::Display for Array {
    /// Python's `repr(a)`: `array('i', [1, 2])`, `array('d')`, `array('u', 'hi')`.
    /// A `u`/`w` item outside Unicode (possible after `frombytes`), where CPython's
    /// repr raises `ValueError`, is shown as U+FFFD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tc = self.typecode();
        if self.is_empty() {
            return write!(f, "array('{tc}')");
        }
        if self.descr().is_unicode() {
            let text: String = self
                .data()
                .to_typed_vec::<u32>()
                .into_iter()
                .map(|cp| char::from_u32(cp).unwrap_or('\u{fffd}'))
                .collect();
            return write!(f, "array('{tc}', {})", Value::Str(text));
        }
        write!(f, "array('{tc}', [")?;
        for i in 0..self.len() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match item::scalar(self.descr(), self.data(), i) {
                Scalar::Int(x) => write!(f, "{x}")?,
                Scalar::Float(x) => write!(f, "{}", Value::Float(x))?,
                Scalar::Char(_) => {}
            }
        }
        f.write_str("])")
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One export of an array's storage, carried in the descriptor's `keep_alive`.
///
/// The export ends when the last clone of the descriptor is dropped (the buffer protocol
/// has no release call that code could make early).
struct ArrayExport(Array);

impl Drop for ArrayExport {
    fn drop(&mut self) {
        self.0.data().release_export();
    }
}

// SAFETY: for every buffer returned below, for as long as it (or a clone) exists:
// 1. `buf` is the storage's base pointer, valid for reads and writes of `len` bytes (the
//    bytes in use; storage invariant 2), laid out 1-D with `itemsize` strides.
// 2. `get_buffer` records an export and puts an `ArrayExport` token in `keep_alive`; the
//    export ends only when the token's last clone drops. While any export is live the
//    storage refuses every resize, clear and reallocation (storage invariant 3), and the
//    token's handle keeps the `Rc` (and so the allocation) alive.
// 3. The array never holds `&[u8]`/`&mut [u8]` into its storage: all of its accesses are
//    raw-pointer copies (module `storage`).
// 4. `RawBuffer::full` derives `len = n * itemsize` with one dimension and one stride.
// 5. The base pointer is never null (a dangling, aligned pointer when nothing is allocated).
unsafe impl crate::exporter::BufferExporter for Array {
    fn get_buffer(
        &self,
        flags: crate::flags::BufferFlags,
    ) -> crate::error::Result<crate::exporter::RawBuffer> {
        let d = self.descr();
        // CPython 3.13+ exports 'u' arrays as format "w" where wchar_t is 4 bytes.
        let format = if d.code == 'u' { "w" } else { d.format() };
        let mut raw = crate::exporter::RawBuffer::full(
            self.data().as_ptr(),
            d.itemsize,
            false,
            format,
            vec![self.len()],
            vec![usize_to_isize(d.itemsize)],
            None,
            None,
        )
        .apply_request(flags, &crate::exporter::RequestMessages::GENERIC)?;
        self.data().add_export();
        raw.keep_alive = Some(Rc::new(ArrayExport(self.clone())));
        Ok(raw)
    }

    fn type_name(&self) -> &'static str {
        "array.array"
    }

    fn hashable(&self) -> bool {
        false
    }
}
