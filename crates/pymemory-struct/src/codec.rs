//! Encoding and decoding of values through a compiled layout.

use crate::error::{Error, ExceptionKind, Result};
use crate::format::{ByteOrder, Format, LayoutItem, Node, Op};
use crate::value::Value;

fn not_int() -> Error {
    Error::structure("required argument is not an integer")
}

fn not_float() -> Error {
    Error::structure("required argument is not a float")
}

fn too_large() -> Error {
    Error::structure("int too large to convert")
}

fn unsupported(code: char) -> Error {
    let shown = match code {
        'F' => "Zf".to_owned(),
        'D' => "Zd".to_owned(),
        'G' => "Zg".to_owned(),
        c => c.to_string(),
    };
    Error::new(
        ExceptionKind::NotImplementedError,
        format!("memoryview: format {shown} not supported"),
    )
}

/// CPython 3.12+'s `_range_error`: `'h' format requires -32768 <= number <= 32767`.
pub(crate) fn range_error(code: char, size: usize, signed: bool) -> Error {
    let bits = 8 * size as u32;
    if signed {
        let max = (1i128 << (bits - 1)) - 1;
        Error::structure(format!(
            "'{code}' format requires {} <= number <= {max}",
            -max - 1
        ))
    } else {
        let max = (1u128 << bits) - 1;
        Error::structure(format!("'{code}' format requires 0 <= number <= {max}"))
    }
}

#[inline]
fn read_uint(bytes: &[u8], order: ByteOrder) -> u64 {
    match (bytes.len(), order) {
        (1, _) => u64::from(bytes[0]),
        (2, ByteOrder::Little) => u64::from(u16::from_le_bytes([bytes[0], bytes[1]])),
        (2, ByteOrder::Big) => u64::from(u16::from_be_bytes([bytes[0], bytes[1]])),
        (4, ByteOrder::Little) => u64::from(u32::from_le_bytes(arr(bytes))),
        (4, ByteOrder::Big) => u64::from(u32::from_be_bytes(arr(bytes))),
        (8, ByteOrder::Little) => u64::from_le_bytes(arr(bytes)),
        (8, ByteOrder::Big) => u64::from_be_bytes(arr(bytes)),
        (_, ByteOrder::Little) => bytes
            .iter()
            .rev()
            .fold(0, |acc, &b| (acc << 8) | u64::from(b)),
        (_, ByteOrder::Big) => bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)),
    }
}

#[inline]
fn arr<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&bytes[..N]);
    a
}

fn write_uint(out: &mut [u8], value: u64, order: ByteOrder) {
    let n = out.len();
    match order {
        ByteOrder::Little => out.copy_from_slice(&value.to_le_bytes()[..n]),
        ByteOrder::Big => out.copy_from_slice(&value.to_be_bytes()[8 - n..]),
    }
}

fn read_f32(bytes: &[u8], order: ByteOrder) -> f64 {
    f64::from(f32::from_bits(read_uint(bytes, order) as u32))
}

fn read_f64(bytes: &[u8], order: ByteOrder) -> f64 {
    f64::from_bits(read_uint(bytes, order))
}

/// Decodes one element of `item` from exactly `item.size` bytes.
#[inline]
pub(crate) fn decode(item: &LayoutItem, bytes: &[u8]) -> Result<Value> {
    let order = item.order;
    Ok(match item.op {
        Op::Int { signed } => {
            let raw = read_uint(bytes, order);
            if signed {
                let shift = 64 - 8 * bytes.len() as u32;
                Value::Int(i128::from(((raw << shift) as i64) >> shift))
            } else {
                Value::Int(i128::from(raw))
            }
        }
        Op::Pointer => Value::Int(i128::from(read_uint(bytes, order))),
        Op::Bool => Value::Bool(bytes.iter().any(|&b| b != 0)),
        Op::Half => Value::Float(unpack_f16(read_uint(bytes, order) as u16)),
        Op::Float => Value::Float(read_f32(bytes, order)),
        Op::Double => Value::Float(read_f64(bytes, order)),
        Op::ComplexFloat => Value::Complex {
            re: read_f32(&bytes[..4], order),
            im: read_f32(&bytes[4..8], order),
        },
        Op::ComplexDouble => Value::Complex {
            re: read_f64(&bytes[..8], order),
            im: read_f64(&bytes[8..16], order),
        },
        Op::Char | Op::Str => Value::Bytes(bytes.to_vec()),
        Op::Pascal => {
            let n = match bytes.first() {
                None => 0,
                Some(&len) => usize::from(len).min(bytes.len() - 1),
            };
            Value::Bytes(bytes[1.min(bytes.len())..1.min(bytes.len()) + n].to_vec())
        }
        Op::Wide => {
            let code = read_uint(bytes, order) as u32;
            match char::from_u32(code) {
                Some(c) => Value::Str(c.to_string()),
                None if (0xd800..0xe000).contains(&code) => {
                    return Err(Error::new(
                        ExceptionKind::ValueError,
                        format!("lone surrogate U+{code:04X} has no Rust string value"),
                    ));
                }
                None => {
                    return Err(Error::new(
                        ExceptionKind::ValueError,
                        "character is not in range [U+0000; U+10ffff]",
                    ));
                }
            }
        }
        Op::Unsupported => return Err(unsupported(item.code)),
    })
}

