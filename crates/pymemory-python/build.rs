//! Passes PyO3's interpreter cfgs (notably `Py_GIL_DISABLED`) to this crate, so `lib.rs`
//! can refuse free-threaded builds: the Python objects' state relies on the GIL.

fn main() {
    pyo3_build_config::print_expected_cfgs();
    pyo3_build_config::use_pyo3_cfgs();
}
