//! A test exporter equivalent to CPython's `_testbuffer.ndarray`.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use crate::error::Result;
use crate::errs::{type_error, value_error};
use crate::exporter::{BufferExporter, ExportCount, RawBuffer, RequestMessages, layout};
use crate::flags::BufferFlags;
use crate::raw;

/// Construction flags of [`NdArray`], named after `_testbuffer`'s `ND_*` constants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NdFlags {
    /// `ND_WRITABLE`: consumers may write.
    pub writable: bool,
    /// `ND_FORTRAN`: without explicit strides, lay the items out in Fortran order.
    pub fortran: bool,
    /// `ND_PIL`: convert to the suboffset (PIL-style) representation, as `_testbuffer`
    /// does: an array of pointers to the sub-arrays of the first dimension.
    pub pil: bool,
}

struct Inner {
    // 8-byte aligned storage, like the malloc'ed block of `_testbuffer`. An `Rc`, not a
    // `Box`: moving a `Box` asserts uniqueness, which would invalidate the pointers into
    // it that `base` (and the PIL pointer table) hold.
    _storage: Rc<[Cell<u64>]>,
    base: RawBuffer,
    exports: ExportCount,
}

/// An N-D exporter with arbitrary shape, strides (negative, zero), offset, suboffsets and
/// read-only flag: the Rust twin of `_testbuffer.ndarray`, for tests. Building one with the
/// same arguments as `ndarray(items, shape, strides, offset, format, flags)` gives the same
/// layout (`strides`, `suboffsets`) that CPython's test module reports.
///
/// ```
/// use pymemory_buffer::{NdArray, NdFlags, MemoryView};
/// // ndarray(list(range(12)), shape=[3, 4], strides=[-4, 1], offset=8, format='B')
/// let items: Vec<u8> = (0..12).collect();
/// let nd = NdArray::new(&items, &[3, 4], Some(&[-4, 1]), 8, "B", 1, NdFlags::default()).unwrap();
/// let m = MemoryView::new(&nd).unwrap();
/// assert_eq!(m.tolist().unwrap().to_string(), "[[8, 9, 10, 11], [4, 5, 6, 7], [0, 1, 2, 3]]");
/// ```
#[derive(Clone)]
pub struct NdArray(Rc<Inner>);

impl NdArray {
    /// Builds an array over `data` (the packed items, `len(items) * itemsize` bytes) with
    /// `_testbuffer`'s checks and messages.
    pub fn new(
        data: &[u8],
        shape: &[usize],
        strides: Option<&[isize]>,
        offset: isize,
        format: &str,
        itemsize: usize,
        flags: NdFlags,
    ) -> Result<NdArray> {
        if itemsize == 0 {
            return Err(value_error("itemsize must not be zero"));
        }
        if data.is_empty() {
            return Err(value_error("initializer list or tuple must not be empty"));
        }
        if shape.len() > 128 {
            return Err(value_error("ndim must not exceed 128"));
        }
        let ndim = shape.len();
        if ndim == 0 && flags.pil {
            return Err(type_error(
                "ndim = 0 cannot be used in conjunction with ND_PIL",
            ));
        }
        let strides: Vec<isize> = match strides {
            Some(s) if !s.is_empty() => {
                if flags.fortran {
                    return Err(type_error(
                        "ND_FORTRAN cannot be used together with strides",
                    ));
                }
                if s.len() != ndim {
                    return Err(value_error("len(shape) != len(strides)"));
                }
                s.to_vec()
            }
            _ if flags.fortran => layout::f_strides(shape, itemsize)?,
            _ => layout::c_strides(shape, itemsize)?,
        };
        let len = data.len();
        verify_structure(len, itemsize, offset, shape, &strides)?;

        let pil = flags.pil;
        // PIL layout: pointers to the sub-arrays come first, 8-aligned.
        let addsize = if pil {
            shape[0]
                .checked_mul(size_of::<*mut u8>())
                .filter(|&a| a <= 1 << 31)
                .ok_or_else(|| value_error("ndarray: too many sub-arrays for ND_PIL"))?
                .div_ceil(8)
                * 8
        } else {
            0
        };
        let total = addsize + len;
        let storage: Rc<[Cell<u64>]> = (0..total.div_ceil(8)).map(|_| Cell::new(0)).collect();
        let base_ptr = raw::cells_ptr(&storage);
        // SAFETY: the storage holds `total >= addsize + len` bytes; `data` is a separate
        // Rust slice.
        unsafe { raw::write_from(raw::offset(base_ptr, addsize as isize), data) };

        let mut strides = strides;
        let mut suboffsets = None;
        let buf;
        if pil {
            let (mut imin, mut suboffset0) = (0isize, 0isize);
            for n in 0..ndim {
                if shape[n] == 0 {
                    break;
                }
                if strides[n] <= 0 {
                    let x = (shape[n] as isize - 1) * strides[n];
                    imin += x;
                    if n >= 1 {
                        suboffset0 -= x;
                    }
                }
            }
            let start = addsize as isize + offset + imin;
            let step = strides[0].abs();
            for n in 0..shape[0] {
                let target = raw::offset(base_ptr, start + n as isize * step);
                // SAFETY: slot `n` lies in the first `addsize` bytes of the storage.
                unsafe {
                    raw::write::<*mut u8>(
                        raw::offset(base_ptr, (n * size_of::<*mut u8>()) as isize),
                        target,
                    )
                };
            }
            let mut subs = vec![-1isize; ndim];
            subs[0] = suboffset0;
            suboffsets = Some(subs);
            let psize = size_of::<*mut u8>() as isize;
            if strides[0] >= 0 {
                strides[0] = psize;
                buf = base_ptr;
            } else {
                strides[0] = -psize;
                buf = raw::offset(base_ptr, (shape[0] as isize - 1).max(0) * psize);
            }
        } else {
            buf = raw::offset(base_ptr, offset);
        }
        let base = RawBuffer::full(
            buf,
            itemsize,
            !flags.writable,
            format.to_owned(),
            shape.to_vec(),
            strides,
            suboffsets,
            None,
        );
        Ok(NdArray(Rc::new(Inner {
            _storage: storage,
            base,
            exports: ExportCount::new(),
        })))
    }

