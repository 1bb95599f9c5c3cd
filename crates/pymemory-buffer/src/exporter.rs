//! The buffer protocol: the raw descriptor, the exporter traits, export counting and the
//! managed buffer that all views of one export share.
//!
//! ```text
//!  exporter handle (Rc, cheap clone)          views (MemoryView handles)
//!  ┌──────────────┐   get_buffer(flags)   ┌────────────────────┐
//!  │ Bytes / Array │ ───────────────────▶ │ ManagedBuffer (Rc) │◀── m
//!  │ ByteArray ... │ ◀─────────────────── │  RawBuffer + handle │◀── m[1:4]
//!  └──────────────┘   (token dropped)     └────────────────────┘◀── m.cast("i")
//!                     when the last view drops or releases
//! ```
//!
//! An export is the descriptor itself: it ends when the descriptor's `keep_alive` token
//! is dropped (with its last clone). There is no release call, so safe code cannot end an
//! export that a view still holds:
//!
//! ```compile_fail,E0599
//! use pymemory_buffer::{BufferExporter, BufferFlags, MemoryView, VecBuffer};
//! let data = VecBuffer::new(vec![1u8, 2, 3]);
//! let m = MemoryView::new(&data).unwrap();
//! let raw = data.get_buffer(BufferFlags::SIMPLE).unwrap();
//! data.release_buffer(&raw); // no such method: dropping `raw` is the only way to end it
//! ```

use std::any::Any;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use crate::error::Result;
use crate::errs::{buffer_error, overflow_error, value_error};
use crate::flags::BufferFlags;
use crate::raw;

/// Largest number of dimensions a view may have (CPython's `PyBUF_MAX_NDIM`).
pub const MAX_NDIM: usize = 64;

/// A raw buffer descriptor, CPython's `Py_buffer` without the object pointer.
///
/// ```text
///   buf ──▶ first item (not necessarily the lowest address: strides may be negative)
///   item at (i0, i1, ...) = buf + i0*strides[0] + i1*strides[1] + ...
///   (with suboffsets[k] >= 0: after adding i_k*strides[k], read the pointer stored there
///    and add suboffsets[k], PIL style)
/// ```
#[derive(Clone)]
pub struct RawBuffer {
    /// Address of the item at index (0, 0, ...).
    pub buf: *mut u8,
    /// `product(shape) * itemsize`.
    pub len: usize,
    /// Size of one item in bytes.
    pub itemsize: usize,
    /// True if consumers must not write.
    pub readonly: bool,
    /// The struct format of one item; `None` means `"B"` (no `FORMAT` request).
    pub format: Option<Cow<'static, str>>,
    /// Number of dimensions.
    pub ndim: usize,
    /// Items per dimension; `None` means 1-D with `len / itemsize` items.
    pub shape: Option<Vec<usize>>,
    /// Bytes between items per dimension; `None` means C-contiguous.
    pub strides: Option<Vec<isize>>,
    /// PIL-style indirections; `None` when there are none.
    pub suboffsets: Option<Vec<isize>>,
    /// The export itself: storage and end-of-export tokens (an [`ExportGuard`], a
    /// handle clone) kept alive while the descriptor or a clone of it lives. Dropping the
    /// last clone ends the export; see [`RawBuffer::hold`].
    pub keep_alive: Option<Rc<dyn Any>>,
}

impl fmt::Debug for RawBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBuffer")
            .field("buf", &self.buf)
            .field("len", &self.len)
            .field("itemsize", &self.itemsize)
            .field("readonly", &self.readonly)
            .field("format", &self.format)
            .field("ndim", &self.ndim)
            .field("shape", &self.shape)
            .field("strides", &self.strides)
            .field("suboffsets", &self.suboffsets)
            .finish_non_exhaustive()
    }
}

impl RawBuffer {
    /// Checks the descriptor's internal consistency the way a view does before using it:
    /// at most 64 dimensions, a non-null `buf`, shape/strides/suboffsets of length `ndim`,
    /// and shape and strides whose extent and `product(shape) * itemsize` fit `isize`.
    /// Consumers that hand a descriptor on (to Python's `Py_buffer`, say) call this first.
    pub fn validate(&self) -> Result<()> {
        layout::validate(self)
    }

