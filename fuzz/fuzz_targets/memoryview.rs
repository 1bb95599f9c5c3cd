//! Random memoryview programs decoded from the input, checked against invariants.
//!
//! The first bytes choose an exporter (bytes, bytearray, array.array, a Rust vector, or an
//! `_testbuffer.ndarray` twin with arbitrary shape, strides, offset and suboffsets); the
//! rest is a program of operations on a pool of views: new view, slice, cast, sub-view
//! from parsed Python subscript text, item get/set, `toreadonly`, re-export (holding a
//! raw descriptor), release, drop, tolist/tobytes/hex, `==`, count, and resize attempts
//! on the exporter.
//!
//! Invariants checked after every step:
//! - `len(m.tobytes()) == m.nbytes == product(shape) * itemsize`, in every order;
//!   `len(m.hex()) == 2 * m.nbytes`;
//! - `m.tolist()` nests exactly as `m.shape` says, and `m[i]` is `m.tolist()[i]`;
//! - a contiguous view cast to `B` has the same bytes;
//! - `m[i] = x` then `m[i]` gives `x`; a refused assignment leaves the item unchanged; on
//!   a read-only view it is `TypeError: cannot modify read-only memory`;
//! - releasing or dropping any view never breaks another view (children outlive parents);
//!   a released view raises `ValueError: operation forbidden on released memoryview
//!   object`; a view holding a re-export refuses `release` with `BufferError`;
//! - the exporter refuses to resize exactly while some view or descriptor holds an export,
//!   and accepts once they are all gone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymemory_buffer::{
    Array, BufferExporter, BufferFlags, ByteArray, Bytes, ExceptionKind, Item, MemoryView, NdArray,
    NdFlags, RawBuffer, Slice, Subscript, Value, VecBuffer,
};

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn small(&mut self) -> isize {
        isize::from(self.byte() as i8 % 12)
    }
    fn opt(&mut self) -> Option<isize> {
        let b = self.byte();
        (b & 1 == 1).then(|| isize::from((b as i8) >> 1) % 12)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Clone)]
enum Exporter {
    Bytes(Bytes),
    ByteArray(ByteArray),
    Array(Array),
    VecU8(VecBuffer<u8>),
    VecI32(VecBuffer<i32>),
    VecF64(VecBuffer<f64>),
    Nd(NdArray),
}

impl Exporter {
    fn view(&self) -> pymemory_buffer::Result<MemoryView> {
        match self {
            Exporter::Bytes(e) => MemoryView::new(e),
            Exporter::ByteArray(e) => MemoryView::new(e),
            Exporter::Array(e) => MemoryView::new(e),
            Exporter::VecU8(e) => MemoryView::new(e),
            Exporter::VecI32(e) => MemoryView::new(e),
            Exporter::VecF64(e) => MemoryView::new(e),
            Exporter::Nd(e) => MemoryView::new(e),
        }
    }
    fn raw(&self, flags: BufferFlags) -> pymemory_buffer::Result<RawBuffer> {
        match self {
            Exporter::Bytes(e) => e.get_buffer(flags),
            Exporter::ByteArray(e) => e.get_buffer(flags),
            Exporter::Array(e) => e.get_buffer(flags),
            Exporter::VecU8(e) => e.get_buffer(flags),
            Exporter::VecI32(e) => e.get_buffer(flags),
            Exporter::VecF64(e) => e.get_buffer(flags),
            Exporter::Nd(e) => e.get_buffer(flags),
        }
    }
    /// The live export count, where the exporter keeps one.
    fn exports(&self) -> Option<usize> {
        match self {
            Exporter::Bytes(_) => None,
            Exporter::ByteArray(e) => Some(e.exports()),
            Exporter::Array(e) => Some(e.exports()),
            Exporter::VecU8(e) => Some(e.exports()),
            Exporter::VecI32(e) => Some(e.exports()),
            Exporter::VecF64(e) => Some(e.exports()),
            Exporter::Nd(e) => Some(e.exports()),
        }
    }
    /// A resize attempt: `Some(result)` for resizable exporters.
    fn resize(&self, grow: bool) -> Option<pymemory_buffer::Result<()>> {
        match self {
            Exporter::ByteArray(b) => {
                let n = b.len() as isize;
                Some(b.resize(if grow || n == 0 { n + 1 } else { n - 1 }))
            }
            Exporter::Array(a) => Some(if grow || a.is_empty() {
                let one = if matches!(a.typecode(), 'u' | 'w') {
                    Value::Str("a".into())
                } else {
                    Value::Int(1)
                };
                a.append(&one)
            } else {
                // Not `pop`: it decodes the item first, and `u`/`w` items may hold no
                // code point (ValueError before the resize check, as in CPython).
                a.del_slice(Slice::new(Some(0), Some(1), None))
            }),
            _ => None,
        }
    }
}

