//! `memoryview.hex(sep, bytes_per_sep)`: CPython's `_Py_strhex_with_sep` rules.

use std::mem::MaybeUninit;

use pymemory_struct::Value;

use crate::error::Result;
use crate::errs::{type_error, value_error};
use crate::{raw, simd};

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Two ASCII hex digits per byte value, so the hot loop does one table load per byte.
static PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
        i += 1;
    }
    t
};

/// Validates `sep` as CPython does: length first, then type, then ASCII.
pub(crate) fn check_sep(sep: &Value) -> Result<u8> {
    let len = match sep {
        Value::Str(s) => s.chars().count(),
        Value::Bytes(b) => b.len(),
        Value::Tuple(t) | Value::List(t) => t.len(),
        other => {
            return Err(type_error(format!(
                "object of type '{}' has no len()",
                other.type_name()
            )));
        }
    };
    if len != 1 {
        return Err(value_error("sep must be length 1."));
    }
    let c = match sep {
        Value::Str(s) => {
            let c = s.chars().next().unwrap_or('\0');
            if (c as u32) > 255 {
                return Err(value_error("sep must be ASCII."));
            }
            c as u32 as u8
        }
        Value::Bytes(b) => b[0],
        _ => return Err(type_error("sep must be str or bytes.")),
    };
    if c > 127 {
        return Err(value_error("sep must be ASCII."));
    }
    Ok(c)
}

/// Bytes per block of the hex loops: 32 in, 64 digits out, a size LLVM turns into SIMD
/// shuffles (SSE2 on every x86_64, NEON on aarch64) without any `unsafe` here.
const BLOCK: usize = 32;

/// The lowercase hex digit of a nibble (`n < 16`), without a branch or a table load, so
/// that a block of them vectorises: `'0' + n`, plus `'a' - '0' - 10` where `n >= 10`.
#[inline(always)]
fn digit(n: u8) -> u8 {
    n + b'0' + if n >= 10 { b'a' - b'0' - 10 } else { 0 }
}

/// The 64 hex digits of 32 bytes. Every lane is independent, so the loop compiles to
/// vector code (shift, mask, compare, add, interleave): measured 1.45x the speed of a
/// two-digit table lookup per byte (CPython's `_Py_strhex` does two one-digit lookups).
#[inline(always)]
fn hex_block(src: &[u8; BLOCK]) -> [u8; 2 * BLOCK] {
    let mut out = [0u8; 2 * BLOCK];
    for (pair, &b) in out.chunks_exact_mut(2).zip(src) {
        pair[0] = digit(b >> 4);
        pair[1] = digit(b & 15);
    }
    out
}

/// Writes the hex digits of `data` into `out` (`out.len() == 2 * data.len()`).
#[inline]
fn hex_into(data: &[u8], out: &mut [u8]) {
    let mut blocks = data.chunks_exact(BLOCK);
    let mut outs = out.chunks_exact_mut(2 * BLOCK);
    for (c, o) in (&mut blocks).zip(&mut outs) {
        let c: &[u8; BLOCK] = c.try_into().unwrap_or(&[0; BLOCK]);
        o.copy_from_slice(&hex_block(c));
    }
    let done = data.len() - blocks.remainder().len();
    for (o, &b) in out[2 * done..].chunks_exact_mut(2).zip(blocks.remainder()) {
        o.copy_from_slice(&PAIRS[b as usize]);
    }
}

/// `hex_into` for not-yet-initialised output: writes every element of `out`.
#[inline]
fn hex_into_uninit(data: &[u8], out: &mut [MaybeUninit<u8>]) {
    let mut blocks = data.chunks_exact(BLOCK);
    let mut outs = out.chunks_exact_mut(2 * BLOCK);
    for (c, o) in (&mut blocks).zip(&mut outs) {
        let c: &[u8; BLOCK] = c.try_into().unwrap_or(&[0; BLOCK]);
        for (slot, d) in o.iter_mut().zip(hex_block(c)) {
            slot.write(d);
        }
    }
    let done = data.len() - blocks.remainder().len();
    for (o, &b) in out[2 * done..].chunks_exact_mut(2).zip(blocks.remainder()) {
        o[0].write(PAIRS[b as usize][0]);
        o[1].write(PAIRS[b as usize][1]);
    }
}

