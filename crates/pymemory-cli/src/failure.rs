//! The one error type of the command line: a Python exception name and its message.
//!
//! Every failure the CLI reports is printed as `<Exception>: <message>`, the way CPython's
//! traceback ends, so scripts can compare it with what Python would have raised.

use std::fmt;

/// A Python-style exception: the class name CPython would raise and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    exception: String,
    message: String,
}

impl Failure {
    /// The Python exception class, e.g. `"ValueError"` or `"struct.error"`.
    pub fn exception(&self) -> &str {
        &self.exception
    }

    /// An exception of class `exception` (e.g. `"ValueError"`) with `message`.
    pub(crate) fn new(exception: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            exception: exception.into(),
            message: message.into(),
        }
    }

    /// `ValueError: message`.
    pub(crate) fn value_error(message: impl Into<String>) -> Self {
        Failure::new("ValueError", message)
    }

    /// The error Python's `open()` raises for `path`, from the OS error.
    pub(crate) fn from_io(err: &std::io::Error, path: &str) -> Self {
        use std::io::ErrorKind;
        let exception = match err.kind() {
            ErrorKind::NotFound => "FileNotFoundError",
            ErrorKind::PermissionDenied => "PermissionError",
            ErrorKind::IsADirectory => "IsADirectoryError",
            ErrorKind::NotADirectory => "NotADirectoryError",
            _ => "OSError",
        };
        let message = match err.raw_os_error() {
            Some(code) => format!("[Errno {code}] {}: {}", strerror(err), py_str_repr(path)),
            None => format!("{err}: {}", py_str_repr(path)),
        };
        Failure::new(exception, message)
    }
}

impl Failure {
    /// The error Python reports when writing its output fails (e.g. a full disk).
    pub fn from_io_write(err: &std::io::Error) -> Self {
        match err.raw_os_error() {
            Some(code) => Failure::new("OSError", format!("[Errno {code}] {}", strerror(err))),
            None => Failure::new("OSError", err.to_string()),
        }
    }
}

/// The OS message without Rust's " (os error N)" suffix, as Python shows it.
fn strerror(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// `repr()` of a Python str, enough for file names in messages.
fn py_str_repr(s: &str) -> String {
    pymemory::structs::Value::Str(s.to_string()).to_string()
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception, self.message)
    }
}

impl std::error::Error for Failure {}

impl From<pymemory::structs::Error> for Failure {
    fn from(err: pymemory::structs::Error) -> Self {
        Failure::new(err.python_name(), err.message())
    }
}
