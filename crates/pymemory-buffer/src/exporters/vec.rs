//! Rust vectors and boxed slices of primitive numbers as exporters.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use crate::error::Result;
use crate::exporter::{Element, Export, ExportCount, SafeExporter};
use crate::flags::BufferFlags;
use crate::raw;

/// A fixed-size buffer of primitive numbers taken from a `Vec<T>` or `Box<[T]>` without
/// copying; the format comes from `T` (`i32` → `"i"`). A cheap handle: clones share it.
///
/// ```
/// use pymemory_buffer::{MemoryView, VecBuffer, Value};
/// let v = VecBuffer::new(vec![1i32, 2, 3]);
/// let m = MemoryView::new(&v).unwrap();
/// assert_eq!(m.format().unwrap(), "i");
/// m.set(1, &Value::Int(20)).unwrap();
/// assert_eq!(v.to_vec(), vec![1, 20, 3]);
/// ```
#[derive(Clone)]
pub struct VecBuffer<T: Element> {
    data: Rc<Box<[Cell<T>]>>,
    readonly: bool,
    exports: Rc<ExportCount>,
}

impl<T: Element> VecBuffer<T> {
    /// A writable buffer owning `data`.
    #[must_use]
    pub fn new(data: Vec<T>) -> VecBuffer<T> {
        Self::from_boxed(data.into_boxed_slice())
    }
    /// A writable buffer owning `data`.
    #[must_use]
    pub fn from_boxed(data: Box<[T]>) -> VecBuffer<T> {
        VecBuffer {
            data: Rc::new(raw::into_cells(data)),
            readonly: false,
            exports: Rc::default(),
        }
    }
    /// A read-only buffer owning `data`.
    #[must_use]
    pub fn read_only(data: Vec<T>) -> VecBuffer<T> {
        VecBuffer {
            readonly: true,
            ..Self::new(data)
        }
    }
    /// Number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// True if empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// The item at `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<T> {
        self.data.get(i).map(Cell::get)
    }
    /// Writes the item at `i`; returns false if out of range. Allowed while exported: it
    /// writes in place.
    pub fn set(&self, i: usize, value: T) -> bool {
        self.data.get(i).map(|c| c.set(value)).is_some()
    }
    /// A copy of the items.
    #[must_use]
    pub fn to_vec(&self) -> Vec<T> {
        self.data.iter().map(Cell::get).collect()
    }
    /// Live exports (views holding this buffer).
    #[must_use]
    pub fn exports(&self) -> usize {
        self.exports.get()
    }
}

impl<T: Element> fmt::Debug for VecBuffer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VecBuffer")
            .field("format", &T::FORMAT)
            .field("len", &self.len())
            .field("readonly", &self.readonly)
            .field("exports", &self.exports())
            .finish()
    }
}

impl<T: Element> SafeExporter for VecBuffer<T> {
    fn export(&self, _flags: BufferFlags) -> Result<Export> {
        let export = Export::boxed_cells(self.data.clone()).hold(self.exports.acquire());
        Ok(if self.readonly {
            export.read_only()
        } else {
            export
        })
    }
    fn type_name(&self) -> &'static str {
        "VecBuffer"
    }
}
