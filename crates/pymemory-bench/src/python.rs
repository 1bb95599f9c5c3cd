//! The CPython side: finding a `python3` that can import numpy (installing numpy into a
//! virtual environment under `target/` when the system one cannot), and a long-lived
//! python3 process that runs one timed operation per request, so its samples can be
//! interleaved with the Rust ones.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::rc::Rc;

use serde_json::Value as Json;

use crate::util::Sampler;

/// The interpreter every suite uses, with what it can import.
#[derive(Debug, Clone)]
pub(crate) struct PyEnv {
    /// The interpreter (python3 itself, or the bench virtualenv's python).
    pub(crate) python: PathBuf,
    /// `sys.version`, first word.
    pub(crate) version: String,
    /// numpy's version, or why numpy is unavailable.
    pub(crate) numpy: Result<String, String>,
}

fn probe(python: &Path) -> Result<(String, Option<String>), String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys\nprint(sys.version.split()[0])\ntry:\n import numpy\n print(numpy.__version__)\nexcept ImportError:\n print('-')",
        ])
        .output()
        .map_err(|e| format!("{} cannot run: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let version = lines.next().unwrap_or("?").to_string();
    let numpy = lines.next().filter(|v| *v != "-").map(str::to_string);
    Ok((version, numpy))
}

/// Finds python3 and numpy. When `import numpy` fails in python3, creates
/// `<venv_dir>` with `python3 -m venv` and `pip install numpy` into it. python3 itself
/// missing is an error: every CPython column would be empty.
pub(crate) fn setup(venv_dir: &Path, log: &dyn Fn(&str)) -> Result<PyEnv, String> {
    let system = PathBuf::from("python3");
    let (version, numpy) = probe(&system)
        .map_err(|e| format!("python3 is required for the CPython comparisons: {e}"))?;
    if let Some(v) = numpy {
        return Ok(PyEnv {
            python: system,
            version,
            numpy: Ok(v),
        });
    }
    let vpy = venv_dir.join("bin").join("python");
    if let Ok((vv, Some(np))) = probe(&vpy) {
        return Ok(PyEnv {
            python: vpy,
            version: vv,
            numpy: Ok(np),
        });
    }
    log(&format!(
        "numpy is not importable by python3: installing it into {}",
        venv_dir.display()
    ));
    let installed = (|| -> Result<(String, String), String> {
        if !vpy.exists() {
            let st = Command::new("python3")
                .args(["-m", "venv"])
                .arg(venv_dir)
                .status()
                .map_err(|e| e.to_string())?;
            if !st.success() {
                return Err("python3 -m venv failed".into());
            }
        }
        let st = Command::new(&vpy)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "numpy",
            ])
            .status()
            .map_err(|e| e.to_string())?;
        if !st.success() {
            return Err("pip install numpy failed".into());
        }
        match probe(&vpy)? {
            (v, Some(np)) => Ok((v, np)),
            _ => Err("numpy still not importable after pip install".into()),
        }
    })();
    match installed {
        Ok((v, np)) => Ok(PyEnv {
            python: vpy,
            version: v,
            numpy: Ok(np),
        }),
        Err(e) => {
            let msg = format!("numpy UNAVAILABLE ({e}): every numpy column is empty");
            log(&format!("\n!!! {msg} !!!\n"));
            Ok(PyEnv {
                python: system,
                version,
                numpy: Err(msg),
            })
        }
    }
}

/// Appended to every suite's script: answers one request per line (`op arg...`) with one
/// JSON line, the op's result or `{"error": ...}`.
const SERVE: &str = r#"
import json as _json, sys as _sys, traceback as _tb
print("ready", flush=True)
for _line in _sys.stdin:
    _parts = _line.split()
    try:
        _r = OPS[_parts[0]](*_parts[1:])
    except Exception as _e:
        _r = {"error": _tb.format_exc().strip().splitlines()[-1]}
    print(_json.dumps(_r), flush=True)
"#;

/// Python helpers shared by the suite scripts.
pub(crate) const PRELUDE: &str = r#"
import sys, time, gc
OPS = {}
def op(f):
    OPS[f.__name__] = f
    return f
def timed(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0
_batches = {}
def per_call(key, f, min_batch):
    # Same rule as the Rust side: double the batch until it lasts min_batch seconds
    # (once per key), then time one batch per sample.
    n = _batches.get(key)
    if n is None:
        n = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(n): f()
            if time.perf_counter() - t0 >= min_batch or n >= 1 << 40: break
            n *= 2
        _batches[key] = n
    t0 = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - t0) / n
"#;

/// A running python3 process serving one suite's operations.
#[derive(Debug)]
pub(crate) struct PyDriver {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
    /// The first error seen, for the report.
    pub(crate) error: Option<String>,
}

/// A driver shared by the samplers of one suite.
pub(crate) type SharedPy = Rc<RefCell<PyDriver>>;

impl PyDriver {
    /// Starts `env.python` on `PRELUDE + script + SERVE` and waits for it to be ready.
    pub(crate) fn start(env: &PyEnv, script: &str, args: &[String]) -> Result<SharedPy, String> {
        let code = format!("{PRELUDE}\n{script}\n{SERVE}");
        let mut child = Command::new(&env.python)
            .arg("-c")
            .arg(code)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", env.python.display()))?;
        let to = child.stdin.take().ok_or("no stdin")?;
        let mut from = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        from.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "python3 did not start the suite script (said {line:?})"
            ));
        }
        Ok(Rc::new(RefCell::new(PyDriver {
            child,
            to,
            from,
            error: None,
        })))
    }

    /// Sends one request and returns its JSON answer.
    pub(crate) fn call(&mut self, request: &str) -> Result<Json, String> {
        let r = (|| {
            writeln!(self.to, "{request}").map_err(|e| format!("python3 gone: {e}"))?;
            let mut line = String::new();
            self.from
                .read_line(&mut line)
                .map_err(|e| format!("python3 gone: {e}"))?;
            if line.is_empty() {
                return Err("python3 exited".to_string());
            }
            let v: Json = serde_json::from_str(line.trim())
                .map_err(|e| format!("bad answer {line:?}: {e}"))?;
            if let Some(e) = v.get("error") {
                return Err(format!("{request}: {e}"));
            }
            Ok(v)
        })();
        if let Err(e) = &r {
            self.error.get_or_insert_with(|| e.clone());
        }
        r
    }

    /// `call`, expecting a number.
    pub(crate) fn number(&mut self, request: &str) -> Option<f64> {
        self.call(request).ok().and_then(|v| v.as_f64())
    }
}

impl Drop for PyDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sampler that sends `request` and reads one number (seconds).
pub(crate) fn sampler<'a>(py: &SharedPy, request: impl Into<String>) -> Sampler<'a> {
    let py = Rc::clone(py);
    let request = request.into();
    Box::new(move || py.borrow_mut().number(&request))
}
