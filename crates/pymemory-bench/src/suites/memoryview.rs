//! Issue #3: memoryview against CPython's memoryview, numpy and memcpy on the same data,
//! plus the `tobytes` throughput curves against view size and stride.

use std::hint::black_box;

use pymemory_buffer::{MemoryView, Slice, Subscript, Value, VecBuffer};

use super::Ctx;
use crate::python::{PyDriver, SharedPy, sampler};
use crate::report::{Curve, Kind, Section, Series, Table, fmt_count};
use crate::util::{Sampler, per_call, round_robin, time};

const PY: &str = r#"
import array
from _testbuffer import ndarray, PyBUF_FULL_RO
try:
    import numpy as np
except ImportError:
    np = None
n, side, hexlen = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ai = array.array('i', range(n))
al = array.array('l', range(n))
mi, ml = memoryview(ai), memoryview(al)
big = bytes(range(256)) * (side * side // 256) + bytes(side * side % 256)
mbig = memoryview(big)
nd = ndarray(mbig.cast('B', [side, side]), getbuf=PyBUF_FULL_RO)
strided = memoryview(nd[::2, ::2])
mhex = memoryview(big[:hexlen])
if np is not None:
    a2 = np.frombuffer(big, np.uint8).reshape(side, side)
    ni, nl = np.arange(n, dtype=np.int32), np.arange(n, dtype=np.int64)
OPS.update({
    "tolist": lambda: timed(mi.tolist),
    "strided": lambda: timed(strided.tobytes),
    "hex": lambda: timed(mhex.hex),
    "eq": lambda: timed(lambda: mi == ml),
    "count": lambda: timed(lambda: ai.count(7)),
    "contig": lambda: timed(mbig.tobytes),
    "slice": lambda mb: per_call("slice", lambda: mi[1:-1], float(mb)),
    "cast": lambda mb: per_call("cast", lambda: mbig.cast('i'), float(mb)),
    "item": lambda mb: per_call("item", lambda: mi[12345 % n], float(mb)),
    "np_tolist": lambda: timed(ni.tolist),
    "np_strided": lambda: timed(lambda: a2[::2, ::2].tobytes()),
    "np_eq": lambda: timed(lambda: bool((ni == nl).all())),
    "np_count": lambda: timed(lambda: int((ni == 7).sum())),
    "np_contig": lambda: timed(a2.tobytes),
    "np_item": lambda mb: per_call("np_item", lambda: ni[12345 % n], float(mb)),
})
# tobytes curves: a 1-D 'B' view of size*stride bytes, sliced [::stride].
tb = {}
@op
def tb_setup(size, stride):
    size, stride = int(size), int(stride)
    # Written memory, not calloc's shared zero page, so caches and TLBs see real data.
    src = (bytes(range(251)) * (size * stride // 251 + 1))[:size * stride]
    tb["m"] = memoryview(src)[::stride]
    tb["a"] = np.frombuffer(src, np.uint8)[::stride] if np is not None else None
    tb["key"] = (size, stride)
    return 0
@op
def tb_py(mb):
    m = tb["m"]; return per_call(("py",) + tb["key"], m.tobytes, float(mb))
@op
def tb_np(mb):
    a = tb["a"]; return per_call(("np",) + tb["key"], a.tobytes, float(mb))
"#;

struct Data {
    n: usize,
    side: usize,
    hexlen: usize,
}

fn sizes(quick: bool) -> Data {
    if quick {
        Data {
            n: 1_000_000,
            side: 2_000,
            hexlen: 1_000_000,
        }
    } else {
        Data {
            n: 10_000_000,
            side: 10_000,
            hexlen: 10_000_000,
        }
    }
}

/// Runs the bulk-operation table and the `tobytes` curves.
pub(crate) fn run(ctx: &Ctx) -> Section {
    let d = sizes(ctx.quick);
    let (n, side) = (d.n, d.side);
    let reps = ctx.reps;
    let mb = ctx.min_batch;
    let mut notes = Vec::new();
    ctx.progress
        .step("memoryview: preparing data (Rust and python3)");
    let py = match PyDriver::start(
        &ctx.py,
        PY,
        &[n.to_string(), side.to_string(), d.hexlen.to_string()],
    ) {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!("CPython side FAILED: {e}"));
            None
        }
    };
    let numpy = ctx.py.numpy.is_ok() && py.is_some();

    let ai = VecBuffer::new((0..n as i32).collect::<Vec<i32>>());
    let al = VecBuffer::new((0..n as i64).collect::<Vec<i64>>());
    let mi = MemoryView::new(&ai).expect("view");
    // Vec<i64> exports as 'q'; cast through bytes to CPython's 'l' (same size on 64-bit).
    let ml = MemoryView::new(&al)
        .expect("view")
        .cast("B", None)
        .expect("cast")
        .cast("l", None)
        .expect("cast");
    let big: Vec<u8> = (0..side * side).map(|i| i as u8).collect();
    let bigbuf = VecBuffer::new(big.clone());
    let mbig = MemoryView::new(&bigbuf).expect("view");
    let strided = mbig
        .cast("B", Some(&[side as isize, side as isize]))
        .expect("cast")
        .get(Subscript::parse("::2, ::2").expect("key"))
        .expect("slice")
        .into_view()
        .expect("view");
    let hexbuf = VecBuffer::new(big[..d.hexlen].to_vec());
    let mhex = MemoryView::new(&hexbuf).expect("view");

    let mut t = Table::new(
        "operation",
        Kind::Time,
        "pymemory",
        &["CPython memoryview", "numpy", "memcpy (floor)"],
    );
    let mut bulk =
        |name: &str, label: String, ours: Sampler<'_>, np: bool, memcpy: Option<Sampler<'_>>| {
            ctx.progress.step(&format!("memoryview: {name}"));
            let mut sides: Vec<Sampler<'_>> = vec![ours];
            let mut slots = [None; 3];
            if let Some(py) = &py {
                slots[0] = Some(sides.len());
                sides.push(sampler(py, name));
                if np && numpy {
                    slots[1] = Some(sides.len());
                    sides.push(sampler(py, format!("np_{name}")));
                }
            }
            if let Some(m) = memcpy {
                slots[2] = Some(sides.len());
                sides.push(m);
            }
            let m = round_robin(reps, &mut sides);
            t.row(
                label,
                m[0],
                slots.iter().map(|s| s.and_then(|k| m[k])).collect(),
            );
        };
    let mb_s = format!("{mb}");
    bulk(
        "tolist",
        format!("`tolist()`, {} `'i'` items", fmt_count(n as f64)),
        Box::new(|| Some(time(|| drop(black_box(mi.tolist().expect("tolist")))))),
        true,
        None,
    );
    bulk(
        "strided",
        format!(
            "`tobytes()`, 2-D `[::2, ::2]` of a {side}x{side} `'B'` buffer ({} MB)",
            side * side / 1_000_000
        ),
        Box::new(|| {
            Some(time(|| {
                drop(black_box(strided.tobytes().expect("tobytes")))
            }))
        }),
        true,
        None,
    );
    bulk(
        "hex",
        format!("`hex()`, {} MB", d.hexlen / 1_000_000),
        Box::new(|| Some(time(|| drop(black_box(mhex.hex().expect("hex")))))),
        false,
        None,
    );
    bulk(
        "eq",
        format!("`==`, {} `'i'` vs `'l'` items", fmt_count(n as f64)),
        Box::new(|| Some(time(|| assert!(black_box(mi.equals(&ml)))))),
        true,
        None,
    );
    bulk(
        "count",
        format!(
            "`count(7)`, {} `'i'` items (CPython 3.11 has no `memoryview.count`: `array.count`)",
            fmt_count(n as f64)
        ),
        Box::new(|| {
            Some(time(|| {
                assert_eq!(black_box(mi.count(&Value::Int(7)).expect("count")), 1);
            }))
        }),
        true,
        None,
    );
    let big_ref = &big;
    bulk(
        "contig",
        format!("`tobytes()`, contiguous {} MB", side * side / 1_000_000),
        Box::new(|| Some(time(|| drop(black_box(mbig.tobytes().expect("tobytes")))))),
        true,
        Some(Box::new(move || {
            Some(time(|| drop(black_box(big_ref.as_slice().to_vec()))))
        })),
    );
    let mut slice = per_call(mb, || {
        drop(black_box(
            mi.get(Slice::new(Some(1), Some(-1), None)).expect("slice"),
        ))
    });
    let mut cast = per_call(mb, || drop(black_box(mbig.cast("i", None).expect("cast"))));
    let mut item = per_call(mb, || {
        black_box(mi.item(black_box(12345 % n as isize)).expect("item"));
    });
    // The O(1) and per-item rows send the batch length along.
    {
        let mut one = |name: &str, label: &str, ours: &mut dyn FnMut() -> f64, np: bool| {
            ctx.progress.step(&format!("memoryview: {name}"));
            let mut sides: Vec<Sampler<'_>> = vec![Box::new(|| Some(ours()))];
            let (mut cp, mut nk) = (None, None);
            if let Some(py) = &py {
                cp = Some(sides.len());
                sides.push(sampler(py, format!("{name} {mb_s}")));
                if np && numpy {
                    nk = Some(sides.len());
                    sides.push(sampler(py, format!("np_{name} {mb_s}")));
                }
            }
            let m = round_robin(reps, &mut sides);
            t.row(
                label,
                m[0],
                vec![cp.and_then(|k| m[k]), nk.and_then(|k| m[k]), None],
            );
        };
        one("slice", "slice `m[1:-1]` (O(1))", &mut slice, false);
        one(
            "cast",
            "`cast('i')` of the whole buffer (O(1))",
            &mut cast,
            false,
        );
        one(
            "item",
            "item get `m[i]`, per call (numpy: `a[i]`)",
            &mut item,
            true,
        );
    }
    drop((slice, cast, item));
    drop((mi, ml, ai, al, mbig, strided, mhex, hexbuf, bigbuf, big));
    // Row order: tolist, strided, hex, eq, count, contiguous, slice, cast, item.
    let bulk2x = "#3: every bulk operation at least 2x faster than CPython";
    for row in [0, 1, 2, 3, 4] {
        t.goal_vs(row, 0, 2.0, bulk2x);
    }
    t.goal_no_slower(1, 1, "#3: strided copies no slower than numpy");
    t.goal_vs(
        5,
        2,
        1.0 / 1.2,
        "#3: contiguous tobytes within 1.2x of memcpy",
    );
    t.goal_max(6, 1e-6, "#3: slice is O(1) (under 1 µs here)");
    t.goal_max(7, 1e-6, "#3: cast is O(1) (under 1 µs here)");
    if !numpy {
        notes.push(format!(
            "!!! numpy columns are EMPTY: {} !!!",
            ctx.py.numpy.clone().err().unwrap_or_default()
        ));
    }

    let curves = py
        .as_ref()
        .map(|py| tobytes_curves(ctx, py, numpy))
        .unwrap_or_default();
    if let Some(e) = py.as_ref().and_then(|p| p.borrow().error.clone()) {
        notes.push(format!("CPython error: {e}"));
    }
    Section {
        heading: "memoryview (issue #3)".into(),
        intro: format!(
            "The same data on every side: `array('i')`/`array('l')` of {} items \
             (numpy: `arange` of int32/int64), a {side}x{side} byte buffer (CPython's memoryview \
             cannot slice 2-D, so its side slices a `_testbuffer.ndarray`). Ratios: \
             competitor time / pymemory time. Goals: bulk operations at least 2x faster than \
             CPython, strided copies no slower than numpy, contiguous `tobytes` within 1.2x \
             of memcpy (ratio at least 0.83).",
            fmt_count(n as f64)
        ),
        tables: vec![t],
        curves,
        notes,
        ..Section::default()
    }
}

/// `tobytes` throughput (output bytes per second) against view size and against stride.
fn tobytes_curves(ctx: &Ctx, py: &SharedPy, numpy: bool) -> Vec<Curve> {
    let mb = ctx.min_batch;
    let (sizes, stride_size, strides): (Vec<usize>, usize, Vec<usize>) = if ctx.quick {
        (
            vec![4_000, 64_000, 1_000_000, 4_000_000],
            250_000,
            vec![1, 2, 4, 16, 64],
        )
    } else {
        (
            vec![
                1_000, 4_000, 16_000, 64_000, 250_000, 1_000_000, 4_000_000, 16_000_000, 64_000_000,
            ],
            4_000_000,
            vec![1, 2, 3, 4, 8, 16, 32, 64],
        )
    };
    // One measurement: (pymemory, CPython, numpy, memcpy) in bytes per second.
    let point = |size: usize, stride: usize| -> [Option<f64>; 4] {
        // Written memory (not calloc's zero page), the same bytes as the Python side.
        let src = VecBuffer::new(
            (0..size * stride)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<u8>>(),
        );
        let m = MemoryView::new(&src)
            .expect("view")
            .get(Slice::new(None, None, Some(stride as isize)))
            .expect("slice")
            .into_view()
            .expect("view");
        let contiguous: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let ok = py
            .borrow_mut()
            .call(&format!("tb_setup {size} {stride}"))
            .is_ok();
        let mut memcpy =
            (stride == 1).then(|| per_call(mb, || drop(black_box(contiguous.as_slice().to_vec()))));
        let mut ours = per_call(mb, || drop(black_box(m.tobytes().expect("tobytes"))));
        let mut sides: Vec<Sampler<'_>> = vec![Box::new(|| Some(ours()))];
        let (mut cp, mut np, mut mc) = (None, None, None);
        if ok {
            cp = Some(sides.len());
            sides.push(sampler(py, format!("tb_py {mb}")));
            if numpy {
                np = Some(sides.len());
                sides.push(sampler(py, format!("tb_np {mb}")));
            }
        }
        if let Some(memcpy) = memcpy.as_mut() {
            mc = Some(sides.len());
            sides.push(Box::new(|| Some(memcpy())));
        }
        // More rounds than the tables: each point is cheap and the curves are noisy.
        let r = round_robin(ctx.reps + 4, &mut sides);
        let tp = |k: Option<usize>| k.and_then(|k| r[k]).map(|s| size as f64 / s);
        [tp(Some(0)), tp(cp), tp(np), tp(mc)]
    };
    let mut by_size: Vec<Series> = [
        "pymemory, step 1",
        "CPython, step 1",
        "numpy, step 1",
        "memcpy",
        "pymemory, step 2",
        "CPython, step 2",
        "numpy, step 2",
    ]
    .iter()
    .map(|n| Series::new(n, None))
    .collect();
    for &size in &sizes {
        for (stride, base) in [(1usize, 0usize), (2, 4)] {
            ctx.progress.step(&format!(
                "tobytes curve: {} step {stride}",
                crate::util::fmt_bytes(size as f64)
            ));
            let p = point(size, stride);
            let x = size as f64;
            by_size[base].points.push((x, p[0]));
            by_size[base + 1].points.push((x, p[1]));
            by_size[base + 2].points.push((x, p[2]));
            if stride == 1 {
                by_size[3].points.push((x, p[3]));
            }
        }
    }
    // pymemory first, its strided line second, then the others.
    let order = [0usize, 4, 1, 5, 2, 6, 3];
    // Each competitor's ratio is against pymemory at the same step.
    let vs = [None, None, Some(0), Some(1), Some(0), Some(1), Some(0)];
    let by_size: Vec<Series> = order
        .iter()
        .zip(vs)
        .map(|(&k, vs)| Series {
            vs,
            ..by_size[k].clone()
        })
        .collect();
    let mut by_stride: Vec<Series> = [
        "pymemory",
        "CPython memoryview",
        "numpy",
        "memcpy (step 1 floor)",
    ]
    .iter()
    .enumerate()
    .map(|(k, n)| Series::new(n, (k > 0).then_some(0)))
    .collect();
    for &stride in &strides {
        ctx.progress.step(&format!("tobytes curve: step {stride}"));
        let p = point(stride_size, stride);
        for (k, s) in by_stride.iter_mut().enumerate() {
            if k < 3 || stride == 1 {
                s.points.push((stride as f64, p[k]));
            }
        }
    }
    vec![
        Curve {
            id: "tobytes_vs_size".into(),
            title: "tobytes throughput vs view size (1-D 'B', step 1 and 2)".into(),
            x_label: "output bytes".into(),
            x_kind: Kind::Bytes,
            y_label: "output GB/s (higher is better)".into(),
            y_kind: Kind::Throughput,
            series: by_size,
        },
        Curve {
            id: "tobytes_vs_stride".into(),
            title: format!(
                "tobytes throughput vs step ({} output, 1-D 'B')",
                crate::util::fmt_bytes(stride_size as f64)
            ),
            x_label: "step (elements)".into(),
            x_kind: Kind::Count,
            y_label: "output GB/s (higher is better)".into(),
            y_kind: Kind::Throughput,
            series: by_stride,
        },
    ]
}
