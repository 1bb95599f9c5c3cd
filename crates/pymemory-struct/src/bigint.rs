//! `BigInt`: the Python ints outside `i128`, held exactly.
//!
//! `Value::Int(i128)` covers every integer a format can store; bigger ints still exist
//! in Python (`2**200`, `10**400`) and must neither be clamped nor wrapped: float codes
//! pack them (`struct.pack('d', 2**200)`), integer codes refuse them with their range
//! error. A [`BigInt`] is always outside `i128`, so every int has exactly one `Value`
//! form and derived equality stays Python's `==` between ints.

use std::cmp::Ordering;
use std::fmt;

use crate::error::{Error, ExceptionKind, Result};
use crate::value::Value;

/// A Python `int` outside the `i128` range: sign and magnitude, exact.
///
/// Only [`Value`] constructors make one, and they give `Value::Int` for every value that
/// fits `i128`, so a `BigInt` is always `> i128::MAX` or `< i128::MIN`.
///
/// ```
/// use pymemory_struct::Value;
/// let v = Value::parse_literal("-0x1_0000_0000_0000_0000_0000_0000_0000_0000").unwrap();
/// let Value::BigInt(b) = &v else { panic!() };
/// assert_eq!(v.to_string(), "-340282366920938463463374607431768211456");
/// assert_eq!(b.to_f64().unwrap(), -(2f64.powi(128)));
/// assert_eq!(Value::parse_literal("170141183460469231731687303715884105727").unwrap(),
///            Value::Int(i128::MAX));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BigInt {
    negative: bool,
    /// Little-endian 64-bit limbs without high zero limbs; the value is at least 2^127.
    mag: Vec<u64>,
}

/// Python's `int.__float__` overflow.
fn float_overflow() -> Error {
    Error::new(
        ExceptionKind::OverflowError,
        "int too large to convert to float",
    )
}

/// Builds the `Value` of `±mag`: `Value::Int` when it fits `i128`, else `Value::BigInt`.
pub(crate) fn normalise(negative: bool, mut mag: Vec<u64>) -> Value {
    while mag.last() == Some(&0) {
        mag.pop();
    }
    if mag.len() <= 2 {
        let m = u128::from(mag.first().copied().unwrap_or(0))
            | (u128::from(mag.get(1).copied().unwrap_or(0)) << 64);
        if !negative && m <= i128::MAX as u128 {
            return Value::Int(m as i128);
        }
        if negative && m <= 1u128 << 127 {
            // m = 2^127 wraps to exactly i128::MIN.
            return Value::Int((m as i128).wrapping_neg());
        }
    }
    Value::BigInt(BigInt { negative, mag })
}

/// `mag = mag * mul + add`.
fn mul_small_add(mag: &mut Vec<u64>, mul: u64, add: u64) {
    let mut carry = u128::from(add);
    for limb in mag.iter_mut() {
        let t = u128::from(*limb) * u128::from(mul) + carry;
        *limb = t as u64;
        carry = t >> 64;
    }
    if carry != 0 {
        mag.push(carry as u64);
    }
}

/// `mag /= div`, returning the remainder; high zero limbs are dropped.
fn divrem_small(mag: &mut Vec<u64>, div: u64) -> u64 {
    let mut rem = 0u128;
    for limb in mag.iter_mut().rev() {
        let t = (rem << 64) | u128::from(*limb);
        *limb = (t / u128::from(div)) as u64;
        rem = t % u128::from(div);
    }
    while mag.last() == Some(&0) {
        mag.pop();
    }
    rem as u64
}

/// Compares two trimmed magnitudes.
fn cmp_mag(a: &[u64], b: &[u64]) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

/// Python's limit on decimal digits in int/str conversions (`sys.int_max_str_digits`).
pub(crate) const MAX_STR_DIGITS: usize = 4300;