    /// A contiguous run of `len` unsigned bytes, filled in for `flags` the way
    /// `PyBuffer_FillInfo` does: a writable request on read-only memory is
    /// `BufferError: Object is not writable.`; the format, shape and strides are
    /// included only when requested.
    pub fn fill_info(
        buf: *mut u8,
        len: usize,
        readonly: bool,
        flags: BufferFlags,
    ) -> Result<RawBuffer> {
        if flags.writable() && readonly {
            return Err(buffer_error("Object is not writable."));
        }
        Ok(RawBuffer {
            buf,
            len,
            itemsize: 1,
            readonly,
            format: flags.format().then_some(Cow::Borrowed("B")),
            ndim: 1,
            shape: flags.requests(BufferFlags::ND).then(|| vec![len]),
            strides: flags.requests(BufferFlags::STRIDES).then(|| vec![1]),
            suboffsets: None,
            keep_alive: None,
        })
    }

    /// A full descriptor (format, shape, strides) of an N-D typed buffer; pass it through
    /// [`RawBuffer::apply_request`] to honour a consumer's flags.
    #[expect(clippy::too_many_arguments, reason = "mirrors the Py_buffer fields")]
    pub fn full(
        buf: *mut u8,
        itemsize: usize,
        readonly: bool,
        format: impl Into<Cow<'static, str>>,
        shape: Vec<usize>,
        strides: Vec<isize>,
        suboffsets: Option<Vec<isize>>,
        keep_alive: Option<Rc<dyn Any>>,
    ) -> RawBuffer {
        let len = shape.iter().fold(itemsize, |acc, &d| acc.saturating_mul(d));
        RawBuffer {
            buf,
            len,
            itemsize,
            readonly,
            format: Some(format.into()),
            ndim: shape.len(),
            shape: Some(shape),
            strides: Some(strides),
            suboffsets,
            keep_alive,
        }
    }

    /// Honours a request on a full descriptor, with CPython's refusals (the logic of
    /// `memory_getbuf` and `_testbuffer`'s `ndarray_getbuf`): `WRITABLE` on read-only
    /// memory, contiguity that the layout does not have, a consumer that cannot handle
    /// suboffsets, and `SIMPLE|FORMAT`. Fields not requested are dropped.
    pub fn apply_request(
        mut self,
        flags: BufferFlags,
        messages: &RequestMessages,
    ) -> Result<RawBuffer> {
        if flags.writable() && self.readonly {
            return Err(buffer_error(messages.not_writable));
        }
        if !flags.format() {
            self.format = None;
        }
        let c = self.is_contiguous('C');
        let f = self.is_contiguous('F');
        if flags.requests(BufferFlags::C_CONTIGUOUS) && !c {
            return Err(buffer_error(messages.not_c_contiguous));
        }
        if flags.requests(BufferFlags::F_CONTIGUOUS) && !f {
            return Err(buffer_error(messages.not_f_contiguous));
        }
        if flags.requests(BufferFlags::ANY_CONTIGUOUS) && !(c || f) {
            return Err(buffer_error(messages.not_contiguous));
        }
        if !flags.requests(BufferFlags::INDIRECT) && self.suboffsets.is_some() {
            return Err(buffer_error(messages.needs_suboffsets));
        }
        if !flags.requests(BufferFlags::STRIDES) {
            if !c {
                return Err(buffer_error(messages.not_c_contiguous));
            }
            self.strides = None;
        }
        if !flags.requests(BufferFlags::ND) {
            if self.format.is_some() {
                return Err(buffer_error(messages.format_without_shape));
            }
            self.ndim = 1;
            self.shape = None;
        }
        Ok(self)
    }

    /// Adds `value` to what the descriptor keeps alive: it is dropped when the export ends
    /// (when the last clone of the descriptor is dropped). Exporters put their end-of-export
    /// token here, e.g. the [`ExportGuard`] of [`ExportCount::acquire`].
    #[must_use]
    pub fn hold(mut self, value: impl Any) -> RawBuffer {
        self.keep_alive = Some(match self.keep_alive.take() {
            None => Rc::new(value),
            Some(previous) => Rc::new((previous, value)),
        });
        self
    }

