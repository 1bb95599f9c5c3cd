//! The crate's one SIMD kernel: `hex()` of a large contiguous view on x86_64, written with
//! non-temporal (streaming) stores.
//!
//! A 10 MB view gives a 20 MB string, larger than the core's caches. With ordinary stores
//! each output cache line is first read from memory (read-for-ownership), then written
//! back: 20 MB of extra memory traffic on top of the 30 MB the operation needs. Streaming
//! stores skip that read: 10 MB in 2.7 ms instead of 3.9 ms for the portable loop of
//! `hex.rs` when the output is not in cache (CPython: 7-8 ms). Small outputs keep ordinary
//! stores: they stay in cache for whoever reads the string next.
//!
//! Like `raw`, this reads exported memory through raw pointers only (16-byte unaligned
//! loads), never through references.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_set1_epi8,
    _mm_srli_epi16, _mm_unpackhi_epi8, _mm_unpacklo_epi8,
};
#[cfg(all(target_arch = "x86_64", not(miri)))]
use std::arch::x86_64::{_mm_sfence, _mm_stream_si128};
use std::mem::MaybeUninit;

/// Outputs at least this large (in bytes of hex digits) are streamed.
pub(crate) const STREAM_MIN: usize = 1 << 21;

/// Writes the hex digits of the `out.len() / 2` bytes at `src` into `out` with streaming
/// stores, and returns true; returns false, writing nothing, when this machine or `out`'s
/// address does not allow it (the caller then uses the portable loop).
///
/// `pairs` is the digit table (`pairs[b]` = the two digits of byte `b`) for the few bytes
/// before the first 16-byte-aligned output position and after the last whole block.
///
/// # Safety
/// 1. `src` is readable for `out.len() / 2` bytes (memory of an export the caller holds;
///    no other code writes it during the call);
/// 2. `src..src + out.len() / 2` does not overlap `out`.
pub(crate) unsafe fn hex_stream(
    src: *const u8,
    out: &mut [MaybeUninit<u8>],
    pairs: &[[u8; 2]; 256],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: forwarded contract (1)-(2).
        unsafe { hex_stream_sse2(src, out, pairs) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (src, out, pairs);
        false
    }
}

/// The x86_64 kernel (SSE2 is part of the x86_64 baseline, so no runtime detection).
///
/// # Safety
/// As [`hex_stream`].
#[cfg(target_arch = "x86_64")]
unsafe fn hex_stream_sse2(
    src: *const u8,
    out: &mut [MaybeUninit<u8>],
    pairs: &[[u8; 2]; 256],
) -> bool {
    let len = out.len() / 2;
    let dst = out.as_mut_ptr().cast::<u8>();
    // Streaming stores need 16-byte-aligned destinations; each input byte moves the output
    // by two, so an odd output address never reaches one.
    if dst.addr() % 2 != 0 {
        return false;
    }
    let head = (dst.addr().wrapping_neg() % 16 / 2).min(len);
    let blocks = (len - head) / 16;
    // Every write below goes through `dst`, so no later use of `out` invalidates it.
    let scalar = |i: usize| {
        // SAFETY: callers pass `i < len`: `src + i` is readable by contract (1), and
        // `dst + 2 * i`, `dst + 2 * i + 1` lie inside `out` (`2 * i + 1 < 2 * len`).
        unsafe {
            let b = src.add(i).read();
            dst.add(2 * i).write(pairs[b as usize][0]);
            dst.add(2 * i + 1).write(pairs[b as usize][1]);
        }
    };
    (0..head).for_each(scalar);
    // Why the block below is sound: (1) every load reads 16 bytes at `src + i` with `i + 16 <= len` (`i` runs
    // over whole blocks after `head`), readable by contract (1); `_mm_loadu_si128` has no
    // alignment requirement. (2) Every store writes 16 bytes at `dst + 2 * i` or
    // `dst + 2 * i + 16`, inside `out` (`2 * (i + 16) <= 2 * len <= out.len()`), which
    // this function borrows mutably, and aligned to 16 (`dst + 2 * head` is aligned and
    // blocks advance it by 32). (3) The `_mm_sfence` after the loop orders the streaming
    // stores before any later access to `out`, as `_mm_stream_si128` requires. (4) SSE2
    // is enabled on every x86_64 target.
    // SAFETY: loads, stores, fence and target feature as (1)-(4) just above.
    unsafe {
        let low = _mm_set1_epi8(0x0f);
        let nine = _mm_set1_epi8(9);
        let zero = _mm_set1_epi8(b'0' as i8);
        let gap = _mm_set1_epi8((b'a' - b'0' - 10) as i8);
        // '0' + n, plus the gap up to 'a' where n > 9, in every byte lane.
        let digits = |n: __m128i| {
            _mm_add_epi8(
                _mm_add_epi8(n, zero),
                _mm_and_si128(_mm_cmpgt_epi8(n, nine), gap),
            )
        };
        for k in 0..blocks {
            let i = head + 16 * k;
            let x = _mm_loadu_si128(src.add(i).cast::<__m128i>());
            let hi = digits(_mm_and_si128(_mm_srli_epi16::<4>(x), low));
            let lo = digits(_mm_and_si128(x, low));
            let d = dst.add(2 * i);
            stream(d.cast::<__m128i>(), _mm_unpacklo_epi8(hi, lo));
            stream(d.add(16).cast::<__m128i>(), _mm_unpackhi_epi8(hi, lo));
        }
        #[cfg(not(miri))]
        _mm_sfence();
        // Miri has no `sfence` shim; it runs streaming stores as plain stores, which the
        // strongest ordinary fence covers.
        #[cfg(miri)]
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
    }
    (head + 16 * blocks..len).for_each(scalar);
    true
}