/// Hex digits of `len` contiguous bytes at `src`: large outputs by the streaming kernel of
/// `simd`, others read in chunks through a small buffer.
pub(crate) fn hex_raw(src: *mut u8, len: usize) -> String {
    // Miri runs the same chunk loop over smaller chunks, so its tests cross chunk
    // boundaries with a few hundred bytes instead of tens of thousands.
    const CHUNK: usize = if cfg!(miri) { 64 } else { 16 * 1024 };
    let fill = |out: &mut [MaybeUninit<u8>]| {
        // SAFETY: (1) the caller passes a contiguous view's base and length, so `src` is
        // readable for `len == out.len() / 2` bytes; (2) `out` is a fresh Rust buffer.
        if out.len() >= simd::STREAM_MIN && unsafe { simd::hex_stream(src, out, &PAIRS) } {
            return;
        }
        let mut buf = [0u8; CHUNK];
        let mut off = 0;
        while off < len {
            let k = CHUNK.min(len - off);
            // SAFETY: the caller passes a contiguous view's base and length; the chunk
            // lies inside it, and `buf` is a separate Rust buffer.
            unsafe { raw::read_into(raw::offset(src, off as isize), &mut buf[..k]) };
            hex_into_uninit(&buf[..k], &mut out[2 * off..2 * (off + k)]);
            off += k;
        }
    };
    // SAFETY: `fill` writes all `2 * len` bytes: chunk `[off, off + k)` of the input
    // fills output `[2 * off, 2 * (off + k))` completely, and the chunks cover `[0, len)`.
    let out = unsafe { raw::vec_init_with(len * 2, fill) };
    raw::ascii_to_string(out)
}

