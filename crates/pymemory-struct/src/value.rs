//! `Value`, the Python value model, with `Display` equal to Python's `repr`.

use std::fmt::{self, Write};

use crate::bigint::{self, BigInt, MAX_STR_DIGITS};
use crate::error::{Error, ExceptionKind, Result};
use crate::repr;

/// A Python value as `struct` and `memoryview` produce and consume them.
///
/// `Display` is Python's `repr` byte for byte:
///
/// ```
/// use pymemory_struct::Value;
/// let v = Value::Tuple(vec![Value::Float(1e16), Value::Bytes(b"\x00a'".to_vec())]);
/// assert_eq!(v.to_string(), r#"(1e+16, b"\x00a'")"#);
/// assert_eq!(Value::Tuple(vec![Value::Int(1)]).to_string(), "(1,)");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `bool`.
    Bool(bool),
    /// `int` in the `i128` range, which holds every integer a format can store (the
    /// full `i64` and `u64` ranges).
    Int(i128),
    /// `int` outside the `i128` range, exact (`2**200`, `-(10**400)`). Never holds a
    /// value that fits `i128`: each int has one form, so derived `==` is Python's.
    BigInt(BigInt),
    /// `float`.
    Float(f64),
    /// `complex`.
    Complex {
        /// The real part.
        re: f64,
        /// The imaginary part.
        im: f64,
    },
    /// `bytes`.
    Bytes(Vec<u8>),
    /// `str`.
    Str(String),
    /// `tuple`.
    Tuple(Vec<Value>),
    /// `list`.
    List(Vec<Value>),
}

impl Value {
    /// Python's truth value, `bool(v)`, as the `?` format uses it.
    #[must_use]
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::BigInt(_) => true,
            Value::Float(x) => *x != 0.0,
            Value::Complex { re, im } => *re != 0.0 || *im != 0.0,
            Value::Bytes(b) => !b.is_empty(),
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(v) | Value::List(v) => !v.is_empty(),
        }
    }

    /// The Python type name, as `type(v).__name__` gives it.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex { .. } => "complex",
            Value::Bytes(_) => "bytes",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
        }
    }

    /// The value as a Python integer (`operator.index(v)`): ints and bools only.
    ///
    /// `None` also for a [`Value::BigInt`], which no `i128` holds; a range check can use
    /// [`BigInt::saturating_i128`] for it.
    #[must_use]
    pub fn as_index(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i128::from(*b)),
            _ => None,
        }
    }

    /// Parses a Python literal.
    ///
    /// Accepts ints (decimal, `0x`, `0o`, `0b`, `_` separators, signs), floats (`1.5`,
    /// `-2e10`, `inf`, `-inf`, `nan`), complex numbers (`2j`, `1+2j`, `(1-2j)`), `True`,
    /// `False`, bytes literals `b'..'` / `b".."` / `rb'..'` with Python's escapes, string
    /// literals `'..'` (adjacent ones concatenate), tuples `(1, 2)`, `(1,)`, `()`, `1, 2`
    /// and lists `[1, 2]`. Signs and parentheses follow `ast.literal_eval`: one sign per
    /// number (`-(1)` and `(-1)+2j` parse, `--1` and `1+(-2j)` do not).
    ///
    /// Integers are exact at any size: outside `i128` they become [`Value::BigInt`]. As in
    /// CPython, a decimal integer literal may have at most 4300 digits (hex, octal and
    /// binary ones are unlimited).
    ///
    /// # Errors
    /// `ValueError` when `text` is not one of the literals above (or is a decimal int of
    /// more than 4300 digits); `OverflowError` when an int too large for a float is
    /// added to an imaginary number (`10**400 + 1j`), as Python's `ast.literal_eval`.
    ///
    /// ```
    /// use pymemory_struct::Value;
    /// assert_eq!(Value::parse_literal("-0x10").unwrap(), Value::Int(-16));
    /// assert_eq!(Value::parse_literal("b'a\\x00'").unwrap(), Value::Bytes(b"a\0".to_vec()));
    /// assert_eq!(Value::parse_literal("(1, 2.5)").unwrap().to_string(), "(1, 2.5)");
    /// ```
    pub fn parse_literal(text: &str) -> Result<Value> {
        let mut parser = Parser {
            src: text,
            pos: 0,
            depth: 0,
            no_number_before: 0,
        };
        let mut value = parser.expr()?;
        parser.skip_ws();
        if parser.eat(',') {
            value = parser.bare_tuple(value)?;
        }
        if parser.pos != text.len() {
            return Err(parser.malformed());
        }
        Ok(value)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::BigInt(b) => fmt::Display::fmt(b, f),
            Value::Float(x) => repr::write_float(f, *x, true, false),
            Value::Complex { re, im } => repr::write_complex(f, *re, *im),
            Value::Bytes(b) => repr::write_bytes(f, b),
            Value::Str(s) => repr::write_str(f, s),
            Value::Tuple(items) => {
                f.write_char('(')?;
                write_items(f, items)?;
                if items.len() == 1 {
                    f.write_char(',')?;
                }
                f.write_char(')')
            }
            Value::List(items) => {
                f.write_char('[')?;
                write_items(f, items)?;
                f.write_char(']')
            }
        }
    }
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[Value]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        fmt::Display::fmt(item, f)?;
    }
    Ok(())
}

