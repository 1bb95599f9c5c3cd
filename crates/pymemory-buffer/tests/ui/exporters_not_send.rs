// Resizable and writable exporters are single-threaded handles too, and so is a raw
// descriptor (it carries a raw pointer and the export's token).
use pymemory_buffer::{Array, ByteArray, Bytes, RawBuffer, VecBuffer};

fn assert_send<T: Send>() {}

fn main() {
    assert_send::<ByteArray>();
    assert_send::<Array>();
    assert_send::<VecBuffer<f64>>();
    assert_send::<Bytes>();
    assert_send::<RawBuffer>();
}