/// Python's `PyFloat_AsDouble` for the float codes: `None` when it fails, which CPython
/// reports as "required argument is not a float" (for an int, `int.__float__` overflow:
/// `struct.pack('d', 10**400)`).
fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Float(x) => Some(*x),
        Value::Int(i) => Some(*i as f64),
        Value::BigInt(b) => b.to_f64().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// `operator.index(v)` for the integer codes, with a value outside `i128` standing in as
/// `i128::MIN`/`i128::MAX`: every integer code's range lies inside `i128`, so the range
/// check (and so CPython's range error) is the same as for the exact value.
fn int_for_range_check(value: &Value) -> Option<i128> {
    match value {
        Value::BigInt(b) => Some(b.saturating_i128()),
        other => other.as_index(),
    }
}

/// Python's `PyComplex_AsCComplex` for the complex codes.
fn as_complex(value: &Value) -> Option<(f64, f64)> {
    match value {
        Value::Complex { re, im } => Some((*re, *im)),
        other => as_f64(other).map(|x| (x, 0.0)),
    }
}

/// `PyFloat_Pack4`: overflow to infinity is an error, unless the native cast is used.
fn pack_f32(x: f64, value: &Value, native: bool) -> Result<u32> {
    let y = x as f32;
    if y.is_infinite() && x.is_finite() && !native {
        return Err(float_overflow(value, "f"));
    }
    Ok(y.to_bits())
}

fn float_overflow(value: &Value, code: &str) -> Error {
    // CPython's pack loop rewrites an OverflowError raised for an int argument.
    if matches!(value, Value::Int(_) | Value::BigInt(_) | Value::Bool(_)) {
        too_large()
    } else {
        Error::new(
            ExceptionKind::OverflowError,
            format!("float too large to pack with {code} format"),
        )
    }
}

/// `PyFloat_Pack2`: the IEEE 754 binary16 nearest to `x`, ties to even; finite values
/// that round past the largest half (65504) are an error.
fn pack_f16(x: f64, value: &Value) -> Result<u16> {
    let sign = if x.is_sign_negative() { 0x8000 } else { 0 };
    if x.is_nan() {
        // CPython 3.14 keeps the sign and the top ten payload bits of a NaN.
        let payload = ((x.to_bits() & 0x000f_fc00_0000_0000) >> 42) as u16;
        return Ok(sign | 0x7c00 | payload);
    }
    if x.is_infinite() {
        return Ok(sign | 0x7c00);
    }
    let bits = x.abs().to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Zero or a double subnormal: far below half of the smallest half subnormal.
        return Ok(sign);
    }
    let e = biased - 1023;
    let m = (bits & ((1 << 52) - 1)) | (1 << 52); // 53-bit significand, x = m * 2^(e-52)
    if e > 15 {
        return Err(float_overflow(value, "e"));
    }
    if e < -25 {
        return Ok(sign);
    }
    // Normal halves keep 11 significant bits; subnormals count units of 2^-24.
    let shift = if e >= -14 { 42 } else { (28 - e) as u32 };
    let mut q = m >> shift;
    let rem = m & ((1 << shift) - 1);
    let half = 1u64 << (shift - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q += 1;
    }
    if e < -14 {
        // q <= 0x400; 0x400 is exactly the smallest normal half.
        return Ok(sign | q as u16);
    }
    let mut exp = (e + 15) as u64;
    if q == 1 << 11 {
        q >>= 1;
        exp += 1;
    }
    if exp >= 31 {
        return Err(float_overflow(value, "e"));
    }
    Ok(sign | ((exp << 10) as u16) | (q as u16 & 0x3ff))
}

