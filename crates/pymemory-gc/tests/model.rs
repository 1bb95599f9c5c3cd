//! The random-graph model check (`pymemory_gc::testing::check_ops`), driven by proptest.
//! The same checker runs under cargo-fuzz (`fuzz/fuzz_targets/graph.rs`).

use proptest::prelude::*;

#[cfg(not(miri))]
const CASES: u32 = 512;
#[cfg(miri)]
const CASES: u32 = 4;

#[cfg(not(miri))]
const MAX_OPS: usize = 600;
#[cfg(miri)]
const MAX_OPS: usize = 60;

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_graphs_collect_exactly_the_unreachable(data in proptest::collection::vec(any::<u8>(), 0..MAX_OPS)) {
        pymemory_gc::testing::check_ops(&data);
    }
}

/// Fixed seeds that exercise resurrection, callbacks inside garbage and deep cycles.
#[test]
fn model_regressions() {
    use rand::{Rng, SeedableRng};
    let n = if cfg!(miri) { 2 } else { 200 };
    for seed in 0..n {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let len = rng.gen_range(0..if cfg!(miri) { 90 } else { 900 });
        let data: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
        let r = std::panic::catch_unwind(|| pymemory_gc::testing::check_ops(&data));
        assert!(
            r.is_ok(),
            "model check failed for seed {seed}: data = {data:?}"
        );
    }
}
