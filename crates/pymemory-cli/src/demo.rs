//! `pymemory demo`: the seed program (../shared/seed/seed_program.py) run through the
//! library, then a reference cycle freed by the collector.
//!
//! The first part prints exactly what CPython prints for the seed program:
//!
//! ```python
//! arr = array.array('i', [1, 2, 3, 4, 5])
//! mem_view = memoryview(arr)
//! print('Original array: ', arr)
//! print('Value at second index of memoryview: ', mem_view[1])
//! slice_of_arr = mem_view[1:4]
//! print('Slice of array taken from memoryview: ', slice_of_arr.tolist())
//! mem_view[1] = 6
//! print('Modified original array by memoryview: ', arr)
//! ```

use std::fmt::Write;

use pymemory::buffer::array::Array;
use pymemory::buffer::{MemoryView, Slice};
use pymemory::structs::Value;

use crate::demo_gc;
use crate::failure::Failure;

/// Runs both parts of the demo and returns what they print (without the final newline,
/// which `main` adds to every command's output).
pub(crate) fn run() -> Result<String, Failure> {
    let mut out = seed_program()?;
    out.push('\n');
    out.push_str("Reference cycles (pymemory::gc):\n");
    out.push_str(&demo_gc::run());
    out.truncate(out.trim_end_matches('\n').len());
    Ok(out)
}

/// The seed program, statement for statement. `print(a, b)` joins with one space, and the
/// seed's strings end in a space of their own, hence the two spaces.
fn seed_program() -> Result<String, Failure> {
    let mut out = String::new();
    let ints: Vec<Value> = (1..=5).map(Value::Int).collect();
    let arr = Array::from_list('i', &ints)?;
    let mem_view = MemoryView::new(&arr)?;
    let _ = writeln!(out, "Original array:  {arr}");
    let _ = writeln!(
        out,
        "Value at second index of memoryview:  {}",
        mem_view.get(1)?
    );
    let slice_of_arr = mem_view.get(Slice::new(Some(1), Some(4), None))?;
    let _ = writeln!(
        out,
        "Slice of array taken from memoryview:  {}",
        slice_of_arr.tolist()?
    );
    mem_view.set(1, &Value::Int(6))?;
    let _ = writeln!(out, "Modified original array by memoryview:  {arr}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// The seed's exact output, as CPython printed it (shared/seed/seed_output.txt).
    const SEED_OUTPUT: &str = "Original array:  array('i', [1, 2, 3, 4, 5])\n\
        Value at second index of memoryview:  2\n\
        Slice of array taken from memoryview:  [2, 3, 4]\n\
        Modified original array by memoryview:  array('i', [1, 6, 3, 4, 5])\n";

    #[test]
    fn seed_part_matches_cpython_byte_for_byte() {
        assert_eq!(super::seed_program().unwrap(), SEED_OUTPUT);
    }
}
