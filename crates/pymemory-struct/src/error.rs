//! The error type: a Python exception kind plus CPython's message.

use std::fmt;

/// The Python exception class an [`Error`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExceptionKind {
    /// `struct.error`, raised for bad formats and values that do not fit.
    StructError,
    /// `ValueError` (and its subclasses such as `UnicodeEncodeError`).
    ValueError,
    /// `TypeError`.
    TypeError,
    /// `IndexError`.
    IndexError,
    /// `OverflowError`, e.g. a float too large for the `e` or `f` formats.
    OverflowError,
    /// `BufferError`.
    BufferError,
    /// `NotImplementedError`, e.g. item access for the PEP 3118 codes `O` and `&`.
    NotImplementedError,
    /// `MemoryError`: CPython raises it when a valid but huge format (such as
    /// `struct.pack("1152921504606846976x")`) cannot be allocated.
    MemoryError,
}

impl ExceptionKind {
    /// The name Python prints for this exception class, such as `"struct.error"`.
    #[must_use]
    pub fn python_name(self) -> &'static str {
        match self {
            ExceptionKind::StructError => "struct.error",
            ExceptionKind::ValueError => "ValueError",
            ExceptionKind::TypeError => "TypeError",
            ExceptionKind::IndexError => "IndexError",
            ExceptionKind::OverflowError => "OverflowError",
            ExceptionKind::BufferError => "BufferError",
            ExceptionKind::NotImplementedError => "NotImplementedError",
            ExceptionKind::MemoryError => "MemoryError",
        }
    }
}

impl fmt::Display for ExceptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.python_name())
    }
}

/// An error as Python would raise it: an exception kind and CPython's message.
///
/// `Display` gives `"<python_name>: <message>"`, the first line of a Python traceback's
/// last line, e.g. `struct.error: bad char in struct format`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Boxed so that `Result<T, Error>` is no bigger than `T` for the hot
    /// `Result<Vec<Value>>`: errors are rare, successful returns are not.
    inner: Box<ErrorInner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ErrorInner {
    kind: ExceptionKind,
    /// The Python subclass of `kind` actually raised (`UnicodeEncodeError` for a
    /// `ValueError`), when CPython raises a narrower class than the kinds distinguish.
    subclass: Option<&'static str>,
    message: String,
}

impl Error {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ExceptionKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(ErrorInner {
                kind,
                subclass: None,
                message: message.into(),
            }),
        }
    }

    /// Python's `UnicodeEncodeError` (a `ValueError`) for `text.encode('ascii')`, whose
    /// first non-ASCII run starts at character `start` and ends before `end`.
    pub(crate) fn unicode_encode(text: &str, start: usize, end: usize) -> Error {
        let what = if end - start == 1 {
            let code = text.chars().nth(start).map_or(0, u32::from);
            let shown = if code <= 0xff {
                format!("\\x{code:02x}")
            } else if code <= 0xffff {
                format!("\\u{code:04x}")
            } else {
                format!("\\U{code:08x}")
            };
            format!("character '{shown}' in position {start}")
        } else {
            format!("characters in position {start}-{}", end - 1)
        };
        let mut e = Error::new(
            ExceptionKind::ValueError,
            format!("'ascii' codec can't encode {what}: ordinal not in range(128)"),
        );
        e.inner.subclass = Some("UnicodeEncodeError");
        e
    }

    /// A `struct.error` with `message`.
    pub(crate) fn structure(message: impl Into<String>) -> Error {
        Error::new(ExceptionKind::StructError, message)
    }

    /// The exception kind.
    #[must_use]
    pub fn kind(&self) -> ExceptionKind {
        self.inner.kind
    }

    /// The name of the class Python raises: the kind's name, or the narrower subclass
    /// where CPython raises one (`"UnicodeEncodeError"`, whose kind is `ValueError`).
    ///
    /// ```
    /// use pymemory_struct::{ExceptionKind, calcsize};
    /// let e = calcsize("i\u{e9}").unwrap_err();
    /// assert_eq!(e.kind(), ExceptionKind::ValueError);
    /// assert_eq!(e.python_name(), "UnicodeEncodeError");
    /// ```
    #[must_use]
    pub fn python_name(&self) -> &'static str {
        self.inner
            .subclass
            .unwrap_or_else(|| self.inner.kind.python_name())
    }

    /// The message, without the exception name.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.inner.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.python_name(), self.inner.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