/// Hex digits of `data`, with `sep` every `|per|` bytes counted from the right
/// (`per > 0`) or the left (`per < 0`).
pub(crate) fn hex_view(data: &[u8], sep: Option<u8>, per: i32) -> String {
    let per = if sep.is_some() { per } else { 0 };
    let abs = per.unsigned_abs() as usize;
    let grouped = per != 0 && abs < data.len();
    let mut out: Vec<u8>;
    if !grouped {
        out = vec![0u8; data.len() * 2];
        hex_into(data, &mut out);
    } else {
        let sep = sep.unwrap_or(b':');
        let seps = (data.len() - 1) / abs;
        out = vec![sep; data.len() * 2 + seps];
        // Groups are anchored at the right for positive `per`, at the left for negative.
        let first = if per > 0 {
            match data.len() % abs {
                0 => abs,
                r => r,
            }
        } else {
            abs
        };
        let (head, rest) = data.split_at(first);
        hex_into(head, &mut out[..2 * first]);
        let mut pos = 2 * first;
        for chunk in rest.chunks(abs) {
            pos += 1; // the separator, already in place
            hex_into(chunk, &mut out[pos..pos + 2 * chunk.len()]);
            pos += 2 * chunk.len();
        }
    }
    raw::ascii_to_string(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_hex_matches_the_table() {
        // Past two chunks and a tail (chunks are smaller under Miri).
        let len = if cfg!(miri) { 300 } else { 40_000 };
        let mut data: Vec<u8> = (0..len).map(|i: u32| (i * 7 % 256) as u8).collect();
        let digit = |n: u8| char::from(b"0123456789abcdef"[usize::from(n)]);
        let want: String = data
            .iter()
            .flat_map(|&b| [digit(b >> 4), digit(b & 15)])
            .collect();
        assert_eq!(hex_raw(data.as_mut_ptr(), data.len()), want);
        assert_eq!(hex_raw(data.as_mut_ptr(), 0), "");
    }

    #[test]
    fn blocks_match_the_table() {
        // Every byte value, whole blocks, and every tail length after them.
        let all: Vec<u8> = (0..=255u8).chain(0..=255u8).rev().chain(0..=40).collect();
        for len in (0..=BLOCK * 2 + 1).chain([all.len() - 1, all.len()]) {
            let mut data = all[all.len() - len..].to_vec();
            let want: Vec<u8> = data.iter().flat_map(|&b| PAIRS[b as usize]).collect();
            let mut out = vec![0u8; data.len() * 2];
            hex_into(&data, &mut out);
            assert_eq!(out, want, "len {len}");
            // The uninitialised-output loop, through the contiguous entry point.
            assert_eq!(
                hex_raw(data.as_mut_ptr(), len).as_bytes(),
                want,
                "len {len}"
            );
        }
    }

    #[test]
    fn docstring_examples() {
        // memoryview(b'\xb9\x01\xef').hex(':', 2) == 'b9:01ef'; (':', -2) == 'b901:ef'
        let d = b"\xb9\x01\xef";
        assert_eq!(hex_view(d, None, 0), "b901ef");
        assert_eq!(hex_view(d, Some(b':'), 1), "b9:01:ef");
        assert_eq!(hex_view(d, Some(b':'), 2), "b9:01ef");
        assert_eq!(hex_view(d, Some(b':'), -2), "b901:ef");
        assert_eq!(hex_view(d, Some(b':'), 3), "b901ef");
        assert_eq!(hex_view(d, Some(b':'), 0), "b901ef");
        assert_eq!(hex_view(b"", Some(b':'), 1), "");
    }

    mod large {
        //! Views big enough for the streaming kernel (outputs of 2 MiB and more) and the
        //! layouts that must bypass it; the expected digits are `bytes(m).hex()` computed
        //! byte by byte.
        use crate::{MemoryView, NdArray, NdFlags, Slice, Subscript, VecBuffer};

        fn want(bytes: &[u8]) -> String {
            let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('?');
            bytes
                .iter()
                .flat_map(|&b| [digit(b >> 4), digit(b & 15)])
                .collect()
        }

        fn pattern(n: usize) -> Vec<u8> {
            (0..n).map(|i| (i * 131 + i / 253) as u8).collect()
        }

        #[test]
        #[cfg_attr(miri, ignore = "megabytes of data")]
        fn contiguous_unaligned_and_strided_views() {
            // 1024 rows of 1100 bytes: a 2.2 MB output, just over the streaming threshold.
            let data = pattern(1024 * 1100);
            let buf = VecBuffer::new(data.clone());
            let m = MemoryView::new(&buf).unwrap();
            // memoryview(data).hex()
            assert_eq!(m.hex().unwrap(), want(&data));
            // memoryview(data)[1:].hex(): the source is off by one, the output aligned.
            for start in 1..4 {
                let v = m
                    .get(Slice::new(Some(start), None, None))
                    .unwrap()
                    .into_view()
                    .unwrap();
                assert_eq!(
                    v.hex().unwrap(),
                    want(&data[start as usize..]),
                    "start {start}"
                );
            }
            // memoryview(data)[::-1].hex(): negative stride, gathered first.
            let rev = m
                .get(Slice::new(None, None, Some(-1)))
                .unwrap()
                .into_view()
                .unwrap();
            let back: Vec<u8> = data.iter().rev().copied().collect();
            assert_eq!(rev.hex().unwrap(), want(&back));
            // memoryview(data).cast('>i').hex() (extension format, non-native byte order):
            // hex is of the bytes, whatever the item format.
            let be = m.cast(">i", None).unwrap();
            assert_eq!(be.hex().unwrap(), want(&data));
            // A 2-D C-contiguous cast streams too; its [::2, :] slice does not.
            let g = m.cast("B", Some(&[1024, 1100])).unwrap();
            assert_eq!(g.hex().unwrap(), want(&data));
            let rows = g
                .get(Subscript::parse("::2, :").unwrap())
                .unwrap()
                .into_view()
                .unwrap();
            assert_eq!(rows.hex().unwrap(), want(&rows.tobytes().unwrap()));
        }

        #[test]
        #[cfg_attr(miri, ignore = "megabytes of data")]
        fn suboffsets_fall_back() {
            // ndarray(items, shape=[1024, 1536], format='B', flags=ND_PIL): indirect rows.
            let data = pattern(1024 * 1536);
            let flags = NdFlags {
                pil: true,
                ..NdFlags::default()
            };
            let nd = NdArray::new(&data, &[1024, 1536], None, 0, "B", 1, flags).unwrap();
            let m = MemoryView::new(&nd).unwrap();
            assert!(!m.suboffsets().unwrap().is_empty());
            assert_eq!(m.hex().unwrap(), want(&m.tobytes().unwrap()));
            assert_eq!(m.tobytes().unwrap(), data);
        }

        #[test]
        #[cfg_attr(miri, ignore = "runs python3")]
        fn matches_cpython_on_a_large_unaligned_view() {
            // python3 -c "...; sys.stdout.write(memoryview(data)[3:].hex())"
            let n = 1 << 21;
            let data = pattern(n);
            let script = format!(
                "import sys\n\
                 data = bytes((i * 131 + i // 253) % 256 for i in range({n}))\n\
                 sys.stdout.write(memoryview(data)[3:].hex())"
            );
            let out = std::process::Command::new("python3")
                .args(["-c", &script])
                .output()
                .expect("python3 is required for the differential hex test and was not found");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let buf = VecBuffer::new(data);
            let m = MemoryView::new(&buf).unwrap();
            let v = m
                .get(Slice::new(Some(3), None, None))
                .unwrap()
                .into_view()
                .unwrap();
            assert!(
                v.hex().unwrap().as_bytes() == out.stdout,
                "hex differs from CPython"
            );
        }
    }
}
