//! Side-by-side comparison of `pymemory_gc` with `Rc<RefCell<T>>`, CPython (`python3`
//! subprocess, timed in the same run) and peer cycle collectors, printed as markdown.
//!
//! `cargo run --release -p pymemory-gc --example compare_gc [-- --quick]`
//!
//! Workloads (medians of several runs):
//! 1. acyclic churn: allocate and drop 10M small nodes;
//! 2. 1M two-node cycles: create then collect (and the collection alone);
//! 3. young collection pause with 1M live objects in the old generation, beside the
//!    full collection of that heap;
//! 4. peak memory per million tracked objects (1M two-node cycles alive).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use pymemory_gc::{self as gc, Finalize, Gc, Trace};

mod peers;
mod workloads;

/// Counts live heap bytes (requested sizes) while `COUNTING` is set; the timed
/// workloads run with it off (one relaxed load per allocation).
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static CURRENT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to `System` unchanged; only adds atomic bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[derive(Trace, Finalize)]
struct Node {
    v: u64,
    next: RefCell<Option<Gc<Node>>>,
}

struct RcNode {
    v: u64,
    #[expect(dead_code, reason = "the churn node has the same shape as `Node`")]
    next: Option<Rc<RefCell<RcNode>>>,
}

/// Median wall time in seconds of `runs` runs of `f` (which may do untimed setup and
/// returns the timed seconds itself).
fn median(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..runs).map(|_| f()).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn churn_gc(n: u64) -> f64 {
    gc::disable();
    let t = time(|| {
        for i in 0..n {
            let x = Gc::new(Node {
                v: i,
                next: RefCell::new(None),
            });
            black_box(&x);
        }
    });
    gc::enable();
    t
}

fn churn_rc(n: u64) -> f64 {
    time(|| {
        for i in 0..n {
            let x = Rc::new(RefCell::new(RcNode { v: i, next: None }));
            black_box(&x);
        }
    })
}

fn make_cycles(n: u64) {
    for i in 0..n {
        let a = Gc::new(Node {
            v: i,
            next: RefCell::new(None),
        });
        let b = Gc::new(Node {
            v: i,
            next: RefCell::new(Some(a.clone())),
        });
        *a.next.borrow_mut() = Some(b);
    }
}

/// (create + collect, collect only) for `n` two-node cycles, with automatic collection
/// off (everything found by the final `collect()`, as the CPython script does) or on
/// (young collections reclaim most cycles while they are still in cache).
fn cycles_gc(n: u64, auto: bool) -> (f64, f64) {
    if !auto {
        gc::disable();
    }
    let mut collect = 0.0;
    let total = time(|| {
        make_cycles(n);
        collect = time(|| {
            let found = gc::collect();
            assert!(auto || found == 2 * n as usize);
        });
    });
    gc::enable();
    (total, collect)
}

/// (young pause, full collection) with `n` old objects.
fn pauses_gc(n: u64) -> (f64, f64) {
    gc::disable();
    let old: Vec<Gc<Node>> = (0..n)
        .map(|i| {
            Gc::new(Node {
                v: i,
                next: RefCell::new(None),
            })
        })
        .collect();
    for w in old.windows(2) {
        *w[0].next.borrow_mut() = Some(w[1].clone());
    }
    gc::collect();
    let young = median(11, || {
        let ys: Vec<Gc<Node>> = (0..2000u64)
            .map(|i| {
                Gc::new(Node {
                    v: i,
                    next: RefCell::new(Some(old[(i as usize * 7) % old.len()].clone())),
                })
            })
            .collect();
        let t = time(|| {
            gc::collect_generation(0);
        });
        drop(ys);
        gc::collect();
        t
    });
    let full = median(3, || time(|| assert_eq!(gc::collect(), 0)));
    drop(old);
    gc::enable();
    (young, full)
}

/// Bytes per million tracked objects with 1M two-node cycles alive.
fn memory_gc(n: u64) -> f64 {
    gc::disable();
    gc::collect();
    COUNTING.store(true, Ordering::Relaxed);
    let base = CURRENT.load(Ordering::Relaxed);
    make_cycles(n);
    let used = CURRENT.load(Ordering::Relaxed).wrapping_sub(base);
    COUNTING.store(false, Ordering::Relaxed);
    gc::collect();
    gc::enable();
    used as f64 / (2.0 * n as f64) * 1e6
}

