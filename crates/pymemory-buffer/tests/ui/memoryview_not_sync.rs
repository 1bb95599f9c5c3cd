// Nor can two threads share one view.
use pymemory_buffer::{MemoryView, VecBuffer};

fn assert_sync<T: Sync>(_: &T) {}

fn main() {
    let data = VecBuffer::new(vec![1u8, 2, 3]);
    let m = MemoryView::new(&data).unwrap();
    assert_sync(&m);
}