    /// `PyBuffer_IsContiguous(view, order)` with `order` one of `'C'`, `'F'`, `'A'`.
    #[must_use]
    pub fn is_contiguous(&self, order: char) -> bool {
        if self.suboffsets.is_some() {
            return false;
        }
        let Some(strides) = &self.strides else {
            return true;
        };
        let shape = self
            .shape
            .clone()
            .unwrap_or_else(|| vec![self.len / self.itemsize.max(1)]);
        match order {
            'C' => layout::is_c_contiguous(&shape, strides, self.itemsize),
            'F' => layout::is_f_contiguous(&shape, strides, self.itemsize),
            _ => {
                layout::is_c_contiguous(&shape, strides, self.itemsize)
                    || layout::is_f_contiguous(&shape, strides, self.itemsize)
            }
        }
    }
}

/// The `BufferError` messages an exporter uses when refusing a request.
#[derive(Clone, Copy, Debug)]
pub struct RequestMessages {
    /// Writable request on read-only memory.
    pub not_writable: &'static str,
    /// C-contiguity requested (or no strides requested) but not given.
    pub not_c_contiguous: &'static str,
    /// Fortran contiguity requested but not given.
    pub not_f_contiguous: &'static str,
    /// Any contiguity requested but not given.
    pub not_contiguous: &'static str,
    /// The layout has suboffsets and the consumer cannot handle them.
    pub needs_suboffsets: &'static str,
    /// `SIMPLE|FORMAT` or `WRITABLE|FORMAT`.
    pub format_without_shape: &'static str,
}

impl RequestMessages {
    /// The messages of a memoryview re-exporting its buffer (`memory_getbuf`).
    pub const MEMORYVIEW: RequestMessages = RequestMessages {
        not_writable: "memoryview: underlying buffer is not writable",
        not_c_contiguous: "memoryview: underlying buffer is not C-contiguous",
        not_f_contiguous: "memoryview: underlying buffer is not Fortran contiguous",
        not_contiguous: "memoryview: underlying buffer is not contiguous",
        needs_suboffsets: "memoryview: underlying buffer requires suboffsets",
        format_without_shape: "memoryview: cannot cast to unsigned bytes if the format flag is present",
    };
    /// The messages of `_testbuffer.ndarray`.
    pub const NDARRAY: RequestMessages = RequestMessages {
        not_writable: "ndarray is not writable",
        not_c_contiguous: "ndarray is not C-contiguous",
        not_f_contiguous: "ndarray is not Fortran contiguous",
        not_contiguous: "ndarray is not contiguous",
        needs_suboffsets: "ndarray cannot be represented without suboffsets",
        format_without_shape: "ndarray: cannot cast to unsigned bytes if the format flag is present",
    };
    /// Neutral messages for other exporters.
    pub const GENERIC: RequestMessages = RequestMessages {
        not_writable: "Object is not writable.",
        not_c_contiguous: "buffer is not C-contiguous",
        not_f_contiguous: "buffer is not Fortran contiguous",
        not_contiguous: "buffer is not contiguous",
        needs_suboffsets: "buffer cannot be represented without suboffsets",
        format_without_shape: "cannot cast to unsigned bytes if the format flag is present",
    };
}