/// One streaming 16-byte store; under Miri, which cannot run the inline assembly of
/// `_mm_stream_si128`, an ordinary aligned store to the same place, so that Miri still
/// checks its bounds, alignment and provenance.
///
/// # Safety
/// `p` is aligned to 16 and writable for 16 bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn stream(p: *mut __m128i, v: __m128i) {
    // SAFETY: forwarded contract; SSE2 is enabled on every x86_64 target.
    #[cfg(not(miri))]
    unsafe {
        _mm_stream_si128(p, v)
    };
    // SAFETY: forwarded contract (`write` needs the alignment of `__m128i`, 16).
    #[cfg(miri)]
    unsafe {
        p.write(v)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs() -> [[u8; 2]; 256] {
        std::array::from_fn(|b| {
            let s = format!("{b:02x}");
            [s.as_bytes()[0], s.as_bytes()[1]]
        })
    }

    #[test]
    fn streamed_digits_match_at_every_alignment() {
        // Every output alignment (odd ones fall back), unaligned sources, and lengths that
        // cover head only, head + blocks, and a tail.
        let pairs = pairs();
        let data: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
        let lens: &[usize] = if cfg!(miri) {
            &[0, 1, 7, 16, 40, 71]
        } else {
            &[0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 40, 71, 200, 509]
        };
        for &len in lens {
            for src_off in 0..3 {
                let src = &data[src_off..src_off + len];
                let want: Vec<u8> = src.iter().flat_map(|&b| pairs[b as usize]).collect();
                for out_off in 0..17 {
                    let mut buf = vec![MaybeUninit::new(b'?'); out_off + 2 * len + 1];
                    let out = &mut buf[out_off..out_off + 2 * len];
                    // SAFETY: `src` is a live slice of `len` bytes, disjoint from `buf`.
                    let done = unsafe { hex_stream(src.as_ptr(), out, &pairs) };
                    // SAFETY: every element of `buf` was initialised by `MaybeUninit::new`
                    // and the kernel only writes initialised bytes.
                    let got: Vec<u8> = buf.iter().map(|b| unsafe { b.assume_init() }).collect();
                    let addr_even = buf.as_ptr().wrapping_add(out_off).addr() % 2 == 0;
                    assert_eq!(done, cfg!(target_arch = "x86_64") && addr_even);
                    if done {
                        assert_eq!(
                            &got[out_off..out_off + 2 * len],
                            &want[..],
                            "{len} {src_off} {out_off}"
                        );
                    }
                    // Nothing outside the output is touched.
                    assert!(got[..out_off].iter().all(|&b| b == b'?'));
                    assert_eq!(got[out_off + 2 * len], b'?');
                }
            }
        }
    }
}
