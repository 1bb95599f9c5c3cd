// `MemoryView::layout` borrows the view: the borrowed layout (format, shape, strides)
// cannot outlive it.
use pymemory_buffer::{MemoryView, VecBuffer};

fn main() {
    let data = VecBuffer::new(vec![1i32, 2, 3]);
    let shape;
    {
        let m = MemoryView::new(&data).unwrap();
        shape = m.layout().unwrap().shape;
    }
    println!("{shape:?}");
}
