//! Issue #4: reference counting and the cycle collector against `Rc<RefCell<T>>`,
//! CPython's `gc` (python3 subprocess) and the peer crates gcmodule, dumpster,
//! bacon_rajan_cc and rust-cc; plus the scaling curves (collection time and peak memory
//! against heap size, young pause against old-generation size).

mod collectors;

use collectors::{Collector, bacon, dump, gcm, pm, rcc};

use super::Ctx;
use crate::python::{PyDriver, SharedPy};
use crate::report::{Curve, Kind, Section, Series, Table, fmt_count};
use crate::util::{SamplerK, Worker, round_robin_k};

const PY: &str = r#"
import tracemalloc
gc.disable()
def med(xs):
    xs = sorted(xs); return xs[len(xs) // 2]
def make(n):
    for _ in range(n):
        a = []; b = [a]; a.append(b)
@op
def churn(n):
    n = int(n)
    def run():
        for i in range(n):
            x = [i]
    return [timed(run)]
@op
def cycles(pairs, auto):
    pairs = int(pairs)
    gc.collect()
    if auto == "1": gc.enable()
    t0 = time.perf_counter(); make(pairs); t1 = time.perf_counter()
    c = gc.collect(); t2 = time.perf_counter()
    gc.disable()
    if auto != "1": assert c >= 2 * pairs, c
    return [t2 - t0, t2 - t1]
@op
def pauses(old, samples):
    old, samples = int(old), int(samples)
    olds = [[] for _ in range(old)]
    gc.collect()
    ys_t = []
    for _ in range(samples):
        ys = [[olds[(i * 7) % old]] for i in range(2000)]
        t0 = time.perf_counter(); gc.collect(0); ys_t.append(time.perf_counter() - t0)
        del ys; gc.collect()
    full = []
    for _ in range(3):
        t0 = time.perf_counter(); gc.collect(); full.append(time.perf_counter() - t0)
    del olds; gc.collect()
    return [med(ys_t), med(full)]
@op
def memory(pairs):
    pairs = int(pairs)
    gc.collect()
    tracemalloc.start()
    make(pairs)
    live = tracemalloc.get_traced_memory()[0]
    gc.collect()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return [live, peak]
"#;

/// The Rust collectors, each on its own worker thread.
struct Workers {
    pm: Worker,
    gcm: Worker,
    dump: Worker,
    bacon: Worker,
    rcc: Worker,
    rc: Worker,
}

/// Column names of the peers, in the order used everywhere.
const PEERS: [&str; 4] = [
    "gcmodule 0.3",
    "dumpster 2 (unsync)",
    "bacon_rajan_cc 0.4",
    "rust-cc 0.6",
];

/// Builds the samplers running `f::<C>` for pymemory then the four peers.
macro_rules! per_collector {
    ($w:expr, $k:literal, |$c:ident| $body:expr) => {{
        fn job<$c: Collector>(arg: u64) -> [f64; $k] {
            let f = $body;
            f(arg)
        }
        let _ = job::<pm::C>;
        [
            (&$w.pm, job::<pm::C> as fn(u64) -> [f64; $k]),
            (&$w.gcm, job::<gcm::C>),
            (&$w.dump, job::<dump::C>),
            (&$w.bacon, job::<bacon::C>),
            (&$w.rcc, job::<rcc::C>),
        ]
    }};
}

fn on_worker<'a, const K: usize>(
    w: &'a Worker,
    f: fn(u64) -> [f64; K],
    arg: u64,
) -> SamplerK<'a, K> {
    Box::new(move || w.run(move || f(arg)))
}

fn py_sampler<'a, const K: usize>(
    py: Option<&'a SharedPy>,
    request: String,
) -> Option<SamplerK<'a, K>> {
    let py = py?;
    Some(Box::new(move || {
        let v = py.borrow_mut().call(&request).ok()?;
        let a = v.as_array()?;
        let mut out = [0.0; K];
        for (o, x) in out.iter_mut().zip(a) {
            *o = x.as_f64()?;
        }
        Some(out)
    }))
}

/// Adds a row of the main table: `Rc` empty, then CPython, then the peers.
fn gc_row(
    t: &mut Table,
    label: String,
    ours: Option<f64>,
    cp: Option<f64>,
    peers: Vec<Option<f64>>,
) {
    let mut o = vec![None, cp];
    o.extend(peers);
    t.row(label, ours, o);
}

