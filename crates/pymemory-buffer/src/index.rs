//! Subscripts: what goes between the brackets of `m[...]`, as Rust values, and a parser
//! for Python's subscript syntax (`3`, `-1`, `1:4`, `::-2`, `2,3`, `1:3,::2`, `...`, `()`).

use crate::error::Result;
use crate::errs::{index_error, value_error};

/// A slice `start:stop:step`; `None` is an omitted part.
///
/// Python clamps out-of-range slice bounds, so `isize::MIN`/`isize::MAX` stand for any
/// larger Python int (the parser clamps for you).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Slice {
    /// First index (`None`: the start, or the end for negative steps).
    pub start: Option<isize>,
    /// End bound, exclusive.
    pub stop: Option<isize>,
    /// Step (`None`: 1). Zero is `ValueError: slice step cannot be zero`.
    pub step: Option<isize>,
}

impl Slice {
    /// `start:stop:step`.
    #[must_use]
    pub fn new(start: Option<isize>, stop: Option<isize>, step: Option<isize>) -> Slice {
        Slice { start, stop, step }
    }

    /// `:` (everything).
    #[must_use]
    pub fn full() -> Slice {
        Slice::default()
    }

    /// `PySlice_Unpack` + `PySlice_AdjustIndices`: `(start, step, slicelength)` for a
    /// dimension of `length` items.
    pub fn indices(&self, length: usize) -> Result<(isize, isize, usize)> {
        let step = match self.step {
            None => 1,
            Some(0) => return Err(value_error("slice step cannot be zero")),
            Some(s) => s.max(-isize::MAX),
        };
        let len = length as isize;
        let start = self.start.unwrap_or(if step < 0 { isize::MAX } else { 0 });
        let stop = self
            .stop
            .unwrap_or(if step < 0 { isize::MIN } else { isize::MAX });
        let adjust = |v: isize| -> isize {
            if v < 0 {
                let v = v.saturating_add(len);
                if v < 0 {
                    if step < 0 { -1 } else { 0 }
                } else {
                    v
                }
            } else if v >= len {
                if step < 0 { len - 1 } else { len }
            } else {
                v
            }
        };
        let (start, stop) = (adjust(start), adjust(stop));
        let n = if step < 0 {
            if stop < start {
                (start - stop - 1) / (-step) + 1
            } else {
                0
            }
        } else if start < stop {
            (stop - start - 1) / step + 1
        } else {
            0
        };
        Ok((start, step, n as usize))
    }
}

/// One component of a subscript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Index {
    /// An integer index; negative counts from the end.
    Int(isize),
    /// A slice.
    Slice(Slice),
    /// `...`.
    Ellipsis,
}

impl From<isize> for Index {
    fn from(i: isize) -> Index {
        Index::Int(i)
    }
}

impl From<Slice> for Index {
    fn from(s: Slice) -> Index {
        Index::Slice(s)
    }
}

/// A whole subscript: `m[k]` is `Single(k)`, `m[a, b]` and `m[()]` are `Tuple`.
///
/// Python distinguishes `m[1]` from `m[(1,)]` and `m[...]` from `m[(...,)]`, so this does.
///
/// ```
/// use pymemory_buffer::{Index, Slice, Subscript};
/// assert_eq!(Subscript::parse("-1").unwrap(), Subscript::Single(Index::Int(-1)));
/// assert_eq!(Subscript::parse("::-2").unwrap(),
///            Subscript::Single(Index::Slice(Slice::new(None, None, Some(-2)))));
/// assert_eq!(Subscript::parse("1:3, ::2").unwrap(), Subscript::Tuple(vec![
///     Index::Slice(Slice::new(Some(1), Some(3), None)),
///     Index::Slice(Slice::new(None, None, Some(2)))]));
/// assert_eq!(Subscript::parse("()").unwrap(), Subscript::Tuple(vec![]));
/// assert_eq!(Subscript::parse("...").unwrap(), Subscript::Single(Index::Ellipsis));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subscript {
    /// A single key.
    Single(Index),
    /// A tuple of keys (possibly empty).
    Tuple(Vec<Index>),
}

