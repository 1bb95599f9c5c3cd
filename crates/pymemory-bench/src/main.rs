//! `pymemory-bench`: every comparison the issues name, measured side by side in one run,
//! written as `BENCHMARKS.md` with PNG plots; and instruction-count baselines.
//!
//! ```text
//! cargo run --release -p pymemory-bench -- compare [--quick] [--out DIR]
//! cargo run --release -p pymemory-bench -- callgrind [--update] [--threshold PCT]
//! ```
//!
//! `compare` times pymemory against CPython 3.11 (`struct`, `memoryview`, `array`, `gc`,
//! in a python3 subprocess on the same data, samples interleaved with the Rust ones),
//! numpy (installed into `target/bench-venv` when python3 cannot import it),
//! `Rc<RefCell<T>>`, memcpy, a hand-written decoder, and the cycle-collector crates
//! gcmodule, dumpster, bacon_rajan_cc and rust-cc. The full run writes `BENCHMARKS.md`
//! and `docs/bench/*.png` at the workspace root; `--quick` (the CI smoke run, under two
//! minutes) writes to `target/bench-quick/` unless `--out` is given.

mod alloc;
mod callgrind;
mod doc;
mod plot;
mod python;
mod report;
mod suites;
mod util;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "pymemory-bench", about = "Side-by-side benchmarks of pymemory")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Runs every comparison and writes BENCHMARKS.md and the plots.
    Compare {
        /// Small sizes and fewer repeats: the CI smoke run (under two minutes).
        #[arg(long)]
        quick: bool,
        /// Output directory: BENCHMARKS.md and docs/bench/*.png go there. Default: the
        /// workspace root for the full run, target/bench-quick for --quick.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only the suites whose name contains this (struct, memoryview, array, gc,
        /// python); the report then has only those sections.
        #[arg(long)]
        only: Option<String>,
    },
    /// Counts instructions of the hot paths under callgrind and compares them with the
    /// committed baseline; fails if one regressed by more than the threshold.
    Callgrind {
        /// Rewrites the baseline file with the new counts instead of comparing.
        #[arg(long)]
        update: bool,
        /// Regression threshold in percent (default: the baseline file's, else 5).
        #[arg(long)]
        threshold: Option<f64>,
    },
    /// Internal: runs one hot path (under valgrind).
    #[command(hide = true)]
    CallgrindProbe { name: String, run: u8 },
}

/// The workspace root (this crate is `crates/pymemory-bench`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn baseline_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("callgrind-baseline.json")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Compare { quick, out, only } => compare(quick, out, only.as_deref()),
        Cmd::Callgrind { update, threshold } => run_callgrind(update, threshold),
        Cmd::CallgrindProbe { name, run } => match callgrind::probe(&name, run != 0) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn compare(quick: bool, out: Option<PathBuf>, only: Option<&str>) -> ExitCode {
    let root = workspace_root();
    let out = out.unwrap_or_else(|| {
        if quick {
            root.join("target").join("bench-quick")
        } else {
            root.clone()
        }
    });
    let started = Instant::now();
    let machine_before = doc::Machine::probe();
    let scratch = std::env::temp_dir().join(format!("pymemory-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        eprintln!("cannot create {}: {e}", scratch.display());
        return ExitCode::FAILURE;
    }
    let py = match python::setup(&root.join("target").join("bench-venv"), &|l| {
        eprintln!("{l}")
    }) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("\n!!! {e} !!!\n");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "python: {} ({}), numpy: {}",
        py.python.display(),
        py.version,
        match &py.numpy {
            Ok(v) => v.clone(),
            Err(e) => e.clone(),
        }
    );
    let steps = if quick { 53 } else { 75 };
    let ctx = suites::Ctx {
        quick,
        reps: if quick { 3 } else { 7 },
        min_batch: if quick { 0.002 } else { 0.01 },
        py,
        progress: util::Progress::new(steps),
        scratch: scratch.clone(),
        root: root.clone(),
    };
    type Suite = (&'static str, fn(&suites::Ctx) -> report::Section);
    let all: [Suite; 5] = [
        ("struct", suites::structs::run),
        ("memoryview", suites::memoryview::run),
        ("array", suites::array::run),
        ("gc", suites::gc::run),
        ("python", suites::pypackage::run),
    ];
    let mut sections = Vec::new();
    for (name, run) in all {
        if only.is_some_and(|o| !name.contains(o)) {
            continue;
        }
        sections.push(run(&ctx));
    }
    ctx.progress.finish();
    let _ = std::fs::remove_dir_all(&scratch);
    let elapsed = started.elapsed().as_secs_f64();
    let plots = out.join("docs").join("bench");
    if let Err(e) = std::fs::create_dir_all(&plots) {
        eprintln!("cannot create {}: {e}", plots.display());
        return ExitCode::FAILURE;
    }
    let mut ok = true;
    for c in sections.iter().flat_map(|s| &s.curves) {
        if let Err(e) = plot::draw(c, &plots) {
            eprintln!("plot failed: {e}");
            ok = false;
        }
    }
    let baseline = std::fs::read_to_string(baseline_path())
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok());
    let text = doc::render(&doc::Run {
        quick,
        elapsed,
        machine: machine_before,
        load_after: doc::load_average(),
        py: &ctx.py,
        sections: &sections,
        baseline: baseline.as_ref(),
        root: &root,
    });
    let md = out.join("BENCHMARKS.md");
    if let Err(e) = std::fs::write(&md, text) {
        eprintln!("cannot write {}: {e}", md.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "wrote {} and {} plots under {} in {:.0} s",
        md.display(),
        sections.iter().map(|s| s.curves.len()).sum::<usize>(),
        plots.display(),
        elapsed
    );
    let failures: Vec<&String> = sections
        .iter()
        .flat_map(|s| &s.notes)
        .filter(|n| n.contains("FAILED") || n.contains("!!!"))
        .collect();
    for f in &failures {
        eprintln!("\n!!! {f}");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_callgrind(update: bool, threshold: Option<f64>) -> ExitCode {
    let path = baseline_path();
    let baseline: Option<serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok());
    let threshold = threshold
        .or_else(|| baseline.as_ref()?["threshold_percent"].as_f64())
        .unwrap_or(callgrind::DEFAULT_THRESHOLD);
    let scratch = std::env::temp_dir().join(format!("pymemory-callgrind-{}", std::process::id()));
    let counts = match callgrind::measure(&scratch, &|l| eprintln!("{l}")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("callgrind failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _ = std::fs::remove_dir_all(&scratch);
    if update || baseline.is_none() {
        let json = callgrind::baseline_json(&counts, threshold);
        let text = serde_json::to_string_pretty(&json).expect("serialisable") + "\n";
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        for (name, n) in &counts {
            println!("{name:<28} {n:>14}");
        }
        println!("baseline written to {}", path.display());
        return ExitCode::SUCCESS;
    }
    let baseline = baseline.expect("checked above");
    let (rows, failed) = callgrind::compare(&baseline, &counts, threshold);
    println!(
        "{:<28} {:>14} {:>14} {:>9}",
        "hot path", "baseline", "now", "change"
    );
    for (name, base, now, change) in &rows {
        println!(
            "{name:<28} {:>14} {now:>14} {:>9}",
            base.map_or("-".into(), |b| b.to_string()),
            change.map_or("new".into(), |c| format!("{c:+.2}%")),
        );
    }
    if failed {
        println!("FAIL: a hot path regressed by more than {threshold}% (see above)");
        ExitCode::FAILURE
    } else {
        println!("ok: no hot path regressed by more than {threshold}%");
        ExitCode::SUCCESS
    }
}
