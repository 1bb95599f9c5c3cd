//! `MemoryView`: Python's `memoryview` over any [`BufferExporter`].
//!
//! ```text
//!  MemoryView (Rc handle = one Python object)
//!  ┌─────────────────────────────────────────────┐
//!  │ released, exports, cached hash              │
//!  │ mbuf: Option<Rc<ManagedBuffer>> ───────────────▶ one export of the exporter,
//!  │ buf ptr, len, itemsize, format, readonly,   │     shared by every derived view
//!  │ shape[ndim], strides[ndim], suboffsets?     │
//!  └─────────────────────────────────────────────┘
//! ```
//!
//! Slicing, casting and `toreadonly` compute a new descriptor over the same managed
//! buffer (O(1), zero-copy). Elements are read and written through raw pointers with
//! unaligned accesses after bounds checks, never through `&[u8]` over shared memory.
//!
//! # Compatibility
//! CPython 3.14 semantics and messages (3.11 differs: `len()` of a 0-d view is 1 there,
//! and `'e'` items are not native). Extensions, only where CPython raises
//! `NotImplementedError` (every `TypeError`/`ValueError` it raises is kept):
//! 1. item access, `tolist`, iteration, `count`, `index` and item assignment for every
//!    format the PEP 3118 dialect of `pymemory-struct` accepts (`<i`, `>d`, `2h`, `3s`,
//!    `T{...}` records as tuples);
//! 2. `==` compares `T{...}`-style formats by value (CPython: never equal);
//! 3. sub-views: `m[i]` / `m[i, j]` with fewer indices than dimensions (numpy basic
//!    indexing, zero-copy; all-negative remaining suboffsets are dropped);
//! 4. multi-dimensional slicing `m[1:3, ::2]`, zero-copy, and tuples mixing ints and
//!    slices (`m[1, ::2]`: each int drops its dimension, numpy basic indexing; CPython
//!    raises `TypeError: memoryview: invalid slice key` for those);
//! 5. assignment to sub-views, N-D slices and mixed keys (same structure rule, memmove
//!    semantics);
//! 6. iteration over N-D views yields sub-views;
//! 7. `cast` to any struct format when one side is a byte format;
//! 8. [`MemoryView::cast_order`] with `"F"` (Fortran-order shapes).
//!
//! `count`/`index` on N-D views stay `NotImplementedError`, as in CPython 3.14.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use pymemory_struct::{Dialect, Format, Value};

use crate::codec::{self, Codec, Num};
use crate::error::Result;
use crate::errs::{
    buffer_error, index_error, not_implemented, overflow_error, released, type_error, value_error,
};
use crate::exporter::{
    BufferExporter, MAX_NDIM, ManagedBuffer, Obj, RawBuffer, RequestMessages, layout,
};
use crate::flags::BufferFlags;
use crate::index::{Index, Slice, Subscript};
use crate::{hex, raw};

/// The key `PYTHONHASHSEED=0` gives CPython's SipHash (all zero); [`MemoryView::hash`]
/// uses it so hashes are reproducible across runs.
pub const HASH_KEY: (u64, u64) = (0, 0);

#[derive(Clone)]
struct Desc {
    buf: *mut u8,
    len: usize,
    itemsize: usize,
    readonly: bool,
    format: Rc<str>,
    codec: Codec,
    shape: Vec<usize>,
    strides: Vec<isize>,
    suboffsets: Option<Vec<isize>>,
    c: bool,
    f: bool,
}

impl Desc {
    fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// CPython's `init_flags`.
    fn init_flags(&mut self) {
        let (c, f) = match self.ndim() {
            0 => (true, true),
            1 => {
                let contiguous = self.shape[0] == 1 || self.strides[0] == self.itemsize as isize;
                (contiguous, contiguous)
            }
            _ => {
                if self.len == 0 {
                    (true, true)
                } else {
                    (
                        layout::is_c_contiguous(&self.shape, &self.strides, self.itemsize),
                        layout::is_f_contiguous(&self.shape, &self.strides, self.itemsize),
                    )
                }
            }
        };
        let pil = self.suboffsets.is_some();
        self.c = c && !pil;
        self.f = f && !pil;
    }

    /// `PyBuffer_IsContiguous(view, order)` on the descriptor.
    fn is_contiguous(&self, order: char) -> bool {
        if self.suboffsets.is_some() {
            return false;
        }
        if self.len == 0 {
            return true;
        }
        match order {
            'C' => layout::is_c_contiguous(&self.shape, &self.strides, self.itemsize),
            'F' => layout::is_f_contiguous(&self.shape, &self.strides, self.itemsize),
            _ => self.is_contiguous('C') || self.is_contiguous('F'),
        }
    }

    fn init_len(&mut self) {
        self.len = self
            .shape
            .iter()
            .fold(self.itemsize, |a, &d| a.wrapping_mul(d));
    }

    /// `ADJUST_PTR`: follows a suboffset of dimension `dim`.
    #[inline]
    fn adjust(&self, p: *mut u8, dim: usize) -> *mut u8 {
        match &self.suboffsets {
            Some(s) if s[dim] >= 0 => {
                // SAFETY: the view holds its export; `p` addresses a pointer slot of
                // dimension `dim` of the exporter's layout (rule 4 of BufferExporter).
                unsafe { raw::follow_suboffset(p, s[dim]) }
            }
            _ => p,
        }
    }

    /// `lookup_dimension`.
    fn lookup(&self, p: *mut u8, dim: usize, index: isize) -> Result<*mut u8> {
        let n = self.shape[dim] as isize;
        let i = if index < 0 { index + n } else { index };
        if i < 0 || i >= n {
            return Err(index_error(format!(
                "index out of bounds on dimension {}",
                dim + 1
            )));
        }
        Ok(self.adjust(raw::offset(p, self.strides[dim] * i), dim))
    }

    /// Visits every item pointer in C order; stops early when `f` returns false.
    fn walk<F: FnMut(*mut u8) -> bool>(&self, f: &mut F) -> bool {
        if self.ndim() == 0 {
            return f(self.buf);
        }
        self.walk_dim(0, self.buf, f)
    }

    fn walk_dim<F: FnMut(*mut u8) -> bool>(&self, dim: usize, p: *mut u8, f: &mut F) -> bool {
        let (n, s) = (self.shape[dim], self.strides[dim]);
        let last = dim + 1 == self.ndim();
        let mut q = p;
        for _ in 0..n {
            let x = self.adjust(q, dim);
            let go = if last {
                f(x)
            } else {
                self.walk_dim(dim + 1, x, f)
            };
            if !go {
                return false;
            }
            q = raw::offset(q, s);
        }
        true
    }

    /// Copies the items in C order into `out` (`out.len() == len`).
    fn gather(&self, out: &mut [u8]) {
        if self.is_contiguous('C') {
            // SAFETY: a C-contiguous view covers exactly `len` bytes from `buf`, inside
            // its held export; `out` is a separate Rust buffer.
            unsafe { raw::read_into(self.buf, out) };
            return;
        }
        if self.ndim() == 0 {
            // SAFETY: a 0-d view addresses `itemsize` bytes at `buf`.
            unsafe { raw::read_into(self.buf, out) };
            return;
        }
        let mut pos = 0;
        self.gather_dim(0, self.buf, out, &mut pos);
    }

    fn gather_dim(&self, dim: usize, p: *mut u8, out: &mut [u8], pos: &mut usize) {
        let (n, s, isz) = (self.shape[dim], self.strides[dim], self.itemsize);
        let last = dim + 1 == self.ndim();
        let direct = self.suboffsets.as_ref().is_none_or(|so| so[dim] < 0);
        if last && direct {
            if s == isz as isize {
                let bytes = n * isz;
                // SAFETY: the row of `n` contiguous items starting at `p` lies in the export
                // (bounds established when the view was made).
                unsafe { raw::read_into(p, &mut out[*pos..*pos + bytes]) };
                *pos += bytes;
                return;
            }
            gather_row(p, s, n, isz, &mut out[*pos..*pos + n * isz]);
            *pos += n * isz;
            return;
        }
        let mut q = p;
        for _ in 0..n {
            let x = self.adjust(q, dim);
            if last {
                // SAFETY: `x` addresses one item of the view.
                unsafe { raw::read_into(x, &mut out[*pos..*pos + isz]) };
                *pos += isz;
            } else {
                self.gather_dim(dim + 1, x, out, pos);
            }
            q = raw::offset(q, s);
        }
    }