/// An object that exports its memory through the buffer protocol (`bf_getbuffer`).
///
/// Implementors are cheap handle types, like Python objects: cloning shares the storage
/// (an `Rc` inside), and they are `!Send`/`!Sync`. A view keeps a clone of the handle for
/// as long as it holds the export, so the storage outlives every view without lifetimes.
/// Most users should implement the safe [`SafeExporter`] instead.
///
/// # Exports end by drop
///
/// The descriptor returned by [`get_buffer`](Self::get_buffer) *is* the export. It ends
/// when the descriptor's [`keep_alive`](RawBuffer::keep_alive) is dropped with its last
/// clone; there is no release method, so no code (safe or not) can end an export that
/// somebody else still holds. An exporter that must act when an export ends (count
/// exports to refuse resizing, give back a resource) puts a token whose `Drop` does it
/// into `keep_alive` ([`RawBuffer::hold`], [`ExportCount::acquire`]).
///
/// # Safety
///
/// For every `Ok(buffer)` returned by [`get_buffer`](Self::get_buffer), for as long as the
/// consumer holds both (a) `buffer.keep_alive`, if any (the descriptor or any clone of it)
/// and (b) a clone of the exporter handle — consumers hold both while they use the memory:
///
/// 1. Every byte addressed by the descriptor is valid for reads: for each index tuple
///    within `shape`, the `itemsize` bytes at `buf + Σ index_k * strides[k]` (following a
///    stored pointer plus `suboffsets[k]` after dimension `k` when `suboffsets[k] >= 0`).
///    If `readonly` is false they are also valid for writes.
/// 2. That memory is not freed, moved or shrunk: resizing is refused while exports are
///    held (see [`ExportCount`]). The count of an export may only drop when its
///    `keep_alive` token drops, never through a method that safe code can call.
/// 3. The exporter never holds a Rust reference (`&[u8]`, `&mut [u8]`) to that memory
///    across calls: it reads and writes it through raw pointers or `Cell`s, because views
///    write it through raw pointers at any time between the exporter's own operations.
/// 4. The descriptor is consistent: `ndim <= MAX_NDIM`; `shape`, `strides` and
///    `suboffsets`, when present, have `ndim` entries; `len == product(shape) * itemsize`;
///    a pointer stored for a suboffset is a valid pointer.
/// 5. `buf` is not null (use a dangling, well-aligned pointer for empty buffers).
///
/// Views check shape and stride arithmetic for overflow and bounds on their own side; the
/// exporter is trusted only for the validity of the memory it describes.
pub unsafe trait BufferExporter: 'static {
    /// Exports the memory for a consumer's `flags`, refusing with `BufferError` what the
    /// exporter cannot provide. Exporters that count exports take an [`ExportGuard`] here
    /// and put it into the descriptor's `keep_alive`; dropping the descriptor (its last
    /// clone) ends the export.
    fn get_buffer(&self, flags: BufferFlags) -> Result<RawBuffer>;

    /// Python's type name of the exporter (`"bytes"`, `"bytearray"`, `"array.array"`).
    fn type_name(&self) -> &'static str;

    /// False for exporters that Python cannot hash (`bytearray`, `array.array`): hashing a
    /// read-only view of them is `TypeError: unhashable type: '<type_name>'`.
    fn hashable(&self) -> bool {
        true
    }

    /// What `hash(obj)` raises, if anything; `hash(m)` of a read-only view calls it
    /// first, as CPython hashes `m.obj`. The default turns `hashable() == false` into
    /// `TypeError: unhashable type: '<type_name>'`.
    fn check_hash(&self) -> Result<()> {
        if self.hashable() {
            Ok(())
        } else {
            Err(crate::errs::type_error(format!(
                "unhashable type: '{}'",
                self.type_name()
            )))
        }
    }
}

/// Counts the live exports of an exporter, so it can refuse to resize while any view may
/// still point into its memory (CPython's `ob_exports`).
///
/// An export is counted by the [`ExportGuard`] that [`ExportCount::acquire`] returns; the
/// count drops only when that guard is dropped, so put the guard into the exported
/// descriptor ([`RawBuffer::hold`] or [`Export::hold`]) and the export ends exactly when
/// the consumer drops the descriptor.
///
/// ```
/// use pymemory_buffer::ExportCount;
/// let count = ExportCount::new();
/// let guard = count.acquire();
/// let err = count.check_resize("Existing exports of data: object cannot be re-sized").unwrap_err();
/// assert_eq!(err.to_string(), "BufferError: Existing exports of data: object cannot be re-sized");
/// drop(guard);
/// assert!(count.check_resize("unused").is_ok());
/// ```
#[derive(Debug, Default)]
pub struct ExportCount(Rc<Cell<usize>>);

impl ExportCount {
    /// No exports.
    #[must_use]
    pub fn new() -> ExportCount {
        ExportCount::default()
    }
    /// The number of live exports.
    #[must_use]
    pub fn get(&self) -> usize {
        self.0.get()
    }
    /// True if any export is live.
    #[must_use]
    pub fn is_exported(&self) -> bool {
        self.0.get() > 0
    }
    /// Records a new export (call from `get_buffer`); it lasts until the returned guard is
    /// dropped.
    #[must_use = "the export ends when the guard is dropped: store it in the descriptor"]
    pub fn acquire(&self) -> ExportGuard {
        self.0.set(self.0.get() + 1);
        ExportGuard(Rc::clone(&self.0))
    }
    /// `Err(BufferError: message)` while exports are live: call before any operation that
    /// may move or shrink the exported memory. In-place writes need no check.
    pub fn check_resize(&self, message: &str) -> Result<()> {
        if self.is_exported() {
            Err(buffer_error(message))
        } else {
            Ok(())
        }
    }
}

