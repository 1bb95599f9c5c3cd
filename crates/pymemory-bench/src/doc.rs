//! Renders BENCHMARKS.md: machine, versions, how to reproduce, an honest summary computed
//! from the ratios, every table and plot, and the callgrind baseline.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;

use crate::python::PyEnv;
use crate::report::{Kind, Section, Table};

/// The machine the run happened on.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    cpu: String,
    cores: usize,
    ram: String,
    load: String,
    kernel: String,
}

/// `/proc/loadavg`'s first three fields.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

impl Machine {
    /// Reads /proc.
    pub(crate) fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "?".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let ram = meminfo
            .lines()
            .find_map(|l| {
                let kb: f64 = l
                    .strip_prefix("MemTotal:")?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()?;
                Some(format!("{:.1} GiB", kb / 1024.0 / 1024.0))
            })
            .unwrap_or_else(|| "?".into());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            ram,
            load: load_average(),
            kernel: command_line("uname", &["-sr"]),
        }
    }
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}

/// The locked version of `name` in the workspace's Cargo.lock.
fn locked(root: &Path, name: &str) -> String {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle)
        .and_then(|i| {
            let rest = &lock[i + needle.len()..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// Everything the document needs.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    pub(crate) quick: bool,
    pub(crate) elapsed: f64,
    pub(crate) machine: Machine,
    pub(crate) load_after: String,
    pub(crate) py: &'a PyEnv,
    pub(crate) sections: &'a [Section],
    pub(crate) baseline: Option<&'a Json>,
    pub(crate) root: &'a Path,
}

/// Whether a competitor is a floor (a lower bound, not a rival implementation).
fn is_floor(name: &str) -> bool {
    name.contains("floor") || name.contains("Rc<RefCell")
}

/// Sorted lines "workload vs competitor: ratio" by outcome.
fn classify(tables: &[&Table]) -> [Vec<String>; 4] {
    let (mut wins, mut ties, mut losses, mut floors) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for t in tables {
        for r in &t.rows {
            let Some(ours) = r.ours else { continue };
            for (name, other) in t.competitors.iter().zip(&r.others) {
                let Some(other) = other else { continue };
                let adv = t.kind.advantage(ours, *other);
                let (what, worse) = match t.kind {
                    Kind::Bytes => ("smaller", "larger"),
                    _ => ("faster", "slower"),
                };
                let line = if adv >= 1.0 {
                    format!("{} vs {name}: pymemory {adv:.2}x {what}", r.workload)
                } else {
                    format!(
                        "{} vs {name}: pymemory {:.2}x {worse} (ratio {adv:.2})",
                        r.workload,
                        1.0 / adv
                    )
                };
                if is_floor(name) {
                    floors.push(line);
                } else if adv >= 1.1 {
                    wins.push(line);
                } else if adv >= 0.9 {
                    ties.push(line);
                } else {
                    losses.push(line);
                }
            }
        }
    }
    [wins, ties, losses, floors]
}

const WHY: &str = r#"### Why

- **Bulk memoryview operations** (`==` across formats, `count`, strided `tobytes`) win by
  the widest margins: pymemory compiles the two formats once and compares or copies in
  typed loops over raw memory, where CPython unpacks every item into a Python object
  through `struct` (3.11 has no fast path for mixed formats) and numpy materialises
  temporary arrays (`(a == b).all()`, `(a == 7).sum()`).
- **`cast` and slicing** are O(1) on both sides; what differs is a constant of tens of
  nanoseconds per call for building the new view (descriptor, shape and strides vectors,
  the shared export handle). This was not profiled further.
- **Memory per object**: a tracked pymemory `Gc` object carries a 32-byte header (CPython:
  16-byte GC head + 16-byte object head; dumpster 16, bacon_rajan_cc 24), so dumpster and
  bacon_rajan_cc hold the same heap in less memory; CPython's lists cost more per object.
  pymemory's boxes come from per-thread pools without an allocator header (a 56-byte box
  takes 56 bytes, where malloc would take 64).
- **Contiguous `tobytes`** is one `memcpy` on every side, so the ratio sits near 1: the
  floor cannot be beaten, only matched.
- **Strided 1-D `tobytes`** (the step curve) is far ahead of CPython at every step and
  ahead of numpy at step 2 (the 2-D `[::2, ::2]` copy of the table is that case); from
  step 3 on pymemory and numpy trade places point by point, numpy being clearly faster
  at some steps (see the curve summary above). Not profiled further.
- **`tolist` and `hex`** are bound by allocation and page faults on the result (one
  32-byte `Value` per item against CPython's int objects; a fresh string of twice the
  input for `hex` on both sides), so their margins move most with machine load. A
  `tolist` result above 8 MiB asks Linux for transparent huge pages (`madvise`), which
  replaces ~80,000 page faults on the 320 MB result by ~160 and more than halves its time;
  where the kernel has THP off or no free huge page, the advice changes nothing.
- **struct decoding** interprets a compiled layout per record; the hand decoder knows the
  offsets at compile time, so the gap to it is per-record dispatch, while CPython pays for
  a tuple and three objects per record.
- **Acyclic `Gc` churn against `Rc<RefCell<T>>`**: a tracked `Gc` carries a 32-byte
  header (Rc: 16) and links and unlinks the object in the young generation's list on
  allocation and free, the price of finding cycles later; it still wins because its
  boxes come from per-thread 16 KiB pools, as CPython's objects come from pymalloc: a few
  instructions per allocation and free, no lock, against a `malloc`/`free` pair for `Rc`
  (callgrind: 121 against 178 instructions per allocate + drop).
- **Cycle collection** follows CPython's algorithm (copy counts, subtract internal edges,
  traverse from the survivors) over an intrusive list without hashing, in five passes over
  the examined objects when no finalizer or weak reference is involved (the garbage is
  flagged cleared in the pass that moves the survivors); gcmodule runs the same algorithm
  with more indirection, dumpster hashes every visited object, and bacon_rajan_cc /
  rust-cc trace from candidate roots. With automatic collection on, the ~2000 objects a
  young collection frees go back to the pools and are reused by the next allocations
  while still in cache.
