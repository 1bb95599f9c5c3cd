//! Format parsing: one parser for both dialects, compiled into a flat layout.
//!
//! ```text
//!  "<ihT{d:x:(2)H}"                      items (offset, size, repeat)
//!  ┌────┬──┬────────┬──┬──┐              i  0  4 1
//!  │ i  │h │   d    │H │H │              h  4  2 1
//!  └────┴──┴────────┴──┴──┘              d  6  8 1
//!  0    4  6        14 16 18             H 14  2 2
//! ```
//!
//! A second, small tree records how leaf values group into tuples for `T{...}` records
//! and `(2,3)` shapes; plain `struct` formats have no groups.

use crate::error::{Error, ExceptionKind, Result};
use crate::native;

/// Which format language to accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Exactly what CPython's `struct` module accepts (CPython 3.14, so `F` and `D`
    /// complex codes included); PEP 3118 extensions are `bad char in struct format`.
    Struct,
    /// The PEP 3118 buffer-format superset: `T{...}`, `:name:`, `(2,3)` shapes,
    /// `Zf`/`Zd`/`Zg`, byte-order marks anywhere (plus `^`), `&`, `O`, `g`, `u`, `w`.
    /// A mark stays in force until the next one, across `}` (numpy's reading).
    Buffer,
}

/// Byte order of one layout item, resolved (native order is the host's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl ByteOrder {
    /// The host's byte order.
    #[must_use]
    pub const fn native() -> ByteOrder {
        if native::LITTLE_ENDIAN {
            ByteOrder::Little
        } else {
            ByteOrder::Big
        }
    }
}

/// How an item's values are encoded; derived from the code and size once at parse time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Two's complement or unsigned integer of `size` bytes.
    Int {
        signed: bool,
    },
    /// `P`: a pointer-sized unsigned integer that also accepts negative numbers.
    Pointer,
    Bool,
    Half,
    Float,
    Double,
    ComplexFloat,
    ComplexDouble,
    Char,
    Str,
    Pascal,
    /// `u` / `w`: one character as a UCS-2/UCS-4 code unit of `size` bytes.
    Wide,
    /// `O`, `&`, `g`, `Zg`: parse, but have no Rust value.
    Unsupported,
}

/// One run of same-typed elements in a compiled layout.
///
/// Values come out of a layout in item order; item `k` gives `repeat` values, element
/// `j` living at `offset + j * size`. For `s` and `p`, `size` is the string length and
/// each element is one `bytes` value. Padding (`x`) makes no item. The complex codes
/// `Zf`, `Zd`, `Zg` appear as `code` `'F'`, `'D'`, `'G'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutItem {
    /// The format code.
    pub code: char,
    /// The byte order the bytes are in.
    pub order: ByteOrder,
    /// True in native mode (`@`, `^`, or no prefix): native sizes and C semantics.
    pub native: bool,
    /// Byte offset of the first element from the start of the format.
    pub offset: usize,
    /// Size of one element in bytes.
    pub size: usize,
    /// Number of elements (and values).
    pub repeat: usize,
    pub(crate) op: Op,
}

/// How leaf values group into nested tuples (for `unpack_item` / `pack_item`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// This many consecutive leaf values, each its own element at this level.
    Leaves(usize),
    /// One element at this level: a tuple of its children.
    Group(Vec<Node>),
}

/// A parsed format string with its compiled layout.
///
/// ```
/// use pymemory_struct::{Dialect, Format, Value};
/// let f = Format::parse("<iHd", Dialect::Struct)?;
/// assert_eq!((f.size(), f.value_count()), (14, 3));
/// let bytes = f.pack(&[Value::Int(-1), Value::Int(7), Value::Float(0.5)])?;
/// assert_eq!(Value::Tuple(f.unpack(&bytes)?).to_string(), "(-1, 7, 0.5)");
/// # Ok::<(), pymemory_struct::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Format {
    pub(crate) source: String,
    pub(crate) size: usize,
    pub(crate) value_count: usize,
    pub(crate) items: Vec<LayoutItem>,
    /// `None` when values are flat (no `T{}` and no shapes).
    pub(crate) tree: Option<Vec<Node>>,
    /// Per-element decoding steps when every element is a plain number.
    pub(crate) plan: Option<crate::fast::Plan>,
}

