//! The buffer protocol core: export counting, managed-buffer sharing, release rules, the
//! exporters, and the unsafe paths (run these under Miri:
//! `MIRIFLAGS=-Zmiri-strict-provenance cargo +nightly miri test -p pymemory-buffer --test buffer_protocol`).
//! Each test names the Python behaviour it mirrors.

use std::cell::Cell;
use std::rc::Rc;

use pymemory_buffer::{
    Array, BufferExporter, BufferFlags, Bytes, ExceptionKind, Export, ExportCount, Index, Item,
    MemoryView, NdArray, NdFlags, Result, SafeExporter, Slice, Subscript, Value, VecBuffer,
};

fn msg<T: std::fmt::Debug>(r: Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn views_share_one_export_and_children_survive_parent_release() {
    // a = array('i', [1,2,3,4]); m = memoryview(a); s = m[1:3]; m.release(); s.tolist()
    let a = VecBuffer::new(vec![1i32, 2, 3, 4]);
    let m = MemoryView::new(&a).unwrap();
    assert_eq!(a.exports(), 1);
    let s = m
        .get(Slice::new(Some(1), Some(3), None))
        .unwrap()
        .into_view()
        .unwrap();
    let c = s.cast("B", None).unwrap();
    let r = c.toreadonly().unwrap();
    let again = MemoryView::new(&m).unwrap(); // memoryview(m): same managed buffer
    assert_eq!(a.exports(), 1, "derived views share the one export");
    m.release().unwrap();
    assert_eq!(
        msg(m.tolist()),
        "ValueError: operation forbidden on released memoryview object"
    );
    assert_eq!(s.tolist().unwrap().to_string(), "[2, 3]");
    drop((s, c, again));
    assert_eq!(a.exports(), 1);
    r.release().unwrap();
    assert_eq!(a.exports(), 0, "the export ends with the last view");
}

#[test]
fn view_outlives_the_original_handle() {
    // The exporter handle goes away first; the view keeps the storage alive.
    let m = {
        let v = VecBuffer::new(vec![10u16, 20, 30]);
        MemoryView::new(&v).unwrap()
    };
    m.set(0, &Value::Int(11)).unwrap();
    assert_eq!(m.tolist().unwrap().to_string(), "[11, 20, 30]");
    let b = {
        let bytes = Bytes::from(vec![1u8, 2, 3]);
        MemoryView::new(&bytes)
            .unwrap()
            .get(Slice::new(Some(1), None, None))
            .unwrap()
            .into_view()
            .unwrap()
    };
    assert_eq!(b.tobytes().unwrap(), vec![2, 3]);
}

#[test]
fn memoryview_with_exports_refuses_release() {
    // ndarray(m) re-exports m: m.release() -> BufferError: memoryview has 1 exported buffer
    let v = VecBuffer::new(vec![1u8, 2]);
    let m = MemoryView::new(&v).unwrap();
    let b1 = m.get_buffer(BufferFlags::FULL_RO).unwrap();
    assert_eq!(
        msg(m.release()),
        "BufferError: memoryview has 1 exported buffer"
    );
    let b2 = m.get_buffer(BufferFlags::SIMPLE).unwrap();
    assert_eq!(
        msg(m.release()),
        "BufferError: memoryview has 2 exported buffers"
    );
    let clone = b1.clone();
    drop(b1);
    drop(b2);
    assert_eq!(
        msg(m.release()),
        "BufferError: memoryview has 1 exported buffer",
        "a clone of a descriptor still holds its export"
    );
    drop(clone);
    m.release().unwrap();
    m.release().unwrap(); // releasing twice is fine
}

#[test]
fn exports_end_only_when_their_descriptor_drops() {
    // Soundness: an export is its descriptor; no safe call can end it while the descriptor
    // (or a clone) lives, so the exporter cannot resize under it. Mirrors CPython, where only
    // PyBuffer_Release(&view) ends an export and the view struct is owned by its consumer.
    // 1. A re-export of a view outlives every handle of that view (memoryview(m) -> ndarray).
    let a = Array::from_slice(&[1u8, 2, 3]);
    let m = MemoryView::new(&a).unwrap();
    let raw = m.get_buffer(BufferFlags::FULL_RO).unwrap();
    drop(m);
    assert_eq!(a.exports(), 1, "the re-export keeps the view's export");
    assert_eq!(
        msg(a.append(&Value::Int(4))),
        "BufferError: cannot resize an array that is exporting buffers"
    );
    // SAFETY: the descriptor is alive, so its export is held: 3 readable bytes at `buf`.
    assert_eq!(unsafe { raw.buf.add(2).read() }, 3);
    let clone = raw.clone();
    drop(raw);
    assert_eq!(
        a.exports(),
        1,
        "a clone of the descriptor still holds the export"
    );
    drop(clone);
    assert_eq!(a.exports(), 0);
    a.append(&Value::Int(4)).unwrap();

    // 2. Counting exporters count descriptors, not calls.
    let v = VecBuffer::new(vec![1u16, 2]);
    let r1 = v.get_buffer(BufferFlags::SIMPLE).unwrap();
    let r2 = r1.clone();
    let m = MemoryView::new(&v).unwrap();
    assert_eq!(v.exports(), 2);
    drop(r1);
    assert_eq!(v.exports(), 2);
    drop(r2);
    assert_eq!(v.exports(), 1);
    m.release().unwrap();
    assert_eq!(v.exports(), 0);
    let nd = NdArray::new(&[1, 2], &[2], None, 0, "B", 1, NdFlags::default()).unwrap();
    let r = nd.get_buffer(BufferFlags::FULL_RO).unwrap();
    let m = MemoryView::new(&nd).unwrap();
    assert_eq!(nd.exports(), 2);
    drop(m);
    assert_eq!(nd.exports(), 1);
    drop(r);
    assert_eq!(nd.exports(), 0);
    // A refused request takes no export.
    assert!(nd.get_buffer(BufferFlags::WRITABLE).is_err());
    assert_eq!(nd.exports(), 0);

    // 3. A user's SafeExporter counts with an ExportGuard attached to its Export.
    #[derive(Clone)]
    struct Counted(Rc<[Cell<u8>]>, Rc<ExportCount>);
    impl SafeExporter for Counted {
        fn export(&self, _flags: BufferFlags) -> Result<Export> {
            Ok(Export::cells(self.0.clone()).hold(self.1.acquire()))
        }
        fn type_name(&self) -> &'static str {
            "Counted"
        }
    }
    let c = Counted((0..4u8).map(Cell::new).collect(), Rc::default());
    let m = MemoryView::new(&c).unwrap();
    let s = m
        .get(Slice::new(Some(1), None, None))
        .unwrap()
        .into_view()
        .unwrap();
    m.release().unwrap();
    assert_eq!(c.1.get(), 1, "the slice keeps the managed buffer");
    assert_eq!(s.tolist().unwrap().to_string(), "[1, 2, 3]");
    drop(s);
    assert_eq!(c.1.get(), 0);
    // A refused layout drops its guard at once.
    assert!(MemoryView::from_flags(&c, BufferFlags::WRITABLE | BufferFlags::FORMAT).is_err());
    assert_eq!(c.1.get(), 0);
}

