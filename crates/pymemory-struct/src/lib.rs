//! Python's `struct` format language: CPython's `struct` module exactly, the PEP 3118
//! buffer-format superset, and `Value`, the Python value model whose `Display` is
//! Python's `repr`.
//!
//! ```
//! use pymemory_struct::{calcsize, pack, unpack, Value};
//!
//! assert_eq!(calcsize("@ci")?, 8); // native alignment, as on the host C ABI
//! let bytes = pack("<hd", &[Value::Int(-2), Value::Float(1e16)])?;
//! assert_eq!(bytes.len(), 10);
//! let values = unpack("<hd", &bytes)?;
//! assert_eq!(Value::Tuple(values).to_string(), "(-2, 1e+16)");
//!
//! let err = pack("B", &[Value::Int(256)]).unwrap_err();
//! assert_eq!(err.to_string(), "struct.error: 'B' format requires 0 <= number <= 255");
//! # Ok::<(), pymemory_struct::Error>(())
//! ```
//!
//! One parser serves both dialects ([`Dialect::Struct`] and [`Dialect::Buffer`]); a
//! parsed [`Format`] is compiled once into a flat list of [`LayoutItem`]s that pack,
//! unpack and item access share.

#![doc(test(attr(deny(warnings))))]

mod codec;
mod error;
mod fast;
mod format;
mod module;
mod native;
mod printable;
mod repr;
mod value;

pub use error::{Error, ExceptionKind, Result};
pub use format::{ByteOrder, Dialect, Format, LayoutItem};
pub use module::{IterUnpack, Struct, calcsize, iter_unpack, pack, pack_into, unpack, unpack_from};
pub use repr::float_repr;
pub use value::Value;