/// The largest struct size CPython allows (`PY_SSIZE_T_MAX`).
const MAX_SIZE: usize = isize::MAX as usize;

/// Buffer-dialect records and shapes are unrolled into items; beyond this many values
/// the format is refused rather than allocating without bound.
const MAX_GROUPED_VALUES: usize = 1 << 20;

fn too_long() -> Error {
    Error::structure("total struct size too long")
}

fn bad_char() -> Error {
    Error::structure("bad char in struct format")
}

/// Current byte-order/size/alignment mode.
#[derive(Clone, Copy, Debug)]
struct Mode {
    order: ByteOrder,
    native: bool,
    align: bool,
}

impl Mode {
    fn from_prefix(c: u8, dialect: Dialect) -> Option<Mode> {
        let host = ByteOrder::native();
        Some(match c {
            b'@' => Mode {
                order: host,
                native: true,
                align: true,
            },
            b'=' => Mode {
                order: host,
                native: false,
                align: false,
            },
            b'<' => Mode {
                order: ByteOrder::Little,
                native: false,
                align: false,
            },
            b'>' | b'!' => Mode {
                order: ByteOrder::Big,
                native: false,
                align: false,
            },
            b'^' if dialect == Dialect::Buffer => Mode {
                order: host,
                native: true,
                align: false,
            },
            _ => return None,
        })
    }
}

/// Python's `Py_ISSPACE`.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn op_for(code: char) -> Op {
    match code {
        'b' | 'h' | 'i' | 'l' | 'q' | 'n' => Op::Int { signed: true },
        'B' | 'H' | 'I' | 'L' | 'Q' | 'N' => Op::Int { signed: false },
        'P' => Op::Pointer,
        '?' => Op::Bool,
        'e' => Op::Half,
        'f' => Op::Float,
        'd' => Op::Double,
        'F' => Op::ComplexFloat,
        'D' => Op::ComplexDouble,
        'c' => Op::Char,
        's' => Op::Str,
        'p' => Op::Pascal,
        'u' | 'w' => Op::Wide,
        _ => Op::Unsupported,
    }
}

/// What a parsed (sub)sequence compiles to, offsets relative to its start.
struct Compiled {
    /// The mode in force at the end of the sequence: byte-order marks inside a record
    /// stay in force after its `}` (numpy's reading, which numpy's own format strings
    /// rely on: it emits a mark only when the order in force changes).
    end_mode: Mode,
    items: Vec<LayoutItem>,
    nodes: Vec<Node>,
    size: usize,
    align: usize,
    values: usize,
    grouped: bool,
}

struct Parser<'a> {
    fmt: &'a [u8],
    pos: usize,
    dialect: Dialect,
    depth: usize,
}