/// (format, itemsize) pairs for casts and ndarrays: native codes and extension formats.
const FORMATS: &[(&str, usize)] = &[
    ("B", 1),
    ("b", 1),
    ("c", 1),
    ("?", 1),
    ("h", 2),
    ("H", 2),
    ("e", 2),
    ("i", 4),
    ("I", 4),
    ("f", 4),
    ("q", 8),
    ("d", 8),
    ("<i", 4),
    (">h", 2),
    ("2B", 2),
    ("T{<h:a:B:b:}", 3),
];

fn make_exporter(r: &mut Reader<'_>) -> Exporter {
    let kind = r.byte() % 7;
    let n = usize::from(r.byte() % 64);
    let data = r.bytes(n);
    match kind {
        0 => Exporter::Bytes(Bytes::from(data)),
        1 => Exporter::ByteArray(ByteArray::from_bytes(&data)),
        2 => {
            let codes = [
                'b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'f', 'd', 'u', 'w',
            ];
            let code = codes[usize::from(r.byte()) % codes.len()];
            let itemsize = Array::new(code).map(|a| a.itemsize()).unwrap_or(1);
            let cut = data.len() - data.len() % itemsize;
            Exporter::Array(Array::from_bytes(code, &data[..cut]).unwrap_or_else(|e| {
                // 'u'/'w' refuse invalid code points: fall back to bytes.
                assert!(matches!(code, 'u' | 'w'), "{code}: {e}");
                Array::new('B').unwrap()
            }))
        }
        3 => {
            if r.byte() & 1 == 0 {
                Exporter::VecU8(VecBuffer::new(data))
            } else {
                Exporter::VecU8(VecBuffer::read_only(data))
            }
        }
        4 => Exporter::VecI32(VecBuffer::new(
            data.chunks_exact(4)
                .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
                .collect(),
        )),
        5 => Exporter::VecF64(VecBuffer::new(
            data.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect(),
        )),
        _ => {
            let (format, itemsize) = FORMATS[usize::from(r.byte()) % FORMATS.len()];
            let ndim = usize::from(r.byte() % 4);
            let shape: Vec<usize> = (0..ndim).map(|_| usize::from(r.byte() % 5)).collect();
            let strides: Option<Vec<isize>> = (r.byte() & 1 == 1)
                .then(|| (0..ndim).map(|_| r.small() * itemsize as isize).collect());
            let offset = r.small().unsigned_abs() as isize * itemsize as isize;
            let b = r.byte();
            let flags = NdFlags {
                writable: b & 1 == 1,
                fortran: b & 2 == 2,
                pil: b & 4 == 4,
            };
            let mut data = data;
            if data.is_empty() {
                data.push(0);
            }
            let cut = (data.len() / itemsize).max(1) * itemsize;
            data.resize(cut, 0);
            match NdArray::new(
                &data,
                &shape,
                strides.as_deref(),
                offset,
                format,
                itemsize,
                flags,
            ) {
                Ok(nd) => Exporter::Nd(nd),
                Err(_) => Exporter::Bytes(Bytes::from(data)),
            }
        }
    }
}

fn is_released_error(e: &pymemory_buffer::Error) -> bool {
    e.kind() == ExceptionKind::ValueError
        && e.message() == "operation forbidden on released memoryview object"
}

