//! The one error type of the command line: a Python exception name and its message.
//!
//! Every failure the CLI reports is printed as `<Exception>: <message>`, the way CPython's
//! traceback ends, so scripts can compare it with what Python would have raised.

use std::fmt;
use std::path::Path;

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
    pub(crate) fn from_io(err: &std::io::Error, path: &Path) -> Self {
        use std::io::ErrorKind;
        let exception = match err.kind() {
            ErrorKind::NotFound => "FileNotFoundError",
            ErrorKind::PermissionDenied => "PermissionError",
            ErrorKind::IsADirectory => "IsADirectoryError",
            ErrorKind::NotADirectory => "NotADirectoryError",
            _ => "OSError",
        };
        let message = match err.raw_os_error() {
            Some(code) => format!("[Errno {code}] {}: {}", strerror(err), path_repr(path)),
            None => format!("{err}: {}", path_repr(path)),
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

/// `repr(os.fsdecode(path))`, as Python's messages show a file name: bytes that are not
/// UTF-8 become lone surrogates (`surrogateescape`), which `repr` shows as `\udcXX`.
pub(crate) fn path_repr(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str());
    #[cfg(not(unix))]
    let lossy = path.to_string_lossy();
    #[cfg(not(unix))]
    let bytes = lossy.as_bytes();
    let chunks = || bytes.utf8_chunks();
    let has = |q: char| chunks().any(|c| c.valid().contains(q));
    let quote = if has('\'') && !has('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for chunk in chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\'' | '"' if c == quote => {
                    out.push('\\');
                    out.push(c);
                }
                '\'' | '"' => out.push(c),
                _ => {
                    // The repr of a one-character str other than a quote, without quotes.
                    let one = pymemory::structs::Value::Str(c.to_string()).to_string();
                    out.push_str(&one[1..one.len() - 1]);
                }
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\udc{b:02x}"));
        }
    }
    out.push(quote);
    out
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