/// `T{...}` nesting deeper than this is refused, so hostile formats cannot exhaust the
/// stack of the recursive parser.
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn next(&mut self) -> Option<u8> {
        let c = self.fmt.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn peek(&self) -> Option<u8> {
        self.fmt.get(self.pos).copied()
    }

    /// Reads the digits after `first`, with CPython's overflow rule.
    fn number(&mut self, first: u8) -> Result<usize> {
        let mut num = usize::from(first - b'0');
        while let Some(c @ b'0'..=b'9') = self.peek() {
            self.pos += 1;
            let d = usize::from(c - b'0');
            if num >= MAX_SIZE / 10 && (num > MAX_SIZE / 10 || d > MAX_SIZE % 10) {
                return Err(too_long());
            }
            num = num * 10 + d;
        }
        Ok(num)
    }

    /// `(d1,d2,...)` after the opening parenthesis.
    fn shape(&mut self) -> Result<Vec<usize>> {
        let bad = || Error::structure("bad shape in struct format");
        let mut dims = Vec::new();
        loop {
            while self.peek().is_some_and(is_space) {
                self.pos += 1;
            }
            match self.next() {
                Some(c @ b'0'..=b'9') => dims.push(self.number(c)?),
                _ => return Err(bad()),
            }
            while self.peek().is_some_and(is_space) {
                self.pos += 1;
            }
            match self.next() {
                Some(b',') => {}
                Some(b')') => return Ok(dims),
                _ => return Err(bad()),
            }
        }
    }

    /// Parses items until the end (top level) or the closing `}` (nested).
    fn sequence(&mut self, mut mode: Mode, nested: bool) -> Result<Compiled> {
        let mut out = Compiled {
            end_mode: mode,
            items: Vec::new(),
            nodes: Vec::new(),
            size: 0,
            align: 1,
            values: 0,
            grouped: false,
        };
        let buffer = self.dialect == Dialect::Buffer;
        loop {
            let Some(mut c) = self.next() else {
                if nested {
                    return Err(Error::structure("unmatched '{' in struct format"));
                }
                out.end_mode = mode;
                return Ok(out);
            };
            if is_space(c) {
                continue;
            }
            let mut dims: Option<Vec<usize>> = None;
            if buffer {
                if let Some(m) = Mode::from_prefix(c, self.dialect) {
                    mode = m;
                    continue;
                }
                if c == b'}' {
                    if nested {
                        out.end_mode = mode;
                        return Ok(out);
                    }
                    return Err(Error::structure("unmatched '}' in struct format"));
                }
                if c == b'(' {
                    dims = Some(self.shape()?);
                    while self.peek().is_some_and(is_space) {
                        self.pos += 1;
                    }
                    c = self.next().ok_or_else(bad_char)?;
                }
            }
            let mut explicit = false;
            let num = if c.is_ascii_digit() {
                let n = self.number(c)?;
                explicit = true;
                match self.next() {
                    Some(next) => c = next,
                    None => {
                        return Err(Error::structure(
                            "repeat count given without format specifier",
                        ));
                    }
                }
                n
            } else {
                1
            };
            if buffer && c == b'T' {
                if self.next() != Some(b'{') {
                    return Err(bad_char());
                }
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Error::structure("struct format nested too deeply"));
                }
                let inner = self.sequence(mode, true)?;
                self.depth -= 1;
                // The record's last mark stays in force, and (as in numpy) decides
                // whether the record itself is aligned.
                mode = inner.end_mode;
                self.add_struct(&mut out, mode, inner, num, explicit, dims.as_deref())?;
            } else {
                let code = if buffer && c == b'Z' {
                    match self.next() {
                        Some(b'f') => 'F',
                        Some(b'd') => 'D',
                        Some(b'g') => 'G',
                        _ => return Err(bad_char()),
                    }
                } else {
                    char::from(c)
                };
                let allowed = match self.dialect {
                    Dialect::Struct => "xcbB?hHiIlLqQnNefdFDspP".contains(code),
                    Dialect::Buffer => "xcbB?hHiIlLqQnNefdFDGspPgOuw&".contains(code),
                };
                if !allowed {
                    return Err(bad_char());
                }
                let (size, align) = if mode.native {
                    native::native(code).ok_or_else(bad_char)?
                } else {
                    (native::standard(code).ok_or_else(bad_char)?, 1)
                };
                Self::add_scalar(
                    &mut out,
                    mode,
                    code,
                    size,
                    align,
                    num,
                    explicit,
                    dims.as_deref(),
                )?;
            }
            if buffer {
                self.skip_name()?;
            }
        }
    }

    /// Skips an optional `:name:` after an item.
    fn skip_name(&mut self) -> Result<()> {
        let save = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        if self.peek() != Some(b':') {
            self.pos = save;
            return Ok(());
        }
        self.pos += 1;
        loop {
            match self.next() {
                Some(b':') => return Ok(()),
                Some(_) => {}
                None => return Err(Error::structure("unterminated field name in struct format")),
            }
        }
    }

    fn align_to(size: usize, align: usize, mode: Mode) -> Result<usize> {
        if mode.align && align > 1 && size > 0 {
            let extra = (align - 1) - (size - 1) % align;
            if extra > MAX_SIZE - size {
                return Err(too_long());
            }
            return Ok(size + extra);
        }
        Ok(size)
    }

    #[expect(clippy::too_many_arguments, reason = "one call site, all parse state")]
    fn add_scalar(
        out: &mut Compiled,
        mode: Mode,
        code: char,
        size: usize,
        align: usize,
        num: usize,
        explicit: bool,
        dims: Option<&[usize]>,
    ) -> Result<()> {
        let string = code == 's' || code == 'p';
        // Elements of this item: the shape's product, times the count unless the count
        // is a string length.
        let mut shape: Vec<usize> = dims.map(<[usize]>::to_vec).unwrap_or_default();
        if dims.is_some() && explicit && !string {
            shape.push(num);
        }
        let mut elements: usize = 1;
        for &d in &shape {
            elements = elements.checked_mul(d).ok_or_else(too_long)?;
        }
        if dims.is_none() {
            elements = if string { 1 } else { num };
        }
        let elem_size = if string { num } else { size };
        out.size = Self::align_to(out.size, align, mode)?;
        if mode.align {
            out.align = out.align.max(align);
        }
        if elem_size != 0 && elements > (MAX_SIZE - out.size) / elem_size {
            return Err(too_long());
        }
        let offset = out.size;
        out.size += elements * elem_size;
        if code == 'x' {
            return Ok(());
        }
        if elements > 0 {
            out.items.push(LayoutItem {
                code,
                order: mode.order,
                native: mode.native,
                offset,
                size: elem_size,
                repeat: elements,
                op: op_for(code),
            });
        }
        out.values = out.values.checked_add(elements).ok_or_else(too_long)?;
        if dims.is_some() {
            if elements > MAX_GROUPED_VALUES || !small_tree(&shape) {
                return Err(too_complex());
            }
            out.grouped = true;
            let mut units = std::iter::repeat_n(Node::Leaves(1), elements);
            out.nodes.push(nest(&shape, &mut units));
        } else {
            push_leaves(&mut out.nodes, elements);
        }
        Ok(())
    }

    fn add_struct(
        &self,
        out: &mut Compiled,
        mode: Mode,
        mut inner: Compiled,
        num: usize,
        explicit: bool,
        dims: Option<&[usize]>,
    ) -> Result<()> {
        // A C struct is as aligned as its most aligned member and padded to a multiple
        // of that alignment, so arrays of it stay aligned.
        inner.size = Self::align_to(inner.size, inner.align, mode)?;
        let mut shape: Vec<usize> = dims.map(<[usize]>::to_vec).unwrap_or_default();
        if dims.is_none() || explicit {
            shape.push(num);
        }
        let mut copies: usize = 1;
        for &d in &shape {
            copies = copies.checked_mul(d).ok_or_else(too_long)?;
        }
        out.size = Self::align_to(out.size, inner.align, mode)?;
        if mode.align {
            out.align = out.align.max(inner.align);
        }
        if inner.size != 0 && copies > (MAX_SIZE - out.size) / inner.size {
            return Err(too_long());
        }
        let values = copies.checked_mul(inner.values).ok_or_else(too_long)?;
        if values > MAX_GROUPED_VALUES || copies > MAX_GROUPED_VALUES || !small_tree(&shape) {
            return Err(too_complex());
        }
        let base = out.size;
        for k in 0..copies {
            let shift = base + k * inner.size;
            out.items.extend(inner.items.iter().map(|item| LayoutItem {
                offset: item.offset + shift,
                ..item.clone()
            }));
        }
        out.size += copies * inner.size;
        out.values += values;
        out.grouped = true;
        let record = Node::Group(inner.nodes);
        let mut units = std::iter::repeat_n(record, copies);
        if dims.is_some() {
            out.nodes.push(nest(&shape, &mut units));
        } else {
            out.nodes.extend(units);
        }
        Ok(())
    }
}