/// Checks that nested lists follow `shape`.
fn check_nesting(v: &Value, shape: &[usize]) {
    match shape.split_first() {
        None => assert!(!matches!(v, Value::List(_)), "scalar expected, got {v}"),
        Some((&n, rest)) => match v {
            Value::List(items) => {
                assert_eq!(items.len(), n, "tolist length vs shape");
                for item in items {
                    check_nesting(item, rest);
                }
            }
            other => panic!("list expected for shape {shape:?}, got {other}"),
        },
    }
}

fn check_view(m: &MemoryView) {
    if m.is_released() {
        for e in [
            m.tobytes().unwrap_err(),
            m.tolist().unwrap_err(),
            m.nbytes().unwrap_err(),
            m.cast("B", None).unwrap_err(),
            m.get(0).unwrap_err(),
        ] {
            assert!(is_released_error(&e), "{e}");
        }
        return;
    }
    let nbytes = m.nbytes().expect("nbytes");
    let shape = m.shape().expect("shape");
    let itemsize = m.itemsize().expect("itemsize");
    let ndim = m.ndim().expect("ndim");
    assert_eq!(shape.len(), ndim);
    assert_eq!(m.strides().expect("strides").len(), ndim);
    assert_eq!(shape.iter().product::<usize>() * itemsize, nbytes);
    let bytes = m.tobytes().expect("tobytes");
    assert_eq!(bytes.len(), nbytes);
    for order in ["C", "F", "A"] {
        assert_eq!(
            m.tobytes_order(Some(order)).expect("tobytes order").len(),
            nbytes
        );
    }
    assert_eq!(m.hex().expect("hex").len(), 2 * nbytes);
    let fmt = m.format().expect("format");
    // `u`/`w` items that hold no code point cannot be read (ValueError), as in CPython.
    let wide = fmt.contains(['u', 'w']);
    let list = match m.tolist() {
        Ok(list) => list,
        Err(e) if wide && e.kind() == ExceptionKind::ValueError => return,
        Err(e) => panic!("tolist of {m}: {e}"),
    };
    check_nesting(&list, &shape);
    if let (Some(&n), Value::List(items)) = (shape.first(), &list) {
        if n > 0 {
            for i in [0, n - 1] {
                let got = m.get(i as isize).expect("m[i]");
                assert_eq!(
                    got.tolist().expect("tolist").to_string(),
                    items[i].to_string()
                );
            }
            let got = m.get(-1).expect("m[-1]");
            assert_eq!(
                got.tolist().expect("tolist").to_string(),
                items[n - 1].to_string()
            );
        }
        assert!(m.get(n as isize).is_err());
    }
    // m.cast('B'): C-contiguous views without zeros in shape or strides only (CPython's
    // `cannot cast view with zeros in shape or strides` and `casts are restricted to
    // C-contiguous views`, both TypeError).
    let c = m.c_contiguous().expect("c_contiguous");
    let zeros = shape.contains(&0) || m.strides().unwrap().contains(&0);
    match m.cast("B", None) {
        Ok(b) => {
            assert!(c, "cast of a non-contiguous view");
            assert_eq!(b.tobytes().expect("tobytes"), bytes);
            assert_eq!(b.nbytes().expect("nbytes"), nbytes);
        }
        Err(e) => {
            assert_eq!(e.kind(), ExceptionKind::TypeError, "{e}");
            assert!(!c || zeros, "C-contiguous cast refused: {e}");
        }
    }
    let _ = m.count(&Value::Int(0));
    let _ = m.hash();
    if ["B", "b", "h", "H", "i", "I", "q", "<i", ">h"].contains(&fmt.as_str()) {
        assert!(m.equals(m), "an integer view equals itself");
    }
}

/// A full index tuple for an item of `m`, if it has any item.
fn item_index(r: &mut Reader<'_>, shape: &[usize]) -> Option<Vec<isize>> {
    shape
        .iter()
        .map(|&n| (n > 0).then(|| (usize::from(r.byte()) % n) as isize))
        .collect()
}

fn key(idx: &[isize]) -> Subscript {
    Subscript::Tuple(idx.iter().map(|&i| i.into()).collect())
}

