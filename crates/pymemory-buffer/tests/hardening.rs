//! Hardening (issue #6): shape and stride arithmetic that overflows `usize`, many
//! dimensions, many live exports, panicking exporter callbacks, and regressions found by
//! the fuzz targets in `fuzz/`. The `stress_*` tests are ignored by default and run by
//! `scripts/stress.sh` (in release mode): a 64-dimension view with a million items, an 8 GB
//! sparse memory-mapped file, 10,000 live exports on one object.
//!
//! Each test names the Python behaviour it mirrors.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use pymemory_buffer::{
    Array, BufferExporter, BufferFlags, ByteArray, Bytes, ExceptionKind, Export, ExportCount,
    Index, MemoryView, MmapBuffer, NdArray, NdFlags, RawBuffer, Result, SafeExporter, Slice,
    Subscript, Value, VecBuffer,
};

fn err<T: std::fmt::Debug>(r: Result<T>) -> (ExceptionKind, String) {
    let e = r.expect_err("expected an error");
    (e.kind(), e.message().to_owned())
}

// ----- shape and stride products that overflow ---------------------------------------

#[test]
fn cast_to_a_shape_whose_product_overflows_is_a_value_error() {
    // memoryview(bytearray(8)).cast('B', [2**62, 2**62])
    // -> ValueError: memoryview.cast(): product(shape) > SSIZE_MAX
    let b = ByteArray::from_bytes(&[0; 8]);
    let m = MemoryView::new(&b).unwrap();
    let big = 1isize << 62;
    for shape in [
        vec![big, big],
        vec![big, 4],
        vec![1 << 40, 1 << 40, 0],
        vec![isize::MAX, 2],
        vec![isize::MAX, isize::MAX, isize::MAX],
    ] {
        assert_eq!(
            err(m.cast("B", Some(&shape))),
            (
                ExceptionKind::ValueError,
                "memoryview.cast(): product(shape) > SSIZE_MAX".to_owned()
            ),
            "shape {shape:?}"
        );
    }
    // Items of 8 bytes: product(shape) fits but product(shape) * itemsize does not.
    let (kind, _) = err(m.cast("d", Some(&[1 << 61])));
    assert!(
        matches!(kind, ExceptionKind::ValueError | ExceptionKind::TypeError),
        "{kind:?}"
    );
    // memoryview(bytearray(8)).cast('B', [-1]) and [0, 2**62]
    for shape in [vec![-1], vec![0, big], vec![isize::MIN]] {
        assert_eq!(
            err(m.cast("B", Some(&shape))),
            (
                ExceptionKind::ValueError,
                "memoryview.cast(): elements of shape must be integers > 0".to_owned()
            ),
            "shape {shape:?}"
        );
    }
    // memoryview(bytearray(8)).cast('B', [1]*65)
    assert_eq!(
        err(m.cast("B", Some(&[1; 65]))),
        (
            ExceptionKind::ValueError,
            "memoryview: number of dimensions must not exceed 64".to_owned()
        )
    );
    // The view is untouched by the refusals.
    assert_eq!(m.nbytes().unwrap(), 8);
    drop(m);
    b.resize(9).unwrap();
}

#[test]
fn ndarray_with_strides_or_shapes_that_overflow_is_an_error() {
    // _testbuffer.ndarray(list(range(8)), shape=..., strides=..., format='B'): CPython
    // computes the extent in C without overflow checks; pymemory refuses every one.
    let data: Vec<u8> = (0..8).collect();
    let big = 1isize << 62;
    let cases: Vec<(Vec<usize>, Option<Vec<isize>>)> = vec![
        (vec![1 << 62, 4], Some(vec![big, 1])),
        (vec![2, 2], Some(vec![big, big])),
        (vec![3], Some(vec![big])),
        (vec![2, 2, 2], Some(vec![isize::MAX, isize::MAX, 1])),
        (vec![2], Some(vec![isize::MIN])),
        (vec![2, 2], Some(vec![isize::MIN, isize::MIN])),
        (vec![usize::MAX, 2], None),
        (vec![1 << 63, 1 << 63], None),
        (vec![usize::MAX], Some(vec![0])),
    ];
    for (shape, strides) in cases {
        let r = NdArray::new(
            &data,
            &shape,
            strides.as_deref(),
            0,
            "B",
            1,
            NdFlags::default(),
        );
        let (kind, message) = err(r.map(|_| ()));
        assert!(
            matches!(
                kind,
                ExceptionKind::ValueError | ExceptionKind::OverflowError
            ),
            "{shape:?} {strides:?}: {kind:?}: {message}"
        );
    }
    // A huge offset.
    let (kind, _) =
        err(NdArray::new(&data, &[2], None, isize::MAX, "B", 1, NdFlags::default()).map(|_| ()));
    assert_eq!(kind, ExceptionKind::ValueError);
}

#[derive(Clone)]
struct Shaped {
    data: Rc<[Cell<u8>]>,
    shape: Vec<usize>,
    strides: Option<Vec<isize>>,
}

impl SafeExporter for Shaped {
    fn export(&self, _flags: BufferFlags) -> Result<Export> {
        Export::cells(self.data.clone()).with_shape(self.shape.clone(), self.strides.clone())
    }
    fn type_name(&self) -> &'static str {
        "Shaped"
    }
}

