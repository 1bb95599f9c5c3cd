//! `memoryview` over `Array` and `ByteArray`: views see the exporter's writes and the
//! exporter sees the views' writes; resizing is refused while any view (or a view derived
//! from it) holds the export, and allowed again once the last one is released.

use pymemory_buffer::array::Array;
use pymemory_buffer::bytearray::ByteArray;
use pymemory_buffer::{MemoryView, Slice};
use pymemory_struct::Value;

fn err<T: std::fmt::Debug>(r: pymemory_struct::Result<T>) -> String {
    r.unwrap_err().to_string()
}

/// The seed program: `arr = array('i', [1, 2, 3, 4, 5]); m = memoryview(arr); m[1];
/// m[1:4].tolist(); m[1] = 6; arr`.
#[test]
fn seed_program_through_the_library() {
    let arr = Array::from_list('i', &[1, 2, 3, 4, 5].map(Value::Int)).unwrap();
    let m = MemoryView::new(&arr).unwrap();
    assert_eq!(arr.to_string(), "array('i', [1, 2, 3, 4, 5])");
    assert_eq!(m.get(1).unwrap().to_string(), "2");
    let s = m.get(Slice::new(Some(1), Some(4), None)).unwrap();
    assert_eq!(s.tolist().unwrap().to_string(), "[2, 3, 4]");
    m.set(1, &Value::Int(6)).unwrap();
    assert_eq!(arr.to_string(), "array('i', [1, 6, 3, 4, 5])");
}

#[test]
fn array_views_share_memory_and_lock_resizes() {
    // a = array('d', [1.0, 2.0]); m = memoryview(a)
    let a = Array::from_slice(&[1.0f64, 2.0]);
    let m = MemoryView::new(&a).unwrap();
    assert_eq!(m.format().unwrap(), "d");
    assert_eq!(m.shape().unwrap(), vec![2]);
    assert!(!m.readonly().unwrap());
    a.set(0, &Value::Float(0.5)).unwrap(); // a[0] = 0.5
    assert_eq!(m.tolist().unwrap().to_string(), "[0.5, 2.0]");
    m.set(1, &Value::Float(-3.0)).unwrap(); // m[1] = -3.0
    assert_eq!(a.to_string(), "array('d', [0.5, -3.0])");
    // a.append(1.0) while exported
    let refused = "BufferError: cannot resize an array that is exporting buffers";
    assert_eq!(err(a.append(&Value::Float(1.0))), refused);
    // s = m[::-1]; m.release(): the slice still holds the export
    let s = m
        .get(Slice::new(None, None, Some(-1)))
        .unwrap()
        .into_view()
        .unwrap();
    m.release().unwrap();
    assert_eq!(err(a.clear()), refused);
    assert_eq!(s.tolist().unwrap().to_string(), "[-3.0, 0.5]");
    s.release().unwrap();
    assert_eq!(a.exports(), 0);
    a.append(&Value::Float(1.0)).unwrap();
    // a view dropped without release ends its export too
    {
        let _m = MemoryView::new(&a).unwrap();
        assert_eq!(a.exports(), 1);
    }
    assert_eq!(a.exports(), 0);
    a.clear().unwrap();
}

#[test]
fn a_view_keeps_the_array_alive() {
    let m = {
        let a = Array::from_slice(&[7u16, 8]);
        MemoryView::new(&a).unwrap()
    };
    // the array handle is gone; the view still reads valid memory
    assert_eq!(m.tolist().unwrap().to_string(), "[7, 8]");
    m.set(0, &Value::Int(9)).unwrap();
    assert_eq!(
        m.tobytes().unwrap(),
        [9u16.to_ne_bytes(), 8u16.to_ne_bytes()].concat()
    );
}

#[test]
fn bytearray_views_share_memory_and_lock_resizes() {
    // b = bytearray(b'abc'); m = memoryview(b)
    let b = ByteArray::from_bytes(b"abc");
    let m = MemoryView::new(&b).unwrap();
    assert_eq!(m.format().unwrap(), "B");
    m.set(0, &Value::Int(0x41)).unwrap(); // m[0] = 0x41
    assert_eq!(b.to_string(), "bytearray(b'Abc')");
    b.set(2, &Value::Int(0x43)).unwrap();
    assert_eq!(m.tobytes().unwrap(), b"AbC");
    let refused = "BufferError: Existing exports of data: object cannot be re-sized";
    assert_eq!(err(b.push(0)), refused);
    assert_eq!(err(b.resize(10)), refused);
    assert_eq!(err(b.pop(None)), refused);
    // b[0:2] = b'xy' keeps the length: allowed
    b.set_slice(Slice::new(Some(0), Some(2), None), b"xy")
        .unwrap();
    assert_eq!(m.tobytes().unwrap(), b"xyC");
    m.release().unwrap();
    b.push(0).unwrap();
    assert_eq!(b.to_vec(), b"xyC\0");
}
