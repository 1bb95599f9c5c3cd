//! The buffer protocol and `memoryview`, faithful to CPython 3.14, with `array.array` and
//! `bytearray`.
//!
//! ```
//! use pymemory_buffer::{MemoryView, Slice, Subscript, Value, VecBuffer};
//!
//! let data = VecBuffer::new((0u8..12).collect::<Vec<_>>());
//! let m = MemoryView::new(&data)?;                      // m = memoryview(data)
//! let grid = m.cast("B", Some(&[3, 4]))?;               // m.cast('B', [3, 4])
//! let corner = grid.get(Subscript::parse("1:, ::2")?)?; // zero-copy, extension
//! assert_eq!(corner.tolist()?.to_string(), "[[4, 6], [8, 10]]");
//! m.set(Slice::new(Some(0), Some(2), None), &Value::Bytes(vec![9, 9]))?; // m[0:2] = b'\x09\x09'
//! assert_eq!(data.get(1), Some(9));                      // writes reach the exporter
//! assert_eq!(m.hex_sep(Some(&Value::Str(":".into())), 4)?, "09090203:04050607:08090a0b");
//! # Ok::<(), pymemory_buffer::Error>(())
//! ```
//!
//! Layers:
//! - [`flags`], [`exporter`]: the protocol — request flags ([`BufferFlags`]), the raw
//!   descriptor ([`RawBuffer`]), the `unsafe` [`BufferExporter`] trait and the safe
//!   [`SafeExporter`], export counting ([`ExportCount`]) and CPython's managed buffer (all
//!   views derived from one export share one counted hold). An export ends when its
//!   descriptor is dropped; there is no release call.
//! - [`exporters`]: [`Bytes`], [`VecBuffer`], [`MmapBuffer`], [`SharedMemory`] and the test
//!   exporter [`NdArray`] (`_testbuffer.ndarray`); `array` and `bytearray` below.
//! - [`memoryview`]: [`MemoryView`] with CPython 3.14's full surface, and the extensions
//!   listed in its docs; [`index`]: subscripts as Rust values and from Python syntax.
//!
//! All raw pointer work lives in one private module (`raw`), plus the x86_64 `hex` kernel
//! in `simd`; views never form `&[u8]` over memory another view may write.

mod codec;
mod errs;
mod hex;
mod raw;
mod simd;

pub mod error;
pub mod exporter;
pub mod exporters;
pub mod flags;
pub mod index;
pub mod memoryview;

pub mod array;
pub mod bytearray;

pub use array::Array;
pub use bytearray::ByteArray;
pub use error::{Error, ExceptionKind, Result};
pub use exporter::{
    BufferExporter, Element, Export, ExportCount, ExportGuard, MAX_NDIM, Obj, RawBuffer,
    RequestMessages, SafeExporter,
};
pub use exporters::bytes::Bytes;
pub use exporters::mmap::{MmapBuffer, SharedMemory};
pub use exporters::ndarray::{NdArray, NdFlags};
pub use exporters::vec::VecBuffer;
pub use flags::BufferFlags;
pub use index::{Index, Slice, Subscript};
pub use memoryview::{HASH_KEY, Item, MemoryView, ViewGuard, ViewIter, ViewLayout};
pub use pymemory_struct::{Dialect, Format, Value};