/// One live export counted by an [`ExportCount`]; dropping it ends the export.
#[derive(Debug)]
pub struct ExportGuard(Rc<Cell<usize>>);

impl Drop for ExportGuard {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

/// Primitive numbers that can be exported from Rust storage; the format is derived from
/// the type (`i32` is `"i"`, `f64` is `"d"`, `u8` is `"B"`).
///
/// Only types for which every bit pattern is valid are included, because a view may write
/// any bytes (`bool` and `char` are excluded for that reason).
pub trait Element: Copy + fmt::Debug + 'static + sealed::Sealed {
    /// The native struct format of the type.
    const FORMAT: &'static str;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! element {
    ($($t:ty => $f:literal),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const FORMAT: &'static str = $f;
        }
    )*};
}

element!(u8 => "B", i8 => "b", u16 => "H", i16 => "h", u32 => "I", i32 => "i",
         u64 => "Q", i64 => "q", usize => "N", isize => "n", f32 => "f", f64 => "d");

/// What a [`SafeExporter`] hands out: owned, stable storage plus a layout over it. The
/// layout is checked against the storage, so no `unsafe` is needed to build one.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use pymemory_buffer::{Export, MemoryView, SafeExporter, BufferFlags, Result};
///
/// #[derive(Clone)]
/// struct Pixels(Rc<[Cell<u16>]>);
///
/// impl SafeExporter for Pixels {
///     fn export(&self, _flags: BufferFlags) -> Result<Export> {
///         Export::cells(self.0.clone()).with_shape(vec![2, 3], None)
///     }
///     fn type_name(&self) -> &'static str { "Pixels" }
/// }
///
/// let px = Pixels((0..6u16).map(Cell::new).collect());
/// let m = MemoryView::new(&px).unwrap();
/// assert_eq!(m.shape().unwrap(), vec![2, 3]);
/// m.set([1, 2], &pymemory_buffer::Value::Int(50)).unwrap();      // m[1, 2] = 50
/// assert_eq!(px.0[5].get(), 50);
/// assert_eq!(m.tolist().unwrap().to_string(), "[[0, 1, 2], [3, 4, 50]]");
/// ```
#[derive(Clone)]
pub struct Export {
    storage: Rc<dyn Any>,
    base: *mut u8,
    storage_len: usize,
    writable_storage: bool,
    byte_offset: usize,
    itemsize: usize,
    format: String,
    shape: Vec<usize>,
    strides: Option<Vec<isize>>,
    readonly: bool,
}

impl fmt::Debug for Export {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Export")
            .field("storage_len", &self.storage_len)
            .field("byte_offset", &self.byte_offset)
            .field("format", &self.format)
            .field("shape", &self.shape)
            .field("strides", &self.strides)
            .field("readonly", &self.readonly)
            .finish_non_exhaustive()
    }
}

impl Export {
    /// Read-only bytes, 1-D format `"B"`.
    #[must_use]
    pub fn bytes(data: Rc<[u8]>) -> Export {
        let base = data.as_ptr().cast_mut();
        let n = data.len();
        Export {
            storage: Rc::new(data),
            base,
            storage_len: n,
            writable_storage: false,
            byte_offset: 0,
            itemsize: 1,
            format: "B".into(),
            shape: vec![n],
            strides: None,
            readonly: true,
        }
    }

    /// Writable typed storage, 1-D, format from `T`.
    #[must_use]
    pub fn cells<T: Element>(data: Rc<[Cell<T>]>) -> Export {
        let base = raw::cells_ptr(&data);
        let n = data.len();
        let size = std::mem::size_of::<T>();
        Export {
            storage: Rc::new(data),
            base,
            storage_len: n * size,
            writable_storage: true,
            byte_offset: 0,
            itemsize: size,
            format: T::FORMAT.into(),
            shape: vec![n],
            strides: None,
            readonly: false,
        }
    }

    /// Writable typed storage in a boxed slice behind an `Rc` (no copy from a `Vec`).
    #[must_use]
    pub fn boxed_cells<T: Element>(data: Rc<Box<[Cell<T>]>>) -> Export {
        let base = raw::cells_ptr(&data);
        let n = data.len();
        let size = std::mem::size_of::<T>();
        Export {
            storage: data,
            base,
            storage_len: n * size,
            writable_storage: true,
            byte_offset: 0,
            itemsize: size,
            format: T::FORMAT.into(),
            shape: vec![n],
            strides: None,
            readonly: false,
        }
    }