/// Parses `digits` (no sign, no underscores, non-empty, valid for `radix`) exactly.
pub(crate) fn parse_digits(digits: &str, radix: u32) -> Option<Value> {
    if radix.is_power_of_two() {
        // Linear: each digit is a fixed group of bits, least significant first.
        let width = radix.trailing_zeros();
        let mut mag: Vec<u64> = Vec::with_capacity(digits.len() * width as usize / 64 + 1);
        let (mut acc, mut filled) = (0u128, 0u32);
        for c in digits.chars().rev() {
            acc |= u128::from(c.to_digit(radix)?) << filled;
            filled += width;
            if filled >= 64 {
                mag.push(acc as u64);
                acc >>= 64;
                filled -= 64;
            }
        }
        mag.push(acc as u64);
        return Some(normalise(false, mag));
    }
    // The largest power of `radix` that fits a u64 limb multiplier.
    let mut chunk = 1usize;
    let mut scale = u64::from(radix);
    while let Some(next) = scale.checked_mul(u64::from(radix)) {
        scale = next;
        chunk += 1;
    }
    let mut mag: Vec<u64> = Vec::with_capacity(digits.len() / chunk + 1);
    let bytes = digits.as_bytes();
    let mut start = 0;
    // The first chunk is short so that every later one is full.
    let first = match bytes.len() % chunk {
        0 => chunk,
        r => r,
    };
    let mut end = first.min(bytes.len());
    while start < bytes.len() {
        let part = &digits[start..end];
        let value = u64::from_str_radix(part, radix).ok()?;
        let mul = u64::from(radix)
            .checked_pow(part.len() as u32)
            .unwrap_or(scale);
        if mag.is_empty() {
            if value != 0 {
                mag.push(value);
            }
        } else {
            mul_small_add(&mut mag, mul, value);
        }
        start = end;
        end = (end + chunk).min(bytes.len());
    }
    Some(normalise(false, mag))
}

impl BigInt {
    /// Whether the value is negative.
    #[must_use]
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The magnitude `|v|` as little-endian bytes, without high zero bytes.
    #[must_use]
    pub fn magnitude_le_bytes(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.mag.iter().flat_map(|l| l.to_le_bytes()).collect();
        while out.last() == Some(&0) {
            out.pop();
        }
        out
    }

    /// `abs(v).bit_length()`.
    #[must_use]
    pub fn bit_length(&self) -> u64 {
        let top = self.mag.last().copied().unwrap_or(0);
        64 * (self.mag.len() as u64 - 1) + u64::from(64 - top.leading_zeros())
    }

    /// `i128::MIN` or `i128::MAX` by sign: a stand-in for range checks only, since every
    /// C integer range lies inside `i128` and a `BigInt` lies outside it on that side.
    #[must_use]
    pub fn saturating_i128(&self) -> i128 {
        if self.negative { i128::MIN } else { i128::MAX }
    }

    /// `-v`, normalised (`-(2**127)` is `Value::Int(i128::MIN)`).
    #[must_use]
    pub fn negated(&self) -> Value {
        normalise(!self.negative, self.mag.clone())
    }

    /// Bit `i` of the magnitude.
    fn bit(&self, i: u64) -> bool {
        let limb = (i / 64) as usize;
        limb < self.mag.len() && (self.mag[limb] >> (i % 64)) & 1 == 1
    }

    /// Whether any magnitude bit below bit `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let limb = (i / 64) as usize;
        let partial = self
            .mag
            .get(limb)
            .is_some_and(|&l| i % 64 != 0 && l & ((1u64 << (i % 64)) - 1) != 0);
        partial || self.mag[..limb.min(self.mag.len())].iter().any(|&l| l != 0)
    }

    /// `float(v)`: correctly rounded (nearest, ties to even), as `int.__float__`.
    ///
    /// # Errors
    /// `OverflowError: int too large to convert to float` when the rounded magnitude is
    /// 2^1024 or more.
    pub fn to_f64(&self) -> Result<f64> {
        let n = self.bit_length(); // > 127
        // The top 53 bits, then round on the next bit and the sticky rest.
        let mut q: u64 = 0;
        for i in (n - 53..n).rev() {
            q = (q << 1) | u64::from(self.bit(i));
        }
        let half = self.bit(n - 54);
        let sticky = self.any_below(n - 54);
        let mut exp = n - 1; // the value is q * 2^(n - 53), q in [2^52, 2^53)
        if half && (sticky || q & 1 == 1) {
            q += 1;
            if q == 1 << 53 {
                q >>= 1;
                exp += 1;
            }
        }
        if exp >= 1024 {
            return Err(float_overflow());
        }
        let bits = ((exp + 1023) << 52) | (q & ((1 << 52) - 1));
        let x = f64::from_bits(bits);
        Ok(if self.negative { -x } else { x })
    }

    /// The value as an `f64` when the conversion is exact (`float(v) == v`).
    #[must_use]
    pub fn exact_f64(&self) -> Option<f64> {
        let n = self.bit_length();
        if n > 1024 || self.any_below(n - 53) {
            return None;
        }
        self.to_f64().ok()
    }

    /// Python's exact comparison `v <=> x` (no rounding); `None` when `x` is NaN.
    #[must_use]
    pub fn cmp_f64(&self, x: f64) -> Option<Ordering> {
        if x.is_nan() {
            return None;
        }
        let by_sign = if self.negative {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        if x.is_infinite() {
            return Some(if x > 0.0 {
                Ordering::Less
            } else {
                Ordering::Greater
            });
        }
        if (x < 0.0) != self.negative || x.abs() < pow2(127) {
            // Opposite signs, or |x| below every BigInt magnitude.
            return Some(by_sign);
        }
        // |x| >= 2^127 is an integer: m * 2^e exactly.
        let bits = x.abs().to_bits();
        let m = (bits & ((1 << 52) - 1)) | (1 << 52);
        let e = ((bits >> 52) & 0x7ff) as u32 - 1075;
        let mut other = vec![0u64; (e / 64) as usize];
        let shifted = u128::from(m) << (e % 64);
        other.push(shifted as u64);
        other.push((shifted >> 64) as u64);
        while other.last() == Some(&0) {
            other.pop();
        }
        let mag_order = cmp_mag(&self.mag, &other);
        Some(if self.negative {
            mag_order.reverse()
        } else {
            mag_order
        })
    }

    /// `v <=> i` for an `i128`: decided by the sign, as a `BigInt` lies outside `i128`.
    #[must_use]
    pub fn cmp_i128(&self, _i: i128) -> Ordering {
        if self.negative {
            Ordering::Less
        } else {
            Ordering::Greater
        }
    }
}