#[test]
fn safe_exporter_layouts_that_overflow_are_refused() {
    // A user exporter describing an impossible layout gets an error, not a view.
    let data: Rc<[Cell<u8>]> = (0..16).map(Cell::new).collect();
    let big = 1usize << 62;
    let cases: Vec<(Vec<usize>, Option<Vec<isize>>)> = vec![
        (vec![big, big], None),
        (vec![usize::MAX], None),
        (vec![2, 2], Some(vec![isize::MAX, 1])),
        (vec![2], Some(vec![isize::MIN])),
        (vec![1 << 40, 1 << 40], Some(vec![0, 0])),
        (vec![17], None),
    ];
    for (shape, strides) in cases {
        let e = Shaped {
            data: data.clone(),
            shape: shape.clone(),
            strides: strides.clone(),
        };
        let (kind, message) = err(MemoryView::new(&e).map(|_| ()));
        assert!(
            matches!(
                kind,
                ExceptionKind::ValueError | ExceptionKind::OverflowError
            ),
            "{shape:?} {strides:?}: {kind:?}: {message}"
        );
    }
    // A zero anywhere makes the product zero, however big the other dimensions.
    let empty = Shaped {
        data,
        shape: vec![big, 0],
        strides: Some(vec![1, 1]),
    };
    let m = MemoryView::new(&empty).unwrap();
    assert_eq!((m.nbytes().unwrap(), m.tobytes().unwrap().len()), (0, 0));
    // m.tolist() would be 2**62 empty lists: CPython raises MemoryError.
    let (kind, message) = err(m.tolist());
    assert_eq!(kind, ExceptionKind::MemoryError, "{message}");
}

#[test]
fn raw_descriptors_that_overflow_fail_validation() {
    let mut byte = 0u8;
    let buf = std::ptr::from_mut(&mut byte);
    let big = 1usize << 62;
    let bad = [
        RawBuffer::full(buf, 1, true, "B", vec![big, big], vec![1, 1], None, None),
        RawBuffer::full(buf, 8, true, "d", vec![big], vec![8], None, None),
        RawBuffer::full(buf, 1, true, "B", vec![3], vec![isize::MAX], None, None),
        RawBuffer::full(buf, 1, true, "B", vec![3], vec![isize::MIN], None, None),
        RawBuffer::full(buf, 1, true, "B", vec![1; 65], vec![1; 65], None, None),
    ];
    for raw in bad {
        let shape = raw.shape.clone();
        let e = raw.validate().expect_err("must not validate");
        assert!(
            matches!(
                e.kind(),
                ExceptionKind::ValueError | ExceptionKind::OverflowError
            ),
            "{shape:?}: {e}"
        );
    }
}

#[test]
fn slicing_with_extreme_bounds_and_steps_stays_in_range() {
    // m[-2**63:2**63-1:2**63-1], m[::-2**63+1] ... (Python clamps slice bounds).
    let v = VecBuffer::new((0u8..10).collect::<Vec<_>>());
    let m = MemoryView::new(&v).unwrap();
    let extremes = [None, Some(isize::MIN), Some(isize::MAX), Some(-1), Some(0)];
    for start in extremes {
        for stop in extremes {
            for step in [None, Some(isize::MIN), Some(isize::MAX), Some(-1), Some(3)] {
                let s = Slice::new(start, stop, step);
                let sub = m.get(s).unwrap().into_view().unwrap();
                let n = sub.nbytes().unwrap();
                assert!(n <= 10);
                assert_eq!(sub.tobytes().unwrap().len(), n);
            }
        }
    }
    for i in [isize::MIN, isize::MAX, 10, -11] {
        assert_eq!(
            err(m.get(i).map(|_| ())),
            (
                ExceptionKind::IndexError,
                "index out of bounds on dimension 1".to_owned()
            )
        );
    }
}

// ----- many dimensions -----------------------------------------------------------------

