//! The exporters this crate provides.

pub mod bytes;
pub mod mmap;
pub mod ndarray;
pub mod vec;