    /// Writes `src` (items in C order, `len` bytes) into the view's items.
    fn scatter(&self, src: &[u8]) {
        if self.is_contiguous('C') || self.ndim() == 0 {
            // SAFETY: the view is writable (checked by callers) and covers `len` bytes
            // from `buf`; `src` is a separate Rust buffer.
            unsafe { raw::write_from(self.buf, src) };
            return;
        }
        let mut pos = 0;
        let isz = self.itemsize;
        self.walk(&mut |p| {
            // SAFETY: `p` addresses one writable item of the view.
            unsafe { raw::write_from(p, &src[pos..pos + isz]) };
            pos += isz;
            true
        });
    }

    /// The descriptor of the items in Fortran order, as a C-order walk (no suboffsets).
    fn transposed(&self) -> Desc {
        let mut t = self.clone();
        t.shape.reverse();
        t.strides.reverse();
        t.init_flags();
        t
    }

    /// Pointer to the item at a full index tuple (`ptr_from_tuple`).
    fn ptr_from_tuple(&self, idx: &[isize]) -> Result<*mut u8> {
        if idx.len() > self.ndim() {
            return Err(type_error(format!(
                "cannot index {}-dimension view with {}-element tuple",
                self.ndim(),
                idx.len()
            )));
        }
        let mut p = self.buf;
        for (dim, &i) in idx.iter().enumerate() {
            p = self.lookup(p, dim, i)?;
        }
        Ok(p)
    }

    /// The sub-view left after indexing the first dimensions with `idx` (extension).
    fn subview(&self, idx: &[isize]) -> Result<Desc> {
        let p = self.ptr_from_tuple(idx)?;
        let k = idx.len();
        let mut d = self.clone();
        d.buf = p;
        d.shape = self.shape[k..].to_vec();
        d.strides = self.strides[k..].to_vec();
        d.suboffsets = self
            .suboffsets
            .as_ref()
            .map(|s| s[k..].to_vec())
            .filter(|s| s.iter().any(|&x| x >= 0));
        d.init_len();
        d.init_flags();
        Ok(d)
    }

    /// Extension (numpy basic indexing): a tuple of at most `ndim` keys mixing ints and
    /// slices. Each int picks one index and drops its dimension, each slice keeps its
    /// dimension, dimensions without a key stay whole. Zero-copy. Errors name the original
    /// dimension (`IndexError: index out of bounds on dimension 3`).
    fn mixed(&self, keys: &[Index]) -> Result<Desc> {
        // Leading ints pick a sub-view, following suboffsets as `m[i, j]` does.
        let lead = keys
            .iter()
            .take_while(|k| matches!(k, Index::Int(_)))
            .count();
        let mut d = if lead == 0 {
            self.clone()
        } else {
            let idx: Vec<isize> = keys[..lead]
                .iter()
                .map(|k| if let Index::Int(i) = k { *i } else { 0 })
                .collect();
            self.subview(&idx)?
        };
        // `dim` is the dimension of `d` that the next key applies to.
        let mut dim = 0;
        for (pos, key) in keys[lead..].iter().enumerate() {
            match key {
                Index::Slice(s) => {
                    d.slice_dim(s, dim)?;
                    dim += 1;
                }
                Index::Int(i) => {
                    let n = d.shape[dim] as isize;
                    let j = if *i < 0 { i.saturating_add(n) } else { *i };
                    if j < 0 || j >= n {
                        return Err(index_error(format!(
                            "index out of bounds on dimension {}",
                            lead + pos + 1
                        )));
                    }
                    // After a kept dimension, the pointer stored for an indirect dimension
                    // differs per index of the kept one: no single descriptor can drop it.
                    if d.suboffsets.as_ref().is_some_and(|so| so[dim] >= 0) {
                        return Err(not_implemented(
                            "memoryview: cannot index an indirect dimension after a sliced one",
                        ));
                    }
                    // One-item slice (moves `buf` or the governing suboffset like
                    // `init_slice`), then the dimension goes.
                    d.slice_dim(&Slice::new(Some(j), Some(j + 1), None), dim)?;
                    d.shape.remove(dim);
                    d.strides.remove(dim);
                    if let Some(so) = &mut d.suboffsets {
                        so.remove(dim);
                    }
                }
                Index::Ellipsis => return Err(type_error("memoryview: invalid slice key")),
            }
        }
        d.init_len();
        d.init_flags();
        Ok(d)
    }

    /// `init_slice` for dimension `dim`.
    fn slice_dim(&mut self, s: &Slice, dim: usize) -> Result<()> {
        let (start, step, n) = s.indices(self.shape[dim])?;
        let delta = self.strides[dim].wrapping_mul(start);
        let mut adjusted = false;
        if dim > 0 {
            if let Some(subs) = &mut self.suboffsets {
                if let Some(k) = (0..dim).rev().find(|&k| subs[k] >= 0) {
                    subs[k] = subs[k].wrapping_add(delta);
                    adjusted = true;
                }
            }
        }
        // An empty result keeps `buf`: CPython's arithmetic moves it one stride before an
        // empty dimension (start == -1 for a negative step), off the allocation (NULL over
        // the dangling pointer of an empty Vec), and an empty view's address is never read.
        // Suboffsets, which Python can see, follow CPython exactly.
        if !adjusted && n > 0 {
            self.buf = raw::offset(self.buf, delta);
        }
        self.shape[dim] = n;
        self.strides[dim] = self.strides[dim].wrapping_mul(step);
        Ok(())
    }

    fn unpack(&self, p: *mut u8) -> Result<Value> {
        // SAFETY: `p` addresses one item of a view whose export is held; the codec was
        // built for this itemsize.
        unsafe { self.codec.unpack(p, self.itemsize) }
    }

    fn pack(&self, p: *mut u8, v: &Value) -> Result<()> {
        if let Codec::Native(c) = self.codec {
            // Native codes encode into a stack buffer: no allocation per item write.
            let (bytes, n) = codec::encode_native(c, v)?;
            // SAFETY: `p` addresses one item of a writable view (callers check `readonly`);
            // at most `itemsize` bytes are written.
            unsafe { raw::write_from(p, &bytes[..n.min(self.itemsize)]) };
            return Ok(());
        }
        let bytes = self.codec.encode(v, self.itemsize)?;
        // SAFETY: `p` addresses one item of a writable view (callers check `readonly`);
        // the encoding is at most `itemsize` bytes.
        unsafe { raw::write_from(p, &bytes[..bytes.len().min(self.itemsize)]) };
        Ok(())
    }

