//! `bytearray`: Python's mutable, resizable byte buffer, with CPython's resize lock.
//!
//! ```
//! use pymemory_buffer::Slice;
//! use pymemory_buffer::bytearray::ByteArray;
//! use pymemory_struct::Value;
//!
//! // b = bytearray(b'abc'); b.append(0); b[0:1] = b"it's"
//! let b = ByteArray::from_bytes(b"abc");
//! b.append(&Value::Int(0)).unwrap();
//! b.set_slice(Slice::new(Some(0), Some(1), None), b"it's").unwrap();
//! assert_eq!(b.to_string(), r#"bytearray(b"it\'sbc\x00")"#);
//!
//! // b.append(256)
//! let err = b.append(&Value::Int(256)).unwrap_err();
//! assert_eq!(err.to_string(), "ValueError: byte must be in range(0, 256)");
//! ```
//!
//! A [`ByteArray`] is a cheap handle (`clone()` shares the bytes; [`ByteArray::copy`]
//! copies them), `!Send` and `!Sync`. While buffers are exported, resizing fails with
//! `BufferError: Existing exports of data: object cannot be re-sized`; writes in place
//! stay allowed.
//!
//! ```compile_fail
//! // Not Send: views may write the bytes from this thread at any time.
//! fn send<T: Send>(_: T) {}
//! send(pymemory_buffer::bytearray::ByteArray::new());
//! ```

use std::fmt;
use std::rc::Rc;

use pymemory_struct::{Error, ExceptionKind, Result, Value};

use crate::array::Slice;
use crate::array::storage::{RawStorage, ResizeError};

const RESIZE_REFUSED: &str = "Existing exports of data: object cannot be re-sized";

fn buffer_error() -> Error {
    Error::new(ExceptionKind::BufferError, RESIZE_REFUSED)
}

fn index_error() -> Error {
    Error::new(ExceptionKind::IndexError, "bytearray index out of range")
}

/// `_getbytevalue`: an int in `range(0, 256)`.
fn byte_value(v: &Value) -> Result<u8> {
    let i = match v {
        Value::Int(i) => *i,
        Value::Bool(b) => i128::from(*b),
        other => {
            return Err(Error::new(
                ExceptionKind::TypeError,
                format!(
                    "'{}' object cannot be interpreted as an integer",
                    crate::array::type_name(other)
                ),
            ));
        }
    };
    u8::try_from(i)
        .map_err(|_| Error::new(ExceptionKind::ValueError, "byte must be in range(0, 256)"))
}

