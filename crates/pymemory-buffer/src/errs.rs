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
