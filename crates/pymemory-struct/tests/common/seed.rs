//! How every seeded differential test of the workspace picks its seed. The buffer and CLI
//! crates include this file from their own test helpers (`#[path]`), so the rule is one.

/// The seed of a randomised test's generator: `PYMEMORY_SEED` when set and not empty (to
/// replay a failure or widen the search), else the test's own `default`. A value that is
/// not a decimal `u64` fails the test: silently replaying the default would look like a pass.
pub(crate) fn seed(default: u64) -> u64 {
    let text = std::env::var("PYMEMORY_SEED").unwrap_or_default();
    if text.trim().is_empty() {
        return default;
    }
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("PYMEMORY_SEED={text:?} is not a decimal u64"))
}
