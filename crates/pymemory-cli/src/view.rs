//! `pymemory view FILE ...`: a typed, zero-copy look into a file through memoryview.
//!
//! What it prints is what CPython prints for
//! `memoryview(data)[N:N+LEN].cast(FMT, SHAPE)[EXPR1][EXPR2]...` followed by `.tolist()`
//! (a scalar's repr), `.hex()` or the attribute listing of `--show info`. The file is
//! memory-mapped, and only the requested range is mapped, so the cost follows the slice,
//! not the file.
//!
//! `--set EXPR=VALUE` assigns through the view (`view[EXPR] = VALUE`). All assignments are
//! first rehearsed on a copy-on-write mapping of the range (only the pages written are
//! copied); only when every one of them succeeds are they made on the file, so a failing
//! `--set` writes nothing, and the cost follows what is written, not the file.

use std::path::{Path, PathBuf};

use pymemory::buffer::{BufferExporter, Item, MemoryView, MmapBuffer, Subscript};
use pymemory::structs::Value;

use crate::failure::Failure;
use crate::hex;

/// What `--show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Show {
    /// `.tolist()`, or the repr of a scalar.
    List,
    /// `.hex()`.
    Hex,
    /// The view's attributes, one `name: repr` line each.
    Info,
}

/// The arguments of `pymemory view`.
#[derive(Debug, clap::Args)]
pub(crate) struct ViewArgs {
    /// The file to map.
    file: PathBuf,
    /// N in `memoryview(data)[N:N+LEN]` (negative counts from the end, as in Python).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    offset: i64,
    /// LEN in `memoryview(data)[N:N+LEN]`; without it, the view runs to the end.
    #[arg(long, allow_negative_numbers = true)]
    length: Option<i64>,
    /// Cast the bytes to this struct format (`.cast(FMT)`).
    #[arg(long)]
    format: Option<String>,
    /// The shape of the cast, `D0,D1,...` (`.cast(FMT, (D0, D1, ...))`); an empty value
    /// (`--shape=`) is the 0-d shape `()`.
    #[arg(long, requires = "format", allow_hyphen_values = true, value_parser = parse_shape)]
    shape: Option<Shape>,
    /// A subscript applied in turn, in Python syntax: `3`, `-1`, `1:4`, `::-2`, `1:3,::2`.
    #[arg(long = "index", allow_hyphen_values = true)]
    indexes: Vec<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = Show::List)]
    show: Show,
    /// Map the file read-write, so `--set` can change it.
    #[arg(long)]
    write: bool,
    /// `EXPR=VALUE`: assign VALUE (a Python literal) to `view[EXPR]`; repeatable.
    #[arg(long = "set", allow_hyphen_values = true)]
    sets: Vec<String>,
}

/// A `--shape` value: the dimensions of a cast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape(Vec<isize>);

/// `D0,D1,...` as a shape; the empty string is the 0-d shape.
fn parse_shape(text: &str) -> Result<Shape, String> {
    if text.trim().is_empty() {
        return Ok(Shape(Vec::new()));
    }
    text.split(',')
        .map(|d| d.trim().parse::<isize>().map_err(|e| format!("{d:?}: {e}")))
        .collect::<Result<Vec<_>, _>>()
        .map(Shape)
}

/// Runs `pymemory view` and returns what it prints.
pub(crate) fn run(args: &ViewArgs) -> Result<String, Failure> {
    let io_failure = |e: std::io::Error| Failure::from_io(&e, &args.file);

    let metadata = std::fs::metadata(&args.file).map_err(io_failure)?;
    if metadata.is_dir() {
        // What Python's open() says; mapping a directory would only say ENODEV.
        return Err(Failure::new(
            "IsADirectoryError",
            format!(
                "[Errno 21] Is a directory: {}",
                crate::failure::path_repr(&args.file)
            ),
        ));
    }
    let file_len = metadata.len();
    let (start, len) = byte_range(file_len, args.offset, args.length)?;
    let map = if args.write {
        MmapBuffer::open_rw_range(&args.file, start, len)
    } else {
        MmapBuffer::open_range(&args.file, start, len)
    }
    .map_err(io_failure)?;

    let sets = args
        .sets
        .iter()
        .map(|text| parse_assignment(text))
        .collect::<Result<Vec<_>, Failure>>()?;
    if !sets.is_empty() {
        assign_all_or_nothing(&map, &args.file, (start, len), args, &sets)?;
        map.flush().map_err(io_failure)?;
    }
    let item = typed_view(&map, args)?;
    show(&item, args.show)
}