    /// Keeps `value` until the export ends (the last view of it is gone), then drops it:
    /// the place for an [`ExportGuard`] or any other end-of-export token.
    #[must_use]
    pub fn hold(mut self, value: impl Any) -> Export {
        self.storage = Rc::new((self.storage, value));
        self
    }

    /// Marks the export read-only.
    #[must_use]
    pub fn read_only(mut self) -> Export {
        self.readonly = true;
        self
    }

    /// Replaces the format and itemsize (e.g. `"<I"`, 4); the shape is recomputed as 1-D
    /// over the whole storage from the current offset.
    pub fn with_format(mut self, format: &str, itemsize: usize) -> Result<Export> {
        if itemsize == 0 {
            return Err(value_error("itemsize must not be zero"));
        }
        self.format = format.to_owned();
        self.itemsize = itemsize;
        self.shape = vec![(self.storage_len - self.byte_offset) / itemsize];
        self.strides = None;
        Ok(self)
    }

    /// Starts the data `byte_offset` bytes into the storage.
    pub fn with_offset(mut self, byte_offset: usize) -> Result<Export> {
        if byte_offset > self.storage_len {
            return Err(value_error("offset beyond the end of the storage"));
        }
        self.byte_offset = byte_offset;
        self.shape = vec![(self.storage_len - byte_offset) / self.itemsize];
        // The shape is 1-D again, so earlier N-D strides no longer describe it.
        self.strides = None;
        Ok(self)
    }

    /// Sets an N-D shape and optional strides (C-contiguous when `None`); checked against
    /// the storage when exported.
    pub fn with_shape(mut self, shape: Vec<usize>, strides: Option<Vec<isize>>) -> Result<Export> {
        if shape.len() > MAX_NDIM {
            return Err(value_error(
                "memoryview: number of dimensions must not exceed 64",
            ));
        }
        if strides.as_ref().is_some_and(|s| s.len() != shape.len()) {
            return Err(value_error("len(shape) != len(strides)"));
        }
        self.shape = shape;
        self.strides = strides;
        Ok(self)
    }

    fn into_raw(self, flags: BufferFlags) -> Result<RawBuffer> {
        let strides = match self.strides {
            Some(s) => s,
            None => layout::c_strides(&self.shape, self.itemsize)?,
        };
        if strides.len() != self.shape.len() {
            return Err(value_error("len(shape) != len(strides)"));
        }
        // `len` (product(shape) * itemsize) must fit, even when zero strides keep the
        // extent small.
        layout::nbytes(&self.shape, self.itemsize)?;
        let (lo, hi) = layout::extent(&self.shape, &strides, self.itemsize)?;
        let start =
            isize::try_from(self.byte_offset).map_err(|_| overflow_error("offset too large"))?;
        let fits = lo.checked_add(start).is_some_and(|l| l >= 0)
            && hi
                .checked_add(start)
                .is_some_and(|h| usize::try_from(h).is_ok_and(|h| h <= self.storage_len));
        if !fits {
            return Err(value_error(
                "invalid combination of buffer, shape and strides",
            ));
        }
        let buf = raw::offset(self.base, start);
        let full = RawBuffer::full(
            buf,
            self.itemsize,
            self.readonly || !self.writable_storage,
            self.format,
            self.shape,
            strides,
            None,
            Some(self.storage),
        );
        full.apply_request(flags, &RequestMessages::GENERIC)
    }
}

/// The safe way to export your own type: hand out owned, stable storage ([`Export`]) and a
/// layout; the crate checks the layout against the storage and keeps the storage alive
/// while any view holds the export. Every `SafeExporter` is a [`BufferExporter`].
pub trait SafeExporter: Clone + 'static {
    /// The storage and layout to export for `flags`. The export ends when the last view
    /// of it is gone; to act then, attach a token with [`Export::hold`].
    fn export(&self, flags: BufferFlags) -> Result<Export>;
    /// Python's type name, used in messages.
    fn type_name(&self) -> &'static str;
    /// See [`BufferExporter::hashable`].
    fn hashable(&self) -> bool {
        true
    }
}