/// A view of `2^twos` bytes with 64 dimensions, `twos` of them of size 2.
fn view_64d(twos: usize) -> (VecBuffer<u8>, MemoryView) {
    let n = 1usize << twos;
    let v = VecBuffer::new((0..n).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    let mut shape = vec![1isize; 64];
    // Spread the twos out among the ones.
    for k in 0..twos {
        shape[k * 64 / twos.max(1)] = 2;
    }
    let m = MemoryView::new(&v)
        .unwrap()
        .cast("B", Some(&shape))
        .unwrap();
    (v, m)
}

fn check_64d(twos: usize) {
    // m = memoryview(bytes(range(2**twos))).cast('B', shape) with len(shape) == 64
    let (v, m) = view_64d(twos);
    assert_eq!(m.ndim().unwrap(), 64);
    let n = 1usize << twos;
    assert_eq!(m.nbytes().unwrap(), n);
    assert_eq!(m.tobytes().unwrap(), v.to_vec());
    assert_eq!(m.tobytes_order(Some("F")).unwrap().len(), n);
    assert!(m.c_contiguous().unwrap());
    // m.tolist() nests 64 deep; flatten it back.
    fn flatten(v: &Value, out: &mut Vec<u8>, depth: usize) -> usize {
        match v {
            Value::List(items) => {
                let mut d = 0;
                for i in items {
                    d = flatten(i, out, depth + 1);
                }
                d
            }
            Value::Int(i) => {
                out.push(u8::try_from(*i).unwrap());
                depth
            }
            other => panic!("unexpected {other}"),
        }
    }
    let mut flat = Vec::new();
    assert_eq!(flatten(&m.tolist().unwrap(), &mut flat, 0), 64);
    assert_eq!(flat, v.to_vec());
    // m[0, 0, ..., 0] and the last item; m[(1,)*64] on a dimension of size 1 is an error.
    let shape = m.shape().unwrap();
    let last: Vec<isize> = shape.iter().map(|&d| d as isize - 1).collect();
    assert_eq!(
        m.get(Subscript::Tuple(vec![Index::Int(0); 64]))
            .unwrap()
            .to_string(),
        v.get(0).unwrap().to_string()
    );
    assert_eq!(
        m.get(Subscript::Tuple(last.iter().map(|&i| i.into()).collect()))
            .unwrap()
            .to_string(),
        v.get(n - 1).unwrap().to_string()
    );
    m.set(
        Subscript::Tuple(last.iter().map(|&i| i.into()).collect()),
        &Value::Int(255),
    )
    .unwrap();
    assert_eq!(v.get(n - 1), Some(255));
    let (kind, message) = err(m.get(Subscript::Tuple(vec![Index::Int(1); 64])).map(|_| ()));
    assert_eq!(kind, ExceptionKind::IndexError, "{message}");
    // 65 indices: too many.
    let (kind, _) = err(m.get(Subscript::Tuple(vec![Index::Int(0); 65])).map(|_| ()));
    assert_eq!(kind, ExceptionKind::TypeError);
    // Sub-views peel dimensions one at a time (the extension): m[0] has 63 dimensions.
    let sub = m.get(0).unwrap().into_view().unwrap();
    assert_eq!(sub.ndim().unwrap(), 63);
    // Back to 1-D.
    let flat_view = m.cast("B", None).unwrap();
    assert_eq!(flat_view.tobytes().unwrap(), v.to_vec());
}

#[test]
fn view_with_64_dimensions() {
    check_64d(8);
    check_64d(0);
}

#[test]
fn ndarray_with_64_dimensions_and_mixed_strides() {
    // ndarray(list(range(16)), shape=[1]*60+[2]*4, format='B'), then reversed strides.
    let data: Vec<u8> = (0..16).collect();
    let mut shape = vec![1usize; 60];
    shape.extend([2, 2, 2, 2]);
    let nd = NdArray::new(&data, &shape, None, 0, "B", 1, NdFlags::default()).unwrap();
    let m = MemoryView::new(&nd).unwrap();
    assert_eq!(m.ndim().unwrap(), 64);
    assert_eq!(m.tobytes().unwrap(), data);
    let mut strides = vec![1isize; 60];
    strides.extend([-8, 4, -2, 1]);
    let nd = NdArray::new(
        &data,
        &shape,
        Some(&strides),
        10,
        "B",
        1,
        NdFlags::default(),
    )
    .unwrap();
    let m = MemoryView::new(&nd).unwrap();
    let bytes = m.tobytes().unwrap();
    assert_eq!(bytes.len(), 16);
    assert!(!m.c_contiguous().unwrap());
    assert_eq!(
        err(m.cast("B", None).map(|_| ())),
        (
            ExceptionKind::TypeError,
            "memoryview: casts are restricted to C-contiguous views".to_owned()
        )
    );
    // PIL-style suboffsets with 64 dimensions.
    let pil = NdArray::new(
        &data,
        &shape,
        None,
        0,
        "B",
        1,
        NdFlags {
            pil: true,
            ..NdFlags::default()
        },
    )
    .unwrap();
    let m = MemoryView::new(&pil).unwrap();
    assert_eq!(m.suboffsets().unwrap().len(), 64);
    assert_eq!(m.tobytes().unwrap(), data);
}

#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_view_with_64_dimensions_and_a_million_items() {
    check_64d(20);
}

// ----- many exports --------------------------------------------------------------------

fn many_exports(n: usize) {
    // views = [memoryview(b) for _ in range(n)]; b.append(1) -> BufferError; release all.
    let b = ByteArray::from_bytes(b"abc");
    let views: Vec<MemoryView> = (0..n).map(|_| MemoryView::new(&b).unwrap()).collect();
    assert_eq!(b.exports(), n);
    assert_eq!(
        err(b.resize(4)),
        (
            ExceptionKind::BufferError,
            "Existing exports of data: object cannot be re-sized".to_owned()
        )
    );
    // In-place writes stay allowed.
    views[n / 2].set(0, &Value::Int(b'z'.into())).unwrap();
    assert_eq!(b.get(0).unwrap(), b'z');
    // Release in an interleaved order; every other view keeps working.
    for v in views.iter().step_by(2) {
        v.release().unwrap();
    }
    assert_eq!(b.exports(), n / 2);
    assert_eq!(views[1].tobytes().unwrap(), b"zbc");
    assert!(b.resize(4).is_err());
    drop(views);
    assert_eq!(b.exports(), 0);
    b.resize(4).unwrap();
    assert_eq!(b.to_vec(), b"zbc\0");

    // Raw descriptors: n exports of an array, all counted until dropped.
    let a = Array::from_values('i', &[Value::Int(1)]).unwrap();
    let raws: Vec<RawBuffer> = (0..n)
        .map(|_| a.get_buffer(BufferFlags::FULL_RO).unwrap())
        .collect();
    assert_eq!(a.exports(), n);
    assert_eq!(
        err(a.append(&Value::Int(2))),
        (
            ExceptionKind::BufferError,
            "cannot resize an array that is exporting buffers".to_owned()
        )
    );
    drop(raws);
    a.append(&Value::Int(2)).unwrap();

    // n derived views of one view share a single export.
    let v = VecBuffer::new(vec![1u16, 2, 3]);
    let m = MemoryView::new(&v).unwrap();
    let derived: Vec<MemoryView> = (0..n)
        .map(|i| match i % 3 {
            0 => m.toreadonly().unwrap(),
            1 => m.cast("B", None).unwrap(),
            _ => m
                .get(Slice::new(Some(1), None, None))
                .unwrap()
                .into_view()
                .unwrap(),
        })
        .collect();
    assert_eq!(v.exports(), 1);
    m.release().unwrap();
    let expect = if (n - 1) % 3 == 2 { 4 } else { 6 };
    assert_eq!(derived[n - 1].tobytes().unwrap().len(), expect);
    drop(derived);
    assert_eq!(v.exports(), 0);

    // A view re-exported n times refuses release until every descriptor is gone.
    let m = MemoryView::new(&b).unwrap();
    let reexports: Vec<RawBuffer> = (0..n)
        .map(|_| m.get_buffer(BufferFlags::FULL_RO).unwrap())
        .collect();
    assert_eq!(
        err(m.release()),
        (
            ExceptionKind::BufferError,
            format!("memoryview has {n} exported buffers")
        )
    );
    drop(reexports);
    m.release().unwrap();
    assert_eq!(b.exports(), 0);
}

