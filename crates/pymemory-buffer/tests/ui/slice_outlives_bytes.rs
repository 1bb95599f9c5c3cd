// A slice borrowed from an exporter cannot outlive the exporter handle.
use pymemory_buffer::Bytes;

fn main() {
    let slice: &[u8];
    {
        let b = Bytes::from(vec![1u8, 2, 3]);
        slice = b.as_slice();
    }
    println!("{slice:?}");
}