- **Peak memory during a collection**: pymemory-gc's peak is above its live heap (see
  the note under the peak-memory curve) by one working buffer of 8 bytes per examined
  object, kept from one collection to the next; CPython keeps that state in the 16-byte
  GC head, so its peak is its live heap.
- **Young pauses** stay flat as the old generation grows (only generation 0 is scanned),
  like CPython's; collectors without generations either scan everything (gcmodule) or
  only the candidate roots (bacon_rajan_cc, rust-cc), which is cheap here because the
  2000 new objects are the only candidates.
- **The Python package** pays PyO3's call trampoline (about a quarter of a `m[i]` call), so
  per-item access from a Python loop is slower than the builtin's C slot.
"#;

/// The whole document.
pub(crate) fn render(run: &Run<'_>) -> String {
    let mut s = String::new();
    let m = &run.machine;
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(
        s,
        "Generated by `cargo run --release -p pymemory-bench -- compare{}` (do not edit by \
         hand: rerun it). Every number below was measured **side by side in one run**: \
         pymemory and each competitor on the same data, their samples interleaved round by \
         round so machine load hits every side alike. Medians throughout; ratios compare \
         medians from the same run. On a shared machine absolute times move between runs; \
         the ratios are the claim.\n",
        if run.quick { " --quick" } else { "" }
    );
    let _ = writeln!(s, "## Machine and versions\n");
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| CPU | {} ({} cores available) |", m.cpu, m.cores);
    let _ = writeln!(s, "| RAM | {} |", m.ram);
    let _ = writeln!(s, "| OS | {} |", m.kernel);
    let _ = writeln!(
        s,
        "| load average (1/5/15 min) | {} at start, {} at end |",
        m.load, run.load_after
    );
    let _ = writeln!(
        s,
        "| run | {} mode, {:.0} s ({:.1} min) |",
        if run.quick { "quick" } else { "full" },
        run.elapsed,
        run.elapsed / 60.0
    );
    let _ = writeln!(s, "| rustc | {} |", command_line("rustc", &["--version"]));
    let _ = writeln!(
        s,
        "| CPython | {} (`{}`) |",
        run.py.version,
        run.py.python.display()
    );
    let _ = writeln!(
        s,
        "| numpy | {} |",
        match &run.py.numpy {
            Ok(v) => v.clone(),
            Err(e) => format!("**unavailable**: {e}"),
        }
    );
    for c in [
        "gcmodule",
        "dumpster",
        "bacon_rajan_cc",
        "rust-cc",
        "plotters",
    ] {
        let _ = writeln!(s, "| {c} | {} |", locked(run.root, c));
    }
    let _ = writeln!(
        s,
        "| valgrind | {} |",
        command_line("valgrind", &["--version"])
    );
    let _ = writeln!(s);
    let load1 = |l: &str| -> f64 {
        l.split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    if load1(&m.load).max(load1(&run.load_after)) > m.cores as f64 {
        let _ = writeln!(
            s,
            "**The machine was shared during this run**: the 1-minute load average was above \
             the number of cores (other builds and tests were running), so absolute times are \
             inflated and noisier than on a quiet machine. The ratios come from interleaved \
             samples and suffer less; rerun on a quiet machine before quoting absolute times.\n"
        );
    }
    let _ = writeln!(s, "## Reproduce\n");
    let _ = writeln!(
        s,
        "```sh\n\
         cargo run --release -p pymemory-bench -- compare            # full run: this file and docs/bench/*.png\n\
         cargo run --release -p pymemory-bench -- compare --quick    # CI smoke run (< 2 min), writes target/bench-quick/\n\
         cargo run --release -p pymemory-bench -- compare --only gc --out /tmp/gc   # one suite\n\
         cargo run --release -p pymemory-bench -- callgrind          # instruction counts vs the committed baseline\n\
         cargo run --release -p pymemory-bench -- callgrind --update # rewrite the baseline\n\
         ./scripts/test-python.sh   # builds the Python package, so the issue #5 section can run\n\
         cargo bench -p pymemory-struct -p pymemory-buffer -p pymemory-gc   # criterion benches\n\
         ```\n\n\
         python3 must be on PATH. When `import numpy` fails there, the suite creates \
         `target/bench-venv` and `pip install`s numpy into it (and says so loudly if that \
         fails). The Rust competitors are dependencies of `crates/pymemory-bench`.\n"
    );

    let tables: Vec<&Table> = run.sections.iter().flat_map(|s| &s.tables).collect();
    let [wins, ties, losses, floors] = classify(&tables);
    let _ = writeln!(s, "## Summary: where pymemory wins, ties and loses\n");
    let _ = writeln!(
        s,
        "Computed from the tables below (ratio = competitor time / pymemory time, or bytes; \
         a win is above 1.10, a loss below 0.90).\n"
    );
    let list = |s: &mut String, title: &str, v: &[String]| {
        let _ = writeln!(s, "**{title}** ({}):\n", v.len());
        if v.is_empty() {
            let _ = writeln!(s, "- none\n");
        }
        for l in v {
            let _ = writeln!(s, "- {l}");
        }
        let _ = writeln!(s);
    };
    let _ = writeln!(s, "### Goals set by the issues\n");
    let _ = writeln!(
        s,
        "A \"no slower than\" goal also counts as met on a tie: a ratio at most {:.2} below 1, \
         the spread between repeated runs of identical work on this machine (and it says so).\n",
        crate::report::NO_SLOWER_NOISE
    );
    for t in &tables {
        for g in &t.goals {
            let Some((met, measured)) = g.check(t) else {
                continue;
            };
            let _ = writeln!(
                s,
                "- {} {}: {}, {measured}",
                if met { "met:" } else { "**NOT met**:" },
                g.text,
                t.rows[g.row].workload
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "### Every comparison\n");
    list(&mut s, "Wins", &wins);
    list(&mut s, "Ties (within 10%)", &ties);
    list(&mut s, "Losses", &losses);
    list(
        &mut s,
        "Against the floors (hand decoder, memcpy, `Rc<RefCell<T>>`)",
        &floors,
    );
    let _ = writeln!(
        s,
        "**Scaling curves** (every point of each curve, against pymemory):\n"
    );
    for c in run.sections.iter().flat_map(|sec| &sec.curves) {
        for sr in &c.series {
            let Some(base) = sr.vs.map(|k| &c.series[k]) else {
                continue;
            };
            let advs: Vec<f64> = sr
                .points
                .iter()
                .filter_map(|&(x, v)| {
                    let ours = base.points.iter().find(|p| p.0 == x)?.1?;
                    Some(c.y_kind.advantage(ours, v?))
                })
                .collect();
            if advs.is_empty() {
                continue;
            }
            let (lo, hi) = advs
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            let wins = advs.iter().filter(|&&a| a >= 1.1).count();
            let losses = advs.iter().filter(|&&a| a < 0.9).count();
            let _ = writeln!(
                s,
                "- {}: {} vs {}: ratios {lo:.2} to {hi:.2}; pymemory wins {wins}, ties {}, loses {losses} of {} points",
                c.title,
                base.name,
                sr.name,
                advs.len() - wins - losses,
                advs.len()
            );
        }
    }
    let _ = writeln!(s);
    s.push_str(WHY);
    s.push('\n');

    for sec in run.sections {
        let _ = writeln!(s, "## {}\n", sec.heading);
        if !sec.intro.is_empty() {
            let _ = writeln!(s, "{}\n", sec.intro);
        }
        for t in &sec.tables {
            let _ = writeln!(s, "{}", t.markdown());
        }
        for c in &sec.curves {
            let _ = writeln!(s, "### {}\n", c.title);
            let _ = writeln!(s, "![{}](docs/bench/{}.png)\n", c.title, c.id);
            let _ = writeln!(s, "{}", c.markdown());
        }
        if let Some(v) = &sec.verbatim {
            let _ = writeln!(s, "```text\n{}\n```\n", v.trim());
        }
        for n in &sec.notes {
            let _ = writeln!(s, "- {n}");
        }
        if !sec.notes.is_empty() {
            s.push('\n');
        }
    }

    let _ = writeln!(s, "## Instruction counts (callgrind baseline)\n");
    match run.baseline {
        Some(b) => {
            let _ = writeln!(
                s,
                "From `crates/pymemory-bench/callgrind-baseline.json` ({}; {}). \
                 `cargo run --release -p pymemory-bench -- callgrind` re-measures each path \
                 (the workload's instructions: a run with it minus a run with only its \
                 setup) and exits non-zero if one is more than {}% above the baseline. \
                 Instruction counts do not move with machine load, so this is the \
                 regression check that works on a shared machine.\n",
                b["valgrind"].as_str().unwrap_or("?"),
                b["rustc"].as_str().unwrap_or("?"),
                b["threshold_percent"]
                    .as_f64()
                    .unwrap_or(crate::callgrind::DEFAULT_THRESHOLD)
            );
            let _ = writeln!(s, "| hot path | workload | instructions |\n|---|---|---:|");
            if let Some(paths) = b["paths"].as_object() {
                for (name, v) in paths {
                    let _ = writeln!(
                        s,
                        "| `{name}` | {} | {} |",
                        v["workload"].as_str().unwrap_or(""),
                        v["instructions"].as_u64().map_or("-".into(), group)
                    );
                }
            }
        }
        None => {
            let _ = writeln!(
                s,
                "No baseline file yet: run `cargo run --release -p pymemory-bench -- callgrind --update`."
            );
        }
    }
    s
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