impl From<isize> for Subscript {
    fn from(i: isize) -> Subscript {
        Subscript::Single(Index::Int(i))
    }
}

impl From<Slice> for Subscript {
    fn from(s: Slice) -> Subscript {
        Subscript::Single(Index::Slice(s))
    }
}

impl From<Index> for Subscript {
    fn from(i: Index) -> Subscript {
        Subscript::Single(i)
    }
}

impl From<Vec<Index>> for Subscript {
    fn from(v: Vec<Index>) -> Subscript {
        Subscript::Tuple(v)
    }
}

impl From<&[Index]> for Subscript {
    fn from(v: &[Index]) -> Subscript {
        Subscript::Tuple(v.to_vec())
    }
}

impl<const N: usize> From<[isize; N]> for Subscript {
    fn from(v: [isize; N]) -> Subscript {
        Subscript::Tuple(v.iter().map(|&i| Index::Int(i)).collect())
    }
}

impl From<()> for Subscript {
    fn from((): ()) -> Subscript {
        Subscript::Tuple(Vec::new())
    }
}

enum Num {
    Fits(isize),
    Huge(bool), // true: positive
}

impl Subscript {
    /// Parses Python subscript text, the part between `[` and `]`.
    ///
    /// Integers accept signs, `_` separators and `0x`/`0o`/`0b` prefixes; `Ellipsis` and
    /// `...` are the ellipsis; parentheses around the whole text form a tuple as in Python.
    /// An integer index that does not fit `isize` is CPython's
    /// `IndexError: cannot fit 'int' into an index-sized integer`; slice bounds are clamped.
    /// Anything else is `ValueError: invalid subscript: ...`.
    pub fn parse(text: &str) -> Result<Subscript> {
        let bad = || value_error(format!("invalid subscript: {text:?}"));
        let mut t = text.trim();
        if t.is_empty() {
            return Err(bad());
        }
        let mut parenthesised = false;
        if t.starts_with('(') && t.ends_with(')') {
            t = t[1..t.len() - 1].trim();
            parenthesised = true;
            if t.is_empty() {
                return Ok(Subscript::Tuple(Vec::new()));
            }
        }
        if parenthesised && t.contains(':') {
            // Python: slices are not allowed inside parentheses (`m[(1:2)]` is a SyntaxError).
            return Err(bad());
        }
        let parts: Vec<&str> = t.split(',').map(str::trim).collect();
        let trailing = parts.len() > 1 && parts.last() == Some(&"");
        let parts = if trailing {
            &parts[..parts.len() - 1]
        } else {
            &parts[..]
        };
        // Syntax first (a later syntax error wins over an earlier huge index, as Python
        // parses before it evaluates), then the index-size check.
        let mut parsed = Vec::with_capacity(parts.len());
        for p in parts {
            if p.is_empty() {
                return Err(bad());
            }
            parsed.push(Self::component(p).ok_or_else(bad)?);
        }
        let mut keys = parsed.into_iter().collect::<Result<Vec<Index>>>()?;
        if keys.len() == 1 && !trailing && !(parenthesised && t.contains(',')) {
            return Ok(Subscript::Single(keys.remove(0)));
        }
        Ok(Subscript::Tuple(keys))
    }

    fn component(p: &str) -> Option<Result<Index>> {
        if p == "..." || p == "Ellipsis" {
            return Some(Ok(Index::Ellipsis));
        }
        if p.contains(':') {
            let bits: Vec<&str> = p.split(':').map(str::trim).collect();
            if bits.len() > 3 {
                return None;
            }
            let mut vals = [None, None, None];
            for (k, b) in bits.iter().enumerate() {
                if b.is_empty() || *b == "None" {
                    continue;
                }
                vals[k] = Some(match parse_int(b)? {
                    Num::Fits(v) => v,
                    Num::Huge(true) => isize::MAX,
                    Num::Huge(false) => isize::MIN,
                });
            }
            return Some(Ok(Index::Slice(Slice::new(vals[0], vals[1], vals[2]))));
        }
        match parse_int(p)? {
            Num::Fits(v) => Some(Ok(Index::Int(v))),
            Num::Huge(_) => Some(Err(index_error(
                "cannot fit 'int' into an index-sized integer",
            ))),
        }
    }
}