fn too_complex() -> Error {
    Error::new(
        ExceptionKind::NotImplementedError,
        format!("struct format with more than {MAX_GROUPED_VALUES} grouped values"),
    )
}

fn push_leaves(nodes: &mut Vec<Node>, n: usize) {
    if n == 0 {
        return;
    }
    if let Some(Node::Leaves(k)) = nodes.last_mut() {
        *k += n;
    } else {
        nodes.push(Node::Leaves(n));
    }
}

/// Whether the tuples that `nest` builds for `dims` stay within `MAX_GROUPED_VALUES`.
/// A zero dimension makes no values but still one (empty) tuple per index of the
/// dimensions before it: `(10**15,0)i` would otherwise build 10**15 empty tuples.
fn small_tree(dims: &[usize]) -> bool {
    let mut tuples = 0usize;
    let mut level = 1usize;
    for &d in dims {
        let Some(next) = level.checked_mul(d) else {
            return false;
        };
        level = next;
        match tuples.checked_add(level) {
            Some(t) if t <= MAX_GROUPED_VALUES => tuples = t,
            _ => return false,
        }
        if level == 0 {
            break;
        }
    }
    true
}

/// Groups `units` into nested tuples following `dims` (outermost first).
fn nest(dims: &[usize], units: &mut impl Iterator<Item = Node>) -> Node {
    match dims.split_first() {
        None => units.next().unwrap_or(Node::Group(Vec::new())),
        Some((&d, rest)) => {
            let mut children = Vec::new();
            for _ in 0..d {
                let child = nest(rest, units);
                match child {
                    Node::Leaves(n) => push_leaves(&mut children, n),
                    group => children.push(group),
                }
            }
            Node::Group(children)
        }
    }
}

