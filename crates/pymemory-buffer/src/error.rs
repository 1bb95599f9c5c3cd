//! Errors: the struct crate's type, so every layer raises the same `Error` whose kind
//! names the Python exception and whose message is CPython's.

pub use pymemory_struct::{Error, ExceptionKind, Result};