#[test]
fn many_live_exports_on_one_object() {
    many_exports(if cfg!(miri) { 10 } else { 1000 });
}

#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_ten_thousand_live_exports_on_one_object() {
    many_exports(10_000);
}

// ----- panicking exporter callbacks ------------------------------------------------------

/// A user exporter whose callbacks panic on request: in `export` before or after taking
/// its export guard, or in the end-of-export token's `Drop`.
#[derive(Clone)]
struct Panicky {
    data: Rc<[Cell<u8>]>,
    exports: Rc<ExportCount>,
    mode: Rc<Cell<u8>>,
}

const CALM: u8 = 0;
const BEFORE_GUARD: u8 = 1;
const AFTER_GUARD: u8 = 2;
const IN_RELEASE: u8 = 3;

struct Token {
    _guard: pymemory_buffer::ExportGuard,
    panic_on_drop: bool,
}

impl Drop for Token {
    fn drop(&mut self) {
        // The guard field is still dropped while this panic unwinds.
        if self.panic_on_drop && !std::thread::panicking() {
            panic!("user Drop of the export token panics");
        }
    }
}

impl Panicky {
    fn new() -> Panicky {
        Panicky {
            data: (0..8).map(Cell::new).collect(),
            exports: Rc::default(),
            mode: Rc::default(),
        }
    }
    /// A resize as an exporter with CPython's resize lock would do it.
    fn resize(&self) -> Result<()> {
        self.exports
            .check_resize("Existing exports of data: object cannot be re-sized")
    }
}

impl SafeExporter for Panicky {
    fn export(&self, _flags: BufferFlags) -> Result<Export> {
        if self.mode.get() == BEFORE_GUARD {
            panic!("user export panics before taking a guard");
        }
        let guard = self.exports.acquire();
        if self.mode.get() == AFTER_GUARD {
            panic!("user export panics holding a guard");
        }
        Ok(Export::cells(self.data.clone()).hold(Token {
            _guard: guard,
            panic_on_drop: self.mode.get() == IN_RELEASE,
        }))
    }
    fn type_name(&self) -> &'static str {
        "Panicky"
    }
}

fn quiet<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    catch_unwind(AssertUnwindSafe(f))
}

#[test]
fn safe_exporter_panics_leave_counts_and_buffers_consistent() {
    let p = Panicky::new();
    let live = MemoryView::new(&p).unwrap();
    for mode in [BEFORE_GUARD, AFTER_GUARD] {
        p.mode.set(mode);
        assert!(quiet(|| MemoryView::new(&p)).is_err(), "mode {mode}");
        assert!(quiet(|| p.get_buffer(BufferFlags::FULL_RO)).is_err());
        // The panicking exports left no count behind: only `live` holds one.
        assert_eq!(p.exports.get(), 1, "mode {mode}");
        assert!(p.resize().is_err());
    }
    // The view taken before still reads and writes.
    live.set(0, &Value::Int(42)).unwrap();
    assert_eq!(
        live.tolist().unwrap().to_string(),
        "[42, 1, 2, 3, 4, 5, 6, 7]"
    );
    drop(live);
    assert_eq!(p.exports.get(), 0);
    p.resize().unwrap();
    p.mode.set(CALM);
    let again = MemoryView::new(&p).unwrap();
    assert_eq!(again.tobytes().unwrap()[0], 42);
}

#[test]
fn a_panic_when_the_export_ends_still_ends_it() {
    // The token's Drop panics while the last view is dropped or released.
    let p = Panicky::new();
    p.mode.set(IN_RELEASE);
    let m = MemoryView::new(&p).unwrap();
    let child = m
        .get(Slice::new(Some(2), None, None))
        .unwrap()
        .into_view()
        .unwrap();
    p.mode.set(CALM);
    assert_eq!(p.exports.get(), 1);
    m.release().unwrap(); // the child still holds the export: nothing runs yet
    assert_eq!(child.tobytes().unwrap(), [2, 3, 4, 5, 6, 7]);
    assert!(
        quiet(move || child.release()).is_err(),
        "the token's Drop panics"
    );
    assert_eq!(
        p.exports.get(),
        0,
        "the guard was dropped during the unwind"
    );
    p.resize().unwrap();
    let m = MemoryView::new(&p).unwrap();
    assert_eq!(m.tobytes().unwrap(), [0, 1, 2, 3, 4, 5, 6, 7]);

    // Same through a drop instead of release, and through a raw descriptor.
    p.mode.set(IN_RELEASE);
    let v = MemoryView::new(&p).unwrap();
    let raw = p.get_buffer(BufferFlags::SIMPLE).unwrap();
    p.mode.set(CALM);
    assert_eq!(p.exports.get(), 3);
    assert!(quiet(move || drop(v)).is_err());
    assert!(quiet(move || drop(raw)).is_err());
    assert_eq!(p.exports.get(), 1, "only `m` is left");
    drop(m);
    p.resize().unwrap();
}