/// Nesting deeper than this is refused so that hostile input cannot overflow the stack.
const MAX_DEPTH: usize = 200;

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    /// No parenthesised number starts before this byte (see `number_in_parens_ahead`).
    no_number_before: usize,
}

impl Parser<'_> {
    fn malformed(&self) -> Error {
        let mut shown = String::new();
        let _ = repr::write_str(&mut shown, self.src);
        Error::new(
            ExceptionKind::ValueError,
            format!("malformed node or string: {shown}"),
        )
    }

    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let trimmed = self
            .rest()
            .trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
        self.pos = self.src.len() - trimmed.len();
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.malformed());
        }
        let value = self.expr_inner();
        self.depth -= 1;
        value
    }

    fn expr_inner(&mut self) -> Result<Value> {
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(self.malformed());
        };
        match c {
            '(' => {
                // Parentheses vanish in Python's syntax tree: `(1)+2j` and `(-1)` are
                // numbers, `(1, 2)` is a tuple. Try the number first, then the sequence.
                let (pos, depth) = (self.pos, self.depth);
                if self.number_in_parens_ahead() {
                    if let Ok(v) = self.arithmetic() {
                        return Ok(v);
                    }
                }
                (self.pos, self.depth) = (pos + 1, depth);
                self.sequence(')', true)
            }
            '[' => {
                self.pos += 1;
                self.sequence(']', false)
            }
            '\'' | '"' => {
                let first = self.string(false, false)?;
                self.concatenated(first)
            }
            _ => {
                if let Some(v) = self.string_with_prefix()? {
                    return self.concatenated(v);
                }
                if self.rest().starts_with("True") && !self.ident_follows(4) {
                    self.pos += 4;
                    return Ok(Value::Bool(true));
                }
                if self.rest().starts_with("False") && !self.ident_follows(5) {
                    self.pos += 5;
                    return Ok(Value::Bool(false));
                }
                self.arithmetic()
            }
        }
    }

    /// Whether the parentheses at the cursor open (through more parentheses, spaces and
    /// signs) something that starts like a number: only then is it worth trying to parse
    /// a parenthesised number before a tuple (a failed try costs an error message).
    ///
    /// A `false` holds for every later start inside the same run of parentheses (each one
    /// opened counts as depth there), so it is remembered: `((((...` is scanned once.
    fn number_in_parens_ahead(&mut self) -> bool {
        if self.pos < self.no_number_before {
            return false;
        }
        let mut open = 0;
        for (i, c) in self.rest().char_indices() {
            let verdict = match c {
                '(' => {
                    open += 1;
                    if self.depth + open > MAX_DEPTH {
                        Some(false)
                    } else {
                        None
                    }
                }
                ' ' | '\t' | '\n' | '\r' | '\x0c' | '+' | '-' => None,
                '0'..='9' | '.' => Some(true),
                _ => {
                    let word = self.rest()[i..].get(..3).unwrap_or_default();
                    Some(word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("nan"))
                }
            };
            if let Some(v) = verdict {
                if !v {
                    self.no_number_before = self.pos + i;
                }
                return v;
            }
        }
        self.no_number_before = self.src.len();
        false
    }

    /// The rest of a tuple written without parentheses (`1, 2` or `1,`), after its first
    /// item and comma; only at the top level, as in `ast.literal_eval("1, 2")`.
    fn bare_tuple(&mut self, first: Value) -> Result<Value> {
        let mut items = vec![first];
        loop {
            self.skip_ws();
            if self.pos == self.src.len() {
                break;
            }
            items.push(self.expr()?);
            self.skip_ws();
            if self.pos == self.src.len() {
                break;
            }
            if !self.eat(',') {
                return Err(self.malformed());
            }
        }
        Ok(Value::Tuple(items))
    }

    /// Adjacent string literals concatenate (`'a' "b"` is `'ab'`); bytes and str literals
    /// do not mix.
    fn concatenated(&mut self, mut value: Value) -> Result<Value> {
        loop {
            let save = self.pos;
            self.skip_ws();
            let next = if matches!(self.peek(), Some('\'' | '"')) {
                Some(self.string(false, false)?)
            } else {
                self.string_with_prefix()?
            };
            let Some(next) = next else {
                self.pos = save;
                return Ok(value);
            };
            match (&mut value, next) {
                (Value::Str(a), Value::Str(b)) => a.push_str(&b),
                (Value::Bytes(a), Value::Bytes(b)) => a.extend_from_slice(&b),
                _ => return Err(self.malformed()),
            }
        }
    }

    fn ident_follows(&self, n: usize) -> bool {
        self.rest()[n..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    }

    fn sequence(&mut self, close: char, tuple: bool) -> Result<Value> {
        let mut items = Vec::new();
        let mut saw_comma = false;
        loop {
            self.skip_ws();
            if self.eat(close) {
                break;
            }
            items.push(self.expr()?);
            self.skip_ws();
            if self.eat(',') {
                saw_comma = true;
                continue;
            }
            self.skip_ws();
            if self.eat(close) {
                break;
            }
            return Err(self.malformed());
        }
        if !tuple {
            return Ok(Value::List(items));
        }
        if items.len() == 1 && !saw_comma {
            // A parenthesised expression, not a tuple.
            return Ok(items.pop().unwrap_or(Value::Tuple(Vec::new())));
        }
        Ok(Value::Tuple(items))
    }

    /// A string literal with a prefix (`b`, `r`, `rb`, `br`, `u`, any case), or `None`.
    fn string_with_prefix(&mut self) -> Result<Option<Value>> {
        let rest = self.rest();
        let prefix_len = rest
            .char_indices()
            .find(|&(_, c)| !matches!(c, 'b' | 'B' | 'r' | 'R' | 'u' | 'U'))
            .map_or(rest.len(), |(i, _)| i);
        if prefix_len == 0 || prefix_len > 2 {
            return Ok(None);
        }
        if !matches!(rest[prefix_len..].chars().next(), Some('\'' | '"')) {
            return Ok(None);
        }
        let prefix = rest[..prefix_len].to_ascii_lowercase();
        let (bytes, raw) = match prefix.as_str() {
            "b" => (true, false),
            "r" => (false, true),
            "u" => (false, false),
            "rb" | "br" => (true, true),
            _ => return Err(self.malformed()),
        };
        self.pos += prefix_len;
        self.string(bytes, raw).map(Some)
    }

    fn string(&mut self, bytes: bool, raw: bool) -> Result<Value> {
        let quote = self.peek().ok_or_else(|| self.malformed())?;
        let triple: String = std::iter::repeat_n(quote, 3).collect();
        let delim_len = if self.rest().starts_with(&triple) {
            3
        } else {
            1
        };
        let delim = &triple[..delim_len];
        self.pos += delim_len;
        let mut out: Vec<u8> = Vec::new();
        loop {
            if self.rest().starts_with(delim) {
                self.pos += delim_len;
                break;
            }
            let Some(c) = self.peek() else {
                return Err(self.malformed());
            };
            self.pos += c.len_utf8();
            if (c == '\n' || c == '\r') && delim_len == 1 {
                return Err(self.malformed());
            }
            if bytes && !c.is_ascii() {
                return Err(self.malformed());
            }
            if c != '\\' {
                push_char(&mut out, c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err(self.malformed());
            };
            self.pos += e.len_utf8();
            if raw {
                out.push(b'\\');
                push_char(&mut out, e);
                continue;
            }
            match e {
                '\n' => {}
                '\\' => out.push(b'\\'),
                '\'' => out.push(b'\''),
                '"' => out.push(b'"'),
                'a' => out.push(7),
                'b' => out.push(8),
                'f' => out.push(12),
                'n' => out.push(b'\n'),
                'r' => out.push(b'\r'),
                't' => out.push(b'\t'),
                'v' => out.push(11),
                '0'..='7' => {
                    let mut n = e.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.peek().and_then(|d| d.to_digit(8)) {
                            Some(d) => {
                                n = n * 8 + d;
                                self.pos += 1;
                            }
                            None => break,
                        }
                    }
                    if bytes {
                        // Python keeps the low 8 bits of octal escapes above 0o377.
                        out.push((n & 0xff) as u8);
                    } else {
                        push_char(&mut out, char::from_u32(n).ok_or_else(|| self.malformed())?);
                    }
                }
                'x' => {
                    let n = self.hex_digits(2)?;
                    if bytes {
                        out.push(n as u8);
                    } else {
                        push_char(&mut out, char::from_u32(n).ok_or_else(|| self.malformed())?);
                    }
                }
                'u' | 'U' if !bytes => {
                    let n = self.hex_digits(if e == 'u' { 4 } else { 8 })?;
                    push_char(&mut out, char::from_u32(n).ok_or_else(|| self.malformed())?);
                }
                other => {
                    // Unknown escapes stay as written, as in Python.
                    out.push(b'\\');
                    push_char(&mut out, other);
                }
            }
        }
        if bytes {
            Ok(Value::Bytes(out))
        } else {
            String::from_utf8(out)
                .map(Value::Str)
                .map_err(|_| self.malformed())
        }
    }

    fn hex_digits(&mut self, count: usize) -> Result<u32> {
        let digits = self.rest().get(..count).ok_or_else(|| self.malformed())?;
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(self.malformed());
        }
        let n = u32::from_str_radix(digits, 16).map_err(|_| self.malformed())?;
        self.pos += count;
        Ok(n)
    }

    /// `[+-] number [(+|-) number]`, where a number may carry the imaginary suffix `j`.
    fn arithmetic(&mut self) -> Result<Value> {
        let first = self.operand(true)?;
        let save = self.pos;
        self.skip_ws();
        let op = self.peek();
        if matches!(op, Some('+' | '-')) {
            self.pos += 1;
            let second = self.operand(false)?;
            let negate = op == Some('-');
            return combine(first, second, negate)?.ok_or_else(|| self.malformed());
        }
        self.pos = save;
        Ok(first)
    }

    /// A number in any number of parentheses, with at most one sign when `signed`: the
    /// operands `ast.literal_eval` accepts (`-5`, `-(5)`, `(-5)`; not `--5` or `-(-5)`,
    /// and no sign on the right of `1+2j`).
    fn operand(&mut self, signed: bool) -> Result<Value> {
        self.skip_ws();
        if self.eat('(') {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.malformed());
            }
            let v = self.operand(signed)?;
            self.skip_ws();
            self.depth -= 1;
            return if self.eat(')') {
                Ok(v)
            } else {
                Err(self.malformed())
            };
        }
        if signed {
            if self.eat('-') {
                return Ok(negate(self.operand(false)?));
            }
            if self.eat('+') {
                return self.operand(false);
            }
        }
        self.number()
    }

    fn number(&mut self) -> Result<Value> {
        let rest = self.rest();
        let lower = rest.to_ascii_lowercase();
        for (word, value) in [
            ("infinity", f64::INFINITY),
            ("inf", f64::INFINITY),
            ("nan", f64::NAN),
        ] {
            if lower.starts_with(word) && !self.ident_follows(word.len()) {
                self.pos += word.len();
                return Ok(Value::Float(value));
            }
        }
        let len = rest
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphanumeric()
                    || c == '_'
                    || c == '.'
                    || ((c == '+' || c == '-')
                        && i > 0
                        && matches!(rest.as_bytes()[i - 1], b'e' | b'E')
                        && !rest[..i].starts_with("0x")
                        && !rest[..i].starts_with("0X")))
            })
            .map_or(rest.len(), |(i, _)| i);
        let token = &rest[..len];
        let value = parse_number(token)?.ok_or_else(|| self.malformed())?;
        self.pos += len;
        Ok(value)
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

