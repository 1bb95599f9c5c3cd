// A view is a handle on a single-threaded export (`Rc` inside): it cannot move to
// another thread.
use pymemory_buffer::{MemoryView, VecBuffer};

fn main() {
    let data = VecBuffer::new(vec![1u8, 2, 3]);
    let m = MemoryView::new(&data).unwrap();
    std::thread::spawn(move || {
        let _ = m.tobytes();
    });
}
