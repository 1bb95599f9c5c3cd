//! Native sizes and alignments of the C types behind each format code, taken from the
//! Rust types that share the host C ABI (`core::ffi`), as CPython takes them from
//! `sizeof` and `_Alignof`.

use core::ffi::{c_int, c_long, c_longlong, c_short, c_void};
use core::mem::{align_of, size_of};

/// `(size, alignment)` of `T`.
const fn sa<T>() -> (usize, usize) {
    (size_of::<T>(), align_of::<T>())
}

/// C `long double` is not a Rust type; its ABI facts per target (only its size and
/// alignment matter here: values of it are never read).
const LONG_DOUBLE: (usize, usize) = if cfg!(any(windows, target_arch = "arm")) {
    (8, 8)
} else if cfg!(target_arch = "x86") {
    (12, 4)
} else {
    (16, 16)
};

/// C `wchar_t`: UTF-16 code units on Windows, UCS-4 elsewhere.
const WCHAR: (usize, usize) = if cfg!(windows) { (2, 2) } else { (4, 4) };

/// Native `(size, alignment)` for a code, or `None` when the code is unknown.
/// Complex codes use their internal letters (`F`, `D`, `G` for `Zf`, `Zd`, `Zg`).
pub(crate) fn native(code: char) -> Option<(usize, usize)> {
    Some(match code {
        'x' | 'c' | 's' | 'p' | 'b' | 'B' => (1, 1),
        '?' => sa::<bool>(),
        'h' | 'H' => sa::<c_short>(),
        'e' => (2, align_of::<c_short>()),
        'i' | 'I' => sa::<c_int>(),
        'l' | 'L' => sa::<c_long>(),
        'q' | 'Q' => sa::<c_longlong>(),
        'n' => sa::<isize>(),
        'N' => sa::<usize>(),
        'f' => sa::<f32>(),
        'd' => sa::<f64>(),
        'F' => (2 * size_of::<f32>(), align_of::<f32>()),
        'D' => (2 * size_of::<f64>(), align_of::<f64>()),
        'g' => LONG_DOUBLE,
        'G' => (2 * LONG_DOUBLE.0, LONG_DOUBLE.1),
        'P' | 'O' | '&' => sa::<*const c_void>(),
        'u' => WCHAR,
        'w' => (4, 4),
        _ => return None,
    })
}

/// Standard size for a code in `=`, `<`, `>`, `!` modes, or `None` when the code is
/// native-only or unknown.
pub(crate) fn standard(code: char) -> Option<usize> {
    Some(match code {
        'x' | 'c' | 's' | 'p' | 'b' | 'B' | '?' => 1,
        'h' | 'H' | 'e' => 2,
        'i' | 'I' | 'l' | 'L' | 'f' | 'w' | 'u' => 4,
        'q' | 'Q' | 'd' | 'F' => 8,
        'D' | 'g' => 16,
        'G' => 32,
        'O' | '&' => size_of::<*const c_void>(),
        _ => return None,
    })
}

/// Whether the host stores integers little-endian.
pub(crate) const LITTLE_ENDIAN: bool = cfg!(target_endian = "little");