/// An `unsafe` exporter whose `get_buffer` panics after counting an export, the way a
/// careless implementation might: the count is restored by the guard's unwinding drop.
#[derive(Clone)]
struct RawPanicky {
    data: Rc<[Cell<u8>]>,
    exports: Rc<ExportCount>,
    panic: Rc<Cell<bool>>,
}

// SAFETY: the descriptor addresses the `data` slice (8 bytes of `Cell<u8>`, written only
// through raw pointers), which the descriptor's `keep_alive` keeps alive; it is never
// resized; the descriptor is built by `fill_info` (1-D, consistent, non-null).
unsafe impl BufferExporter for RawPanicky {
    fn get_buffer(&self, flags: BufferFlags) -> Result<RawBuffer> {
        let guard = self.exports.acquire();
        assert!(!self.panic.get(), "user get_buffer panics");
        let ptr = self.data.as_ptr().cast::<u8>().cast_mut();
        let raw = RawBuffer::fill_info(ptr, self.data.len(), false, flags)?;
        Ok(raw.hold((guard, self.data.clone())))
    }
    fn type_name(&self) -> &'static str {
        "RawPanicky"
    }
}

#[test]
fn unsafe_exporter_panic_in_get_buffer_leaves_no_export() {
    let e = RawPanicky {
        data: (0..8).map(Cell::new).collect(),
        exports: Rc::default(),
        panic: Rc::default(),
    };
    let m = MemoryView::new(&e).unwrap();
    e.panic.set(true);
    assert!(quiet(|| MemoryView::new(&e)).is_err());
    assert!(quiet(|| MemoryView::from_flags(&e, BufferFlags::SIMPLE)).is_err());
    assert_eq!(e.exports.get(), 1);
    e.panic.set(false);
    // Views derived after the panic share the good export.
    let s = m.cast("B", Some(&[2, 4])).unwrap();
    s.set([1, 3], &Value::Int(99)).unwrap();
    assert_eq!(e.data[7].get(), 99);
    drop((m, s));
    assert_eq!(e.exports.get(), 0);
    let again = MemoryView::new(&e).unwrap();
    assert_eq!(again.nbytes().unwrap(), 8);
}

#[test]
fn a_panic_inside_with_releases_the_view() {
    // with memoryview(b) as m: raise ...  -> the view is released, b can resize.
    let b = ByteArray::from_bytes(b"xyz");
    let m = MemoryView::new(&b).unwrap();
    let r = quiet(|| {
        m.with(|v| {
            v.set(0, &Value::Int(b'a'.into())).unwrap();
            panic!("user code panics inside `with`");
        })
    });
    assert!(r.is_err());
    assert!(
        m.is_released(),
        "the guard released the view while unwinding"
    );
    assert_eq!(b.exports(), 0);
    b.resize(1).unwrap();
    assert_eq!(b.to_vec(), b"a");
}

// ----- bytearray growth that cannot be allocated -----------------------------------------

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri stops at huge allocations instead of failing them"
)]
fn bytearray_resize_to_a_huge_size_is_a_memory_error() {
    // bytearray().resize(sys.maxsize) -> MemoryError (CPython: an empty message)
    let b = ByteArray::from_bytes(b"ab");
    for n in [isize::MAX, isize::MAX - 7, isize::MAX / 2, 1 << 60] {
        let (kind, _) = err(b.resize(n));
        assert_eq!(kind, ExceptionKind::MemoryError, "resize({n})");
        assert_eq!(b.to_vec(), b"ab", "a failed resize keeps the bytes");
    }
    b.resize(3).unwrap();
    assert_eq!(b.to_vec(), b"ab\0");
}

// ----- regressions from the fuzz targets --------------------------------------------------

#[test]
fn fuzz_memoryview_smoke_programs() {
    // A few of the fuzz target's invariants on fixed programs, so that `cargo test` keeps
    // them even where cargo-fuzz is not installed.
    let b = Bytes::from(vec![1u8, 2, 3, 4]);
    let m = MemoryView::new(&b).unwrap();
    let r = m
        .get(Slice::new(None, None, Some(-1)))
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(r.tobytes().unwrap(), [4, 3, 2, 1]);
    assert_eq!(r.hex().unwrap().len(), 8);
    assert_eq!(
        r.set(0, &Value::Int(0)).unwrap_err().to_string(),
        "TypeError: cannot modify read-only memory"
    );
}

