//! The python3 oracle the differential tests talk to: one process per test, cases in on
//! stdin, one JSON line out per case.

use std::io::Write;
use std::process::{Command, Stdio};

/// `python3 -c <driver>`.
pub(crate) fn python_c(driver: &str) -> Command {
    let mut command = Command::new("python3");
    command.arg("-c").arg(driver);
    command
}

/// Runs `command` (a python3 oracle), feeds it `input` and returns its stdout lines.
/// Fails loudly when python3 is missing or the oracle fails: the differential tests never
/// skip.
pub(crate) fn oracle_lines(mut command: Command, input: String) -> Vec<String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is required for the differential tests (CPython is the oracle; it needs _testbuffer)");
    // Feed stdin from another thread: the oracle answers as it reads, and a full stdout
    // pipe would otherwise deadlock against a full stdin pipe.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python3 ran");
    let wrote = writer.join().expect("the stdin writer does not panic");
    assert!(
        out.status.success(),
        "the python3 oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wrote.expect("python3 read the cases");
    String::from_utf8(out.stdout)
        .expect("the oracle prints UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[path = "../../../pymemory-struct/tests/common/seed.rs"]
mod seed;
pub(crate) use seed::seed;