    /// Live exports.
    #[must_use]
    pub fn exports(&self) -> usize {
        self.0.exports.get()
    }
}

fn verify_structure(
    len: usize,
    itemsize: usize,
    offset: isize,
    shape: &[usize],
    strides: &[isize],
) -> Result<()> {
    let isz = itemsize as isize;
    if offset % isz != 0 {
        return Err(value_error("offset must be a multiple of itemsize"));
    }
    if offset < 0 || offset.checked_add(isz).is_none_or(|end| end > len as isize) {
        return Err(value_error("offset is out of bounds"));
    }
    if strides.iter().any(|s| s % isz != 0) {
        return Err(value_error("strides must be a multiple of itemsize"));
    }
    if shape.contains(&0) {
        return Ok(());
    }
    let (lo, hi) = layout::extent(shape, strides, itemsize)?;
    if lo.checked_add(offset).is_none_or(|v| v < 0)
        || hi.checked_add(offset).is_none_or(|v| v > len as isize)
    {
        return Err(value_error(
            "invalid combination of buffer, shape and strides",
        ));
    }
    Ok(())
}

impl fmt::Debug for NdArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NdArray")
            .field("base", &self.0.base)
            .field("exports", &self.0.exports.get())
            .finish()
    }
}

// SAFETY: (1) `verify_structure` checked that every item of the strided layout lies in
// the data part of the storage; PIL pointers point at sub-arrays inside it, and the
// suboffset adjusts them exactly as `_testbuffer` does. (2) The storage is owned by the
// `Rc` that the descriptor keeps through the handle clone in its `keep_alive`, and is
// never reallocated. (3) The
// storage is `Cell`s, never borrowed as a slice after construction. (4)-(5) shape/strides/
// suboffsets have `ndim` entries, `len` is computed by `RawBuffer::full`, `buf` points into
// a live allocation (non-null).
unsafe impl BufferExporter for NdArray {
    fn get_buffer(&self, flags: BufferFlags) -> Result<RawBuffer> {
        let raw = self
            .0
            .base
            .clone()
            .apply_request(flags, &RequestMessages::NDARRAY)?;
        // The export (and the storage) lasts as long as the descriptor.
        Ok(raw.hold((self.0.exports.acquire(), self.clone())))
    }
    fn type_name(&self) -> &'static str {
        "_testbuffer.ndarray"
    }
    fn check_hash(&self) -> Result<()> {
        if self.0.base.readonly {
            Ok(())
        } else {
            Err(value_error("cannot hash writable ndarray object"))
        }
    }
}