fn negate(v: Value) -> Value {
    match v {
        Value::Int(i) => i
            .checked_neg()
            .map_or_else(|| bigint::normalise(false, vec![0, 1 << 63]), Value::Int),
        Value::BigInt(b) => b.negated(),
        Value::Float(x) => Value::Float(-x),
        Value::Complex { re, im } => Value::Complex { re: -re, im: -im },
        other => other,
    }
}

/// `first + second` or `first - second`, where exactly the second is imaginary,
/// evaluated as Python does: `complex(a, 0.0) ± complex(0.0, b)`, so signed zeros
/// come out as in `ast.literal_eval("1-0j") == (1+0j)`. An int too large for a float
/// is Python's `OverflowError`.
fn combine(first: Value, second: Value, subtract: bool) -> Result<Option<Value>> {
    let a = match first {
        Value::Int(i) => i as f64,
        Value::BigInt(b) => b.to_f64()?,
        Value::Float(x) => x,
        _ => return Ok(None),
    };
    let Value::Complex { re: b_re, im: b_im } = second else {
        return Ok(None);
    };
    Ok(Some(if subtract {
        Value::Complex {
            re: a - b_re,
            im: 0.0 - b_im,
        }
    } else {
        Value::Complex {
            re: a + b_re,
            im: 0.0 + b_im,
        }
    }))
}

