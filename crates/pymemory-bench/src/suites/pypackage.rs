//! Issue #5: the Python package against the builtin memoryview. Its comparison lives in
//! `crates/pymemory-python/bench/compare.py` and needs the built wheel installed; this
//! suite runs it when a virtualenv with `import pymemory` exists and includes its output.

use std::path::PathBuf;
use std::process::Command;

use super::Ctx;
use crate::report::{Kind, Section, Table};

/// Milliseconds after `key` in `line` (`... builtin 10.464 ms ...`).
fn ms_after(line: &str, key: &str) -> Option<f64> {
    let i = line.find(key)? + key.len();
    let v: f64 = line[i..].split_whitespace().next()?.parse().ok()?;
    Some(v / 1e3)
}

/// compare.py's `NAME builtin X ms pymemory Y ms ratio ...` lines as a table (CPython
/// builtin as the competitor); the other lines, except its own markdown table, verbatim.
fn parse(text: &str) -> (Table, String) {
    let mut t = Table::new(
        "operation (in a Python process)",
        Kind::Time,
        "`pymemory.memoryview`",
        &["builtin `memoryview`"],
    );
    let mut rest = String::new();
    for line in text.lines() {
        let b = line.find(" builtin ");
        match (b, ms_after(line, " builtin "), ms_after(line, " pymemory ")) {
            (Some(i), Some(builtin), Some(ours)) => {
                t.row(
                    format!("`{}`", line[..i].trim()),
                    Some(ours),
                    vec![Some(builtin)],
                );
                // compare.py states its goal as `goal <= 1.30x` (pymemory / builtin).
                if let Some(max) = line
                    .split("goal <=")
                    .nth(1)
                    .and_then(|g| g.trim().split('x').next()?.parse::<f64>().ok())
                {
                    if max > 1.0 {
                        let what = format!("#5: at most {max}x the builtin's time");
                        t.goal_vs(t.last(), 0, 1.0 / max, &what);
                    } else {
                        t.goal_no_slower(t.last(), 0, "#5: no slower than the builtin");
                    }
                }
            }
            _ if line.starts_with('|') => {}
            _ => {
                rest.push_str(line);
                rest.push('\n');
            }
        }
    }
    (t, rest)
}

/// Virtualenvs that `scripts/test-python.sh` may have created.
fn candidates(ctx: &Ctx) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(t) = std::env::var("PYMEMORY_VENV") {
        v.push(PathBuf::from(t));
    }
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        v.push(PathBuf::from(t).join("python-venv"));
    }
    v.push(ctx.root.join("target").join("python-venv"));
    v
}

/// Runs compare.py if it can; otherwise says how to.
pub(crate) fn run(ctx: &Ctx) -> Section {
    ctx.progress.step("python package: compare.py");
    let script = ctx.root.join("crates/pymemory-python/bench/compare.py");
    let mut section = Section {
        heading: "The Python package `pymemory` (issue #5)".into(),
        intro: "`crates/pymemory-python/bench/compare.py`: the builtin `memoryview` and \
                `pymemory.memoryview` on the same data in one process, alternating, medians; \
                ratio = builtin time / pymemory time (as everywhere in this file; above 1: \
                pymemory is faster). Goals: item get/set at most 1.3x the builtin's time \
                (ratio at least 0.77), the bulk operations no slower (ratio at least 1)."
            .into(),
        ..Section::default()
    };
    if !script.exists() {
        section.notes.push("compare.py not found: not run.".into());
        return section;
    }
    let venv = candidates(ctx).into_iter().find(|v| {
        Command::new(v.join("bin/python"))
            .args(["-c", "import pymemory"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(venv) = venv else {
        section.notes.push(
            "NOT RUN: no virtualenv with the `pymemory` wheel installed was found \
             (looked at $PYMEMORY_VENV, $CARGO_TARGET_DIR/python-venv, target/python-venv). \
             Build it with `./scripts/test-python.sh`, then rerun."
                .into(),
        );
        return section;
    };
    let mut cmd = Command::new(venv.join("bin/python"));
    cmd.arg(&script);
    if ctx.quick {
        cmd.arg("--quick");
    }
    match cmd.output() {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let (table, rest) = parse(&text);
            if !table.rows.is_empty() {
                section.tables.push(table);
            }
            if !rest.trim().is_empty() {
                section.verbatim = Some(rest);
            }
            section
                .notes
                .push(format!("Run with {}.", venv.join("bin/python").display()));
        }
        Ok(o) => section.notes.push(format!(
            "compare.py FAILED: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Err(e) => section
            .notes
            .push(format!("compare.py could not start: {e}")),
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_py_lines_become_rows_and_goals() {
        let out = "item get x100 ('B')   builtin 10.000 ms   pymemory 5.000 ms   ratio 0.50x   goal <= 1.30x met\n\
                   | markdown | table |\n\
                   hand-off 64 MiB: 1.3 us\n";
        let (t, rest) = parse(out);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].ours, Some(0.005));
        assert_eq!(t.rows[0].others, vec![Some(0.010)]);
        let (met, _) = t.goals[0].check(&t).expect("judged");
        assert!(met);
        assert_eq!(rest, "hand-off 64 MiB: 1.3 us\n");
    }
}