#[test]
fn request_flags_are_refused_like_cpython() {
    // memoryview._from_flags(b"abc", PyBUF_WRITABLE) -> BufferError: Object is not writable.
    let b = Bytes::from(&b"abc"[..]);
    assert_eq!(
        msg(MemoryView::from_flags(&b, BufferFlags::WRITABLE)),
        "BufferError: Object is not writable."
    );
    let m = MemoryView::new(&b).unwrap();
    assert_eq!(
        msg(m.set(0, &Value::Int(1))),
        "TypeError: cannot modify read-only memory"
    );
    // A non-contiguous view refuses a C-contiguous request.
    let v = VecBuffer::new(vec![0u8; 6]);
    let m = MemoryView::new(&v).unwrap();
    let s = m
        .get(Slice::new(None, None, Some(2)))
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(
        msg(s.get_buffer(BufferFlags::C_CONTIGUOUS)),
        "BufferError: memoryview: underlying buffer is not C-contiguous"
    );
    let ro = s.toreadonly().unwrap();
    assert_eq!(
        msg(ro.get_buffer(BufferFlags::STRIDED)),
        "BufferError: memoryview: underlying buffer is not writable"
    );
}

#[test]
fn overlapping_slice_assignment_is_memmove() {
    // b = bytearray(b'abcdef'); m = memoryview(b); m[1:] = m[:-1]  -> b'aabcde'
    let v = VecBuffer::new(b"abcdef".to_vec());
    let m = MemoryView::new(&v).unwrap();
    let src = m
        .get(Slice::new(None, Some(-1), None))
        .unwrap()
        .into_view()
        .unwrap();
    m.set_from(Slice::new(Some(1), None, None), &src).unwrap();
    assert_eq!(v.to_vec(), b"aabcde");
    // m[:-1] = m[1:] -> b'abcdee'
    let v = VecBuffer::new(b"abcdef".to_vec());
    let m = MemoryView::new(&v).unwrap();
    let src = m
        .get(Slice::new(Some(1), None, None))
        .unwrap()
        .into_view()
        .unwrap();
    m.set_from(Slice::new(None, Some(-1), None), &src).unwrap();
    assert_eq!(v.to_vec(), b"bcdeff");
    // Strided overlap: m[::2] = m[1::2]... and a reversed copy onto itself: m[:] = m[::-1]
    let v = VecBuffer::new(b"abcdef".to_vec());
    let m = MemoryView::new(&v).unwrap();
    let rev = m
        .get(Slice::new(None, None, Some(-1)))
        .unwrap()
        .into_view()
        .unwrap();
    m.set_from(Slice::full(), &rev).unwrap();
    assert_eq!(v.to_vec(), b"fedcba");
}

