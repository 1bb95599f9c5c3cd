//! `bytes.fromhex` and `bytes.hex`, as CPython defines them.

use crate::failure::Failure;

/// Python's `bytes.fromhex(text)`: pairs of hex digits, ASCII whitespace allowed between
/// pairs (not inside one).
pub(crate) fn from_hex(text: &str) -> Result<Vec<u8>, Failure> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 2);
    let mut pos = 0;
    while pos < bytes.len() {
        // Py_ISSPACE: ASCII whitespace including \x0b, which Rust's set leaves out.
        if bytes[pos].is_ascii_whitespace() || bytes[pos] == 0x0b {
            pos += 1;
            continue;
        }
        let high = digit(bytes[pos]).ok_or_else(|| non_hex(pos))?;
        let low = match bytes.get(pos + 1) {
            Some(&b) => digit(b).ok_or_else(|| non_hex(pos + 1))?,
            // CPython 3.14 (gh-127740) names a lone final digit; 3.11 said "position N".
            None => {
                return Err(Failure::value_error(
                    "fromhex() arg must contain an even number of hexadecimal digits",
                ));
            }
        };
        out.push(high << 4 | low);
        pos += 2;
    }
    Ok(out)
}

fn digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn non_hex(position: usize) -> Failure {
    Failure::value_error(format!(
        "non-hexadecimal number found in fromhex() arg at position {position}"
    ))
}

/// Python's `bytes.hex()` without separators: lowercase, two digits a byte.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Python's `float.hex()`: `0x1.8000000000000p+0` for 1.5, `-0x0.0p+0`, `inf`, `nan`.
pub(crate) fn float_hex(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0x0.0p+0");
    }
    let bits = x.to_bits();
    let mantissa = bits & ((1 << 52) - 1);
    let biased = ((bits >> 52) & 0x7ff) as i32;
    // Subnormals keep exponent -1022 and a leading 0, as Python prints them.
    let (lead, exponent) = if biased == 0 {
        (0, -1022)
    } else {
        (1, biased - 1023)
    };
    format!("{sign}0x{lead}.{mantissa:013x}p{exponent:+}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fromhex_accepts_whitespace_between_pairs() {
        // bytes.fromhex(' 00 ff\t7a\n') == b'\x00\xffz'
        assert_eq!(from_hex(" 00 ff\t7a\n").unwrap(), vec![0, 0xff, 0x7a]);
        // bytes.fromhex('01\v02') == b'\x01\x02'
        assert_eq!(from_hex("01\x0b02").unwrap(), vec![1, 2]);
        assert_eq!(from_hex("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn fromhex_errors_name_the_position() {
        // bytes.fromhex('0g') -> ValueError ... at position 1
        assert_eq!(
            from_hex("0g").unwrap_err().to_string(),
            "ValueError: non-hexadecimal number found in fromhex() arg at position 1"
        );
        // bytes.fromhex('abc') on 3.14 -> the even-digits message (3.11: "at position 3")
        assert_eq!(
            from_hex("abc").unwrap_err().to_string(),
            "ValueError: fromhex() arg must contain an even number of hexadecimal digits"
        );
        // bytes.fromhex('0\t') -> whitespace inside a pair is a non-hex digit
        assert_eq!(
            from_hex("0\t").unwrap_err().to_string(),
            "ValueError: non-hexadecimal number found in fromhex() arg at position 1"
        );
        // bytes.fromhex('a b') -> position 1: whitespace inside a pair
        assert_eq!(
            from_hex("a b").unwrap_err().to_string(),
            "ValueError: non-hexadecimal number found in fromhex() arg at position 1"
        );
    }

    #[test]
    fn float_hex_matches_python() {
        // (1.5).hex(), (-0.0).hex(), (5e-324).hex(), (0.1).hex(), (1e300).hex()
        assert_eq!(float_hex(1.5), "0x1.8000000000000p+0");
        assert_eq!(float_hex(-0.0), "-0x0.0p+0");
        assert_eq!(float_hex(5e-324), "0x0.0000000000001p-1022");
        assert_eq!(float_hex(0.1), "0x1.999999999999ap-4");
        assert_eq!(float_hex(1e300), "0x1.7e43c8800759cp+996");
        assert_eq!(float_hex(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn hex_is_lowercase_pairs() {
        assert_eq!(to_hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