/// `PyFloat_Unpack2`: exact; a NaN keeps its sign and payload (CPython 3.14).
fn unpack_f16(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = u64::from(h & 0x3ff);
    // Exact powers of two (`powi` is not guaranteed exact).
    let pow2 = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    match exp {
        0 => sign * mant as f64 * pow2(-24),
        31 if mant == 0 => sign * f64::INFINITY,
        31 => {
            let top = if sign < 0.0 {
                0xfff0_0000_0000_0000
            } else {
                0x7ff0_0000_0000_0000
            };
            f64::from_bits(top | (mant << 42))
        }
        _ => sign * (1024 + mant) as f64 * pow2(exp - 25),
    }
}

/// Encodes one element of `item` into exactly `item.size` bytes (already zeroed).
pub(crate) fn encode(item: &LayoutItem, value: &Value, out: &mut [u8]) -> Result<()> {
    let order = item.order;
    match item.op {
        Op::Int { signed } => {
            let v = int_for_range_check(value).ok_or_else(not_int)?;
            let bits = 8 * item.size as u32;
            let ok = if signed {
                let max = (1i128 << (bits - 1)) - 1;
                v >= -max - 1 && v <= max
            } else {
                v >= 0 && v < (1i128 << bits)
            };
            if !ok {
                return Err(range_error(item.code, item.size, signed));
            }
            write_uint(out, v as u64, order);
        }
        Op::Pointer => {
            let v = int_for_range_check(value).ok_or_else(not_int)?;
            if v < i128::from(i64::MIN) || v > i128::from(u64::MAX) {
                return Err(too_large());
            }
            write_uint(out, v as u64, order);
        }
        Op::Bool => out[0] = u8::from(value.is_truthy()),
        Op::Half => {
            let x = as_f64(value).ok_or_else(not_float)?;
            write_uint(out, u64::from(pack_f16(x, value)?), order);
        }
        Op::Float => {
            let x = as_f64(value).ok_or_else(not_float)?;
            write_uint(out, u64::from(pack_f32(x, value, item.native)?), order);
        }
        Op::Double => {
            let x = as_f64(value).ok_or_else(not_float)?;
            write_uint(out, x.to_bits(), order);
        }
        Op::ComplexFloat => {
            let (re, im) = as_complex(value)
                .ok_or_else(|| Error::structure("required argument is not a complex"))?;
            let re = pack_f32(re, value, item.native)?;
            let im = pack_f32(im, value, item.native)?;
            write_uint(&mut out[..4], u64::from(re), order);
            write_uint(&mut out[4..8], u64::from(im), order);
        }
        Op::ComplexDouble => {
            let (re, im) = as_complex(value)
                .ok_or_else(|| Error::structure("required argument is not a complex"))?;
            write_uint(&mut out[..8], re.to_bits(), order);
            write_uint(&mut out[8..16], im.to_bits(), order);
        }
        Op::Char => match value {
            Value::Bytes(b) if b.len() == 1 => out[0] = b[0],
            _ => {
                return Err(Error::structure(
                    "char format requires a bytes object of length 1",
                ));
            }
        },
        Op::Str => {
            let Value::Bytes(b) = value else {
                return Err(Error::structure("argument for 's' must be a bytes object"));
            };
            let n = b.len().min(out.len());
            out[..n].copy_from_slice(&b[..n]);
        }
        Op::Pascal => {
            let Value::Bytes(b) = value else {
                return Err(Error::structure("argument for 'p' must be a bytes object"));
            };
            if out.is_empty() {
                return Ok(());
            }
            let n = b.len().min(out.len() - 1);
            out[1..=n].copy_from_slice(&b[..n]);
            out[0] = n.min(255) as u8;
        }
        Op::Wide => {
            let mut chars = match value {
                Value::Str(s) => s.chars(),
                _ => "".chars(),
            };
            match (chars.next(), chars.next()) {
                (Some(c), None) if item.size >= 4 || u32::from(c) <= 0xffff => {
                    write_uint(out, u64::from(u32::from(c)), order);
                }
                _ => {
                    return Err(Error::structure(
                        "unicode format requires a str of length 1",
                    ));
                }
            }
        }
        Op::Unsupported => return Err(unsupported(item.code)),
    }
    Ok(())
}

