//! Python's `repr` for floats, complex numbers, bytes and strings.
//!
//! Floats follow CPython's `float_repr_style = 'short'`: the shortest digit string that
//! round-trips (Rust's `{:e}` gives the same digits), shown in positional notation when
//! the decimal exponent `e` satisfies `-4 <= e < 16` and in exponent notation otherwise.

use std::fmt::{self, Write};

use crate::printable::is_printable;

/// Writes `x` as Python's `repr(float)`, or as the `'r'` format without the trailing
/// `.0` when `add_dot_zero` is false (complex parts), with a `+` for non-negative numbers
/// when `always_sign` is set (the imaginary part of a complex).
pub(crate) fn write_float(
    out: &mut impl Write,
    x: f64,
    add_dot_zero: bool,
    always_sign: bool,
) -> fmt::Result {
    if x.is_nan() {
        // CPython never prints a sign for a NaN, but the complex imaginary part still
        // gets its '+' separator.
        return out.write_str(if always_sign { "+nan" } else { "nan" });
    }
    if x.is_sign_negative() {
        out.write_char('-')?;
    } else if always_sign {
        out.write_char('+')?;
    }
    if x.is_infinite() {
        return out.write_str("inf");
    }
    let (digits, exponent) = shortest_digits(x.abs());
    let ndigits = digits.len() as i32;
    // decpt is where the decimal point goes relative to the start of `digits`.
    let decpt = exponent + 1;
    if decpt > -4 && decpt <= 16 {
        if decpt <= 0 {
            out.write_str("0.")?;
            for _ in 0..(-decpt) {
                out.write_char('0')?;
            }
            out.write_str(&digits)?;
        } else if decpt >= ndigits {
            out.write_str(&digits)?;
            for _ in 0..(decpt - ndigits) {
                out.write_char('0')?;
            }
            if add_dot_zero {
                out.write_str(".0")?;
            }
        } else {
            let (int_part, frac_part) = digits.split_at(decpt as usize);
            out.write_str(int_part)?;
            out.write_char('.')?;
            out.write_str(frac_part)?;
        }
    } else {
        let (first, rest) = digits.split_at(1);
        out.write_str(first)?;
        if !rest.is_empty() {
            out.write_char('.')?;
            out.write_str(rest)?;
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", exponent.unsigned_abs())?;
    }
    Ok(())
}

/// Splits `{:e}` output into its digit string and decimal exponent.
fn split_sci(sci: &str) -> (String, i32) {
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci, "0"));
    let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// The shortest round-trip digits of a finite non-negative `x` and the decimal exponent
/// of the first digit, with David Gay's tie rule, which CPython uses: when `x` lies
/// exactly halfway between two shortest candidates, the one with an even last digit.
/// Rust's shortest formatting rounds such ties up instead.
fn shortest_digits(x: f64) -> (String, i32) {
    let (digits, exponent) = split_sci(&format!("{x:e}"));
    let n = digits.len();
    // A tie needs the exact value to have exactly n + 1 significant digits, the last a
    // 5; with n < 15 the n-digit neighbours are too far apart to round-trip at all.
    if n < 15 {
        return (digits, exponent);
    }
    // Rust's fixed-precision formatting is exact; 40 extra digits show whether the
    // expansion stops right after a 5 (an odd multiple of a power of two ends in 5).
    let (exact, exact_exp) = split_sci(&format!("{:.*e}", n + 40, x));
    let tail = &exact.as_bytes()[n..];
    if exact_exp != exponent || tail[0] != b'5' || tail[1..].iter().any(|&d| d != b'0') {
        return (digits, exponent);
    }
    // Halfway: candidates are the truncation and the truncation plus one unit.
    let down = &exact[..n];
    let last = down.as_bytes()[n - 1] - b'0';
    if last % 2 == 1 {
        return (digits, exponent);
    }
    // The even candidate is the truncation; keep it only if it round-trips.
    let candidate = format!("{}.{}e{}", &down[..1], &down[1..], exponent);
    match candidate.parse::<f64>() {
        Ok(back) if back == x => {
            let trimmed = down.trim_end_matches('0');
            (trimmed.to_owned(), exponent)
        }
        _ => (digits, exponent),
    }
}

/// Python's `repr(float)`.
#[must_use]
pub fn float_repr(x: f64) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_float(&mut s, x, true, false);
    s
}

/// Writes Python's `repr(complex(re, im))`.
pub(crate) fn write_complex(out: &mut impl Write, re: f64, im: f64) -> fmt::Result {
    if re == 0.0 && re.is_sign_positive() {
        write_float(out, im, false, false)?;
        out.write_char('j')
    } else {
        out.write_char('(')?;
        write_float(out, re, false, false)?;
        write_float(out, im, false, true)?;
        out.write_str("j)")
    }
}

