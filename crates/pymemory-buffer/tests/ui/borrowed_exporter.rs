// Exporters own (or share) their storage: a type that only borrows memory cannot be an
// exporter, so no view can outlive the memory it reads.
use std::cell::Cell;

use pymemory_buffer::{BufferFlags, Export, Result, SafeExporter};

#[derive(Clone)]
struct Borrowed<'a>(&'a [Cell<u8>]);

impl<'a> SafeExporter for Borrowed<'a> {
    fn export(&self, _flags: BufferFlags) -> Result<Export> {
        unimplemented!()
    }
    fn type_name(&self) -> &'static str {
        "Borrowed"
    }
}

fn main() {}