// ----- an 8 GB sparse file ----------------------------------------------------------------

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
#[ignore = "stress: run by scripts/stress.sh"]
fn stress_views_over_an_8_gb_sparse_mapped_file() {
    use std::io::{Read, Seek, SeekFrom};
    const SIZE: u64 = 8 << 30;
    let dir = std::env::temp_dir();
    let file = TempFile(dir.join(format!("pymemory-stress-{}.bin", std::process::id())));
    let f = std::fs::File::create(&file.0).unwrap();
    f.set_len(SIZE).unwrap(); // sparse: no blocks written
    drop(f);
    let rss_before = rss_kib();

    let map = MmapBuffer::open_rw(&file.0).unwrap();
    assert_eq!(map.len() as u64, SIZE);
    let m = MemoryView::new(&map).unwrap();
    assert_eq!(m.nbytes().unwrap() as u64, SIZE);
    let size = SIZE as isize;
    // Slices at the start, the middle (across the 4 GB boundary) and the end.
    for start in [0, size / 2 - 8, size - 16] {
        let s = m
            .get(Slice::new(Some(start), Some(start + 16), None))
            .unwrap()
            .into_view()
            .unwrap();
        assert_eq!(s.tobytes().unwrap(), [0; 16]);
        let q = s.cast("<Q", None).unwrap();
        q.set(
            1,
            &Value::Int(0x0102_0304_0506_0708 + i128::from(start as i64)),
        )
        .unwrap();
        assert_eq!(
            q.get(1).unwrap().to_string(),
            (0x0102_0304_0506_0708i64 + start as i64).to_string()
        );
    }
    // m[-1] = 255; a strided view over the whole file: every 2**30th byte.
    m.set(-1, &Value::Int(255)).unwrap();
    let every = m
        .get(Slice::new(None, None, Some(1 << 30)))
        .unwrap()
        .into_view()
        .unwrap();
    assert_eq!(every.len().unwrap(), 8);
    // A cast of the whole file to 8-byte items, indexed at the end.
    let words = m.cast("Q", None).unwrap();
    assert_eq!(words.len().unwrap() as u64, SIZE / 8);
    let last = (0x0102_0304_0506_0708u64 + (SIZE - 16)) & 0x00ff_ffff_ffff_ffff | 0xff << 56;
    assert_eq!(words.get(-1).unwrap().to_string(), last.to_string());
    map.flush().unwrap();
    let rss_after = rss_kib();
    drop((every, words, m));

    // The writes reached the file.
    let mut f = std::fs::File::open(&file.0).unwrap();
    let mut word = [0u8; 8];
    for start in [0u64, SIZE / 2 - 8, SIZE - 16] {
        f.seek(SeekFrom::Start(start + 8)).unwrap();
        f.read_exact(&mut word).unwrap();
        let expect = if start == SIZE - 16 {
            (0x0102_0304_0506_0708u64 + start) & 0x00ff_ffff_ffff_ffff | 0xff << 56
        } else {
            0x0102_0304_0506_0708u64 + start
        };
        assert_eq!(u64::from_le_bytes(word), expect, "at {start}");
    }
    // A view of a range far into the file maps only that range.
    let tail = MmapBuffer::open_range(&file.0, SIZE - 4096, 4096).unwrap();
    let t = MemoryView::new(&tail).unwrap();
    assert_eq!(t.get(-1).unwrap().to_string(), "255");
    let grown = rss_after.saturating_sub(rss_before);
    eprintln!("8 GB sparse file: RSS grew by {grown} KiB (before {rss_before} KiB)");
    assert!(
        grown < 64 * 1024,
        "RSS grew by {grown} KiB viewing an 8 GB file"
    );
}

// ----- more rejected inputs for docs/errors.md --------------------------------------------

#[test]
fn hashing_views_of_unhashable_or_writable_exporters_is_refused() {
    // hash(memoryview(bytearray(b'a')).toreadonly()) -> TypeError: unhashable type: 'bytearray'
    let b = ByteArray::from_bytes(b"a");
    let m = MemoryView::new(&b).unwrap();
    assert_eq!(
        err(m.toreadonly().unwrap().hash()),
        (
            ExceptionKind::TypeError,
            "unhashable type: 'bytearray'".to_owned()
        )
    );
    // hash(memoryview(bytearray(b'a'))) -> ValueError: cannot hash writable memoryview object
    assert_eq!(
        err(m.hash()),
        (
            ExceptionKind::ValueError,
            "cannot hash writable memoryview object".to_owned()
        )
    );
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot map files")]
fn mapping_a_range_beyond_the_end_of_a_file_is_an_io_error() {
    let dir = std::env::temp_dir();
    let file = TempFile(dir.join(format!("pymemory-range-{}.bin", std::process::id())));
    std::fs::write(&file.0, [1u8; 16]).unwrap();
    for (offset, len) in [(0, 17), (16, 1), (u64::MAX, 1), (8, usize::MAX)] {
        let e = MmapBuffer::open_range(&file.0, offset, len).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{offset} {len}");
        assert!(MmapBuffer::open_rw_range(&file.0, offset, len).is_err());
        assert!(MmapBuffer::open_private_range(&file.0, offset, len).is_err());
    }
    let missing = dir.join("pymemory-no-such-file.bin");
    assert_eq!(
        MmapBuffer::open(&missing).map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    // A file that grows while mapped: the view keeps the length it was made with.
    let map = MmapBuffer::open(&file.0).unwrap();
    let m = MemoryView::new(&map).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file.0)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &[2u8; 100]))
        .unwrap();
    assert_eq!(m.nbytes().unwrap(), 16);
    assert_eq!(m.tobytes().unwrap(), [1u8; 16]);
}

/// An exporter returning an inconsistent descriptor (ndim disagreeing with the shape,
/// more than 64 dimensions, a null pointer): the view refuses it.
#[derive(Clone)]
struct Inconsistent {
    data: Rc<[Cell<u8>]>,
    case: u8,
}