/// Python's `text.encode('ascii')`, which CPython applies to every `str` format first.
///
/// # Errors
/// `UnicodeEncodeError` (kind `ValueError`) naming the first run of non-ASCII characters,
/// with CPython's message.
///
/// ```
/// use pymemory_struct::encode_ascii;
/// assert_eq!(encode_ascii("<i").unwrap(), b"<i");
/// assert_eq!(
///     encode_ascii("i\u{e9}\u{e9}").unwrap_err().to_string(),
///     "UnicodeEncodeError: 'ascii' codec can't encode characters in position 1-2: \
///      ordinal not in range(128)"
/// );
/// ```
pub fn encode_ascii(text: &str) -> Result<&[u8]> {
    let mut chars = text.chars().enumerate().skip_while(|(_, c)| c.is_ascii());
    let Some((start, _)) = chars.next() else {
        return Ok(text.as_bytes());
    };
    let end = chars
        .find(|(_, c)| c.is_ascii())
        .map_or(text.chars().count(), |(i, _)| i);
    Err(Error::unicode_encode(text, start, end))
}

fn check_ascii(fmt: &str) -> Result<()> {
    encode_ascii(fmt).map(|_| ())
}

impl Format {
    /// Parses and compiles `fmt`.
    ///
    /// # Errors
    /// `struct.error` as CPython raises it (`bad char in struct format`, `repeat count
    /// given without format specifier`, `total struct size too long`, `embedded null
    /// character`); `ValueError` for non-ASCII text (CPython's `UnicodeEncodeError`).
    pub fn parse(fmt: &str, dialect: Dialect) -> Result<Format> {
        check_ascii(fmt)?;
        let bytes = fmt.as_bytes();
        if bytes.contains(&0) {
            return Err(Error::structure("embedded null character"));
        }
        let (mode, start) = match bytes
            .first()
            .and_then(|&c| Mode::from_prefix(c, Dialect::Struct))
        {
            Some(mode) => (mode, 1),
            None => (
                Mode {
                    order: ByteOrder::native(),
                    native: true,
                    align: true,
                },
                0,
            ),
        };
        let mut parser = Parser {
            fmt: bytes,
            pos: start,
            dialect,
            depth: 0,
        };
        let compiled = parser.sequence(mode, false)?;
        let plan = crate::fast::plan(&compiled.items, compiled.size);
        Ok(Format {
            source: fmt.to_owned(),
            size: compiled.size,
            value_count: compiled.values,
            items: compiled.items,
            tree: compiled.grouped.then_some(compiled.nodes),
            plan,
        })
    }

    /// The format text as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Size in bytes (`struct.calcsize`, or the itemsize of a buffer format).
    #[must_use]
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many values `pack` takes and `unpack` gives.
    #[must_use]
    pub fn value_count(&self) -> usize {
        self.value_count
    }

    /// The compiled layout, in value order.
    #[must_use]
    pub fn items(&self) -> &[LayoutItem] {
        &self.items
    }

