//! Issue #3: `array.array('i')` operations against CPython's `array`, same items.

use std::hint::black_box;

use pymemory_buffer::Slice;
use pymemory_buffer::array::Array;
use pymemory_struct::Value;

use super::Ctx;
use crate::python::{PyDriver, sampler};
use crate::report::{Kind, Section, Table, fmt_count};
use crate::util::{Sampler, round_robin, time};

const PY: &str = r#"
import array
n = int(sys.argv[1])
items = list(range(n))
a = array.array('i', items)
l = array.array('l', items)
def append():
    b = array.array('i'); ap = b.append
    for i in items: ap(i)
OPS.update({
    "append": lambda: timed(append),
    "fromlist": lambda: timed(lambda: array.array('i').fromlist(items)),
    "frombytes": lambda: timed(lambda: array.array('i').frombytes(a.tobytes())),
    "tolist": lambda: timed(a.tolist),
    "tobytes": lambda: timed(a.tobytes),
    "eq": lambda: timed(lambda: a == l),
    "count": lambda: timed(lambda: a.count(7)),
    "slice": lambda: timed(lambda: a[::2]),
    "reverse": lambda: timed(a.reverse),
    "byteswap": lambda: timed(a.byteswap),
})
"#;

/// Runs the suite.
pub(crate) fn run(ctx: &Ctx) -> Section {
    let n: usize = if ctx.quick { 1_000_000 } else { 10_000_000 };
    ctx.progress.step("array: preparing data");
    let mut notes = Vec::new();
    let py = match PyDriver::start(&ctx.py, PY, &[n.to_string()]) {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!("CPython side FAILED: {e}"));
            None
        }
    };
    let items: Vec<i32> = (0..i32::try_from(n).expect("fits in i32")).collect();
    let values: Vec<Value> = items.iter().map(|&i| Value::Int(i.into())).collect();
    let a = Array::from_slice(&items);
    let l = Array::from_array('l', &a).expect("widening");
    type Op<'a> = (&'static str, &'static str, Box<dyn FnMut() + 'a>);
    let ops: Vec<Op<'_>> = vec![
        (
            "append",
            "`append` of each item",
            Box::new(|| {
                let b = Array::new('i').expect("typecode");
                for v in &values {
                    b.append(v).expect("fits");
                }
                black_box(b);
            }),
        ),
        (
            "fromlist",
            "`fromlist`",
            Box::new(|| {
                let b = Array::new('i').expect("typecode");
                b.fromlist(&values).expect("fits");
                black_box(b);
            }),
        ),
        (
            "frombytes",
            "`frombytes(a.tobytes())`",
            Box::new(|| {
                let b = Array::new('i').expect("typecode");
                b.frombytes(&a.tobytes()).expect("whole items");
                black_box(b);
            }),
        ),
        (
            "tolist",
            "`tolist`",
            Box::new(|| drop(black_box(a.tolist().expect("ints")))),
        ),
        (
            "tobytes",
            "`tobytes`",
            Box::new(|| drop(black_box(a.tobytes()))),
        ),
        (
            "eq",
            "`==` (`'i'` vs `'l'`)",
            Box::new(|| assert!(black_box(&a) == black_box(&l))),
        ),
        (
            "count",
            "`count(7)`",
            Box::new(|| {
                black_box(a.count(&Value::Int(7)));
            }),
        ),
        (
            "slice",
            "slice `[::2]` (a copy)",
            Box::new(|| {
                drop(black_box(
                    a.get_slice(Slice::new(None, None, Some(2)))
                        .expect("step 2"),
                ))
            }),
        ),
        ("reverse", "`reverse`", Box::new(|| a.reverse())),
        ("byteswap", "`byteswap`", Box::new(|| a.byteswap())),
    ];
    let mut t = Table::new(
        &format!("operation on `array('i')` of {} items", fmt_count(n as f64)),
        Kind::Time,
        "pymemory",
        &["CPython `array`"],
    );
    for (name, label, mut f) in ops {
        ctx.progress.step(&format!("array: {name}"));
        let mut sides: Vec<Sampler<'_>> = vec![Box::new(move || Some(time(&mut f)))];
        if let Some(py) = &py {
            sides.push(sampler(py, name));
        }
        let m = round_robin(ctx.reps, &mut sides);
        t.row(label, m[0], vec![m.get(1).copied().flatten()]);
    }
    if let Some(e) = py.as_ref().and_then(|p| p.borrow().error.clone()) {
        notes.push(format!("CPython error: {e}"));
    }
    Section {
        heading: "array.array (issue #3)".into(),
        intro: "Ratios: CPython time / pymemory time.".into(),
        tables: vec![t],
        notes,
        ..Section::default()
    }
}
