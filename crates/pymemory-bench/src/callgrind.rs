//! Instruction counts of the core hot paths under `valgrind --tool=callgrind`, which are
//! repeatable on a noisy shared machine where wall times are not. Each path is a small
//! fixed workload run in a child process twice, with and without the workload, so the
//! difference excludes start-up and setup. The counts are compared with the committed
//! baseline `callgrind-baseline.json`; a path more than the threshold above it fails.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use serde_json::{Value as Json, json};

/// The hot paths: name and what it runs.
pub(crate) const PATHS: &[(&str, &str)] = &[
    (
        "struct_iter_unpack_iHd",
        "iter_unpack('<iHd') over 10,000 records",
    ),
    ("struct_unpack_q", "10,000 calls of Struct('<q').unpack"),
    ("memoryview_tolist_i", "tolist() of a 10,000-item 'i' view"),
    (
        "memoryview_tobytes_strided",
        "tobytes() of [::2, ::2] of a 200x200 'B' view",
    ),
    (
        "memoryview_item_get",
        "10,000 item gets m[i] on an 'i' view",
    ),
    ("memoryview_hex", "hex() of 64 KiB"),
    ("gc_churn", "10,000 Gc::new + drop of a small node"),
    (
        "gc_collect_cycles",
        "1,000 two-node cycles created, then collect()",
    ),
];

/// Default regression threshold in percent.
pub(crate) const DEFAULT_THRESHOLD: f64 = 5.0;

/// Runs one probe in this process: the setup always, the workload when `run`.
pub(crate) fn probe(name: &str, run: bool) -> Result<(), String> {
    use pymemory_buffer::{MemoryView, Subscript, VecBuffer};
    use pymemory_struct::Struct;
    // Touch the collector's thread state in both runs, so its set-up is not counted.
    black_box(pymemory_gc::get_count());
    match name {
        "struct_iter_unpack_iHd" => {
            let data = crate::suites::structs::records(10_000);
            let s = Struct::new("<iHd").map_err(|e| e.to_string())?;
            if run {
                for rec in s.iter_unpack(&data).map_err(|e| e.to_string())? {
                    black_box(rec.map_err(|e| e.to_string())?);
                }
            }
        }
        "struct_unpack_q" => {
            let q = Struct::new("<q").map_err(|e| e.to_string())?;
            let b = (-123_456_789_i64).to_le_bytes();
            if run {
                for _ in 0..10_000 {
                    black_box(q.unpack(black_box(&b)).map_err(|e| e.to_string())?);
                }
            }
        }
        "memoryview_tolist_i" => {
            let buf = VecBuffer::new((0..10_000i32).collect::<Vec<i32>>());
            let m = MemoryView::new(&buf).map_err(|e| e.to_string())?;
            if run {
                black_box(m.tolist().map_err(|e| e.to_string())?);
            }
        }
        "memoryview_tobytes_strided" => {
            let buf = VecBuffer::new((0..40_000u32).map(|i| i as u8).collect::<Vec<u8>>());
            let m = MemoryView::new(&buf)
                .and_then(|m| m.cast("B", Some(&[200, 200])))
                .and_then(|m| m.get(Subscript::parse("::2, ::2")?))
                .and_then(|i| i.into_view())
                .map_err(|e| e.to_string())?;
            if run {
                black_box(m.tobytes().map_err(|e| e.to_string())?);
            }
        }
        "memoryview_item_get" => {
            let buf = VecBuffer::new((0..10_000i32).collect::<Vec<i32>>());
            let m = MemoryView::new(&buf).map_err(|e| e.to_string())?;
            if run {
                for i in 0..10_000isize {
                    black_box(m.item(black_box(i)).map_err(|e| e.to_string())?);
                }
            }
        }
        "memoryview_hex" => {
            let buf = VecBuffer::new((0..65_536u32).map(|i| i as u8).collect::<Vec<u8>>());
            let m = MemoryView::new(&buf).map_err(|e| e.to_string())?;
            if run {
                black_box(m.hex().map_err(|e| e.to_string())?);
            }
        }
        "gc_churn" => {
            if run {
                black_box(crate::suites::gc::churn_pm(10_000));
            }
        }
        "gc_collect_cycles" => {
            pymemory_gc::disable();
            if run {
                black_box(crate::suites::gc::cycles_pm(1_000));
            }
        }
        other => return Err(format!("unknown hot path {other}")),
    }
    Ok(())
}

fn instructions(name: &str, run: bool, scratch: &Path) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out_file = scratch.join(format!("callgrind.{name}.{}.out", u8::from(run)));
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg("-q")
        .arg(&exe)
        .args(["callgrind-probe", name, if run { "1" } else { "0" }])
        .output()
        .map_err(|e| format!("valgrind cannot run (is it installed?): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "valgrind on {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = std::fs::read_to_string(&out_file).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&out_file);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .ok_or_else(|| format!("no totals in {}", out_file.display()))
}

/// Measures every path; returns name -> instructions of the workload alone.
pub(crate) fn measure(scratch: &Path, log: &dyn Fn(&str)) -> Result<BTreeMap<String, u64>, String> {
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for (name, _) in PATHS {
        log(&format!("callgrind: {name}"));
        let with = instructions(name, true, scratch)?;
        let without = instructions(name, false, scratch)?;
        out.insert(name.to_string(), with.saturating_sub(without));
    }
    Ok(out)
}

fn tool_version(cmd: &str, arg: &str) -> String {
    Command::new(cmd)
        .arg(arg)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// The baseline file's contents for `counts`.
pub(crate) fn baseline_json(counts: &BTreeMap<String, u64>, threshold: f64) -> Json {
    let paths: serde_json::Map<String, Json> = PATHS
        .iter()
        .filter_map(|(name, what)| {
            let n = counts.get(*name)?;
            Some((
                name.to_string(),
                json!({ "instructions": n, "workload": what }),
            ))
        })
        .collect();
    json!({
        "threshold_percent": threshold,
        "valgrind": tool_version("valgrind", "--version"),
        "rustc": tool_version("rustc", "--version"),
        "note": "Instructions (callgrind Ir) of each workload alone: a run with the workload minus a run with only its setup. Regenerate with `cargo run --release -p pymemory-bench -- callgrind --update`.",
        "paths": paths,
    })
}

/// `(name, baseline, now, change %)` rows, and whether any path regressed past `threshold`.
pub(crate) type Comparison = (Vec<(String, Option<u64>, u64, Option<f64>)>, bool);

/// Compares `counts` with the baseline file's paths.
pub(crate) fn compare(
    baseline: &Json,
    counts: &BTreeMap<String, u64>,
    threshold: f64,
) -> Comparison {
    let mut rows = Vec::new();
    let mut failed = false;
    for (name, now) in counts {
        let base = baseline["paths"][name]["instructions"].as_u64();
        let change = base.map(|b| (*now as f64 - b as f64) / b as f64 * 100.0);
        if change.is_some_and(|c| c > threshold) {
            failed = true;
        }
        rows.push((name.clone(), base, *now, change));
    }
    (rows, failed)
}