#[test]
fn unaligned_items_read_and_write() {
    // memoryview(bytearray(9))[1:].cast('i'): items at odd addresses
    let v = VecBuffer::new(vec![0u8; 9]);
    let m = MemoryView::new(&v).unwrap();
    let ints = m
        .get(Slice::new(Some(1), None, None))
        .unwrap()
        .into_view()
        .unwrap()
        .cast("i", None)
        .unwrap();
    ints.set(1, &Value::Int(-2)).unwrap();
    ints.set(0, &Value::Int(0x0102_0304)).unwrap();
    assert_eq!(ints.tolist().unwrap().to_string(), "[16909060, -2]");
    assert_eq!(v.to_vec()[1..5], 0x0102_0304i32.to_ne_bytes());
    let d = m
        .get(Slice::new(Some(1), None, None))
        .unwrap()
        .into_view()
        .unwrap()
        .cast("d", None)
        .unwrap();
    d.set(0, &Value::Float(1.5)).unwrap();
    assert_eq!(d.item(0).unwrap().to_string(), "1.5");
}

#[test]
fn hash_matches_cpython_with_pythonhashseed_0() {
    // PYTHONHASHSEED=0 python3 -c "print(hash(b'abc'), hash(b'abcdefghijk'), hash(b''))"
    let h = |b: &[u8]| MemoryView::new(&Bytes::from(b)).unwrap().hash().unwrap();
    assert_eq!(h(b"abc"), -4594863902769663758);
    assert_eq!(h(b"abcdefghijk"), 1450545860578130900);
    assert_eq!(h(b""), 0);
    let v = VecBuffer::new(vec![1u8]);
    let m = MemoryView::new(&v).unwrap();
    assert_eq!(
        msg(m.hash()),
        "ValueError: cannot hash writable memoryview object"
    );
    let m = MemoryView::new(&Bytes::from(vec![0u8; 4]))
        .unwrap()
        .cast("i", None)
        .unwrap();
    assert_eq!(
        msg(m.hash()),
        "ValueError: memoryview: hashing is restricted to formats 'B', 'b' or 'c'"
    );
}

#[test]
fn released_view_rules() {
    // with memoryview(b) as m: ...; afterwards every access raises ValueError
    let b = Bytes::from(&b"xyz"[..]);
    let m = MemoryView::new(&b).unwrap();
    {
        let g = m.enter().unwrap();
        assert_eq!(g.len().unwrap(), 3);
    }
    assert!(m.is_released());
    assert_eq!(
        msg(m.nbytes()),
        "ValueError: operation forbidden on released memoryview object"
    );
    assert_eq!(
        msg(m.enter()),
        "ValueError: operation forbidden on released memoryview object"
    );
    assert!(m.to_string().starts_with("<released memory at 0x"));
    // A released view equals only itself.
    let w = MemoryView::new(&b).unwrap();
    assert!(m.equals(&m) && !m.equals(&w));
}

#[test]
fn obj_downcasts_to_the_exporter() {
    // memoryview(a).obj is a
    let v = VecBuffer::new(vec![1.5f64]);
    let m = MemoryView::new(&v).unwrap();
    let s = m.get(Slice::full()).unwrap().into_view().unwrap();
    let obj = s.obj().unwrap();
    assert_eq!(obj.type_name(), "VecBuffer");
    assert_eq!(
        obj.downcast_ref::<VecBuffer<f64>>().unwrap().get(0),
        Some(1.5)
    );
    assert!(obj.downcast_ref::<Bytes>().is_none());
    assert_eq!(m.format().unwrap(), "d");
}

#[test]
fn zero_dim_views() {
    // m = memoryview(b'\x05').cast('B', []); m[()] == 5; m[...] is m; len(m) -> TypeError (3.14)
    let m = MemoryView::new(&Bytes::from(vec![5u8]))
        .unwrap()
        .cast("B", Some(&[]))
        .unwrap();
    assert_eq!(m.get(()).unwrap().to_string(), "5");
    match m.get(Index::Ellipsis).unwrap() {
        Item::View(x) => assert!(x.is(&m)),
        Item::Value(_) => panic!("m[...] is a view"),
    }
    assert_eq!(msg(m.len()), "TypeError: 0-dim memory has no length");
    assert_eq!(msg(m.get(0)), "TypeError: invalid indexing of 0-dim memory");
    assert_eq!(
        msg(m.index(&Value::Int(5), None, None)),
        "TypeError: invalid lookup on 0-dim memory"
    );
}