    /// The single item code when CPython's `memoryview` handles this format natively:
    /// one code, alone or after `@`, among `c b B h H i I l L q Q n N e f d ? P`.
    /// `"<i"` and `"=i"` are not native there; neither are counts (`"2i"`).
    #[must_use]
    pub fn native_code(&self) -> Option<char> {
        let code = match self.source.as_bytes() {
            [c] | [b'@', c] => char::from(*c),
            _ => return None,
        };
        "cbBhHiIlLqQnNefd?P".contains(code).then_some(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(fmt: &str) -> Result<usize> {
        Format::parse(fmt, Dialect::Struct).map(|f| f.size())
    }

    fn buf(fmt: &str) -> Format {
        Format::parse(fmt, Dialect::Buffer).unwrap()
    }

    #[test]
    fn calcsize_matches_cpython_on_x86_64() {
        // Mirrors struct.calcsize(fmt) on x86_64 Linux.
        let cases = [
            ("", 0),
            ("c0i", 4),
            ("ci", 8),
            ("@ic", 5),
            ("<ci", 5),
            ("bq", 16),
            ("=q", 8),
            ("3s", 3),
            ("0s", 0),
            ("5p", 5),
            ("xi", 8),
            ("?", 1),
            ("e", 2),
            ("ce", 4),
            ("P", 8),
            ("n", 8),
            (" i i ", 8),
            ("F", 8),
            ("<D", 16),
            ("cD", 24),
        ];
        for (fmt, want) in cases {
            assert_eq!(size(fmt).unwrap(), want, "calcsize({fmt:?})");
        }
    }

    #[test]
    fn format_errors_match_cpython() {
        let err = |fmt: &str| size(fmt).unwrap_err().to_string();
        assert_eq!(err("T{i}"), "struct.error: bad char in struct format");
        assert_eq!(err("<n"), "struct.error: bad char in struct format");
        assert_eq!(err(" <i"), "struct.error: bad char in struct format");
        assert_eq!(err("3 i"), "struct.error: bad char in struct format");
        assert_eq!(
            err("3"),
            "struct.error: repeat count given without format specifier"
        );
        assert_eq!(
            err("99999999999999999999i"),
            "struct.error: total struct size too long"
        );
        assert_eq!(
            err("9999999999999999999"),
            "struct.error: total struct size too long"
        );
        assert_eq!(
            err("9223372036854775807q"),
            "struct.error: total struct size too long"
        );
        assert_eq!(err("i\0i"), "struct.error: embedded null character");
        assert_eq!(
            err("\u{e9}"),
            "UnicodeEncodeError: 'ascii' codec can't encode character '\\xe9' in position 0: ordinal not in range(128)"
        );
        assert_eq!(size("9223372036854775807x").unwrap(), isize::MAX as usize);
        assert_eq!(
            err("x9223372036854775807x"),
            "struct.error: total struct size too long"
        );
    }

    #[test]
    fn buffer_dialect_layouts() {
        let f = buf("T{i:a: h:b:}");
        assert_eq!((f.size(), f.value_count()), (8, 2));
        let f = buf("<T{i h}d");
        assert_eq!(f.size(), 14);
        let f = buf("(2,3)i");
        assert_eq!((f.size(), f.value_count()), (24, 6));
        let f = buf("Zd Zf");
        assert_eq!(f.size(), 24);
        assert_eq!(f.items()[0].code, 'D');
        let f = buf("T{<h>h}");
        assert_eq!(f.items()[0].order, ByteOrder::Little);
        assert_eq!(f.items()[1].order, ByteOrder::Big);
        let f = buf("2T{ci}");
        assert_eq!((f.size(), f.items().len()), (16, 4));
        assert_eq!(buf("O&").size(), 16);
        assert_eq!(buf("w").size(), 4);
        assert!(Format::parse("T{i", Dialect::Buffer).is_err());
        assert!(Format::parse("i}", Dialect::Buffer).is_err());
        assert!(Format::parse("(2,i", Dialect::Buffer).is_err());
        assert!(Format::parse("Zq", Dialect::Buffer).is_err());
    }

    #[test]
    fn native_codes_follow_memoryview() {
        let nc = |s: &str| Format::parse(s, Dialect::Struct).unwrap().native_code();
        assert_eq!(nc("B"), Some('B'));
        assert_eq!(nc("@i"), Some('i'));
        assert_eq!(nc("<i"), None);
        assert_eq!(nc("2i"), None);
        assert_eq!(nc("s"), None);
    }
}