/// Runs the suite.
pub(crate) fn run(ctx: &Ctx) -> Section {
    let quick = ctx.quick;
    let reps = ctx.reps;
    let mut notes = Vec::new();
    let py = match PyDriver::start(&ctx.py, PY, &[]) {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!("CPython side FAILED: {e}"));
            None
        }
    };
    let py = py.as_ref();
    let w = Workers {
        pm: Worker::new("pymemory-gc"),
        gcm: Worker::new("gcmodule"),
        dump: Worker::new("dumpster"),
        bacon: Worker::new("bacon_rajan_cc"),
        rcc: Worker::new("rust-cc"),
        rc: Worker::new("rc"),
    };
    let churn_n: u64 = if quick { 1_000_000 } else { 10_000_000 };
    let pairs: u64 = if quick { 100_000 } else { 1_000_000 };
    let mut competitors = vec!["`Rc<RefCell<T>>`", "CPython 3.11 `gc`"];
    competitors.extend(PEERS);
    let mut t = Table::new("workload", Kind::Time, "pymemory-gc", &competitors);

    // 1. Acyclic churn.
    ctx.progress.step("gc: acyclic churn");
    let mut sides: Vec<SamplerK<'_, 1>> = per_collector!(w, 1, |C| |n| [collectors::churn::<C>(n)])
        .into_iter()
        .map(|(wk, f)| on_worker(wk, f, churn_n))
        .collect();
    sides.insert(1, on_worker(&w.rc, |n| [collectors::churn_rc(n)], churn_n));
    let py_at = sides.len();
    if let Some(s) = py_sampler(py, format!("churn {churn_n}")) {
        sides.push(s);
    }
    let m = round_robin_k(reps, true, &mut sides);
    let get = |k: usize| m.get(k).copied().flatten().map(|v| v[0]);
    t.row(
        format!(
            "acyclic churn: {} allocate + drop of a small node (CPython: `x = [i]`)",
            fmt_count(churn_n as f64)
        ),
        get(0),
        vec![get(1), get(py_at), get(2), get(3), get(4), get(5)],
    );

    t.goal_vs(
        t.last(),
        0,
        1.0 / 1.3,
        "#4: acyclic churn at most 1.3x `Rc<RefCell<T>>`",
    );

    // 2. Two-node cycles, with every collector's automatic collection off (gcmodule and
    // bacon_rajan_cc have none), then on (theirs stays off: the same work twice).
    let cyc = |auto: bool, step: &str| {
        ctx.progress.step(step);
        let jobs = if auto {
            per_collector!(w, 2, |C| |n| collectors::cycles::<C>(n, true))
        } else {
            per_collector!(w, 2, |C| |n| collectors::cycles::<C>(n, false))
        };
        let mut sides: Vec<SamplerK<'_, 2>> = jobs
            .into_iter()
            .map(|(wk, f)| on_worker(wk, f, pairs))
            .collect();
        let py_at = sides.len();
        if let Some(s) = py_sampler(py, format!("cycles {pairs} {}", u8::from(auto))) {
            sides.push(s);
        }
        let m = round_robin_k(reps, true, &mut sides);
        (m, py_at)
    };
    let (m_off, py_off) = cyc(false, "gc: two-node cycles, collection off");
    let (m_on, py_on) = cyc(true, "gc: two-node cycles, automatic collection on");
    let pick =
        |m: &[Option<[f64; 2]>], k: usize, j: usize| m.get(k).copied().flatten().map(|v| v[j]);
    let peers_of =
        |m: &[Option<[f64; 2]>], j: usize| (1..5).map(|k| pick(m, k, j)).collect::<Vec<_>>();
    let np = fmt_count(pairs as f64);
    gc_row(
        &mut t,
        format!("{np} two-node cycles: create + collect, automatic collection off"),
        pick(&m_off, 0, 0),
        pick(&m_off, py_off, 0),
        peers_of(&m_off, 0),
    );
    for c in 1..6 {
        t.goal_vs(
            t.last(),
            c,
            1.0,
            "#4: two-node cycles faster than CPython and every peer (automatic collection off)",
        );
    }
    gc_row(
        &mut t,
        format!("{np} two-node cycles: the final `collect()` alone (automatic collection off)"),
        pick(&m_off, 0, 1),
        pick(&m_off, py_off, 1),
        peers_of(&m_off, 1),
    );
    gc_row(
        &mut t,
        format!(
            "{np} two-node cycles: create + collect, automatic collection on (gcmodule, bacon_rajan_cc: they have none)"
        ),
        pick(&m_on, 0, 0),
        pick(&m_on, py_on, 0),
        peers_of(&m_on, 0),
    );
    for c in 1..6 {
        t.goal_vs(
            t.last(),
            c,
            1.0,
            "#4: two-node cycles faster than CPython and every peer (automatic collection on)",
        );
    }

    // 3. Peer workloads.
    let mut peer_table = Table::new(
        "workload (automatic collection at defaults)",
        Kind::Time,
        "pymemory-gc",
        &PEERS,
    );
    let (ops, depth, rounds) = if quick {
        (100_000u64, 8u64, 3u64)
    } else {
        (1_000_000, 11, 30)
    };
    let peer_rows = [
        (
            "gc: dumpster random graph",
            format!("dumpster's random graph ({} ops)", fmt_count(ops as f64)),
            per_collector!(w, 1, |C| |n| [collectors::dumpster_random::<C>(n as usize)]),
            ops,
        ),
        (
            "gc: binary trees with parents",
            format!("rust-cc's binary trees with parent pointers (depth {depth})"),
            per_collector!(w, 1, |C| |n| [collectors::binary_trees::<C>(n as u32)]),
            depth,
        ),
        (
            "gc: linked lists",
            format!("rust-cc's linked lists (4096 nodes x {rounds})"),
            per_collector!(w, 1, |C| |n| [collectors::linked_lists::<C>(
                4096, n as usize
            )]),
            rounds,
        ),
    ];
    for (step, label, jobs, arg) in peer_rows {
        ctx.progress.step(step);
        let mut sides: Vec<SamplerK<'_, 1>> = jobs
            .into_iter()
            .map(|(wk, f)| on_worker(wk, f, arg))
            .collect();
        let m = round_robin_k(reps, true, &mut sides);
        let g = |k: usize| m[k].map(|v| v[0]);
        peer_table.row(label, g(0), (1..5).map(g).collect());
        for c in 0..4 {
            let last = peer_table.last();
            peer_table.goal_vs(
                last,
                c,
                1.0,
                "#4: fastest cycle collector on the peers' workloads",
            );
        }
    }

    // 4. Curves.
    let names = {
        let mut v = vec!["pymemory-gc", "CPython 3.11"];
        v.extend(PEERS);
        v
    };
    let series = |names: &[&str]| -> Vec<Series> {
        names
            .iter()
            .enumerate()
            .map(|(k, n)| Series::new(n, (k > 0).then_some(0)))
            .collect()
    };
    let sizes: Vec<u64> = if quick {
        vec![10_000, 100_000, 300_000]
    } else {
        vec![
            10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000,
        ]
    };
    let mut collect_curve = series(&names);
    let mut total_curve = series(&names);
    for &objects in &sizes {
        ctx.progress.step(&format!(
            "gc curve: collection time, {} objects",
            fmt_count(objects as f64)
        ));
        let p = objects / 2;
        let mut sides: Vec<SamplerK<'_, 2>> =
            per_collector!(w, 2, |C| |n| collectors::cycles::<C>(n, false))
                .into_iter()
                .map(|(wk, f)| on_worker(wk, f, p))
                .collect();
        if let Some(s) = py_sampler(py, format!("cycles {p} 0")) {
            sides.insert(1, s);
        } else {
            sides.insert(1, Box::new(|| None));
        }
        let big = objects >= 3_000_000;
        let r = if quick || big { 2 } else { 3 };
        let m = round_robin_k(r, !big, &mut sides);
        for (k, v) in m.iter().enumerate() {
            collect_curve[k]
                .points
                .push((objects as f64, v.map(|v| v[1])));
            total_curve[k]
                .points
                .push((objects as f64, v.map(|v| v[0])));
        }
    }
    let mut memory_curve = series(&names);
    let mut live_at: Vec<Option<(f64, f64)>> = vec![None; names.len()];
    for &objects in &sizes {
        ctx.progress.step(&format!(
            "gc curve: peak memory, {} objects",
            fmt_count(objects as f64)
        ));
        let p = objects / 2;
        let mut sides: Vec<SamplerK<'_, 2>> =
            per_collector!(w, 2, |C| |n| collectors::memory::<C>(n))
                .into_iter()
                .map(|(wk, f)| on_worker(wk, f, p))
                .collect();
        sides.insert(
            1,
            py_sampler(py, format!("memory {p}")).unwrap_or_else(|| Box::new(|| None)),
        );
        let m = round_robin_k(1, false, &mut sides);
        for (k, v) in m.iter().enumerate() {
            memory_curve[k]
                .points
                .push((objects as f64, v.map(|v| v[1])));
            if objects <= 1_000_000 {
                live_at[k] = v.map(|v| (objects as f64, v[0]));
            }
        }
    }
    let mut young_names = vec!["pymemory-gc young (gen 0)", "CPython young (gen 0)"];
    young_names.extend([
        "gcmodule collect",
        "dumpster collect",
        "bacon_rajan_cc collect",
        "rust-cc collect",
    ]);
    young_names.extend(["pymemory-gc full", "CPython full"]);
    let mut young_curve = series(&young_names);
    // bacon_rajan_cc and rust-cc have nothing to scan here (no candidate roots), and the
    // full collections compare with each other.
    for (s, vs) in
        young_curve
            .iter_mut()
            .zip([None, Some(0), Some(0), Some(0), None, None, None, Some(6)])
    {
        s.vs = vs;
    }
    let olds: Vec<u64> = if quick {
        vec![10_000, 100_000, 1_000_000]
    } else {
        vec![10_000, 100_000, 1_000_000, 10_000_000]
    };
    let samples: u64 = if quick { 5 } else { 11 };
    let mut pause_at: Vec<Option<(f64, [f64; 2])>> = vec![None; 6];
    for &old in &olds {
        ctx.progress.step(&format!(
            "gc curve: young pause, {} old objects",
            fmt_count(old as f64)
        ));
        fn job<C: Collector>(arg: u64) -> [f64; 2] {
            collectors::pauses::<C>((arg >> 8) as usize, (arg & 0xff) as usize)
        }
        let arg = (old << 8) | samples;
        let mut sides: Vec<SamplerK<'_, 2>> = [
            (&w.pm, job::<pm::C> as fn(u64) -> [f64; 2]),
            (&w.gcm, job::<gcm::C>),
            (&w.dump, job::<dump::C>),
            (&w.bacon, job::<bacon::C>),
            (&w.rcc, job::<rcc::C>),
        ]
        .into_iter()
        .map(|(wk, f)| on_worker(wk, f, arg))
        .collect();
        sides.insert(
            1,
            py_sampler(py, format!("pauses {old} {samples}")).unwrap_or_else(|| Box::new(|| None)),
        );
        let m = round_robin_k(1, false, &mut sides);
        let x = old as f64;
        for (k, v) in m.iter().enumerate() {
            young_curve[k].points.push((x, v.map(|v| v[0])));
            if old <= 1_000_000 {
                pause_at[k] = v.map(|v| (x, v));
            }
        }
        young_curve[6].points.push((x, m[0].map(|v| v[1])));
        young_curve[7].points.push((x, m[1].map(|v| v[1])));
    }
    if let Some((x, _)) = pause_at[0] {
        let g = |k: usize, j: usize| pause_at[k].map(|(_, v)| v[j]);
        // Only gcmodule does comparable work here: the trial-deletion collectors have
        // no candidate roots while nothing was decremented (see the curve and notes).
        let peers = |j: usize| vec![g(2, j), None, None, None];
        gc_row(
            &mut t,
            format!(
                "young collection (2000 new objects) with {} old objects (gcmodule: its only, full collection)",
                fmt_count(x)
            ),
            g(0, 0),
            g(1, 0),
            peers(0),
        );
        if x >= 1e6 {
            t.goal_max(
                t.last(),
                1e-3,
                "#4: young pause under 1 ms with 1M old objects",
            );
        }
        gc_row(
            &mut t,
            format!("full collection with {} live objects", fmt_count(x)),
            g(0, 1),
            g(1, 1),
            peers(1),
        );
    }
    let mut mem = Table::new("memory", Kind::Bytes, "pymemory-gc", &names[1..]);
    if let Some((x, _)) = live_at[0] {
        // Below 1 kB per million objects means the cycles were freed while they were being
        // created (automatic collection left on), so there is no live heap to report.
        let per_m = |k: usize| live_at[k].map(|(x, v)| v / x * 1e6).filter(|v| *v > 1e3);
        mem.row(
            format!(
                "live heap per million tracked objects (two-node cycles; measured at {} objects; CPython: tracemalloc)",
                fmt_count(x)
            ),
            per_m(0),
            (1..names.len()).map(per_m).collect(),
        );
    }

    if let Some(e) = py.and_then(|p| p.borrow().error.clone()) {
        notes.push(format!("CPython error: {e}"));
    }
    notes.push(
        "Automatic collection: pymemory-gc (`gc::disable`), CPython (`gc.disable()`), dumpster \
         (`set_collect_condition`) and rust-cc (`config().set_auto_collect`) are switched off \
         for the rows and curves that say so, and for the pause and memory measurements; \
         gcmodule and bacon_rajan_cc only collect when asked. The peers' workloads run every \
         collector at its defaults."
            .into(),
    );
    // Live and peak bytes per object for pymemory-gc at the largest size <= 1M.
    let per_object = live_at[0].and_then(|(x, live)| {
        let peak = memory_curve[0].points.iter().find(|p| p.0 == x)?.1?;
        Some(format!(
            " (pymemory-gc at {} objects: live {:.0} bytes per object, peak {:.0})",
            fmt_count(x),
            live / x,
            peak / x
        ))
    });
    notes.push(format!(
        "Peak memory: pymemory-gc and gcmodule peak above their live heap during the final \
         collection{}: the collector's working memory. CPython keeps its collection state in \
         the object header, so its peak equals its live heap.",
        per_object.unwrap_or_default()
    ));
    notes.push(
        "The young-pause curve: pymemory and CPython collect generation 0 only; the peers have \
         no generations, so their line is their one collection after the same 2000 \
         allocations (bacon_rajan_cc and rust-cc only scan candidate roots, gcmodule scans \
         every tracked object)."
            .into(),
    );
    let x_label = "objects in two-node cycles".to_string();
    Section {
        heading: "Reference counting and the cycle collector (issue #4)".into(),
        intro: "Node: `struct Node { v: u64, next: RefCell<Option<Gc<Node>>> }` (a 24-byte \
                value) on every Rust collector, each on its own thread; CPython uses two \
                one-element lists per cycle, timed in a python3 process in the same run. \
                Ratios: competitor / pymemory-gc (above 1: pymemory-gc is faster or smaller). \
                Goals: churn at most 1.3x `Rc<RefCell<T>>` (ratio at least 0.77), faster than \
                every other collector on cycles, young pause under 1 ms."
            .into(),
        tables: vec![t, peer_table, mem],
        curves: vec![
            Curve {
                id: "gc_collect_time".into(),
                title: "Cycle collection time vs heap size (garbage two-node cycles)".into(),
                x_label: x_label.clone(),
                x_kind: Kind::Count,
                y_label: "final collect() time".into(),
                y_kind: Kind::Time,
                series: collect_curve,
            },
            Curve {
                id: "gc_create_collect_time".into(),
                title: "Create + collect time vs heap size (two-node cycles)".into(),
                x_label: x_label.clone(),
                x_kind: Kind::Count,
                y_label: "create + collect time".into(),
                y_kind: Kind::Time,
                series: total_curve,
            },
            Curve {
                id: "gc_peak_memory".into(),
                title: "Peak heap during create + collect vs heap size".into(),
                x_label,
                x_kind: Kind::Count,
                y_label: "peak bytes (allocator / tracemalloc)".into(),
                y_kind: Kind::Bytes,
                series: memory_curve,
            },
            Curve {
                id: "gc_young_pause".into(),
                title: "Young-collection pause vs old-generation size (2000 new objects)".into(),
                x_label: "live old objects".into(),
                x_kind: Kind::Count,
                y_label: "pause".into(),
                y_kind: Kind::Time,
                series: young_curve,
            },
        ],
        notes,
        ..Section::default()
    }
}

/// pymemory-gc's churn workload, for the callgrind probe.
pub(crate) fn churn_pm(n: u64) -> f64 {
    collectors::churn::<pm::C>(n)
}

/// pymemory-gc's two-node-cycle workload (automatic collection off), for the callgrind
/// probe.
pub(crate) fn cycles_pm(pairs: u64) -> [f64; 2] {
    collectors::cycles::<pm::C>(pairs, false)
}