#[test]
fn extensions_beyond_cpython() {
    let v = VecBuffer::new((0u8..12).collect::<Vec<_>>());
    let m = MemoryView::new(&v)
        .unwrap()
        .cast("B", Some(&[3, 4]))
        .unwrap();
    // m[1] of a 2-D view is a 1-D view (CPython: NotImplementedError)
    let row = m.get(1).unwrap().into_view().unwrap();
    assert_eq!(row.tolist().unwrap().to_string(), "[4, 5, 6, 7]");
    // m[1:3, ::2] (CPython: NotImplementedError)
    let sub = m
        .get(Subscript::parse("1:3, ::2").unwrap())
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(sub.tolist().unwrap().to_string(), "[[4, 6], [8, 10]]");
    assert_eq!(sub.strides().unwrap(), vec![4, 2]);
    // m[1:3, ::2] = bytes (CPython: NotImplementedError)
    m.set(
        Subscript::parse("1:3, ::2").unwrap(),
        &Value::Bytes(vec![0; 4]),
    )
    .unwrap_err();
    let src = MemoryView::new(&Bytes::from(vec![9u8; 4]))
        .unwrap()
        .cast("B", Some(&[2, 2]))
        .unwrap();
    m.set_from(Subscript::parse("1:3, ::2").unwrap(), &src)
        .unwrap();
    assert_eq!(v.to_vec(), vec![0, 1, 2, 3, 9, 5, 9, 7, 9, 9, 9, 11]);
    // cast to any struct format, and order='F'
    let le = MemoryView::new(&Bytes::from(vec![1u8, 0, 0, 0, 0, 0, 0, 2])).unwrap();
    assert_eq!(
        le.cast("<i", None).unwrap().tolist().unwrap().to_string(),
        "[1, 33554432]"
    );
    assert_eq!(
        le.cast(">i", None).unwrap().tolist().unwrap().to_string(),
        "[16777216, 2]"
    );
    assert_eq!(
        le.cast("2h", None).unwrap().tolist().unwrap().to_string(),
        "[(1, 0), (0, 512)]"
    );
    assert_eq!(
        le.cast("T{<h:a:<h:b:}", None)
            .unwrap()
            .item(1)
            .unwrap()
            .to_string(),
        "(0, 512)"
    );
    let f = le.cast_order("B", Some(&[2, 4]), "F").unwrap();
    assert_eq!(f.strides().unwrap(), vec![1, 2]);
    assert!(f.f_contiguous().unwrap() && !f.c_contiguous().unwrap());
    assert_eq!(
        f.tolist().unwrap().to_string(),
        "[[1, 0, 0, 0], [0, 0, 0, 2]]"
    );
    assert_eq!(
        f.tobytes_order(Some("F")).unwrap(),
        vec![1, 0, 0, 0, 0, 0, 0, 2]
    );
    // 'e' casts (3.12+) work
    let h = MemoryView::new(&Bytes::from(vec![0u8, 0x3c]))
        .unwrap()
        .cast("e", None)
        .unwrap();
    assert_eq!(h.tolist().unwrap().to_string(), "[1.0]");
    // casts still need a byte format on one side
    assert_eq!(
        msg(le.cast("i", None).unwrap().cast("<h", None)),
        "TypeError: memoryview: cannot cast between two non-byte formats"
    );
}

