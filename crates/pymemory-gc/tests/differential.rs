//! Differential test against CPython: the same seeded random graph programs run here and
//! in one `python3` process, and every `gc.collect()` must return the same number.
//!
//! Python side: each node is a list (`[]`), an edge is an element of that list, the
//! outside handles are the module-level list `roots`; the collector is disabled so only
//! explicit `gc.collect()` calls collect, and acyclic garbage dies by reference counting
//! in both. Mirrors: `gc.collect()` on random graphs of lists.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use pymemory_gc::{self as gc, Finalize, Gc, Trace};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Trace, Finalize, Default)]
struct List(RefCell<Vec<Gc<List>>>);

const PY: &str = r#"
import gc, sys
gc.disable()
gc.collect()
for line in sys.stdin:
    roots = []
    out = []
    for op in line.split(';'):
        f = op.split()
        if not f:
            continue
        k = f[0]
        if k == 'n':
            roots.append([])
        elif k == 'l':
            roots[int(f[1])].append(roots[int(f[2])])
        elif k == 'u':
            e = roots[int(f[1])]
            i = int(f[2])
            e[i] = e[-1]
            e.pop()
            e = None  # no stray reference to a node
        elif k == 'd':
            i = int(f[1])
            roots[i] = roots[-1]
            roots.pop()
        elif k == 'c':
            out.append(str(gc.collect()))
    del roots
    out.append(str(gc.collect()))
    print(' '.join(out), flush=True)
"#;

/// One random program: the op text for Python and the collect() results here.
fn run_case(rng: &mut ChaCha8Rng, n_ops: usize) -> (String, Vec<usize>) {
    let mut roots: Vec<Gc<List>> = Vec::new();
    let mut text = String::new();
    let mut counts = Vec::new();
    for _ in 0..n_ops {
        let k = rng.gen_range(0..10u8);
        match k {
            0..=2 => {
                roots.push(Gc::new(List::default()));
                text.push_str("n;");
            }
            3..=5 if !roots.is_empty() => {
                let (a, b) = (rng.gen_range(0..roots.len()), rng.gen_range(0..roots.len()));
                let h = roots[b].clone();
                roots[a].0.borrow_mut().push(h);
                text.push_str(&format!("l {a} {b};"));
            }
            6 if !roots.is_empty() => {
                let a = rng.gen_range(0..roots.len());
                let len = roots[a].0.borrow().len();
                if len > 0 {
                    let i = rng.gen_range(0..len);
                    let removed = roots[a].0.borrow_mut().swap_remove(i);
                    drop(removed);
                    text.push_str(&format!("u {a} {i};"));
                }
            }
            7 | 8 if !roots.is_empty() => {
                let i = rng.gen_range(0..roots.len());
                drop(roots.swap_remove(i));
                text.push_str(&format!("d {i};"));
            }
            9 => {
                counts.push(gc::collect());
                text.push_str("c;");
            }
            _ => {}
        }
    }
    drop(roots);
    counts.push(gc::collect());
    (text, counts)
}

/// Starts `python3 -c script` with piped stdin and stdout (the oracle answers one line per
/// request); fails loudly when python3 is missing.
fn python3(script: &str) -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required for the differential tests (not found on PATH)");
    let stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    (child, stdin, stdout)
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn python3")]
fn collect_counts_match_cpython_on_random_graphs() {
    gc::disable();
    gc::collect();
    let (mut child, mut stdin, mut stdout) = python3(PY);
    let cases = 300;
    let mut collects = 0;
    for seed in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n_ops = rng.gen_range(1..400);
        let (text, counts) = run_case(&mut rng, n_ops);
        writeln!(stdin, "{text}").unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let py: Vec<usize> = line
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(
            counts, py,
            "seed {seed}: gc.collect() results differ for program {text}"
        );
        collects += counts.len();
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert!(
        collects > cases as usize,
        "every case collects at least once"
    );
    eprintln!("{cases} programs, {collects} gc.collect() results identical to CPython's");
    gc::enable();
}

/// Mirrors `gc.collect(g)` and `gc.get_objects(g)` for out-of-range generations: the
/// `try_` functions' errors print as CPython's exceptions (`type(e).__name__: str(e)`).
#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn python3")]
fn invalid_generation_errors_match_cpython() {
    const PY_ERRORS: &str = r#"
import gc, sys
for line in sys.stdin:
    kind, g = line.split()
    try:
        (gc.collect if kind == "collect" else gc.get_objects)(int(g))
        print("ok")
    except Exception as e:
        print(f"{type(e).__name__}: {e}")
"#;
    let (mut child, mut stdin, mut stdout) = python3(PY_ERRORS);
    let mut cases = 0;
    for g in [0usize, 1, 2, 3, 4, 17, 1000, i32::MAX as usize] {
        for kind in ["collect", "get_objects"] {
            let ours = match kind {
                "collect" => gc::try_collect_generation(g).map(drop),
                _ => gc::try_get_objects(Some(g)).map(drop),
            };
            let ours = ours.map_or_else(|e| e.to_string(), |()| "ok".to_string());
            writeln!(stdin, "{kind} {g}").unwrap();
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            assert_eq!(ours, line.trim_end(), "gc.{kind}({g})");
            cases += 1;
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert_eq!(cases, 16);
}