fn parse_int(s: &str) -> Option<Num> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, s[1..].trim_start()),
        b'+' => (false, s[1..].trim_start()),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else {
        (10, lower.as_str())
    };
    let digits = digits
        .strip_prefix('_')
        .filter(|_| radix != 10)
        .unwrap_or(digits);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    // Python forbids leading zeros in non-zero decimal literals.
    if radix == 10
        && digits.len() > 1
        && digits.starts_with('0')
        && digits.chars().any(|c| c != '0' && c != '_')
    {
        return None;
    }
    let mut acc: i128 = 0;
    let mut huge = false;
    for c in digits.chars().filter(|&c| c != '_') {
        let d = c.to_digit(radix)? as i128;
        if !huge {
            match acc
                .checked_mul(radix as i128)
                .and_then(|a| a.checked_add(d))
            {
                Some(a) if a <= isize::MAX as i128 + 1 => acc = a,
                _ => huge = true,
            }
        }
    }
    if huge {
        return Some(Num::Huge(!neg));
    }
    let v = if neg { -acc } else { acc };
    Some(match isize::try_from(v) {
        Ok(v) => Num::Fits(v),
        Err(_) => Num::Huge(!neg),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_indices_match_python() {
        // Python: slice(None, None, -1).indices(5) == (4, -1, -1); len(range(5)[::-1]) == 5
        assert_eq!(
            Slice::new(None, None, Some(-1)).indices(5).unwrap(),
            (4, -1, 5)
        );
        // slice(1, 100, 3).indices(10) -> (1, 10, 3): 1,4,7 -> 3 items
        assert_eq!(
            Slice::new(Some(1), Some(100), Some(3)).indices(10).unwrap(),
            (1, 3, 3)
        );
        assert_eq!(
            Slice::new(Some(-100), Some(-200), None)
                .indices(10)
                .unwrap(),
            (0, 1, 0)
        );
        assert_eq!(
            Slice::new(None, None, Some(0))
                .indices(3)
                .unwrap_err()
                .message(),
            "slice step cannot be zero"
        );
        assert_eq!(
            Slice::new(Some(5), None, Some(-2)).indices(3).unwrap(),
            (2, -2, 2)
        );
    }

    #[test]
    fn parse_forms() {
        assert_eq!(Subscript::parse("2,3").unwrap(), Subscript::from([2, 3]));
        assert_eq!(
            Subscript::parse("(2,)").unwrap(),
            Subscript::Tuple(vec![Index::Int(2)])
        );
        assert_eq!(
            Subscript::parse("2,").unwrap(),
            Subscript::Tuple(vec![Index::Int(2)])
        );
        assert_eq!(
            Subscript::parse("(2)").unwrap(),
            Subscript::Single(Index::Int(2))
        );
        assert_eq!(
            Subscript::parse("0x10").unwrap(),
            Subscript::Single(Index::Int(16))
        );
        assert_eq!(
            Subscript::parse("1_000").unwrap(),
            Subscript::Single(Index::Int(1000))
        );
        assert_eq!(
            Subscript::parse("99999999999999999999")
                .unwrap_err()
                .to_string(),
            "IndexError: cannot fit 'int' into an index-sized integer"
        );
        assert_eq!(
            Subscript::parse("::-99999999999999999999").unwrap(),
            Subscript::Single(Index::Slice(Slice::new(None, None, Some(isize::MIN))))
        );
        assert!(Subscript::parse("a").is_err());
        assert!(Subscript::parse("1:2:3:4").is_err());
        assert!(Subscript::parse("").is_err());
        assert!(Subscript::parse("01").is_err());
    }
}