#[test]
fn mixed_int_and_slice_keys() {
    let parse = |t: &str| Subscript::parse(t).unwrap();
    let view = |m: &MemoryView, t: &str| m.get(parse(t)).unwrap().into_view().unwrap();
    let list = |m: &MemoryView| m.tolist().unwrap().to_string();
    // Extension (numpy basic indexing; CPython: TypeError: memoryview: invalid slice key):
    // each int drops its dimension, each slice keeps it, missing keys keep the rest.
    let v = VecBuffer::new((0u8..24).collect::<Vec<_>>());
    let m = MemoryView::new(&v)
        .unwrap()
        .cast("B", Some(&[2, 3, 4]))
        .unwrap();
    let a = view(&m, "1, ::2"); // numpy: a[1, ::2]
    assert_eq!(list(&a), "[[12, 13, 14, 15], [20, 21, 22, 23]]");
    assert_eq!(
        (a.shape().unwrap(), a.strides().unwrap()),
        (vec![2, 4], vec![8, 1])
    );
    let b = view(&m, "0:1, 0:1, -1"); // a[0:1, 0:1, -1]
    assert_eq!(list(&b), "[[3]]");
    assert_eq!(b.shape().unwrap(), vec![1, 1]);
    let c = view(&m, ":, 2, 1:3"); // a[:, 2, 1:3]
    assert_eq!(list(&c), "[[9, 10], [21, 22]]");
    assert!(!c.c_contiguous().unwrap());
    let d = view(&m, "::-1, -1"); // a[::-1, -1]
    assert_eq!(list(&d), "[[20, 21, 22, 23], [8, 9, 10, 11]]");
    // Errors name the original dimension; slices never raise for bounds.
    assert_eq!(
        msg(m.get(parse(":, 3"))),
        "IndexError: index out of bounds on dimension 2"
    );
    assert_eq!(view(&m, "5:, 0").shape().unwrap(), vec![0, 4]); // empty, like numpy
    assert_eq!(
        msg(m.get(parse("5:, 0, 4"))),
        "IndexError: index out of bounds on dimension 3"
    );
    assert_eq!(
        msg(m.get(parse("::0, 0"))),
        "ValueError: slice step cannot be zero"
    );
    // Assignment: same structure rule as every N-D assignment, memmove semantics.
    let src = MemoryView::new(&Bytes::from(vec![99u8, 98]))
        .unwrap()
        .cast("B", Some(&[2, 1]))
        .unwrap();
    m.set_from(parse(":, 1, 0:1"), &src).unwrap(); // a[:, 1, 0:1] = src
    assert_eq!(v.get(4), Some(99));
    assert_eq!(v.get(16), Some(98));
    m.set(parse("1, 2, ::3"), &Value::Bytes(vec![7, 8]))
        .unwrap(); // a[1, 2, ::3] = b'\x07\x08'
    assert_eq!((v.get(20), v.get(23)), (Some(7), Some(8)));
    assert_eq!(
        msg(m.set(parse("1, 2, ::3"), &Value::Bytes(vec![7]))),
        "ValueError: memoryview assignment: lvalue and rvalue have different structures"
    );
    assert_eq!(
        msg(m.set(parse("1, 2:"), &Value::Int(1))),
        "TypeError: a bytes-like object is required, not 'int'"
    );
    // CPython's answers kept: more keys than dimensions, `...` in a tuple, 1-D and 0-d.
    let invalid = "TypeError: memoryview: invalid slice key";
    assert_eq!(msg(m.get(parse("0, 0, 0, :"))), invalid);
    assert_eq!(msg(m.get(parse("0, ..."))), invalid);
    assert_eq!(
        msg(m.set(parse("0, 0, 0, :"), &Value::Bytes(vec![]))),
        invalid
    );
    let flat = MemoryView::new(&v).unwrap();
    assert_eq!(msg(flat.get(parse("0, :"))), invalid);
    assert_eq!(msg(flat.get(parse(":, 0"))), invalid);
    assert_eq!(
        msg(flat.get(parse("0, 0"))),
        "TypeError: cannot index 1-dimension view with 2-element tuple"
    );
    assert_eq!(
        msg(flat
            .toreadonly()
            .unwrap()
            .set(parse("0, :"), &Value::Bytes(vec![]))),
        "TypeError: cannot modify read-only memory"
    );
    let zero = flat.cast("B", Some(&[24])).unwrap().get(0);
    assert!(zero.is_ok());
    let scalar = MemoryView::new(&v)
        .unwrap()
        .cast("B", Some(&[1, 24]))
        .unwrap()
        .get(parse("0, 0:1"))
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(list(&scalar), "[0]");

    // Indirect (PIL) layouts: leading ints follow the pointers, later ints move the
    // suboffset like init_slice does.
    let items: Vec<u8> = (0..12).collect();
    let flags = NdFlags {
        writable: true,
        pil: true,
        ..NdFlags::default()
    };
    let nd = NdArray::new(&items, &[3, 4], None, 0, "B", 1, flags).unwrap();
    let p = MemoryView::new(&nd).unwrap();
    assert_eq!(list(&view(&p, "1:, 2")), "[6, 10]");
    assert_eq!(list(&view(&p, "::-2, -1")), "[11, 3]");
    assert_eq!(list(&view(&p, "0, 1:")), "[1, 2, 3]");
    p.set(parse("1:, 0"), &Value::Bytes(vec![40, 80])).unwrap();
    assert_eq!(list(&p), "[[0, 1, 2, 3], [40, 5, 6, 7], [80, 9, 10, 11]]");
}

#[test]
fn count_and_index_follow_3_14() {
    // memoryview(bytearray(b"abaca")).count(ord("a")) == 3; .index(ord("a"), -2) == 4
    let v = VecBuffer::new(b"abaca".to_vec());
    let m = MemoryView::new(&v).unwrap();
    assert_eq!(m.count(&Value::Int(97)).unwrap(), 3);
    assert_eq!(m.count(&Value::Float(97.0)).unwrap(), 3);
    assert_eq!(m.index(&Value::Int(97), Some(1), None).unwrap(), 2);
    assert_eq!(m.index(&Value::Int(97), Some(-2), None).unwrap(), 4);
    assert_eq!(m.index(&Value::Int(97), Some(1), Some(4)).unwrap(), 2);
    assert_eq!(
        msg(m.index(&Value::Int(122), None, None)),
        "ValueError: memoryview.index(x): x not found"
    );
    let two = m
        .get(Slice::new(None, Some(4), None))
        .unwrap()
        .into_view()
        .unwrap()
        .cast("B", Some(&[2, 2]))
        .unwrap();
    assert_eq!(
        msg(two.count(&Value::Int(1))),
        "NotImplementedError: multi-dimensional sub-views are not implemented"
    );
    assert_eq!(
        msg(two.index(&Value::Int(1), None, None)),
        "NotImplementedError: multi-dimensional lookup is not implemented"
    );
}

#[derive(Clone)]
struct Cells(Rc<[Cell<u32>]>, Vec<usize>, Option<Vec<isize>>);

impl SafeExporter for Cells {
    fn export(&self, _flags: BufferFlags) -> Result<Export> {
        Export::cells(self.0.clone()).with_shape(self.1.clone(), self.2.clone())
    }
    fn type_name(&self) -> &'static str {
        "Cells"
    }
}