/// Writes Python's `repr(bytes)`: single quotes unless the data holds a `'` and no `"`.
pub(crate) fn write_bytes(out: &mut impl Write, data: &[u8]) -> fmt::Result {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    out.write_char('b')?;
    out.write_char(char::from(quote))?;
    for &b in data {
        match b {
            b'\\' => out.write_str("\\\\")?,
            b'\t' => out.write_str("\\t")?,
            b'\n' => out.write_str("\\n")?,
            b'\r' => out.write_str("\\r")?,
            _ if b == quote => {
                out.write_char('\\')?;
                out.write_char(char::from(b))?;
            }
            0x20..=0x7e => out.write_char(char::from(b))?,
            _ => write!(out, "\\x{b:02x}")?,
        }
    }
    out.write_char(char::from(quote))
}

/// Writes Python's `repr(str)`.
pub(crate) fn write_str(out: &mut impl Write, text: &str) -> fmt::Result {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.write_char(quote)?;
    for c in text.chars() {
        match c {
            '\\' => out.write_str("\\\\")?,
            '\t' => out.write_str("\\t")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            _ if c == quote => {
                out.write_char('\\')?;
                out.write_char(c)?;
            }
            ' '..='~' => out.write_char(c)?,
            _ if u32::from(c) < 0x7f => write!(out, "\\x{:02x}", u32::from(c))?,
            _ if is_printable(c) => out.write_char(c)?,
            _ if u32::from(c) <= 0xff => write!(out, "\\x{:02x}", u32::from(c))?,
            _ if u32::from(c) <= 0xffff => write!(out, "\\u{:04x}", u32::from(c))?,
            _ => write!(out, "\\U{:08x}", u32::from(c))?,
        }
    }
    out.write_char(quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complex(re: f64, im: f64) -> String {
        let mut s = String::new();
        write_complex(&mut s, re, im).unwrap();
        s
    }

    #[test]
    fn float_edge_cases_match_python_repr() {
        // Each pair mirrors `repr(float(x))` in CPython.
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (9999999999999998.0, "9999999999999998.0"),
            (1.5e-7, "1.5e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (123456789012345.0, "123456789012345.0"),
            (1.2345678901234567e16, "1.2345678901234568e+16"),
            (1.2345678901234564e16, "1.2345678901234564e+16"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e100, "1e+100"),
            (1e-100, "1e-100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (1.5e300, "1.5e+300"),
            (123.456, "123.456"),
            (9007199254740992.0, "9007199254740992.0"),
            // Exactly halfway between two 17-digit candidates: Python rounds half-even.
            (-6180.0 / 4194304.0, "-0.0014734268188476562"),
            (3828.0 / 4194304.0, "0.0009126663208007812"),
        ];
        for &(x, want) in cases {
            assert_eq!(float_repr(x), want, "repr of {x:e}");
        }
    }

    #[test]
    fn complex_repr_matches_python() {
        // Mirrors `repr(complex(re, im))`.
        assert_eq!(complex(1.0, 2.0), "(1+2j)");
        assert_eq!(complex(0.0, 1.0), "1j");
        assert_eq!(complex(-0.0, -1.0), "(-0-1j)");
        assert_eq!(complex(0.0, 0.0), "0j");
        assert_eq!(complex(0.0, -0.0), "-0j");
        assert_eq!(complex(-0.0, 0.0), "(-0+0j)");
        assert_eq!(complex(1.5, 2.5), "(1.5+2.5j)");
        assert_eq!(complex(1e16, 1e-5), "(1e+16+1e-05j)");
        assert_eq!(complex(1.0, f64::NAN), "(1+nanj)");
        assert_eq!(complex(1.0, -f64::NAN), "(1+nanj)");
        assert_eq!(complex(0.0, f64::NEG_INFINITY), "-infj");
        assert_eq!(complex(1.0, f64::NEG_INFINITY), "(1-infj)");
        assert_eq!(complex(f64::NAN, f64::NAN), "(nan+nanj)");
    }

    #[test]
    fn bytes_and_str_repr_match_python() {
        let b = |d: &[u8]| {
            let mut s = String::new();
            write_bytes(&mut s, d).unwrap();
            s
        };
        assert_eq!(b(b"\x00a\\"), r"b'\x00a\\'");
        assert_eq!(b(b"a'b"), r#"b"a'b""#);
        assert_eq!(b(b"a\"b"), r#"b'a"b'"#);
        assert_eq!(b(b"'\""), r#"b'\'"'"#);
        assert_eq!(b(b"\t\n\r\x7f\xff"), r"b'\t\n\r\x7f\xff'");
        let s = |t: &str| {
            let mut s = String::new();
            write_str(&mut s, t).unwrap();
            s
        };
        assert_eq!(
            s("\x7f\u{80}\u{a0}\u{ad}\u{2028}\u{e000}"),
            r"'\x7f\x80\xa0\xad\u2028\ue000'"
        );
        assert_eq!(s("\u{1f600}\u{e0001}"), "'\u{1f600}\\U000e0001'");
        assert_eq!(s("é'"), "\"é'\"");
    }
}