const PY: &str = r#"
import gc, sys, time, tracemalloc, json
N = int(sys.argv[1]); CHURN = int(sys.argv[2])
def med(xs): xs = sorted(xs); return xs[len(xs)//2]
gc.disable()
def make(n):
    for _ in range(n):
        a = []; b = [a]; a.append(b)
def cyc():
    t0 = time.perf_counter(); make(N); t1 = time.perf_counter(); c = gc.collect(); t2 = time.perf_counter()
    assert c >= 2*N, c
    return (t2 - t0, t2 - t1)
r = [cyc() for _ in range(3)]
def churn():
    t0 = time.perf_counter()
    for i in range(CHURN):
        x = [i]
    return time.perf_counter() - t0
ch = med([churn() for _ in range(3)])
old = [[] for _ in range(N)]
for i in range(N - 1): old[i].append(old[i+1])
gc.collect()
def young():
    ys = [[old[(i*7) % N]] for i in range(2000)]
    t0 = time.perf_counter(); gc.collect(0); t = time.perf_counter() - t0
    del ys; gc.collect(); return t
yp = med([young() for _ in range(11)])
fp = med([(lambda t0: (gc.collect(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3)])
del old; gc.collect()
tracemalloc.start(); make(N); cur, peak = tracemalloc.get_traced_memory(); tracemalloc.stop(); gc.collect()
print(json.dumps({"total": med([x[0] for x in r]), "collect": med([x[1] for x in r]), "churn": ch,
                  "young": yp, "full": fp, "mem": cur / (2*N) * 1e6, "version": sys.version.split()[0]}))
"#;

struct Py {
    total: f64,
    collect: f64,
    churn: f64,
    young: f64,
    full: f64,
    mem: f64,
    version: String,
}

fn field(json: &str, key: &str) -> Option<String> {
    let i = json.find(&format!("\"{key}\": "))? + key.len() + 4;
    let rest = &json[i..];
    let end = rest.find([',', '}'])?;
    Some(rest[..end].trim().trim_matches('"').to_string())
}

fn cpython(n: u64, churn: u64) -> Result<Py, String> {
    let out = std::process::Command::new("python3")
        .args(["-c", PY, &n.to_string(), &churn.to_string()])
        .output()
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    let num = |k: &str| {
        field(&s, k)
            .and_then(|v| v.parse().ok())
            .ok_or(format!("bad output: {s}"))
    };
    Ok(Py {
        total: num("total")?,
        collect: num("collect")?,
        churn: num("churn")?,
        young: num("young")?,
        full: num("full")?,
        mem: num("mem")?,
        version: field(&s, "version").unwrap_or_default(),
    })
}

fn ms(s: f64) -> String {
    if s < 0.01 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (churn, n, runs) = if quick {
        (1_000_000, 100_000, 3)
    } else {
        (10_000_000, 1_000_000, 5)
    };
    eprintln!("running (churn {churn}, cycles {n}, {runs} runs each)...");

    // Interleaved, after one warm-up of each, so neither side gets the fresh pages.
    churn_gc(churn);
    churn_rc(churn);
    let (mut gcs, mut rcs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        gcs.push(churn_gc(churn));
        rcs.push(churn_rc(churn));
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (c_gc, c_rc) = (mid(gcs), mid(rcs));
    let cyc: Vec<(f64, f64)> = (0..runs).map(|_| cycles_gc(n, false)).collect();
    let auto_total = median(runs, || cycles_gc(n, true).0);
    let cyc_total = median(1, || {
        let mut v: Vec<f64> = cyc.iter().map(|c| c.0).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    });
    let mut cv: Vec<f64> = cyc.iter().map(|c| c.1).collect();
    cv.sort_by(f64::total_cmp);
    let cyc_collect = cv[cv.len() / 2];
    let (young, full) = pauses_gc(n);
    let mem = memory_gc(n);
    let py = cpython(n, churn);
    let peer_results = peers::run(n, runs);

    println!("## pymemory-gc side by side ({} runs, medians)\n", runs);
    println!("| workload | pymemory-gc | other | ratio (other / pymemory-gc) |");
    println!("|---|---|---|---|");
    println!(
        "| churn: {churn} alloc+drop of a small node | {} | Rc<RefCell<T>>: {} | {:.2} (Gc is {:.2}x Rc) |",
        ms(c_gc),
        ms(c_rc),
        c_rc / c_gc,
        c_gc / c_rc
    );
    match &py {
        Ok(p) => {
            println!(
                "| churn: CPython {} `x = [i]` loop | {} | CPython: {} | {:.2} |",
                p.version,
                ms(c_gc),
                ms(p.churn),
                p.churn / c_gc
            );
            println!(
                "| {n} two-node cycles: create + collect | {} | CPython {}: {} | {:.2} |",
                ms(cyc_total),
                p.version,
                ms(p.total),
                p.total / cyc_total
            );
            println!(
                "| {n} two-node cycles: create + collect, automatic collection on | {} | CPython {} (gc disabled): {} | {:.2} |",
                ms(auto_total),
                p.version,
                ms(p.total),
                p.total / auto_total
            );
            println!(
                "| {n} two-node cycles: collect() only | {} | CPython {}: {} | {:.2} |",
                ms(cyc_collect),
                p.version,
                ms(p.collect),
                p.collect / cyc_collect
            );
            println!(
                "| young collection (2000 new) with {n} old objects | {} | CPython: {} | {:.2} |",
                ms(young),
                ms(p.young),
                p.young / young
            );
            println!(
                "| full collection, {n} live objects | {} | CPython: {} | {:.2} |",
                ms(full),
                ms(p.full),
                p.full / full
            );
            println!(
                "| memory per million tracked objects (two-node cycles) | {:.1} MB | CPython (lists, tracemalloc): {:.1} MB | {:.2} |",
                mem / 1e6,
                p.mem / 1e6,
                p.mem / mem
            );
        }
        Err(e) => {
            println!(
                "| CPython | | FAILED: {} | |",
                e.lines().last().unwrap_or("")
            );
            println!(
                "| {n} two-node cycles: create + collect | {} | | |",
                ms(cyc_total)
            );
            println!(
                "| {n} two-node cycles: collect() only | {} | | |",
                ms(cyc_collect)
            );
            println!(
                "| young collection with {n} old objects | {} | | |",
                ms(young)
            );
            println!("| full collection, {n} live objects | {} | | |", ms(full));
            println!(
                "| memory per million tracked objects | {:.1} MB | | |",
                mem / 1e6
            );
        }
    }
    for (name, r) in peer_results {
        match r {
            Ok((total, collect)) => println!(
                "| {n} two-node cycles: create + collect (collect only); pymemory-gc auto on: {} | {} ({}) | {name}: {} ({}) | {:.2} ({:.2}); vs auto on: {:.2} |",
                ms(auto_total),
                ms(cyc_total),
                ms(cyc_collect),
                ms(total),
                ms(collect),
                total / cyc_total,
                collect / cyc_collect,
                total / auto_total
            ),
            Err(e) => println!("| {name} | | {e} | |"),
        }
    }
    println!();
    if std::env::var("COMPARE_PEERS").is_ok_and(|p| p == "none") {
        return;
    }
    println!("## Peer workloads (medians of {runs}; default settings, automatic collection on)\n");
    println!(
        "| collector | dumpster random graph (1M ops) | binary trees + parents (depth 11) | linked lists (4096 x 30) |"
    );
    println!("|---|---|---|---|");
    let rows: [(&str, Result<[f64; 3], String>); 5] = [
        (
            "pymemory-gc",
            workloads::run_all::<workloads::pm::C>(runs, quick),
        ),
        (
            "gcmodule 0.3",
            workloads::run_all::<workloads::gcm::C>(runs, quick),
        ),
        (
            "dumpster 2 (unsync)",
            workloads::run_all::<workloads::dump::C>(runs, quick),
        ),
        (
            "bacon_rajan_cc 0.4",
            workloads::run_all::<workloads::bacon::C>(runs, quick),
        ),
        (
            "rust-cc 0.6",
            workloads::run_all::<workloads::rcc::C>(runs, quick),
        ),
    ];
    let base = rows[0].1.clone().ok();
    for (name, r) in &rows {
        match r {
            Ok(t) => {
                let cell = |i: usize| match &base {
                    Some(b) => format!("{} ({:.2}x)", ms(t[i]), t[i] / b[i]),
                    None => ms(t[i]),
                };
                println!("| {name} | {} | {} | {} |", cell(0), cell(1), cell(2));
            }
            Err(e) => println!("| {name} | {e} | | |"),
        }
    }
    let _ = black_box(RcNode { v: 0, next: None }.v);
    if let Err(e) = py {
        eprintln!("CPython comparison failed: {e}");
        std::process::exit(1);
    }
}
