//! Side by side with CPython: the same `array.array` operations on 10M `i` items, timed
//! here and in one `python3` process, interleaved run by run (Rust once, Python once, ...)
//! so that both see the same machine load; prints medians and ratios.
//!
//! `cargo run --release -p pymemory-buffer --example compare_array [N] [REPEATS]`

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use pymemory_buffer::Slice;
use pymemory_buffer::array::Array;
use pymemory_struct::Value;

/// Reads an operation name per line, runs it once, answers with the elapsed ms.
const PYTHON: &str = r#"
import sys, time, array
n = int(sys.argv[1])
items = list(range(n))
a = array.array('i', items)
l = array.array('l', items)
def append():
    b = array.array('i'); ap = b.append
    for i in items: ap(i)
OPS = {
    "append (value)": append,
    "fromlist": lambda: array.array('i').fromlist(items),
    "frombytes": lambda: array.array('i').frombytes(a.tobytes()),
    "tolist": a.tolist,
    "tobytes": a.tobytes,
    "== (i vs l)": lambda: a == l,
    "count": lambda: a.count(7),
    "slice [::2]": lambda: a[::2],
    "reverse": a.reverse,
    "byteswap": a.byteswap,
}
print("ready", flush=True)
for line in sys.stdin:
    f = OPS[line.strip()]
    t0 = time.perf_counter(); r = f(); t = time.perf_counter() - t0
    del r
    print(t * 1e3, flush=True)
"#;

/// One operation: its name (shared with the Python side) and the Rust closure.
type Op<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn time_ms(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let items: Vec<i32> = (0..i32::try_from(n).expect("N fits in i32")).collect();
    let values: Vec<Value> = items.iter().map(|&i| Value::Int(i.into())).collect();
    let a = Array::from_slice(&items);
    let l = Array::from_array('l', &a).expect("widening");

    let mut ops: Vec<Op<'_>> = vec![
        (
            "append (value)",
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
            Box::new(|| {
                let b = Array::new('i').expect("typecode");
                b.fromlist(&values).expect("fits");
                black_box(b);
            }),
        ),
        (
            "frombytes",
            Box::new(|| {
                let b = Array::new('i').expect("typecode");
                b.frombytes(&a.tobytes()).expect("whole items");
                black_box(b);
            }),
        ),
        (
            "tolist",
            Box::new(|| drop(black_box(a.tolist().expect("ints")))),
        ),
        ("tobytes", Box::new(|| drop(black_box(a.tobytes())))),
        (
            "== (i vs l)",
            Box::new(|| assert!(black_box(&a) == black_box(&l))),
        ),
        (
            "count",
            Box::new(|| {
                black_box(a.count(&Value::Int(7)));
            }),
        ),
        (
            "slice [::2]",
            Box::new(|| {
                drop(black_box(
                    a.get_slice(Slice::new(None, None, Some(2)))
                        .expect("step 2"),
                ))
            }),
        ),
        ("reverse", Box::new(|| a.reverse())),
        ("byteswap", Box::new(|| a.byteswap())),
    ];

    let mut py = Command::new("python3")
        .arg("-c")
        .arg(PYTHON)
        .arg(n.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the comparison");
    let mut to_py = py.stdin.take().expect("stdin");
    let mut from_py = BufReader::new(py.stdout.take().expect("stdout"));
    let mut line = String::new();
    from_py.read_line(&mut line).expect("python3 started");
    assert_eq!(line.trim(), "ready");

    println!("array('i') with {n} items, median of {reps} interleaved runs (ms)");
    println!(
        "{:<16} {:>10} {:>10} {:>8}",
        "operation", "pymemory", "CPython", "speedup"
    );
    for (name, f) in &mut ops {
        let (mut rust, mut cpython) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            rust.push(time_ms(f.as_mut()));
            writeln!(to_py, "{name}").expect("python3 alive");
            line.clear();
            from_py.read_line(&mut line).expect("python3 answered");
            cpython.push(line.trim().parse::<f64>().expect("a time in ms"));
        }
        let (r, p) = (median(rust), median(cpython));
        println!("{name:<16} {r:>10.2} {p:>10.2} {:>7.1}x", p / r);
    }
    drop(to_py);
    py.wait().expect("python3 exits");
}
