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
//! unpack and item access share. Layouts made only of plain numbers also get a
//! per-element decoding plan, so decoding a record is one allocation and one tight loop
//! (the crate's only `unsafe` code, in its `fast` module, checked under Miri).
//!
//! Ints are exact at any size, as in Python: `Value::Int(i128)` holds every int a format
//! can store, and [`Value::BigInt`] the rest (`2**200`, `-(10**400)`), never clamped or
//! wrapped. Integer codes refuse such values with their range error; float codes pack
//! the correctly rounded float or raise as CPython does.
//!
//! Compatibility target: CPython 3.14's `struct` (including the `F`/`D` complex codes
//! and the 3.12+ range-error wording); the PEP 3118 dialect reads formats as numpy does,
//! except that a count stays a repeat count and the top level is not padded, as in
//! `struct`.

#![doc(test(attr(deny(warnings))))]

mod bigint;
mod codec;
mod error;
mod fast;
mod format;
mod module;
mod native;
mod printable;
mod repr;
mod value;

pub use bigint::BigInt;
pub use error::{Error, ExceptionKind, Result};
pub use format::{ByteOrder, Dialect, Format, LayoutItem, encode_ascii};
pub use module::{IterUnpack, Struct, calcsize, iter_unpack, pack, pack_into, unpack, unpack_from};
pub use repr::float_repr;
pub use value::Value;