fn usize_to_isize(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

fn resolve_index(i: isize, len: usize) -> Option<usize> {
    let i = if i < 0 {
        i.checked_add(usize_to_isize(len))?
    } else {
        i
    };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// Python's `bytearray`: see the [module docs](self).
pub struct ByteArray {
    data: Rc<RawStorage>,
}

impl Clone for ByteArray {
    /// Another handle on the same bytes (Python's `c = b`).
    fn clone(&self) -> ByteArray {
        ByteArray {
            data: Rc::clone(&self.data),
        }
    }
}

impl Default for ByteArray {
    fn default() -> ByteArray {
        ByteArray::new()
    }
}

impl ByteArray {
    /// `bytearray()`.
    #[must_use]
    pub fn new() -> ByteArray {
        ByteArray {
            data: Rc::new(RawStorage::new()),
        }
    }

    /// `bytearray(b'...')`.
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> ByteArray {
        ByteArray {
            data: Rc::new(RawStorage::from_bytes(bytes)),
        }
    }

    /// `bytearray(n)`: `n` zero bytes.
    ///
    /// # Errors
    /// `ValueError: negative count`.
    pub fn zeroed(n: isize) -> Result<ByteArray> {
        let n = usize::try_from(n)
            .map_err(|_| Error::new(ExceptionKind::ValueError, "negative count"))?;
        Ok(ByteArray::from_bytes(&vec![0; n]))
    }

    /// `bytearray([ints])`.
    ///
    /// # Errors
    /// The first value that is not an int in `range(0, 256)`.
    pub fn from_values(values: &[Value]) -> Result<ByteArray> {
        let bytes = values.iter().map(byte_value).collect::<Result<Vec<u8>>>()?;
        Ok(ByteArray::from_bytes(&bytes))
    }

    /// `len(b)`.
    #[must_use]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `len(b) == 0`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.data.len() == 0
    }

    /// Whether two handles share the same bytes (`b is c`).
    #[must_use]
    pub fn ptr_eq(&self, other: &ByteArray) -> bool {
        Rc::ptr_eq(&self.data, &other.data)
    }

    /// `b.copy()`.
    #[must_use]
    pub fn copy(&self) -> ByteArray {
        ByteArray::from_bytes(&self.to_vec())
    }

    /// `bytes(b)`: a copy of the contents.
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        self.data.to_vec()
    }

    /// The number of live buffer exports.
    #[must_use]
    pub fn exports(&self) -> usize {
        self.data.exports()
    }

    fn resize_to(&self, n: usize) -> Result<()> {
        self.data.try_resize(n).map_err(|e| match e {
            ResizeError::ExportsLive => buffer_error(),
            // CPython's MemoryError has an empty message.
            ResizeError::NoMemory => Error::new(ExceptionKind::MemoryError, ""),
        })
    }

    /// `b[i]`.
    ///
    /// # Errors
    /// `IndexError: bytearray index out of range`.
    pub fn get(&self, i: isize) -> Result<u8> {
        let i = resolve_index(i, self.len()).ok_or_else(index_error)?;
        Ok(self.data.get::<u8>(i))
    }

    /// `b[i] = v`.
    ///
    /// # Errors
    /// The value's error (checked first, as CPython 3.14 does), then
    /// `IndexError: bytearray index out of range`.
    pub fn set(&self, i: isize, v: &Value) -> Result<()> {
        let x = byte_value(v)?;
        let i = resolve_index(i, self.len()).ok_or_else(index_error)?;
        self.data.set(i, x);
        Ok(())
    }

    /// `del b[i]`.
    ///
    /// # Errors
    /// `IndexError: bytearray index out of range`, `BufferError` while exported.
    pub fn delete(&self, i: isize) -> Result<()> {
        let i = resolve_index(i, self.len()).ok_or_else(index_error)?;
        self.replace_range(i, i + 1, &[])
    }

    /// Replaces bytes `lo..hi` with `src` (the linear `setslice`).
    fn replace_range(&self, lo: usize, hi: usize, src: &[u8]) -> Result<()> {
        let len = self.len();
        let avail = hi - lo;
        if src.len() < avail {
            self.check_resizable()?;
            self.data.copy_within(hi, lo + src.len(), len - hi);
            self.resize_to(len - (avail - src.len()))?;
        } else if src.len() > avail {
            self.resize_to(len + (src.len() - avail))?;
            self.data.copy_within(hi, lo + src.len(), len - hi);
        }
        self.data.write(lo, src);
        Ok(())
    }

    fn check_resizable(&self) -> Result<()> {
        if self.exports() > 0 {
            Err(buffer_error())
        } else {
            Ok(())
        }
    }

    /// `b[slice]`: a new bytearray.
    ///
    /// # Errors
    /// `ValueError: slice step cannot be zero`.
    pub fn get_slice(&self, s: Slice) -> Result<ByteArray> {
        let (start, step, n) = s.indices(self.len())?;
        Ok(ByteArray {
            data: Rc::new(self.data.gather(start.unsigned_abs(), step, n, 1)),
        })
    }

    /// `b[slice] = bytes`: plain slices may change the length; extended slices need
    /// exactly as many bytes.
    ///
    /// # Errors
    /// `ValueError: attempt to assign bytes of size N to extended slice of size M`,
    /// `BufferError` when the length would change while exported.
    pub fn set_slice(&self, s: Slice, src: &[u8]) -> Result<()> {
        self.assign(s, Some(src))
    }

    /// `b[slice] = [ints]`.
    ///
    /// # Errors
    /// A value that is not an int in `range(0, 256)`, then as [`ByteArray::set_slice`].
    pub fn set_slice_values(&self, s: Slice, values: &[Value]) -> Result<()> {
        s.indices(self.len())?;
        let bytes = values.iter().map(byte_value).collect::<Result<Vec<u8>>>()?;
        self.assign(s, Some(&bytes))
    }

    /// `del b[slice]`.
    ///
    /// # Errors
    /// `ValueError: slice step cannot be zero`, `BufferError` while exported.
    pub fn del_slice(&self, s: Slice) -> Result<()> {
        self.assign(s, None)
    }

    fn assign(&self, s: Slice, src: Option<&[u8]>) -> Result<()> {
        let (start, step, n) = s.indices(self.len())?;
        let needed = src.map_or(0, <[u8]>::len);
        if step == 1 {
            // An empty forward slice inserts at `start` (CPython moves `stop` there).
            let start = start.unsigned_abs();
            return self.replace_range(start, start + n, src.unwrap_or(&[]));
        }
        let positions = (0..n).map(|k| (start + step * usize_to_isize(k)).unsigned_abs());
        if needed == 0 {
            self.check_resizable()?;
            if n == 0 {
                return Ok(());
            }
            let mut drop = vec![false; self.len()];
            for p in positions {
                drop[p] = true;
            }
            let kept: Vec<u8> = self
                .to_vec()
                .into_iter()
                .zip(drop)
                .filter_map(|(b, d)| (!d).then_some(b))
                .collect();
            self.resize_to(kept.len())?;
            self.data.write(0, &kept);
            return Ok(());
        }
        if needed != n {
            return Err(Error::new(
                ExceptionKind::ValueError,
                format!("attempt to assign bytes of size {needed} to extended slice of size {n}"),
            ));
        }
        let src = src.unwrap_or(&[]);
        for (k, p) in positions.enumerate() {
            self.data.set(p, src[k]);
        }
        Ok(())
    }

    /// `b.append(v)`.
    ///
    /// # Errors
    /// `ValueError: byte must be in range(0, 256)`, a `TypeError` for non-ints,
    /// `BufferError` while exported.
    pub fn append(&self, v: &Value) -> Result<()> {
        let x = byte_value(v)?;
        self.push(x)
    }

    /// `b.append(x)` for a Rust byte.
    ///
    /// # Errors
    /// `BufferError` while exported.
    pub fn push(&self, x: u8) -> Result<()> {
        let len = self.len();
        self.resize_to(len + 1)?;
        self.data.set(len, x);
        Ok(())
    }

    /// `b.extend(bytes)` / `b += bytes`.
    ///
    /// # Errors
    /// `BufferError` while exported (unless `bytes` is empty).
    pub fn extend_from_slice(&self, bytes: &[u8]) -> Result<()> {
        self.data
            .extend_from_slice(bytes)
            .map_err(|_| buffer_error())
    }

    /// `b.extend([ints])`: all or nothing.
    ///
    /// # Errors
    /// The first bad value, then `BufferError` while exported.
    pub fn extend_values(&self, values: &[Value]) -> Result<()> {
        let bytes = values.iter().map(byte_value).collect::<Result<Vec<u8>>>()?;
        self.extend_from_slice(&bytes)
    }

    /// `b.insert(i, v)`: inserts before `i` (clamped, negative from the end).
    ///
    /// # Errors
    /// The value's error first, then `BufferError` while exported.
    pub fn insert(&self, i: isize, v: &Value) -> Result<()> {
        let x = byte_value(v)?;
        let len = usize_to_isize(self.len());
        let mut at = i;
        if at < 0 {
            at = at.saturating_add(len).max(0);
        }
        let at = at.min(len).unsigned_abs();
        self.replace_range(at, at, &[x])
    }

    /// `b.pop(i)` (`None`: the last byte).
    ///
    /// # Errors
    /// `IndexError: pop from empty bytearray`, `IndexError: pop index out of range`,
    /// `BufferError` while exported.
    pub fn pop(&self, i: Option<isize>) -> Result<u8> {
        let len = self.len();
        if len == 0 {
            return Err(Error::new(
                ExceptionKind::IndexError,
                "pop from empty bytearray",
            ));
        }
        let i = resolve_index(i.unwrap_or(-1), len)
            .ok_or_else(|| Error::new(ExceptionKind::IndexError, "pop index out of range"))?;
        self.check_resizable()?;
        let x = self.data.get::<u8>(i);
        self.replace_range(i, i + 1, &[])?;
        Ok(x)
    }

    /// `b.remove(v)`: removes the first byte equal to `v`.
    ///
    /// # Errors
    /// `ValueError: value not found in bytearray`, the value's error,
    /// `BufferError` while exported.
    pub fn remove(&self, v: &Value) -> Result<()> {
        let x = byte_value(v)?;
        let i = (0..self.len())
            .find(|&i| self.data.get::<u8>(i) == x)
            .ok_or_else(|| Error::new(ExceptionKind::ValueError, "value not found in bytearray"))?;
        self.check_resizable()?;
        self.replace_range(i, i + 1, &[])
    }

    /// `b.clear()`.
    ///
    /// # Errors
    /// `BufferError` while exported (unless already empty).
    pub fn clear(&self) -> Result<()> {
        self.data.clear().map_err(|_| buffer_error())
    }

    /// `b.resize(n)` (new in Python 3.14): truncates or pads with zero bytes.
    ///
    /// # Errors
    /// `ValueError: Can only resize to positive sizes, got -1`, `BufferError` while
    /// exported (unless the size is unchanged).
    pub fn resize(&self, n: isize) -> Result<()> {
        let n = usize::try_from(n).map_err(|_| {
            Error::new(
                ExceptionKind::ValueError,
                format!("Can only resize to positive sizes, got {n}"),
            )
        })?;
        self.resize_to(n)
    }

    /// `b.reverse()`.
    pub fn reverse(&self) {
        self.data.reverse_items(1);
    }

    /// The needle of `count`/`index`: an int in `range(0, 256)` or a bytes object.
    fn needle(v: &Value) -> Result<Vec<u8>> {
        match v {
            Value::Bytes(b) => Ok(b.clone()),
            Value::Int(_) | Value::Bool(_) => Ok(vec![byte_value(v)?]),
            other => Err(Error::new(
                ExceptionKind::TypeError,
                format!(
                    "argument should be integer or bytes-like object, not '{}'",
                    crate::array::type_name(other)
                ),
            )),
        }
    }

    /// `b.count(x)`: non-overlapping occurrences of a byte (int) or of a bytes object.
    ///
    /// # Errors
    /// `ValueError: byte must be in range(0, 256)`, or `TypeError: argument should be
    /// integer or bytes-like object, not 'str'`.
    pub fn count(&self, v: &Value) -> Result<usize> {
        let needle = Self::needle(v)?;
        let hay = self.to_vec();
        if needle.is_empty() {
            return Ok(hay.len() + 1);
        }
        let mut n = 0;
        let mut i = 0;
        while i + needle.len() <= hay.len() {
            if hay[i..i + needle.len()] == needle[..] {
                n += 1;
                i += needle.len();
            } else {
                i += 1;
            }
        }
        Ok(n)
    }

    /// `b.index(x)`: the first position of a byte (int) or of a bytes object.
    ///
    /// # Errors
    /// `ValueError: subsection not found`, or the argument's error as for `count`.
    pub fn index(&self, v: &Value) -> Result<usize> {
        let needle = Self::needle(v)?;
        let hay = self.to_vec();
        if needle.is_empty() {
            return Ok(0);
        }
        hay.windows(needle.len())
            .position(|w| w == needle.as_slice())
            .ok_or_else(|| Error::new(ExceptionKind::ValueError, "subsection not found"))
    }

    /// `b + other`.
    #[must_use]
    pub fn concat(&self, other: &[u8]) -> ByteArray {
        let mut v = self.to_vec();
        v.extend_from_slice(other);
        ByteArray::from_bytes(&v)
    }

    /// `b * n`.
    #[must_use]
    pub fn repeat(&self, n: isize) -> ByteArray {
        ByteArray::from_bytes(&self.to_vec().repeat(usize::try_from(n).unwrap_or(0)))
    }

    /// `b *= n`.
    ///
    /// # Errors
    /// `BufferError` while exported, unless the length does not change.
    pub fn imul(&self, n: isize) -> Result<()> {
        if n == 1 {
            return Ok(());
        }
        let bytes = self.to_vec();
        let n = usize::try_from(n).unwrap_or(0);
        let total = bytes
            .len()
            .checked_mul(n)
            .ok_or_else(|| Error::new(ExceptionKind::OverflowError, "bytearray too large"))?;
        self.resize_to(total)?;
        for k in 1..n {
            self.data.write(k * bytes.len(), &bytes);
        }
        Ok(())
    }
}