/// Python's `==` on the values a view gives back: an int stored in a float format reads
/// back as the equal float, a bool in an int format as 0 or 1; NaN is equal to itself
/// here (the bits were stored).
fn py_eq(a: &Value, b: &Value) -> bool {
    let num = |v: &Value| match v {
        Value::Bool(x) => Some(f64::from(u8::from(*x))),
        Value::Int(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a.to_string() == b.to_string(),
    }
}

fn set_then_get(r: &mut Reader<'_>, m: &MemoryView) {
    let Ok(shape) = m.shape() else { return };
    let Some(idx) = item_index(r, &shape) else {
        return;
    };
    let Some(src) = item_index(r, &shape) else {
        return;
    };
    // `u`/`w` items that hold no code point cannot be read (ValueError).
    let Ok(old) = m.get(key(&idx)) else { return };
    let old = old.into_value().expect("an item");
    let value = match r.byte() % 3 {
        0 => match m.get(key(&src)) {
            Ok(item) => item.into_value().expect("an item"),
            Err(_) => return,
        },
        1 => Value::Int(i128::from(r.byte() as i8) * 3),
        _ => Value::Float(f64::from(r.byte()) / 4.0),
    };
    match m.set(key(&idx), &value) {
        Ok(()) => {
            assert!(!m.readonly().unwrap());
            let now = m
                .get(key(&idx))
                .expect("m[idx]")
                .into_value()
                .expect("an item");
            // `?` reads any non-zero as True and `c` takes bytes: compare through a
            // second write of what was read.
            let fmt = m.format().unwrap();
            if fmt != "?" {
                assert!(py_eq(&now, &value), "{fmt}: m[i] = {value}; m[i] is {now}");
            }
        }
        Err(e) => {
            if m.readonly().unwrap() {
                assert_eq!(e.to_string(), "TypeError: cannot modify read-only memory");
            }
            let now = m
                .get(key(&idx))
                .expect("m[idx]")
                .into_value()
                .expect("an item");
            assert_eq!(now.to_string(), old.to_string(), "a refused set wrote: {e}");
        }
    }
}

/// `MEMORYVIEW_FUZZ_TRACE=1` prints each operation (to replay a crash by hand).
fn trace() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("MEMORYVIEW_FUZZ_TRACE").is_some())
}

