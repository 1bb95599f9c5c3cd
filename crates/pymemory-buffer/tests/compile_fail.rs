//! What must not compile (issue #6): views, exporters and raw descriptors are
//! `!Send`/`!Sync` (single-threaded, like CPython under the GIL); borrowed layouts and
//! slices cannot outlive the view or exporter they borrow; a type that only borrows its
//! memory cannot export it; `bool` cannot be exported writable.
//!
//! The `.stderr` files are the stable toolchain's messages, made with
//! `TRYBUILD=overwrite cargo test -p pymemory-buffer --test compile_fail` and reviewed.
#[cfg(not(miri))]
#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
