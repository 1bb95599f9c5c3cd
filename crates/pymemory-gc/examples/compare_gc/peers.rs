//! The same two-node-cycle workload on the peer cycle collectors (dev-dependencies).

use std::cell::RefCell;
use std::time::Instant;

type Outcome = Result<(f64, f64), String>;
type Workload = fn(u64) -> (f64, f64);

fn median_pair(runs: usize, mut f: impl FnMut() -> (f64, f64)) -> (f64, f64) {
    let mut v: Vec<(f64, f64)> = (0..runs).map(|_| f()).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v[v.len() / 2]
}

mod gcm {
    use super::*;
    use gcmodule::{Cc, Trace, Tracer};

    pub(super) struct Node {
        pub(super) v: u64,
        pub(super) next: RefCell<Option<Cc<Node>>>,
    }

    // Written by hand: gcmodule 0.3's derive makes `is_type_tracked` recurse forever
    // on a recursive type (a stack overflow at the first `Cc::new`).
    impl Trace for Node {
        fn trace(&self, tracer: &mut Tracer<'_>) {
            self.next.trace(tracer);
        }
        fn is_type_tracked() -> bool {
            true
        }
    }

    pub(super) fn cycles(n: u64) -> (f64, f64) {
        let t = Instant::now();
        for i in 0..n {
            let a = Cc::new(Node {
                v: i,
                next: RefCell::new(None),
            });
            let b = Cc::new(Node {
                v: i,
                next: RefCell::new(Some(a.clone())),
            });
            *a.next.borrow_mut() = Some(b);
        }
        let c = Instant::now();
        let freed = gcmodule::collect_thread_cycles();
        assert_eq!(freed, 2 * n as usize);
        (t.elapsed().as_secs_f64(), c.elapsed().as_secs_f64())
    }
}

mod dump {
    use super::*;
    use dumpster::Trace;
    use dumpster::unsync::Gc;

    #[derive(Trace)]
    pub(super) struct Node {
        pub(super) v: u64,
        pub(super) next: RefCell<Option<Gc<Node>>>,
    }

    pub(super) fn cycles(n: u64) -> (f64, f64) {
        let t = Instant::now();
        for i in 0..n {
            let a = Gc::new(Node {
                v: i,
                next: RefCell::new(None),
            });
            let b = Gc::new(Node {
                v: i,
                next: RefCell::new(Some(a.clone())),
            });
            *a.next.borrow_mut() = Some(b);
        }
        let c = Instant::now();
        dumpster::unsync::collect();
        (t.elapsed().as_secs_f64(), c.elapsed().as_secs_f64())
    }
}

mod bacon {
    use super::*;
    use bacon_rajan_cc::{Cc, Trace, Tracer};

    pub(super) struct Node {
        pub(super) v: u64,
        pub(super) next: RefCell<Option<Cc<Node>>>,
    }

    impl Trace for Node {
        fn trace(&self, tracer: &mut Tracer<'_>) {
            if let Some(n) = &*self.next.borrow() {
                n.trace(tracer);
            }
        }
    }

    pub(super) fn cycles(n: u64) -> (f64, f64) {
        let t = Instant::now();
        for i in 0..n {
            let a = Cc::new(Node {
                v: i,
                next: RefCell::new(None),
            });
            let b = Cc::new(Node {
                v: i,
                next: RefCell::new(Some(a.clone())),
            });
            *a.next.borrow_mut() = Some(b);
        }
        let c = Instant::now();
        bacon_rajan_cc::collect_cycles();
        (t.elapsed().as_secs_f64(), c.elapsed().as_secs_f64())
    }
}

mod rcc {
    use super::*;
    use rust_cc::{Cc, Finalize, Trace};

    #[derive(Trace, Finalize)]
    pub(super) struct Node {
        #[rust_cc(ignore)]
        pub(super) v: u64,
        pub(super) next: RefCell<Option<Cc<Node>>>,
    }

    pub(super) fn cycles(n: u64) -> (f64, f64) {
        let t = Instant::now();
        for i in 0..n {
            let a = Cc::new(Node {
                v: i,
                next: RefCell::new(None),
            });
            let b = Cc::new(Node {
                v: i,
                next: RefCell::new(Some(a.clone())),
            });
            *a.next.borrow_mut() = Some(b);
        }
        let c = Instant::now();
        rust_cc::collect_cycles();
        (t.elapsed().as_secs_f64(), c.elapsed().as_secs_f64())
    }
}

/// Runs every peer on its own thread (each has thread-local state); a peer that panics
/// is reported, not fatal.
pub(crate) fn run(n: u64, runs: usize) -> Vec<(&'static str, Outcome)> {
    let peers: [(&'static str, Workload); 4] = [
        ("gcmodule 0.3", gcm::cycles),
        ("dumpster 2 (unsync)", dump::cycles),
        ("bacon_rajan_cc 0.4", bacon::cycles),
        ("rust-cc 0.6", rcc::cycles),
    ];
    let only = std::env::var("COMPARE_PEERS").ok();
    peers
        .into_iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| name.contains(o)))
        .map(|(name, f)| {
            eprintln!("peer {name}...");
            // Some peers recurse while collecting or dropping: give them a big stack
            // (pymemory-gc itself runs on the main thread's default stack).
            let r = std::thread::Builder::new()
                .stack_size(1 << 30)
                .spawn(move || median_pair(runs, || f(n)))
                .expect("spawn")
                .join()
                .map_err(|_| "panicked".to_string());
            (name, r)
        })
        .collect()
}

/// Keeps the `v` fields "read" for the lints.
#[expect(
    dead_code,
    reason = "only keeps the payload fields of the peer nodes used"
)]
fn touch(a: &gcm::Node, b: &dump::Node, c: &bacon::Node, d: &rcc::Node) -> u64 {
    a.v + b.v + c.v + d.v
}