/// Parses one unsigned numeric token: int, float or imaginary (`None`: malformed).
fn parse_number(token: &str) -> Result<Option<Value>> {
    if let Some(body) = token.strip_suffix(['j', 'J']) {
        // An imaginary literal is a float literal: digits alone (leading zeros allowed,
        // any length, `1e999j` and a 400-digit `...j` are `infj`) or a float.
        let digits_only = !body.is_empty()
            && body.chars().all(|c| c.is_ascii_digit() || c == '_')
            && underscores_ok(body);
        let im = if digits_only {
            body.replace('_', "").parse::<f64>().ok()
        } else {
            parse_float(body)
        };
        return Ok(im.map(|im| Value::Complex { re: 0.0, im }));
    }
    if let Some(v) = parse_int(token)? {
        return Ok(Some(v));
    }
    Ok(parse_float(token).map(Value::Float))
}

/// Checks Python's rule for `_`: only single underscores between digits.
fn underscores_ok(digits: &str) -> bool {
    !digits.starts_with('_') && !digits.ends_with('_') && !digits.contains("__")
}

/// An int literal, exact at any size (`Ok(None)`: not an int literal).
fn parse_int(token: &str) -> Result<Option<Value>> {
    let lower = token.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.strip_prefix('_').unwrap_or(d))
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.strip_prefix('_').unwrap_or(d))
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.strip_prefix('_').unwrap_or(d))
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !underscores_ok(digits) {
        return Ok(None);
    }
    if radix == 10 && digits.len() > 1 && digits.starts_with('0') {
        // Python rejects leading zeros in decimal literals except for zero itself.
        if !digits.chars().all(|c| c == '0' || c == '_') {
            return Ok(None);
        }
    }
    let clean = digits.replace('_', "");
    if !clean.chars().all(|c| c.is_digit(radix)) {
        return Ok(None);
    }
    if radix == 10 && clean.len() > MAX_STR_DIGITS {
        // CPython's int_max_str_digits guard (quadratic decimal conversion).
        return Err(Error::new(
            ExceptionKind::ValueError,
            format!(
                "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: \
                 value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
                clean.len()
            ),
        ));
    }
    Ok(bigint::parse_digits(&clean, radix))
}