// SAFETY: the descriptor is built by `Export::into_raw`, which (1) checks every addressed
// byte against the length of the storage, (2) stores an `Rc` of the storage in
// `keep_alive`, so the memory lives and stays put until the consumer drops the
// descriptor, (3) only allows writes for `Cell` storage, whose interior mutability permits
// writes through shared pointers, and read-only `Rc<[u8]>` storage is never written,
// (4)-(5) derives len, shape and strides itself: strides of exactly ndim entries,
// `product(shape) * itemsize` checked against `isize`, and a non-null base from a live
// allocation.
unsafe impl<T: SafeExporter> BufferExporter for T {
    fn get_buffer(&self, flags: BufferFlags) -> Result<RawBuffer> {
        // A refused layout drops the export (and its tokens) at once.
        self.export(flags)?.into_raw(flags)
    }
    fn type_name(&self) -> &'static str {
        SafeExporter::type_name(self)
    }
    fn hashable(&self) -> bool {
        SafeExporter::hashable(self)
    }
}

/// A type-erased exporter handle, what [`MemoryView::obj`](crate::MemoryView::obj)
/// returns; downcast it to get the exporter back.
pub struct Obj {
    any: Box<dyn Any>,
    type_name: &'static str,
}

impl Obj {
    /// The handle as `T`, if the exporter is a `T`.
    #[must_use]
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.any.downcast_ref()
    }
    /// True if the exporter is a `T`.
    #[must_use]
    pub fn is<T: 'static>(&self) -> bool {
        self.any.is::<T>()
    }
    /// Python's type name of the exporter.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Debug for Obj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} object>", self.type_name)
    }
}

trait ErasedExporter {
    fn obj(&self) -> Obj;
    fn type_name(&self) -> &'static str;
    fn check_hash(&self) -> Result<()>;
}

struct Holder<E>(E);

impl<E: BufferExporter + Clone> ErasedExporter for Holder<E> {
    fn obj(&self) -> Obj {
        Obj {
            any: Box::new(self.0.clone()),
            type_name: self.0.type_name(),
        }
    }
    fn type_name(&self) -> &'static str {
        self.0.type_name()
    }
    fn check_hash(&self) -> Result<()> {
        self.0.check_hash()
    }
}

/// CPython's managed buffer: one export of one exporter, shared (through `Rc`) by every
/// view derived from it. Dropping the last `Rc` drops `master` (and with it the export's
/// `keep_alive`), which ends the export; `exporter` is the handle clone the contract asks
/// consumers to hold.
pub(crate) struct ManagedBuffer {
    pub(crate) master: RawBuffer,
    exporter: Box<dyn ErasedExporter>,
}

impl ManagedBuffer {
    /// Takes one export of `exporter` with `flags`, checking the descriptor's arithmetic.
    pub(crate) fn new<E: BufferExporter + Clone>(
        exporter: &E,
        flags: BufferFlags,
    ) -> Result<Rc<ManagedBuffer>> {
        let master = exporter.get_buffer(flags)?;
        let mbuf = Rc::new(ManagedBuffer {
            master,
            exporter: Box::new(Holder(exporter.clone())),
        });
        // A rejected descriptor is dropped with `mbuf`, which ends the export.
        layout::validate(&mbuf.master)?;
        Ok(mbuf)
    }

    pub(crate) fn obj(&self) -> Obj {
        self.exporter.obj()
    }

    pub(crate) fn check_hash(&self) -> Result<()> {
        self.exporter.check_hash()
    }
}

impl fmt::Debug for ManagedBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedBuffer")
            .field("obj", &self.exporter.type_name())
            .field("master", &self.master)
            .finish()
    }
}

/// Shape and stride arithmetic, all overflow-checked.
pub(crate) mod layout {
    use super::{MAX_NDIM, RawBuffer};
    use crate::error::Result;
    use crate::errs::{overflow_error, value_error};

    pub(crate) fn overflow() -> crate::error::Error {
        overflow_error("memoryview: shape and strides overflow the address space")
    }

