//! Side by side with CPython's `memoryview` (and numpy when importable): the same
//! operations on the same data in one run, reporting medians and ratios.
//!
//! `cargo run --release -p pymemory-buffer --example compare_memoryview [N] [REPEATS]`
//! (N = items for the 10M-item rows; the 2-D strided copy uses 100 MB, hex 10 MB).

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use pymemory_buffer::{MemoryView, Slice, Subscript, Value, VecBuffer};

const PYTHON: &str = r#"
import sys, time, array
n, reps = int(sys.argv[1]), int(sys.argv[2])
from _testbuffer import ndarray, PyBUF_FULL_RO
try:
    import numpy as np
except ImportError:
    np = None
ai = array.array('i', range(n))
al = array.array('l', range(n))
mi, ml = memoryview(ai), memoryview(al)
side = 10000
big = bytes(range(256)) * (side * side // 256) + bytes(side * side % 256)
mbig = memoryview(big)
hexdata = big[:10_000_000]
def t(name, f, r=reps):
    times = []
    for _ in range(r):
        t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
    times.sort()
    print("py", name, times[len(times) // 2] * 1e3)
    sys.stdout.flush()
t("tolist", mi.tolist)
nd = ndarray(mbig.cast('B', [side, side]), getbuf=PyBUF_FULL_RO)
strided = memoryview(nd[::2, ::2])
t("tobytes strided 2-D", strided.tobytes)
t("hex", memoryview(hexdata).hex)
t("eq i vs l", lambda: mi == ml)
t("count", lambda: ai.count(7))
t("slice", lambda: mi[1:-1], 1001)
t("cast", lambda: mbig.cast('i'), 1001)
t("tobytes contiguous", mbig.tobytes)
if np is not None:
    a = np.frombuffer(big, np.uint8).reshape(side, side)
    ni, nl = np.arange(n, dtype=np.int32), np.arange(n, dtype=np.int64)
    print("np available")
    t("np tolist", ni.tolist)
    t("np tobytes strided 2-D", lambda: a[::2, ::2].tobytes())
    t("np eq i vs l", lambda: bool((ni == nl).all()))
    t("np count", lambda: int((ni == 7).sum()))
    t("np tobytes contiguous", a.tobytes)
else:
    print("np missing")
"#;

/// Milliseconds with enough digits for O(1) operations (nanoseconds).
fn ms(v: f64) -> String {
    if v < 0.01 {
        format!("{v:.6}")
    } else {
        format!("{v:.2}")
    }
}

fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);

    let py = Command::new("python3")
        .arg("-c")
        .arg(PYTHON)
        .arg(n.to_string())
        .arg(reps.to_string())
        .output();
    let py = match py {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => panic!("python3 failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => panic!("python3 is required for this comparison and was not found: {e}"),
    };
    let pyt = |name: &str| -> Option<f64> {
        py.lines().find_map(|l| {
            let rest = l
                .strip_prefix("py ")?
                .strip_prefix(name)?
                .strip_prefix(' ')?;
            rest.trim().parse().ok()
        })
    };
    let numpy = py.lines().any(|l| l == "np available");

    let ai = VecBuffer::new((0..n as i32).collect::<Vec<i32>>());
    let al = VecBuffer::new((0..n as i64).collect::<Vec<i64>>());
    let mi = MemoryView::new(&ai).expect("view");
    let ml = MemoryView::new(&al)
        .expect("view")
        .cast("B", None)
        .expect("cast")
        .cast("l", None)
        .expect("cast");
    let side = 10_000usize;
    let big: Vec<u8> = (0..side * side).map(|i| i as u8).collect();
    let bigbuf = VecBuffer::new(big.clone());
    let mbig = MemoryView::new(&bigbuf).expect("view");
    let m2 = mbig
        .cast("B", Some(&[side as isize, side as isize]))
        .expect("cast");
    let strided = m2
        .get(Subscript::parse("::2, ::2").expect("key"))
        .expect("slice")
        .into_view()
        .expect("view");
    let hexbuf = VecBuffer::new(big[..10_000_000].to_vec());
    let mhex = MemoryView::new(&hexbuf).expect("view");

    let rows: Vec<(&str, f64, &str)> = vec![
        (
            "tolist",
            median_ms(reps, || drop(black_box(mi.tolist().expect("tolist")))),
            "tolist",
        ),
        (
            "tobytes strided 2-D",
            median_ms(reps, || {
                drop(black_box(strided.tobytes().expect("tobytes")))
            }),
            "tobytes strided 2-D",
        ),
        (
            "hex",
            median_ms(reps, || drop(black_box(mhex.hex().expect("hex")))),
            "hex",
        ),
        (
            "eq i vs l",
            median_ms(reps, || assert!(black_box(mi.equals(&ml)))),
            "eq i vs l",
        ),
        (
            "count",
            median_ms(reps, || {
                assert_eq!(black_box(mi.count(&Value::Int(7)).expect("count")), 1)
            }),
            "count",
        ),
        (
            "slice",
            median_ms(1001, || {
                drop(black_box(
                    mi.get(Slice::new(Some(1), Some(-1), None)).expect("slice"),
                ))
            }),
            "slice",
        ),
        (
            "cast",
            median_ms(1001, || {
                drop(black_box(mbig.cast("i", None).expect("cast")))
            }),
            "cast",
        ),
        (
            "tobytes contiguous",
            median_ms(reps, || drop(black_box(mbig.tobytes().expect("tobytes")))),
            "tobytes contiguous",
        ),
    ];
    // tobytes vs memcpy: alternate the two in one loop so machine load hits both alike.
    let (mut t_memcpy, mut t_tobytes) = (Vec::new(), Vec::new());
    for _ in 0..reps.max(5) {
        let t = Instant::now();
        drop(black_box(big.as_slice().to_vec()));
        t_memcpy.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        drop(black_box(mbig.tobytes().expect("tobytes")));
        t_tobytes.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (memcpy, contiguous) = (median(t_memcpy), median(t_tobytes));

    println!(
        "pymemory MemoryView vs CPython memoryview (same data, same run; N = {n}, {reps} repeats, medians)"
    );
    println!(
        "{:<22} {:>12} {:>12} {:>10} {:>12} {:>10}",
        "operation", "pymemory ms", "CPython ms", "speedup", "numpy ms", "vs numpy"
    );
    for (name, ours, key) in &rows {
        let cp = pyt(key);
        let np = pyt(&format!("np {key}"));
        println!(
            "{:<22} {:>12} {:>12} {:>10} {:>12} {:>10}",
            name,
            ms(*ours),
            cp.map_or("-".into(), ms),
            cp.map_or("-".into(), |v| format!("{:.1}x", v / ours)),
            np.map_or("-".into(), ms),
            np.map_or("-".into(), |v| format!("{:.2}x", v / ours)),
        );
    }
    println!(
        "interleaved: memcpy (Vec::to_vec) of 100 MB {memcpy:.2} ms, tobytes {contiguous:.2} ms: tobytes / memcpy = {:.2}",
        contiguous / memcpy
    );
    println!(
        "note: CPython 3.11 has no memoryview.count (3.14 does): the count row compares array.count"
    );
    if !numpy {
        println!();
        println!(
            "!!! numpy is NOT importable by python3: the numpy columns are empty.          !!!"
        );
        println!(
            "!!! install numpy for python3 to compare strided copies against numpy.        !!!"
        );
    }
}