// SAFETY: every descriptor addresses only `data` (8 bytes kept alive by `keep_alive`, never
// resized, written through raw pointers only) or is refused by the view's validation
// before any access; the inconsistencies are the point of the test and are all caught by
// `RawBuffer::validate` before memory is touched.
unsafe impl BufferExporter for Inconsistent {
    fn get_buffer(&self, _flags: BufferFlags) -> Result<RawBuffer> {
        let ptr = self.data.as_ptr().cast::<u8>().cast_mut();
        let mut raw = RawBuffer::full(ptr, 1, true, "B", vec![8], vec![1], None, None)
            .hold(self.data.clone());
        match self.case {
            0 => raw.ndim = 2,
            1 => {
                raw.ndim = 65;
                raw.shape = Some(vec![1; 65]);
                raw.strides = Some(vec![1; 65]);
            }
            2 => raw.buf = std::ptr::null_mut(),
            _ => raw.suboffsets = Some(vec![0, 0]),
        }
        Ok(raw)
    }
    fn type_name(&self) -> &'static str {
        "Inconsistent"
    }
}

#[test]
fn inconsistent_exporter_descriptors_are_refused() {
    let data: Rc<[Cell<u8>]> = (0..8).map(Cell::new).collect();
    for (case, want) in [
        (0, "memoryview: exporter returned inconsistent ndim"),
        (1, "memoryview: number of dimensions must not exceed 64"),
        (2, "PyMemoryView_FromBuffer(): info->buf must not be NULL"),
        (3, "memoryview: exporter returned inconsistent ndim"),
    ] {
        let e = Inconsistent {
            data: data.clone(),
            case,
        };
        assert_eq!(
            err(MemoryView::new(&e).map(|_| ())),
            (ExceptionKind::ValueError, want.to_owned()),
            "case {case}"
        );
    }
}

#[test]
fn zero_dimensional_views_refuse_len_and_int_indexes() {
    // m = memoryview(b'abcd').cast('i', []): len(m), m[0]
    let b = Bytes::from(vec![1u8, 0, 0, 0]);
    let m = MemoryView::new(&b).unwrap().cast("i", Some(&[])).unwrap();
    assert_eq!(
        err(m.len()),
        (
            ExceptionKind::TypeError,
            "0-dim memory has no length".to_owned()
        )
    );
    assert_eq!(
        err(m.get(0).map(|_| ())),
        (
            ExceptionKind::TypeError,
            "invalid indexing of 0-dim memory".to_owned()
        )
    );
    assert_eq!(m.get(()).unwrap().to_string(), "1"); // m[()]
}

/// `SIGBUS` child: truncate a mapped file, then read the vanished page.
const SIGBUS_CHILD: &str = "PYMEMORY_HARDENING_SIGBUS_CHILD";

#[test]
fn a_mapped_file_truncated_underneath_faults_instead_of_reading_garbage() {
    // The documented limit of file mappings (MmapBuffer docs, docs/errors.md): a file that
    // another party shrinks while it is mapped makes access fault. The process dies with
    // SIGBUS; it never reads stale or foreign memory. Checked in a child process.
    if let Ok(path) = std::env::var(SIGBUS_CHILD) {
        let map = MmapBuffer::open(&path).unwrap();
        let m = MemoryView::new(&map).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        let _ = m.get(8192); // the page past the new end: SIGBUS
        std::process::exit(0); // not reached
    }
    if cfg!(miri) {
        return; // Miri cannot map files.
    }
    use std::os::unix::process::ExitStatusExt;
    let file =
        TempFile(std::env::temp_dir().join(format!("pymemory-sigbus-{}.bin", std::process::id())));
    std::fs::write(&file.0, vec![7u8; 3 * 4096]).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_mapped_file_truncated_underneath_faults_instead_of_reading_garbage",
            "--test-threads=1",
        ])
        .env(SIGBUS_CHILD, &file.0)
        .output()
        .unwrap();
    assert_eq!(
        out.status.signal(),
        Some(7),
        "expected SIGBUS, got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fuzz_regression_wide_char_arrays_check_items_before_exports() {
    // From the memoryview fuzz target (harness findings, pymemory agreed with CPython):
    // a = array('w'); a.frombytes(b'\xff\xff\xff\x7f'); m = memoryview(a)
    // a.append(1)   -> TypeError (the item is checked before the resize lock)
    // a.pop()       -> ValueError (the item is decoded before the resize lock)
    // m.tolist()    -> ValueError (pymemory's extension: CPython 3.14 raises
    //                  NotImplementedError: memoryview: format w not supported)
    let a = Array::from_bytes('w', &[0xff, 0xff, 0xff, 0x7f]).unwrap();
    let m = MemoryView::new(&a).unwrap();
    let (kind, message) = err(a.append(&Value::Int(1)));
    assert_eq!(kind, ExceptionKind::TypeError, "{message}");
    let (kind, message) = err(a.pop(None));
    assert_eq!(
        (kind, message.as_str()),
        (
            ExceptionKind::ValueError,
            "character U+7fffffff is not in range [U+0000; U+10ffff]"
        )
    );
    let (kind, _) = err(m.tolist());
    assert_eq!(kind, ExceptionKind::ValueError);
    // A valid item is refused by the resize lock, and the array is unchanged.
    assert_eq!(
        err(a.append(&Value::Str("x".into()))).0,
        ExceptionKind::BufferError
    );
    assert_eq!(a.len(), 1);
    drop(m);
    a.append(&Value::Str("x".into())).unwrap();
}

