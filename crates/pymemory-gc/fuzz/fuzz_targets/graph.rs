//! cargo-fuzz target for the collector: the same random-graph model check as the
//! proptest test `tests/model.rs` (`pymemory_gc::testing::check_ops`).
//!
//! `cargo +nightly fuzz run graph` (from crates/pymemory-gc).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pymemory_gc::testing::check_ops(data);
});
