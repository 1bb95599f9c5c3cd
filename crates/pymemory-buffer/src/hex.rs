//! `memoryview.hex(sep, bytes_per_sep)`: CPython's `_Py_strhex_with_sep` rules.

use std::mem::MaybeUninit;

use pymemory_struct::Value;

use crate::error::Result;
use crate::errs::{type_error, value_error};
use crate::raw;

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

/// Eight nibbles (one per byte, each < 16) to their lowercase ASCII hex digits, SWAR:
/// `'0' + n`, plus 39 more (`'a' - '0' - 10`) where `n >= 10`.
#[inline]
fn nibbles_to_ascii(n: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let ge10 = ((n + 6 * ONES) >> 4) & ONES;
    n + 0x30 * ONES + ge10 * 39
}

/// Writes the hex digits of `data` into `out` (`out.len() == 2 * data.len()`).
#[inline]
fn hex_into(data: &[u8], out: &mut [u8]) {
    const LOW: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    let mut chunks = data.chunks_exact(8);
    let mut outs = out.chunks_exact_mut(16);
    for (c, o) in (&mut chunks).zip(&mut outs) {
        let x = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        let hi = nibbles_to_ascii((x >> 4) & LOW).to_le_bytes();
        let lo = nibbles_to_ascii(x & LOW).to_le_bytes();
        for k in 0..8 {
            o[2 * k] = hi[k];
            o[2 * k + 1] = lo[k];
        }
    }
    let done = data.len() - chunks.remainder().len();
    for (o, &b) in out[2 * done..].chunks_exact_mut(2).zip(chunks.remainder()) {
        o.copy_from_slice(&PAIRS[b as usize]);
    }
}

/// `hex_into` for not-yet-initialised output: writes every element of `out`.
#[inline]
fn hex_into_uninit(data: &[u8], out: &mut [MaybeUninit<u8>]) {
    const LOW: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    let mut chunks = data.chunks_exact(8);
    let mut outs = out.chunks_exact_mut(16);
    for (c, o) in (&mut chunks).zip(&mut outs) {
        let x = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        let hi = nibbles_to_ascii((x >> 4) & LOW).to_le_bytes();
        let lo = nibbles_to_ascii(x & LOW).to_le_bytes();
        for k in 0..8 {
            o[2 * k].write(hi[k]);
            o[2 * k + 1].write(lo[k]);
        }
    }
    let done = data.len() - chunks.remainder().len();
    for (o, &b) in out[2 * done..].chunks_exact_mut(2).zip(chunks.remainder()) {
        o[0].write(PAIRS[b as usize][0]);
        o[1].write(PAIRS[b as usize][1]);
    }
}

/// Hex digits of `len` contiguous bytes at `src`, read in chunks through a small buffer.
pub(crate) fn hex_raw(src: *mut u8, len: usize) -> String {
    const CHUNK: usize = 16 * 1024;
    let fill = |out: &mut [MaybeUninit<u8>]| {
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
        let mut data: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let want: String = data.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex_raw(data.as_mut_ptr(), data.len()), want);
        assert_eq!(hex_raw(data.as_mut_ptr(), 0), "");
    }

    #[test]
    fn swar_matches_the_table() {
        let data: Vec<u8> = (0..=255u8).chain(0..=255u8).rev().collect();
        let mut out = vec![0u8; data.len() * 2];
        hex_into(&data, &mut out);
        let want: Vec<u8> = data.iter().flat_map(|&b| PAIRS[b as usize]).collect();
        assert_eq!(out, want);
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
}
