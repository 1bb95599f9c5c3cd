//! The bad-input catalogue of `docs/errors.md`, from the outside: every class of rejected
//! input to `pymemory view` and `pymemory struct` exits 1 with `<Exception>: <message>`
//! (CPython's message where CPython has one) or 2 for clap usage errors, never panics,
//! and a failing `--set` leaves the file byte-identical.
//!
//! Each row mirrors `memoryview(data)[N:N+LEN].cast(FMT, SHAPE)[EXPR]...` (or
//! `m[EXPR] = VALUE`, or `open(path)`) in Python; the messages are the ones the
//! differential tests (`view_cli.rs`, `struct_cli.rs`) check against CPython.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Outcome, PY_PRELUDE, python, run_cli};

fn scratch_dir(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("pymemory-bad-inputs-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Ten bytes 0..10, rewritten before each case.
const DATA: [u8; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/// Runs `pymemory view FILE ARGS...` on a fresh copy of `DATA`; checks the error contract
/// (through `run_cli`) and that the file is byte-identical afterwards.
fn view_err(file: &Path, args: &[&str]) -> String {
    std::fs::write(file, DATA).unwrap();
    let mut argv = vec!["view", file.to_str().unwrap()];
    argv.extend_from_slice(args);
    let got = run_cli(&argv);
    assert_eq!(
        std::fs::read(file).unwrap(),
        DATA,
        "pymemory {args:?} changed the file"
    );
    match got {
        Outcome::Err(line) => line,
        Outcome::Ok(out) => panic!("pymemory view {args:?} succeeded with {out:?}"),
    }
}

/// The exit status of the binary for `args` (clap usage errors are 2).
fn status(args: &[&str]) -> Option<i32> {
    let out = Command::new(env!("CARGO_BIN_EXE_pymemory"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    out.status.code()
}

#[test]
fn view_rejects_bad_formats_shapes_and_indexes_with_pythons_errors() {
    let dir = scratch_dir("view");
    let file = dir.join("data.bin");
    let cases: &[(&[&str], &str)] = &[
        // format: memoryview(b).cast('Z'), cast('@')
        (
            &["--format=Z"],
            "ValueError: memoryview: destination format must be a native single character format prefixed with an optional '@'",
        ),
        (
            &["--format=@"],
            "ValueError: memoryview: destination format must be a native single character format prefixed with an optional '@'",
        ),
        // cast: 10 bytes are not a whole number of 4-byte items
        (
            &["--format=i"],
            "TypeError: memoryview: length is not a multiple of itemsize",
        ),
        // shape: too short / too long for the bytes, zero or negative dimensions
        (
            &["--format=h", "--shape=4"],
            "TypeError: memoryview: product(shape) * itemsize != buffer size",
        ),
        (
            &["--format=h", "--shape=0,5"],
            "ValueError: memoryview.cast(): elements of shape must be integers > 0",
        ),
        (
            &["--format=B", "--shape=-1"],
            "ValueError: memoryview.cast(): elements of shape must be integers > 0",
        ),
        (
            &[
                "--format=B",
                "--shape=4611686018427387904,4611686018427387904",
            ],
            "ValueError: memoryview.cast(): product(shape) > SSIZE_MAX",
        ),
        // index: out of range, zero step, bad syntax, too many indices, scalar subscripted
        (
            &["--format=h", "--index=5"],
            "IndexError: index out of bounds on dimension 1",
        ),
        (
            &["--format=B", "--shape=2,5", "--index=2,0"],
            "IndexError: index out of bounds on dimension 1",
        ),
        (
            &["--index=-11"],
            "IndexError: index out of bounds on dimension 1",
        ),
        (&["--index=1:2:0"], "ValueError: slice step cannot be zero"),
        (&["--index=x"], "ValueError: invalid subscript: \"x\""),
        (
            &["--index=1,2"],
            "TypeError: cannot index 1-dimension view with 2-element tuple",
        ),
        (
            &["--format=h", "--index=0", "--index=0"],
            "TypeError: 'int' object is not subscriptable",
        ),
        // --show on a scalar
        (
            &["--index=0", "--show=info"],
            "AttributeError: 'int' object has no attribute 'format'",
        ),
        (
            &["--index=0", "--show=hex"],
            "AttributeError: 'int' object has no attribute 'hex'",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(view_err(&file, args), *want, "{args:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn failing_sets_leave_the_file_byte_identical() {
    // m = memoryview(mmap(f, ACCESS_WRITE)).cast(FMT); m[K] = V  -> the exception, and
    // with several --set, none is made when one fails.
    let dir = scratch_dir("set");
    let file = dir.join("data.bin");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--write", "--set=0=256"],
            "ValueError: memoryview: invalid value for format 'B'",
        ),
        (
            &["--write", "--set=0=-1"],
            "ValueError: memoryview: invalid value for format 'B'",
        ),
        (
            &["--write", "--set=0=1.5"],
            "TypeError: memoryview: invalid type for format 'B'",
        ),
        (
            &["--write", "--set=0=[1]"],
            "TypeError: memoryview: invalid type for format 'B'",
        ),
        (
            &["--write", "--set=1=7", "--set=0=x"],
            "ValueError: malformed node or string: 'x'",
        ),
        (
            &["--write", "--set=0"],
            "ValueError: --set takes EXPR=VALUE, got '0'",
        ),
        (&["--set=0=1"], "TypeError: cannot modify read-only memory"),
        (
            &["--write", "--set=0=1", "--set=0:2=b'abc'"],
            "ValueError: memoryview assignment: lvalue and rvalue have different structures",
        ),
        (
            &["--write", "--format=h", "--set=0=1", "--set=1=70000"],
            "ValueError: memoryview: invalid value for format 'h'",
        ),
        (
            &["--write", "--format=h", "--set=0=1", "--set=9=1"],
            "IndexError: index out of bounds on dimension 1",
        ),
        (
            &["--write", "--format=h", "--shape=5", "--set=0,0=1"],
            "TypeError: cannot index 1-dimension view with 2-element tuple",
        ),
        (
            &["--write", "--format=c", "--set=0=1"],
            "TypeError: memoryview: invalid type for format 'c'",
        ),
        (
            &["--write", "--format=e", "--set=0=1e300"],
            "ValueError: memoryview: invalid value for format 'e'",
        ),
        (
            &["--write", "--set=0=1", "--index=99"],
            "IndexError: index out of bounds on dimension 1",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(view_err(&file, args), *want, "{args:?}");
    }
    // A good --set does change the file (so the checks above are not vacuous).
    std::fs::write(&file, DATA).unwrap();
    assert_eq!(
        run_cli(&["view", file.to_str().unwrap(), "--write", "--set=0=99"]),
        Outcome::Ok("[99, 1, 2, 3, 4, 5, 6, 7, 8, 9]".into())
    );
    assert_eq!(std::fs::read(&file).unwrap()[0], 99);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn file_errors_are_pythons_open_errors() {
    // open(path, 'rb') / open(path, 'r+b') for missing, directory, through a file, a
    // name too long, and an unreadable (or unwritable) file.
    let dir = scratch_dir("files");
    let plain = dir.join("plain.bin");
    std::fs::write(&plain, DATA).unwrap();
    let long = dir.join("n".repeat(300));
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    // Root reads every file: then a sysfs file that even root cannot open for writing.
    let (unreadable, mode) = if root {
        (PathBuf::from("/sys/kernel/notes"), "r+b")
    } else {
        let locked = dir.join("locked.bin");
        std::fs::write(&locked, DATA).unwrap();
        Command::new("chmod")
            .args(["000", locked.to_str().unwrap()])
            .status()
            .unwrap();
        (locked, "rb")
    };
    let cases = [
        (dir.join("missing.bin"), "rb"),
        (dir.clone(), "rb"),
        (plain.join("x"), "rb"),
        (long, "rb"),
        (unreadable, mode),
    ];
    let script = format!(
        "{PY_PRELUDE}\nfor p, mode in {:?}:\n    try:\n        open(p, mode)\n        print('opened')\n    except Exception as e:\n        print(exc_line(e))\n",
        cases
            .iter()
            .map(|(p, m)| (p.to_str().unwrap().to_owned(), *m))
            .collect::<Vec<_>>()
    );
    let want = python(&script, "");
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(want.len(), cases.len());
    for ((path, mode), want) in cases.iter().zip(want) {
        assert_ne!(want, "opened", "{path:?} must be refused for this test");
        let mut args = vec!["view", path.to_str().unwrap()];
        if *mode == "r+b" {
            args.push("--write");
        }
        assert_eq!(run_cli(&args), Outcome::Err(want.to_string()), "{path:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ranges_past_the_end_of_the_file_are_clamped_like_python_slices() {
    // memoryview(data)[N:N+LEN] clamps: a file too short for the range gives fewer bytes,
    // and then the cast fails if they do not fit the format.
    let dir = scratch_dir("range");
    let file = dir.join("data.bin");
    std::fs::write(&file, DATA).unwrap();
    let f = file.to_str().unwrap();
    for (args, want) in [
        (vec!["--offset=99"], "[]"),
        (vec!["--offset=-99", "--length=3"], "[]"),
        (vec!["--offset=8", "--length=99"], "[8, 9]"),
        (vec!["--length=-5"], "[0, 1, 2, 3, 4]"),
        (vec!["--offset=-2"], "[8, 9]"),
        (
            vec![
                "--offset=9223372036854775807",
                "--length=9223372036854775807",
            ],
            "[]",
        ),
        (
            vec![
                "--offset=-9223372036854775808",
                "--length=-9223372036854775808",
            ],
            "[]",
        ),
    ] {
        let mut argv = vec!["view", f];
        argv.extend(args.iter().copied());
        assert_eq!(run_cli(&argv), Outcome::Ok(want.into()), "{args:?}");
    }
    let mut argv = vec!["view", f, "--offset=8", "--format=i"];
    assert_eq!(
        run_cli(&argv),
        Outcome::Err("TypeError: memoryview: length is not a multiple of itemsize".into())
    );
    argv[3] = "--format=h";
    argv.push("--shape=2");
    assert_eq!(
        run_cli(&argv),
        Outcome::Err("TypeError: memoryview: product(shape) * itemsize != buffer size".into())
    );
    // An empty file is an empty view, as memoryview(b'') is.
    let empty = dir.join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        run_cli(&["view", empty.to_str().unwrap()]),
        Outcome::Ok("[]".into())
    );
    assert_eq!(
        run_cli(&["view", empty.to_str().unwrap(), "--format=i", "--index=0"]),
        Outcome::Err("IndexError: index out of bounds on dimension 1".into())
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn struct_rejects_bad_input_with_pythons_errors() {
    // struct.calcsize / pack / unpack as the CLI exposes them.
    for (args, want) in [
        (
            vec!["struct", "calcsize", "99999999999999999999i"],
            "struct.error: total struct size too long",
        ),
        (
            vec!["struct", "calcsize", "Z"],
            "struct.error: bad char in struct format",
        ),
        (
            vec!["struct", "pack", "9223372036854775807x"],
            "OverflowError: byte string is too large",
        ),
        (
            vec!["struct", "pack", "B", "256"],
            "struct.error: 'B' format requires 0 <= number <= 255",
        ),
        (
            vec!["struct", "pack", "i", "x"],
            "ValueError: malformed node or string: 'x'",
        ),
        (
            vec!["struct", "unpack", "<i", "0102"],
            "struct.error: unpack requires a buffer of 4 bytes",
        ),
    ] {
        assert_eq!(run_cli(&args), Outcome::Err(want.into()), "{args:?}");
    }
}

#[test]
fn usage_errors_exit_2_and_never_panic() {
    for args in [
        vec!["view"],
        vec!["view", "f", "--shape=2"],
        vec!["view", "f", "--format=B", "--shape=99999999999999999999"],
        vec!["view", "f", "--offset=99999999999999999999"],
        vec!["view", "f", "--show=nothing"],
        vec!["struct", "frobnicate"],
        vec!["struct", "unpack", "i"],
        vec!["nothing"],
    ] {
        assert_eq!(status(&args), Some(2), "{args:?}");
    }
}