impl Format {
    /// Decodes the values, in order; `bytes.len()` must equal [`Format::size`].
    ///
    /// # Errors
    /// `struct.error: unpack requires a buffer of N bytes` on a length mismatch;
    /// `NotImplementedError` for codes with no Rust value (`O`, `&`, `g`, `Zg`).
    #[inline(always)]
    pub fn unpack(&self, bytes: &[u8]) -> Result<Vec<Value>> {
        if let Some(plan) = &self.plan
            && let Some(values) = plan.run(bytes)
        {
            return Ok(values);
        }
        self.unpack_general(bytes)
    }

    /// The general loop, kept out of line so the fast path above stays small enough to
    /// inline into callers.
    #[inline(never)]
    fn unpack_general(&self, bytes: &[u8]) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        self.unpack_into(bytes, &mut out)?;
        Ok(out)
    }

    /// Like [`Format::unpack`], appending to `out` so that a caller decoding many
    /// records can reuse one vector.
    ///
    /// # Errors
    /// As [`Format::unpack`]; on error `out` may hold some of the values.
    pub fn unpack_into(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<()> {
        if bytes.len() != self.size {
            return Err(Error::structure(format!(
                "unpack requires a buffer of {} bytes",
                self.size
            )));
        }
        out.reserve(self.value_count);
        if let Some(plan) = &self.plan
            && plan.run_into(bytes, out)
        {
            return Ok(());
        }
        for item in &self.items {
            let size = item.size;
            let run = &bytes[item.offset..item.offset + size * item.repeat];
            if size == 0 {
                // Only `0s` and `0p` have empty elements.
                for _ in 0..item.repeat {
                    out.push(Value::Bytes(Vec::new()));
                }
                continue;
            }
            for chunk in run.chunks_exact(size) {
                out.push(decode(item, chunk)?);
            }
        }
        Ok(())
    }

    /// Encodes `values` into `out`, which must be exactly [`Format::size`] bytes.
    /// Like CPython, `out` is zeroed first and may be partly written on error.
    ///
    /// # Errors
    /// `struct.error: pack expected N items for packing (got M)`, range and type errors
    /// as CPython raises them.
    pub fn pack_into_slice(&self, values: &[Value], out: &mut [u8]) -> Result<()> {
        self.check_count(values, "pack")?;
        self.pack_checked(values, out)
    }

    /// CPython's `<verb> expected N items for packing (got M)`.
    pub(crate) fn check_count(&self, values: &[Value], verb: &str) -> Result<()> {
        if values.len() != self.value_count {
            return Err(Error::structure(format!(
                "{verb} expected {} items for packing (got {})",
                self.value_count,
                values.len()
            )));
        }
        Ok(())
    }

    /// Packing after the count check (shared with `pack_into`, whose message differs).
    pub(crate) fn pack_checked(&self, values: &[Value], out: &mut [u8]) -> Result<()> {
        if out.len() != self.size {
            return Err(Error::structure(format!(
                "pack requires a buffer of {} bytes",
                self.size
            )));
        }
        out.fill(0);
        let mut values = values.iter();
        for item in &self.items {
            for j in 0..item.repeat {
                let start = item.offset + j * item.size;
                let Some(value) = values.next() else {
                    return Err(Error::structure("pack: too few values"));
                };
                encode(item, value, &mut out[start..start + item.size])?;
            }
        }
        Ok(())
    }

    /// Packs `values` into a new byte vector of [`Format::size`] bytes.
    ///
    /// # Errors
    /// As [`Format::pack_into_slice`].
    pub fn pack(&self, values: &[Value]) -> Result<Vec<u8>> {
        self.check_count(values, "pack")?;
        // CPython's bytes objects carry a 33-byte header (PyBytesObject_SIZE).
        if self.size > isize::MAX as usize - 33 {
            return Err(Error::new(
                ExceptionKind::OverflowError,
                "byte string is too large",
            ));
        }
        let mut out = Vec::new();
        // A valid format can describe more bytes than memory holds: CPython then raises
        // MemoryError (whose message is empty) instead of aborting.
        out.try_reserve_exact(self.size)
            .map_err(|_| Error::new(ExceptionKind::MemoryError, ""))?;
        out.resize(self.size, 0);
        self.pack_checked(values, &mut out)?;
        Ok(out)
    }

    /// One item as `memoryview` gives it: the value itself when the format is one plain
    /// value (`"B"`, `"<d"`), otherwise a tuple; records `T{...}` and `(n,m)` shapes nest
    /// as tuples, as numpy's `tolist()` gives them, and a format that is a single record
    /// or shaped field gives that tuple itself (`"T{<h}"` -> `(1,)`).
    ///
    /// # Errors
    /// As [`Format::unpack`].
    pub fn unpack_item(&self, bytes: &[u8]) -> Result<Value> {
        if self.value_count == 1
            && self.tree.is_none()
            && self.items.len() == 1
            && bytes.len() == self.size
        {
            let item = &self.items[0];
            if item.size > 0 {
                return decode(item, &bytes[item.offset..item.offset + item.size]);
            }
        }
        let flat = self.unpack(bytes)?;
        if self.value_count == 1 && self.tree.is_none() {
            return Ok(flat.into_iter().next().unwrap_or(Value::Tuple(Vec::new())));
        }
        match &self.tree {
            None => Ok(Value::Tuple(flat)),
            Some(nodes) => {
                let mut iter = flat.into_iter();
                let mut top = build(nodes, &mut iter);
                // A format that is one record or one shaped field is that tuple.
                if let [Node::Group(_)] = nodes.as_slice()
                    && let Some(only) = top.pop()
                {
                    return Ok(only);
                }
                Ok(Value::Tuple(top))
            }
        }
    }

    /// Packs one item given as [`Format::unpack_item`] returns it into `out`
    /// (exactly [`Format::size`] bytes).
    ///
    /// # Errors
    /// `struct.error` when the value's shape does not match the format, and the
    /// errors of [`Format::pack_into_slice`].
    pub fn pack_item(&self, value: &Value, out: &mut [u8]) -> Result<()> {
        if self.value_count == 1 && self.tree.is_none() {
            return self.pack_into_slice(std::slice::from_ref(value), out);
        }
        let mut flat = Vec::with_capacity(self.value_count);
        match value {
            Value::Tuple(items) | Value::List(items) => match &self.tree {
                None => flat.extend(items.iter().cloned()),
                Some(nodes) => match nodes.as_slice() {
                    // The unwrapped single record or shaped field (see unpack_item).
                    [Node::Group(children)] => flatten(children, items, &mut flat)?,
                    _ => flatten(nodes, items, &mut flat)?,
                },
            },
            _ => {
                return Err(Error::structure(format!(
                    "pack expected {} items for packing (got 1)",
                    self.value_count
                )));
            }
        }
        self.pack_into_slice(&flat, out)
    }

    /// Whether any item is a code without a Rust value.
    #[must_use]
    pub fn has_unsupported_codes(&self) -> bool {
        self.items.iter().any(|i| i.op == Op::Unsupported)
    }
}

fn build(nodes: &[Node], values: &mut impl Iterator<Item = Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for node in nodes {
        match node {
            Node::Leaves(n) => out.extend(values.by_ref().take(*n)),
            Node::Group(children) => out.push(Value::Tuple(build(children, values))),
        }
    }
    out
}

fn node_len(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Leaves(k) => *k,
            Node::Group(_) => 1,
        })
        .sum()
}

fn flatten(nodes: &[Node], items: &[Value], out: &mut Vec<Value>) -> Result<()> {
    let want = node_len(nodes);
    if items.len() != want {
        return Err(Error::structure(format!(
            "pack expected {want} items for packing (got {})",
            items.len()
        )));
    }
    let mut items = items.iter();
    for node in nodes {
        match node {
            Node::Leaves(n) => out.extend(items.by_ref().take(*n).cloned()),
            Node::Group(children) => match items.next() {
                Some(Value::Tuple(inner) | Value::List(inner)) => flatten(children, inner, out)?,
                Some(_) | None => {
                    return Err(Error::structure(format!(
                        "pack expected {} items for packing (got 1)",
                        node_len(children)
                    )));
                }
            },
        }
    }
    Ok(())
}