    /// CPython's `adjust_fmt` check: only the extension codecs and native codes pass.
    fn check_format(&self) -> Result<()> {
        match &self.codec {
            Codec::Invalid(e) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    fn tolist_dim(&self, dim: usize, p: *mut u8) -> Result<Value> {
        let (n, s) = (self.shape[dim], self.strides[dim]);
        let last = dim + 1 == self.ndim();
        crate::errs::check_alloc(n, size_of::<Value>())?;
        let mut out = Vec::with_capacity(n);
        raw::advise_huge_pages(&out);
        let mut q = p;
        if last && self.suboffsets.as_ref().is_none_or(|so| so[dim] < 0) {
            if let Codec::Native(c) = self.codec {
                // `q`, `s`, `n` describe one row of the view (bounds by construction).
                codec::tolist_native(c, q, s, n, &mut out);
                return Ok(Value::List(out));
            }
        }
        for _ in 0..n {
            let x = self.adjust(q, dim);
            out.push(if last {
                self.unpack(x)?
            } else {
                self.tolist_dim(dim + 1, x)?
            });
            q = raw::offset(q, s);
        }
        Ok(Value::List(out))
    }
}

/// Copies `n` items of `isz` bytes spaced `stride` apart into contiguous `out`.
fn gather_row(p: *mut u8, stride: isize, n: usize, isz: usize, out: &mut [u8]) {
    macro_rules! typed {
        ($t:ty) => {{
            let mut q = p;
            for chunk in out.chunks_exact_mut(isz) {
                // SAFETY: `q` addresses one item of the row, inside the held export.
                let v: $t = unsafe { raw::read::<$t>(q) };
                chunk.copy_from_slice(&v.to_ne_bytes());
                q = raw::offset(q, stride);
            }
        }};
    }
    match isz {
        // Every other byte: read the pairs straight from memory (contiguous reads the
        // compiler vectorises), the last item alone so nothing past it is touched.
        1 if stride == 2 && n > 0 => {
            let mut q = p;
            for o in out[..n - 1].iter_mut() {
                // SAFETY: items `i` and `i + 1` of the row are at `q` and `q + 2`, so the
                // two bytes at `q` lie between them, inside the held export.
                *o = unsafe { raw::read::<[u8; 2]>(q) }[0];
                q = raw::offset(q, 2);
            }
            // SAFETY: `q` addresses the last item of the row.
            out[n - 1] = unsafe { raw::read::<u8>(q) };
        }
        1 => {
            let mut q = p;
            for b in out.iter_mut().take(n) {
                // SAFETY: as above.
                *b = unsafe { raw::read::<u8>(q) };
                q = raw::offset(q, stride);
            }
        }
        2 => typed!(u16),
        4 => typed!(u32),
        8 => typed!(u64),
        _ => {
            let mut q = p;
            for chunk in out.chunks_exact_mut(isz) {
                // SAFETY: as above.
                unsafe { raw::read_into(q, chunk) };
                q = raw::offset(q, stride);
            }
        }
    }
}

struct ViewInner {
    mbuf: RefCell<Option<Rc<ManagedBuffer>>>,
    released: Cell<bool>,
    exports: Cell<usize>,
    /// Cached `(k0, k1, hash)`, as CPython caches `self->hash`.
    hash: Cell<Option<(u64, u64, i64)>>,
    d: Desc,
}

/// A view's layout, borrowed from the view: no export is taken and nothing is copied
/// (see [`MemoryView::layout`]).
///
/// `buf` addresses the item at index `(0, 0, ...)`; it is valid while the view is not
/// released and a handle of it lives. Code that may run something able to release the
/// view while it uses `buf` should hold an export instead (`get_buffer`, dropped after).
#[derive(Clone, Copy, Debug)]
pub struct ViewLayout<'a> {
    /// Address of the first item.
    pub buf: *mut u8,
    /// `m.nbytes`.
    pub len: usize,
    /// `m.itemsize`.
    pub itemsize: usize,
    /// `m.readonly`.
    pub readonly: bool,
    /// `m.format`.
    pub format: &'a str,
    /// `m.shape`.
    pub shape: &'a [usize],
    /// `m.strides`.
    pub strides: &'a [isize],
    /// `m.suboffsets`, `None` when there are none.
    pub suboffsets: Option<&'a [isize]>,
    /// `m.c_contiguous`.
    pub c_contiguous: bool,
    /// `m.f_contiguous`.
    pub f_contiguous: bool,
}

/// Python's `memoryview`: a cheap handle (cloning gives the same Python object; see
/// [`MemoryView::new`] for a new view object). Views are `!Send` and `!Sync`, like the
/// exporters they hold:
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// let m = pymemory_buffer::MemoryView::new(&pymemory_buffer::Bytes::from(vec![1u8])).unwrap();
/// send(m);
/// ```
///
/// ```
/// use pymemory_buffer::{MemoryView, VecBuffer, Value, Slice};
/// let arr = VecBuffer::new(vec![1i32, 2, 3, 4, 5]);
/// let m = MemoryView::new(&arr)?;
/// assert_eq!(m.get(1)?.to_string(), "2");                       // m[1]
/// let s = m.get(Slice::new(Some(1), Some(4), None))?.into_view()?;  // m[1:4]
/// assert_eq!(s.tolist()?.to_string(), "[2, 3, 4]");
/// m.set(1, &Value::Int(6))?;                                     // m[1] = 6
/// assert_eq!(arr.to_vec(), vec![1, 6, 3, 4, 5]);
/// # Ok::<(), pymemory_buffer::Error>(())
/// ```
#[derive(Clone)]
pub struct MemoryView(Rc<ViewInner>);

/// The result of `m[key]`: an item value, or a view.
#[derive(Clone, Debug)]
pub enum Item {
    /// A single element (or a sub-element of a value after further indexing).
    Value(Value),
    /// A view (slices, sub-views, `m[...]` of a 0-d view).
    View(MemoryView),
}

impl Item {
    /// The value, or `TypeError` if this is a view.
    pub fn into_value(self) -> Result<Value> {
        match self {
            Item::Value(v) => Ok(v),
            Item::View(_) => Err(type_error("expected an item, got a memoryview")),
        }
    }

    /// The view, or `TypeError` if this is a value.
    pub fn into_view(self) -> Result<MemoryView> {
        match self {
            Item::View(m) => Ok(m),
            Item::Value(v) => Err(type_error(format!(
                "'{}' object is not a memoryview",
                v.type_name()
            ))),
        }
    }

    /// Applies one more subscript, as Python would to the result: views index as views;
    /// `bytes`, tuples and lists accept ints and slices; other values are not subscriptable.
    pub fn get(&self, key: impl Into<Subscript>) -> Result<Item> {
        let key = key.into();
        match self {
            Item::View(m) => m.get(key),
            Item::Value(v) => value_subscript(v, &key).map(Item::Value),
        }
    }

    /// `m.tolist()` for a view; the value itself for a value.
    pub fn tolist(&self) -> Result<Value> {
        match self {
            Item::View(m) => m.tolist(),
            Item::Value(v) => Ok(v.clone()),
        }
    }
}

impl fmt::Display for Item {
    /// The Python repr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Value(v) => write!(f, "{v}"),
            Item::View(m) => write!(f, "{m}"),
        }
    }
}

fn value_subscript(v: &Value, key: &Subscript) -> Result<Value> {
    let (items, kind): (Vec<Value>, &str) = match v {
        Value::Tuple(t) => (t.clone(), "tuple"),
        Value::List(t) => (t.clone(), "list"),
        Value::Bytes(b) => (b.iter().map(|&x| Value::Int(x.into())).collect(), "bytes"),
        Value::Str(s) => (
            s.chars().map(|c| Value::Str(c.to_string())).collect(),
            "str",
        ),
        _ => {
            return Err(type_error(format!(
                "'{}' object is not subscriptable",
                v.type_name()
            )));
        }
    };
    let n = items.len() as isize;
    match key {
        Subscript::Single(Index::Int(i)) => {
            let j = if *i < 0 { i + n } else { *i };
            if j < 0 || j >= n {
                return Err(index_error(match kind {
                    "bytes" => "index out of range",
                    "str" => "string index out of range",
                    "tuple" => "tuple index out of range",
                    _ => "list index out of range",
                }));
            }
            Ok(items[j as usize].clone())
        }
        Subscript::Single(Index::Slice(s)) => {
            let (start, step, len) = s.indices(items.len())?;
            let picked: Vec<Value> = (0..len as isize)
                .map(|k| items[(start + k * step) as usize].clone())
                .collect();
            Ok(match v {
                Value::Tuple(_) => Value::Tuple(picked),
                Value::List(_) => Value::List(picked),
                Value::Bytes(_) => Value::Bytes(
                    picked
                        .iter()
                        .map(|x| x.as_index().unwrap_or(0) as u8)
                        .collect(),
                ),
                _ => Value::Str(
                    picked
                        .iter()
                        .map(|x| {
                            if let Value::Str(c) = x {
                                c.clone()
                            } else {
                                String::new()
                            }
                        })
                        .collect(),
                ),
            })
        }
        _ => {
            let key_type = match key {
                Subscript::Tuple(_) => "tuple",
                _ => "ellipsis",
            };
            Err(type_error(match kind {
                "str" => format!("string indices must be integers, not '{key_type}'"),
                "bytes" => format!("byte indices must be integers or slices, not {key_type}"),
                _ => format!("{kind} indices must be integers or slices, not {key_type}"),
            }))
        }
    }
}

/// Scope guard for `with memoryview(x) as m:`: releases the view when dropped; call
/// [`ViewGuard::exit`] to see the `BufferError` of a release that fails.
#[derive(Debug)]
pub struct ViewGuard(Option<MemoryView>);

