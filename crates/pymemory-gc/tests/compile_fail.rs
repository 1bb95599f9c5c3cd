//! What must not compile: sending or sharing a `Gc` or `Weak` across threads.
#[cfg(not(miri))]
#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
