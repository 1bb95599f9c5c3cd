//! Python's memory model in Rust.
//!
//! pymemory gives Rust what CPython gives Python:
//!
//! - [`structs`]: the `struct` format language (Python's `struct` module; the name `struct`
//!   is a Rust keyword), in CPython's strict dialect and in the PEP 3118 superset that
//!   buffer formats use, with [`Value`], whose `Display` is Python's `repr`;
//! - [`buffer`]: the buffer protocol, [`MemoryView`], [`Array`] (`array.array`) and
//!   [`ByteArray`], with export counts that stop an exporter from resizing under its views;
//! - [`gc`]: reference counting with CPython's generational cycle collector, weak
//!   references, PEP 442 finalizers, and the `gc` module's functions.
//!
//! ```
//! use pymemory::structs::{self, Value};
//!
//! // struct.pack('<hd', -1, 1.5).hex() == 'ffff000000000000f83f'
//! let bytes = structs::pack("<hd", &[Value::Int(-1), Value::Float(1.5)])?;
//! assert_eq!(bytes, [0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
//! // repr(struct.unpack('<hd', bytes)) == '(-1, 1.5)'
//! assert_eq!(Value::Tuple(structs::unpack("<hd", &bytes)?).to_string(), "(-1, 1.5)");
//! # Ok::<(), pymemory::structs::Error>(())
//! ```

pub use pymemory_buffer as buffer;
pub use pymemory_gc as gc;
pub use pymemory_struct as structs;

pub use pymemory_struct::{Format, Value};

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
