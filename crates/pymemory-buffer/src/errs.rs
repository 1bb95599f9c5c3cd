//! Short constructors for the errors this crate raises.

use crate::error::{Error, ExceptionKind};

pub(crate) fn value_error(msg: impl Into<String>) -> Error {
    Error::new(ExceptionKind::ValueError, msg)
}
pub(crate) fn type_error(msg: impl Into<String>) -> Error {
    Error::new(ExceptionKind::TypeError, msg)
}
pub(crate) fn index_error(msg: impl Into<String>) -> Error {
    Error::new(ExceptionKind::IndexError, msg)
}
pub(crate) fn buffer_error(msg: impl Into<String>) -> Error {
    Error::new(ExceptionKind::BufferError, msg)
}
pub(crate) fn not_implemented(msg: impl Into<String>) -> Error {
    Error::new(ExceptionKind::NotImplementedError, msg)
}
pub(crate) fn overflow_error(msg: impl Into<String>) -> Error {
    Error::new(ExceptionKind::OverflowError, msg)
}
pub(crate) fn released() -> Error {
    value_error("operation forbidden on released memoryview object")
}

/// Checks that `count` items of `size` bytes can be allocated, so huge views (a zero-stride
/// view can claim 2^62 bytes) give an error instead of aborting: `MemoryError` with an
/// empty message, as CPython raises. Small requests skip the probe (an ordinary
/// allocation failure aborts, as in all Rust).
pub(crate) fn check_alloc(count: usize, size: usize) -> crate::error::Result<()> {
    let fail = || Error::new(ExceptionKind::MemoryError, "");
    let bytes = count
        .checked_mul(size)
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(fail)?;
    if bytes >= 1 << 30 {
        let mut probe: Vec<u8> = Vec::new();
        probe.try_reserve_exact(bytes).map_err(|_| fail())?;
    }
    Ok(())
}
