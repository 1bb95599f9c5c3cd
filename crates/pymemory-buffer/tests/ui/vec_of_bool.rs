// Only types for which every bit pattern is valid can be exported writable: a view may
// write any byte, which would make an invalid `bool`.
use pymemory_buffer::VecBuffer;

fn main() {
    let _ = VecBuffer::new(vec![true, false]);
}