fn run(input: &[u8]) {
    let mut r = Reader(input);
    let exporter = make_exporter(&mut r);
    let mut views: Vec<MemoryView> = Vec::new();
    // Raw descriptors held by a consumer: of the exporter (None) or of view k.
    let mut raws: Vec<(Option<usize>, RawBuffer)> = Vec::new();
    if let Ok(m) = exporter.view() {
        views.push(m);
    }
    let mut steps = 0;
    while !r.done() && steps < 64 {
        steps += 1;
        let op = r.byte() % 16;
        let pick = usize::from(r.byte());
        let m = (!views.is_empty()).then(|| views[pick % views.len()].clone());
        if trace() {
            eprintln!(
                "op {op} on view {} of {}: {:?}",
                pick % views.len().max(1),
                views.len(),
                m.as_ref().map(|m| m.info().map(|i| format!("{i:?}")))
            );
        }
        match (op, m) {
            (0, _) => {
                if let Ok(m) = exporter.view() {
                    views.push(m);
                }
            }
            (1, Some(m)) => {
                let s = Slice::new(r.opt(), r.opt(), r.opt().filter(|&s| s != 0));
                if let Ok(Item::View(v)) = m.get(s) {
                    views.push(v);
                }
            }
            (2, Some(m)) => {
                let (format, _) = FORMATS[usize::from(r.byte()) % FORMATS.len()];
                let nd = r.byte() % 4;
                let shape: Vec<isize> = (0..nd).map(|_| r.small().abs()).collect();
                let shape = (r.byte() & 1 == 1).then_some(shape.as_slice());
                let order = if r.byte() & 1 == 1 { "F" } else { "C" };
                if let Ok(v) = m.cast_order(format, shape, order) {
                    views.push(v);
                }
            }
            (3, Some(m)) => {
                // A subscript in Python syntax, taken from the input.
                let n = usize::from(r.byte() % 8);
                let text = String::from_utf8_lossy(&r.bytes(n)).into_owned();
                if let Ok(sub) = Subscript::parse(&text) {
                    // `m[...]` of a 0-d view is `m` itself (as in CPython): keep one pool
                    // entry per view object, so held re-exports are attributed right.
                    if let Ok(Item::View(v)) = m.get(sub) {
                        if !views.iter().any(|w| w.is(&v)) {
                            views.push(v);
                        }
                    }
                }
            }
            (4 | 5, Some(m)) => {
                if !m.is_released() {
                    set_then_get(&mut r, &m);
                }
            }
            (6, Some(m)) => {
                if let Ok(v) = m.toreadonly() {
                    assert!(v.readonly().unwrap());
                    views.push(v);
                }
            }
            (7, Some(m)) => {
                let held = raws
                    .iter()
                    .filter(|(k, _)| *k == Some(pick % views.len()))
                    .count();
                match m.release() {
                    Ok(()) => assert!(held == 0 || m.is_released()),
                    Err(e) => {
                        assert!(held > 0, "release refused without exports: {e}");
                        assert_eq!(e.kind(), ExceptionKind::BufferError);
                    }
                }
            }
            (8, Some(_)) => {
                let k = pick % views.len();
                // A view with a held re-export stays in the pool (the descriptor keeps it).
                if !raws.iter().any(|(v, _)| *v == Some(k)) {
                    views.remove(k);
                    for (v, _) in &mut raws {
                        if let Some(v) = v {
                            if *v > k {
                                *v -= 1;
                            }
                        }
                    }
                }
            }
            (9, Some(m)) => check_view(&m),
            (10, _) => {
                let flags = BufferFlags::from_bits(u32::from(r.byte()) | 0x100);
                if let Ok(raw) = exporter.raw(flags) {
                    raw.validate().expect("exporter descriptors are valid");
                    raws.push((None, raw));
                }
            }
            (11, Some(m)) => {
                if let Ok(raw) = m.get_buffer(BufferFlags::FULL_RO) {
                    // (Regression: an empty reversed slice once had a NULL `buf`;
                    // pymemory-buffer/tests/hardening.rs::empty_reversed_slices_re_export.)
                    raw.validate().expect("view descriptors are valid");
                    raws.push((Some(pick % views.len()), raw));
                }
            }
            (12, _) => {
                if !raws.is_empty() {
                    raws.remove(pick % raws.len());
                }
            }
            (13, Some(m)) => {
                let other = views[usize::from(r.byte()) % views.len()].clone();
                let s = Slice::new(r.opt(), r.opt(), r.opt().filter(|&s| s != 0));
                let before = m.tobytes().ok();
                if let Err(e) = m.set_from(s, &other) {
                    // A refused slice assignment writes nothing.
                    assert_eq!(m.tobytes().ok(), before, "{e}");
                }
                let _ = m.equals(&other);
            }
            (14 | 15, _) => {
                let live = views.iter().filter(|v| !v.is_released()).count() + raws.len();
                if let Some(n) = exporter.exports() {
                    assert_eq!(n > 0, live > 0, "exports {n} with {live} live holds");
                }
                if let Some(result) = exporter.resize(op == 14) {
                    match result {
                        Ok(()) => assert_eq!(live, 0, "resized while exported"),
                        Err(e) => {
                            assert!(live > 0, "resize refused without exports: {e}");
                            assert_eq!(e.kind(), ExceptionKind::BufferError, "{e}");
                        }
                    }
                }
            }
            _ => {}
        }
        if views.len() > 24 {
            views.remove(0);
            raws.retain(|(v, _)| *v != Some(0));
            for (v, _) in &mut raws {
                if let Some(v) = v {
                    *v -= 1;
                }
            }
        }
    }
    for m in &views {
        check_view(m);
    }
    // Everything gone: the exporter is free to resize again.
    drop(raws);
    drop(views);
    if let Some(n) = exporter.exports() {
        assert_eq!(n, 0);
    }
    if let Some(result) = exporter.resize(true) {
        result.expect("resize after every export ended");
    }
}

fuzz_target!(|input: &[u8]| run(input));
