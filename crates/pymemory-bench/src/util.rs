//! Timing helpers shared by every suite: medians, self-calibrating batches for operations
//! too short for one clock reading, round-robin sampling, and the progress bar.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// The median of `v` (the upper one for an even count); NaN when empty.
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds taken by `f`.
pub(crate) fn time(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Per-call seconds of `f`, measured over a batch long enough (`min_batch` seconds) that
/// the clock's resolution and the loop are negligible. The batch size is found once by
/// doubling, the way Python's `timeit.autorange` does, so both sides use the same rule.
pub(crate) fn per_call(min_batch: f64, mut f: impl FnMut()) -> impl FnMut() -> f64 {
    let mut n: u64 = 1;
    loop {
        let t = time(|| {
            for _ in 0..n {
                f();
            }
        });
        if t >= min_batch || n >= 1 << 40 {
            break;
        }
        n *= 2;
    }
    move || {
        let t = time(|| {
            for _ in 0..n {
                f();
            }
        });
        t / n as f64
    }
}

/// One side of a comparison: returns the seconds (or bytes) of one sample, or `None`
/// when that side could not run (the reason is reported by whoever built the sampler).
pub(crate) type Sampler<'a> = Box<dyn FnMut() -> Option<f64> + 'a>;

/// Runs the samplers round-robin, `reps` rounds after one warm-up round, and returns each
/// side's median. Round-robin puts load spikes from other processes on every side alike.
pub(crate) fn round_robin(reps: usize, sides: &mut [Sampler<'_>]) -> Vec<Option<f64>> {
    let mut k: Vec<SamplerK<'_, 1>> = sides
        .iter_mut()
        .map(|s| Box::new(move || s().map(|v| [v])) as SamplerK<'_, 1>)
        .collect();
    round_robin_k(reps, true, &mut k)
        .into_iter()
        .map(|m| m.map(|[v]| v))
        .collect()
}

/// A sampler returning `K` numbers per sample (e.g. total and collection time).
pub(crate) type SamplerK<'a, const K: usize> = Box<dyn FnMut() -> Option<[f64; K]> + 'a>;

/// [`round_robin`] for samplers of `K` numbers: the median of each number separately.
/// `warmup` adds an untimed first round.
pub(crate) fn round_robin_k<const K: usize>(
    reps: usize,
    warmup: bool,
    sides: &mut [SamplerK<'_, K>],
) -> Vec<Option<[f64; K]>> {
    let mut samples: Vec<Vec<[f64; K]>> = vec![Vec::new(); sides.len()];
    let mut failed = vec![false; sides.len()];
    for round in 0..reps + usize::from(warmup) {
        for (k, side) in sides.iter_mut().enumerate() {
            if failed[k] {
                continue;
            }
            match side() {
                Some(v) if round > 0 || !warmup => samples[k].push(v),
                Some(_) => {}
                None => failed[k] = true,
            }
        }
    }
    samples
        .into_iter()
        .zip(failed)
        .map(|(s, f)| {
            if f || s.is_empty() {
                return None;
            }
            let mut out = [0.0; K];
            for (j, o) in out.iter_mut().enumerate() {
                *o = median(s.iter().map(|v| v[j]).collect());
            }
            Some(out)
        })
        .collect()
}

/// The progress bar: one step per workload, the workload's name as its message. When
/// stderr is not a terminal (CI), each step is also printed as a line.
#[derive(Debug)]
pub(crate) struct Progress {
    bar: ProgressBar,
    plain: bool,
    start: Instant,
}

impl Progress {
    /// A bar for `total` steps.
    pub(crate) fn new(total: u64) -> Progress {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("[{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}")
                .expect("a valid template"),
        );
        Progress {
            bar,
            plain: !std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// Marks the start of the next workload.
    pub(crate) fn step(&self, name: &str) {
        if self.plain {
            eprintln!(
                "[{:>6.1}s {}/{}] {name}",
                self.start.elapsed().as_secs_f64(),
                self.bar.position() + 1,
                self.bar.length().unwrap_or(0)
            );
        }
        self.bar.set_message(name.to_string());
        self.bar.inc(1);
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A worker thread with a big stack that runs jobs sent to it. Each collector runs on its
/// own worker: the peers keep thread-local heaps, and some of them recurse while
/// collecting or dropping, so they need the stack.
#[derive(Debug)]
pub(crate) struct Worker {
    jobs: Option<std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts a worker with a 1 GiB stack (address space only until touched).
    pub(crate) fn new(name: &str) -> Worker {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .stack_size(1 << 30)
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("spawn a worker thread");
        Worker {
            jobs: Some(tx),
            handle: Some(handle),
        }
    }

    /// Runs `f` on the worker and waits for its result; `None` if it panicked.
    pub(crate) fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = std::sync::mpsc::channel();
        let job = Box::new(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(r.ok());
        });
        self.jobs.as_ref()?.send(job).ok()?;
        rx.recv().ok().flatten()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Human-readable seconds: ns, µs, ms or s with three significant digits.
pub(crate) fn fmt_time(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let (v, unit) = if s < 1e-6 {
        (s * 1e9, "ns")
    } else if s < 1e-3 {
        (s * 1e6, "µs")
    } else if s < 1.0 {
        (s * 1e3, "ms")
    } else {
        (s, "s")
    };
    format!("{} {unit}", sig3(v))
}

/// Human-readable bytes (decimal MB / kB).
pub(crate) fn fmt_bytes(b: f64) -> String {
    if !b.is_finite() {
        return "-".into();
    }
    if b >= 1e9 {
        format!("{} GB", sig3(b / 1e9))
    } else if b >= 1e6 {
        format!("{} MB", sig3(b / 1e6))
    } else if b >= 1e3 {
        format!("{} kB", sig3(b / 1e3))
    } else {
        format!("{} B", sig3(b))
    }
}

/// Three significant digits without exponent notation.
pub(crate) fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn round_robin_skips_the_warmup_and_failed_sides() {
        let mut calls = 0.0;
        let mut sides: Vec<Sampler<'_>> = vec![
            Box::new(|| {
                calls += 1.0;
                Some(calls)
            }),
            Box::new(|| None),
        ];
        let m = round_robin(3, &mut sides);
        // Samples 2, 3, 4 after the warm-up sample 1.
        assert_eq!(m, vec![Some(3.0), None]);
    }

    #[test]
    fn times_format_with_units() {
        assert_eq!(fmt_time(1.5e-8), "15.0 ns");
        assert_eq!(fmt_time(0.25), "250 ms");
        assert_eq!(fmt_bytes(56e6), "56.0 MB");
    }

    #[test]
    fn worker_runs_jobs_and_survives_panics() {
        let w = Worker::new("test");
        assert_eq!(w.run(|| 2 + 2), Some(4));
        assert_eq!(w.run(|| -> i32 { panic!("peer panicked") }), None);
        assert_eq!(w.run(|| 5), Some(5));
    }
}
