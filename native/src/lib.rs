//! codesm's native core: walking, grep, glob, fuzzy find, diff and file inspection.
//!
//! The modules here are plain Rust (tested with `cargo test`); the pyo3 binding that exposes
//! them as `codesm._native` lives in [`python`] behind the `python` feature.

pub mod diff;
pub mod error;
pub mod fuzzy;
pub mod glob;
pub mod grep;
pub mod inspect;
pub mod path_index;
pub mod walk;

#[cfg(feature = "python")]
mod python;

pub use error::{Error, Result};