impl Ord for BigInt {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => cmp_mag(&self.mag, &other.mag),
            (true, true) => cmp_mag(&other.mag, &self.mag),
        }
    }
}

impl PartialOrd for BigInt {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for BigInt {
    /// Python's `repr`: decimal digits with a leading `-` when negative. (CPython refuses
    /// `repr` beyond 4300 digits; `Display` cannot fail, so it prints them all.)
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CHUNK: u64 = 10_000_000_000_000_000_000; // 10^19
        let mut mag = self.mag.clone();
        let mut chunks = Vec::with_capacity(mag.len() * 64 / 63 + 1);
        while !mag.is_empty() {
            chunks.push(divrem_small(&mut mag, CHUNK));
        }
        let mut s = String::with_capacity(chunks.len() * 19 + 1);
        if self.negative {
            s.push('-');
        }
        let mut rev = chunks.iter().rev();
        if let Some(top) = rev.next() {
            s.push_str(&top.to_string());
        }
        for c in rev {
            s.push_str(&format!("{c:019}"));
        }
        f.write_str(&s)
    }
}

impl Value {
    /// The int `±magnitude` (little-endian bytes): `Value::Int` when it fits `i128`,
    /// otherwise an exact `Value::BigInt`.
    ///
    /// ```
    /// use pymemory_struct::Value;
    /// assert_eq!(Value::int_from_magnitude_le(true, &[5]), Value::Int(-5));
    /// let big = Value::int_from_magnitude_le(false, &[0; 16].iter().copied().chain([1]).collect::<Vec<u8>>());
    /// assert_eq!(big.to_string(), "340282366920938463463374607431768211456");
    /// ```
    #[must_use]
    pub fn int_from_magnitude_le(negative: bool, magnitude: &[u8]) -> Value {
        let mag = magnitude
            .chunks(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(b)
            })
            .collect();
        normalise(negative, mag)
    }
}