    /// C-contiguous strides for `shape` (`init_strides_from_shape`: a zero in the shape
    /// zeroes the strides before it, as in CPython).
    pub(crate) fn c_strides(shape: &[usize], itemsize: usize) -> Result<Vec<isize>> {
        let mut strides = vec![0isize; shape.len()];
        let mut sd = isize::try_from(itemsize).map_err(|_| overflow())?;
        for i in (0..shape.len()).rev() {
            strides[i] = sd;
            let d = isize::try_from(shape[i]).map_err(|_| overflow())?;
            sd = sd.checked_mul(d).ok_or_else(overflow)?;
        }
        Ok(strides)
    }

    /// Fortran-contiguous strides for `shape`.
    pub(crate) fn f_strides(shape: &[usize], itemsize: usize) -> Result<Vec<isize>> {
        let mut strides = vec![0isize; shape.len()];
        let mut sd = isize::try_from(itemsize).map_err(|_| overflow())?;
        for i in 0..shape.len() {
            strides[i] = sd;
            let d = isize::try_from(shape[i]).map_err(|_| overflow())?;
            sd = sd.checked_mul(d).ok_or_else(overflow)?;
        }
        Ok(strides)
    }

    /// The byte range `[lo, hi)` relative to `buf` that a strided layout touches
    /// (`(0, 0)` when empty).
    pub(crate) fn extent(
        shape: &[usize],
        strides: &[isize],
        itemsize: usize,
    ) -> Result<(isize, isize)> {
        if shape.contains(&0) {
            return Ok((0, 0));
        }
        let mut lo = 0isize;
        let mut hi = isize::try_from(itemsize).map_err(|_| overflow())?;
        for (&d, &s) in shape.iter().zip(strides) {
            let d = isize::try_from(d - 1).map_err(|_| overflow())?;
            let span = s.checked_mul(d).ok_or_else(overflow)?;
            if span < 0 {
                lo = lo.checked_add(span).ok_or_else(overflow)?;
            } else {
                hi = hi.checked_add(span).ok_or_else(overflow)?;
            }
        }
        hi.checked_sub(lo).ok_or_else(overflow)?;
        Ok((lo, hi))
    }

    /// `product(shape) * itemsize`, checked.
    pub(crate) fn nbytes(shape: &[usize], itemsize: usize) -> Result<usize> {
        let mut n = itemsize;
        for &d in shape {
            n = n.checked_mul(d).ok_or_else(overflow)?;
        }
        if n > isize::MAX as usize {
            return Err(overflow());
        }
        Ok(n)
    }

    pub(crate) fn is_c_contiguous(shape: &[usize], strides: &[isize], itemsize: usize) -> bool {
        if strides.len() != shape.len() {
            return false;
        }
        if shape.contains(&0) {
            return true;
        }
        let mut sd = itemsize as isize;
        for i in (0..shape.len()).rev() {
            if shape[i] > 1 && strides[i] != sd {
                return false;
            }
            sd = sd.wrapping_mul(shape[i] as isize);
        }
        true
    }

    pub(crate) fn is_f_contiguous(shape: &[usize], strides: &[isize], itemsize: usize) -> bool {
        if strides.len() != shape.len() {
            return false;
        }
        if shape.contains(&0) {
            return true;
        }
        let mut sd = itemsize as isize;
        for i in 0..shape.len() {
            if shape[i] > 1 && strides[i] != sd {
                return false;
            }
            sd = sd.wrapping_mul(shape[i] as isize);
        }
        true
    }

    /// Checks an exporter's descriptor before any view uses it.
    pub(crate) fn validate(raw: &RawBuffer) -> Result<()> {
        if raw.ndim > MAX_NDIM {
            return Err(value_error(
                "memoryview: number of dimensions must not exceed 64",
            ));
        }
        if raw.buf.is_null() {
            return Err(value_error(
                "PyMemoryView_FromBuffer(): info->buf must not be NULL",
            ));
        }
        let bad = |v: &Option<Vec<isize>>| v.as_ref().is_some_and(|v| v.len() != raw.ndim);
        if raw.shape.as_ref().is_some_and(|s| s.len() != raw.ndim)
            || bad(&raw.strides)
            || bad(&raw.suboffsets)
        {
            return Err(value_error(
                "memoryview: exporter returned inconsistent ndim",
            ));
        }
        if let (Some(shape), Some(strides)) = (&raw.shape, &raw.strides) {
            extent(shape, strides, raw.itemsize)?;
            nbytes(shape, raw.itemsize)?;
        }
        Ok(())
    }
}
