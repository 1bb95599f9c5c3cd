//! The `pymemory` command line: clap's parsing of `struct` and `view` arguments and the
//! commands themselves, on a small file that is rewritten before every run.
//!
//! The binary (`src/main.rs`) and this target share the library `pymemory_cli`
//! (`Cli::try_parse_from`, `run`), so what is fuzzed is exactly what the command runs.
//!
//! Input: NUL-separated arguments; the first byte picks `view FILE ...`,
//! `view FILE --write ...` or `struct ...`. Checked: no panic; every failure is
//! `<Exception>: <message>` with a Python exception name; a `--set` that fails leaves the
//! file byte-identical (when only the printing after successful `--set`s fails, the file
//! holds the writes and the same command printing the default list must succeed); a successful run without `--set` leaves it unchanged too.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use pymemory_cli::{Cli, run};

/// 64 bytes: 0, 1, ..., 63.
const CONTENT: [u8; 64] = {
    let mut c = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        c[i] = i as u8;
        i += 1;
    }
    c
};

fn file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pymemory-fuzz-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join("data.bin")
    })
}

const EXCEPTIONS: &[&str] = &[
    "struct.error",
    "ValueError",
    "UnicodeEncodeError",
    "TypeError",
    "IndexError",
    "OverflowError",
    "BufferError",
    "NotImplementedError",
    "MemoryError",
    "AttributeError",
    "FileNotFoundError",
    "PermissionError",
    "IsADirectoryError",
    "NotADirectoryError",
    "OSError",
];

fuzz_target!(|input: &[u8]| {
    let Some((&ctl, rest)) = input.split_first() else {
        return;
    };
    let path = file();
    std::fs::write(path, CONTENT).expect("write the fuzz file");
    let mut argv: Vec<String> = vec!["pymemory".into()];
    match ctl % 3 {
        0 => argv.extend(["view".into(), path.to_string_lossy().into_owned()]),
        1 => argv.extend([
            "view".into(),
            path.to_string_lossy().into_owned(),
            "--write".into(),
        ]),
        _ => argv.push("struct".into()),
    }
    if !rest.is_empty() {
        argv.extend(
            rest.split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned()),
        );
    }
    // A huge --length or --offset on the tiny file is clamped; --shape etc. are checked.
    let Ok(cli) = Cli::try_parse_from(&argv) else {
        return; // clap usage error: exit status 2 in the binary
    };
    let has_set = argv.iter().any(|a| a.starts_with("--set"));
    match run(cli) {
        Ok(_) => {
            if !has_set {
                assert_eq!(
                    std::fs::read(path).unwrap(),
                    CONTENT,
                    "{argv:?} changed the file"
                );
            }
        }
        Err(failure) => {
            let text = failure.to_string();
            let (name, _) = text
                .split_once(": ")
                .unwrap_or_else(|| panic!("{argv:?}: failure without a message: {text:?}"));
            assert!(EXCEPTIONS.contains(&name), "{argv:?}: {text:?}");
            if std::fs::read(path).unwrap() != CONTENT {
                // Only printing may fail after the assignments were made (as in Python,
                // where `m[k] = v` succeeds before `m.hex()` raises): the same command
                // printing the default list must then succeed.
                assert!(has_set, "{argv:?} failed ({text}) and changed the file");
                std::fs::write(path, CONTENT).unwrap();
                let mut plain = Vec::new();
                let mut args = argv.iter().cloned();
                while let Some(a) = args.next() {
                    if a == "--show" {
                        args.next();
                    } else if !a.starts_with("--show=") {
                        plain.push(a);
                    }
                }
                let again = Cli::try_parse_from(&plain).map(run);
                assert!(
                    matches!(again, Ok(Ok(_))),
                    "{argv:?} failed ({text}) after writing part of the file: {again:?}"
                );
            }
        }
    }
});