#[test]
fn fuzz_regression_views_with_zeros_in_shape_do_not_cast() {
    // From the memoryview fuzz target (a harness finding, pymemory agreed with CPython):
    // memoryview(ndarray([1, 2, 3], shape=[0, 3], format='B')).cast('B')
    // -> TypeError: memoryview: cannot cast view with zeros in shape or strides
    let nd = NdArray::new(&[1, 2, 3], &[0, 3], None, 0, "B", 1, NdFlags::default()).unwrap();
    let m = MemoryView::new(&nd).unwrap();
    assert!(m.c_contiguous().unwrap());
    assert_eq!(
        err(m.cast("B", None).map(|_| ())),
        (
            ExceptionKind::TypeError,
            "memoryview: cannot cast view with zeros in shape or strides".to_owned()
        )
    );
    assert_eq!(m.tobytes().unwrap(), Vec::<u8>::new());
    assert_eq!(m.tolist().unwrap().to_string(), "[]");
}

#[test]
fn empty_reversed_slices_re_export() {
    // From the memoryview fuzz target: m = memoryview(empty); s = m[::-8]; memoryview(s)
    // via the buffer protocol. `init_slice` moves `buf` by `start * stride` with
    // `start == -1` for an empty dimension and a negative step: over the dangling pointer
    // of an empty Vec (0x1) or bytearray (0x8) that is NULL, and the re-exported
    // descriptor fails validation (`PyMemoryView_FromBuffer(): info->buf must not be
    // NULL`) where Python gives an empty memoryview. Fixed in `slice_dim`: `buf` stays
    // where it is when the sliced dimension is empty.
    let v = VecBuffer::new(Vec::<u8>::new());
    let b = ByteArray::new();
    for m in [MemoryView::new(&v).unwrap(), MemoryView::new(&b).unwrap()] {
        for step in [-1, -8, -1000] {
            let s = m
                .get(Slice::new(None, None, Some(step)))
                .unwrap()
                .into_view()
                .unwrap();
            let raw = s.get_buffer(BufferFlags::FULL_RO).unwrap();
            raw.validate().unwrap();
            let again = MemoryView::new(&s).unwrap();
            assert_eq!(again.tobytes().unwrap(), Vec::<u8>::new());
        }
    }
    // 2-D: a zero-length first dimension sliced backwards.
    let nd = NdArray::new(&[1, 2, 3, 4], &[0, 2], None, 0, "h", 2, NdFlags::default()).unwrap();
    let m = MemoryView::new(&nd).unwrap();
    let s = m
        .get(Slice::new(None, None, Some(-1)))
        .unwrap()
        .into_view()
        .unwrap();
    s.get_buffer(BufferFlags::FULL_RO)
        .unwrap()
        .validate()
        .unwrap();
}

#[test]
fn fuzz_regression_ellipsis_of_a_0_dim_view_is_the_view_itself() {
    // From the memoryview fuzz target (a harness finding, pymemory agreed with CPython):
    // m = memoryview(b'abcd').cast('i', []); m[...] is m, so a re-export of `m[...]` is a
    // re-export of `m`: m.release() -> BufferError: memoryview has 1 exported buffer
    let b = Bytes::from(vec![1u8, 0, 0, 0]);
    let m = MemoryView::new(&b).unwrap().cast("i", Some(&[])).unwrap();
    let same = m.get(Index::Ellipsis).unwrap().into_view().unwrap();
    assert!(same.is(&m));
    let raw = same.get_buffer(BufferFlags::FULL_RO).unwrap();
    assert_eq!(
        err(m.release()),
        (
            ExceptionKind::BufferError,
            "memoryview has 1 exported buffer".to_owned()
        )
    );
    drop(raw);
    m.release().unwrap();
    assert!(same.is_released());
}

// ----- large results ---------------------------------------------------------------------

/// Results above 8 MiB are allocated with huge-page advice (`raw::advise_huge_pages`):
/// the advice must change no value, in either `tolist` (contiguous, reversed, 2-D) or
/// `array.tolist()`.
#[test]
fn large_tolist_results_keep_every_value() {
    // memoryview(array('q', xs)).tolist() == xs, also for m[::-1] and m.cast('B').cast('q', [rows, 4])
    let n: i64 = if cfg!(miri) { 64 } else { 400_000 }; // 400k Values = 12.8 MB
    let xs: Vec<i64> = (0..n).map(|i| i * 7 - 3).collect();
    let v = VecBuffer::new(xs.clone());
    let m = MemoryView::new(&v).unwrap();
    let ints = |it: &mut dyn Iterator<Item = i64>| it.map(|x| Value::Int(x.into())).collect();
    let want: Vec<Value> = ints(&mut xs.iter().copied());
    assert_eq!(m.tolist().unwrap(), Value::List(want.clone()));

    let rev = m
        .get(Slice::new(None, None, Some(-1)))
        .unwrap()
        .into_view()
        .unwrap();
    let rev_want: Vec<Value> = ints(&mut xs.iter().rev().copied());
    assert_eq!(rev.tolist().unwrap(), Value::List(rev_want));

    let rows = m
        .cast("B", None)
        .unwrap()
        .cast("q", Some(&[(n / 4) as isize, 4]))
        .unwrap();
    let Value::List(got) = rows.tolist().unwrap() else {
        panic!("not a list")
    };
    assert_eq!(got.len(), (n / 4) as usize);
    for (r, row) in got.iter().enumerate() {
        assert_eq!(
            row,
            &Value::List(want[r * 4..r * 4 + 4].to_vec()),
            "row {r}"
        );
    }

    let a = Array::from_slice(&xs);
    assert_eq!(a.tolist().unwrap(), want);
    let d: Vec<f64> = xs.iter().map(|&x| x as f64 / 4.0).collect();
    let fs: Vec<Value> = d.iter().map(|&x| Value::Float(x)).collect();
    assert_eq!(Array::from_slice(&d).tolist().unwrap(), fs);
}
