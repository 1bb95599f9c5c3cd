//! Shared pieces of the CLI's outside-in tests: running the binary and asking CPython.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What one run of a command printed: stdout on success, or the first stderr line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0 and this stdout (trailing newline removed).
    Ok(String),
    /// Exit status 1, nothing on stdout, and this first line of stderr.
    Err(String),
}

/// Runs the `pymemory` binary with `args` and checks the error contract: exit 0 with
/// output, or exit 1 with an empty stdout and `<Exception>: <message>` on stderr.
pub fn run_cli(args: &[&str]) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_pymemory"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the pymemory binary runs");
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    assert!(
        !stderr.contains("panicked"),
        "pymemory {args:?} panicked:\n{stderr}"
    );
    match output.status.code() {
        Some(0) => Outcome::Ok(stdout.strip_suffix('\n').unwrap_or(&stdout).to_string()),
        Some(1) => {
            assert!(
                stdout.is_empty(),
                "pymemory {args:?} failed but printed {stdout:?}"
            );
            let first = stderr.lines().next().unwrap_or("").to_string();
            assert!(
                first.contains(": "),
                "pymemory {args:?}: stderr must start with '<Exception>: <message>', got {stderr:?}"
            );
            Outcome::Err(first)
        }
        other => panic!("pymemory {args:?} exited with {other:?}; stderr: {stderr}"),
    }
}

/// Runs `script` under python3, feeding `input` on stdin, and returns its stdout.
/// Fails loudly when python3 is missing: the differential tests must never skip.
pub fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("python3 is required for the differential tests (CPython is the oracle): {e}")
        });
    // Feed stdin from another thread: python3 answers as it reads, and a full stdout pipe
    // would otherwise deadlock against a full stdin pipe.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("python3 finishes");
    writer
        .join()
        .expect("the stdin writer does not panic")
        .expect("python3 reads its input");
    assert!(output.status.success(), "the python3 oracle failed");
    String::from_utf8(output.stdout).expect("python3 prints UTF-8")
}

/// Python helper code shared by oracles: a CLI-literal parser (ast.literal_eval plus
/// inf/nan) and the `<Exception>: <message>` rendering of an exception.
pub const PY_PRELUDE: &str = r#"
import ast, json, sys, struct
def literal(text):
    t = text.strip()
    if t.lstrip('+-') in ('inf', 'nan', 'infinity'):
        return float(t)
    return ast.literal_eval(t)
def exc_line(e):
    cls = type(e)
    name = cls.__name__ if cls.__module__ == 'builtins' else cls.__module__ + '.' + cls.__name__
    return name + ': ' + str(e)
"#;

/// A path as a `&str` for command arguments.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

#[path = "../../../pymemory-struct/tests/common/seed.rs"]
mod seed;
#[allow(unused_imports)] // not every test file seeds a generator
pub(crate) use seed::seed;