#[test]
fn safe_exporter_layouts_are_checked() {
    let data: Rc<[Cell<u32>]> = (0..6u32).map(Cell::new).collect();
    let ok = Cells(data.clone(), vec![3, 2], None);
    let m = MemoryView::new(&ok).unwrap();
    assert_eq!(m.tolist().unwrap().to_string(), "[[0, 1], [2, 3], [4, 5]]");
    m.set([2, 1], &Value::Int(50)).unwrap();
    assert_eq!(data[5].get(), 50);
    // A layout reaching outside the storage is refused, not trusted.
    let bad = Cells(data.clone(), vec![4, 2], None);
    assert_eq!(
        msg(MemoryView::new(&bad)),
        "ValueError: invalid combination of buffer, shape and strides"
    );
    let neg = Cells(data.clone(), vec![2], Some(vec![-4]));
    assert_eq!(
        msg(MemoryView::new(&neg)),
        "ValueError: invalid combination of buffer, shape and strides"
    );
    // Arithmetic that overflows is an error, not a panic.
    let huge = Cells(data, vec![usize::MAX / 2, 3], None);
    assert_eq!(
        msg(MemoryView::new(&huge)).split(':').next(),
        Some("OverflowError")
    );
}

#[test]
fn ndarray_layouts_with_suboffsets() {
    // ndarray(list(range(12)), shape=[3,4], format='B', flags=ND_PIL): suboffsets (0, -1)
    let items: Vec<u8> = (0..12).collect();
    let flags = NdFlags {
        pil: true,
        writable: true,
        ..NdFlags::default()
    };
    let nd = NdArray::new(&items, &[3, 4], None, 0, "B", 1, flags).unwrap();
    let m = MemoryView::new(&nd).unwrap();
    assert_eq!(m.suboffsets().unwrap(), vec![0, -1]);
    assert_eq!(m.strides().unwrap(), vec![8, 1]);
    let col = m
        .get(Subscript::parse("::-1, 1:3").unwrap())
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(
        col.tolist().unwrap().to_string(),
        "[[9, 10], [5, 6], [1, 2]]"
    );
    assert_eq!(col.tobytes().unwrap(), vec![9, 10, 5, 6, 1, 2]);
    assert_eq!(
        col.tobytes_order(Some("F")).unwrap(),
        vec![9, 5, 1, 10, 6, 2]
    );
    m.set([2, 3], &Value::Int(99)).unwrap();
    assert_eq!(m.get([2, 3]).unwrap().to_string(), "99");
    let row = m.get(1).unwrap().into_view().unwrap();
    assert_eq!(row.tolist().unwrap().to_string(), "[4, 5, 6, 7]");
    assert!(row.c_contiguous().unwrap());
    // Zero strides: every item is the same memory.
    let z = NdArray::new(&[7u8], &[4], Some(&[0]), 0, "B", 1, NdFlags::default()).unwrap();
    let zm = MemoryView::new(&z).unwrap();
    assert_eq!(zm.tolist().unwrap().to_string(), "[7, 7, 7, 7]");
    assert_eq!(zm.count(&Value::Int(7)).unwrap(), 4);
}