fn parse_float(token: &str) -> Option<f64> {
    let bytes = token.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    // Python float literal: digits with '_' between digits, optional fraction, exponent.
    let (mantissa, exponent) = match token.find(['e', 'E']) {
        Some(i) => (&token[..i], Some(&token[i + 1..])),
        None => (token, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let digits_ok =
        |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_') && underscores_ok(s);
    if !digits_ok(int_part) || int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
        return None;
    }
    if let Some(f) = frac_part
        && !digits_ok(f)
    {
        return None;
    }
    if frac_part.is_none() && exponent.is_none() {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits_ok(e) {
            return None;
        }
    }
    token.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        Value::parse_literal(s).map_or_else(|e| e.to_string(), |v| v.to_string())
    }

    #[test]
    fn literals_round_trip_through_repr() {
        // Mirrors `repr(ast.literal_eval(s))` (plus inf/nan, which Python spells float('inf')).
        assert_eq!(p("1"), "1");
        assert_eq!(p("-5"), "-5");
        assert_eq!(p("0x_ff"), "255");
        assert_eq!(p("0o17"), "15");
        assert_eq!(p("-0b101"), "-5");
        assert_eq!(p("1_000"), "1000");
        assert_eq!(p("1.5"), "1.5");
        assert_eq!(p("-2e10"), "-20000000000.0");
        assert_eq!(p(".5"), "0.5");
        assert_eq!(p("5."), "5.0");
        assert_eq!(p("1e400"), "inf");
        assert_eq!(p("inf"), "inf");
        assert_eq!(p("-inf"), "-inf");
        assert_eq!(p("nan"), "nan");
        assert_eq!(p("True"), "True");
        assert_eq!(p("False"), "False");
        assert_eq!(p("b'a\\x00\\n'"), "b'a\\x00\\n'");
        assert_eq!(p("b\"it's\""), "b\"it's\"");
        assert_eq!(p("rb'\\x'"), "b'\\\\x'");
        assert_eq!(p("'h\\u00e9'"), "'hé'");
        assert_eq!(p("(1, 2)"), "(1, 2)");
        assert_eq!(p("(1,)"), "(1,)");
        assert_eq!(p("()"), "()");
        assert_eq!(p("(1)"), "1");
        assert_eq!(p("[1, [2.5, b'']]"), "[1, [2.5, b'']]");
        assert_eq!(p("1+2j"), "(1+2j)");
        assert_eq!(p("-1.5-2j"), "(-1.5-2j)");
        assert_eq!(p("2j"), "2j");
        assert_eq!(p("-2j"), "(-0-2j)");
        assert_eq!(
            p("99999999999999999999999999999999999999999999"),
            "99999999999999999999999999999999999999999999"
        );
        assert_eq!(
            p("-99_999999999999999999999999999999999999999999"),
            "-99999999999999999999999999999999999999999999"
        );
        assert_eq!(
            p("0x_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_f"),
            "5444517870735015415413993718908291383295"
        );
        assert_eq!(p(&i128::MAX.to_string()), i128::MAX.to_string());
        assert_eq!(
            Value::parse_literal("-170141183460469231731687303715884105728").unwrap(),
            Value::Int(i128::MIN)
        );
        assert!(matches!(
            Value::parse_literal("170141183460469231731687303715884105728").unwrap(),
            Value::BigInt(_)
        ));
        assert_eq!(p(&"9".repeat(4300)), "9".repeat(4300));
        assert_eq!(
            p(&"9".repeat(4301)),
            "ValueError: Exceeds the limit (4300 digits) for integer string conversion: \
             value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit"
        );
        assert_eq!(p(&format!("{}j", "1".repeat(400))), "infj");
        assert_eq!(p("01j"), "1j");
        assert_eq!(p("1_0j"), "10j");
        assert_eq!(p("0x10j"), "ValueError: malformed node or string: '0x10j'");
        assert_eq!(
            p(&format!("{}+2j", "1".repeat(400))),
            "OverflowError: int too large to convert to float"
        );
        assert_eq!(
            p(&format!("-{}-2j", "1".repeat(40))),
            "(-1.1111111111111112e+39-2j)"
        );
        assert_eq!(p(&i128::MIN.to_string()), i128::MIN.to_string());
    }

    #[test]
    fn malformed_literals_are_value_errors() {
        for bad in [
            "",
            "01",
            "1__0",
            "abc",
            "b'\u{e9}'",
            "(1,",
            "[1 2]",
            "'abc",
            "1 2",
            "0x",
            "1e",
        ] {
            let e = Value::parse_literal(bad).unwrap_err();
            assert_eq!(e.kind(), ExceptionKind::ValueError, "{bad:?}");
        }
        let deep = "(".repeat(10_000);
        assert!(Value::parse_literal(&deep).is_err());
    }

    #[test]
    fn truthiness_follows_python() {
        assert!(Value::Float(f64::NAN).is_truthy());
        assert!(!Value::Float(-0.0).is_truthy());
        assert!(!Value::Bytes(vec![]).is_truthy());
        assert!(Value::Tuple(vec![Value::Int(0)]).is_truthy());
        assert!(!Value::Complex { re: 0.0, im: -0.0 }.is_truthy());
    }
}