/// `2**k` as an exact `f64` for a normal exponent (`powi` is not required to be exact,
/// and Miri perturbs it).
const fn pow2(k: u64) -> f64 {
    f64::from_bits((k + 1023) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(s: &str) -> BigInt {
        match Value::parse_literal(s).expect("literal") {
            Value::BigInt(b) => b,
            other => panic!("{s} gave {other:?}"),
        }
    }

    #[test]
    fn normalisation_keeps_i128_values_small() {
        // Mirrors Python's int: one value, one form.
        assert_eq!(
            normalise(false, vec![u64::MAX, u64::MAX >> 1]),
            Value::Int(i128::MAX)
        );
        assert_eq!(normalise(true, vec![0, 1 << 63]), Value::Int(i128::MIN));
        assert!(matches!(
            normalise(false, vec![0, 1 << 63]),
            Value::BigInt(_)
        ));
        assert!(matches!(
            normalise(true, vec![1, 1 << 63]),
            Value::BigInt(_)
        ));
        assert_eq!(normalise(true, vec![0, 0, 0]), Value::Int(0));
        assert_eq!(
            big("170141183460469231731687303715884105728").negated(),
            Value::Int(i128::MIN)
        );
    }

    #[test]
    fn repr_is_decimal() {
        // repr(2**127), repr(-(10**40)), repr(2**200), repr(10**100 + 1)
        assert_eq!(
            big("0x8000_0000_0000_0000_0000_0000_0000_0000").to_string(),
            "170141183460469231731687303715884105728"
        );
        assert_eq!(
            big("-10000000000000000000000000000000000000000").to_string(),
            "-10000000000000000000000000000000000000000"
        );
        let two200 = format!("0x1{}", "0".repeat(50));
        assert_eq!(
            big(&two200).to_string(),
            "1606938044258990275541962092341162602522202993782792835301376"
        );
        let s = format!("1{}1", "0".repeat(99));
        assert_eq!(big(&s).to_string(), s);
        assert_eq!(big(&format!("0o1{}", "0".repeat(60))).bit_length(), 181);
        assert_eq!(
            big(&format!("0b1{}", "0".repeat(200))).to_string(),
            big(&two200).to_string()
        );
    }

    #[test]
    fn float_conversion_rounds_like_int_float() {
        // float(2**200), float(2**1024 - 2**970 - 1), float(2**1024 - 2**970) overflows,
        // float(2**128 + 2**75 (tie, even stays)), float(2**128 + 2**75 + 1) rounds up.
        let p = |k: u32| format!("0x1{}", "0".repeat(k as usize / 4));
        // 2**200 built exactly (Miri perturbs `powi`, which is not required to be exact).
        let two_200 = pow2(200);
        assert_eq!(big(&p(200)).to_f64().unwrap(), two_200);
        let max_ok = big(
            "0xfffffffffffffbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        );
        assert_eq!(max_ok.bit_length(), 1024);
        assert_eq!(max_ok.to_f64().unwrap(), f64::MAX);
        let tie = big(
            "0xfffffffffffffc00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        );
        let e = tie.to_f64().unwrap_err();
        assert_eq!(
            e.to_string(),
            "OverflowError: int too large to convert to float"
        );
        let two128 = u128::MAX; // 2^128 - 1: rounds to 2^128
        let v = Value::int_from_magnitude_le(false, &two128.to_le_bytes());
        let Value::BigInt(b) = v else { panic!() };
        assert_eq!(b.to_f64().unwrap(), pow2(128));
        assert_eq!(b.exact_f64(), None);
        // 2^128 + 2^75: halfway between 2^128 and 2^128 + 2^76; ties to even (down).
        let mut m = vec![0u64, 0, 1];
        m[1] |= 1 << 11;
        let Value::BigInt(t) = normalise(true, m.clone()) else {
            panic!()
        };
        assert_eq!(t.to_f64().unwrap(), -(pow2(128)));
        m[0] = 1;
        let Value::BigInt(t) = normalise(false, m) else {
            panic!()
        };
        assert_eq!(t.to_f64().unwrap(), pow2(128) + pow2(76));
        assert_eq!(big(&p(1020)).exact_f64(), Some(pow2(1020)));
        assert!(big(&p(1024)).to_f64().is_err());
        assert!(big(&format!("-{}", "9".repeat(400))).to_f64().is_err());
    }

    #[test]
    fn comparisons_are_exact() {
        // 2**200 == 2.0**200, 2**200 + 1 > 2.0**200, -(2**200) < -1e300 is False, ...
        let p = |k: usize| big(&format!("0x1{}", "0".repeat(k / 4)));
        let x = pow2(200);
        assert_eq!(p(200).cmp_f64(x), Some(Ordering::Equal));
        let plus = big(&format!("0x1{}1", "0".repeat(49)));
        assert_eq!(plus.cmp_f64(x), Some(Ordering::Greater));
        assert_eq!(p(200).cmp_f64(f64::NAN), None);
        assert_eq!(p(200).cmp_f64(f64::INFINITY), Some(Ordering::Less));
        assert_eq!(p(200).cmp_f64(-1e300), Some(Ordering::Greater));
        assert_eq!(p(200).cmp_f64(1e300), Some(Ordering::Less));
        assert_eq!(p(200).cmp_f64(1.0), Some(Ordering::Greater));
        let neg = match p(200).negated() {
            Value::BigInt(b) => b,
            _ => panic!(),
        };
        assert_eq!(neg.cmp_f64(-x), Some(Ordering::Equal));
        assert_eq!(neg.cmp_f64(-x * 2.0), Some(Ordering::Greater));
        assert_eq!(neg.cmp_f64(0.0), Some(Ordering::Less));
        assert!(neg < p(200) && p(200) < plus && neg < p(300).clone());
        assert_eq!(neg.cmp_i128(i128::MIN), Ordering::Less);
        assert_eq!(p(128).cmp_i128(i128::MAX), Ordering::Greater);
        assert_eq!(p(200), p(200));
        assert_ne!(p(200), plus);
        assert_eq!(neg.saturating_i128(), i128::MIN);
        assert_eq!(p(200).magnitude_le_bytes().len(), 26);
        // bool(2**200) is True; type(2**200).__name__ == 'int'
        let v = Value::BigInt(p(200));
        assert!(v.is_truthy());
        assert_eq!(v.type_name(), "int");
        assert_eq!(v.as_index(), None);
    }
}