impl ViewGuard {
    /// `__exit__`: releases now.
    pub fn exit(mut self) -> Result<()> {
        match self.0.take() {
            Some(m) => m.release(),
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for ViewGuard {
    type Target = MemoryView;
    fn deref(&self) -> &MemoryView {
        self.0.as_ref().expect("ViewGuard used after exit")
    }
}

impl Drop for ViewGuard {
    fn drop(&mut self) {
        if let Some(m) = self.0.take() {
            // As in CPython, a failing implicit release leaves the view alive.
            let _ = m.release();
        }
    }
}

/// Order argument of `tobytes` and of the `cast` extension.
fn parse_order(order: Option<&str>) -> Result<char> {
    match order {
        None | Some("C") => Ok('C'),
        Some("F") => Ok('F'),
        Some("A") => Ok('A'),
        Some(_) => Err(value_error("order must be 'C', 'F' or 'A'")),
    }
}

impl MemoryView {
    /// `memoryview(obj)`: one export of `obj` with `PyBUF_FULL_RO`. A `MemoryView`
    /// argument gives a new view object on the same managed buffer, as CPython does.
    pub fn new<E: BufferExporter + Clone>(obj: &E) -> Result<MemoryView> {
        Self::from_flags(obj, BufferFlags::FULL_RO)
    }

    /// `memoryview._from_flags(obj, flags)`.
    pub fn from_flags<E: BufferExporter + Clone>(
        obj: &E,
        flags: BufferFlags,
    ) -> Result<MemoryView> {
        if let Some(m) = (obj as &dyn Any).downcast_ref::<MemoryView>() {
            let d = m.desc()?;
            return Ok(m.derive(d.clone()));
        }
        let mbuf = ManagedBuffer::new(obj, flags)?;
        let d = Self::desc_from_master(&mbuf.master)?;
        Ok(MemoryView(Rc::new(ViewInner {
            mbuf: RefCell::new(Some(mbuf)),
            released: Cell::new(false),
            exports: Cell::new(0),
            hash: Cell::new(None),
            d,
        })))
    }

    /// `init_shape_strides` etc.: a view descriptor with full information.
    fn desc_from_master(m: &RawBuffer) -> Result<Desc> {
        let format: Rc<str> = m.format.as_deref().unwrap_or("B").into();
        let (shape, strides) = match m.ndim {
            0 => (Vec::new(), Vec::new()),
            1 => {
                let n = m.shape.as_ref().map_or(m.len / m.itemsize.max(1), |s| s[0]);
                let s = m.strides.as_ref().map_or(m.itemsize as isize, |s| s[0]);
                (vec![n], vec![s])
            }
            _ => {
                let shape = m
                    .shape
                    .clone()
                    .ok_or_else(|| buffer_error("exporter did not provide a shape"))?;
                let strides = match &m.strides {
                    Some(s) => s.clone(),
                    None => layout::c_strides(&shape, m.itemsize)?,
                };
                (shape, strides)
            }
        };
        layout::extent(&shape, &strides, m.itemsize)?;
        let mut d = Desc {
            buf: m.buf,
            len: m.len,
            itemsize: m.itemsize,
            readonly: m.readonly,
            codec: Codec::for_format(&format, m.itemsize),
            format,
            shape,
            strides,
            suboffsets: m.suboffsets.clone(),
            c: false,
            f: false,
        };
        d.init_flags();
        Ok(d)
    }

    /// A new view object registered with the same managed buffer.
    fn derive(&self, d: Desc) -> MemoryView {
        MemoryView(Rc::new(ViewInner {
            mbuf: RefCell::new(self.0.mbuf.borrow().clone()),
            released: Cell::new(false),
            exports: Cell::new(0),
            hash: Cell::new(None),
            d,
        }))
    }

    /// The descriptor, or the released error.
    fn desc(&self) -> Result<&Desc> {
        if self.0.released.get() {
            Err(released())
        } else {
            Ok(&self.0.d)
        }
    }

    // ----- attributes -------------------------------------------------------------

    /// `m.obj`: the exporter, type-erased (downcast with [`Obj::downcast_ref`]).
    pub fn obj(&self) -> Result<Obj> {
        self.desc()?;
        self.0
            .mbuf
            .borrow()
            .as_ref()
            .map(|m| m.obj())
            .ok_or_else(released)
    }
    /// `m.nbytes`.
    pub fn nbytes(&self) -> Result<usize> {
        Ok(self.desc()?.len)
    }
    /// `m.readonly`.
    pub fn readonly(&self) -> Result<bool> {
        Ok(self.desc()?.readonly)
    }
    /// `m.itemsize`.
    pub fn itemsize(&self) -> Result<usize> {
        Ok(self.desc()?.itemsize)
    }
    /// `m.format`.
    pub fn format(&self) -> Result<String> {
        Ok(self.desc()?.format.to_string())
    }
    /// `m.ndim`.
    pub fn ndim(&self) -> Result<usize> {
        Ok(self.desc()?.ndim())
    }
    /// `m.shape`.
    pub fn shape(&self) -> Result<Vec<usize>> {
        Ok(self.desc()?.shape.clone())
    }
    /// `m.strides`.
    pub fn strides(&self) -> Result<Vec<isize>> {
        Ok(self.desc()?.strides.clone())
    }
    /// `m.suboffsets` (empty when there are none).
    pub fn suboffsets(&self) -> Result<Vec<isize>> {
        Ok(self.desc()?.suboffsets.clone().unwrap_or_default())
    }
    /// `m.c_contiguous`.
    pub fn c_contiguous(&self) -> Result<bool> {
        Ok(self.desc()?.c)
    }
    /// `m.f_contiguous`.
    pub fn f_contiguous(&self) -> Result<bool> {
        Ok(self.desc()?.f)
    }
    /// `m.contiguous`.
    pub fn contiguous(&self) -> Result<bool> {
        let d = self.desc()?;
        Ok(d.c || d.f)
    }
    /// Python's `a is b`: the same view object (clones of one handle).
    #[must_use]
    pub fn is(&self, other: &MemoryView) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The whole layout at once, borrowed (no allocation, no export): for consumers that
    /// read the memory themselves, e.g. through FFI. `ValueError` once released.
    ///
    /// ```
    /// use pymemory_buffer::{MemoryView, VecBuffer};
    /// let m = MemoryView::new(&VecBuffer::new(vec![1u16, 2, 3]))?;
    /// let l = m.layout()?;
    /// assert_eq!((l.format, l.shape, l.strides, l.itemsize), ("H", &[3][..], &[2][..], 2));
    /// # Ok::<(), pymemory_buffer::Error>(())
    /// ```
    pub fn layout(&self) -> Result<ViewLayout<'_>> {
        let d = self.desc()?;
        Ok(ViewLayout {
            buf: d.buf,
            len: d.len,
            itemsize: d.itemsize,
            readonly: d.readonly,
            format: &d.format,
            shape: &d.shape,
            strides: &d.strides,
            suboffsets: d.suboffsets.as_deref(),
            c_contiguous: d.c,
            f_contiguous: d.f,
        })
    }

    /// True once released.
    #[must_use]
    pub fn is_released(&self) -> bool {
        self.0.released.get()
    }

    /// The eleven `name: repr` lines of `pymemory view --show info`, in its order:
    /// format, itemsize, ndim, shape, strides, suboffsets, nbytes, readonly, c_contiguous,
    /// f_contiguous, contiguous (e.g. `("shape", "(5,)")`, `("readonly", "True")`).
    pub fn info(&self) -> Result<Vec<(&'static str, String)>> {
        let ints = |v: Vec<i128>| Value::Tuple(v.into_iter().map(Value::Int).collect()).to_string();
        Ok(vec![
            ("format", Value::Str(self.format()?).to_string()),
            ("itemsize", self.itemsize()?.to_string()),
            ("ndim", self.ndim()?.to_string()),
            (
                "shape",
                ints(self.shape()?.into_iter().map(|x| x as i128).collect()),
            ),
            (
                "strides",
                ints(self.strides()?.into_iter().map(|x| x as i128).collect()),
            ),
            (
                "suboffsets",
                ints(self.suboffsets()?.into_iter().map(|x| x as i128).collect()),
            ),
            ("nbytes", self.nbytes()?.to_string()),
            ("readonly", Value::Bool(self.readonly()?).to_string()),
            (
                "c_contiguous",
                Value::Bool(self.c_contiguous()?).to_string(),
            ),
            (
                "f_contiguous",
                Value::Bool(self.f_contiguous()?).to_string(),
            ),
            ("contiguous", Value::Bool(self.contiguous()?).to_string()),
        ])
    }

    // ----- release ------------------------------------------------------------------

    /// `m.release()`: ends this view's hold on the export (the export itself ends with
    /// the last view). `BufferError: memoryview has N exported buffer(s)` while this view
    /// is itself exported.
    pub fn release(&self) -> Result<()> {
        if self.0.released.get() {
            return Ok(());
        }
        let n = self.0.exports.get();
        if n > 0 {
            return Err(buffer_error(format!(
                "memoryview has {n} exported buffer{}",
                if n == 1 { "" } else { "s" }
            )));
        }
        self.0.released.set(true);
        let hold = self.0.mbuf.borrow_mut().take();
        drop(hold);
        Ok(())
    }

    /// `__enter__`: a guard that releases on drop (the `with` statement).
    pub fn enter(&self) -> Result<ViewGuard> {
        self.desc()?;
        Ok(ViewGuard(Some(self.clone())))
    }

    /// `with m: f(m)`, releasing afterwards; the release error (if any) wins over `f`'s
    /// result, as an exception in `__exit__` would.
    pub fn with<R>(&self, f: impl FnOnce(&MemoryView) -> R) -> Result<R> {
        let g = self.enter()?;
        let r = f(&g);
        g.exit()?;
        Ok(r)
    }

    // ----- conversions --------------------------------------------------------------

    /// `m.tolist()`: nested lists of item values (a scalar for 0-d views). Every struct
    /// format works (extension: CPython supports native single-character formats only).
    pub fn tolist(&self) -> Result<Value> {
        let d = self.desc()?;
        d.check_format()?;
        if d.ndim() == 0 {
            return d.unpack(d.buf);
        }
        d.tolist_dim(0, d.buf)
    }

    /// `m.tobytes()` (order `'C'`).
    pub fn tobytes(&self) -> Result<Vec<u8>> {
        self.tobytes_order(None)
    }

    /// `m.tobytes(order)` with `order` `"C"`, `"F"`, `"A"` or `None` (= `"C"`).
    pub fn tobytes_order(&self, order: Option<&str>) -> Result<Vec<u8>> {
        let d = self.desc()?;
        let order = parse_order(order)?;
        crate::errs::check_alloc(d.len, 1)?;
        if d.is_contiguous(order) || d.ndim() == 0 {
            // SAFETY: contiguous in the requested order: exactly `len` bytes from `buf`,
            // inside the held export.
            return Ok(unsafe { raw::read_to_vec(d.buf, d.len) });
        }
        let mut out = vec![0u8; d.len];
        self.to_contiguous(d, order, &mut out);
        Ok(out)
    }

    /// `PyBuffer_ToContiguous`.
    fn to_contiguous(&self, d: &Desc, order: char, out: &mut [u8]) {
        if d.is_contiguous(order) || d.ndim() == 0 {
            // SAFETY: contiguous in the requested order: exactly `len` bytes from `buf`.
            unsafe { raw::read_into(d.buf, out) };
            return;
        }
        if order == 'F' {
            if d.suboffsets.is_none() {
                d.transposed().gather(out);
            } else {
                // Fortran order over an indirect layout: walk index tuples.
                let n = d.shape.iter().product::<usize>();
                let mut idx = vec![0usize; d.ndim()];
                for k in 0..n {
                    let mut p = d.buf;
                    for (dim, &i) in idx.iter().enumerate() {
                        p = d.adjust(raw::offset(p, d.strides[dim] * i as isize), dim);
                    }
                    // SAFETY: `p` addresses one item of the view.
                    unsafe { raw::read_into(p, &mut out[k * d.itemsize..(k + 1) * d.itemsize]) };
                    for (dim, i) in idx.iter_mut().enumerate() {
                        *i += 1;
                        if *i < d.shape[dim] {
                            break;
                        }
                        *i = 0;
                    }
                }
            }
            return;
        }
        d.gather(out);
    }

    /// `m.hex()`.
    pub fn hex(&self) -> Result<String> {
        let d = self.desc()?;
        if d.c {
            crate::errs::check_alloc(d.len, 2)?;
            // Contiguous: hex straight from memory in cache-sized chunks (no full copy).
            return Ok(hex::hex_raw(d.buf, d.len));
        }
        Ok(hex::hex_view(&self.bytes_c(d)?, None, 0))
    }

    /// `m.hex(sep, bytes_per_sep)`: `sep` is `None` or a `str`/`bytes` value of length 1
    /// (ASCII); `bytes_per_sep` groups from the right when positive, from the left when
    /// negative. Checks run in CPython's order: `bytes_per_sep` fits a C int, the view is
    /// not released, then `sep`.
    pub fn hex_sep(&self, sep: Option<&Value>, bytes_per_sep: i64) -> Result<String> {
        let per = i32::try_from(bytes_per_sep)
            .map_err(|_| overflow_error("Python int too large to convert to C int"))?;
        let d = self.desc()?;
        let sep = sep.map(hex::check_sep).transpose()?;
        Ok(hex::hex_view(&self.bytes_c(d)?, sep, per))
    }

    fn bytes_c(&self, d: &Desc) -> Result<Vec<u8>> {
        crate::errs::check_alloc(d.len, 3)?; // the bytes plus two hex digits each
        let mut out = vec![0u8; d.len];
        d.gather(&mut out);
        Ok(out)
    }

    /// `m.toreadonly()`: a new read-only view on the same export.
    pub fn toreadonly(&self) -> Result<MemoryView> {
        let mut d = self.desc()?.clone();
        d.readonly = true;
        Ok(self.derive(d))
    }

    // ----- cast ---------------------------------------------------------------------

    /// `m.cast(format)` / `m.cast(format, shape)` with every CPython rule. Extension:
    /// `format` may be any struct format (e.g. `"<i"`, `"2h"`, `"T{i:x:d:y:}"`) when the
    /// view's format or the new one is a byte format (`B`, `b`, `c`).
    pub fn cast(&self, format: &str, shape: Option<&[isize]>) -> Result<MemoryView> {
        self.cast_order(format, shape, "C")
    }

    /// Extension: `cast` with `order="F"`: the view must be Fortran-contiguous and the new
    /// shape is laid out in Fortran order (`order="C"` is [`MemoryView::cast`]).
    pub fn cast_order(
        &self,
        format: &str,
        shape: Option<&[isize]>,
        order: &str,
    ) -> Result<MemoryView> {
        let d = self.desc()?;
        let fortran = match order {
            "C" => false,
            "F" => true,
            _ => return Err(value_error("order must be 'C' or 'F'")),
        };
        if !fortran && !d.c {
            return Err(type_error(
                "memoryview: casts are restricted to C-contiguous views",
            ));
        }
        if fortran && !d.f {
            return Err(type_error(
                "memoryview: casts with order='F' are restricted to Fortran-contiguous views",
            ));
        }
        if (shape.is_some() || d.ndim() != 1) && d.shape.contains(&0) {
            return Err(type_error(
                "memoryview: cannot cast view with zeros in shape or strides",
            ));
        }
        if let Some(s) = shape {
            if s.len() > MAX_NDIM {
                return Err(value_error(
                    "memoryview: number of dimensions must not exceed 64",
                ));
            }
            if d.ndim() != 1 && s.len() != 1 {
                return Err(type_error("memoryview: cast must be 1D -> ND or ND -> 1D"));
            }
        }
        // cast_to_1D
        let bad_dest = || {
            value_error(
                "memoryview: destination format must be a native single character format prefixed with an optional '@'",
            )
        };
        pymemory_struct::encode_ascii(format)?;
        let (itemsize, dest_byte, codec) = match codec::native_char(format) {
            Some(c) => {
                let size = codec::native_size(c).unwrap_or(1);
                (size, codec::is_byte_code(c), Codec::Native(c))
            }
            None => {
                let f = Format::parse(format, Dialect::Buffer).map_err(|_| bad_dest())?;
                if f.size() == 0 {
                    return Err(bad_dest());
                }
                (f.size(), false, Codec::Struct(Rc::new(f)))
            }
        };
        let src_byte = codec::native_char(&d.format).is_some_and(codec::is_byte_code);
        if !src_byte && !dest_byte {
            return Err(type_error(
                "memoryview: cannot cast between two non-byte formats",
            ));
        }
        if d.len % itemsize != 0 {
            return Err(type_error(
                "memoryview: length is not a multiple of itemsize",
            ));
        }
        // Built field by field rather than from `d.clone()`: cloning the source's shape and
        // strides only to replace them was a third of the cost of this O(1) operation.
        let mut nd = Desc {
            buf: d.buf,
            len: d.len,
            itemsize,
            readonly: d.readonly,
            format: format.into(),
            codec,
            shape: vec![d.len / itemsize],
            strides: vec![itemsize as isize],
            suboffsets: None,
            c: false,
            f: false,
        };
        if let Some(s) = shape {
            // cast_to_ND
            let mut len = itemsize;
            let mut dims = Vec::with_capacity(s.len());
            for &x in s {
                if x <= 0 {
                    return Err(value_error(
                        "memoryview.cast(): elements of shape must be integers > 0",
                    ));
                }
                if x as usize > isize::MAX as usize / len {
                    return Err(value_error("memoryview.cast(): product(shape) > SSIZE_MAX"));
                }
                len *= x as usize;
                dims.push(x as usize);
            }
            nd.strides = if fortran {
                layout::f_strides(&dims, itemsize)?
            } else {
                layout::c_strides(&dims, itemsize)?
            };
            nd.shape = dims;
            if d.len != len {
                return Err(type_error(
                    "memoryview: product(shape) * itemsize != buffer size",
                ));
            }
        }
        nd.init_flags();
        Ok(self.derive(nd))
    }

    // ----- subscripts ---------------------------------------------------------------

    /// `len(m)`.
    pub fn len(&self) -> Result<usize> {
        let d = self.desc()?;
        if d.ndim() == 0 {
            return Err(type_error("0-dim memory has no length"));
        }
        Ok(d.shape[0])
    }

    /// True if `len(m) == 0`.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// `m[i]` for a 1-D view: the item value.
    pub fn item(&self, i: isize) -> Result<Value> {
        self.get(i)?.into_value()
    }

    /// `m[key]` (`memory_subscript`). Extensions where CPython raises
    /// `NotImplementedError`: `m[i]` and `m[i, j]` with fewer indices than dimensions give
    /// sub-views; `m[a:b, c:d]` slices several dimensions; every struct format reads.
    /// Extension where CPython raises `TypeError: memoryview: invalid slice key`: a tuple
    /// of at most `ndim` keys mixing ints and slices (`m[1, ::2]`, `m[0:1, 0:1, -1]`) is
    /// numpy basic indexing — each int drops its dimension, each slice keeps it, missing
    /// keys keep the rest whole — and gives a zero-copy view. More keys than dimensions, or
    /// `...` inside a tuple, stay `TypeError: memoryview: invalid slice key`.
    pub fn get(&self, key: impl Into<Subscript>) -> Result<Item> {
        let key = key.into();
        let d = self.desc()?;
        if d.ndim() == 0 {
            return match key {
                Subscript::Tuple(t) if t.is_empty() => {
                    d.check_format()?;
                    Ok(Item::Value(d.unpack(d.buf)?))
                }
                Subscript::Single(Index::Ellipsis) => Ok(Item::View(self.clone())),
                _ => Err(type_error("invalid indexing of 0-dim memory")),
            };
        }
        match &key {
            Subscript::Single(Index::Int(i)) => {
                d.check_format()?;
                if d.ndim() == 1 {
                    let p = d.lookup(d.buf, 0, *i)?;
                    Ok(Item::Value(d.unpack(p)?))
                } else {
                    Ok(Item::View(self.derive(d.subview(&[*i])?)))
                }
            }
            Subscript::Single(Index::Slice(s)) => {
                let mut nd = d.clone();
                nd.slice_dim(s, 0)?;
                nd.init_len();
                nd.init_flags();
                Ok(Item::View(self.derive(nd)))
            }
            Subscript::Tuple(t) if t.iter().all(|k| matches!(k, Index::Int(_))) => {
                let idx: Vec<isize> = t
                    .iter()
                    .map(|k| if let Index::Int(i) = k { *i } else { 0 })
                    .collect();
                d.check_format()?;
                if idx.len() < d.ndim() {
                    return Ok(Item::View(self.derive(d.subview(&idx)?)));
                }
                let p = d.ptr_from_tuple(&idx)?;
                Ok(Item::Value(d.unpack(p)?))
            }
            Subscript::Tuple(t) if t.iter().all(|k| matches!(k, Index::Slice(_))) => {
                if t.len() > d.ndim() {
                    return Err(type_error(format!(
                        "cannot index {}-dimension view with {}-element tuple",
                        d.ndim(),
                        t.len()
                    )));
                }
                let mut nd = d.clone();
                for (dim, k) in t.iter().enumerate() {
                    if let Index::Slice(s) = k {
                        nd.slice_dim(s, dim)?;
                    }
                }
                nd.init_len();
                nd.init_flags();
                Ok(Item::View(self.derive(nd)))
            }
            Subscript::Tuple(t) if is_mixed(t, d.ndim()) => {
                Ok(Item::View(self.derive(d.mixed(t)?)))
            }
            _ => Err(type_error("memoryview: invalid slice key")),
        }
    }

    /// `m[key] = value` (`memory_ass_sub`). For slices (and, as an extension, sub-views
    /// and multi-dimensional slices) the value must be bytes-like: a `Value::Bytes` is
    /// used as a `bytes` object; use [`MemoryView::set_from`] for any other buffer.
    pub fn set(&self, key: impl Into<Subscript>, value: &Value) -> Result<()> {
        self.assign(&key.into(), Rvalue::Value(value))
    }

    /// `m[key] = src` where `src` is another view (any exporter: `MemoryView::new(&x)?`).
    /// Overlapping source and destination behave like `memmove`.
    pub fn set_from(&self, key: impl Into<Subscript>, src: &MemoryView) -> Result<()> {
        self.assign(&key.into(), Rvalue::View(src))
    }

    fn assign(&self, key: &Subscript, value: Rvalue<'_>) -> Result<()> {
        let d = self.desc()?;
        d.check_format()?;
        if d.readonly {
            return Err(type_error("cannot modify read-only memory"));
        }
        let scalar = |p: *mut u8| -> Result<()> {
            match value {
                Rvalue::Value(v) => d.pack(p, v),
                Rvalue::View(src) => match &d.codec {
                    // `?` packs `bool(value)`: a view's truth is `len(view) != 0`, which
                    // raises for 0-d views (3.14) and released views.
                    Codec::Native('?') => d.pack(p, &Value::Bool(src.len()? != 0)),
                    Codec::Native(c) => Err(type_error(format!(
                        "memoryview: invalid type for format '{c}'"
                    ))),
                    // The struct layer rejects a view as it rejects any non-number,
                    // non-bytes object: a stand-in list gives its message for the format
                    // (a non-empty list, since views used as a bool are usually non-empty).
                    _ => d.pack(p, &Value::List(vec![Value::Int(0)])),
                },
            }
        };
        if d.ndim() == 0 {
            return match key {
                Subscript::Single(Index::Ellipsis) => scalar(d.buf),
                Subscript::Tuple(t) if t.is_empty() => scalar(d.buf),
                _ => Err(type_error("invalid indexing of 0-dim memory")),
            };
        }
        match key {
            Subscript::Single(Index::Int(i)) => {
                if d.ndim() > 1 {
                    let src = value.as_view()?;
                    let dest = d.subview(&[*i])?;
                    return self.copy_into(&dest, &src);
                }
                let p = d.lookup(d.buf, 0, *i)?;
                scalar(p)
            }
            Subscript::Single(Index::Slice(s)) => {
                let src = value.as_view()?;
                let mut dest = d.clone();
                dest.slice_dim(s, 0)?;
                dest.init_len();
                self.copy_into(&dest, &src)
            }
            Subscript::Tuple(t) if t.iter().all(|k| matches!(k, Index::Int(_))) => {
                let idx: Vec<isize> = t
                    .iter()
                    .map(|k| if let Index::Int(i) = k { *i } else { 0 })
                    .collect();
                if idx.len() < d.ndim() {
                    let src = value.as_view()?;
                    let dest = d.subview(&idx)?;
                    return self.copy_into(&dest, &src);
                }
                let p = d.ptr_from_tuple(&idx)?;
                scalar(p)
            }
            Subscript::Tuple(t)
                if !t.is_empty() && t.iter().all(|k| matches!(k, Index::Slice(_))) =>
            {
                let src = value.as_view()?;
                if t.len() > d.ndim() {
                    return Err(type_error(format!(
                        "cannot index {}-dimension view with {}-element tuple",
                        d.ndim(),
                        t.len()
                    )));
                }
                let mut dest = d.clone();
                for (dim, k) in t.iter().enumerate() {
                    if let Index::Slice(s) = k {
                        dest.slice_dim(s, dim)?;
                    }
                }
                dest.init_len();
                self.copy_into(&dest, &src)
            }
            Subscript::Tuple(t) if is_mixed(t, d.ndim()) => {
                let src = value.as_view()?;
                let dest = d.mixed(t)?;
                self.copy_into(&dest, &src)
            }
            _ => Err(type_error("memoryview: invalid slice key")),
        }
    }

    /// `copy_single` / `copy_buffer`: structure check, then a copy with memmove semantics.
    fn copy_into(&self, dest: &Desc, src: &MemoryView) -> Result<()> {
        let s = src.desc()?;
        let strip = |f: &str| {
            f.strip_prefix('@')
                .map(str::to_owned)
                .unwrap_or_else(|| f.to_owned())
        };
        let same_shape = dest.ndim() == s.ndim() && {
            let mut ok = true;
            for (a, b) in dest.shape.iter().zip(&s.shape) {
                if a != b {
                    ok = false;
                    break;
                }
                if *a == 0 {
                    break;
                }
            }
            ok
        };
        if strip(&dest.format) != strip(&s.format) || dest.itemsize != s.itemsize || !same_shape {
            return Err(value_error(
                "memoryview assignment: lvalue and rvalue have different structures",
            ));
        }
        if dest.len == 0 || dest.shape.contains(&0) {
            return Ok(());
        }
        if dest.is_contiguous('C') && s.is_contiguous('C') {
            // SAFETY: both views are C-contiguous over `len` bytes of held exports; the
            // destination is writable (checked); `copy` handles overlap like memmove.
            unsafe { raw::move_bytes(dest.buf, s.buf, dest.len) };
            return Ok(());
        }
        // Read the whole source before writing: memmove semantics for any overlap.
        crate::errs::check_alloc(dest.len, 1)?;
        let mut tmp = vec![0u8; dest.len];
        s.gather(&mut tmp);
        dest.scatter(&tmp);
        Ok(())
    }

    // ----- searching and comparing --------------------------------------------------

    /// `m.count(value)` (CPython 3.14): items equal to `value` (Python `==`).
    pub fn count(&self, value: &Value) -> Result<usize> {
        let d = &self.0.d;
        if d.ndim() == 0 {
            return Err(type_error("invalid indexing of 0-dim memory"));
        }
        if d.ndim() > 1 {
            return Err(not_implemented(
                "multi-dimensional sub-views are not implemented",
            ));
        }
        d.check_format()?;
        let d = self.desc()?;
        let mut n = 0usize;
        if let (Codec::Native(c), Some(target), None) =
            (&d.codec, Num::of_value(value), &d.suboffsets)
        {
            if let Some(n) = codec::count_native(*c, d.buf, d.strides[0], d.shape[0], target) {
                return Ok(n);
            }
            if *c != 'c' {
                let c = *c;
                d.walk(&mut |p| {
                    // SAFETY: `p` addresses one item of the view.
                    if unsafe { codec::read_num(c, p) }.is_some_and(|x| x.py_eq(target)) {
                        n += 1;
                    }
                    true
                });
                return Ok(n);
            }
        }
        let mut err = None;
        d.walk(&mut |p| match d.unpack(p) {
            Ok(v) => {
                if codec::py_eq(&v, value) {
                    n += 1;
                }
                true
            }
            Err(e) => {
                err = Some(e);
                false
            }
        });
        err.map_or(Ok(n), Err)
    }

    /// `m.index(value, start, stop)` (CPython 3.14); `None` bounds are `0` and
    /// `sys.maxsize`. `ValueError: memoryview.index(x): x not found` when absent.
    pub fn index(&self, value: &Value, start: Option<isize>, stop: Option<isize>) -> Result<usize> {
        let d = self.desc()?;
        if d.ndim() == 0 {
            return Err(type_error("invalid lookup on 0-dim memory"));
        }
        if d.ndim() > 1 {
            return Err(not_implemented(
                "multi-dimensional lookup is not implemented",
            ));
        }
        let n = d.shape[0] as isize;
        let mut start = start.unwrap_or(0);
        let mut stop = stop.unwrap_or(isize::MAX);
        if start < 0 {
            start = (start + n).max(0);
        }
        if stop < 0 {
            stop = (stop + n).max(0);
        }
        stop = stop.min(n);
        for i in start..stop {
            d.check_format()?;
            let p = d.lookup(d.buf, 0, i)?;
            if codec::py_eq(&d.unpack(p)?, value) {
                return Ok(i as usize);
            }
        }
        Err(value_error("memoryview.index(x): x not found"))
    }

    /// `m == other` (`memory_richcompare`): equal shapes and items equal under struct
    /// unpacking, across formats; NaN never equal; formats that cannot be parsed are never
    /// equal. Extension: formats only the PEP 3118 dialect accepts (`T{...}`) compare by
    /// value instead of being unequal.
    #[must_use]
    pub fn equals(&self, other: &MemoryView) -> bool {
        if self.is_released() || other.is_released() {
            return Rc::ptr_eq(&self.0, &other.0);
        }
        compare(&self.0.d, &other.0.d)
    }

    /// `m == obj` for any exporter (`obj` is exported with `PyBUF_FULL_RO`); an object
    /// that refuses to export compares unequal.
    pub fn eq_exporter<E: BufferExporter + Clone>(&self, other: &E) -> bool {
        match MemoryView::new(other) {
            Ok(w) => {
                let r = self.equals(&w);
                let _ = w.release();
                r
            }
            Err(_) => false,
        }
    }

    /// `hash(m)`: only for read-only views of format `B`, `b` or `c`; equal to
    /// `hash(m.tobytes())` in a CPython run with `PYTHONHASHSEED=0` (key [`HASH_KEY`]).
    pub fn hash(&self) -> Result<i64> {
        self.hash_with_key(HASH_KEY.0, HASH_KEY.1)
    }

    /// `hash(m)` with an explicit SipHash-1-3 key (CPython's `_Py_HashSecret.siphash`).
    pub fn hash_with_key(&self, k0: u64, k1: u64) -> Result<i64> {
        if let Some((a, b, h)) = self.0.hash.get() {
            if (a, b) == (k0, k1) {
                return Ok(h);
            }
        }
        let d = self.desc()?;
        if !d.readonly {
            return Err(value_error("cannot hash writable memoryview object"));
        }
        if !codec::native_char(&d.format).is_some_and(codec::is_byte_code) {
            return Err(value_error(
                "memoryview: hashing is restricted to formats 'B', 'b' or 'c'",
            ));
        }
        if let Some(m) = self.0.mbuf.borrow().as_ref() {
            m.check_hash()?;
        }
        crate::errs::check_alloc(d.len, 1)?;
        let mut bytes = vec![0u8; d.len];
        d.gather(&mut bytes);
        let h = codec::hash_bytes(&bytes, k0, k1);
        self.0.hash.set(Some((k0, k1, h)));
        Ok(h)
    }

    /// `iter(m)`: items of a 1-D view; sub-views of an N-D view (extension).
    pub fn iter(&self) -> Result<ViewIter> {
        let d = &self.0.d;
        if d.ndim() == 0 {
            return Err(type_error("invalid indexing of 0-dim memory"));
        }
        d.check_format()?;
        Ok(ViewIter {
            view: self.clone(),
            next: 0,
            len: d.shape[0],
        })
    }
}

/// A tuple key for [`Desc::mixed`]: ints and slices only, at least one of each, and no
/// more keys than dimensions (CPython's `memoryview: invalid slice key` otherwise).
fn is_mixed(keys: &[Index], ndim: usize) -> bool {
    keys.len() <= ndim
        && keys.iter().any(|k| matches!(k, Index::Int(_)))
        && keys.iter().any(|k| matches!(k, Index::Slice(_)))
        && keys.iter().all(|k| !matches!(k, Index::Ellipsis))
}

enum Rvalue<'a> {
    Value(&'a Value),
    View(&'a MemoryView),
}

impl Rvalue<'_> {
    /// `PyObject_GetBuffer(value, PyBUF_FULL_RO)` for an assignment source.
    fn as_view(&self) -> Result<MemoryView> {
        match self {
            Rvalue::View(m) => {
                m.desc()?;
                Ok((*m).clone())
            }
            Rvalue::Value(Value::Bytes(b)) => MemoryView::new(&crate::Bytes::from(b.clone())),
            Rvalue::Value(v) => Err(type_error(format!(
                "a bytes-like object is required, not '{}'",
                v.type_name()
            ))),
        }
    }
}

fn compare(v: &Desc, w: &Desc) -> bool {
    // equiv_shape
    if v.ndim() != w.ndim() {
        return false;
    }
    for (a, b) in v.shape.iter().zip(&w.shape) {
        if a != b {
            return false;
        }
        if *a == 0 {
            break;
        }
    }
    // Formats that cannot be unpacked are never equal, even for empty views (CPython
    // fails to build the struct unpacker before comparing anything).
    if matches!(v.codec, Codec::Invalid(_)) || matches!(w.codec, Codec::Invalid(_)) {
        return false;
    }
    if v.shape.contains(&0) {
        return true;
    }
    let (vc, wc) = (codec::native_char(&v.format), codec::native_char(&w.format));
    let fast = match (vc, wc) {
        (Some(a), Some(b)) if a != 'c' && b != 'c' => Some((a, b)),
        _ => None,
    };
    if v.ndim() == 1 && w.suboffsets.is_none() && v.suboffsets.is_none() {
        let n = v.shape[0];
        if let Some((a, b)) = fast {
            if let Some(eq) = codec::eq_int_runs(a, v.buf, v.strides[0], b, w.buf, w.strides[0], n)
            {
                return eq;
            }
            if let (Some(ra), Some(rb)) = (codec::int_reader(a), codec::int_reader(b)) {
                let (mut p, mut q) = (v.buf, w.buf);
                for _ in 0..n {
                    // SAFETY: `p`, `q` address one item of each held 1-D view.
                    if unsafe { ra(p) != rb(q) } {
                        return false;
                    }
                    p = raw::offset(p, v.strides[0]);
                    q = raw::offset(q, w.strides[0]);
                }
                return true;
            }
        }
        let (mut p, mut q) = (v.buf, w.buf);
        for _ in 0..n {
            let eq = match fast {
                // SAFETY: `p`, `q` address one item of each view.
                Some((a, b)) => unsafe {
                    match (codec::read_num(a, p), codec::read_num(b, q)) {
                        (Some(x), Some(y)) => x.py_eq(y),
                        _ => false,
                    }
                },
                None => item_eq(v, p, w, q),
            };
            if !eq {
                return false;
            }
            p = raw::offset(p, v.strides[0]);
            q = raw::offset(q, w.strides[0]);
        }
        return true;
    }
    let eq = |p: *mut u8, q: *mut u8| match fast {
        // SAFETY: `p`, `q` address one item of each view.
        Some((a, b)) => unsafe {
            matches!((codec::read_num(a, p), codec::read_num(b, q)), (Some(x), Some(y)) if x.py_eq(y))
        },
        None => item_eq(v, p, w, q),
    };
    if v.ndim() == 0 {
        return eq(v.buf, w.buf);
    }
    cmp_dim(v, w, 0, v.buf, w.buf, &eq)
}

/// `cmp_rec`: compares dimension `dim` of both views item by item, in C order.
fn cmp_dim(
    v: &Desc,
    w: &Desc,
    dim: usize,
    p: *mut u8,
    q: *mut u8,
    eq: &dyn Fn(*mut u8, *mut u8) -> bool,
) -> bool {
    let last = dim + 1 == v.ndim();
    let (mut p, mut q) = (p, q);
    for _ in 0..v.shape[dim] {
        let (x, y) = (v.adjust(p, dim), w.adjust(q, dim));
        let same = if last {
            eq(x, y)
        } else {
            cmp_dim(v, w, dim + 1, x, y, eq)
        };
        if !same {
            return false;
        }
        p = raw::offset(p, v.strides[dim]);
        q = raw::offset(q, w.strides[dim]);
    }
    true
}

fn item_eq(v: &Desc, p: *mut u8, w: &Desc, q: *mut u8) -> bool {
    match (v.unpack(p), w.unpack(q)) {
        (Ok(a), Ok(b)) => codec::py_eq(&a, &b),
        _ => false,
    }
}

impl PartialEq for MemoryView {
    fn eq(&self, other: &MemoryView) -> bool {
        self.equals(other)
    }
}

/// Iterator over `m` (`iter(m)`): item values, or sub-views of an N-D view.
#[derive(Debug)]
pub struct ViewIter {
    view: MemoryView,
    next: usize,
    len: usize,
}

impl Iterator for ViewIter {
    type Item = Result<Item>;
    fn next(&mut self) -> Option<Result<Item>> {
        if self.next >= self.len {
            return None;
        }
        let i = self.next as isize;
        self.next += 1;
        Some(self.view.get(i))
    }
}

impl fmt::Display for MemoryView {
    /// `repr(m)`: `<memory at 0x...>` / `<released memory at 0x...>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = Rc::as_ptr(&self.0) as usize;
        if self.is_released() {
            write!(f, "<released memory at {addr:#x}>")
        } else {
            write!(f, "<memory at {addr:#x}>")
        }
    }
}

impl fmt::Debug for MemoryView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0.d;
        f.debug_struct("MemoryView")
            .field("released", &self.is_released())
            .field("format", &&*d.format)
            .field("itemsize", &d.itemsize)
            .field("shape", &d.shape)
            .field("strides", &d.strides)
            .field("suboffsets", &d.suboffsets)
            .field("readonly", &d.readonly)
            .finish()
    }
}