#[test]
fn error_kinds_and_messages() {
    let v = VecBuffer::new(vec![0u8; 4]);
    let m = MemoryView::new(&v).unwrap();
    let e = m.set(0, &Value::Int(256)).unwrap_err();
    assert_eq!(e.kind(), ExceptionKind::ValueError);
    assert_eq!(e.message(), "memoryview: invalid value for format 'B'");
    assert_eq!(
        msg(m.set(0, &Value::Float(1.0))),
        "TypeError: memoryview: invalid type for format 'B'"
    );
    assert_eq!(
        msg(m.get(4)),
        "IndexError: index out of bounds on dimension 1"
    );
    assert_eq!(
        msg(m.get([0, 0])),
        "TypeError: cannot index 1-dimension view with 2-element tuple"
    );
    assert_eq!(
        msg(m.set(
            Slice::new(None, Some(2), None),
            &Value::Bytes(vec![1, 2, 3])
        )),
        "ValueError: memoryview assignment: lvalue and rvalue have different structures"
    );
    assert_eq!(
        msg(m.set(Slice::full(), &Value::Int(3))),
        "TypeError: a bytes-like object is required, not 'int'"
    );
    let s = m
        .get(Slice::new(None, None, Some(2)))
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(
        msg(s.cast("B", None)),
        "TypeError: memoryview: casts are restricted to C-contiguous views"
    );
    assert_eq!(
        msg(m.cast("i", Some(&[3]))),
        "TypeError: memoryview: product(shape) * itemsize != buffer size"
    );
    assert_eq!(
        msg(m.cast("B", Some(&[0]))),
        "ValueError: memoryview.cast(): elements of shape must be integers > 0"
    );
    assert_eq!(
        msg(m.tobytes_order(Some("X"))),
        "ValueError: order must be 'C', 'F' or 'A'"
    );
    assert_eq!(
        m.hex_sep(Some(&Value::Str(":".into())), 2).unwrap(),
        "0000:0000"
    );
    assert_eq!(
        msg(m.hex_sep(Some(&Value::Str("::".into())), 2)),
        "ValueError: sep must be length 1."
    );
    assert_eq!(
        msg(m.hex_sep(Some(&Value::Int(1)), 2)),
        "TypeError: object of type 'int' has no len()"
    );
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot map files")]
fn mmap_views_of_a_slice_of_a_huge_sparse_file() {
    use pymemory_buffer::MmapBuffer;
    let dir = std::env::temp_dir().join(format!("pymemory-mmap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sparse.bin");
    let f = std::fs::File::create(&path).unwrap();
    let size: u64 = 8 << 30; // 8 GiB, sparse: only what is touched costs anything
    f.set_len(size).unwrap();
    drop(f);
    let off = size - 4096 - 3;
    {
        let rw = MmapBuffer::open_rw_range(&path, off, 16).unwrap();
        let m = MemoryView::new(&rw).unwrap();
        m.set(
            Slice::new(Some(0), Some(4), None),
            &Value::Bytes(vec![1, 2, 3, 4]),
        )
        .unwrap();
        rw.flush().unwrap();
    }
    let ro = MmapBuffer::open_range(&path, off, 16).unwrap();
    let m = MemoryView::new(&ro).unwrap();
    assert!(m.readonly().unwrap());
    assert_eq!(
        m.get(Slice::new(None, Some(4), None))
            .unwrap()
            .into_view()
            .unwrap()
            .hex()
            .unwrap(),
        "01020304"
    );
    assert_eq!(
        m.cast("<I", None).unwrap().item(0).unwrap().to_string(),
        "67305985"
    );
    assert_eq!(
        msg(m.set(0, &Value::Int(1))),
        "TypeError: cannot modify read-only memory"
    );
    assert!(MmapBuffer::open_range(&path, size - 1, 2).is_err());
    drop(m);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot map files")]
fn shared_memory_is_shared_between_mappings() {
    use pymemory_buffer::SharedMemory;
    let name = format!("pymemory-test-{}", std::process::id());
    let a = SharedMemory::create(&name, 8).unwrap();
    let b = SharedMemory::open(&name).unwrap();
    let ma = MemoryView::new(a.buffer())
        .unwrap()
        .cast("i", None)
        .unwrap();
    let mb = MemoryView::new(b.buffer())
        .unwrap()
        .cast("i", None)
        .unwrap();
    ma.set(1, &Value::Int(-7)).unwrap();
    assert_eq!(mb.item(1).unwrap().to_string(), "-7");
    a.unlink().unwrap();
}

#[test]
fn fast_paths_agree_with_python_semantics() {
    // memoryview(array('i', range(-20, 20))).count(3) == 1; == against 'q' of the same values
    let vals: Vec<i32> = (-20..20).collect();
    let a = VecBuffer::new(vals.clone());
    let m = MemoryView::new(&a).unwrap();
    assert_eq!(m.count(&Value::Int(3)).unwrap(), 1);
    assert_eq!(m.count(&Value::Float(3.0)).unwrap(), 1);
    assert_eq!(m.count(&Value::Float(3.5)).unwrap(), 0);
    assert_eq!(m.count(&Value::Int(1 << 40)).unwrap(), 0);
    assert_eq!(m.count(&Value::Bool(true)).unwrap(), 1);
    let q = VecBuffer::new(vals.iter().map(|&x| i64::from(x)).collect::<Vec<_>>());
    let mq = MemoryView::new(&q).unwrap();
    assert!(m.equals(&mq));
    q.set(39, 7);
    assert!(!m.equals(&mq));
    // Strided byte copies (the block path) and reversed strides.
    let bytes = VecBuffer::new((0u8..=99).collect::<Vec<_>>());
    let b = MemoryView::new(&bytes).unwrap();
    let every2 = b
        .get(Slice::new(Some(1), None, Some(2)))
        .unwrap()
        .into_view()
        .unwrap();
    let want: Vec<u8> = (1u8..=99).step_by(2).collect();
    assert_eq!(every2.tobytes().unwrap(), want);
    let every3 = b
        .get(Slice::new(None, None, Some(3)))
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(
        every3.tobytes().unwrap(),
        (0u8..=99).step_by(3).collect::<Vec<_>>()
    );
    let back = b
        .get(Slice::new(None, None, Some(-2)))
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(
        back.tobytes().unwrap(),
        (0u8..=99).rev().step_by(2).collect::<Vec<_>>()
    );
    assert_eq!(
        every2.tolist().unwrap(),
        Value::List(want.iter().map(|&x| Value::Int(x.into())).collect())
    );
    assert_eq!(every2.hex().unwrap().len(), 100);
    // 'f' items compared with a float that f32 cannot hold exactly: never equal.
    let f = VecBuffer::new(vec![0.1f32; 20]);
    let mf = MemoryView::new(&f).unwrap();
    assert_eq!(mf.count(&Value::Float(0.1)).unwrap(), 0);
    assert_eq!(mf.count(&Value::Float(f64::from(0.1f32))).unwrap(), 20);
}

#[test]
fn extreme_inputs_are_errors_not_panics() {
    // Debug builds check arithmetic: any overflow here would panic the test.
    let all = [
        isize::MIN,
        isize::MIN + 1,
        -(1 << 40),
        -3,
        -1,
        0,
        1,
        3,
        1 << 40,
        isize::MAX,
    ];
    // Fewer combinations under Miri (bumpalo's practice): the extremes stay.
    let ext: &[isize] = if cfg!(miri) {
        &[isize::MIN, -1, 3, isize::MAX]
    } else {
        &all
    };
    let v = VecBuffer::new((0u8..24).collect::<Vec<_>>());
    let m = MemoryView::new(&v).unwrap();
    let views = [
        m.clone(),
        m.cast("B", Some(&[2, 3, 4])).unwrap(),
        m.cast("i", None).unwrap(),
        m.get(Slice::new(None, None, Some(-5)))
            .unwrap()
            .into_view()
            .unwrap(),
    ];
    for w in &views {
        for &a in ext {
            let _ = w.get(a);
            let _ = w.get([a, 0]);
            let _ = w.set(a, &Value::Int(1));
            let _ = w.index(&Value::Int(1), Some(a), Some(a));
            for &b in ext {
                for step in [
                    None,
                    Some(isize::MIN),
                    Some(-(1 << 40)),
                    Some(-1),
                    Some(2),
                    Some(isize::MAX),
                ] {
                    let s = Slice::new(Some(a), Some(b), step);
                    if let Ok(Item::View(x)) = w.get(s) {
                        let _ = x.tobytes();
                        let _ = x.tolist();
                        let _ = x.strides();
                    }
                    let _ = w.get(Subscript::Tuple(vec![Index::Slice(s), Index::Slice(s)]));
                    let _ = w.set(s, &Value::Bytes(vec![]));
                }
            }
            let _ = w.cast("B", Some(&[a]));
            let _ = w.cast("B", Some(&[a, a]));
            let _ = w.cast("c", Some(&[isize::MAX, 2]));
            let _ = w.hex_sep(Some(&Value::Str(":".into())), a as i64);
        }
        let _ = w.hex_sep(Some(&Value::Str(":".into())), i64::MIN);
    }
    // Exporters with absurd layouts are refused.
    let huge = [usize::MAX, usize::MAX / 2, 1 << 62];
    // Miri reports huge allocation attempts as resource exhaustion, not as an error value.
    let huge: &[usize] = if cfg!(miri) { &[] } else { &huge };
    for &h in huge {
        // A zero-stride view may claim 2^62 bytes (valid, as in CPython); copying it out
        // is an error (CPython: MemoryError), never an abort.
        if let Ok(nd) = NdArray::new(
            &[1, 2, 3, 4],
            &[h],
            Some(&[0]),
            0,
            "B",
            1,
            NdFlags::default(),
        ) {
            if let Ok(zm) = MemoryView::new(&nd) {
                assert!(zm.tobytes().is_err());
                assert!(zm.hex().is_err());
                assert!(zm.tolist().is_err());
            }
        }
        let pil = NdFlags {
            pil: true,
            ..NdFlags::default()
        };
        assert!(NdArray::new(&[1, 2, 3, 4], &[h, 1], Some(&[0, 1]), 0, "B", 1, pil).is_err());
        assert!(
            NdArray::new(
                &[1, 2, 3, 4],
                &[2, 2],
                Some(&[isize::MAX, 1]),
                0,
                "B",
                1,
                NdFlags::default()
            )
            .is_err()
        );
    }
    assert!(Subscript::parse(&"9".repeat(200)).is_err());
    assert!(Subscript::parse(&format!("::{}", "-9".repeat(100))).is_err());
}

/// Review finding: `with_offset` after an N-D `with_shape` kept the old strides, so the
/// exported descriptor had a 1-D shape with 0 strides (Python read a dangling pointer).
/// Every SafeExporter descriptor is now consistent, and inconsistent ones are refused.
#[test]
fn safe_exports_always_have_consistent_layouts() {
    #[derive(Clone)]
    struct Shaped(Rc<[Cell<u8>]>, fn(Export) -> Result<Export>);
    impl SafeExporter for Shaped {
        fn export(&self, _: BufferFlags) -> Result<Export> {
            (self.1)(Export::cells(self.0.clone()))
        }
        fn type_name(&self) -> &'static str {
            "shaped"
        }
    }
    let storage: Rc<[Cell<u8>]> = (0..8u8).map(Cell::new).collect();

    // with_shape(0-D) then with_offset: the offset makes it 1-D with its own strides.
    let e = Shaped(storage.clone(), |x| {
        x.with_shape(vec![], Some(vec![]))?.with_offset(2)
    });
    let raw = e.get_buffer(BufferFlags::FULL_RO).unwrap();
    raw.validate().unwrap();
    assert_eq!(raw.shape.as_deref(), Some(&[6usize][..]));
    assert_eq!(raw.strides.as_deref(), Some(&[1isize][..]));
    drop(raw);
    assert_eq!(
        MemoryView::new(&e).unwrap().tolist().unwrap().to_string(),
        "[2, 3, 4, 5, 6, 7]"
    );

    // Zero strides whose product(shape) overflows: refused, not a wrapped length.
    let e = Shaped(storage, |x| {
        x.with_shape(vec![usize::MAX / 2, 4], Some(vec![0, 0]))
    });
    let err = e.get_buffer(BufferFlags::FULL_RO).unwrap_err();
    assert_eq!(err.kind(), ExceptionKind::OverflowError);
}
