//! `pymemory demo` from the outside: its first part must be, byte for byte, what CPython
//! prints for the seed program (../shared/seed/seed_program.py), both as recorded in
//! seed_output.txt and as python3 prints it now; the second part must show the cycle
//! freed by the collector.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{Outcome, run_cli};

fn seed_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seed");
    assert!(
        dir.join("seed_program.py").is_file(),
        "the seed program must sit at {} (shared/ beside the repository)",
        dir.display()
    );
    dir
}

fn demo_output() -> String {
    match run_cli(&["demo"]) {
        Outcome::Ok(out) => format!("{out}\n"),
        Outcome::Err(err) => panic!("pymemory demo failed: {err}"),
    }
}

#[test]
fn seed_part_is_cpythons_recorded_output() {
    let recorded = std::fs::read_to_string(seed_dir().join("seed_output.txt")).unwrap();
    let out = demo_output();
    assert!(
        out.starts_with(&recorded),
        "demo output:\n{out}\ndoes not start with seed_output.txt:\n{recorded}"
    );
}

#[test]
fn seed_part_is_what_python3_prints_now() {
    let python = Command::new("python3")
        .arg(seed_dir().join("seed_program.py"))
        .output()
        .expect("python3 is required: CPython is the oracle");
    assert!(python.status.success());
    let cpython = String::from_utf8(python.stdout).unwrap();
    assert!(demo_output().starts_with(&cpython));
}

#[test]
fn cycle_part_shows_the_collector_freeing_the_cycle() {
    let out = demo_output();
    let cycle = out
        .split("Reference cycles (pymemory::gc):\n")
        .nth(1)
        .unwrap();
    assert_eq!(
        cycle,
        "Cycle still alive after del:  True\n\
         weakref callback: node a is gone\n\
         Unreachable objects found by gc.collect():  2\n\
         Cycle still alive after collect:  False\n"
    );
}
