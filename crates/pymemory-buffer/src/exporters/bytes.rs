//! Immutable bytes, Python's `bytes` as an exporter.

use std::rc::Rc;

use crate::error::Result;
use crate::exporter::{Export, SafeExporter};
use crate::flags::BufferFlags;

/// Immutable bytes (Python's `bytes`): a cheap handle over shared, never-written storage.
///
/// ```
/// use pymemory_buffer::{Bytes, MemoryView};
/// let b = Bytes::from(&b"abc"[..]);
/// let m = MemoryView::new(&b).unwrap();
/// assert!(m.readonly().unwrap());
/// assert_eq!(m.tobytes().unwrap(), b"abc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Bytes(Rc<[u8]>);

impl Bytes {
    /// The bytes. Safe to borrow: nobody can ever write them.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
    /// Number of bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True if empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Bytes {
        Bytes(v.into())
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Bytes {
        Bytes(v.into())
    }
}

impl SafeExporter for Bytes {
    fn export(&self, _flags: BufferFlags) -> Result<Export> {
        Ok(Export::bytes(self.0.clone()))
    }
    fn type_name(&self) -> &'static str {
        "bytes"
    }
}