impl PartialEq for ByteArray {
    /// `b == c`: byte-wise.
    fn eq(&self, other: &ByteArray) -> bool {
        self.ptr_eq(other) || self.to_vec() == other.to_vec()
    }
}

impl Eq for ByteArray {}

impl PartialOrd for ByteArray {
    fn partial_cmp(&self, other: &ByteArray) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByteArray {
    /// `b < c`: lexicographic on unsigned bytes, as `memcmp`.
    fn cmp(&self, other: &ByteArray) -> std::cmp::Ordering {
        self.to_vec().cmp(&other.to_vec())
    }
}

impl fmt::Display for ByteArray {
    /// Python's `repr(b)`: `bytearray(b'...')`. Unlike `bytes`, a `'` is escaped even
    /// inside double quotes (`bytearray(b"it\'s")`), as CPython does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_vec();
        let mut quote = '\'';
        for &b in &bytes {
            if b == b'"' {
                quote = '\'';
                break;
            } else if b == b'\'' {
                quote = '"';
            }
        }
        write!(f, "bytearray(b{quote}")?;
        for &b in &bytes {
            match b {
                b'\'' | b'\\' => write!(f, "\\{}", char::from(b))?,
                b'\t' => f.write_str("\\t")?,
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                0x20..0x7f => write!(f, "{}", char::from(b))?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        write!(f, "{quote})")
    }
}

impl fmt::Debug for ByteArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One export of a bytearray's storage, carried in the descriptor's `keep_alive`; the
/// export ends when the last clone of the descriptor drops (there is no release call that
/// code could make early).
struct ByteArrayExport(Rc<RawStorage>);

impl Drop for ByteArrayExport {
    fn drop(&mut self) {
        self.0.release_export();
    }
}

// SAFETY: for every buffer returned below, for as long as it (or a clone) exists:
// 1. `buf` is the storage's base pointer, valid for reads and writes of `len` bytes (the
//    bytes in use; storage invariant 2).
// 2. `get_buffer` records an export and puts a `ByteArrayExport` token in `keep_alive`;
//    the export ends only when the token's last clone drops. While any export is live the
//    storage refuses every resize, clear and reallocation (storage invariant 3), and the
//    token keeps the `Rc` (and so the allocation) alive.
// 3. The bytearray never holds `&[u8]`/`&mut [u8]` into its storage: all of its accesses
//    are raw-pointer copies (module `array::storage`).
// 4. `RawBuffer::fill_info` builds a consistent 1-D descriptor of `len` unsigned bytes.
// 5. The base pointer is never null (a dangling, aligned pointer when nothing is allocated).
unsafe impl crate::exporter::BufferExporter for ByteArray {
    fn get_buffer(
        &self,
        flags: crate::flags::BufferFlags,
    ) -> crate::error::Result<crate::exporter::RawBuffer> {
        let mut raw =
            crate::exporter::RawBuffer::fill_info(self.data.as_ptr(), self.len(), false, flags)?;
        self.data.add_export();
        raw.keep_alive = Some(Rc::new(ByteArrayExport(Rc::clone(&self.data))));
        Ok(raw)
    }

    fn type_name(&self) -> &'static str {
        "bytearray"
    }

    fn hashable(&self) -> bool {
        false
    }
}
