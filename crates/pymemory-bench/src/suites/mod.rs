//! The comparison suites. Each returns a report section; all share one context.

use std::path::PathBuf;

use crate::python::PyEnv;
use crate::util::Progress;

pub(crate) mod array;
pub(crate) mod gc;
pub(crate) mod memoryview;
pub(crate) mod pypackage;
pub(crate) mod structs;

/// What every suite needs.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// Smaller sizes and fewer repeats (CI smoke run).
    pub(crate) quick: bool,
    /// Timed samples per side (after one warm-up), medians reported.
    pub(crate) reps: usize,
    /// Minimum batch length in seconds for per-call timings.
    pub(crate) min_batch: f64,
    /// The python3 (and numpy) to compare against.
    pub(crate) py: PyEnv,
    /// The progress bar.
    pub(crate) progress: Progress,
    /// A directory for temporary files.
    pub(crate) scratch: PathBuf,
    /// The workspace root.
    pub(crate) root: PathBuf,
}