/// The file range `[N:N+LEN]` selects, by Python's slice rules on a sequence of
/// `file_len` bytes: `(start, length)`.
fn byte_range(file_len: u64, offset: i64, length: Option<i64>) -> Result<(u64, usize), Failure> {
    let len = i128::from(file_len);
    let clamp = |i: i128| -> i128 { if i < 0 { (i + len).max(0) } else { i.min(len) } };
    let start = clamp(i128::from(offset));
    let stop = match length {
        Some(n) => clamp(i128::from(offset) + i128::from(n)),
        None => len,
    };
    let count = (stop - start).max(0);
    let count = usize::try_from(count).map_err(|_| {
        Failure::new(
            "OverflowError",
            "the requested range does not fit in memory",
        )
    })?;
    Ok((start as u64, count))
}

/// `memoryview(exporter).cast(FMT, SHAPE)[EXPR1][EXPR2]...`
fn typed_view<E: BufferExporter + Clone>(exporter: &E, args: &ViewArgs) -> Result<Item, Failure> {
    let mut view = MemoryView::new(exporter)?;
    if let Some(format) = &args.format {
        view = view.cast(format, args.shape.as_ref().map(|s| s.0.as_slice()))?;
    }
    let mut item = Item::View(view);
    for text in &args.indexes {
        item = item.get(Subscript::parse(text)?)?;
    }
    Ok(item)
}

/// Splits `EXPR=VALUE` at the first `=` (subscripts never contain one; values may).
fn parse_assignment(text: &str) -> Result<(Subscript, Value), Failure> {
    let (key, value) = text.split_once('=').ok_or_else(|| {
        Failure::value_error(format!(
            "--set takes EXPR=VALUE, got {}",
            Value::Str(text.into())
        ))
    })?;
    Ok((Subscript::parse(key)?, Value::parse_literal(value)?))
}

/// `view[EXPR] = VALUE` for every assignment, into the file only if all of them succeed.
fn assign_all_or_nothing(
    map: &MmapBuffer,
    path: &Path,
    (start, len): (u64, usize),
    args: &ViewArgs,
    sets: &[(Subscript, Value)],
) -> Result<(), Failure> {
    let target = typed_view(map, args)?;
    if !map.is_writable() {
        // Python checks writability first: the first assignment fails on a read-only view.
        let (key, value) = &sets[0];
        return assign(&target, key, value);
    }
    // Rehearse on a copy-on-write mapping of the same range: the same view over the same
    // bytes, where only the pages written are copied and nothing reaches the file. Each
    // assignment either fails before writing or succeeds, and succeeds again on the same
    // bytes, so replaying a rehearsal that passed cannot fail halfway.
    let rehearsal =
        MmapBuffer::open_private_range(path, start, len).map_err(|e| Failure::from_io(&e, path))?;
    let rehearsal_view = typed_view(&rehearsal, args)?;
    for (key, value) in sets {
        assign(&rehearsal_view, key, value)?;
    }
    for (key, value) in sets {
        assign(&target, key, value)?;
    }
    Ok(())
}

fn assign(target: &Item, key: &Subscript, value: &Value) -> Result<(), Failure> {
    match target {
        Item::View(view) => Ok(view.set(key.clone(), value)?),
        Item::Value(v) => Err(Failure::new(
            "TypeError",
            format!(
                "'{}' object does not support item assignment",
                v.type_name()
            ),
        )),
    }
}

fn show(item: &Item, what: Show) -> Result<String, Failure> {
    match (what, item) {
        (Show::List, _) => Ok(item.tolist()?.to_string()),
        (Show::Hex, Item::View(view)) => Ok(view.hex()?),
        (Show::Hex, Item::Value(Value::Bytes(bytes))) => Ok(hex::to_hex(bytes)),
        (Show::Hex, Item::Value(Value::Float(x))) => Ok(hex::float_hex(*x)),
        (Show::Info, Item::View(view)) => Ok(view
            .info()?
            .into_iter()
            .map(|(name, repr)| format!("{name}: {repr}"))
            .collect::<Vec<_>>()
            .join("\n")),
        (Show::Hex, Item::Value(v)) => Err(no_attribute(v, "hex")),
        (Show::Info, Item::Value(v)) => Err(no_attribute(v, "format")),
    }
}

/// `AttributeError: 'int' object has no attribute 'hex'`
fn no_attribute(value: &Value, name: &str) -> Failure {
    Failure::new(
        "AttributeError",
        format!("'{}' object has no attribute '{name}'", value.type_name()),
    )
}