/// One re-export of a view (`memoryview(m)` held by a consumer), carried in the
/// descriptor's `keep_alive`: it keeps the view object alive and counts the export until
/// the last clone of the descriptor drops.
struct ViewExport(Rc<ViewInner>);

impl Drop for ViewExport {
    fn drop(&mut self) {
        self.0.exports.set(self.0.exports.get().saturating_sub(1));
    }
}

// SAFETY: (1)-(2) the descriptor is this view's, which only addresses memory of the
// export it holds through `mbuf`. Its `keep_alive` is a `ViewExport` that keeps the view
// object alive and its `exports` above zero until the descriptor's last clone drops, and
// the view refuses `release` while `exports > 0`, so the view's hold on the underlying
// export outlives every descriptor handed out. (3) views never form references to the
// memory.
// (4)-(5) shape/strides/suboffsets come from a validated view descriptor.
unsafe impl BufferExporter for MemoryView {
    fn get_buffer(&self, flags: BufferFlags) -> Result<RawBuffer> {
        let d = self.desc()?;
        let raw = RawBuffer {
            buf: d.buf,
            len: d.len,
            itemsize: d.itemsize,
            readonly: d.readonly,
            format: Some(d.format.to_string().into()),
            ndim: d.ndim(),
            shape: Some(d.shape.clone()),
            strides: Some(d.strides.clone()),
            suboffsets: d.suboffsets.clone(),
            keep_alive: None,
        };
        let raw = raw.apply_request(flags, &RequestMessages::MEMORYVIEW)?;
        self.0.exports.set(self.0.exports.get() + 1);
        Ok(raw.hold(ViewExport(Rc::clone(&self.0))))
    }
    fn type_name(&self) -> &'static str {
        "memoryview"
    }
}
